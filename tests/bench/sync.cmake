# bench_sync: the cloud link's delivery rate to the stand-in over TLS and a backlog's drain time.
add_executable(bench_sync ${CMAKE_CURRENT_LIST_DIR}/sync_bench.cpp)
target_link_libraries(bench_sync PRIVATE vigil::sync vigil::security vigil::store
                                         vigil::testsupport vigil::options)
