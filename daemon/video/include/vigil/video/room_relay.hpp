#pragma once
// The media relay of one visit: a GStreamer pipeline with one webrtcbin per connected
// participant, forwarding each participant's RTP to the others without decoding (an SFU).
//
// Design (docs/video.md has the picture):
// - The box is the offerer. Each participant's webrtcbin gets `maxParticipants - 1` slots of
//   three m-lines (audio, camera video, screen video), in order audio0, video0, screen0,
//   audio1, ...: slot 0 is sendrecv (the participant's own microphone, camera and shared
//   screen come in on it, the first other participant's go out on it), the other slots are
//   sendonly. A participant starts or stops sharing the screen by putting a track on the
//   screen m-line (replaceTrack), without renegotiation. Slots are fixed at connect time,
//   so a participant joining or leaving never renegotiates anyone else: the relay only links or
//   unlinks a branch. The price: a room holds at most maxParticipants, and idle slots show as
//   inactive receivers in the browser.
// - Every slot has its own payload types (video 96+s, screen 102+s, audio 111+s): with BUNDLE and
// no a=ssrc
//   lines, browsers demultiplex unsignalled streams by payload type, so the types must differ
//   per m-line. Forwarding rewrites the 7-bit PT in each RTP header and the caps of the branch
//   (a header rewrite, no decoder, no depayloader).
// - The forwarding path is webrtcbin(src) -> tee -> queue (leaky) -> webrtcbin(dst sink). A
//   keyframe request (PLI/FIR) from the receiver becomes an upstream GstForceKeyUnit event in
//   its webrtcbin, travels up the branch and the tee into the sender's webrtcbin, whose RTP
//   session turns it into a PLI/FIR to the sender. The branch caps carry the sender's SSRC so
//   webrtcbin's BUNDLE funnel can route that event back.
// - Structural changes (connect, disconnect, link, error handling) run on one control thread
//   per room, which also reads the pipeline's bus. An error message from an element that
//   belongs to participant P (its webrtcbin, its tees, the branches into it) ends P's session
//   only: P gets an "error" message, the others keep going. P can connect again.
// - Signalling is JSON (docs/video.md): out {"type":"offer","sdp"}, {"type":"ice",
//   "sdpMLineIndex","candidate"}, {"type":"error","reason"}; in {"type":"answer","sdp"},
//   {"type":"ice",...}. The SignalOut callback is called from GStreamer threads and must be
//   thread-safe and must not call back into the relay synchronously.
// - Every session has a number the caller gives at connect(): each message out names the
//   session whose webrtcbin produced it, and a message in is taken only for the participant's
//   current session. A participant who rejoins (a reloaded page) while the old session is still
//   being torn down would otherwise get the old session's offer and candidates, answer them into
//   the new session, and fail ICE/DTLS: the caller delivers a message only to the client that
//   opened that session.
// - A session whose DTLS is not up yet gets no media: webrtcbin blocks the streaming thread of
//   anything pushed into it until its DTLS handshake sets the keys, and a branch queue whose
//   thread is blocked there cannot be stopped (set_state(NULL) waits for it forever), so tearing
//   down a session that never connected would hang the control thread, flush() and the room.
//   Each branch drops buffers until its receiver has connected once. A session that does not
//   connect within connectTimeout (a client that never answers) ends with an "error" message,
//   freeing its place.
// - The relay holds no jitter buffer: each received RTP packet is forwarded as it arrives, and
//   receivers' NACKs travel up to the sender like keyframe requests do (room_relay_forward.cpp).
// - Every statsInterval the control thread asks each connected webrtcbin for its statistics
//   (get-stats) and reports RTT, jitter, loss and incoming bitrate per participant.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

typedef struct _GstElement GstElement;  // NOLINT: GStreamer's C type, kept out of this header

namespace vigil::video {

class RoomRecording;

/// The room's video codec (all participants send it; the relay never transcodes).
enum class VideoCodec { vp8, h264 };
std::string_view toString(VideoCodec codec);
/// Parses "vp8" / "h264"; throws ConfigError otherwise.
VideoCodec parseVideoCodec(std::string_view name);

/// Relay settings (config keys video.*).
struct RelayConfig {
  /// "stun://host:port" or empty (host candidates only: the clinic network).
  std::string stunServer;
  /// "turn://user:password@host:port" (or turns://) or empty.
  std::string turnServer;
  VideoCodec videoCodec = VideoCodec::vp8;
  /// Most participants connected at once (2..5).
  int maxParticipants = 4;
  /// UDP ports for ICE (media), for the firewall; 0 and 0: any port.
  std::uint16_t portMin = 0;
  std::uint16_t portMax = 0;
  /// 0: forward each received packet at once, no jitter buffer in the relay (the receivers
  /// have theirs). Above 0: rtpbin's receive jitter buffer with this latency (adds to the delay).
  std::chrono::milliseconds latency{0};
  /// How often each connected session's quality is sampled (webrtcbin get-stats); 0: never.
  std::chrono::milliseconds statsInterval{10000};
  /// A session not connected (ICE + DTLS) this long after it opened is ended; 0: never.
  std::chrono::milliseconds connectTimeout{30000};

  void validate() const;
};

/// One quality sample of a participant's session, from webrtcbin's statistics on the box.
struct CallQuality {
  double rttMs = -1.0;    // round trip box <-> participant (-1: not known yet)
  double jitterMs = 0.0;  // interarrival jitter of the participant's media (worst stream)
  double lossPct = 0.0;   // packets lost / expected, of the participant's media, so far
  double kbpsIn = 0.0;    // bitrate received from the participant since the last sample
  std::uint64_t packetsReceived = 0;
};

/// Receives quality samples (called from GStreamer threads).
using QualityOut = std::function<void(std::int64_t participantId, const CallQuality& quality)>;

/// Sends one signalling message (JSON text) to one participant's session: the caller delivers
/// it only to the client that opened that session (connect()'s `session`).
using SignalOut =
    std::function<void(std::int64_t participantId, std::uint64_t session, const std::string& json)>;

/// One visit's media room on the box (see the file comment).
class RoomRelay {
 public:
  RoomRelay(std::int64_t visitId, RelayConfig config, SignalOut out, QualityOut quality = {});
  /// Stops the pipeline and ends every session.
  ~RoomRelay();
  RoomRelay(const RoomRelay&) = delete;
  RoomRelay& operator=(const RoomRelay&) = delete;

  /// Opens a WebRTC session for the participant (replacing an earlier one: a rejoin) and sends
  /// them an offer. `session` names it (unique per participant and room: the caller's
  /// connection token). Asynchronous. The caller has checked that they may be in the room.
  /// Throws AccessDenied("room full") when maxParticipants are connected.
  void connect(std::int64_t participantId, std::uint64_t session);
  /// Handles one message from the participant's client of `session` ("answer", "ice"). Throws
  /// ValidationError for malformed JSON or an unknown type; messages for a session that is not
  /// the participant's current one (replaced, ended) are ignored.
  void handleSignal(std::int64_t participantId, std::uint64_t session, std::string_view json);
  /// Ends the participant's session (leave, drop, ended visit). Asynchronous; idempotent.
  void disconnect(std::int64_t participantId, std::string_view reason);

  /// Taps the participant's incoming audio and camera into `recording` (which must outlive the
  /// tap: stopRecording() and flush() before destroying it). Asynchronous; the caller has
  /// checked consent. A participant without a session is ignored.
  void startRecording(std::int64_t participantId, RoomRecording& recording);
  /// Removes the participant's recording taps. Asynchronous (flush() waits).
  void stopRecording(std::int64_t participantId);

  /// Participants with a session (in any state).
  std::vector<std::int64_t> participants() const;
  /// The webrtcbin connection state of a participant's session ("new", "connecting",
  /// "connected", "disconnected", "failed", "closed"); nullopt when not connected.
  std::optional<std::string> connectionState(std::int64_t participantId) const;
  /// Waits until every queued structural change (connect, disconnect) has run.
  void flush();
  /// flush() for at most `limit`; false when the control thread was still busy then.
  bool flushFor(std::chrono::milliseconds limit);

  std::int64_t visitId() const;
  /// The room's GStreamer pipeline (for tests and diagnostics: walk it, never modify it).
  GstElement* pipeline() const;

  /// The implementation (public so the GStreamer callbacks in the .cpp can name it).
  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace vigil::video
