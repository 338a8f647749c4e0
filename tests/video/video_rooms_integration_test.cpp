// VideoRooms with real WebRTC endpoints (tests/video's GStreamer webrtcbin clients): while a
// visit is recorded, a participant who joins, or who drops and rejoins, is recorded too, in an
// encrypted file of their own per session that decrypts to media gst-discoverer reads.

#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "video_test_support.hpp"
#include "vigil/crypto/field_cipher.hpp"
#include "vigil/crypto/key_ring.hpp"
#include "vigil/crypto/random.hpp"
#include "vigil/testsupport/deadline.hpp"
#include "vigil/video/recording.hpp"
#include "vigil/video/video_rooms.hpp"
#include "webrtc_test_client.hpp"

using namespace std::chrono_literals;
using vigil::video::test::waitFor;
using vigil::video::test::WebrtcTestClient;

namespace {

constexpr std::int64_t kVisit = 77;

/// The box's rooms with clients wired to them as the media WebSocket does (a sink per session,
/// the client's messages into signal()).
struct Rooms {
  vigil::video::VideoRooms rooms;
  std::mutex mu;
  std::map<std::int64_t, std::shared_ptr<WebrtcTestClient>> clients;
  std::map<std::int64_t, std::uint64_t> tokens;
  std::map<std::int64_t, std::vector<std::string>> notes;  // "recording" messages per participant
  vigil::video::test::WebrtcTestClientOptions options;

  static vigil::video::RelayConfig config() {
    vigil::video::RelayConfig c;
    c.maxParticipants = 3;
    c.statsInterval = 0ms;
    return c;
  }
  Rooms() : rooms(config()) { options.screen = false; }
  ~Rooms() {
    vigil::testsupport::Deadline deadline("tearing down the rooms (clients, then the relays)", 60s);
    std::map<std::int64_t, std::shared_ptr<WebrtcTestClient>> gone;
    {
      std::lock_guard lock(mu);
      gone.swap(clients);
    }
    gone.clear();
    rooms.endVisit(kVisit);
  }

  std::shared_ptr<WebrtcTestClient> join(std::int64_t id) {
    // The client answers from GStreamer threads, possibly before connect() has returned its
    // token: it waits (bounded) for the token, as the WebSocket's own thread would have it.
    auto token = std::make_shared<std::promise<std::uint64_t>>();
    auto known = token->get_future().share();
    auto c = std::make_shared<WebrtcTestClient>(
        [this, id, known](const std::string& json) {
          if (known.wait_for(10s) != std::future_status::ready) {
            BOOST_TEST_MESSAGE("client " << id << ": no connection token after 10 s; dropped");
            return;
          }
          rooms.signal(kVisit, id, known.get(), json);  // bounded: ready (wait_for above)
        },
        options);
    {
      std::lock_guard lock(mu);
      clients[id] = c;
    }
    tokens[id] = rooms.connect(kVisit, id, [this, id](const std::string& json) {
      std::shared_ptr<WebrtcTestClient> client;
      {
        std::lock_guard lock(mu);
        if (json.find("\"type\":\"recording\"") != std::string::npos) notes[id].push_back(json);
        auto it = clients.find(id);
        if (it != clients.end()) client = it->second;
      }
      if (client) client->receive(json);
    });
    token->set_value(tokens[id]);
    return c;
  }

  void drop(std::int64_t id) {
    BOOST_TEST(rooms.disconnect(kVisit, id, tokens.at(id), "test drop"));
    std::lock_guard lock(mu);
    clients.erase(id);
  }
};

bool receives(const WebrtcTestClient& c, std::uint64_t video, std::uint64_t audio) {
  return c.videoFramesDecoded() >= video && c.audioFramesDecoded() >= audio;
}

std::vector<vigil::video::RecordingInfo> recordingsOf(const std::filesystem::path& dir,
                                                      std::int64_t user) {
  std::vector<vigil::video::RecordingInfo> out;
  for (auto& r : vigil::video::listRecordings(dir, kVisit))
    if (r.userId == user) out.push_back(r);
  return out;
}

/// Decrypts a recording and checks that gst-discoverer reads VP8 and Opus in it.
void checkPlays(const std::filesystem::path& dir, const vigil::video::RecordingInfo& rec,
                const vigil::crypto::FieldCipher& cipher) {
  auto file = vigil::video::findRecording(dir, kVisit, rec.id);
  BOOST_REQUIRE(file.has_value());
  const auto media = vigil::video::decryptRecording(file->path, file->recordingId, cipher);
  BOOST_TEST(media.size() > 10'000u, rec.id << ": " << media.size() << " bytes");
  BOOST_TEST(media.rfind("\x1a\x45\xdf\xa3", 0) == 0u);  // EBML (WebM)
  int status = -1;
  const auto report = vigil::video::test::discover(media, dir, rec.id + ".webm", status);
  BOOST_TEST(status == 0, report);
  BOOST_TEST(report.find("VP8") != std::string::npos, rec.id << ": " << report);
  BOOST_TEST(report.find("Opus") != std::string::npos, rec.id << ": " << report);
}

/// A fresh recording key and a recordings directory of the test's own, removed at the end.
struct RecordingPlace {
  vigil::crypto::KeyRing ring;
  std::optional<vigil::crypto::FieldCipher> cipher;
  std::filesystem::path dir;

  explicit RecordingPlace(const std::string& name)
      : dir(std::filesystem::temp_directory_path() /
            ("vigil-rooms-" + name + "-" + std::to_string(::getpid()))) {
    ring.add(1, vigil::crypto::randomKey());
    ring.setActive(1);
    cipher.emplace(ring);
  }
  ~RecordingPlace() { std::filesystem::remove_all(dir); }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(VideoRoomsTest)

BOOST_AUTO_TEST_CASE(participants_joining_or_rejoining_during_a_recording_are_recorded) {
  RecordingPlace place("rec");
  const auto& dir = place.dir;
  const auto& cipher = *place.cipher;

  Rooms box;
  auto a = box.join(1);
  auto b = box.join(2);
  BOOST_TEST_REQUIRE(waitFor([&] { return receives(*a, 10, 10) && receives(*b, 10, 10); }));
  BOOST_TEST(box.rooms.startRecording(kVisit, dir, cipher) == 2);
  BOOST_TEST(box.rooms.isRecording(kVisit));
  std::this_thread::sleep_for(2s);

  // A newcomer while recording: recorded from their first media.
  auto c = box.join(3);
  BOOST_TEST_REQUIRE(waitFor([&] { return receives(*c, 10, 10); }, 30s),
                     "newcomer: video " << c->videoFramesDecoded());
  BOOST_TEST(recordingsOf(dir, 3).size() == 1u);

  // Participant 2 drops: their recording is sealed at once and plays.
  box.drop(2);
  b.reset();
  {
    auto first = recordingsOf(dir, 2);
    BOOST_REQUIRE_EQUAL(first.size(), 1u);
    checkPlays(dir, first[0], cipher);
  }
  BOOST_TEST(box.rooms.isRecording(kVisit));  // the others are still recorded

  // ... and rejoins: a second file, for the new session.
  auto b2 = box.join(2);
  BOOST_TEST_REQUIRE(waitFor([&] { return receives(*b2, 10, 10); }, 30s),
                     "rejoined: video " << b2->videoFramesDecoded());
  const auto aSeen = a->videoFramesDecoded();
  BOOST_TEST(waitFor([&] { return a->videoFramesDecoded() > aSeen + 15; }));  // 2's new media
  std::this_thread::sleep_for(3s);
  box.rooms.stopRecording(kVisit);
  BOOST_TEST(!box.rooms.isRecording(kVisit));

  auto second = recordingsOf(dir, 2);
  BOOST_REQUIRE_EQUAL(second.size(), 2u);
  BOOST_TEST(second[1].startedAtMs > second[0].startedAtMs);
  checkPlays(dir, second[1], cipher);
  auto newcomer = recordingsOf(dir, 3);
  BOOST_REQUIRE_EQUAL(newcomer.size(), 1u);
  checkPlays(dir, newcomer[0], cipher);
  BOOST_TEST(recordingsOf(dir, 1).size() == 1u);  // one session, one file
  BOOST_TEST(vigil::video::listRecordings(dir, kVisit).size() == 4u);

  // Nobody joining after the stop is recorded.
  box.drop(3);
  c.reset();
  auto c2 = box.join(3);
  BOOST_TEST(waitFor([&] { return receives(*c2, 5, 5); }, 30s));
  BOOST_TEST(recordingsOf(dir, 3).size() == 1u);
  BOOST_TEST(a->errors().empty(), a->errors());
}

BOOST_AUTO_TEST_CASE(a_joiner_the_box_cannot_record_is_announced_and_the_visit_goes_on) {
  RecordingPlace place("incomplete");
  const auto& dir = place.dir;

  Rooms box;
  auto a = box.join(1);
  auto b = box.join(2);
  BOOST_TEST_REQUIRE(waitFor([&] { return receives(*a, 10, 10) && receives(*b, 10, 10); }));
  BOOST_TEST(box.rooms.startRecording(kVisit, dir, *place.cipher) == 2);
  // The recordings directory goes away (a full or failed disk, an operator's mistake): a regular
  // file where it was, so not even root can create the joiner's file there.
  std::filesystem::remove_all(dir);
  std::ofstream(dir) << "not a directory";

  auto c = box.join(3);
  BOOST_TEST_REQUIRE(waitFor([&] { return receives(*c, 10, 10); }, 30s),
                     "the joiner still gets the visit: video " << c->videoFramesDecoded());
  BOOST_TEST(box.rooms.isRecording(kVisit));
  std::lock_guard lock(box.mu);
  for (std::int64_t who : {1, 2, 3}) {
    BOOST_REQUIRE_EQUAL(box.notes[who].size(), 1u);
    const auto& note = box.notes[who][0];
    BOOST_TEST(note.find("\"incomplete\":true") != std::string::npos, note);
    BOOST_TEST(note.find("\"participant\":3") != std::string::npos, note);
  }
}

BOOST_AUTO_TEST_SUITE_END()
