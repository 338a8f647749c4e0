# bench_store_write: ingest-shaped write throughput of vigil::store (synchronous=FULL).
add_executable(bench_store_write ${CMAKE_CURRENT_LIST_DIR}/store_write_bench.cpp)
target_link_libraries(bench_store_write PRIVATE vigil::store vigil::options)
