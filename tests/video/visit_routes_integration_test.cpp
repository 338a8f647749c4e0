// The visit routes with a room that really records (GStreamer relay sessions behind
// VideoRooms): inviting a participant, who has not consented, stops a running recording,
// audited and announced to the room; recording starts again only once the invitee consents.

#include <boost/test/unit_test.hpp>
#include <mutex>
#include <string>
#include <vector>

#include "vigil/video/recording.hpp"
#include "visit_api_fixture.hpp"

using namespace vigil;
using vigil::video::test::VisitApiFixture;

namespace {

/// What the room sends one participant (their media socket's side).
struct Inbox {
  std::mutex mu;
  std::vector<std::string> messages;
  video::ParticipantSink sink() {
    return [this](const std::string& json) {
      std::lock_guard lock(mu);
      messages.push_back(json);
    };
  }
  bool saw(const std::string& part) {
    std::lock_guard lock(mu);
    for (const auto& m : messages)
      if (m.find(part) != std::string::npos) return true;
    return false;
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(VisitRoutesRecordingTest, VisitApiFixture)

BOOST_AUTO_TEST_CASE(inviting_a_participant_stops_a_running_recording) {
  const auto provider = providerId, patient = patientUserId;
  BOOST_TEST(call("POST", visit("/join"), provider) == 200);
  BOOST_TEST(call("POST", visit("/join"), patient) == 200);
  BOOST_TEST(call("POST", visit("/admit"), provider,
                  "{\"userId\":" + std::to_string(patient) + "}") == 200);
  for (auto who : {provider, patient})
    BOOST_TEST(call("POST", visit("/consent"), who, R"({"recording":true})") == 200);
  // Both in the room (their relay sessions, as the media socket opens them).
  Inbox providerInbox, patientInbox;
  const auto providerToken = rooms.connect(visitId, provider, providerInbox.sink());
  const auto patientToken = rooms.connect(visitId, patient, patientInbox.sink());

  auto started =
      request("POST", visit("/recording"), &clients.at(provider), R"({"action":"start"})");
  BOOST_TEST(started.status == 200, started.body);
  BOOST_TEST(web::test::jsonField(started.body, "recordedParticipants") == "2", started.body);
  BOOST_TEST(web::test::jsonField(request("GET", visit(), &clients.at(provider)).body,
                                  "recording") == "true");

  // The provider invites an interpreter, who has not consented: the recording stops.
  const auto invite = "{\"userId\":" + std::to_string(spareNurseId) + ",\"role\":\"interpreter\"}";
  auto invited = request("POST", visit("/participants"), &clients.at(provider), invite);
  BOOST_TEST(invited.status == 201, invited.body);
  BOOST_TEST(web::test::jsonField(invited.body, "recordingStopped") == "true", invited.body);
  BOOST_TEST(!rooms.isRecording(visitId));
  // The provider's page reads the state it polls; everyone connected is told at once.
  BOOST_TEST(web::test::jsonField(request("GET", visit(), &clients.at(provider)).body,
                                  "recording") == "false");
  const std::string note = R"("reason":"participant_invited")";
  BOOST_TEST(providerInbox.saw(note));
  BOOST_TEST(patientInbox.saw(note));
  BOOST_TEST(audited("visit.recording_stop", "participant_invited") == 1);
  BOOST_TEST(audited("visit.invite") == 1);
  // What was recorded until then is kept (one file per participant), sealed.
  BOOST_TEST(video::listRecordings(recordings, visitId).size() == 2u);

  // Starting again needs the invitee's consent too.
  auto refused =
      request("POST", visit("/recording"), &clients.at(provider), R"({"action":"start"})");
  BOOST_TEST(refused.status == 403);
  BOOST_TEST(refused.body.find("consent_missing") != std::string::npos, refused.body);
  visits.setRecordingConsent({spareNurseId, security::Role::nurse, std::nullopt}, visitId, true);
  BOOST_TEST(call("POST", visit("/recording"), provider, R"({"action":"start"})") == 200);
  BOOST_TEST(rooms.isRecording(visitId));
  // A withdrawal stops it too, with its own reason.
  BOOST_TEST(call("POST", visit("/consent"), patient, R"({"recording":false})") == 200);
  BOOST_TEST(!rooms.isRecording(visitId));
  BOOST_TEST(audited("visit.recording_stop", "consent_withdrawn") == 1);
  // An invitation while nothing is recorded stops nothing.
  auto second = request("POST", visit("/participants"), &clients.at(provider),
                        "{\"userId\":" + std::to_string(nurseId) + ",\"role\":\"caregiver\"}");
  BOOST_TEST(second.status == 201);
  BOOST_TEST(web::test::jsonField(second.body, "recordingStopped") == "false");
  BOOST_TEST(audited("visit.recording_stop") == 2);
  BOOST_TEST(audit->verify(*db).ok);

  rooms.disconnect(visitId, patient, patientToken, "test");
  rooms.disconnect(visitId, provider, providerToken, "test");
}

BOOST_AUTO_TEST_SUITE_END()
