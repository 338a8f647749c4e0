# bench_decode: decode throughput of vigil::devices (payloads per second, one core).
add_executable(bench_decode ${CMAKE_CURRENT_LIST_DIR}/decode_bench.cpp)
target_link_libraries(bench_decode PRIVATE vigil::devices Poco::JSON Poco::Foundation vigil::options)
target_include_directories(bench_decode PRIVATE ${PROJECT_SOURCE_DIR}/devices/src)
vigil_system_includes(bench_decode Poco::JSON Poco::Foundation)
