// The /api/v1/visits routes on the real server and gate (tests/web/api_fixture.hpp): every role
// on every route of one visit, answered as the access rules say (the gate checks the role, the
// visit service checks participation), and every route declares a catalogue permission.

#include "vigil/web/visit_routes.hpp"

#include <Poco/JSON/Parser.h>

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <string>
#include <vector>

#include "security_fixture.hpp"
#include "temp_dir.hpp"
#include "vigil/core/log.hpp"
#include "vigil/core/time.hpp"
#include "vigil/testsupport/deadline.hpp"
#include "vigil/video/recording.hpp"
#include "visit_api_fixture.hpp"

using namespace vigil;
using namespace vigil::web;
using namespace vigil::web::test;

using vigil::video::test::VisitApiFixture;

namespace {
Poco::JSON::Object::Ptr parse(const std::string& body) {
  Poco::JSON::Parser p;
  return p.parse(body).extract<Poco::JSON::Object::Ptr>();
}
}  // namespace

BOOST_FIXTURE_TEST_SUITE(VisitRoutesTest, VisitApiFixture)

BOOST_AUTO_TEST_CASE(every_visit_route_declares_a_catalogue_permission) {
  int visitRoutes = 0;
  for (const auto& r : router->routes()) {
    if (r.pattern.rfind("/api/v1/visits", 0) != 0) continue;
    ++visitRoutes;
    BOOST_TEST((r.access == Access::authenticated), r.pattern);
    BOOST_TEST(isDeclaredPermission(r.permission), r.method << " " << r.pattern);
  }
  BOOST_TEST(visitRoutes ==
             22);  // a new route gets its line in each_role_gets_what_the_rules_allow
}

BOOST_AUTO_TEST_CASE(each_role_gets_what_the_rules_allow) {
  const auto provider = providerId, nurse = nurseId, patient = patientUserId, admin = adminActor.id;
  // Anyone signed in lists their own visits.
  for (auto who : {provider, nurse, patient, admin})
    BOOST_TEST(call("GET", "/api/v1/visits", who) == 200);
  // Reading the visit: participants only (the nurse is on the care team but not invited; the
  // admin's role has no visit.join).
  BOOST_TEST(call("GET", visit(), provider) == 200);
  BOOST_TEST(call("GET", visit(), patient) == 200);
  BOOST_TEST(call("GET", visit(), nurse) == 403);
  BOOST_TEST(call("GET", visit(), admin) == 403);
  // Checking in (issue 22): the visit's patient says where they are; nobody else does.
  BOOST_TEST(call("POST", visit("/check-in"), patient, R"({"state":"CA"})") == 200);
  BOOST_TEST(call("POST", visit("/check-in"), patient, R"({"state":"Calif"})") == 422);
  BOOST_TEST(call("POST", visit("/check-in"), provider, R"({"state":"CA"})") == 403);
  BOOST_TEST(call("POST", visit("/check-in"), nurse, R"({"state":"CA"})") == 403);
  BOOST_TEST(call("POST", visit("/check-in"), admin, R"({"state":"CA"})") == 403);
  // The satisfaction survey (issue 30): the visit's patient only, once the visit has ended (it
  // has not: 409); staff never answer one.
  const std::string answer = R"({"rating":5,"recommend":10})";
  BOOST_TEST(call("POST", visit("/survey"), patient, answer) == 409);
  BOOST_TEST(call("POST", visit("/survey"), provider, answer) == 403);
  BOOST_TEST(call("POST", visit("/survey"), nurse, answer) == 403);
  BOOST_TEST(call("POST", visit("/survey"), admin, answer) == 403);
  // Joining: the provider is admitted, the patient waits, the others are refused.
  BOOST_TEST(call("POST", visit("/join"), provider) == 200);
  BOOST_TEST(call("POST", visit("/join"), patient) == 200);
  BOOST_TEST(call("POST", visit("/join"), nurse) == 403);
  BOOST_TEST(call("POST", visit("/join"), admin) == 403);
  // Admitting: the visit's provider only.
  const auto admitBody = "{\"userId\":" + std::to_string(patient) + "}";
  BOOST_TEST(call("POST", visit("/admit"), patient, admitBody) == 403);
  BOOST_TEST(call("POST", visit("/admit"), nurse, admitBody) == 403);
  BOOST_TEST(call("POST", visit("/admit"), admin, admitBody) == 403);
  BOOST_TEST(call("POST", visit("/admit"), provider, admitBody) == 200);
  // Inviting a caregiver or interpreter: the visit's provider only.
  const auto invite = "{\"userId\":" + std::to_string(spareNurseId) + ",\"role\":\"interpreter\"}";
  BOOST_TEST(call("POST", visit("/participants"), patient, invite) == 403);
  BOOST_TEST(call("POST", visit("/participants"), nurse, invite) == 403);
  BOOST_TEST(call("POST", visit("/participants"), admin, invite) == 403);
  BOOST_TEST(call("POST", visit("/participants"), provider, R"({"userId":1,"role":"doctor"})") ==
             400);
  BOOST_TEST(call("POST", visit("/participants"), provider, invite) == 201);
  BOOST_TEST(call("POST", visit("/participants"), provider, invite) == 403);  // already in
  // The list of visits to find recordings in: admins and staff who run visits; not patients.
  BOOST_TEST(call("GET", "/api/v1/visits/archive", admin) == 200);
  BOOST_TEST(call("GET", "/api/v1/visits/archive", provider) == 200);
  BOOST_TEST(call("GET", "/api/v1/visits/archive", nurse) == 200);
  BOOST_TEST(call("GET", "/api/v1/visits/archive", patient) == 403);
  // Chat and documents: participants in the room.
  for (auto who : {provider, patient}) {
    BOOST_TEST(call("POST", visit("/messages"), who, R"({"text":"hello"})") == 201);
    BOOST_TEST(call("GET", visit("/messages"), who) == 200);
    BOOST_TEST(call("GET", visit("/documents"), who) == 200);
  }
  // "%PDF-1.4" in base64.
  BOOST_TEST(call("POST", visit("/documents"), patient,
                  R"({"fileName":"a.pdf","contentBase64":"JVBERi0xLjQ="})") == 201);
  BOOST_TEST(call("GET", visit("/documents/1"), provider) == 200);
  for (auto who : {nurse, admin}) {
    BOOST_TEST(call("POST", visit("/messages"), who, R"({"text":"hi"})") == 403);
    BOOST_TEST(call("GET", visit("/messages"), who) == 403);
    BOOST_TEST(call("GET", visit("/documents"), who) == 403);
    BOOST_TEST(call("GET", visit("/documents/1"), who) == 403);
  }
  // Recording: only the visit's provider, only with every participant's consent.
  const std::string start = R"({"action":"start"})";
  BOOST_TEST(call("POST", visit("/recording"), provider, start) == 403);  // no consent yet
  visits.setRecordingConsent({spareNurseId, security::Role::nurse, std::nullopt}, visitId, true);
  BOOST_TEST(call("POST", visit("/consent"), provider, R"({"recording":true})") == 200);
  BOOST_TEST(call("POST", visit("/recording"), provider, start) == 403);  // the patient's missing
  BOOST_TEST(call("POST", visit("/consent"), patient, R"({"recording":true})") == 200);
  BOOST_TEST(call("POST", visit("/consent"), nurse, R"({"recording":true})") == 403);
  BOOST_TEST(call("POST", visit("/recording"), patient, start) == 403);
  BOOST_TEST(call("POST", visit("/recording"), nurse, start) == 403);
  BOOST_TEST(call("POST", visit("/recording"), provider, start) == 200);
  // Stopping by hand: the visit's provider only (participants withdraw consent instead).
  const std::string stop = R"({"action":"stop"})";
  BOOST_TEST(call("POST", visit("/recording"), nurse, stop) == 403);
  BOOST_TEST(call("POST", visit("/recording"), admin, stop) == 403);
  BOOST_TEST(call("POST", visit("/recording"), patient, stop) == 403);
  BOOST_TEST(call("POST", visit("/recording"), provider, stop) == 200);
  // Playing recordings back: the visit's provider and admins; not the patient, not a nurse
  // who is not the visit's provider.
  BOOST_TEST(call("GET", visit("/recordings"), provider) == 200);
  BOOST_TEST(call("GET", visit("/recordings"), admin) == 200);
  BOOST_TEST(call("GET", visit("/recordings"), patient) == 403);
  BOOST_TEST(call("GET", visit("/recordings"), nurse) == 403);
  BOOST_TEST(call("GET", visit("/recordings/user-1-1"), patient) == 403);
  BOOST_TEST(call("GET", visit("/recordings/user-1-1"), nurse) == 403);
  BOOST_TEST(call("GET", visit("/recordings/user-1-1"), provider) == 404);  // no such file
  // A document that is not a PDF or an image, and malformed input.
  BOOST_TEST(call("POST", visit("/documents"), patient,
                  R"({"fileName":"a.pdf","contentBase64":"PGh0bWw+"})") == 422);
  BOOST_TEST(call("POST", visit("/messages"), patient, R"({"text":5})") == 400);
  BOOST_TEST(call("GET", "/api/v1/visits/abc", provider) == 400);
  BOOST_TEST(call("GET", "/api/v1/visits/999", provider) == 404);
  // An admin's request to read the chat: not while the visit runs.
  const std::string why = R"({"reason":"complaint 2026-118 review"})";
  BOOST_TEST(call("POST", visit("/record-access"), admin, why) == 403);
  // Ending: the visit's provider only; then nobody joins.
  BOOST_TEST(call("POST", visit("/end"), patient) == 403);
  BOOST_TEST(call("POST", visit("/end"), nurse) == 403);
  BOOST_TEST(call("POST", visit("/end"), provider) == 200);
  BOOST_TEST(call("POST", visit("/join"), patient) == 403);
  // Afterwards admins read the chat and documents only by an audited request with a reason;
  // other roles cannot ask.
  BOOST_TEST(call("GET", visit("/messages"), admin) == 403);
  for (auto who : {provider, nurse, patient})
    BOOST_TEST(call("POST", visit("/record-access"), who, why) == 403);
  BOOST_TEST(call("POST", visit("/record-access"), admin, R"({"reason":" "})") == 422);
  BOOST_TEST(call("POST", visit("/record-access"), admin, R"({"reason":5})") == 400);
  BOOST_TEST(call("POST", visit("/record-access"), admin, why) == 200);
  BOOST_TEST(call("GET", visit("/messages"), admin) == 200);
  BOOST_TEST(call("GET", visit("/documents"), admin) == 200);
  BOOST_TEST(call("GET", visit("/messages"), nurse) == 403);
  // Scheduling: the care team; not a patient, not a provider outside the care team.
  const auto schedule = "{\"patientId\":" + std::to_string(patientA) +
                        ",\"providerUserId\":" + std::to_string(provider) +
                        ",\"patientUserId\":" + std::to_string(patient) +
                        ",\"startsAtMs\":" + std::to_string(core::toMillis(clock.now())) +
                        ",\"endsAtMs\":" + std::to_string(core::toMillis(clock.now()) + 600000) +
                        "}";
  BOOST_TEST(call("POST", "/api/v1/visits", patient, schedule) == 403);
  BOOST_TEST(call("POST", "/api/v1/visits", provider, schedule) == 201);
}

// Issue 21: the front desk schedules visits (with a clinician on the patient's care team) but
// takes no part in them: not the visit, its room, its chat, its recordings or the archive.
BOOST_AUTO_TEST_CASE(the_front_desk_schedules_a_visit_and_takes_no_part_in_it) {
  const auto desk = frontDeskId;
  const auto start = core::toMillis(clock.now() + std::chrono::hours(24));
  const auto body = "{\"patientId\":" + std::to_string(patientA) +
                    ",\"providerUserId\":" + std::to_string(providerId) +
                    ",\"startsAtMs\":" + std::to_string(start) +
                    ",\"endsAtMs\":" + std::to_string(start + 1800000) + "}";
  auto scheduled = request("POST", "/api/v1/visits", &clients.at(desk), body);
  BOOST_TEST(scheduled.status == 201, scheduled.body);
  // A clinician outside the patient's care team cannot be named, whoever schedules.
  const auto outside = "{\"patientId\":" + std::to_string(patientA) +
                       ",\"providerUserId\":" + std::to_string(spareNurseId) +
                       ",\"startsAtMs\":" + std::to_string(start) +
                       ",\"endsAtMs\":" + std::to_string(start + 1800000) + "}";
  BOOST_TEST(call("POST", "/api/v1/visits", desk, outside) == 422);
  BOOST_TEST(call("GET", visit(), desk) == 403);
  BOOST_TEST(call("POST", visit("/join"), desk) == 403);
  BOOST_TEST(call("GET", visit("/messages"), desk) == 403);
  BOOST_TEST(call("GET", visit("/documents"), desk) == 403);
  BOOST_TEST(call("GET", visit("/recordings"), desk) == 403);
  BOOST_TEST(call("POST", visit("/end"), desk) == 403);
  BOOST_TEST(call("GET", "/api/v1/visits/archive", desk) == 403);
}

// Issue 22: the visits list names whom each visit is with. Staff see the patient's name (each
// patient named audited as visit.list) and the provider's; the patient sees the provider's.
BOOST_AUTO_TEST_CASE(the_visits_list_names_the_patient_for_staff_and_the_provider_for_all) {
  const auto before = audited("visit.list");
  auto staff = request("GET", "/api/v1/visits", &clients.at(providerId));
  BOOST_REQUIRE_EQUAL(staff.status, 200);
  auto item = parse(staff.body)->getArray("visits")->getObject(0);
  BOOST_TEST(item->getValue<std::string>("patientName") == "Ana Silva");
  BOOST_TEST(item->getValue<std::string>("providerName") == "Dr. Lee");
  BOOST_TEST(audited("visit.list") == before + 1);

  auto own = request("GET", "/api/v1/visits", &clients.at(patientUserId));
  BOOST_REQUIRE_EQUAL(own.status, 200);
  auto mine = parse(own.body)->getArray("visits")->getObject(0);
  BOOST_TEST(!mine->has("patientName"));
  BOOST_TEST(mine->getValue<std::string>("providerName") == "Dr. Lee");
  BOOST_TEST(audited("visit.list") == before + 1);
}

BOOST_AUTO_TEST_CASE(the_visit_archive_shows_admins_every_visit_and_staff_only_their_own) {
  // A second visit, run by the nurse (scheduled by the admin), and a recording of the first.
  video::NewVisit nv;
  nv.patientId = patientA;
  nv.providerUserId = nurseId;
  nv.patientUserId = patientUserId;
  nv.startsAt = clock.now() + std::chrono::hours(48);
  nv.endsAt = nv.startsAt + std::chrono::minutes(20);
  const auto second = visits.schedule(adminActor, nv);
  const auto recBytes = std::filesystem::file_size(
      writeRecording(providerId, "1700000000000", {std::string(5000, 'r')}));
  auto list = [&](std::int64_t who, const std::string& q = "") {
    return request("GET", "/api/v1/visits/archive" + q, &clients.at(who));
  };
  auto admin = list(adminActor.id);
  BOOST_TEST(admin.status == 200);
  BOOST_TEST(jsonField(admin.body, "total") == "2", admin.body);
  // Newest first: the nurse's visit (in two days), then the provider's with its recording.
  const auto firstId = admin.body.find("\"id\":" + std::to_string(second));
  const auto secondId = admin.body.find("\"id\":" + std::to_string(visitId));
  BOOST_TEST((firstId != std::string::npos && secondId != std::string::npos && firstId < secondId),
             admin.body);
  BOOST_TEST(admin.body.find("\"recordingBytes\":" + std::to_string(recBytes) +
                             ",\"recordings\":1,") != std::string::npos,
             admin.body);
  BOOST_TEST(admin.body.find("\"providerName\":\"Dr. Lee\"") != std::string::npos, admin.body);
  // The patient by display name (issue 21: staff pages by name), never the MRN or birth date.
  BOOST_TEST(admin.body.find("\"patientName\":\"Ana Silva\"") != std::string::npos, admin.body);
  BOOST_TEST(admin.body.find("MRN-A") == std::string::npos);
  BOOST_TEST(admin.body.find("1956-03-02") == std::string::npos);
  // Staff see only the visits they run.
  auto provider = list(providerId);
  BOOST_TEST(jsonField(provider.body, "total") == "1", provider.body);
  BOOST_TEST(provider.body.find("\"id\":" + std::to_string(visitId)) != std::string::npos);
  auto nurse = list(nurseId);
  BOOST_TEST(jsonField(nurse.body, "total") == "1", nurse.body);
  BOOST_TEST(nurse.body.find("\"id\":" + std::to_string(second)) != std::string::npos);
  BOOST_TEST(list(patientUserId).status == 403);
  // Filters: with recordings only, a date range, pages.
  auto recorded = list(adminActor.id, "?recorded=true");
  BOOST_TEST(jsonField(recorded.body, "total") == "1", recorded.body);
  BOOST_TEST(recorded.body.find("\"id\":" + std::to_string(visitId)) != std::string::npos);
  BOOST_TEST(jsonField(list(adminActor.id, "?recorded=false").body, "total") == "1");
  const auto now = core::toMillis(clock.now());
  auto later = list(adminActor.id, "?from=" + std::to_string(now + 3600000));
  BOOST_TEST(jsonField(later.body, "total") == "1", later.body);
  BOOST_TEST(later.body.find("\"id\":" + std::to_string(second)) != std::string::npos);
  auto before = list(adminActor.id, "?to=" + std::to_string(now + 3600000));
  BOOST_TEST(before.body.find("\"id\":" + std::to_string(visitId)) != std::string::npos);
  BOOST_TEST(jsonField(before.body, "total") == "1", before.body);
  BOOST_TEST(jsonField(list(adminActor.id, "?from=2001-01-01&to=2001-01-02").body, "total") == "0");
  auto page2 = list(adminActor.id, "?pageSize=1&page=2");
  BOOST_TEST(jsonField(page2.body, "total") == "2");
  BOOST_TEST(page2.body.find("\"id\":" + std::to_string(visitId)) != std::string::npos, page2.body);
  BOOST_TEST(page2.body.find("\"id\":" + std::to_string(second)) == std::string::npos);
  BOOST_TEST(list(adminActor.id, "?from=yesterday").status == 400);
  BOOST_TEST(list(adminActor.id, "?pageSize=0").status == 400);
  BOOST_TEST(list(adminActor.id, "?recorded=maybe").status == 400);
  // Every call is audited by the visit service (who, allowed or not, how many shown) besides
  // the gate's entry; the patient's refusal too.
  BOOST_TEST(audited("visit.archive", "admin") == 7);
  BOOST_TEST(audited("visit.archive", "own_visits") == 2);
  const auto refused = db->read([&](store::Connection& c) {
    return c
        .queryValue<std::int64_t>(
            "SELECT count(*) FROM audit_log WHERE action = 'visit.archive' AND outcome = "
            "'denied' AND actor_id = ?1",
            patientUserId)
        .value_or(0);
  });
  BOOST_TEST(refused == 1);  // the gate refuses the role before the service is asked
  BOOST_TEST(audit->verify(*db).ok);
}

BOOST_AUTO_TEST_CASE(the_visits_provider_invites_by_email_without_revealing_who_has_an_account) {
  std::mutex logMutex;
  std::string logged;
  log::setSink([&](std::string_view line) {
    std::lock_guard lock(logMutex);
    logged.append(line).append("\n");
  });
  const auto otherProvider = user(security::Role::provider, "dr.other@clinic.example", "Dr. Other");
  const auto gone = user(security::Role::nurse, "nurse.gone@clinic.example", "Nurse Gone");
  accounts->disableUser(adminActor, gone);
  clients[otherProvider] = signIn(otherProvider);
  auto invite = [&](std::int64_t who, const std::string& email, const std::string& role) {
    return request("POST", visit("/participants"), &clients.at(who),
                   "{\"email\":\"" + email + "\",\"role\":\"" + role + "\"}");
  };
  const std::string spare = " Nurse.Spare@Clinic.Example ";  // as typed: case and blanks
  std::vector<std::string> answers;

  // Only the visit's provider: not the patient, a nurse of the care team, the admin or another
  // provider; nobody is added.
  for (auto who : {patientUserId, nurseId, adminActor.id, otherProvider}) {
    auto r = invite(who, spare, "caregiver");
    BOOST_TEST(r.status == 403, who);
    answers.push_back(r.body);
  }
  BOOST_TEST(visits.find(visitId)->participant(spareNurseId) == nullptr);
  // Exactly one of userId and email, as a string that looks like an address.
  const auto both = "{\"userId\":" + std::to_string(spareNurseId) +
                    ",\"email\":\"nurse.spare@clinic.example\",\"role\":\"caregiver\"}";
  BOOST_TEST(call("POST", visit("/participants"), providerId, both) == 400);
  BOOST_TEST(call("POST", visit("/participants"), providerId, R"({"role":"caregiver"})") == 400);
  BOOST_TEST(call("POST", visit("/participants"), providerId,
                  R"({"email":42,"role":"caregiver"})") == 400);
  BOOST_TEST(call("POST", visit("/participants"), providerId,
                  R"({"email":"","role":"caregiver"})") == 400);
  BOOST_TEST(invite(providerId, spare, "doctor").status == 400);

  // An unknown address, an admin's (a role that may not be invited) and a disabled user's get
  // the same answer, word for word.
  const auto unknown = invite(providerId, "nobody@clinic.example", "interpreter");
  BOOST_TEST(unknown.status == 403);
  BOOST_TEST(jsonField(unknown.body, "message") == "no_such_user", unknown.body);
  for (const std::string email : {"admin@clinic.example", "nurse.gone@clinic.example"}) {
    auto r = invite(providerId, email, "interpreter");
    BOOST_TEST(r.status == unknown.status);
    BOOST_TEST(r.body == unknown.body);
    answers.push_back(r.body);
  }

  // The provider invites the spare nurse as a caregiver; the visit lists them by name.
  auto ok = invite(providerId, spare, "caregiver");
  BOOST_TEST(ok.status == 201, ok.body);
  BOOST_TEST(jsonField(ok.body, "userId") == std::to_string(spareNurseId), ok.body);
  BOOST_TEST(jsonField(ok.body, "recordingStopped") == "false", ok.body);
  const auto invited = visits.find(visitId);
  BOOST_REQUIRE(invited.has_value());
  const auto* p = invited->participant(spareNurseId);
  BOOST_REQUIRE(p != nullptr);
  BOOST_TEST((p->role == video::ParticipantRole::caregiver));
  const auto seen = request("GET", visit(), &clients.at(providerId)).body;
  BOOST_TEST(seen.find("\"displayName\":\"Nurse Spare\"") != std::string::npos, seen);
  auto again = invite(providerId, "nurse.spare@clinic.example", "interpreter");
  BOOST_TEST(again.status == 403);
  BOOST_TEST(jsonField(again.body, "message") == "already_participant", again.body);
  answers.push_back(ok.body);
  answers.push_back(again.body);
  log::setSink(nullptr);

  // Every decision is audited by the visit service (the gate refuses the patient's role first);
  // no address anywhere: not in the audit log, the log or an answer.
  auto invites = [&](const std::string& outcome, const std::string& reason) {
    return db->read([&](store::Connection& c) {
      return c
          .queryValue<std::int64_t>(
              "SELECT count(*) FROM audit_log WHERE action = 'visit.invite' AND outcome = ?1 "
              "AND reason = ?2 AND object_id = ?3",
              outcome, reason, std::to_string(visitId))
          .value_or(0);
    });
  };
  BOOST_TEST(invites("success", "caregiver") == 1);
  BOOST_TEST(invites("denied", "not_visit_provider") == 3);
  BOOST_TEST(invites("denied", "no_such_user") == 3);
  BOOST_TEST(invites("denied", "already_participant") == 1);
  const auto withAddress = db->read([&](store::Connection& c) {
    return c
        .queryValue<std::int64_t>(
            "SELECT count(*) FROM audit_log WHERE action LIKE 'visit.%' AND (instr(reason, '@') > "
            "0 "
            "OR instr(object_id, '@') > 0 OR instr(lower(reason), 'clinic.example') > 0)")
        .value_or(-1);
  });
  BOOST_TEST(withAddress == 0);
  BOOST_TEST(audit->verify(*db).ok);
  for (const std::string needle : {"clinic.example", "nobody", "Nurse.Spare", "nurse.gone"}) {
    BOOST_TEST(logged.find(needle) == std::string::npos, needle << " in " << logged);
    for (const auto& a : answers) BOOST_TEST(a.find(needle) == std::string::npos, a);
  }
}

BOOST_AUTO_TEST_CASE(invitations_are_limited_per_staff_user_so_addresses_cannot_be_swept) {
  const auto otherProvider = user(security::Role::provider, "dr.sweep@clinic.example", "Dr. Sweep");
  clients[otherProvider] = signIn(otherProvider);
  auto invite = [&](std::int64_t who, int n) {
    return request(
        "POST", visit("/participants"), &clients.at(who),
        "{\"email\":\"probe" + std::to_string(n) + "@clinic.example\",\"role\":\"caregiver\"}");
  };
  // 30 answers in 10 minutes (unknown addresses: 403 each), then 429 without a lookup.
  for (int i = 0; i < 30; ++i) BOOST_TEST(invite(providerId, i).status == 403, i);
  auto limited = invite(providerId, 30);
  BOOST_TEST(limited.status == 429);
  BOOST_TEST(limited.body.find("rate_limited") != std::string::npos);
  BOOST_TEST(limited.body.find("probe") == std::string::npos);
  // Another staff user is not held back by the first one's attempts.
  BOOST_TEST(invite(otherProvider, 31).status == 403);
  // Ten minutes on, the provider may invite again.
  clock.advance(std::chrono::minutes(10));
  BOOST_TEST(invite(providerId, 32).status == 403);
}

BOOST_AUTO_TEST_CASE(participants_see_each_others_display_names) {
  auto r = request("GET", visit(), &clients.at(patientUserId));
  BOOST_TEST(r.status == 200);
  const auto provider = accounts->findUser(providerId);
  BOOST_REQUIRE(provider.has_value());
  BOOST_TEST(r.body.find("\"displayName\":\"" + provider->displayName + "\"") != std::string::npos,
             r.body);
  // The list of one's visits carries no names.
  BOOST_TEST(
      request("GET", "/api/v1/visits", &clients.at(patientUserId)).body.find("displayName") ==
      std::string::npos);
}

BOOST_AUTO_TEST_CASE(consent_changes_and_recording_start_wait_for_each_other) {
  // Everyone consents; the provider starts the recording while the patient withdraws. The
  // consent check and the start are one step, and so are a withdrawal and the stop it causes:
  // whatever the order, no recording runs without the patient's consent.
  BOOST_REQUIRE(call("POST", visit("/join"), providerId) == 200);
  BOOST_REQUIRE(call("POST", visit("/join"), patientUserId) == 200);
  BOOST_REQUIRE(call("POST", visit("/admit"), providerId,
                     "{\"userId\":" + std::to_string(patientUserId) + "}") == 200);
  BOOST_REQUIRE(call("POST", visit("/consent"), providerId, R"({"recording":true})") == 200);
  BOOST_REQUIRE(call("POST", visit("/consent"), patientUserId, R"({"recording":true})") == 200);

  std::future<int> start, withdraw;
  {
    // While a decision is being made (held here), neither request gets past its check.
    const auto held = visits.recordingDecision();
    start = std::async(std::launch::async, [&] {
      return call("POST", visit("/recording"), providerId, R"({"action":"start"})");
    });
    withdraw = std::async(std::launch::async, [&] {
      return call("POST", visit("/consent"), patientUserId, R"({"recording":false})");
    });
    BOOST_TEST((start.wait_for(std::chrono::milliseconds(300)) == std::future_status::timeout));
    BOOST_TEST((withdraw.wait_for(std::chrono::milliseconds(0)) == std::future_status::timeout));
    BOOST_TEST(!rooms.isRecording(visitId));
  }
  const int started = testsupport::getWithin(start, std::chrono::seconds(20), "the start");
  const int withdrawn =
      testsupport::getWithin(withdraw, std::chrono::seconds(20), "the withdrawal");
  BOOST_TEST(withdrawn == 200);
  // Either the start came first (200) and the withdrawal stopped it, or the withdrawal came
  // first and the start was refused for the missing consent (403).
  BOOST_TEST((started == 200 || started == 403), started);
  BOOST_TEST(!rooms.isRecording(visitId));
  const auto after = visits.find(visitId);
  BOOST_REQUIRE(after.has_value());
  BOOST_TEST(!after->participant(patientUserId)->recordingConsentAt.has_value());
}

BOOST_AUTO_TEST_CASE(recording_playback_decrypts_serves_ranges_and_is_audited) {
  // A recording as VideoRooms names and seals it: three chunks (256 KiB each but the last).
  std::string plain(600 * 1024, '\0');
  for (std::size_t i = 0; i < plain.size(); ++i)
    plain[i] = static_cast<char>((i * 2654435761u) >> 13);
  // It starts as a WebM file does: the EBML header with DocType "webm".
  const std::string ebml("\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm", 16);
  plain.replace(0, ebml.size(), ebml);
  writeRecording(patientUserId, "1700000000000", {plain.substr(0, 1000), plain.substr(1000)});
  const auto recId = "user-" + std::to_string(patientUserId) + "-1700000000000";
  auto& provider = clients.at(providerId);

  auto list = request("GET", visit("/recordings"), &provider);
  BOOST_TEST(list.status == 200);
  BOOST_TEST(list.body.find("\"id\":\"" + recId + "\"") != std::string::npos, list.body);

  auto whole = request("GET", visit("/recordings/" + recId), &provider);
  BOOST_TEST(whole.status == 200);
  BOOST_TEST(whole.headers["Content-Type"] == "video/webm");
  BOOST_TEST(whole.headers["Accept-Ranges"] == "bytes");
  BOOST_TEST((whole.body == plain));

  // A range across the first chunk boundary, an open range (capped to what is left), a suffix.
  auto part = request("GET", visit("/recordings/" + recId), &provider, "",
                      {{"Range", "bytes=262100-262199"}});
  BOOST_TEST(part.status == 206);
  BOOST_TEST((part.body == plain.substr(262100, 100)));
  BOOST_TEST(part.headers["Content-Range"] ==
             "bytes 262100-262199/" + std::to_string(plain.size()));
  auto tail =
      request("GET", visit("/recordings/" + recId), &provider, "", {{"Range", "bytes=600000-"}});
  BOOST_TEST(tail.status == 206);
  BOOST_TEST((tail.body == plain.substr(600000)));
  auto suffix =
      request("GET", visit("/recordings/" + recId), &provider, "", {{"Range", "bytes=-10"}});
  BOOST_TEST((suffix.body == plain.substr(plain.size() - 10)));
  auto beyond =
      request("GET", visit("/recordings/" + recId), &provider, "", {{"Range", "bytes=9999999-"}});
  BOOST_TEST(beyond.status == 416);
  BOOST_TEST(beyond.headers["Content-Range"] == "bytes */" + std::to_string(plain.size()));

  // The patient may not play it (the gate refuses the role), nor a nurse of the care team who
  // is not the visit's provider (the visit service refuses).
  BOOST_TEST(call("GET", visit("/recordings/" + recId), patientUserId) == 403);
  BOOST_TEST(call("GET", visit("/recordings/" + recId), nurseId) == 403);

  // Every playback and the refusal are in the audit log, with ids only.
  auto count = [&](const std::string& outcome, std::int64_t actor) {
    return db->read([&](store::Connection& c) {
      return c
          .queryValue<std::int64_t>(
              "SELECT count(*) FROM audit_log WHERE action = 'visit.recording_play' AND "
              "outcome = ?1 AND actor_id = ?2 AND patient_id = ?3",
              outcome, actor, patientA)
          .value_or(0);
    });
  };
  BOOST_TEST(count("success", providerId) == 5);
  BOOST_TEST(count("denied", nurseId) == 1);
  const auto gateDenials = db->read([&](store::Connection& c) {
    return c
        .queryValue<std::int64_t>(
            "SELECT count(*) FROM audit_log WHERE action = 'visit.recording_play' AND "
            "outcome = 'denied' AND actor_id = ?1",
            patientUserId)
        .value_or(0);
  });
  BOOST_TEST(gateDenials == 1);
  BOOST_TEST(audit->verify(*db).ok);

  // Ids that are not a recording of this visit's form find nothing (no path in the URL).
  BOOST_TEST(call("GET", visit("/recordings/..%2F..%2Fvigil.db"), providerId) == 404);
  BOOST_TEST(call("GET", visit("/recordings/user-x-1"), providerId) == 404);
}

BOOST_AUTO_TEST_CASE(a_tampered_recording_is_not_served) {
  const auto file = writeRecording(providerId, "5", {std::string(1000, 'x')});
  {
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(100);
    f.put('!');
  }
  const auto path = visit("/recordings/user-" + std::to_string(providerId) + "-5");
  BOOST_TEST(call("GET", path, providerId) == 500);
}

BOOST_AUTO_TEST_CASE(requests_without_a_session_or_csrf_are_refused) {
  BOOST_TEST(request("GET", visit(), nullptr).status == 401);
  Client noCsrf = clients.at(providerId);
  noCsrf.csrf.clear();
  BOOST_TEST(request("POST", visit("/join"), &noCsrf, "{}").status == 403);
}

BOOST_AUTO_TEST_CASE(typed_text_never_reaches_the_database_file_in_clear) {
  // Every write path that takes text a person types, each with its own canary; afterwards the
  // database and WAL bytes hold none of them, and the services still read each back.
  const std::string canary = "Quokkacanary";
  auto text = [&](int n) { return canary + std::to_string(n); };
  const auto provider = providerId;
  auto must = [&](const std::string& method, const std::string& path, std::int64_t who,
                  const std::string& body) {
    auto reply = request(method, path, &clients.at(who), body);
    BOOST_TEST_REQUIRE((reply.status >= 200 && reply.status < 300),
                       method << " " << path << ": " << reply.status << " " << reply.body);
    return reply.body;
  };
  auto alert = "/api/v1/alerts/" + std::to_string(alertA);
  must("POST", alert + "/escalate", provider, R"({"note":")" + text(1) + "\"}");
  must("POST", alert + "/claim", provider, "{}");
  must("POST", alert + "/resolve", provider, R"({"note":")" + text(2) + "\"}");
  const auto second = raise(patientA, 184, "bp.diastolic.high");
  const auto until = std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        (clock.now() + std::chrono::hours(4)).time_since_epoch())
                                        .count());
  must("POST", "/api/v1/alerts/" + std::to_string(second) + "/snooze", provider,
       R"({"reason":")" + text(3) + R"(","until":")" + until + "\"}");
  // The daemon journals limit changes (restoreAlerts wires this); so does this test.
  rules->setChangeSink([this](const alerts::RuleChange& ch) { alertStore->ruleChanged(ch); });
  must("PUT", "/api/v1/patients/" + std::to_string(patientA) + "/thresholds", provider,
       R"({"reason":")" + text(4) +
           R"(","rules":[{"key":"bp.systolic.high","tiers":[{"limit":170},{"limit":185}]}]})");
  const auto from = std::to_string(
      std::chrono::duration_cast<std::chrono::milliseconds>(clock.now().time_since_epoch())
          .count());
  must("POST", "/api/v1/escalation/coverage", adminActor.id,
       R"({"userId":)" + std::to_string(providerId) + R"(,"coveredBy":)" + std::to_string(nurseId) +
           R"(,"from":")" + from + R"(","until":")" + until + R"(","note":")" + text(5) + "\"}");
  // Chat and documents need the room: the provider joins, the patient joins and is admitted.
  must("POST", visit("/join"), provider, "");
  must("POST", visit("/join"), patientUserId, "");
  must("POST", visit("/admit"), provider, "{\"userId\":" + std::to_string(patientUserId) + "}");
  must("POST", visit("/messages"), provider, R"({"text":")" + text(6) + "\"}");
  // "%PDF-1.4 Quokkacanary8" in base64; the file name carries canary 7.
  must("POST", visit("/documents"), patientUserId,
       R"({"fileName":")" + text(7) +
           R"(.pdf","contentBase64":"JVBERi0xLjQgUXVva2thY2FuYXJ5OA=="})");
  must("POST", "/api/v1/patients", adminActor.id,
       R"({"mrn":"QC-)" + std::to_string(9) + R"(","givenName":")" + text(10) +
           R"(","familyName":")" + text(11) + R"(","birthDate":"1950-02-03"})");
  alertStore->flush();

  // Stored (readable through the services), not dropped.
  auto history = alertStore->history(alertA);
  std::string noted;
  for (const auto& e : history) noted += e.note + "|";
  BOOST_TEST(noted.find(text(1)) != std::string::npos, noted);
  BOOST_TEST(noted.find(text(2)) != std::string::npos, noted);
  BOOST_TEST(alertStore->alert(alertA)->resolutionNote == text(2));
  bool snoozed = false;
  for (const auto& sup : alertStore->activeSuppressions(clock.now()))
    snoozed = snoozed || sup.reason == text(3);
  BOOST_TEST(snoozed);
  bool limit = false;
  for (const auto& ch : alertStore->ruleChanges()) limit = limit || ch.reason == text(4);
  BOOST_TEST(limit);
  bool covered = false;
  for (const auto& cv : escalation->coverage(clock.now())) covered = covered || cv.note == text(5);
  BOOST_TEST(covered);

  // PostgreSQL: the database's files, the WAL and every stored value.
  const auto raw = db->backend() == vigil::store::Backend::postgres
                       ? vigil::security::test::postgresBytesAtRest(storeOptions)
                       : vigil::store::test::readFile(dir.path / "vigil.db") +
                             vigil::store::test::readFile(dir.path / "vigil.db-wal");
  BOOST_TEST_REQUIRE(raw.size() > 4096u);
  for (int n : {1, 2, 3, 4, 5, 6, 7, 10, 11})
    BOOST_TEST(raw.find(text(n)) == std::string::npos, text(n) << " is in the database in clear");
  BOOST_TEST(raw.find(canary) == std::string::npos);
}

// Issue 21: no video visit without telehealth consent. The patient who withdrew it is refused
// with the word the visit page acts on (it shows the document and the sign form), signs through
// the consent API, and joins.
BOOST_AUTO_TEST_CASE(a_patient_without_telehealth_consent_is_asked_to_sign_then_joins) {
  const auto patient = patientUserId;
  BOOST_REQUIRE(call("POST", visit("/join"), providerId) == 200);
  const auto consentsPath = "/api/v1/patients/" + std::to_string(patientA) + "/consents";
  BOOST_REQUIRE(call("POST", consentsPath + "/telehealth/withdraw", patient, "{}") == 200);
  auto refused = request("POST", visit("/join"), &clients.at(patient), "{}");
  BOOST_TEST(refused.status == 403);
  BOOST_TEST(jsonField(refused.body, "error") == "consent_required", refused.body);
  BOOST_TEST(jsonField(refused.body, "kind") == "telehealth", refused.body);
  BOOST_TEST(audited("visit.join", "consent_required") == 1);
  // The page fetches the current version and signs it with the typed name and the box.
  const auto sign = R"({"documentId":)" + std::to_string(telehealth.id) + R"(,"documentSha256":")" +
                    telehealth.sha256 + R"(","typedName":" ana silva ","agreed":true})";
  BOOST_TEST(call("POST", consentsPath, patient, sign) == 201);
  auto joined = request("POST", visit("/join"), &clients.at(patient), "{}");
  BOOST_TEST(joined.status == 200, joined.body);
  BOOST_TEST(jsonField(joined.body, "status") == "waiting");
}

BOOST_AUTO_TEST_SUITE_END()

// Issue 22: with the licensing join check wired (as vigild wires it), a provider without a
// license for the patient's state is refused at join with the reason, and a patient's check-in
// from a state the provider is not licensed in is refused the same way.
BOOST_FIXTURE_TEST_CASE(a_provider_not_licensed_where_the_patient_is_is_refused_with_the_reason,
                        VisitApiFixture) {
  visits.setJoinCheck([](store::Connection& c, const video::Visit& v,
                         const security::Actor&) -> std::optional<std::string> {
    auto e = licensing::LicenseService::eligibilityForVisitIn(c, v.providerUserId, v.patientId,
                                                              v.patientState, v.startsAt);
    if (e.eligible) return std::nullopt;
    return e.reason;
  });
  // Patient A has no state of residence in the registry: unknown until they check in.
  auto reply = request("POST", visit("/join"), &clients.at(providerId), "");
  BOOST_TEST(reply.status == 403);
  BOOST_TEST(jsonField(reply.body, "error") == "not_licensed");
  BOOST_TEST(jsonField(reply.body, "reason") == "patient_state_unknown");
  licensing::LicenseInput california;
  california.state = "CA";
  california.type = "MD";
  california.number = "A123456";
  california.expiresOn = *licensing::parseDate("2030-06-30");
  licenses->add(adminActor, providerId, california);
  reply = request("POST", visit("/check-in"), &clients.at(patientUserId), R"({"state":"NV"})");
  BOOST_TEST(reply.status == 403);
  BOOST_TEST(jsonField(reply.body, "reason") == "no_license_for_state");
  BOOST_TEST(call("POST", visit("/join"), providerId) == 403);
  BOOST_TEST(call("POST", visit("/check-in"), patientUserId, R"({"state":"CA"})") == 200);
  BOOST_TEST(call("POST", visit("/join"), providerId) == 200);
  BOOST_TEST(audited("visit.join", "patient_state_unknown") == 1);
  BOOST_TEST(audited("visit.check_in", "no_license_for_state") == 1);
}
