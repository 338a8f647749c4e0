# bench_web_api: the portal API and static assets on the real server (TLS, real store with
# synchronous=FULL, security core, alerts), seeded, for tests/bench/web_bench.sh to load with wrk.
add_executable(bench_web_api ${CMAKE_CURRENT_LIST_DIR}/web_api_bench.cpp)
target_link_libraries(bench_web_api PRIVATE vigil::webapi vigil::options)
target_compile_definitions(bench_web_api PRIVATE VIGIL_PORTAL_DIR="${VIGIL_PORTAL_DIR}")
