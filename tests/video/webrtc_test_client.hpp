#pragma once
// A WebRTC endpoint for the relay's integration tests: a real GStreamer webrtcbin that sends a
// test pattern (VP8), a tone (Opus) and a shared screen (VP8), answers the relay's offer, and
// decodes whatever it receives, counting decoded frames. It plays the browser's part on the other
// side of the box.

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>

typedef struct _GstElement GstElement;  // NOLINT: GStreamer's C type

namespace vigil::video::test {

/// A sending and receiving WebRTC client in its own pipeline.
class WebrtcTestClient {
 public:
  using Send = std::function<void(const std::string& json)>;
  /// `send` delivers this client's signalling messages to the relay.
  explicit WebrtcTestClient(Send send);
  ~WebrtcTestClient();
  WebrtcTestClient(const WebrtcTestClient&) = delete;
  WebrtcTestClient& operator=(const WebrtcTestClient&) = delete;

  /// A signalling message from the relay ("offer", "ice", "error").
  void receive(const std::string& json);

  std::uint64_t videoFramesDecoded() const { return videoFrames_; }
  std::uint64_t audioFramesDecoded() const { return audioFrames_; }
  /// Frames decoded from the far end's shared screen (the third m-line of a slot).
  std::uint64_t screenFramesDecoded() const { return screenFrames_; }
  /// Keyframe requests (upstream GstForceKeyUnit) that reached this client's video payloader.
  std::uint64_t keyframeRequestsSeen() const { return keyframeRequests_; }
  /// Asks the far end for a keyframe the way a decoder does (becomes a PLI on the wire).
  void requestKeyframe();
  /// "error" messages received from the relay (their reasons, joined by newlines).
  std::string errors() const;

  // Internal, called from GStreamer callbacks.
  void onIncomingPad(void* pad);
  void onRemoteOffer(void* promise);
  void onAnswer(void* promise);
  std::atomic<std::uint64_t> videoFrames_{0};
  std::atomic<std::uint64_t> audioFrames_{0};
  std::atomic<std::uint64_t> screenFrames_{0};
  std::atomic<std::uint64_t> keyframeRequests_{0};

 private:
  Send send_;
  GstElement* pipeline_ = nullptr;
  GstElement* webrtc_ = nullptr;
  GstElement* videoDepay_ = nullptr;
  mutable std::mutex mu_;
  std::string errors_;
};

}  // namespace vigil::video::test
