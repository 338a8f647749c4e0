# bench_reports (issue 30): practice-report latency over a year of a large practice made by the
# demo seed's history generator (vigil/demo/practice_history.hpp), against the alert-response
# report of the same period. Visits and on-demand care come with video.
add_executable(bench_reports ${CMAKE_CURRENT_LIST_DIR}/reports_bench.cpp)
target_link_libraries(bench_reports PRIVATE vigil::analytics vigil::alerts vigil::demo
                                            vigil::security vigil::store vigil::options)
target_include_directories(bench_reports PRIVATE ${PROJECT_SOURCE_DIR}/daemon/demo/src)
if(VIGIL_WITH_VIDEO)
  target_compile_definitions(bench_reports PRIVATE VIGIL_WITH_VIDEO=1)
endif()
