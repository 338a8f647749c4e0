#pragma once
// Private to the room relay's sources: the declarations room_relay.cpp (the public API and the
// control thread), room_relay_signalling.cpp (sessions, offer/answer and ICE),
// room_relay_branches.cpp (media in, forwarding branches, keyframes, recording taps) and
// room_relay_stats.cpp (quality samples) share. The design is in vigil/video/room_relay.hpp.

#include "vigil/video/room_relay.hpp"

#define GST_USE_UNSTABLE_API 1  // webrtc/webrtc.h warns without it
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <gst/gst.h>
#include <gst/rtp/gstrtpbuffer.h>
#include <gst/sdp/sdp.h>
#include <gst/webrtc/webrtc.h>

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace vigil::video {
namespace relay {

/// What a slot's m-line carries: microphone, camera, or a shared screen (a second video).
enum Kind { kAudio = 0, kVideo = 1, kScreen = 2 };
inline constexpr std::size_t kKinds = 3;
inline constexpr std::array<const char*, kKinds> kKindNames = {"audio", "video", "screen"};
inline constexpr int kAudioPtBase = 111;
inline constexpr int kVideoPtBase = 96;
inline constexpr int kScreenPtBase = 102;

inline int payloadType(Kind kind, int slot) {
  return (kind == kAudio ? kAudioPtBase : kind == kVideo ? kVideoPtBase : kScreenPtBase) + slot;
}

/// The caps a slot is offered with (its codec preferences) and sent with.
GstCaps* slotCaps(Kind kind, int slot, VideoCodec codec);
/// The name of a webrtcbin connection state ("new", "connecting", ...).
std::string connectionStateName(GstWebRTCPeerConnectionState s);
std::string toJson(const Poco::JSON::Object& o);
/// A new element of `factory`, or Error naming the missing package.
GstElement* makeElement(const char* factory, const std::string& name);

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

}  // namespace relay

struct RoomRelay::Impl : std::enable_shared_from_this<RoomRelay::Impl> {
  using Peer = relay::Peer;

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
    if (out) out(to.id, to.session, relay::toJson(msg));
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

namespace relay {

/// A weak reference handed to GStreamer callbacks: a peer torn down meanwhile is ignored.
struct PeerRef {
  std::weak_ptr<RoomRelay::Impl> room;
  std::weak_ptr<Peer> peer;
};

void freePeerRef(gpointer data, GClosure* closure);
void freePeerRefNotify(gpointer data);

/// The SRTP replay window of every session's srtpenc (packets): libsrtp refuses to encrypt a
/// sequence number further behind than this, and a retransmission passed on from a sender can
/// come a second or more after the packets that followed it (128 by default).
inline constexpr unsigned kSrtpReplayWindow = 1024;

/// Makes `webrtc`'s rtpbin forward received RTP as it arrives, without a jitterbuffer
/// (room_relay_forward.cpp).
void forwardWithoutJitterbuffer(GstElement* webrtc);
/// Sends the retransmission requests that reach `rtxsend` (webrtcbin's rtprtxsend) on upstream
/// towards the packet's sender too (room_relay_forward.cpp).
void passRetransmissionRequestsOn(GstElement* rtxsend);

/// webrtcbin's "pad-added": a participant's media comes in (room_relay_branches.cpp).
void onPadAdded(GstElement* webrtc, GstPad* pad, gpointer data);
/// The reply to "get-stats" (room_relay_stats.cpp).
void onStatsReply(GstPromise* promise, gpointer data);

}  // namespace relay
}  // namespace vigil::video
