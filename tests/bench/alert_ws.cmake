# bench_alert_ws: publish → alert on a provider's WebSocket (real Mosquitto, real vigild, a fleet
# of simulated devices as load) against publish → subscribe on the same broker, same publishes.
if(TARGET vigild)  # vigil::testsupport_box (tests/support) needs it
  add_executable(bench_alert_ws ${CMAKE_CURRENT_LIST_DIR}/alert_ws_bench.cpp)
  target_link_libraries(bench_alert_ws PRIVATE vigil::fleet vigil::gateway vigil::testsupport_box
                                               vigil::testsupport_postgres vigil::testsupport vigil::core vigil::options)
endif()
