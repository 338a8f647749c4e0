// FHIR search parameters (daemon/fhir/src/search.cpp) and SMART system scopes
// (smart_scope.cpp). Expected ranges and matches are worked by hand from the R4 search page
// (https://hl7.org/fhir/R4/search.html#prefix: a value stands for the range its precision
// covers) and from the SMART scopes page (v1 read/write/*, v2 "cruds" subsets).
#include "vigil/fhir/search.hpp"

#include <boost/test/unit_test.hpp>

#include "vigil/core/time.hpp"
#include "vigil/fhir/smart_scope.hpp"

using namespace vigil;
using namespace vigil::fhir;

namespace {

TimePoint at(const char* rfc3339) {
  return *core::parseRfc3339(rfc3339);
}

bool hits(const char* param, const char* instant, const char* now = "2026-12-06T12:00:00Z") {
  return matches(parseDateParam("date", param), at(instant), at(now));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(FhirSearch)

BOOST_AUTO_TEST_CASE(a_value_covers_the_range_of_its_precision) {
  auto year = parseDateParam("date", "2026");
  BOOST_TEST(core::formatUtc(year.lo) == "2026-01-01T00:00:00.000000Z");
  BOOST_TEST(core::formatUtc(year.hi) == "2027-01-01T00:00:00.000000Z");
  auto month = parseDateParam("date", "2026-12");
  BOOST_TEST(core::formatUtc(month.lo) == "2026-12-01T00:00:00.000000Z");
  BOOST_TEST(core::formatUtc(month.hi) == "2027-01-01T00:00:00.000000Z");
  auto feb = parseDateParam("date", "2028-02");  // a leap year's February
  BOOST_TEST(core::formatUtc(feb.hi) == "2028-03-01T00:00:00.000000Z");
  auto day = parseDateParam("date", "ge2026-11-03");
  BOOST_TEST((day.prefix == DatePrefix::ge));
  BOOST_TEST(core::formatUtc(day.lo) == "2026-11-03T00:00:00.000000Z");
  BOOST_TEST(core::formatUtc(day.hi) == "2026-11-04T00:00:00.000000Z");
  auto minute = parseDateParam("date", "2026-11-03T10:15+02:00");
  BOOST_TEST(core::formatUtc(minute.lo) == "2026-11-03T08:15:00.000000Z");
  BOOST_TEST(core::formatUtc(minute.hi) == "2026-11-03T08:16:00.000000Z");
  auto second = parseDateParam("date", "lt2026-11-03T10:15:30Z");
  BOOST_TEST(core::formatUtc(second.hi) == "2026-11-03T10:15:31.000000Z");
  auto milli = parseDateParam("date", "2026-11-03T10:15:30.250Z");
  BOOST_TEST(core::formatUtc(milli.hi) == "2026-11-03T10:15:30.251000Z");
}

BOOST_AUTO_TEST_CASE(each_prefix_matches_as_the_spec_says_for_an_instant) {
  // The day 2026-11-15 is [11-15T00:00Z, 11-16T00:00Z).
  BOOST_TEST(hits("2026-11-15", "2026-11-15T00:00:00Z"));
  BOOST_TEST(hits("eq2026-11-15", "2026-11-15T23:59:59Z"));
  BOOST_TEST(!hits("2026-11-15", "2026-11-16T00:00:00Z"));
  BOOST_TEST(!hits("ne2026-11-15", "2026-11-15T12:00:00Z"));
  BOOST_TEST(hits("ne2026-11-15", "2026-11-14T23:59:59Z"));
  BOOST_TEST(hits("ne2026-11-15", "2026-11-16T00:00:00Z"));
  BOOST_TEST(!hits("gt2026-11-15", "2026-11-15T23:59:59Z"));  // inside the day: not above it
  BOOST_TEST(hits("gt2026-11-15", "2026-11-16T00:00:00Z"));
  BOOST_TEST(hits("sa2026-11-15", "2026-11-16T00:00:00Z"));
  BOOST_TEST(!hits("lt2026-11-15", "2026-11-15T00:00:00Z"));
  BOOST_TEST(hits("lt2026-11-15", "2026-11-14T23:59:59Z"));
  BOOST_TEST(hits("eb2026-11-15", "2026-11-14T23:59:59Z"));
  BOOST_TEST(hits("ge2026-11-15", "2026-11-15T00:00:00Z"));
  BOOST_TEST(!hits("ge2026-11-15", "2026-11-14T23:59:59Z"));
  BOOST_TEST(hits("le2026-11-15", "2026-11-15T23:59:59Z"));
  BOOST_TEST(!hits("le2026-11-15", "2026-11-16T00:00:00Z"));
  // ap: 10 % of the gap to now. 2026-11-06 is 30 days before now (12-06 midnight): 3 days
  // either side of the day, [11-03, 11-10).
  const char* midnight = "2026-12-06T00:00:00Z";
  BOOST_TEST(hits("ap2026-11-06", "2026-11-03T00:00:01Z", midnight));
  BOOST_TEST(!hits("ap2026-11-06", "2026-11-02T23:59:00Z", midnight));
  BOOST_TEST(hits("ap2026-11-06", "2026-11-09T23:59:00Z", midnight));
  BOOST_TEST(!hits("ap2026-11-06", "2026-11-10T00:00:01Z", midnight));
  // At least a day for a value close to now.
  BOOST_TEST(hits("ap2026-12-06", "2026-12-05T00:30:00Z"));
}

BOOST_AUTO_TEST_CASE(ne_is_two_intervals_and_the_others_one) {
  auto now = at("2026-12-06T12:00:00Z");
  BOOST_TEST(intervalsOf(parseDateParam("date", "ne2026"), now).size() == 2u);
  auto ge = intervalsOf(parseDateParam("date", "ge2026"), now);
  BOOST_REQUIRE(ge.size() == 1u);
  BOOST_TEST(!ge[0].to.has_value());
  BOOST_TEST(core::formatUtc(*ge[0].from) == "2026-01-01T00:00:00.000000Z");
}

BOOST_AUTO_TEST_CASE(malformed_dates_and_prefixes_are_refused_naming_the_parameter) {
  for (const char* bad : {"2026-13", "2026-11-31", "xx2026", "2026-11-03T10:15", "20261103", "",
                          "ge", "2026-11-03 10:15Z"}) {
    try {
      parseDateParam("date", bad);
      BOOST_ERROR("accepted " << bad);
    } catch (const FhirError& e) {
      BOOST_TEST(e.status == 400);
      BOOST_TEST(std::string(e.what()).starts_with("date:"));
    }
  }
}

BOOST_AUTO_TEST_CASE(query_strings_keep_repeated_parameters_in_order) {
  auto p = parseSearchParams(
      "patient=7&date=ge2026-11-01&date=lt2026-12-01&code=http%3A%2F%2Floinc.org%7C8867-4&_count="
      "2");
  BOOST_REQUIRE(p.size() == 5u);
  BOOST_TEST(valuesOf(p, "date").size() == 2u);
  BOOST_TEST(valuesOf(p, "date")[1] == "lt2026-12-01");
  BOOST_TEST(valuesOf(p, "code")[0] == "http://loinc.org|8867-4");
  BOOST_TEST(countOf(p) == 2u);
  BOOST_TEST(countOf({}) == 50u);
  BOOST_TEST(countOf({{"_count", "5000"}}) == 1000u);
  BOOST_CHECK_THROW(countOf({{"_count", "-1"}}), FhirError);
  BOOST_TEST(!newestFirstOf({{"_sort", "date"}}));
  BOOST_TEST(newestFirstOf({{"_sort", "-date"}}));
  BOOST_CHECK_THROW(newestFirstOf({{"_sort", "code"}}), FhirError);
}

BOOST_AUTO_TEST_CASE(references_and_page_tokens) {
  BOOST_TEST(referenceId("patient", "7", "Patient") == "7");
  BOOST_TEST(referenceId("patient", "Patient/7", "Patient") == "7");
  BOOST_TEST(referenceId("patient", "https://box/fhir/Patient/7", "Patient") == "7");
  BOOST_CHECK_THROW(referenceId("patient", "Device/7", "Patient"), FhirError);
  BOOST_CHECK_THROW(referenceId("patient", "07", "Patient"), FhirError);
  auto t = at("2026-11-15T10:00:00Z");
  auto token = keysetToken(t, 42);
  auto back = parseKeysetToken(token);
  BOOST_REQUIRE(back.has_value());
  BOOST_TEST((back->first == t));
  BOOST_TEST(back->second == 42);
  BOOST_TEST(!parseKeysetToken("k12").has_value());
  BOOST_TEST(!parseKeysetToken("o5").has_value());
  BOOST_TEST(parseOffsetToken(offsetToken(40)).value() == 40u);
  BOOST_TEST(!parseOffsetToken("k1.2").has_value());
}

BOOST_AUTO_TEST_CASE(system_scopes_in_both_forms) {
  auto v2 = parseSystemScope("system/Observation.rs");
  BOOST_REQUIRE(v2.has_value());
  BOOST_TEST(v2->read);
  BOOST_TEST(v2->search);
  BOOST_TEST(!v2->create);
  auto v1 = parseSystemScope("system/Observation.read");
  BOOST_REQUIRE(v1.has_value());
  BOOST_TEST((v1->read && v1->search && !v1->create));
  auto all = parseSystemScope("system/*.cruds");
  BOOST_REQUIRE(all.has_value());
  BOOST_TEST(all->text() == "system/*.cruds");
  BOOST_TEST(!parseSystemScope("patient/Observation.rs").has_value());
  BOOST_TEST(!parseSystemScope("system/Observation.sr").has_value());  // out of cruds order
  BOOST_TEST(!parseSystemScope("system/observation.rs").has_value());
  BOOST_TEST(!parseSystemScope("openid").has_value());
  ClientGrant grant{
      7, {*parseSystemScope("system/Observation.rs"), *parseSystemScope("system/Patient.r")}};
  BOOST_TEST(grant.allows("Observation", Interaction::search));
  BOOST_TEST(!grant.allows("Observation", Interaction::create));
  BOOST_TEST(grant.allows("Patient", Interaction::read));
  BOOST_TEST(!grant.allows("Patient", Interaction::search));
  BOOST_TEST(!grant.allows("Encounter", Interaction::read));
  // Asked for everything, registered for Observation read+search: Observation.rs.
  auto narrowed =
      narrowScopes("system/*.cruds openid", {*parseSystemScope("system/Observation.rs")});
  BOOST_REQUIRE(narrowed.size() == 1u);
  BOOST_TEST(narrowed[0].text() == "system/Observation.rs");
  // Asked for Observation.c only: nothing in common with rs.
  BOOST_TEST(
      narrowScopes("system/Observation.c", {*parseSystemScope("system/Observation.rs")}).empty());
  // Registered for everything, asked for Patient.read (v1): Patient.rs.
  auto v1only = narrowScopes("system/Patient.read", {*parseSystemScope("system/*.cruds")});
  BOOST_REQUIRE(v1only.size() == 1u);
  BOOST_TEST(v1only[0].text() == "system/Patient.rs");
}

BOOST_AUTO_TEST_SUITE_END()
