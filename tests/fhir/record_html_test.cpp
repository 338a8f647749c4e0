// The record's HTML page (daemon/fhir/src/record_html.cpp): every value escaped, no script,
// self-contained, what was left out said.
#include "vigil/fhir/record_html.hpp"

#include <boost/test/unit_test.hpp>

#include "vigil/core/time.hpp"

using namespace vigil;

BOOST_AUTO_TEST_SUITE(RecordHtml)

BOOST_AUTO_TEST_CASE(escapes_every_value_and_carries_no_script) {
  fhir::PatientRecordData data;
  data.record.demographics = {"Ana", "O'Neil & <b>Silva</b>", "1961-04-09", "UTC", ""};
  data.record.clinicalIncluded = true;
  patients::Medication m;
  m.name = "<script>alert(1)</script>";
  data.record.medications.push_back(m);
  data.readingsIncluded = true;
  auto html = fhir::recordHtml(data, *core::parseRfc3339("2026-12-01T00:00:00Z"));
  BOOST_TEST(html.find("<script") == std::string::npos);
  BOOST_TEST(html.find("&lt;script&gt;alert(1)&lt;/script&gt;") != std::string::npos);
  BOOST_TEST(html.find("O&#39;Neil &amp; &lt;b&gt;Silva&lt;/b&gt;") != std::string::npos);
  BOOST_TEST(html.find("<style>") != std::string::npos);
  BOOST_TEST(html.find("http") == std::string::npos);  // loads nothing
  BOOST_TEST(html.rfind("<!DOCTYPE html>", 0) == 0u);
}

BOOST_AUTO_TEST_CASE(says_what_the_copy_leaves_out) {
  fhir::PatientRecordData data;
  data.record.demographics = {"Ana", "Silva", "1961-04-09", "UTC", ""};
  auto html = fhir::recordHtml(data, *core::parseRfc3339("2026-12-01T00:00:00Z"));
  BOOST_TEST(html.find("Problems, medications and allergies are not included") !=
             std::string::npos);
  BOOST_TEST(html.find("Readings are not included") != std::string::npos);
  BOOST_TEST(html.find("Visits are not included") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(lists_visits_with_the_clinician_escaped) {
  fhir::PatientRecordData data;
  data.record.demographics = {"Ana", "Silva", "1961-04-09", "UTC", ""};
  data.visitsIncluded = true;
  video::Visit v;
  v.startsAt = *core::parseRfc3339("2026-11-20T15:00:00Z");
  v.endsAt = *core::parseRfc3339("2026-11-20T15:30:00Z");
  v.state = video::VisitState::ended;
  v.endedAt = *core::parseRfc3339("2026-11-20T15:22:00Z");
  data.visits.push_back({v, "Dr. <i>Lee</i>"});
  auto html = fhir::recordHtml(data, *core::parseRfc3339("2026-12-01T00:00:00Z"));
  BOOST_TEST(html.find("Video visits") != std::string::npos);
  BOOST_TEST(html.find("Dr. &lt;i&gt;Lee&lt;/i&gt;") != std::string::npos);
  BOOST_TEST(html.find("Held") != std::string::npos);
  BOOST_TEST(html.find("2026-11-20") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
