#pragma once
// The API fixture (tests/web/api_fixture.hpp: real store, keys, audit, accounts, HTTP server and
// gate) plus the /api/v1/visits routes, real VisitService and VideoRooms, and one visit of
// patient A run by the provider, with the patient's user, from now for 30 minutes. Shared by
// the unit suite (visit_routes_test.cpp) and the integration suite (real media sessions). The
// patient has signed the telehealth consent (through the consent service).

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "api_fixture.hpp"
#include "vigil/video/recording.hpp"
#include "vigil/video/video_rooms.hpp"
#include "vigil/video/visit.hpp"
#include "vigil/web/visit_routes.hpp"

namespace vigil::video::test {

struct VisitApiFixture : web::test::ApiFixture {
  VisitService visits{*db, *audit, clock, {}, &keys->cipher()};
  VideoRooms rooms{RelayConfig{}};
  std::filesystem::path recordings = dir.path / "recordings";
  std::int64_t visitId = 0;
  std::map<std::int64_t, web::test::Client> clients;

  VisitApiFixture() {
    web::VisitApi api{&visits,         &rooms,         accounts.get(), &clock,  recordings,
                      &keys->cipher(), patients.get(), audit.get(),    db.get()};
    web::addVisitRoutes(*router, api);
    NewVisit nv;
    nv.patientId = patientA;
    nv.providerUserId = providerId;
    nv.patientUserId = patientUserId;
    nv.startsAt = clock.now();
    nv.endsAt = clock.now() + std::chrono::minutes(30);
    visitId = visits.schedule({providerId, security::Role::provider, std::nullopt}, nv);
    // No video visit without telehealth consent (issue 21): the patient signs the published one.
    consents->sign({patientUserId, security::Role::patient, patientA}, patientA,
                   {telehealth.id, telehealth.sha256, "Ana Silva", true, "127.0.0.1"});
    for (auto id : {providerId, nurseId, patientUserId, adminActor.id, frontDeskId})
      clients[id] = signIn(id);
  }

  int call(const std::string& method, const std::string& path, std::int64_t who,
           const std::string& body = "") {
    return request(method, path, &clients.at(who), body).status;
  }
  std::string visit(const std::string& rest = "") const {
    return "/api/v1/visits/" + std::to_string(visitId) + rest;
  }
  /// Seals `parts` as one recording of the visit by `userId` started at `startMs`, as VideoRooms
  /// names it (visit-<id>-user-<user>-<ms>.rec under `recordings`); returns the file's path.
  std::filesystem::path writeRecording(std::int64_t userId, const std::string& startMs,
                                       const std::vector<std::string>& parts) {
    std::filesystem::create_directories(recordings);
    const auto stem =
        "visit-" + std::to_string(visitId) + "-user-" + std::to_string(userId) + "-" + startMs;
    const auto path = recordings / (stem + ".rec");
    RecordingWriter writer(stem, path, keys->cipher());
    for (const auto& part : parts) writer.append(part);
    writer.finish();
    return path;
  }
  /// Audit entries of `action` (and `reason`, when given).
  std::int64_t audited(const std::string& action, const std::string& reason = "") {
    return db->read([&](store::Connection& c) {
      return c
          .queryValue<std::int64_t>(
              "SELECT count(*) FROM audit_log WHERE action = ?1 AND (?2 = '' OR reason = ?2)",
              action, reason)
          .value_or(0);
    });
  }
};

}  // namespace vigil::video::test
