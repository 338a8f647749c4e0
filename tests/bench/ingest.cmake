# bench_ingest: durable ingest (simulator → Mosquitto → vigild → SQLite → ack) against raw
# mosquitto_pub → mosquitto_sub, QoS 1 + TLS, 1 / 100 / 1,000 device connections.
if(TARGET vigild)  # vigil::testsupport_box (tests/support) needs it
  add_executable(bench_ingest ${CMAKE_CURRENT_LIST_DIR}/ingest_bench.cpp)
  target_link_libraries(bench_ingest PRIVATE vigil::fleet vigil::testsupport_box vigil::testsupport
                                             vigil::core vigil::options)
endif()
