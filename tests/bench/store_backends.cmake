# bench_store_backends: ingest with vigild on SQLite and on PostgreSQL, same run (issue 29).
if(TARGET vigild)
  add_executable(bench_store_backends ${CMAKE_CURRENT_LIST_DIR}/store_backends_bench.cpp)
  target_link_libraries(bench_store_backends PRIVATE vigil::fleet vigil::testsupport_box
                        vigil::testsupport_postgres vigil::testsupport vigil::core vigil::options)
endif()
