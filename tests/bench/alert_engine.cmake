# bench_alert_engine: observations judged per second by vigil::alerts with the default rules.
add_executable(bench_alert_engine ${CMAKE_CURRENT_LIST_DIR}/alert_engine_bench.cpp)
target_link_libraries(bench_alert_engine PRIVATE vigil::alerts vigil::testsupport_deadline vigil::options)
