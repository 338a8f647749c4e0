# bench_fhir (issue 26): the FHIR API's Observation search for one patient over 90 days and
# $everything for a patient with a year of readings, on the real FhirServer over a real store
# file, against raw SQL reads of the same rows in the same run.
add_executable(bench_fhir ${CMAKE_CURRENT_LIST_DIR}/fhir_bench.cpp)
target_link_libraries(bench_fhir PRIVATE vigil::fhir vigil::registry vigil::security vigil::store
                                         vigil::options)
