// The front desk and the staff pages by name (issue 21), through the real server: the front
// desk registers a patient and reads demographics without the clinical summary (no latest
// readings, no open-alert flags) and is refused readings; admins create front-desk users, who
// must set up two-step verification like other staff; the care-team listing names staff and
// patients and is audited; the device list names each device's patient. Expected names and
// roles are the fixture's, written out here by hand.

#include <Poco/JSON/Parser.h>

#include <boost/test/unit_test.hpp>

#include "api_fixture.hpp"

using namespace vigil;
using namespace vigil::web;
using namespace vigil::web::test;

namespace {

Poco::JSON::Object::Ptr parse(const std::string& body) {
  Poco::JSON::Parser p;
  return p.parse(body).extract<Poco::JSON::Object::Ptr>();
}

std::int64_t auditCount(ApiFixture& f, const std::string& action, const std::string& outcome,
                        std::int64_t actor) {
  return f.db
      ->read([&](store::Connection& c) {
        return c.queryValue<std::int64_t>(
            "SELECT count(*) FROM audit_log WHERE action = ?1 AND outcome = ?2 AND actor_id = ?3",
            action, outcome, actor);
      })
      .value_or(0);
}

/// The item of `items` whose `key` equals `value` (nullptr if none).
Poco::JSON::Object::Ptr itemWith(const Poco::JSON::Array::Ptr& items, const std::string& key,
                                 std::int64_t value) {
  for (std::size_t i = 0; i < items->size(); ++i) {
    auto o = items->getObject(static_cast<unsigned>(i));
    if (o->has(key) && !o->isNull(key) && o->getValue<std::int64_t>(key) == value) return o;
  }
  return nullptr;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ApiStaffUi)

BOOST_AUTO_TEST_CASE(front_desk_reads_demographics_without_latest_readings_or_alert_flags) {
  ApiFixture f;
  auto desk = f.signIn(f.frontDeskId);
  auto admin = f.signIn(f.adminActor.id);

  auto list = f.request("GET", "/api/v1/patients", &desk);
  BOOST_REQUIRE_MESSAGE(list.status == 200, list.body);
  auto items = parse(list.body)->getArray("items");
  auto ana = itemWith(items, "id", f.patientA);
  auto ben = itemWith(items, "id", f.patientB);
  BOOST_REQUIRE(ana);
  BOOST_REQUIRE(ben);  // every patient: not only a care team's
  BOOST_TEST(ana->getValue<std::string>("givenName") == "Ana");
  BOOST_TEST(ana->getValue<std::string>("mrn") == "MRN-A");
  BOOST_TEST(!ana->has("latest"));
  BOOST_TEST(!ana->has("openAlerts"));

  auto one = f.request("GET", "/api/v1/patients/" + std::to_string(f.patientA), &desk);
  BOOST_REQUIRE_MESSAGE(one.status == 200, one.body);
  auto record = parse(one.body);
  BOOST_TEST(record->getValue<std::string>("familyName") == "Silva");
  BOOST_TEST(!record->has("latest"));
  BOOST_TEST(!record->has("openAlerts"));

  // The admin (who reads readings) still sees the summary: patient A has one open alert.
  auto adminOne =
      parse(f.request("GET", "/api/v1/patients/" + std::to_string(f.patientA), &admin).body);
  BOOST_REQUIRE(adminOne->has("openAlerts"));
  BOOST_TEST(adminOne->getObject("openAlerts")->getValue<int>("count") == 1);
  BOOST_TEST(adminOne->has("latest"));
}

BOOST_AUTO_TEST_CASE(front_desk_registers_a_patient_and_is_refused_readings_notes_and_alerts) {
  ApiFixture f;
  auto desk = f.signIn(f.frontDeskId);
  auto created = f.request("POST", "/api/v1/patients", &desk,
                           R"({"mrn":"FD-1","givenName":"Rosa","familyName":"Diaz",)"
                           R"("birthDate":"1970-05-04","state":"CA"})");
  BOOST_REQUIRE_MESSAGE(created.status == 201, created.body);
  auto id = parse(created.body)->getValue<std::int64_t>("id");

  const auto before = auditCount(f, "reading.list", "denied", f.frontDeskId);
  for (auto patient : {id, f.patientA}) {
    auto readings = f.request(
        "GET", "/api/v1/patients/" + std::to_string(patient) + "/readings?code=85354-9", &desk);
    BOOST_TEST(readings.status == 403);
    BOOST_TEST(jsonField(readings.body, "error") == "forbidden");
    // Not even with an emergency reason: the front desk holds no clinical permission.
    auto glass =
        f.request("GET", "/api/v1/patients/" + std::to_string(patient) + "/readings?code=85354-9",
                  &desk, "", {{"X-Break-Glass-Reason", "the patient collapsed"}});
    BOOST_TEST(glass.status == 403);
  }
  BOOST_TEST(auditCount(f, "reading.list", "denied", f.frontDeskId) == before + 4);
  for (const std::string& path : {"/api/v1/patients/" + std::to_string(f.patientA) + "/alerts",
                                  "/api/v1/patients/" + std::to_string(f.patientA) + "/thresholds",
                                  "/api/v1/patients/" + std::to_string(f.patientA) + "/consents",
                                  std::string("/api/v1/alerts"), std::string("/api/v1/admin/audit"),
                                  std::string("/api/v1/admin/users")}) {
    auto r = f.request("GET", path, &desk);
    BOOST_CHECK_MESSAGE(r.status == 403, path << " answered " << r.status);
  }
}

BOOST_AUTO_TEST_CASE(the_live_stream_carries_no_reading_or_alert_to_the_front_desk) {
  ApiFixture f;
  auto desk = f.signIn(f.frontDeskId);
  auto admin = f.signIn(f.adminActor.id);
  auto origin = "http://127.0.0.1:" + std::to_string(f.port());
  auto [deskWs, deskStatus] = openEvents(f, desk, desk.csrf, origin);
  auto [adminWs, adminStatus] = openEvents(f, admin, admin.csrf, origin);
  BOOST_REQUIRE_EQUAL(deskStatus, 101);
  BOOST_REQUIRE_EQUAL(adminStatus, 101);
  BOOST_REQUIRE(nextText(*deskWs).find("\"hello\"") != std::string::npos);
  BOOST_REQUIRE(nextText(*adminWs).find("\"hello\"") != std::string::npos);
  auto alert = f.raise(f.patientA, 205);
  // The admin's stream has it: the event was published before the front desk's is read.
  auto seen = nextText(*adminWs);
  BOOST_TEST(jsonField(seen, "alertId") == std::to_string(alert));
  deskWs->setReceiveTimeout(Poco::Timespan(1, 0));
  std::string got;
  try {
    char buf[4096];
    int flags = 0;
    int n = deskWs->receiveFrame(buf, sizeof buf, flags);
    if (n > 0) got.assign(buf, static_cast<std::size_t>(n));
  } catch (const Poco::TimeoutException&) {
    // nothing came: as it should
  }
  BOOST_TEST(got.find("alert") == std::string::npos, got);
  deskWs->close();
  adminWs->close();
}

BOOST_AUTO_TEST_CASE(an_admin_creates_a_front_desk_user_who_must_set_up_two_step) {
  ApiFixture f;
  auto admin = f.signIn(f.adminActor.id);
  f.stepUp(admin, f.adminActor.id);
  auto created =
      f.request("POST", "/api/v1/admin/users", &admin,
                std::string(R"({"role":"front_desk","email":"desk2@clinic.example",)") +
                    R"("displayName":"Dee Desk","password":")" + ApiFixture::kPassword + "\"}");
  BOOST_REQUIRE_MESSAGE(created.status == 201, created.body);
  BOOST_TEST(jsonField(created.body, "role") == "front_desk");
  BOOST_TEST(jsonField(created.body, "mfaEnrolled") == "false");

  auto login =
      f.request("POST", "/api/v1/auth/login", nullptr, f.loginBody("desk2@clinic.example"));
  BOOST_TEST(jsonField(login.body, "status") == "mfa_enrolment_required");
  // Before enrolling, nothing but enrolment.
  Client half{ApiFixture::cookieFrom(login), jsonField(login.body, "csrf")};
  BOOST_TEST(f.request("GET", "/api/v1/patients", &half).status == 403);

  // The role list the Users form offers has the front desk, with two-step required.
  auto roles = parse(f.request("GET", "/api/v1/admin/roles", &admin).body)->getArray("roles");
  bool found = false;
  for (std::size_t i = 0; i < roles->size(); ++i) {
    auto r = roles->getObject(static_cast<unsigned>(i));
    if (r->getValue<std::string>("role") != "front_desk") continue;
    found = true;
    BOOST_TEST(r->getValue<bool>("mfa"));
  }
  BOOST_TEST(found);
}

BOOST_AUTO_TEST_CASE(an_initial_password_the_admin_chose_must_be_replaced_when_asked) {
  ApiFixture f;
  auto admin = f.signIn(f.adminActor.id);
  f.stepUp(admin, f.adminActor.id);
  auto body = [](const std::string& email, const std::string& flag) {
    return std::string(R"({"role":"nurse","email":")") + email +
           R"(","displayName":"Nell Nurse","password":")" + ApiFixture::kPassword +
           R"(","passwordChangeRequired":)" + flag + "}";
  };
  BOOST_TEST(f.request("POST", "/api/v1/admin/users", &admin, body("n1@clinic.example", R"("yes")"))
                 .status == 400);
  auto created =
      f.request("POST", "/api/v1/admin/users", &admin, body("n1@clinic.example", "true"));
  BOOST_REQUIRE_MESSAGE(created.status == 201, created.body);
  auto login = f.request("POST", "/api/v1/auth/login", nullptr, f.loginBody("n1@clinic.example"));
  BOOST_TEST(login.status == 200);
  BOOST_TEST(jsonField(login.body, "status") == "password_change_required");
  BOOST_TEST(ApiFixture::cookieFrom(login).empty());  // no session yet
  auto again = std::string(R"({"email":"n1@clinic.example","password":")") + ApiFixture::kPassword +
               R"(","newPassword":")";
  auto same =
      f.request("POST", "/api/v1/auth/login", nullptr, again + ApiFixture::kPassword + "\"}");
  BOOST_TEST(same.status == 422);
  auto changed = f.request("POST", "/api/v1/auth/login", nullptr,
                           again + "nurse chooses her own passphrase\"}");
  BOOST_TEST(jsonField(changed.body, "status") == "mfa_enrolment_required");
  BOOST_TEST(!ApiFixture::cookieFrom(changed).empty());
}

BOOST_AUTO_TEST_CASE(the_care_team_listing_names_staff_and_patients_and_is_audited) {
  ApiFixture f;
  auto admin = f.signIn(f.adminActor.id);
  const auto before = auditCount(f, "care_team.list", "success", f.adminActor.id);
  auto r = f.request("GET", "/api/v1/admin/care-teams", &admin);
  BOOST_REQUIRE_MESSAGE(r.status == 200, r.body);
  auto items = parse(r.body)->getArray("items");
  // The fixture's care team: Dr. Lee (provider) and Nurse Kim (nurse) on Ana Silva; nobody on B.
  BOOST_REQUIRE_EQUAL(items->size(), 2u);
  auto lee = itemWith(items, "staffUserId", f.providerId);
  auto kim = itemWith(items, "staffUserId", f.nurseId);
  BOOST_REQUIRE(lee);
  BOOST_REQUIRE(kim);
  BOOST_TEST(lee->getValue<std::string>("staffName") == "Dr. Lee");
  BOOST_TEST(lee->getValue<std::string>("staffRole") == "provider");
  BOOST_TEST(lee->getValue<std::string>("patientName") == "Ana Silva");
  BOOST_TEST(lee->getValue<std::int64_t>("patientId") == f.patientA);
  BOOST_TEST(kim->getValue<std::string>("staffRole") == "nurse");
  BOOST_TEST(auditCount(f, "care_team.list", "success", f.adminActor.id) == before + 1);

  // One patient's team; B has none.
  auto onlyB =
      f.request("GET", "/api/v1/admin/care-teams?patientId=" + std::to_string(f.patientB), &admin);
  BOOST_TEST(parse(onlyB.body)->getArray("items")->size() == 0u);
  BOOST_TEST(f.request("GET", "/api/v1/admin/care-teams?patientId=x", &admin).status == 400);

  // Added and removed, the listing follows.
  auto add = f.request("POST", "/api/v1/admin/care-teams", &admin,
                       R"({"staffUserId":)" + std::to_string(f.spareNurseId) + R"(,"patientId":)" +
                           std::to_string(f.patientB) + "}");
  BOOST_REQUIRE_MESSAGE(add.status == 204, add.body);
  auto withB = parse(f.request("GET", "/api/v1/admin/care-teams", &admin).body)->getArray("items");
  auto spare = itemWith(withB, "staffUserId", f.spareNurseId);
  BOOST_REQUIRE(spare);
  BOOST_TEST(spare->getValue<std::string>("staffName") == "Nurse Spare");
  BOOST_TEST(spare->getValue<std::string>("patientName") == "Ben Okoro");
  auto removed = f.request("DELETE",
                           "/api/v1/admin/care-teams/" + std::to_string(f.spareNurseId) + "/" +
                               std::to_string(f.patientB),
                           &admin);
  BOOST_TEST(removed.status == 204);
  auto after = parse(f.request("GET", "/api/v1/admin/care-teams", &admin).body)->getArray("items");
  BOOST_TEST(after->size() == 2u);
  BOOST_TEST(!itemWith(after, "staffUserId", f.spareNurseId));

  // Nobody else reads it.
  for (auto uid : {f.providerId, f.frontDeskId, f.patientUserId}) {
    auto c = f.signIn(uid);
    BOOST_TEST(f.request("GET", "/api/v1/admin/care-teams", &c).status == 403);
  }
}

BOOST_AUTO_TEST_CASE(a_patients_care_team_is_read_by_name_for_booking) {
  ApiFixture f;
  auto desk = f.signIn(f.frontDeskId);
  auto r = f.request("GET", "/api/v1/patients/" + std::to_string(f.patientA) + "/care-team", &desk);
  BOOST_REQUIRE_MESSAGE(r.status == 200, r.body);
  auto items = parse(r.body)->getArray("items");
  BOOST_REQUIRE_EQUAL(items->size(), 2u);
  auto lee = itemWith(items, "userId", f.providerId);
  BOOST_REQUIRE(lee);
  BOOST_TEST(lee->getValue<std::string>("displayName") == "Dr. Lee");
  BOOST_TEST(lee->getValue<std::string>("role") == "provider");
  BOOST_TEST(itemWith(items, "userId", f.nurseId)->getValue<std::string>("role") == "nurse");
  auto b = f.request("GET", "/api/v1/patients/" + std::to_string(f.patientB) + "/care-team", &desk);
  BOOST_TEST(parse(b.body)->getArray("items")->size() == 0u);
  BOOST_TEST(f.request("GET", "/api/v1/patients/999999/care-team", &desk).status == 404);
  // The patient reads their own team, not another's.
  auto patient = f.signIn(f.patientUserId);
  BOOST_TEST(
      f.request("GET", "/api/v1/patients/" + std::to_string(f.patientA) + "/care-team", &patient)
          .status == 200);
  BOOST_TEST(
      f.request("GET", "/api/v1/patients/" + std::to_string(f.patientB) + "/care-team", &patient)
          .status == 403);
}

BOOST_AUTO_TEST_CASE(the_device_list_names_each_devices_patient) {
  ApiFixture f;
  auto admin = f.signIn(f.adminActor.id);
  auto spare = f.devices->add({"bp-free", registry::DeviceKind::blood_pressure, "", "", ""}).id;
  auto r = f.request("GET", "/api/v1/admin/devices", &admin);
  BOOST_REQUIRE_MESSAGE(r.status == 200, r.body);
  auto items = parse(r.body)->getArray("items");
  auto a = itemWith(items, "id", f.deviceA);
  auto b = itemWith(items, "id", f.deviceB);
  auto free = itemWith(items, "id", spare);
  BOOST_REQUIRE(a);
  BOOST_REQUIRE(b);
  BOOST_REQUIRE(free);
  BOOST_TEST(a->getValue<std::string>("patientName") == "Ana Silva");
  BOOST_TEST(b->getValue<std::string>("patientName") == "Ben Okoro");
  BOOST_TEST(free->isNull("patientName"));
}

BOOST_AUTO_TEST_SUITE_END()
