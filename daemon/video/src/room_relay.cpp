// The room relay's public face and its control thread: settings, the job queue the structural
// changes run on, the bus (errors end the session of the participant whose element failed), and
// the periodic work (quality samples, connect timeouts, keyframe retries). Design:
// vigil/video/room_relay.hpp.

#include <cstdlib>

#include "room_relay_impl.hpp"
#include "vigil/core/error.hpp"
#include "vigil/core/log.hpp"
#include "vigil/core/metrics.hpp"
#include "vigil/core/thread_name.hpp"

namespace vigil::video {

using namespace relay;

namespace {

void initGstreamer() {
  static std::once_flag once;
  std::call_once(once, [] { gst_init(nullptr, nullptr); });
}

Counter& pipelineErrors() {
  static Counter& c = Metrics::global().counter(
      "vigil_video_session_errors_total", "Participant sessions ended by a media pipeline error");
  return c;
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

namespace relay {

GstElement* makeElement(const char* factory, const std::string& name) {
  GstElement* e = gst_element_factory_make(factory, name.c_str());
  if (e == nullptr)
    throw Error(std::string("video: GStreamer element '") + factory +
                "' is missing (install the packages in scripts/deps/video.txt)");
  return e;
}

void freePeerRef(gpointer data, GClosure* /*closure*/) {
  delete static_cast<PeerRef*>(data);
}

void freePeerRefNotify(gpointer data) {
  delete static_cast<PeerRef*>(data);
}

}  // namespace relay

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
