# One place for compiler warnings and sanitizers: every target links vigil::options.
find_program(CCACHE_PROGRAM ccache)
if(CCACHE_PROGRAM)
  set(CMAKE_C_COMPILER_LAUNCHER ${CCACHE_PROGRAM})
  set(CMAKE_CXX_COMPILER_LAUNCHER ${CCACHE_PROGRAM})
endif()

add_library(vigil_options INTERFACE)
add_library(vigil::options ALIAS vigil_options)
target_compile_options(vigil_options INTERFACE
  -Wall -Wextra -Wpedantic -Wconversion -Wsign-conversion -Wshadow
  -Wnon-virtual-dtor -Wold-style-cast -Woverloaded-virtual -Wno-missing-field-initializers
  $<$<BOOL:${VIGIL_WERROR}>:-Werror>)
target_compile_definitions(vigil_options INTERFACE
  VIGIL_VERSION="${PROJECT_VERSION}")

# Fuzz builds instrument every library for coverage (the fuzzer targets add the libFuzzer
# runtime themselves), so the fuzzers are guided through the code they call.
if(VIGIL_WITH_FUZZ)
  target_compile_options(vigil_options INTERFACE -fsanitize=fuzzer-no-link)
endif()

if(VIGIL_SANITIZE)
  set(_vigil_san -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  target_compile_options(vigil_options INTERFACE ${_vigil_san})
  target_link_options(vigil_options INTERFACE ${_vigil_san})
endif()

# Third-party headers are included as SYSTEM so their warnings do not fail our build.
function(vigil_system_includes target)
  foreach(dep IN LISTS ARGN)
    get_target_property(_inc ${dep} INTERFACE_INCLUDE_DIRECTORIES)
    if(_inc)
      target_include_directories(${target} SYSTEM PRIVATE ${_inc})
    endif()
  endforeach()
endfunction()
