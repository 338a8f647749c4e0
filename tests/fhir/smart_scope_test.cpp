// SMART system scopes (https://hl7.org/fhir/smart-app-launch/scopes-and-launch-context.html):
// expected results written by hand from the spec's scope grammar. v2: <context>/<type>.<perms>,
// perms a non-empty subset of c r u d s in that order; v1: read = rs, write = cud, * = cruds.
#include "vigil/fhir/smart_scope.hpp"

#include <boost/test/unit_test.hpp>

using namespace vigil::fhir;

namespace {

std::string texts(const std::vector<SystemScope>& scopes) {
  std::string out;
  for (const auto& s : scopes) out += (out.empty() ? "" : " ") + s.text();
  return out;
}

std::vector<SystemScope> registered(std::initializer_list<const char*> scopes) {
  std::vector<SystemScope> out;
  for (const char* s : scopes) out.push_back(*parseSystemScope(s));
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(SmartScope)

BOOST_AUTO_TEST_CASE(v2_scopes_parse_to_their_permissions) {
  auto s = parseSystemScope("system/Observation.rs");
  BOOST_REQUIRE(s.has_value());
  BOOST_TEST(s->resourceType == "Observation");
  BOOST_TEST((s->read && s->search && !s->create && !s->update && !s->remove));
  BOOST_TEST(s->text() == "system/Observation.rs");
  auto all = parseSystemScope("system/*.cruds");
  BOOST_REQUIRE(all.has_value());
  BOOST_TEST(all->resourceType == "*");
  BOOST_TEST((all->create && all->read && all->update && all->remove && all->search));
  BOOST_TEST(parseSystemScope("system/Patient.c")->text() == "system/Patient.c");
  BOOST_TEST(parseSystemScope("system/Patient.cs")->text() == "system/Patient.cs");
}

BOOST_AUTO_TEST_CASE(v1_scopes_read_as_their_v2_equivalents) {
  BOOST_TEST(parseSystemScope("system/Observation.read")->text() == "system/Observation.rs");
  BOOST_TEST(parseSystemScope("system/Observation.write")->text() == "system/Observation.cud");
  BOOST_TEST(parseSystemScope("system/*.*")->text() == "system/*.cruds");
  BOOST_TEST(parseSystemScope("system/*.read")->text() == "system/*.rs");
}

BOOST_AUTO_TEST_CASE(anything_but_a_well_formed_system_scope_is_refused) {
  for (const char* bad : {"patient/Observation.rs",
                          "user/Observation.read",
                          "openid",
                          "launch",
                          "fhirUser",
                          "offline_access",
                          "system/Observation",
                          "system/Observation.",
                          "system/Observation.sr",
                          "system/Observation.rr",
                          "system/Observation.x",
                          "system/observation.rs",
                          "system/.rs",
                          "system/Obs-ervation.rs",
                          "system/Observation.rs?category=vital-signs",
                          "System/Observation.rs",
                          "system/Observation.READ",
                          "",
                          "system/",
                          "system/*.rx"})
    BOOST_TEST(!parseSystemScope(bad).has_value(), bad);
}

BOOST_AUTO_TEST_CASE(a_grant_allows_what_its_scopes_say_for_their_types) {
  ClientGrant g;
  g.clientId = 7;
  g.scopes = registered({"system/Observation.rs", "system/Patient.r"});
  BOOST_TEST(g.allows("Observation", Interaction::read));
  BOOST_TEST(g.allows("Observation", Interaction::search));
  BOOST_TEST(!g.allows("Observation", Interaction::create));
  BOOST_TEST(g.allows("Patient", Interaction::read));
  BOOST_TEST(!g.allows("Patient", Interaction::search));
  BOOST_TEST(!g.allows("Device", Interaction::read));
  BOOST_TEST(g.scopeText() == "system/Observation.rs system/Patient.r");
  ClientGrant wild;
  wild.scopes = registered({"system/*.rs"});
  BOOST_TEST(wild.allows("Device", Interaction::search));
  BOOST_TEST(!wild.allows("Device", Interaction::create));
  BOOST_TEST(!ClientGrant{}.allows("Observation", Interaction::read));
}

BOOST_AUTO_TEST_CASE(narrowing_keeps_what_both_the_request_and_the_registration_grant) {
  // The brief's case: all of everything asked, one type registered: that type, its permissions.
  BOOST_TEST(texts(narrowScopes("system/*.cruds", registered({"system/Observation.rs"}))) ==
             "system/Observation.rs");
  BOOST_TEST(texts(narrowScopes("system/Observation.rs", registered({"system/*.rs"}))) ==
             "system/Observation.rs");
  BOOST_TEST(texts(narrowScopes("system/Observation.cruds",
                                registered({"system/Observation.rs"}))) == "system/Observation.rs");
  BOOST_TEST(texts(narrowScopes("system/Observation.r", registered({"system/Observation.rs"}))) ==
             "system/Observation.r");
  BOOST_TEST(texts(narrowScopes("system/Observation.read system/Patient.read",
                                registered({"system/Observation.rs", "system/Patient.r"}))) ==
             "system/Observation.rs system/Patient.r");
  BOOST_TEST(texts(narrowScopes("system/*.rs",
                                registered({"system/Observation.rs", "system/Patient.r"}))) ==
             "system/Observation.rs system/Patient.r");
  // A wildcard asked of a wildcard registration stays a wildcard.
  BOOST_TEST(texts(narrowScopes("system/*.rs", registered({"system/*.cruds"}))) == "system/*.rs");
}

BOOST_AUTO_TEST_CASE(narrowing_drops_what_was_not_registered_or_not_understood) {
  BOOST_TEST(narrowScopes("system/Patient.rs", registered({"system/Observation.rs"})).empty());
  BOOST_TEST(narrowScopes("system/Observation.c", registered({"system/Observation.rs"})).empty());
  BOOST_TEST(
      narrowScopes("patient/Observation.rs openid launch", registered({"system/*.cruds"})).empty());
  BOOST_TEST(narrowScopes("", registered({"system/*.cruds"})).empty());
  BOOST_TEST(texts(narrowScopes("  openid   system/Observation.rs  ",
                                registered({"system/Observation.rs"}))) == "system/Observation.rs");
}

BOOST_AUTO_TEST_CASE(narrowing_merges_one_type_asked_twice) {
  BOOST_TEST(texts(narrowScopes("system/Observation.r system/Observation.s",
                                registered({"system/Observation.rs"}))) == "system/Observation.rs");
}

BOOST_AUTO_TEST_SUITE_END()
