# bench_decode: vigil::devices payload and characteristic decoding vs a plain Poco JSON parse.
add_executable(bench_decode ${CMAKE_CURRENT_LIST_DIR}/decode_bench.cpp)
target_link_libraries(bench_decode PRIVATE vigil::devices vigil::fleet Poco::JSON vigil::options)
