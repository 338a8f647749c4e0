// The worklist (issue 23) through the real server: what a provider and a nurse have to do, each
// count and item written by hand from the issue and docs/notes.md. The fixture's clock reads
// 2027-01-15T08:00:00Z: 03:00 on the 15th in New York, 21:00 on the 15th in Auckland.

#include <Poco/JSON/Parser.h>

#include <boost/test/unit_test.hpp>

#include "api_fixture.hpp"
#include "vigil/core/time.hpp"

using namespace vigil;
using namespace vigil::web;
using namespace vigil::web::test;

namespace {

Poco::JSON::Object::Ptr parse(const std::string& body) {
  Poco::JSON::Parser p;
  return p.parse(body).extract<Poco::JSON::Object::Ptr>();
}

/// "alerts visits drafts cosign reviews cases total" of an answer's counts.
std::string countsOf(const Poco::JSON::Object::Ptr& counts) {
  std::string out;
  for (const char* k : {"alerts", "visits", "drafts", "cosign", "reviews", "cases", "total"})
    out += (out.empty() ? "" : " ") + std::to_string(counts->getValue<int>(k));
  return out;
}

std::string counts(ApiFixture& f, const Client& c, const std::string& tz = "") {
  auto r = f.request("GET", "/api/v1/worklist/counts" + (tz.empty() ? "" : "?tz=" + tz), &c);
  BOOST_REQUIRE_MESSAGE(r.status == 200, r.body);
  return countsOf(parse(r.body));
}

/// A video visit of patient A with the provider, starting at `startsAt` (UTC).
void visitAt(ApiFixture& f, const std::string& startsAt) {
  const auto t = core::toMillis(*core::parseRfc3339(startsAt));
  f.db->writeSync([&](store::Connection& c) {
    c.execute(
        "INSERT INTO visits (patient_id, provider_user_id, starts_at, ends_at, state, created_by, "
        "created_at) VALUES (?1, ?2, ?3, ?4, 'scheduled', ?2, ?3)",
        f.patientA, f.providerId, t, t + 1800000);
    const auto id = c.lastInsertRowid();
    c.execute(
        "INSERT INTO visit_participants (visit_id, user_id, role, invited_at) VALUES "
        "(?1, ?2, 'provider', ?3), (?1, ?4, 'patient', ?3)",
        id, f.providerId, t, f.patientUserId);
  });
}

std::int64_t audited(ApiFixture& f, const std::string& action) {
  return f.db->read([&](store::Connection& c) {
    return c.queryValue<std::int64_t>("SELECT count(*) FROM audit_log WHERE action = ?1", action)
        .value_or(-1);
  });
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ApiWorklist)

BOOST_AUTO_TEST_CASE(alerts_drafts_and_cosignatures_land_in_the_right_clinicians_lists) {
  ApiFixture f;
  auto provider = f.signIn(f.providerId);
  auto nurse = f.signIn(f.nurseId);
  // Alert A (high, patient A: both on A's care team) is nobody's yet: both see it. Alert B is
  // of a patient outside their care team.
  BOOST_TEST(counts(f, provider) == "1 0 0 0 0 0 1");
  BOOST_TEST(counts(f, nurse) == "1 0 0 0 0 0 1");

  // The nurse writes a note: her draft; submitted, it waits for the provider's co-signature.
  const auto notes = "/api/v1/patients/" + std::to_string(f.patientA) + "/notes";
  auto created = f.request("POST", notes, &nurse,
                           R"({"encounterKind":"phone_call","encounterRef":"2027-01-14",)"
                           R"("templateId":1})");
  BOOST_REQUIRE_MESSAGE(created.status == 201, created.body);
  BOOST_TEST(counts(f, nurse) == "1 0 1 0 0 0 2");
  BOOST_TEST(counts(f, provider) == "1 0 0 0 0 0 1");
  const auto noteId = parse(created.body)->getValue<std::int64_t>("id");
  BOOST_REQUIRE_EQUAL(f.request("POST", notes + "/" + std::to_string(noteId) + "/submit", &nurse,
                                R"({"baseVersion":1})")
                          .status,
                      200);
  BOOST_TEST(counts(f, nurse) == "1 0 0 0 0 0 1");
  BOOST_TEST(counts(f, provider) == "1 0 0 1 0 0 2");

  // The provider claims alert A: it stays his, and leaves the nurse's list.
  BOOST_REQUIRE_EQUAL(
      f.request("POST", "/api/v1/alerts/" + std::to_string(f.alertA) + "/claim", &provider, "{}")
          .status,
      200);
  BOOST_TEST(counts(f, provider) == "1 0 0 1 0 0 2");
  BOOST_TEST(counts(f, nurse) == "0 0 0 0 0 0 0");

  // The listing names the patient and says what each item is; it is audited, the counts not.
  const auto listed = audited(f, "worklist.read");
  const auto counted = audited(f, "worklist.count");
  auto r = f.request("GET", "/api/v1/worklist", &provider);
  BOOST_REQUIRE_MESSAGE(r.status == 200, r.body);
  auto items = parse(r.body)->getArray("items");
  BOOST_REQUIRE_EQUAL(items->size(), 2u);
  auto alert = items->getObject(0);
  BOOST_TEST(alert->getValue<std::string>("kind") == "alert");
  BOOST_TEST(alert->getValue<std::int64_t>("ref") == f.alertA);
  BOOST_TEST(alert->getValue<std::string>("patientName") == "Ana Silva");
  BOOST_TEST(alert->getValue<bool>("urgent"));
  auto cosign = items->getObject(1);
  BOOST_TEST(cosign->getValue<std::string>("kind") == "cosign");
  BOOST_TEST(cosign->getValue<std::int64_t>("ref") == noteId);
  BOOST_TEST(audited(f, "worklist.read") == listed + 1);
  counts(f, provider);
  BOOST_TEST(audited(f, "worklist.count") == counted);

  // Nobody else has a worklist; a zone that is not one is a 400.
  auto admin = f.signIn(f.adminActor.id);
  BOOST_TEST(f.request("GET", "/api/v1/worklist/counts", &admin).status == 403);
  auto patient = f.signIn(f.patientUserId);
  BOOST_TEST(f.request("GET", "/api/v1/worklist", &patient).status == 403);
  BOOST_TEST(f.request("GET", "/api/v1/worklist/counts?tz=Mars/Olympus", &provider).status == 400);
}

BOOST_AUTO_TEST_CASE(today_is_the_clinicians_own_day) {
  ApiFixture f;
  auto provider = f.signIn(f.providerId);
  // 04:00Z on the 15th: the 14th, 23:00 in New York; the 15th, 17:00 in Auckland.
  visitAt(f, "2027-01-15T04:00:00Z");
  // 20:00Z on the 15th: the 15th, 15:00 in New York; the 16th, 09:00 in Auckland.
  visitAt(f, "2027-01-15T20:00:00Z");
  // The 14th in every zone here: never today.
  visitAt(f, "2027-01-14T01:00:00Z");
  BOOST_TEST(counts(f, provider, "UTC") == "1 2 0 0 0 0 3");
  BOOST_TEST(counts(f, provider, "America/New_York") == "1 1 0 0 0 0 2");
  BOOST_TEST(counts(f, provider, "Pacific/Auckland") == "1 1 0 0 0 0 2");
  auto r = f.request("GET", "/api/v1/worklist?tz=America/New_York", &provider);
  BOOST_REQUIRE_EQUAL(r.status, 200);
  auto items = parse(r.body)->getArray("items");
  BOOST_TEST(items->getObject(1)->getValue<std::string>("kind") == "visit");
  BOOST_TEST(items->getObject(1)->getValue<std::string>("at") == "2027-01-15T20:00:00.000000Z");
}

BOOST_AUTO_TEST_CASE(an_enrolled_patient_is_due_a_monthly_review_until_one_is_signed) {
  ApiFixture f;
  auto provider = f.signIn(f.providerId);
  auto rpmDoc = f.consents->publish(f.adminActor, {patients::ConsentKind::rpm, "RPM consent",
                                                   "I agree to remote monitoring.", false});
  f.consents->sign({f.patientUserId, security::Role::patient, f.patientA}, f.patientA,
                   {rpmDoc.id, rpmDoc.sha256, "Ana Silva", true, "192.0.2.7"});
  f.rpm->enrol({f.providerId, security::Role::provider, std::nullopt}, f.patientA,
               {"I10", "Essential hypertension", {f.deviceA}, "2027-01-15"});
  BOOST_TEST(counts(f, provider) == "1 0 0 0 1 0 2");
  // A review of last month does not count for this one.
  const security::Actor lee{f.providerId, security::Role::provider, std::nullopt};
  std::int64_t rpm = 0;
  for (const auto& t : f.notes->templates(lee))
    if (t.key == "rpm_review") rpm = t.id;
  auto old = f.notes->create(lee, f.patientA, {notes::EncounterKind::rpm_review, "2026-12"}, rpm);
  f.notes->sign(lee, f.patientA, old.id, old.version);
  BOOST_TEST(counts(f, provider) == "1 0 0 0 1 0 2");
  // This month's: started, it is a draft to sign; signed, nothing is due.
  auto now = f.notes->create(lee, f.patientA, {notes::EncounterKind::rpm_review, "2027-01"}, rpm);
  BOOST_TEST(counts(f, provider) == "1 0 1 0 1 0 3");
  f.notes->sign(lee, f.patientA, now.id, now.version);
  BOOST_TEST(counts(f, provider) == "1 0 0 0 0 0 1");
}

BOOST_AUTO_TEST_SUITE_END()
