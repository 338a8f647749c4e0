#pragma once
// A WebRTC endpoint for the relay's integration tests and the video benchmark: a real GStreamer
// webrtcbin that sends a test pattern (VP8 or H.264), a tone (Opus) and a shared screen, answers
// the relay's offer (or offers itself, to talk to another client directly), and decodes whatever it
// receives, counting decoded frames. It plays the browser's part on the other side of the box.
// The benchmark turns decoding off and observes RTP packets as they leave its payloaders and as
// they come out of webrtcbin (before any depayloader) to measure loss and latency.

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

typedef struct _GstElement GstElement;  // NOLINT: GStreamer's C type

namespace vigil::video::test {

/// What a client sends and does with what it receives.
struct WebrtcTestClientOptions {
  int width = 320;
  int height = 240;
  int fps = 15;
  /// "vp8" (vp8enc) or "h264" (openh264enc, constrained baseline), camera and screen alike.
  std::string codec = "vp8";
  /// Encoder target bitrate in kbit/s (0: the encoder's default).
  int videoKbps = 0;
  /// Sends a shared screen on a third m-line.
  bool screen = true;
  /// Decodes what it receives (counting frames); off: received RTP goes to a fakesink.
  bool decode = true;
  /// The camera's videotestsrc pattern, with any properties ("ball" is cheap and undershoots
  /// a target bitrate; "zone-plate kt=2 kx2=20 ky2=20" moves and spends about 1 Mbit/s).
  std::string pattern = "ball";
  /// Negotiates generic NACK with RTX on every m-line, as browsers do: its jitterbuffer asks
  /// for lost packets and its sender keeps packets to resend.
  bool nack = true;
  /// Opus at complexity 0 (a fraction of the default's CPU, for many clients on one core).
  bool cheapAudio = false;
  /// Its receive jitterbuffer's latency (webrtcbin "latency"), in ms.
  int jitterLatencyMs = 50;
  /// The camera's longest distance between keyframes, in seconds (0: keyframes only when asked
  /// for, and the first).
  int keyframeSeconds = 2;
};

/// One RTP packet seen by a client: `sent` at its payloader's output, else coming out of
/// webrtcbin on the receiving side. `key` is the media bit, sequence number and timestamp;
/// `bytes` the packet's size.
using RtpObserver =
    std::function<void(bool sent, bool video, std::uint64_t key, std::size_t bytes)>;

/// The key an RtpObserver gets: video(1 bit) | seq(16) | timestamp(32).
inline std::uint64_t rtpKey(bool video, std::uint16_t seq, std::uint32_t timestamp) {
  return (static_cast<std::uint64_t>(video) << 48) | (static_cast<std::uint64_t>(seq) << 32) |
         timestamp;
}

/// A sending and receiving WebRTC client in its own pipeline.
class WebrtcTestClient {
 public:
  using Send = std::function<void(const std::string& json)>;
  /// `send` delivers this client's signalling messages to the relay.
  explicit WebrtcTestClient(Send send, WebrtcTestClientOptions options = {},
                            RtpObserver observer = {});
  ~WebrtcTestClient();
  WebrtcTestClient(const WebrtcTestClient&) = delete;
  WebrtcTestClient& operator=(const WebrtcTestClient&) = delete;

  /// A signalling message from the relay or the far client ("offer", "answer", "ice", "error").
  void receive(const std::string& json);
  /// Creates and sends an offer (to connect to another client directly, without the relay).
  void offer();

  std::uint64_t videoFramesDecoded() const { return videoFrames_; }
  std::uint64_t audioFramesDecoded() const { return audioFrames_; }
  /// Frames decoded from the far end's shared screen (the third m-line of a slot).
  std::uint64_t screenFramesDecoded() const { return screenFrames_; }
  /// Keyframe requests (upstream GstForceKeyUnit) that reached this client's video payloader.
  std::uint64_t keyframeRequestsSeen() const { return keyframeRequests_; }
  /// Asks the far end for a keyframe the way a decoder does (becomes a PLI on the wire).
  void requestKeyframe();
  /// The camera's encoder ignores the next `n` keyframe requests (a sender that does not answer
  /// a PLI, or whose answer is lost); they still count in keyframeRequestsSeen().
  void ignoreKeyframeRequests(int n) { keyframeRequestsToIgnore_ = n; }
  /// Drops the next camera packet this client sends (after its RTP session kept it for
  /// retransmission, before the wire: a packet lost on the way out) and returns its key
  /// (rtpKey); 0 when there is no sending session yet.
  std::uint64_t dropNextVideoPacketSent();
  /// "error" messages received from the relay (their reasons, joined by newlines).
  std::string errors() const;
  /// The SDP of the latest offer received (empty before one).
  std::string remoteOffer() const;
  /// The participant ids of the latest "slots" message (0: a free slot); empty before one.
  std::vector<std::int64_t> slotOwners() const;

  // Internal, called from GStreamer callbacks.
  void onIncomingPad(void* pad);
  void onRemoteOffer(void* promise);
  void onAnswer(void* promise);
  void onOffer(void* promise);
  void observe(bool sent, bool video, void* buffer) const;
  std::atomic<std::uint64_t> videoFrames_{0};
  std::atomic<std::uint64_t> audioFrames_{0};
  std::atomic<std::uint64_t> screenFrames_{0};
  std::atomic<std::uint64_t> keyframeRequests_{0};
  std::atomic<int> keyframeRequestsToIgnore_{0};
  /// dropNextVideoPacketSent(): armed, and the key of the packet dropped (0: none yet).
  std::atomic<bool> dropArmed_{false};
  std::atomic<std::uint64_t> droppedKey_{0};

 private:
  void enableNack();
  Send send_;
  WebrtcTestClientOptions options_;
  RtpObserver observer_;
  GstElement* pipeline_ = nullptr;
  GstElement* webrtc_ = nullptr;
  GstElement* videoDepay_ = nullptr;
  mutable std::mutex mu_;
  std::string errors_;
  std::vector<std::int64_t> slotOwners_;
  std::string remoteOffer_;
};

}  // namespace vigil::video::test
