#define BOOST_TEST_MODULE video_integration
// The relay with real WebRTC endpoints: two (or three) GStreamer webrtcbin clients sending a
// VP8 test pattern and an Opus tone join one room over ICE/DTLS-SRTP on this machine; each must
// decode the other's media, the room's pipeline must hold no decoder, keyframe requests must
// reach the sender, and a pipeline error must end only the session it belongs to.
#include <boost/test/unit_test.hpp>

#define GST_USE_UNSTABLE_API 1
#include <gst/gst.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "video_test_support.hpp"
#include "vigil/core/error.hpp"
#include "vigil/crypto/field_cipher.hpp"
#include "vigil/crypto/key_ring.hpp"
#include "vigil/crypto/random.hpp"
#include "vigil/video/recording.hpp"
#include "vigil/video/room_relay.hpp"
#include "webrtc_test_client.hpp"

using namespace std::chrono_literals;
using vigil::video::RelayConfig;
using vigil::video::RoomRelay;
using vigil::video::test::WebrtcTestClient;

namespace {

using vigil::video::test::waitFor;

/// A room and its clients, wired directly (the relay's signalling without the WebSocket).
struct Room {
  std::mutex mu;
  std::map<std::int64_t, std::shared_ptr<WebrtcTestClient>> clients;
  std::unique_ptr<RoomRelay> relay;

  std::map<std::int64_t, std::vector<vigil::video::CallQuality>> quality;  // under mu

  vigil::video::test::WebrtcTestClientOptions clientOptions;

  explicit Room(int maxParticipants = 2, std::chrono::milliseconds statsInterval = 0ms,
                vigil::video::VideoCodec codec = vigil::video::VideoCodec::vp8) {
    RelayConfig config;
    config.maxParticipants = maxParticipants;
    config.statsInterval = statsInterval;
    config.videoCodec = codec;
    clientOptions.codec = std::string(vigil::video::toString(codec));
    auto onSignal = [this](std::int64_t id, const std::string& json) {
      std::shared_ptr<WebrtcTestClient> c;
      {
        std::lock_guard lock(mu);
        auto it = clients.find(id);
        if (it != clients.end()) c = it->second;
      }
      if (c) c->receive(json);
    };
    auto onQuality = [this](std::int64_t id, const vigil::video::CallQuality& q) {
      std::lock_guard lock(mu);
      quality[id].push_back(q);
    };
    relay = std::make_unique<RoomRelay>(42, config, onSignal, onQuality);
  }

  /// The latest quality sample of a participant, if any.
  std::optional<vigil::video::CallQuality> latestQuality(std::int64_t id) {
    std::lock_guard lock(mu);
    auto it = quality.find(id);
    if (it == quality.end() || it->second.empty()) return std::nullopt;
    return it->second.back();
  }
  ~Room() {
    // The clients stop first (no more messages to the relay), then the room.
    std::map<std::int64_t, std::shared_ptr<WebrtcTestClient>> gone;
    {
      std::lock_guard lock(mu);
      gone.swap(clients);
    }
    gone.clear();
    relay.reset();
  }

  std::shared_ptr<WebrtcTestClient> join(std::int64_t id) {
    auto c = std::make_shared<WebrtcTestClient>(
        [this, id](const std::string& json) { relay->handleSignal(id, json); }, clientOptions);
    {
      std::lock_guard lock(mu);
      clients[id] = c;
    }
    relay->connect(id);
    return c;
  }

  void drop(std::int64_t id) {
    relay->disconnect(id, "test drop");
    relay->flush();
    std::lock_guard lock(mu);
    clients.erase(id);
  }

  /// The factory of every element in the room's pipeline, at any depth.
  std::vector<GstElementFactory*> elementFactories() const {
    std::vector<GstElementFactory*> out;
    GstIterator* it = gst_bin_iterate_recurse(GST_BIN(relay->pipeline()));
    GValue item = G_VALUE_INIT;
    bool done = false;
    while (!done) {
      switch (gst_iterator_next(it, &item)) {
        case GST_ITERATOR_OK: {
          auto* e = GST_ELEMENT(g_value_get_object(&item));
          GstElementFactory* f = gst_element_get_factory(e);
          if (f != nullptr) out.push_back(f);
          g_value_reset(&item);
          break;
        }
        case GST_ITERATOR_RESYNC:
          gst_iterator_resync(it);
          out.clear();
          break;
        default:
          done = true;
      }
    }
    g_value_unset(&item);
    gst_iterator_free(it);
    return out;
  }
};

/// True when every source pad of the factory produces RTP (webrtcbin's FEC and RED recovery
/// elements are classed "Depayloader" but take RTP in and give RTP out).
bool outputsRtp(GstElementFactory* f) {
  bool any = false;
  for (const GList* l = gst_element_factory_get_static_pad_templates(f); l != nullptr;
       l = l->next) {
    auto* t = static_cast<GstStaticPadTemplate*>(l->data);
    if (t->direction != GST_PAD_SRC) continue;
    any = true;
    if (std::string(t->static_caps.string).rfind("application/x-rtp", 0) != 0) return false;
  }
  return any;
}

/// True for an element that decodes, encodes or depayloads media. DTLS/SRTP "decoders" are
/// decryption (classed Network, not Codec) and RTP-to-RTP elements are not media: both allowed.
bool touchesMedia(GstElementFactory* f) {
  const std::string klass = gst_element_factory_get_metadata(f, GST_ELEMENT_METADATA_KLASS);
  const bool codec = klass.find("Codec") != std::string::npos;
  if (klass.find("Decoder") != std::string::npos || klass.find("Encoder") != std::string::npos)
    return codec || klass.find("Network") == std::string::npos;
  if (klass.find("Depayloader") != std::string::npos) return !outputsRtp(f);
  return false;
}

bool receivesMedia(const WebrtcTestClient& c, std::uint64_t video, std::uint64_t audio) {
  return c.videoFramesDecoded() >= video && c.audioFramesDecoded() >= audio;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(RoomRelayTest)

BOOST_AUTO_TEST_CASE(each_participant_decodes_the_others_audio_video_and_screen) {
  Room room;
  auto a = room.join(1);
  auto b = room.join(2);
  BOOST_TEST_REQUIRE(
      waitFor([&] { return receivesMedia(*a, 15, 25) && receivesMedia(*b, 15, 25); }),
      "a: video " << a->videoFramesDecoded() << " audio " << a->audioFramesDecoded()
                  << "; b: video " << b->videoFramesDecoded() << " audio "
                  << b->audioFramesDecoded());
  // The shared screen is a stream of its own, forwarded on the screen m-line.
  BOOST_TEST(
      waitFor([&] { return a->screenFramesDecoded() >= 5 && b->screenFramesDecoded() >= 5; }),
      "screen frames: a " << a->screenFramesDecoded() << ", b " << b->screenFramesDecoded());
  BOOST_TEST(room.relay->connectionState(1).value_or("") == "connected");
  BOOST_TEST(room.relay->connectionState(2).value_or("") == "connected");
  // Every m-line offers transport-wide congestion control (each leg's bandwidth estimation).
  const auto offer = a->remoteOffer();
  std::size_t twcc = 0;
  for (auto at =
           offer.find("a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc");
       at != std::string::npos;
       at = offer.find("a=extmap:3 http://www.ietf.org/id/draft-holmer", at + 1))
    ++twcc;
  BOOST_TEST(twcc == 3u, offer);
  // Each knows whose media its slot carries (the page names the tiles with it).
  BOOST_TEST(a->slotOwners() == (std::vector<std::int64_t>{2}));
  BOOST_TEST(b->slotOwners() == (std::vector<std::int64_t>{1}));
  // Frames keep coming (not a burst at connect).
  const auto before = a->videoFramesDecoded();
  {
    // Forwarded at about the senders' rate (15 video frames/s, 50 Opus frames/s; the bounds
    // leave room for a loaded 2-core machine): a relay that holds or drops packets falls far
    // below.
    const auto a0 = a->videoFramesDecoded();
    const auto b0 = b->audioFramesDecoded();
    std::this_thread::sleep_for(5s);
    const double videoRate = static_cast<double>(a->videoFramesDecoded() - a0) / 5.0;
    const double audioRate = static_cast<double>(b->audioFramesDecoded() - b0) / 5.0;
    BOOST_TEST(videoRate >= 5.0, "video frames/s " << videoRate);
    BOOST_TEST(audioRate >= 20.0, "audio frames/s " << audioRate);
  }
  BOOST_TEST(waitFor([&] { return a->videoFramesDecoded() >= before + 10; }, 5s));

  const auto factories = room.elementFactories();
  BOOST_TEST(factories.size() > 10u);  // the walk reached inside the webrtcbins
  bool sawSrtp = false;
  for (auto* f : factories) {
    BOOST_TEST(!touchesMedia(f),
               "media element in the relay: "
                   << GST_OBJECT_NAME(f) << " ("
                   << gst_element_factory_get_metadata(f, GST_ELEMENT_METADATA_KLASS) << ")");
    sawSrtp = sawSrtp || std::string(GST_OBJECT_NAME(f)) == "dtlssrtpdec";
  }
  BOOST_TEST(sawSrtp);  // media really arrives encrypted and is only decrypted
}

BOOST_AUTO_TEST_CASE(h264_rooms_forward_camera_and_screen_without_decoding) {
  Room room(2, 0ms, vigil::video::VideoCodec::h264);
  auto a = room.join(1);
  auto b = room.join(2);
  BOOST_TEST_REQUIRE(
      waitFor([&] { return receivesMedia(*a, 15, 25) && receivesMedia(*b, 15, 25); }),
      "a: video " << a->videoFramesDecoded() << " audio " << a->audioFramesDecoded()
                  << "; b: video " << b->videoFramesDecoded() << " audio "
                  << b->audioFramesDecoded() << "; errors " << a->errors() << b->errors());
  BOOST_TEST(
      waitFor([&] { return a->screenFramesDecoded() >= 5 && b->screenFramesDecoded() >= 5; }),
      "screen frames: a " << a->screenFramesDecoded() << ", b " << b->screenFramesDecoded());
  // Keyframe requests reach an H.264 sender too (the decoder's way of recovering).
  const auto seen = a->keyframeRequestsSeen();
  b->requestKeyframe();
  BOOST_TEST(waitFor([&] { return a->keyframeRequestsSeen() > seen; }, 5s));
  for (auto* f : room.elementFactories())
    BOOST_TEST(!touchesMedia(f), "media element in the relay: " << GST_OBJECT_NAME(f));
}

BOOST_AUTO_TEST_CASE(keyframe_request_reaches_the_sender) {
  Room room;
  auto a = room.join(1);
  auto b = room.join(2);
  BOOST_TEST_REQUIRE(waitFor([&] { return receivesMedia(*b, 5, 0) && receivesMedia(*a, 5, 0); }));
  // The relay asks for a keyframe when it links a new receiver; wait until those settle.
  auto seen = a->keyframeRequestsSeen();
  for (int i = 0; i < 10; ++i) {
    std::this_thread::sleep_for(1500ms);
    const auto now = a->keyframeRequestsSeen();
    if (now == seen) break;
    seen = now;
  }
  b->requestKeyframe();
  BOOST_TEST(waitFor([&] { return a->keyframeRequestsSeen() > seen; }, 5s),
             "keyframe requests at the sender: " << a->keyframeRequestsSeen());
}

BOOST_AUTO_TEST_CASE(pipeline_error_ends_only_that_session_and_the_participant_rejoins) {
  Room room(3);
  auto a = room.join(1);
  auto b = room.join(2);
  auto c = room.join(3);
  BOOST_TEST_REQUIRE(waitFor([&] {
    return receivesMedia(*a, 10, 10) && receivesMedia(*b, 10, 10) && receivesMedia(*c, 10, 10);
  }));
  // An element of participant 3's session fails.
  GstElement* webrtc = gst_bin_get_by_name(GST_BIN(room.relay->pipeline()), "p3-webrtc");
  BOOST_REQUIRE(webrtc != nullptr);
  GError* err = g_error_new_literal(GST_STREAM_ERROR, GST_STREAM_ERROR_FAILED, "injected failure");
  gst_element_post_message(webrtc, gst_message_new_error(GST_OBJECT(webrtc), err, "test"));
  g_error_free(err);
  gst_object_unref(webrtc);

  BOOST_TEST(waitFor([&] { return c->errors().find("media pipeline error") != std::string::npos; }),
             "errors seen by 3: " << c->errors());
  room.relay->flush();
  BOOST_TEST(room.relay->participants() == (std::vector<std::int64_t>{1, 2}));
  BOOST_TEST(a->errors().empty());
  // The others still exchange media.
  const auto aBefore = a->videoFramesDecoded();
  const auto bBefore = b->videoFramesDecoded();
  BOOST_TEST(waitFor([&] {
    return a->videoFramesDecoded() > aBefore + 10 && b->videoFramesDecoded() > bBefore + 10;
  }));

  // The others' slots no longer name participant 3.
  BOOST_TEST(waitFor([&] {
               return a->slotOwners() == std::vector<std::int64_t>{2, 0};
             }),
             "a's slots " << a->slotOwners().size());
  // Participant 3 rejoins with a new session and receives media again.
  room.drop(3);
  auto c2 = room.join(3);
  BOOST_TEST(
      waitFor([&] { return receivesMedia(*c2, 10, 10); }),
      "rejoined: video " << c2->videoFramesDecoded() << " audio " << c2->audioFramesDecoded());
  const auto aAfter = a->videoFramesDecoded();
  BOOST_TEST(waitFor([&] { return a->videoFramesDecoded() > aAfter + 10; }));
}

BOOST_AUTO_TEST_CASE(call_quality_is_sampled_per_participant) {
  Room room(2, 1s);
  auto a = room.join(1);
  auto b = room.join(2);
  BOOST_TEST_REQUIRE(waitFor([&] { return receivesMedia(*a, 5, 5) && receivesMedia(*b, 5, 5); }));
  auto good = [&](std::int64_t id) {
    auto q = room.latestQuality(id);
    return q && q->packetsReceived > 50 && q->kbpsIn > 10.0 && q->lossPct < 5.0;
  };
  BOOST_TEST(waitFor([&] { return good(1) && good(2); }, 15s));
  auto q = room.latestQuality(1);
  BOOST_REQUIRE(q);
  BOOST_TEST_MESSAGE("quality p1: rtt " << q->rttMs << " ms, jitter " << q->jitterMs << " ms, loss "
                                        << q->lossPct << " %, " << q->kbpsIn << " kbit/s");
  BOOST_TEST(q->jitterMs >= 0.0);
  BOOST_TEST(q->jitterMs < 1000.0);
}

namespace {

/// Records participant 1 of a two-party room of `codec` for 4 s; checks the file at rest is
/// ciphertext, that it decrypts only with its id, and that the ranged reader agrees. Returns
/// gst-discoverer's report of the decrypted file, and its media type in `mediaType`.
std::string recordAndDiscover(vigil::video::VideoCodec codec, std::string& mediaType) {
  Room room(2, 0ms, codec);
  auto a = room.join(1);
  auto b = room.join(2);
  BOOST_TEST_REQUIRE(waitFor([&] { return receivesMedia(*b, 10, 10); }));
  vigil::crypto::KeyRing ring;
  ring.add(1, vigil::crypto::randomKey());
  ring.setActive(1);
  vigil::crypto::FieldCipher cipher(ring);
  const auto dir =
      std::filesystem::temp_directory_path() / ("vigil-rec-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  struct Cleanup {
    std::filesystem::path d;
    ~Cleanup() { std::filesystem::remove_all(d); }
  } cleanup{dir};
  const auto file = dir / "visit-42-p1.rec";
  {
    vigil::video::RoomRecording recording("visit-42/p1/1", file, cipher, codec);
    room.relay->startRecording(1, recording);
    room.relay->flush();
    std::this_thread::sleep_for(4s);
    room.relay->stopRecording(1);
    room.relay->flush();
    recording.stop();
    BOOST_TEST(recording.bytesWritten() > 10'000u);
  }
  // At rest: ciphertext only (no EBML header, no codec names in clear).
  std::ifstream raw(file, std::ios::binary);
  const std::string stored((std::istreambuf_iterator<char>(raw)), std::istreambuf_iterator<char>());
  BOOST_TEST(stored.find("\x1a\x45\xdf\xa3") == std::string::npos);
  BOOST_TEST(stored.find("V_VP8") == std::string::npos);
  BOOST_TEST(stored.find("V_MPEG4") == std::string::npos);
  // Decrypted with its id it is a Matroska/WebM file; the ranged reader (playback) agrees.
  BOOST_CHECK_THROW(vigil::video::decryptRecording(file, "visit-42/p1/2", cipher),
                    vigil::CryptoError);
  const auto webm = vigil::video::decryptRecording(file, "visit-42/p1/1", cipher);
  BOOST_TEST(webm.rfind("\x1a\x45\xdf\xa3", 0) == 0u);
  vigil::video::RecordingReader reader(file, "visit-42/p1/1", cipher);
  BOOST_TEST(reader.size() == webm.size());
  BOOST_TEST((reader.read(1000, 5000) == webm.substr(1000, 5000)));
  mediaType = vigil::video::recordingMediaType(webm);
  int status = -1;
  const auto out = vigil::video::test::discover(webm, dir, "visit.mkv", status);
  BOOST_TEST(status == 0);
  BOOST_TEST_MESSAGE(out);
  BOOST_TEST(a->errors().empty());
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(recording_is_encrypted_webm_that_decrypts_and_plays) {
  std::string type;
  const auto out = recordAndDiscover(vigil::video::VideoCodec::vp8, type);
  BOOST_TEST(type == "video/webm");
  BOOST_TEST(out.find("VP8") != std::string::npos, out);
  BOOST_TEST(out.find("Opus") != std::string::npos, out);
}

BOOST_AUTO_TEST_CASE(recording_of_an_h264_room_is_matroska_that_decrypts_and_plays) {
  std::string type;
  const auto out = recordAndDiscover(vigil::video::VideoCodec::h264, type);
  BOOST_TEST(type == "video/x-matroska");
  BOOST_TEST(out.find("H.264") != std::string::npos, out);
  BOOST_TEST(out.find("Opus") != std::string::npos, out);
}

BOOST_AUTO_TEST_CASE(a_full_room_refuses_another_participant) {
  Room room(2);
  auto a = room.join(1);
  auto b = room.join(2);
  BOOST_CHECK_THROW(room.relay->connect(3), vigil::AccessDenied);
  BOOST_CHECK_NO_THROW(room.join(2));  // a rejoin (a new client, as a reloaded page) is no newcomer
  room.relay->flush();
  BOOST_TEST(room.relay->participants() == (std::vector<std::int64_t>{1, 2}));
}

BOOST_AUTO_TEST_SUITE_END()
