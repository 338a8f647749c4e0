# vigil_add_unit_test(<component> SOURCES a.cpp b.cpp LIBS vigil::x ... [LABELS l1 l2] [TIMEOUT s])
# Builds one Boost.Test executable per component, registered with ctest as unit-<component>.
# Exactly one source of the executable defines BOOST_TEST_MODULE.
function(vigil_add_unit_test component)
  cmake_parse_arguments(ARG "" "TIMEOUT;NAME" "SOURCES;LIBS;LABELS" ${ARGN})
  set(exe test_${component})
  set(test_name unit-${component})
  if(ARG_NAME)
    set(exe test_${ARG_NAME})
    set(test_name ${ARG_NAME})
  endif()
  add_executable(${exe} ${ARG_SOURCES})
  target_link_libraries(${exe} PRIVATE ${ARG_LIBS} Boost::unit_test_framework vigil::options)
  target_compile_definitions(${exe} PRIVATE BOOST_TEST_DYN_LINK
    VIGIL_SOURCE_DIR="${PROJECT_SOURCE_DIR}" VIGIL_BINARY_DIR="${PROJECT_BINARY_DIR}")
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  if(NOT ARG_LABELS)
    set(ARG_LABELS unit)
  endif()
  add_test(NAME ${test_name} COMMAND ${exe} --log_level=test_suite --report_level=short)
  set_tests_properties(${test_name} PROPERTIES TIMEOUT ${ARG_TIMEOUT} LABELS "${ARG_LABELS}")
endfunction()

# vigil_add_fuzzer(<name> SOURCES f.cpp LIBS ... CORPUS dir)
# libFuzzer target (clang only); ctest runs it for VIGIL_FUZZ_SECONDS on its seed corpus.
set(VIGIL_FUZZ_SECONDS 30 CACHE STRING "Seconds each fuzzer runs under ctest")
function(vigil_add_fuzzer name)
  cmake_parse_arguments(ARG "" "CORPUS" "SOURCES;LIBS" ${ARGN})
  if(NOT VIGIL_WITH_FUZZ)
    return()
  endif()
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} vigil::options)
  target_compile_options(${name} PRIVATE -fsanitize=fuzzer)
  target_link_options(${name} PRIVATE -fsanitize=fuzzer)
  set(work ${CMAKE_CURRENT_BINARY_DIR}/${name}_corpus)
  add_test(NAME fuzz-${name}
    COMMAND ${CMAKE_COMMAND} -E env ASAN_OPTIONS=detect_leaks=1
      ${CMAKE_COMMAND} -DFUZZER=$<TARGET_FILE:${name}> -DSEEDS=${ARG_CORPUS} -DWORK=${work}
      -DSECONDS=${VIGIL_FUZZ_SECONDS} -P ${PROJECT_SOURCE_DIR}/cmake/RunFuzzer.cmake)
  set_tests_properties(fuzz-${name} PROPERTIES LABELS fuzz TIMEOUT 600)
endfunction()
