#include "vigil/video/recording.hpp"

#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/gst.h>

#include <array>
#include <fstream>
#include <mutex>

#include "vigil/core/error.hpp"
#include "vigil/core/log.hpp"
#include "vigil/crypto/field_cipher.hpp"

namespace vigil::video {
namespace {

constexpr std::size_t kChunkBytes = 256 * 1024;

// Both streams are RTP as the participant sent them (camera VP8, microphone Opus).
constexpr const char* kRecorder =
    "appsrc name=v is-live=true format=time do-timestamp=true ! "
    "rtpjitterbuffer latency=200 ! rtpvp8depay ! queue ! webmmux name=mux streamable=true ! "
    "appsink name=out sync=false async=false "
    "appsrc name=a is-live=true format=time do-timestamp=true ! "
    "rtpjitterbuffer latency=200 ! rtpopusdepay ! queue ! mux. ";

crypto::FieldRef chunkField(const std::string& recordingId, std::uint64_t chunk) {
  return {"visit_recordings", "content", recordingId + ":" + std::to_string(chunk)};
}

}  // namespace

struct RoomRecording::Impl {
  std::string id;
  std::filesystem::path path;
  const crypto::FieldCipher& cipher;
  GstElement* pipeline = nullptr;
  std::array<GstElement*, 2> sources{};  // audio, video appsrc
  std::mutex mu;
  std::ofstream file;
  std::string pending;
  std::uint64_t chunk = 0;
  std::uint64_t written = 0;
  bool stopped = false;

  Impl(std::string recordingId, std::filesystem::path p, const crypto::FieldCipher& c)
      : id(std::move(recordingId)), path(std::move(p)), cipher(c) {}

  /// Seals `n` bytes of pending as one chunk. Called under mu.
  void seal(std::size_t n) {
    auto sealed = cipher.encrypt(chunkField(id, chunk++), std::string_view(pending.data(), n));
    const auto len = static_cast<std::uint32_t>(sealed.size());
    const char header[4] = {static_cast<char>(len >> 24), static_cast<char>((len >> 16) & 0xff),
                            static_cast<char>((len >> 8) & 0xff), static_cast<char>(len & 0xff)};
    file.write(header, 4);
    file.write(reinterpret_cast<const char*>(sealed.data()),
               static_cast<std::streamsize>(sealed.size()));
    file.flush();
    written += 4 + sealed.size();
    pending.erase(0, n);
  }

  void append(const guint8* data, gsize size) {
    std::lock_guard lock(mu);
    if (stopped) return;
    pending.append(reinterpret_cast<const char*>(data), size);
    while (pending.size() >= kChunkBytes) seal(kChunkBytes);
  }
};

namespace {

GstFlowReturn onMuxed(GstAppSink* sink, gpointer data) {
  auto* impl = static_cast<RoomRecording::Impl*>(data);
  GstSample* sample = gst_app_sink_pull_sample(sink);
  if (sample == nullptr) return GST_FLOW_EOS;
  GstBuffer* buf = gst_sample_get_buffer(sample);
  GstMapInfo map;
  if (buf != nullptr && gst_buffer_map(buf, &map, GST_MAP_READ)) {
    impl->append(map.data, map.size);
    gst_buffer_unmap(buf, &map);
  }
  gst_sample_unref(sample);
  return GST_FLOW_OK;
}

/// A tap in the room's pipeline hands each RTP packet to the recording's appsrc.
struct Tap {
  std::weak_ptr<RoomRecording::Impl> recording;
  int kind;  // 0 audio, 1 video
};

GstFlowReturn onTapped(GstAppSink* sink, gpointer data) {
  auto* tap = static_cast<Tap*>(data);
  GstSample* sample = gst_app_sink_pull_sample(sink);
  if (sample == nullptr) return GST_FLOW_EOS;
  if (auto rec = tap->recording.lock()) {
    GstElement* src = rec->sources[static_cast<std::size_t>(tap->kind)];
    if (src != nullptr) gst_app_src_push_sample(GST_APP_SRC(src), sample);
  }
  gst_sample_unref(sample);
  return GST_FLOW_OK;
}

void freeTap(gpointer data) {
  delete static_cast<Tap*>(data);
}

}  // namespace

RoomRecording::RoomRecording(std::string recordingId, std::filesystem::path path,
                             const crypto::FieldCipher& cipher)
    : impl_(std::make_shared<Impl>(std::move(recordingId), std::move(path), cipher)) {
  if (std::filesystem::exists(impl_->path))
    throw Error("recording: the file exists already: refusing to overwrite");
  impl_->file.open(impl_->path, std::ios::binary | std::ios::trunc);
  if (!impl_->file) throw Error("recording: cannot create the recording file");
  std::filesystem::permissions(
      impl_->path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  GError* err = nullptr;
  impl_->pipeline = gst_parse_launch(kRecorder, &err);
  if (impl_->pipeline == nullptr || err != nullptr) {
    const std::string what = err != nullptr ? err->message : "no pipeline";
    g_clear_error(&err);
    throw Error("recording: GStreamer refused the recorder (" + what + ")");
  }
  impl_->sources[0] = gst_bin_get_by_name(GST_BIN(impl_->pipeline), "a");
  impl_->sources[1] = gst_bin_get_by_name(GST_BIN(impl_->pipeline), "v");
  GstElement* out = gst_bin_get_by_name(GST_BIN(impl_->pipeline), "out");
  GstAppSinkCallbacks callbacks{};
  callbacks.new_sample = onMuxed;
  gst_app_sink_set_callbacks(GST_APP_SINK(out), &callbacks, impl_.get(), nullptr);
  gst_object_unref(out);
  if (gst_element_set_state(impl_->pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
    throw Error("recording: the recorder did not start");
  log::info("video.recording_started", {{"recording", impl_->id}});
}

RoomRecording::~RoomRecording() {
  try {
    stop();
  } catch (const std::exception& e) {
    log::error("video.recording_stop_failed", {{"recording", impl_->id}, {"error", e.what()}});
  }
  for (auto*& s : impl_->sources) {
    if (s != nullptr) gst_object_unref(s);
    s = nullptr;
  }
  if (impl_->pipeline != nullptr) gst_object_unref(impl_->pipeline);
  impl_->pipeline = nullptr;
}

GstElement* RoomRecording::makeTap(bool video) {
  GstElement* sink = gst_element_factory_make("appsink", nullptr);
  if (sink == nullptr) throw Error("recording: appsink is missing");
  g_object_set(sink, "sync", FALSE, "async", FALSE, "max-buffers", 500u, "drop", TRUE, nullptr);
  GstAppSinkCallbacks callbacks{};
  callbacks.new_sample = onTapped;
  gst_app_sink_set_callbacks(GST_APP_SINK(sink), &callbacks, new Tap{impl_, video ? 1 : 0},
                             freeTap);
  return sink;
}

void RoomRecording::stop() {
  {
    std::lock_guard lock(impl_->mu);
    if (impl_->stopped || impl_->pipeline == nullptr) return;
  }
  for (auto* s : impl_->sources) gst_app_src_end_of_stream(GST_APP_SRC(s));
  GstBus* bus = gst_element_get_bus(impl_->pipeline);
  GstMessage* msg = gst_bus_timed_pop_filtered(
      bus, 5 * GST_SECOND, static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  const bool clean = msg != nullptr && GST_MESSAGE_TYPE(msg) == GST_MESSAGE_EOS;
  if (msg != nullptr) gst_message_unref(msg);
  gst_object_unref(bus);
  gst_element_set_state(impl_->pipeline, GST_STATE_NULL);
  std::lock_guard lock(impl_->mu);
  if (!impl_->pending.empty()) impl_->seal(impl_->pending.size());
  impl_->stopped = true;
  impl_->file.close();
  log::info("video.recording_stopped", {{"recording", impl_->id},
                                        {"bytes", static_cast<std::uint64_t>(impl_->written)},
                                        {"clean", clean}});
}

std::uint64_t RoomRecording::bytesWritten() const {
  std::lock_guard lock(impl_->mu);
  return impl_->written;
}

int purgeRecordings(const std::filesystem::path& dir, std::filesystem::file_time_type before) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return 0;
  int removed = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (!entry.is_regular_file() || entry.path().extension() != ".rec") continue;
    if (entry.last_write_time(ec) < before && std::filesystem::remove(entry.path(), ec)) ++removed;
  }
  if (removed > 0) log::info("video.recordings_purged", {{"count", removed}});
  return removed;
}

std::string decryptRecording(const std::filesystem::path& path, const std::string& recordingId,
                             const crypto::FieldCipher& cipher) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("recording: cannot read the recording file");
  std::string out;
  for (std::uint64_t chunk = 0;; ++chunk) {
    unsigned char header[4];
    if (!in.read(reinterpret_cast<char*>(header), 4)) break;
    const std::uint32_t len = (std::uint32_t{header[0]} << 24) | (std::uint32_t{header[1]} << 16) |
                              (std::uint32_t{header[2]} << 8) | std::uint32_t{header[3]};
    if (len > kChunkBytes + crypto::FieldCipher::kOverhead)
      throw CryptoError("recording: chunk " + std::to_string(chunk) + " has a bad length");
    crypto::Bytes sealed(len);
    if (!in.read(reinterpret_cast<char*>(sealed.data()), static_cast<std::streamsize>(len)))
      throw CryptoError("recording: chunk " + std::to_string(chunk) + " is truncated");
    out += cipher.decryptText(chunkField(recordingId, chunk), sealed);
  }
  return out;
}

}  // namespace vigil::video
