#include "vigil/video/room_relay.hpp"

#define GST_USE_UNSTABLE_API 1  // webrtc/webrtc.h warns without it
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <gst/gst.h>
#include <gst/rtp/gstrtpbuffer.h>
#include <gst/sdp/sdp.h>
#include <gst/webrtc/webrtc.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cassert>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "vigil/core/error.hpp"
#include "vigil/core/log.hpp"
#include "vigil/core/metrics.hpp"
#include "vigil/core/thread_name.hpp"
#include "vigil/video/recording.hpp"

namespace vigil::video {
namespace {

/// What a slot's m-line carries: microphone, camera, or a shared screen (a second video).
enum Kind { kAudio = 0, kVideo = 1, kScreen = 2 };
constexpr std::size_t kKinds = 3;
constexpr std::array<const char*, kKinds> kKindNames = {"audio", "video", "screen"};
constexpr int kAudioPtBase = 111;
constexpr int kVideoPtBase = 96;
constexpr int kScreenPtBase = 102;

int payloadType(Kind kind, int slot) {
  return (kind == kAudio ? kAudioPtBase : kind == kVideo ? kVideoPtBase : kScreenPtBase) + slot;
}

/// Transport-wide congestion control (the RTP header extension, id 3 on every m-line): each leg
/// (browser -> box, box -> browser) is its own session, and the box's RTP session answers a
/// sender's sequence numbers with transport-cc feedback, so a browser's delay-based bandwidth
/// estimation works on its own leg to the box.
constexpr const char* kTwccExtmap = "extmap-3";
constexpr const char* kTwccUri =
    "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01";

/// The caps a slot is offered with (its codec preferences) and sent with.
GstCaps* slotCaps(Kind kind, int slot, VideoCodec codec) {
  const int pt = payloadType(kind, slot);  // a screen is a video stream of its own
  if (kind == kAudio) {
    return gst_caps_new_simple("application/x-rtp", "media", G_TYPE_STRING, "audio",
                               "encoding-name", G_TYPE_STRING, "OPUS", "payload", G_TYPE_INT, pt,
                               "clock-rate", G_TYPE_INT, 48000, "encoding-params", G_TYPE_STRING,
                               "2", "minptime", G_TYPE_STRING, "10", "useinbandfec", G_TYPE_STRING,
                               "1", kTwccExtmap, G_TYPE_STRING, kTwccUri, nullptr);
  }
  if (codec == VideoCodec::h264) {
    return gst_caps_new_simple(
        "application/x-rtp", "media", G_TYPE_STRING, "video", "encoding-name", G_TYPE_STRING,
        "H264", "payload", G_TYPE_INT, pt, "clock-rate", G_TYPE_INT, 90000, "packetization-mode",
        G_TYPE_STRING, "1", "profile-level-id", G_TYPE_STRING, "42e01f", "level-asymmetry-allowed",
        G_TYPE_STRING, "1", "rtcp-fb-nack-pli", G_TYPE_BOOLEAN, TRUE, "rtcp-fb-ccm-fir",
        G_TYPE_BOOLEAN, TRUE, kTwccExtmap, G_TYPE_STRING, kTwccUri, nullptr);
  }
  return gst_caps_new_simple("application/x-rtp", "media", G_TYPE_STRING, "video", "encoding-name",
                             G_TYPE_STRING, "VP8", "payload", G_TYPE_INT, pt, "clock-rate",
                             G_TYPE_INT, 90000, "rtcp-fb-nack-pli", G_TYPE_BOOLEAN, TRUE,
                             "rtcp-fb-ccm-fir", G_TYPE_BOOLEAN, TRUE, kTwccExtmap, G_TYPE_STRING,
                             kTwccUri, nullptr);
}

std::string connectionStateName(GstWebRTCPeerConnectionState s) {
  switch (s) {
    case GST_WEBRTC_PEER_CONNECTION_STATE_NEW:
      return "new";
    case GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTING:
      return "connecting";
    case GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED:
      return "connected";
    case GST_WEBRTC_PEER_CONNECTION_STATE_DISCONNECTED:
      return "disconnected";
    case GST_WEBRTC_PEER_CONNECTION_STATE_FAILED:
      return "failed";
    case GST_WEBRTC_PEER_CONNECTION_STATE_CLOSED:
      return "closed";
  }
  return "unknown";
}

std::string toJson(const Poco::JSON::Object& o) {
  std::ostringstream out;
  o.stringify(out);
  return out.str();
}

void initGstreamer() {
  static std::once_flag once;
  std::call_once(once, [] { gst_init(nullptr, nullptr); });
}

GstElement* makeElement(const char* factory, const std::string& name) {
  GstElement* e = gst_element_factory_make(factory, name.c_str());
  if (e == nullptr)
    throw Error(std::string("video: GStreamer element '") + factory +
                "' is missing (install the packages in scripts/deps/video.txt)");
  return e;
}

/// Rewrites the RTP payload type of one buffer (copying its memory only when shared).
GstBuffer* rewritePayloadType(GstBuffer* buf, guint8 pt) {
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  if (!gst_rtp_buffer_map(buf, GST_MAP_READ, &rtp)) return buf;
  const bool same = gst_rtp_buffer_get_payload_type(&rtp) == pt;
  gst_rtp_buffer_unmap(&rtp);
  if (same) return buf;
  buf = gst_buffer_make_writable(buf);
  if (gst_rtp_buffer_map(buf, GST_MAP_WRITE, &rtp)) {
    gst_rtp_buffer_set_payload_type(&rtp, pt);
    gst_rtp_buffer_unmap(&rtp);
  }
  return buf;
}

/// What a forwarding branch rewrites: the slot's payload type and caps; and whether its
/// receiver's session has connected (until then its buffers are dropped: see the file comment
/// of room_relay.hpp on webrtcbin's DTLS block).
struct BranchRewrite {
  guint8 pt = 0;
  GstCaps* caps = nullptr;  // owned
  std::shared_ptr<std::atomic<bool>> receiverConnected;
};

void freeBranchRewrite(gpointer data) {
  auto* r = static_cast<BranchRewrite*>(data);
  gst_caps_unref(r->caps);
  delete r;
}

GstPadProbeReturn rewriteProbe(GstPad* /*pad*/, GstPadProbeInfo* info, gpointer data) {
  auto* r = static_cast<BranchRewrite*>(data);
  if ((info->type & (GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST)) != 0 &&
      !r->receiverConnected->load())
    return GST_PAD_PROBE_DROP;
  if ((info->type & GST_PAD_PROBE_TYPE_BUFFER) != 0) {
    GST_PAD_PROBE_INFO_DATA(info) =
        rewritePayloadType(static_cast<GstBuffer*>(GST_PAD_PROBE_INFO_DATA(info)), r->pt);
  } else if ((info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST) != 0) {
    auto* list =
        gst_buffer_list_make_writable(static_cast<GstBufferList*>(GST_PAD_PROBE_INFO_DATA(info)));
    const guint n = gst_buffer_list_length(list);
    for (guint i = 0; i < n; ++i) {
      GstBuffer* b = gst_buffer_list_get_writable(list, i);
      GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
      if (gst_rtp_buffer_map(b, GST_MAP_WRITE, &rtp)) {
        gst_rtp_buffer_set_payload_type(&rtp, r->pt);
        gst_rtp_buffer_unmap(&rtp);
      }
    }
    GST_PAD_PROBE_INFO_DATA(info) = list;
  } else if ((info->type & GST_PAD_PROBE_TYPE_QUERY_BOTH) != 0) {
    // Caps queries are answered here with "any RTP": the rewrite makes the caps right for
    // the slot, so neither side may constrain the other (the sender's payload type differs
    // from the slot's, and one sender's tee feeds slots with different payload types).
    GstQuery* query = GST_PAD_PROBE_INFO_QUERY(info);
    if (GST_QUERY_TYPE(query) == GST_QUERY_CAPS) {
      GstCaps* filter = nullptr;
      gst_query_parse_caps(query, &filter);
      GstCaps* rtp = gst_caps_new_empty_simple("application/x-rtp");
      GstCaps* result = filter != nullptr
                            ? gst_caps_intersect_full(filter, rtp, GST_CAPS_INTERSECT_FIRST)
                            : gst_caps_ref(rtp);
      gst_caps_unref(rtp);
      gst_query_set_caps_result(query, result);
      gst_caps_unref(result);
      return GST_PAD_PROBE_HANDLED;
    }
    if (GST_QUERY_TYPE(query) == GST_QUERY_ACCEPT_CAPS) {
      gst_query_set_accept_caps_result(query, TRUE);
      return GST_PAD_PROBE_HANDLED;
    }
  } else if ((info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) != 0) {
    auto* event = static_cast<GstEvent*>(GST_PAD_PROBE_INFO_DATA(info));
    if (GST_EVENT_TYPE(event) == GST_EVENT_CAPS) {
      GstCaps* in = nullptr;
      gst_event_parse_caps(event, &in);
      GstCaps* out = gst_caps_copy(r->caps);
      guint ssrc = 0;
      if (in != nullptr && gst_caps_get_size(in) > 0 &&
          gst_structure_get_uint(gst_caps_get_structure(in, 0), "ssrc", &ssrc)) {
        gst_caps_set_simple(out, "ssrc", G_TYPE_UINT, ssrc, nullptr);
      }
      GST_PAD_PROBE_INFO_DATA(info) = gst_event_new_caps(out);
      gst_caps_unref(out);
      gst_event_unref(event);
    }
  }
  return GST_PAD_PROBE_OK;
}

/// An upstream keyframe request (what a receiver's PLI becomes inside GStreamer).
GstEvent* forceKeyUnitEvent() {
  return gst_event_new_custom(
      GST_EVENT_CUSTOM_UPSTREAM,
      gst_structure_new("GstForceKeyUnit", "all-headers", G_TYPE_BOOLEAN, TRUE, nullptr));
}

/// The shortest regular RTCP interval of every participant's RTP session. A keyframe request
/// (PLI) may go early only once per regular interval (RFC 4585 3.5.2), and rtpsession's default
/// minimum is 5 s (up to 7.5 s randomised): a second request soon after a first (a recording
/// started just after a screen share or a new receiver) waited that long, and the recording,
/// which starts at a keyframe, held nothing but headers meanwhile, audio included (issue 31).
/// One second keeps keyframe requests prompt; RTCP stays a few hundred bytes a second.
constexpr guint64 kRtcpMinIntervalNs = 1'000'000'000;

/// webrtcbin creates its RTP sessions inside its rtpbin as the session comes up: each gets the
/// interval above.
void onElementAdded(GstBin*, GstBin*, GstElement* element, gpointer) {
  GstElementFactory* factory = gst_element_get_factory(element);
  if (factory == nullptr) return;
  const std::string_view name = gst_plugin_feature_get_name(GST_PLUGIN_FEATURE(factory));
  if (name == "rtpsession") g_object_set(element, "rtcp-min-interval", kRtcpMinIntervalNs, nullptr);
}

Counter& pipelineErrors() {
  static Counter& c = Metrics::global().counter(
      "vigil_video_session_errors_total", "Participant sessions ended by a media pipeline error");
  return c;
}

Counter& sessionsStarted() {
  static Counter& c = Metrics::global().counter("vigil_video_sessions_started_total",
                                                "WebRTC sessions opened by the video relay");
  return c;
}

}  // namespace

std::string_view toString(VideoCodec codec) {
  return codec == VideoCodec::h264 ? "h264" : "vp8";
}

VideoCodec parseVideoCodec(std::string_view name) {
  if (name == "vp8") return VideoCodec::vp8;
  if (name == "h264") return VideoCodec::h264;
  throw ConfigError("video.codec: expected vp8 or h264");
}

void RelayConfig::validate() const {
  if (maxParticipants < 2 || maxParticipants > 5)
    throw ConfigError("video.max_participants: expected 2 to 5");
  if (!stunServer.empty() && stunServer.rfind("stun://", 0) != 0)
    throw ConfigError("video.stun_server: expected stun://host:port");
  if (!turnServer.empty() && turnServer.rfind("turn://", 0) != 0 &&
      turnServer.rfind("turns://", 0) != 0)
    throw ConfigError("video.turn_server: expected turn://user:password@host:port");
  if ((portMin == 0) != (portMax == 0) || portMin > portMax)
    throw ConfigError("video.udp_port_min/max: both set, min <= max (or both 0: any port)");
  if (statsInterval.count() < 0) throw ConfigError("video.stats_interval: must not be negative");
  if (connectTimeout.count() < 0)
    throw ConfigError("video.connect_timeout_seconds: must not be negative");
  if (latency.count() < 0 || latency.count() > 1000)
    throw ConfigError("video.latency_ms: expected 0 to 1000");
}

/// One participant's session: their webrtcbin, the tees their media enters, the branches that
/// bring the others' media to them. Touched structurally only on the control thread.
struct Peer {
  std::int64_t id = 0;
  std::uint64_t session = 0;  // the caller's number for this session (signalling routes by it)
  std::chrono::steady_clock::time_point openedAt{};
  /// Set once the session has connected (ICE + DTLS): the branches into it carry media from then.
  std::shared_ptr<std::atomic<bool>> connected = std::make_shared<std::atomic<bool>>(false);
  std::string prefix;  // element-name prefix "p<id>-"
  GstElement* webrtc = nullptr;
  std::array<GstElement*, kKinds> tees{};
  std::array<std::vector<GstPad*>, kKinds> sinks;  // requested webrtcbin sink pads per kind, slot
  std::vector<std::int64_t> slotOwner;             // source participant per slot (0 = free)
  /// Branch queues bringing source participant S's media into this peer, per kind.
  std::map<std::int64_t, std::array<GstElement*, kKinds>> branchesFrom;
  std::vector<gulong> handlers;
  std::atomic<int> state{GST_WEBRTC_PEER_CONNECTION_STATE_NEW};
  // Recording taps (queue, appsink) on the audio and camera tees; null when not recording.
  std::array<GstElement*, 2> recQueues{};
  std::array<GstElement*, 2> recTaps{};
  /// When to ask this receiver's senders for a keyframe again after it connected (control
  /// thread): a keyframe produced for the first request may reach the branch just before its
  /// gate opened, and a receiver that does not ask by itself (not every client sends PLI on a
  /// stream start) would then wait for the sender's next periodic keyframe.
  std::vector<std::chrono::steady_clock::time_point> keyframeRetries;
  // The last quality sample's byte count and time (for the bitrate), on the stats thread.
  std::mutex statsMu;
  std::uint64_t lastBytes = 0;
  std::chrono::steady_clock::time_point lastStatsAt{};
};

struct RoomRelay::Impl : std::enable_shared_from_this<RoomRelay::Impl> {
  std::int64_t visitId = 0;
  RelayConfig config;
  SignalOut out;
  QualityOut quality;
  std::chrono::steady_clock::time_point nextStats{};
  GstElement* pipeline = nullptr;
  GstBus* bus = nullptr;
  std::thread control;

  mutable std::mutex mu;
  std::condition_variable idle;
  std::deque<std::function<void()>> jobs;
  bool running = true;
  bool busy = false;
  std::map<std::int64_t, std::shared_ptr<Peer>> peers;  // written on the control thread, under mu
  /// Participants admitted to the room (connect() adds at once, so capacity is exact even while
  /// their sessions are still being built on the control thread).
  std::set<std::int64_t> members;

  void post(std::function<void()> job) {
    {
      std::lock_guard lock(mu);
      jobs.push_back(std::move(job));
    }
    // Wakes the control thread, which waits on the bus.
    gst_bus_post(bus,
                 gst_message_new_application(nullptr, gst_structure_new_empty("vigil-video-wake")));
  }

  /// A message to the client of `to`'s session.
  void send(const Peer& to, const Poco::JSON::Object& msg) {
    if (out) out(to.id, to.session, toJson(msg));
  }

  /// Tells a participant whose media each of its slots carries ({"type":"slots","owners":[id
  /// or 0 per slot]}), so the page can put names on the tiles.
  void sendSlots(const Peer& dest) {
    Poco::JSON::Array::Ptr owners = new Poco::JSON::Array;
    for (auto owner : dest.slotOwner) owners->add(owner);
    Poco::JSON::Object msg;
    msg.set("type", "slots");
    msg.set("owners", owners);
    send(dest, msg);
  }

  std::shared_ptr<Peer> peer(std::int64_t id) const {
    std::lock_guard lock(mu);
    auto it = peers.find(id);
    return it == peers.end() ? nullptr : it->second;
  }

  void run();
  void handleBusMessage(GstMessage* msg);
  void doConnect(std::int64_t id, std::uint64_t session);
  void endUnconnected();
  /// Asks the senders into `receiver` (and its recording tap) for a keyframe.
  void requestKeyframesFor(Peer& receiver);
  void retryKeyframes();
  void doDisconnect(std::int64_t id, const std::string& reason, bool notify);
  void link(Peer& source, Peer& dest);
  void unlink(Peer& source, Peer& dest);
  void onOfferCreated(const std::shared_ptr<Peer>& p, GstPromise* promise);
  void onIncomingPad(const std::shared_ptr<Peer>& p, GstPad* pad);
  void sampleQuality();
  void doStartRecording(std::int64_t id, RoomRecording& recording);
  void doStopRecording(Peer& p);
  void onStats(const std::shared_ptr<Peer>& p, const GstStructure* stats);
};

namespace {

/// A weak reference handed to GStreamer callbacks: a peer torn down meanwhile is ignored.
struct PeerRef {
  std::weak_ptr<RoomRelay::Impl> room;
  std::weak_ptr<Peer> peer;
};

void freePeerRef(gpointer data, GClosure* /*closure*/) {
  delete static_cast<PeerRef*>(data);
}

void freePeerRefNotify(gpointer data) {
  delete static_cast<PeerRef*>(data);
}

}  // namespace

}  // namespace vigil::video

// The callbacks need Impl's full type; they live outside the anonymous namespace above.
namespace vigil::video {
namespace {

void onIceCandidate(GstElement* /*webrtc*/, guint mline, gchar* candidate, gpointer data) {
  auto* ref = static_cast<PeerRef*>(data);
  auto room = ref->room.lock();
  auto p = ref->peer.lock();
  if (!room || !p) return;
  Poco::JSON::Object msg;
  msg.set("type", "ice");
  msg.set("sdpMLineIndex", static_cast<int>(mline));
  msg.set("candidate", std::string(candidate != nullptr ? candidate : ""));
  room->send(*p, msg);
}

void onPadAdded(GstElement* /*webrtc*/, GstPad* pad, gpointer data) {
  auto* ref = static_cast<PeerRef*>(data);
  auto room = ref->room.lock();
  auto p = ref->peer.lock();
  if (!room || !p || GST_PAD_DIRECTION(pad) != GST_PAD_SRC) return;
  room->onIncomingPad(p, pad);
}

void onConnectionState(GObject* webrtc, GParamSpec* /*pspec*/, gpointer data) {
  auto* ref = static_cast<PeerRef*>(data);
  auto room = ref->room.lock();
  auto p = ref->peer.lock();
  if (!room || !p) return;
  GstWebRTCPeerConnectionState s = GST_WEBRTC_PEER_CONNECTION_STATE_NEW;
  g_object_get(webrtc, "connection-state", &s, nullptr);
  p->state = static_cast<int>(s);
  log::info("video.connection_state",
            {{"visit", room->visitId}, {"participant", p->id}, {"state", connectionStateName(s)}});
  if (s == GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED) {
    p->connected->store(true);  // DTLS is up: the branches into this session may carry media
    // The receiver can decode only from a keyframe: ask each of its senders for one, now and
    // twice more shortly after (Peer::keyframeRetries).
    std::weak_ptr<Peer> weak = p;
    std::weak_ptr<RoomRelay::Impl> weakRoom = room;
    room->post([weak, weakRoom] {
      auto peer = weak.lock();
      auto self = weakRoom.lock();
      if (!peer || !self) return;
      self->requestKeyframesFor(*peer);
      const auto now = std::chrono::steady_clock::now();
      peer->keyframeRetries = {now + std::chrono::seconds(1), now + std::chrono::seconds(3)};
    });
  }
  if (s == GST_WEBRTC_PEER_CONNECTION_STATE_FAILED) {
    const auto id = p->id;
    std::weak_ptr<Peer> weak = p;
    room->post([room, id, weak] {
      auto current = room->peer(id);
      if (current && current == weak.lock())
        room->doDisconnect(id, "connection failed (ICE/DTLS); rejoin to reconnect", true);
    });
  }
}

void onOfferReply(GstPromise* promise, gpointer data) {
  auto* ref = static_cast<PeerRef*>(data);
  auto room = ref->room.lock();
  auto p = ref->peer.lock();
  if (room && p) room->onOfferCreated(p, promise);
  gst_promise_unref(promise);
}

void onStatsReply(GstPromise* promise, gpointer data) {
  auto* ref = static_cast<PeerRef*>(data);
  auto room = ref->room.lock();
  auto p = ref->peer.lock();
  if (room && p && gst_promise_wait(promise) == GST_PROMISE_RESULT_REPLIED) {
    const GstStructure* reply = gst_promise_get_reply(promise);
    if (reply != nullptr) room->onStats(p, reply);
  }
  gst_promise_unref(promise);
}

std::optional<std::int64_t> ownerOf(GstObject* src) {
  // Walk up to the top-level element in the pipeline; its name is "p<id>-...".
  for (GstObject* o = src; o != nullptr; o = GST_OBJECT_PARENT(o)) {
    const gchar* name = GST_OBJECT_NAME(o);
    if (name == nullptr || name[0] != 'p') continue;
    char* end = nullptr;
    const long long id = std::strtoll(name + 1, &end, 10);
    if (end != name + 1 && *end == '-') return static_cast<std::int64_t>(id);
  }
  return std::nullopt;
}

}  // namespace

void RoomRelay::Impl::sampleQuality() {
  std::vector<std::shared_ptr<Peer>> connected;
  {
    std::lock_guard lock(mu);
    for (auto& [id, p] : peers)
      if (p->state == GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED) connected.push_back(p);
  }
  auto self = shared_from_this();
  for (auto& p : connected) {
    GstPromise* promise =
        gst_promise_new_with_change_func(onStatsReply, new PeerRef{self, p}, freePeerRefNotify);
    g_signal_emit_by_name(p->webrtc, "get-stats", nullptr, promise);
  }
}

void RoomRelay::Impl::onStats(const std::shared_ptr<Peer>& p, const GstStructure* stats) {
  CallQuality q;
  std::uint64_t bytes = 0;
  std::int64_t lost = 0;
  const int n = gst_structure_n_fields(stats);
  for (int i = 0; i < n; ++i) {
    const GValue* v =
        gst_structure_get_value(stats, gst_structure_nth_field_name(stats, static_cast<guint>(i)));
    if (v == nullptr || !GST_VALUE_HOLDS_STRUCTURE(v)) continue;
    const GstStructure* s = gst_value_get_structure(v);
    GstWebRTCStatsType type{};
    if (!gst_structure_get_enum(s, "type", GST_TYPE_WEBRTC_STATS_TYPE,
                                reinterpret_cast<gint*>(&type)))
      continue;
    if (type == GST_WEBRTC_STATS_INBOUND_RTP) {
      guint64 received = 0;
      guint64 inBytes = 0;
      gint64 streamLost = 0;
      gdouble jitter = 0;
      if (gst_structure_get_uint64(s, "packets-received", &received)) q.packetsReceived += received;
      if (gst_structure_get_uint64(s, "bytes-received", &inBytes)) bytes += inBytes;
      if (gst_structure_get_int64(s, "packets-lost", &streamLost) && streamLost > 0)
        lost += streamLost;
      if (gst_structure_get_double(s, "jitter", &jitter))
        q.jitterMs = std::max(q.jitterMs, jitter * 1000.0);
    } else if (type == GST_WEBRTC_STATS_REMOTE_INBOUND_RTP) {
      gdouble rtt = 0;
      if (gst_structure_get_double(s, "round-trip-time", &rtt) && rtt > 0)
        q.rttMs = std::max(q.rttMs, rtt * 1000.0);
    }
  }
  const double expected = static_cast<double>(q.packetsReceived) + static_cast<double>(lost);
  q.lossPct = expected > 0 ? 100.0 * static_cast<double>(lost) / expected : 0.0;
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(p->statsMu);
    if (p->lastStatsAt != std::chrono::steady_clock::time_point{} && bytes >= p->lastBytes) {
      const double seconds = std::chrono::duration<double>(now - p->lastStatsAt).count();
      if (seconds > 0)
        q.kbpsIn = static_cast<double>(bytes - p->lastBytes) * 8.0 / 1000.0 / seconds;
    }
    p->lastBytes = bytes;
    p->lastStatsAt = now;
  }
  if (quality) quality(p->id, q);
}

void RoomRelay::Impl::run() {
  for (;;) {
    GstMessage* msg = gst_bus_timed_pop(bus, 200 * GST_MSECOND);
    if (msg != nullptr) {
      handleBusMessage(msg);
      gst_message_unref(msg);
    }
    if (config.statsInterval.count() > 0 && std::chrono::steady_clock::now() >= nextStats) {
      nextStats = std::chrono::steady_clock::now() + config.statsInterval;
      sampleQuality();
    }
    if (config.connectTimeout.count() > 0) endUnconnected();
    retryKeyframes();
    for (;;) {
      std::function<void()> job;
      {
        std::lock_guard lock(mu);
        if (jobs.empty()) {
          busy = false;
          idle.notify_all();
          if (!running) return;
          break;
        }
        job = std::move(jobs.front());
        jobs.pop_front();
        busy = true;
      }
      try {
        job();
      } catch (const std::exception& e) {
        log::error("video.control_job_failed", {{"visit", visitId}, {"error", e.what()}});
      }
    }
  }
}

void RoomRelay::Impl::handleBusMessage(GstMessage* msg) {
  if (GST_MESSAGE_TYPE(msg) != GST_MESSAGE_ERROR) return;
  GError* err = nullptr;
  gchar* debug = nullptr;
  gst_message_parse_error(msg, &err, &debug);
  const std::string what = err != nullptr ? err->message : "unknown error";
  const std::string element = GST_MESSAGE_SRC_NAME(msg) != nullptr ? GST_MESSAGE_SRC_NAME(msg) : "";
  g_clear_error(&err);
  g_free(debug);
  auto owner = ownerOf(GST_MESSAGE_SRC(msg));
  log::warn("video.pipeline_error", {{"visit", visitId},
                                     {"participant", owner.value_or(0)},
                                     {"element", element},
                                     {"error", what}});
  pipelineErrors().inc();
  if (owner && peer(*owner)) {
    doDisconnect(
        *owner, "media pipeline error in " + element + ": " + what + "; rejoin to reconnect", true);
  }
}

void RoomRelay::Impl::requestKeyframesFor(Peer& receiver) {
  for (auto& [source, queues] : receiver.branchesFrom) {
    for (auto kind : {kVideo, kScreen}) {
      GstPad* src = gst_element_get_static_pad(queues[kind], "src");
      gst_pad_send_event(src, forceKeyUnitEvent());
      gst_object_unref(src);
    }
  }
  // A recording tapped before the session came up starts at a keyframe too.
  if (GstElement* rq = receiver.recQueues[kVideo]; rq != nullptr) {
    GstPad* src = gst_element_get_static_pad(rq, "src");
    gst_pad_send_event(src, forceKeyUnitEvent());
    gst_object_unref(src);
  }
}

void RoomRelay::Impl::retryKeyframes() {
  const auto now = std::chrono::steady_clock::now();
  std::vector<std::shared_ptr<Peer>> due;
  {
    std::lock_guard lock(mu);
    for (auto& [id, p] : peers)
      if (!p->keyframeRetries.empty() && p->keyframeRetries.front() <= now) due.push_back(p);
  }
  for (auto& p : due) {
    p->keyframeRetries.erase(p->keyframeRetries.begin());
    requestKeyframesFor(*p);
  }
}

void RoomRelay::Impl::endUnconnected() {
  const auto now = std::chrono::steady_clock::now();
  std::vector<std::int64_t> late;
  {
    std::lock_guard lock(mu);
    for (auto& [id, p] : peers)
      if (!p->connected->load() && now - p->openedAt >= config.connectTimeout) late.push_back(id);
  }
  for (auto id : late) {
    log::warn(
        "video.connect_timeout",
        {{"visit", visitId}, {"participant", id}, {"timeout_ms", config.connectTimeout.count()}});
    doDisconnect(id, "the connection was not established in time (ICE/DTLS); rejoin to reconnect",
                 true);
  }
}

void RoomRelay::Impl::doConnect(std::int64_t id, std::uint64_t session) {
  if (peer(id)) doDisconnect(id, "replaced by a new session", false);
  auto p = std::make_shared<Peer>();
  p->id = id;
  p->session = session;
  p->openedAt = std::chrono::steady_clock::now();
  p->prefix = "p" + std::to_string(id) + "-";
  const int slots = config.maxParticipants - 1;
  p->slotOwner.assign(static_cast<std::size_t>(slots), 0);

  p->webrtc = makeElement("webrtcbin", p->prefix + "webrtc");
  g_signal_connect_data(p->webrtc, "deep-element-added",
                        reinterpret_cast<GCallback>(onElementAdded), nullptr, nullptr,
                        static_cast<GConnectFlags>(0));
  g_object_set(p->webrtc, "bundle-policy", GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE, "latency",
               static_cast<guint>(config.latency.count()), nullptr);
  if (!config.stunServer.empty())
    g_object_set(p->webrtc, "stun-server", config.stunServer.c_str(), nullptr);
  if (!config.turnServer.empty())
    g_object_set(p->webrtc, "turn-server", config.turnServer.c_str(), nullptr);
  // libnice: no UPnP port mappings on the clinic's router; the firewall's UDP port range.
  GObject* ice = nullptr;
  g_object_get(p->webrtc, "ice-agent", &ice, nullptr);
  if (ice != nullptr) {
    if (config.portMin != 0)
      g_object_set(ice, "min-rtp-port", static_cast<guint>(config.portMin), "max-rtp-port",
                   static_cast<guint>(config.portMax), nullptr);
    GObject* agent = nullptr;
    g_object_get(ice, "agent", &agent, nullptr);
    if (agent != nullptr) {
      g_object_set(agent, "upnp", FALSE, nullptr);
      g_object_unref(agent);
    }
    g_object_unref(ice);
  }
  gst_bin_add(GST_BIN(pipeline), p->webrtc);

  for (int k = 0; k < static_cast<int>(kKinds); ++k) {
    p->tees[static_cast<std::size_t>(k)] =
        makeElement("tee", p->prefix + "tee-" + kKindNames[static_cast<std::size_t>(k)]);
    g_object_set(p->tees[static_cast<std::size_t>(k)], "allow-not-linked", TRUE, nullptr);
    gst_bin_add(GST_BIN(pipeline), p->tees[static_cast<std::size_t>(k)]);
  }

  // Slots in m-line order audio0, video0, audio1, video1, ...
  GstPadTemplate* templ =
      gst_element_class_get_pad_template(GST_ELEMENT_GET_CLASS(p->webrtc), "sink_%u");
  for (int s = 0; s < slots; ++s) {
    for (int k = 0; k < static_cast<int>(kKinds); ++k) {
      GstCaps* caps = slotCaps(static_cast<Kind>(k), s, config.videoCodec);
      GstPad* pad = gst_element_request_pad(p->webrtc, templ, nullptr, caps);
      if (pad == nullptr) {
        gst_caps_unref(caps);
        throw Error("video: webrtcbin refused a sink pad");
      }
      GstWebRTCRTPTransceiver* trans = nullptr;
      g_object_get(pad, "transceiver", &trans, nullptr);
      if (trans != nullptr) {
        g_object_set(trans, "direction",
                     s == 0 ? GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDRECV
                            : GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY,
                     "codec-preferences", caps, nullptr);
        gst_object_unref(trans);
      }
      gst_caps_unref(caps);
      p->sinks[static_cast<std::size_t>(k)].push_back(pad);
    }
  }

  auto self = shared_from_this();
  auto connect = [&](const char* signal, GCallback cb) {
    p->handlers.push_back(g_signal_connect_data(p->webrtc, signal, cb, new PeerRef{self, p},
                                                freePeerRef, static_cast<GConnectFlags>(0)));
  };
  connect("on-ice-candidate", reinterpret_cast<GCallback>(onIceCandidate));
  connect("pad-added", reinterpret_cast<GCallback>(onPadAdded));
  connect("notify::connection-state", reinterpret_cast<GCallback>(onConnectionState));

  {
    std::lock_guard lock(mu);
    peers[id] = p;
  }
  for (auto* t : p->tees) gst_element_sync_state_with_parent(t);
  gst_element_sync_state_with_parent(p->webrtc);

  // Bring everyone else's media to the newcomer and the newcomer's to everyone else.
  std::vector<std::shared_ptr<Peer>> others;
  {
    std::lock_guard lock(mu);
    for (auto& [otherId, other] : peers)
      if (otherId != id) others.push_back(other);
  }
  for (auto& other : others) {
    link(*other, *p);
    link(*p, *other);
  }

  GstPromise* promise =
      gst_promise_new_with_change_func(onOfferReply, new PeerRef{self, p}, freePeerRefNotify);
  g_signal_emit_by_name(p->webrtc, "create-offer", nullptr, promise);
  sessionsStarted().inc();
  log::info("video.session_opened", {{"visit", visitId}, {"participant", id}});
}

void RoomRelay::Impl::onOfferCreated(const std::shared_ptr<Peer>& p, GstPromise* promise) {
  if (gst_promise_wait(promise) != GST_PROMISE_RESULT_REPLIED) return;
  const GstStructure* reply = gst_promise_get_reply(promise);
  GstWebRTCSessionDescription* offer = nullptr;
  if (reply == nullptr ||
      !gst_structure_get(reply, "offer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &offer, nullptr) ||
      offer == nullptr) {
    const auto id = p->id;
    auto self = shared_from_this();
    post([self, id] { self->doDisconnect(id, "the relay could not create an offer", true); });
    return;
  }
  g_signal_emit_by_name(p->webrtc, "set-local-description", offer, nullptr);
  gchar* text = gst_sdp_message_as_text(offer->sdp);
  Poco::JSON::Object msg;
  msg.set("type", "offer");
  msg.set("sdp", std::string(text));
  g_free(text);
  gst_webrtc_session_description_free(offer);
  send(*p, msg);
}

void RoomRelay::Impl::onIncomingPad(const std::shared_ptr<Peer>& p, GstPad* pad) {
  // Media comes in on slot 0 only, with the payload types of the box's own offer: microphone
  // 111, camera 96, screen 102. The payload type decides (the transceiver's m-line index may
  // not be set yet when the pad appears).
  GstCaps* caps = gst_pad_get_current_caps(pad);
  if (caps == nullptr) caps = gst_pad_query_caps(pad, nullptr);
  gint pt = -1;
  const gchar* media = nullptr;
  if (caps != nullptr && gst_caps_get_size(caps) > 0) {
    const GstStructure* st = gst_caps_get_structure(caps, 0);
    gst_structure_get_int(st, "payload", &pt);
    media = gst_structure_get_string(st, "media");
  }
  Kind kind = media != nullptr && std::string_view(media) == "video" ? kVideo : kAudio;
  if (pt == payloadType(kAudio, 0)) kind = kAudio;
  if (pt == payloadType(kVideo, 0)) kind = kVideo;
  if (pt == payloadType(kScreen, 0)) kind = kScreen;
  if (caps != nullptr) gst_caps_unref(caps);
  GstElement* tee = p->tees[kind];
  GstPad* teeSink = gst_element_get_static_pad(tee, "sink");
  bool linked = false;
  if (!gst_pad_is_linked(teeSink)) {
    const auto result = gst_pad_link(pad, teeSink);
    linked = result == GST_PAD_LINK_OK;
    if (!linked)
      log::warn("video.media_in_link_failed", {{"visit", visitId},
                                               {"participant", p->id},
                                               {"pad", GST_OBJECT_NAME(pad)},
                                               {"result", gst_pad_link_get_name(result)}});
  }
  gst_object_unref(teeSink);
  if (!linked) {
    // An unlinked source pad would fail the whole session (not-linked is fatal upstream):
    // drop a stream the relay has no place for.
    log::warn("video.extra_stream_dropped",
              {{"visit", visitId}, {"participant", p->id}, {"pt", pt}});
    GstElement* drop = gst_element_factory_make("fakesink", nullptr);
    g_object_set(drop, "sync", FALSE, "async", FALSE, nullptr);
    gst_bin_add(GST_BIN(pipeline), drop);
    gst_element_sync_state_with_parent(drop);
    GstPad* dropSink = gst_element_get_static_pad(drop, "sink");
    gst_pad_link(pad, dropSink);
    gst_object_unref(dropSink);
    return;
  }
  log::info("video.media_in", {{"visit", visitId},
                               {"participant", p->id},
                               {"kind", kKindNames[static_cast<std::size_t>(kind)]}});
}

void RoomRelay::Impl::link(Peer& source, Peer& dest) {
  // A free slot in dest for source (the same index for audio and video).
  int slot = -1;
  for (std::size_t s = 0; s < dest.slotOwner.size(); ++s) {
    if (dest.slotOwner[s] == 0) {
      slot = static_cast<int>(s);
      break;
    }
  }
  assert(slot >= 0 && "room capacity is checked before connecting");
  if (slot < 0) return;
  dest.slotOwner[static_cast<std::size_t>(slot)] = source.id;
  std::array<GstElement*, kKinds> queues{};
  for (int k = 0; k < static_cast<int>(kKinds); ++k) {
    const auto ki = static_cast<std::size_t>(k);
    GstElement* q = makeElement(
        "queue", dest.prefix + "from-p" + std::to_string(source.id) + "-" + kKindNames[ki]);
    g_object_set(q, "leaky", 2 /* downstream */, "max-size-buffers", 0u, "max-size-bytes", 0u,
                 "max-size-time", static_cast<guint64>(500 * GST_MSECOND), nullptr);
    gst_bin_add(GST_BIN(pipeline), q);
    GstPad* qsrc = gst_element_get_static_pad(q, "src");
    auto* rewrite =
        new BranchRewrite{static_cast<guint8>(payloadType(static_cast<Kind>(k), slot)),
                          slotCaps(static_cast<Kind>(k), slot, config.videoCodec), dest.connected};
    gst_pad_add_probe(qsrc,
                      static_cast<GstPadProbeType>(
                          GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST |
                          GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM | GST_PAD_PROBE_TYPE_QUERY_BOTH),
                      rewriteProbe, rewrite, freeBranchRewrite);
    // Upstream of the probe the caps carry the sender's payload type, not the slot's: the
    // link's caps check would refuse it, and the probe makes the caps right.
    GstPad* sink = dest.sinks[ki][static_cast<std::size_t>(slot)];
    const auto linked = gst_pad_link_full(qsrc, sink, GST_PAD_LINK_CHECK_NOTHING);
    if (linked != GST_PAD_LINK_OK)
      log::warn("video.link_failed", {{"visit", visitId},
                                      {"participant", dest.id},
                                      {"pad", GST_OBJECT_NAME(sink)},
                                      {"result", gst_pad_link_get_name(linked)}});
    gst_object_unref(qsrc);
    // Playing before the tee feeds it (see doStartRecording).
    gst_element_sync_state_with_parent(q);
    GstPad* teeSrc = gst_element_request_pad_simple(source.tees[ki], "src_%u");
    GstPad* qsink = gst_element_get_static_pad(q, "sink");
    if (gst_pad_link(teeSrc, qsink) != GST_PAD_LINK_OK)
      log::warn("video.branch_link_failed", {{"visit", visitId}, {"participant", dest.id}});
    gst_object_unref(qsink);
    gst_object_unref(teeSrc);
    queues[ki] = q;
  }
  dest.branchesFrom[source.id] = queues;
  sendSlots(dest);
  // The receiver has no keyframe of this stream yet: ask the sender for one.
  for (auto kind : {kVideo, kScreen}) {
    GstPad* vsrc = gst_element_get_static_pad(queues[kind], "src");
    gst_pad_send_event(vsrc, forceKeyUnitEvent());
    gst_object_unref(vsrc);
  }
}

void RoomRelay::Impl::unlink(Peer& source, Peer& dest) {
  auto it = dest.branchesFrom.find(source.id);
  if (it == dest.branchesFrom.end()) return;
  for (std::size_t k = 0; k < kKinds; ++k) {
    GstElement* q = it->second[k];
    GstPad* qsink = gst_element_get_static_pad(q, "sink");
    GstPad* teeSrc = gst_pad_get_peer(qsink);
    if (teeSrc != nullptr) {
      gst_pad_unlink(teeSrc, qsink);
      gst_element_release_request_pad(source.tees[k], teeSrc);
      gst_object_unref(teeSrc);
    }
    gst_object_unref(qsink);
    GstPad* qsrc = gst_element_get_static_pad(q, "src");
    GstPad* sink = gst_pad_get_peer(qsrc);
    if (sink != nullptr) {
      gst_pad_unlink(qsrc, sink);
      gst_object_unref(sink);
    }
    gst_object_unref(qsrc);
    gst_element_set_state(q, GST_STATE_NULL);
    gst_bin_remove(GST_BIN(pipeline), q);
  }
  dest.branchesFrom.erase(it);
  for (auto& owner : dest.slotOwner)
    if (owner == source.id) owner = 0;
  if (peer(dest.id).get() == &dest) sendSlots(dest);  // not to a session being closed
}

void RoomRelay::Impl::doDisconnect(std::int64_t id, const std::string& reason, bool notify) {
  auto p = peer(id);
  if (!p) return;
  std::vector<std::shared_ptr<Peer>> others;
  {
    std::lock_guard lock(mu);
    peers.erase(id);
    if (notify) members.erase(id);  // ended by the relay itself (error, failure)
    for (auto& [otherId, other] : peers) others.push_back(other);
  }
  // Branches go before the webrtcbin: a branch still linked to a stopped webrtcbin would return
  // FLUSHING up the sender's tee and stop the sender's media for everyone. No branch thread is
  // held inside a webrtcbin here: branches carry buffers only into connected sessions.
  for (auto& other : others) {
    unlink(*p, *other);
    unlink(*other, *p);
  }
  doStopRecording(*p);
  for (auto h : p->handlers) g_signal_handler_disconnect(p->webrtc, h);
  p->handlers.clear();
  gst_element_set_state(p->webrtc, GST_STATE_NULL);
  for (auto& kindPads : p->sinks) {
    for (GstPad* pad : kindPads) {
      gst_element_release_request_pad(p->webrtc, pad);
      gst_object_unref(pad);
    }
    kindPads.clear();
  }
  for (auto* t : p->tees) {
    gst_element_set_state(t, GST_STATE_NULL);
    gst_bin_remove(GST_BIN(pipeline), t);
  }
  gst_bin_remove(GST_BIN(pipeline), p->webrtc);
  p->state = GST_WEBRTC_PEER_CONNECTION_STATE_CLOSED;
  log::info("video.session_closed", {{"visit", visitId}, {"participant", id}, {"reason", reason}});
  if (notify) {
    Poco::JSON::Object msg;
    msg.set("type", "error");
    msg.set("reason", reason);
    msg.set("ended", true);  // the session is gone (a bad message gets an error without it)
    send(*p, msg);
  }
}

void RoomRelay::Impl::doStartRecording(std::int64_t id, RoomRecording& recording) {
  auto p = peer(id);
  if (!p) return;
  doStopRecording(*p);
  for (auto kind : {kAudio, kVideo}) {
    const auto k = static_cast<std::size_t>(kind);
    GstElement* q = makeElement("queue", p->prefix + "record-" + kKindNames[k]);
    g_object_set(q, "leaky", 2 /* downstream */, nullptr);
    GstElement* tap = recording.makeTap(kind == kVideo);
    gst_bin_add_many(GST_BIN(pipeline), q, tap, nullptr);
    gst_element_link(q, tap);
    // Playing before the tee feeds it: a buffer pushed into a queue still in NULL returns
    // FLUSHING, and that can pause the participant's whole stream (their media and the ICE
    // checks read on the same thread): receivers froze, the browser's connection went
    // "disconnected" and the recording kept headers only (issue 31).
    gst_element_sync_state_with_parent(tap);
    gst_element_sync_state_with_parent(q);
    GstPad* teeSrc = gst_element_request_pad_simple(p->tees[k], "src_%u");
    GstPad* qsink = gst_element_get_static_pad(q, "sink");
    gst_pad_link(teeSrc, qsink);
    gst_object_unref(qsink);
    gst_object_unref(teeSrc);
    p->recQueues[k] = q;
    p->recTaps[k] = tap;
  }
  // The recording starts with a keyframe.
  GstPad* qsrc = gst_element_get_static_pad(p->recQueues[kVideo], "src");
  gst_pad_send_event(qsrc, forceKeyUnitEvent());
  gst_object_unref(qsrc);
  log::info("video.recording_tap", {{"visit", visitId}, {"participant", id}});
}

void RoomRelay::Impl::doStopRecording(Peer& p) {
  for (std::size_t k = 0; k < 2; ++k) {
    GstElement* q = p.recQueues[k];
    if (q == nullptr) continue;
    GstPad* qsink = gst_element_get_static_pad(q, "sink");
    GstPad* teeSrc = gst_pad_get_peer(qsink);
    if (teeSrc != nullptr) {
      gst_pad_unlink(teeSrc, qsink);
      gst_element_release_request_pad(p.tees[k], teeSrc);
      gst_object_unref(teeSrc);
    }
    gst_object_unref(qsink);
    gst_element_set_state(q, GST_STATE_NULL);
    gst_element_set_state(p.recTaps[k], GST_STATE_NULL);
    gst_bin_remove_many(GST_BIN(pipeline), q, p.recTaps[k], nullptr);
    p.recQueues[k] = nullptr;
    p.recTaps[k] = nullptr;
  }
}

void RoomRelay::startRecording(std::int64_t participantId, RoomRecording& recording) {
  auto impl = impl_;
  RoomRecording* rec = &recording;
  impl_->post([impl, participantId, rec] { impl->doStartRecording(participantId, *rec); });
}

void RoomRelay::stopRecording(std::int64_t participantId) {
  auto impl = impl_;
  impl_->post([impl, participantId] {
    if (auto p = impl->peer(participantId)) impl->doStopRecording(*p);
  });
}

RoomRelay::RoomRelay(std::int64_t visitId, RelayConfig config, SignalOut out, QualityOut quality)
    : impl_(std::make_shared<Impl>()) {
  config.validate();
  initGstreamer();
  impl_->visitId = visitId;
  impl_->config = std::move(config);
  impl_->out = std::move(out);
  impl_->quality = std::move(quality);
  impl_->nextStats = std::chrono::steady_clock::now() + impl_->config.statsInterval;
  impl_->pipeline = gst_pipeline_new(("visit-" + std::to_string(visitId)).c_str());
  impl_->bus = gst_element_get_bus(impl_->pipeline);
  if (gst_element_set_state(impl_->pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
    throw Error("video: the room pipeline did not start");
  impl_->control = std::thread([impl = impl_] {
    nameThisThread("vigil-relay");
    impl->run();
  });
}

RoomRelay::~RoomRelay() {
  for (auto id : participants()) disconnect(id, "the room closed");
  {
    std::lock_guard lock(impl_->mu);
    impl_->running = false;
  }
  impl_->post([] {});
  impl_->control.join();
  gst_element_set_state(impl_->pipeline, GST_STATE_NULL);
  gst_object_unref(impl_->bus);
  gst_object_unref(impl_->pipeline);
}

void RoomRelay::connect(std::int64_t participantId, std::uint64_t session) {
  {
    std::lock_guard lock(impl_->mu);
    const bool rejoin = impl_->members.count(participantId) != 0;
    if (!rejoin && impl_->members.size() >= static_cast<std::size_t>(impl_->config.maxParticipants))
      throw AccessDenied("video: room full");
    impl_->members.insert(participantId);
  }
  auto impl = impl_;
  impl_->post([impl, participantId, session] { impl->doConnect(participantId, session); });
}

void RoomRelay::handleSignal(std::int64_t participantId, std::uint64_t session,
                             std::string_view json) {
  Poco::JSON::Object::Ptr msg;
  try {
    Poco::JSON::Parser parser;
    msg = parser.parse(std::string(json)).extract<Poco::JSON::Object::Ptr>();
  } catch (const Poco::Exception&) {
    throw ValidationError("video signal: not a JSON object");
  }
  if (!msg) throw ValidationError("video signal: not a JSON object");
  const std::string type = msg->optValue<std::string>("type", "");
  auto impl = impl_;
  if (type == "answer") {
    const std::string sdp = msg->optValue<std::string>("sdp", "");
    GstSDPMessage* parsed = nullptr;
    gst_sdp_message_new(&parsed);
    if (gst_sdp_message_parse_buffer(reinterpret_cast<const guint8*>(sdp.data()),
                                     static_cast<guint>(sdp.size()), parsed) != GST_SDP_OK ||
        gst_sdp_message_medias_len(parsed) == 0) {
      gst_sdp_message_free(parsed);
      throw ValidationError("video signal: answer.sdp is not a session description");
    }
    impl_->post([impl, participantId, session, parsed] {
      auto p = impl->peer(participantId);
      auto* answer = gst_webrtc_session_description_new(GST_WEBRTC_SDP_TYPE_ANSWER, parsed);
      if (p && p->session == session)
        g_signal_emit_by_name(p->webrtc, "set-remote-description", answer, nullptr);
      gst_webrtc_session_description_free(answer);
    });
  } else if (type == "ice") {
    const std::string candidate = msg->optValue<std::string>("candidate", "");
    const int mline = msg->optValue<int>("sdpMLineIndex", -1);
    if (mline < 0 || mline > 64) throw ValidationError("video signal: ice.sdpMLineIndex");
    if (candidate.empty()) return;  // end of candidates
    impl_->post([impl, participantId, session, candidate, mline] {
      auto p = impl->peer(participantId);
      if (p && p->session == session)
        g_signal_emit_by_name(p->webrtc, "add-ice-candidate", static_cast<guint>(mline),
                              candidate.c_str());
    });
  } else {
    throw ValidationError("video signal: unknown type");
  }
}

void RoomRelay::disconnect(std::int64_t participantId, std::string_view reason) {
  {
    std::lock_guard lock(impl_->mu);
    impl_->members.erase(participantId);
  }
  auto impl = impl_;
  std::string why(reason);
  impl_->post([impl, participantId, why] { impl->doDisconnect(participantId, why, false); });
}

std::vector<std::int64_t> RoomRelay::participants() const {
  std::lock_guard lock(impl_->mu);
  std::vector<std::int64_t> out;
  for (auto& [id, p] : impl_->peers) out.push_back(id);
  return out;
}

std::optional<std::string> RoomRelay::connectionState(std::int64_t participantId) const {
  auto p = impl_->peer(participantId);
  if (!p) return std::nullopt;
  return connectionStateName(static_cast<GstWebRTCPeerConnectionState>(p->state.load()));
}

void RoomRelay::flush() {
  impl_->post([] {});
  std::unique_lock lock(impl_->mu);
  impl_->idle.wait(lock, [&] { return impl_->jobs.empty() && !impl_->busy; });
}

bool RoomRelay::flushFor(std::chrono::milliseconds limit) {
  impl_->post([] {});
  std::unique_lock lock(impl_->mu);
  return impl_->idle.wait_for(lock, limit, [&] { return impl_->jobs.empty() && !impl_->busy; });
}

std::int64_t RoomRelay::visitId() const {
  return impl_->visitId;
}

GstElement* RoomRelay::pipeline() const {
  return impl_->pipeline;
}

}  // namespace vigil::video
