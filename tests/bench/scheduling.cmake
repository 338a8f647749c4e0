# bench_scheduling (issue 22): bookings per second under contention (the real SchedulingService
# on a real SQLite file, against raw INSERTs with the same unique constraint) and slot search
# latency for a clinic of 50 providers over 90 days. Scheduling is built with video.
if(VIGIL_WITH_VIDEO)
  add_executable(bench_scheduling ${CMAKE_CURRENT_LIST_DIR}/scheduling_bench.cpp)
  target_link_libraries(bench_scheduling PRIVATE vigil::scheduling vigil::registry vigil::security
                                                 vigil::store vigil::options)
endif()
