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
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "video_test_support.hpp"
#include "vigil/core/error.hpp"
#include "vigil/crypto/field_cipher.hpp"
#include "vigil/crypto/key_ring.hpp"
#include "vigil/crypto/random.hpp"
#include "vigil/testsupport/deadline.hpp"
#include "vigil/video/recording.hpp"
#include "vigil/video/room_relay.hpp"
#include "webrtc_test_client.hpp"

using namespace std::chrono_literals;
using vigil::video::RelayConfig;
using vigil::video::RoomRelay;
using vigil::video::test::WebrtcTestClient;

namespace {

using vigil::video::test::waitFor;

/// A room and its clients, wired directly (the relay's signalling without the WebSocket): each
/// client is a session of its own, and the relay's messages reach only the client of the session
/// they name, as the media WebSocket routes them.
struct Room {
  struct Client {
    std::uint64_t session = 0;
    std::shared_ptr<WebrtcTestClient> client;  // null: a participant whose client never answers
  };
  std::mutex mu;
  std::map<std::int64_t, Client> clients;
  std::uint64_t nextSession = 0;
  std::unique_ptr<RoomRelay> relay;

  std::map<std::int64_t, std::vector<vigil::video::CallQuality>> quality;  // under mu
  /// What each session's client sent ("answer" and "ice" messages, in order), under mu.
  std::map<std::uint64_t, std::vector<std::string>> sent;
  /// The "error" reasons the relay sent to sessions without a client, under mu.
  std::map<std::uint64_t, std::vector<std::string>> silentErrors;
  /// Sessions whose client's messages are held back until release() (a slow network), under mu.
  std::map<std::uint64_t, std::vector<std::string>> held;

  vigil::video::test::WebrtcTestClientOptions clientOptions;

  explicit Room(int maxParticipants = 2, std::chrono::milliseconds statsInterval = 0ms,
                vigil::video::VideoCodec codec = vigil::video::VideoCodec::vp8,
                std::chrono::milliseconds connectTimeout = 30s) {
    RelayConfig config;
    config.maxParticipants = maxParticipants;
    config.statsInterval = statsInterval;
    config.videoCodec = codec;
    config.connectTimeout = connectTimeout;
    clientOptions.codec = std::string(vigil::video::toString(codec));
    auto onSignal = [this](std::int64_t id, std::uint64_t session, const std::string& json) {
      std::shared_ptr<WebrtcTestClient> c;
      {
        std::lock_guard lock(mu);
        auto it = clients.find(id);
        if (it == clients.end() || it->second.session != session) return;  // not its client
        c = it->second.client;
        if (!c && json.find("\"type\":\"error\"") != std::string::npos)
          silentErrors[session].push_back(json);
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
    vigil::testsupport::Deadline deadline("tearing down the room (clients, then the relay)", 60s);
    // The clients stop first (no more messages to the relay), then the room.
    std::map<std::int64_t, Client> gone;
    {
      std::lock_guard lock(mu);
      gone.swap(clients);
    }
    gone.clear();
    relay.reset();
  }

  /// Connects participant `id` with a new client (a new session; a rejoin replaces the last).
  /// With `holdMessages` the client's answer and candidates wait for release().
  /// `observer` sees the client's RTP (WebrtcTestClient).
  std::shared_ptr<WebrtcTestClient> join(std::int64_t id, bool holdMessages = false,
                                         vigil::video::test::RtpObserver observer = {}) {
    std::uint64_t session = 0;
    {
      std::lock_guard lock(mu);
      session = ++nextSession;
      if (holdMessages) held[session];
    }
    auto c = std::make_shared<WebrtcTestClient>(
        [this, id, session](const std::string& json) {
          {
            std::lock_guard lock(mu);
            sent[session].push_back(json);
            if (auto h = held.find(session); h != held.end()) {
              h->second.push_back(json);
              return;
            }
          }
          relay->handleSignal(id, session, json);
        },
        clientOptions, std::move(observer));
    {
      std::lock_guard lock(mu);
      clients[id] = Client{session, c};
    }
    relay->connect(id, session);
    return c;
  }

  /// Connects participant `id` with a session whose client never answers (a page that hangs, a
  /// network that drops the offer). Returns the session.
  std::uint64_t joinSilent(std::int64_t id) {
    std::uint64_t session = 0;
    {
      std::lock_guard lock(mu);
      session = ++nextSession;
      clients[id] = Client{session, nullptr};
    }
    relay->connect(id, session);
    return session;
  }

  /// Sends what the session's client held back, and what it sends from now on.
  void release(std::int64_t id, std::uint64_t session) {
    std::vector<std::string> out;
    {
      std::lock_guard lock(mu);
      out = std::move(held[session]);
      held.erase(session);
    }
    for (const auto& m : out) relay->handleSignal(id, session, m);
  }

  std::uint64_t sessionOf(std::int64_t id) {
    std::lock_guard lock(mu);
    return clients.at(id).session;
  }

  std::vector<std::string> sentBy(std::uint64_t session) {
    std::lock_guard lock(mu);
    return sent[session];
  }

  std::vector<std::string> silentErrorsOf(std::uint64_t session) {
    std::lock_guard lock(mu);
    return silentErrors[session];
  }

  /// Waits (bounded) until the relay's control thread has run every queued change.
  void flush() {
    BOOST_REQUIRE_MESSAGE(relay->flushFor(30s),
                          "the relay's control thread did not finish its queued changes "
                          "(connect, disconnect) within 30 s");
  }

  void drop(std::int64_t id) {
    relay->disconnect(id, "test drop");
    flush();
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
  BOOST_TEST(waitFor([&] { return a->keyframeRequestsSeen() > seen; }, 15s));
  for (auto* f : room.elementFactories())
    BOOST_TEST(!touchesMedia(f), "media element in the relay: " << GST_OBJECT_NAME(f));
}

BOOST_AUTO_TEST_CASE(keyframe_request_reaches_the_sender) {
  Room room;
  auto a = room.join(1);
  auto b = room.join(2);
  BOOST_TEST_REQUIRE(waitFor([&] { return receivesMedia(*b, 5, 0) && receivesMedia(*a, 5, 0); }));
  // The relay asks for a keyframe when it links a new receiver and twice more, 1 s and 3 s
  // later (Peer::keyframeRetries); wait until those have passed and the count holds for 2.5 s.
  std::this_thread::sleep_for(3500ms);
  auto seen = a->keyframeRequestsSeen();
  for (int i = 0; i < 10; ++i) {
    std::this_thread::sleep_for(2500ms);
    const auto now = a->keyframeRequestsSeen();
    if (now == seen) break;
    seen = now;
  }
  b->requestKeyframe();
  // A feedback packet may go early only once per regular RTCP interval (RFC 4585 3.5.2); the
  // relay's last retry may have used that chance, so the request can wait for the next regular
  // report (at most 1.5 x the 5 s minimum interval).
  BOOST_TEST(waitFor([&] { return a->keyframeRequestsSeen() > seen; }, 15s),
             "keyframe requests at the sender: " << a->keyframeRequestsSeen() << " (was " << seen
                                                 << " before the receiver asked)");
}

BOOST_AUTO_TEST_CASE(a_packet_lost_before_the_relay_is_retransmitted_to_the_receiver) {
  // The relay holds no jitter buffer and asks no one for anything by itself: the receiver's NACK
  // must cross it to the sender, whose retransmission must cross it back (room_relay_forward.cpp).
  Room room;
  // The receiver waits up to 1 s for a missing packet: time for its requests to be answered.
  room.clientOptions.jitterLatencyMs = 1000;
  std::mutex mu;
  std::set<std::uint64_t> receivedByB;
  auto a = room.join(1);
  auto b = room.join(2, false, [&](bool sent, bool video, std::uint64_t key, std::size_t) {
    if (sent || !video) return;
    std::lock_guard lock(mu);
    receivedByB.insert(key);
  });
  BOOST_TEST_REQUIRE(waitFor([&] { return receivesMedia(*b, 5, 0) && receivesMedia(*a, 5, 0); }));
  const auto lost = a->dropNextVideoPacketSent();
  BOOST_TEST_REQUIRE(lost != 0u, "no camera packet left the sender to drop");
  const bool recovered = waitFor(
      [&] {
        std::lock_guard lock(mu);
        return receivedByB.count(lost) != 0;
      },
      15s);
  BOOST_TEST(recovered,
             "the camera packet lost between the sender and the relay never reached "
             "the receiver (seq "
                 << ((lost >> 32) & 0xffff) << ")");
  // And the stream goes on after it.
  const auto frames = b->videoFramesDecoded();
  BOOST_TEST(waitFor([&] { return b->videoFramesDecoded() > frames + 10; }));
}

BOOST_AUTO_TEST_CASE(the_relay_holds_no_jitterbuffer) {
  Room room;
  auto a = room.join(1);
  auto b = room.join(2);
  BOOST_TEST_REQUIRE(waitFor([&] { return receivesMedia(*b, 5, 0) && receivesMedia(*a, 5, 0); }));
  int forwarders = 0;
  for (auto* f : room.elementFactories()) {
    const std::string name = gst_plugin_feature_get_name(GST_PLUGIN_FEATURE(f));
    BOOST_TEST(name != "rtpjitterbuffer", "a jitterbuffer in the relay");
    if (name == "vigilrtpforward") ++forwarders;
  }
  // One per incoming stream: each participant's microphone and camera.
  BOOST_TEST(forwarders >= 4);
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
  room.flush();
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
/// `stubbornSender`: participant 1 sends keyframes only when asked and ignores the first request
/// after the recording starts (a browser once answered none, and the recording held audio only).
std::string recordAndDiscover(vigil::video::VideoCodec codec, std::string& mediaType,
                              bool stubbornSender = false) {
  Room room(2, 0ms, codec);
  if (stubbornSender) room.clientOptions.keyframeSeconds = 0;
  auto a = room.join(1);
  auto b = room.join(2);
  BOOST_TEST_REQUIRE(waitFor([&] { return receivesMedia(*b, 10, 10); }));
  std::uint64_t requestsBefore = 0;
  if (stubbornSender) {
    // The relay's own keyframe requests for the new receiver (at connection, 1 s and 3 s after)
    // are over, and no other comes while nothing is lost.
    std::this_thread::sleep_for(4s);
    requestsBefore = a->keyframeRequestsSeen();
    a->ignoreKeyframeRequests(1);
  }
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
    room.flush();
    std::this_thread::sleep_for(4s);
    room.relay->stopRecording(1);
    room.flush();
    recording.stop();
    BOOST_TEST(recording.bytesWritten() > 10'000u);
  }
  // The recording asked again when the first request brought nothing (and not endlessly: at most
  // one request per 300 ms while it waits, none once it has a keyframe).
  if (stubbornSender) {
    const auto asked = a->keyframeRequestsSeen() - requestsBefore;
    BOOST_TEST(asked >= 2u);
    BOOST_TEST(asked <= 8u);
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
  BOOST_TEST(reader.complete());  // stopped: it ends with its end-marked chunk
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

BOOST_AUTO_TEST_CASE(a_recording_asks_again_for_a_keyframe_the_first_request_did_not_bring) {
  std::string type;
  const auto out = recordAndDiscover(vigil::video::VideoCodec::vp8, type, true);
  BOOST_TEST(type == "video/webm");
  // The camera's frames are in the file (the depayloader keeps none before a keyframe).
  BOOST_TEST(out.find("Width: 320") != std::string::npos, out);
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
  BOOST_CHECK_THROW(room.relay->connect(3, 99), vigil::AccessDenied);
  BOOST_CHECK_NO_THROW(room.join(2));  // a rejoin (a new client, as a reloaded page) is no newcomer
  room.flush();
  BOOST_TEST(room.relay->participants() == (std::vector<std::int64_t>{1, 2}));
}

// The hang of issue 31: a session that never connects (here: a client that never answers) gets
// the other participant's media pushed into its webrtcbin, which holds the pushing thread until
// DTLS is up; tearing that session down stopped the branch queue whose thread was held there,
// and the control thread, flush() and the room's teardown waited forever.
BOOST_AUTO_TEST_CASE(a_session_that_never_answers_ends_by_itself_and_blocks_nothing) {
  Room room(2, 0ms, vigil::video::VideoCodec::vp8, 3s);
  auto a = room.join(1);
  const auto silent = room.joinSilent(2);
  BOOST_TEST_REQUIRE(
      waitFor([&] { return room.relay->connectionState(1).value_or("") == "connected"; }),
      "participant 1 did not connect: " << room.relay->connectionState(1).value_or("none"));
  // Participant 1's camera, microphone and screen now flow towards the silent session.
  std::this_thread::sleep_for(1s);
  BOOST_TEST(waitFor([&] { return !room.silentErrorsOf(silent).empty(); }, 20s),
             "the relay did not end the session that never answered");
  BOOST_TEST(room.relay->participants() == (std::vector<std::int64_t>{1}));
  const auto errors = room.silentErrorsOf(silent);
  BOOST_TEST((!errors.empty() && errors.front().find("not established") != std::string::npos));
  // Marked as the end of the session, so the page joins again by itself.
  BOOST_TEST((!errors.empty() && errors.front().find("\"ended\":true") != std::string::npos));
  room.flush();
  // The place is free again: participant 2 joins for real and both see and hear each other.
  auto b = room.join(2);
  BOOST_TEST(waitFor([&] { return receivesMedia(*a, 10, 10) && receivesMedia(*b, 10, 10); }),
             "a: video " << a->videoFramesDecoded() << "; b: video " << b->videoFramesDecoded()
                         << "; errors " << a->errors() << b->errors());
  BOOST_TEST(a->errors().empty());
}

// A participant who leaves while another has not connected yet: the branch from the leaver into
// the unconnected session must stop without waiting for that session's DTLS.
BOOST_AUTO_TEST_CASE(leaving_while_another_session_is_unconnected_blocks_nothing) {
  Room room(3, 0ms, vigil::video::VideoCodec::vp8, 60s);
  auto a = room.join(1);
  auto b = room.join(2);
  BOOST_TEST_REQUIRE(waitFor([&] { return receivesMedia(*a, 5, 5) && receivesMedia(*b, 5, 5); }));
  room.joinSilent(3);
  std::this_thread::sleep_for(1s);  // 1's and 2's media flow towards the silent session
  room.drop(1);                     // bounded: fails if the control thread is held
  BOOST_TEST(room.relay->participants() == (std::vector<std::int64_t>{2, 3}));
  const auto before = b->audioFramesDecoded();
  room.drop(3);
  auto a2 = room.join(1);
  BOOST_TEST(
      waitFor([&] { return receivesMedia(*a2, 10, 10) && b->audioFramesDecoded() > before; }),
      "a2: video " << a2->videoFramesDecoded() << "; b: audio " << b->audioFramesDecoded());
}

// The cause of the failed rejoin in issue 31: the replaced session's answer and candidates (here
// replayed deterministically; in the field, late messages of a reloaded page's old session)
// reached the new session, whose ICE/DTLS then failed. A message is taken only for the
// participant's current session.
BOOST_AUTO_TEST_CASE(a_rejoin_ignores_the_replaced_sessions_answer_and_candidates) {
  Room room(2);
  auto a = room.join(1);
  auto b = room.join(2);
  BOOST_TEST_REQUIRE(waitFor([&] { return receivesMedia(*a, 5, 5) && receivesMedia(*b, 5, 5); }));
  const auto oldSession = room.sessionOf(2);
  const auto oldMessages = room.sentBy(oldSession);
  BOOST_TEST_REQUIRE(!oldMessages.empty());
  // The page reloads. The new client's answer is slow; the old session's messages arrive while
  // the new session waits for it (the relay has its new offer out).
  auto c = room.join(2, true);
  const auto newSession = room.sessionOf(2);
  BOOST_TEST_REQUIRE(waitFor([&] {
                       for (const auto& m : room.sentBy(newSession))
                         if (m.find("\"answer\"") != std::string::npos) return true;
                       return false;
                     }),
                     "the new client did not answer the new session's offer");
  for (const auto& m : oldMessages) room.relay->handleSignal(2, oldSession, m);
  room.flush();
  room.release(2, newSession);
  BOOST_TEST(waitFor([&] { return receivesMedia(*c, 10, 10); }),
             "rejoined: video " << c->videoFramesDecoded() << " audio " << c->audioFramesDecoded()
                                << "; state " << room.relay->connectionState(2).value_or("none")
                                << "; errors " << c->errors());
  const auto aBefore = a->videoFramesDecoded();
  BOOST_TEST(waitFor([&] { return a->videoFramesDecoded() > aBefore + 10; }));
  BOOST_TEST(room.relay->connectionState(2).value_or("") == "connected");
  BOOST_TEST(c->errors().empty());
  BOOST_TEST(c->remoteOffer() != b->remoteOffer());  // c got its own session's offer only
}

BOOST_AUTO_TEST_SUITE_END()
