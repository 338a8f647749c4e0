# bench_video: concurrent two-party visits through a real vigild's video relay (webrtcbin SFU),
# with webrtcbin clients in the bench process (tests/video's WebrtcTestClient), against the same
# clients connected directly.
if(TARGET vigild AND VIGIL_WITH_VIDEO)  # vigil::testsupport_box (tests/support) needs vigild
  pkg_check_modules(GST_BENCH_CLIENT REQUIRED IMPORTED_TARGET gstreamer-1.0 gstreamer-sdp-1.0
                    gstreamer-rtp-1.0 gstreamer-webrtc-1.0)
  add_executable(bench_video ${CMAKE_CURRENT_LIST_DIR}/video_bench.cpp
                             ${PROJECT_SOURCE_DIR}/tests/video/webrtc_test_client.cpp)
  target_include_directories(bench_video PRIVATE ${PROJECT_SOURCE_DIR}/tests/video)
  target_link_libraries(bench_video PRIVATE vigil::testsupport_box vigil::testsupport vigil::core
                                            PkgConfig::GST_BENCH_CLIENT Poco::Net Poco::JSON
                                            Poco::Foundation vigil::options)
endif()
