# bench_reading_storage (issue 28, "bytes per reading"): a year of readings for 1,000 patients
# stored under the 0036 schema and under the compact 0037 schema side by side, bytes per reading
# (dbstat) and the read latencies the layout affects (chart over 90 days, latest, alert warm-up).
add_executable(bench_reading_storage ${CMAKE_CURRENT_LIST_DIR}/reading_storage_bench.cpp)
target_link_libraries(bench_reading_storage PRIVATE vigil::ingest vigil::readings vigil::store
                                                    vigil::options)
