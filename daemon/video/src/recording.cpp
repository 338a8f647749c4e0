#include "vigil/video/recording.hpp"

#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/gst.h>
#include <gst/rtp/gstrtpbuffer.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <tuple>
#include <utility>

#include "vigil/core/error.hpp"
#include "vigil/core/log.hpp"
#include "vigil/crypto/field_cipher.hpp"
#include "vigil/video/room_relay.hpp"

namespace vigil::video {
namespace {

constexpr std::size_t kChunkBytes = 256 * 1024;
/// How often a recording waiting for a keyframe asks the participant again. A single request
/// at the start was not enough: a browser answered none once, and the recording of a 9 s visit
/// held audio only (the first request can meet one still in flight for another receiver).
constexpr std::chrono::milliseconds kKeyframeRequestGap{300};

// Both streams are RTP as the participant sent them (camera VP8 or H.264, microphone Opus).
// opusparse gives the muxer the rate and OpusHead a browser's Opus caps lack (without it the
// muxer refused browsers' audio and recordings of browsers stayed empty). The depayloader keeps
// nothing before the first keyframe (nor after a loss until the next) and asks for one: its
// requests go to the participant through the room (askTheRoomForKeyframes).
constexpr const char* kRecorderVp8 =
    "appsrc name=v is-live=true format=time do-timestamp=true ! "
    "rtpjitterbuffer latency=200 ! rtpvp8depay request-keyframe=true wait-for-keyframe=true ! "
    "queue ! webmmux name=mux streamable=true ! "
    "appsink name=out sync=false async=false "
    "appsrc name=a is-live=true format=time do-timestamp=true ! "
    "rtpjitterbuffer latency=200 ! rtpopusdepay ! opusparse ! queue ! mux. ";
constexpr const char* kRecorderH264 =
    "appsrc name=v is-live=true format=time do-timestamp=true ! "
    "rtpjitterbuffer latency=200 ! rtph264depay request-keyframe=true wait-for-keyframe=true ! "
    "h264parse ! queue ! "
    "matroskamux name=mux streamable=true ! appsink name=out sync=false async=false "
    "appsrc name=a is-live=true format=time do-timestamp=true ! "
    "rtpjitterbuffer latency=200 ! rtpopusdepay ! opusparse ! queue ! mux. ";

crypto::FieldRef chunkField(const std::string& recordingId, std::uint64_t chunk,
                            bool last = false) {
  return {"visit_recordings", "content",
          recordingId + ":" + std::to_string(chunk) + (last ? ":end" : "")};
}

/// The plaintext of the file's last chunk and whether it carries the end mark.
std::pair<std::string, bool> openLastChunk(const crypto::FieldCipher& cipher,
                                           const std::string& recordingId, std::uint64_t chunk,
                                           const crypto::Bytes& sealed) {
  try {
    return {cipher.decryptText(chunkField(recordingId, chunk, true), sealed), true};
  } catch (const CryptoError&) {
    // Not end-marked: a recording cut short, or chunks removed from its end. As an ordinary
    // chunk it must still open (anything else was altered).
    return {cipher.decryptText(chunkField(recordingId, chunk), sealed), false};
  }
}

std::uint32_t chunkLength(const unsigned char header[4]) {
  return (std::uint32_t{header[0]} << 24) | (std::uint32_t{header[1]} << 16) |
         (std::uint32_t{header[2]} << 8) | std::uint32_t{header[3]};
}

bool validChunkLength(std::uint32_t len) {
  return len >= crypto::FieldCipher::kOverhead &&
         len <= kChunkBytes + crypto::FieldCipher::kOverhead;
}

}  // namespace

RecordingWriter::RecordingWriter(std::string recordingId, const std::filesystem::path& path,
                                 const crypto::FieldCipher& cipher)
    : id_(std::move(recordingId)), cipher_(cipher) {
  if (std::filesystem::exists(path))
    throw Error("recording: the file exists already: refusing to overwrite");
  file_.open(path, std::ios::binary | std::ios::trunc);
  if (!file_) throw Error("recording: cannot create the recording file");
  std::filesystem::permissions(
      path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

void RecordingWriter::seal(std::size_t n, bool last) {
  auto sealed =
      cipher_.encrypt(chunkField(id_, chunk_++, last), std::string_view(pending_.data(), n));
  const auto len = static_cast<std::uint32_t>(sealed.size());
  const char header[4] = {static_cast<char>(len >> 24), static_cast<char>((len >> 16) & 0xff),
                          static_cast<char>((len >> 8) & 0xff), static_cast<char>(len & 0xff)};
  file_.write(header, 4);
  file_.write(reinterpret_cast<const char*>(sealed.data()),
              static_cast<std::streamsize>(sealed.size()));
  file_.flush();
  written_ += 4 + sealed.size();
  pending_.erase(0, n);
}

void RecordingWriter::append(std::string_view bytes) {
  if (!file_.is_open()) return;
  pending_.append(bytes);
  // A full chunk is sealed only once more bytes follow it: the last chunk is finish()'s.
  while (pending_.size() > kChunkBytes) seal(kChunkBytes, false);
}

void RecordingWriter::finish() {
  if (!file_.is_open()) return;
  seal(pending_.size(), true);
  file_.close();
}

struct RoomRecording::Impl {
  std::string id;
  GstElement* pipeline = nullptr;
  std::array<GstElement*, 2> sources{};  // audio, video appsrc
  mutable std::mutex mu;
  RecordingWriter writer;  // under mu
  bool stopped = false;
  GstPad* videoTapPad = nullptr;  // under mu: the sink pad of the latest video tap (a ref)
  std::chrono::steady_clock::time_point lastKeyframeRequest;  // under mu

  /// Asks the participant for a keyframe through the video tap in the room's pipeline (an
  /// upstream GstForceKeyUnit, a PLI on the wire), at most every kKeyframeRequestGap: the
  /// depayloader asks once a dropped frame while it waits.
  void requestKeyframe() {
    GstPad* pad = nullptr;
    {
      std::lock_guard lock(mu);
      const auto now = std::chrono::steady_clock::now();
      if (stopped || videoTapPad == nullptr || now - lastKeyframeRequest < kKeyframeRequestGap)
        return;
      lastKeyframeRequest = now;
      pad = GST_PAD(gst_object_ref(videoTapPad));
    }
    gst_pad_push_event(pad, gst_event_new_custom(GST_EVENT_CUSTOM_UPSTREAM,
                                                 gst_structure_new("GstForceKeyUnit", "all-headers",
                                                                   G_TYPE_BOOLEAN, TRUE, nullptr)));
    gst_object_unref(pad);
  }

  Impl(std::string recordingId, const std::filesystem::path& p, const crypto::FieldCipher& c)
      : id(recordingId), writer(std::move(recordingId), p, c) {}

  void append(const guint8* data, gsize size) {
    std::lock_guard lock(mu);
    if (stopped) return;
    writer.append(std::string_view(reinterpret_cast<const char*>(data), size));
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
    if (src != nullptr) {
      // The recorder's own clock stamps each packet (appsrc do-timestamp): a packet keeps the
      // room's arrival time since the relay forwards without a jitterbuffer (issue 28), and that
      // time, in the room pipeline's running time, is not the recorder's (the file stayed empty).
      GstBuffer* packet = gst_buffer_copy(gst_sample_get_buffer(sample));  // memory shared
      GST_BUFFER_PTS(packet) = GST_CLOCK_TIME_NONE;
      GST_BUFFER_DTS(packet) = GST_CLOCK_TIME_NONE;
      // A packet the sender resent on a receiver's NACK is one the recorder never asked for:
      // its jitterbuffer would drop it as an unsolicited retransmission.
      GST_MINI_OBJECT_FLAGS(packet) &= ~static_cast<guint>(GST_RTP_BUFFER_FLAG_RETRANSMISSION);
      GstSample* restamped = gst_sample_new(packet, gst_sample_get_caps(sample), nullptr, nullptr);
      gst_buffer_unref(packet);
      gst_app_src_push_sample(GST_APP_SRC(src), restamped);
      gst_sample_unref(restamped);
    }
  }
  gst_sample_unref(sample);
  return GST_FLOW_OK;
}

void freeTap(gpointer data) {
  delete static_cast<Tap*>(data);
}

/// A keyframe request from the recorder's depayloader reaches its video appsrc, which cannot
/// answer it: the room's tap passes it on to the participant.
GstPadProbeReturn askTheRoomForKeyframes(GstPad* /*pad*/, GstPadProbeInfo* info, gpointer data) {
  GstEvent* event = GST_PAD_PROBE_INFO_EVENT(info);
  if (GST_EVENT_TYPE(event) == GST_EVENT_CUSTOM_UPSTREAM &&
      gst_event_has_name(event, "GstForceKeyUnit"))
    static_cast<RoomRecording::Impl*>(data)->requestKeyframe();
  return GST_PAD_PROBE_OK;
}

}  // namespace

RoomRecording::RoomRecording(std::string recordingId, std::filesystem::path path,
                             const crypto::FieldCipher& cipher, VideoCodec codec)
    : impl_(std::make_shared<Impl>(std::move(recordingId), path, cipher)) {
  GError* err = nullptr;
  impl_->pipeline =
      gst_parse_launch(codec == VideoCodec::h264 ? kRecorderH264 : kRecorderVp8, &err);
  if (impl_->pipeline == nullptr || err != nullptr) {
    const std::string what = err != nullptr ? err->message : "no pipeline";
    g_clear_error(&err);
    throw Error("recording: GStreamer refused the recorder (" + what + ")");
  }
  impl_->sources[0] = gst_bin_get_by_name(GST_BIN(impl_->pipeline), "a");
  impl_->sources[1] = gst_bin_get_by_name(GST_BIN(impl_->pipeline), "v");
  GstPad* videoSrc = gst_element_get_static_pad(impl_->sources[1], "src");
  gst_pad_add_probe(videoSrc, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM, askTheRoomForKeyframes,
                    impl_.get(), nullptr);
  gst_object_unref(videoSrc);
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
  std::lock_guard lock(impl_->mu);
  if (impl_->videoTapPad != nullptr) gst_object_unref(impl_->videoTapPad);
  impl_->videoTapPad = nullptr;
}

GstElement* RoomRecording::makeTap(bool video) {
  GstElement* sink = gst_element_factory_make("appsink", nullptr);
  if (sink == nullptr) throw Error("recording: appsink is missing");
  g_object_set(sink, "sync", FALSE, "async", FALSE, "max-buffers", 500u, "drop", TRUE, nullptr);
  GstAppSinkCallbacks callbacks{};
  callbacks.new_sample = onTapped;
  gst_app_sink_set_callbacks(GST_APP_SINK(sink), &callbacks, new Tap{impl_, video ? 1 : 0},
                             freeTap);
  if (video) {
    std::lock_guard lock(impl_->mu);
    if (impl_->videoTapPad != nullptr) gst_object_unref(impl_->videoTapPad);
    impl_->videoTapPad = gst_element_get_static_pad(sink, "sink");
  }
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
  impl_->writer.finish();
  impl_->stopped = true;
  log::info("video.recording_stopped",
            {{"recording", impl_->id},
             {"bytes", static_cast<std::uint64_t>(impl_->writer.bytesWritten())},
             {"clean", clean}});
}

std::uint64_t RoomRecording::bytesWritten() const {
  std::lock_guard lock(impl_->mu);
  return impl_->writer.bytesWritten();
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
                             const crypto::FieldCipher& cipher, bool* complete) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("recording: cannot read the recording file");
  std::string out;
  bool whole = false;
  std::optional<crypto::Bytes> previous;  // opened once we know whether it is the last
  std::uint64_t chunk = 0;
  for (;; ++chunk) {
    unsigned char header[4];
    if (!in.read(reinterpret_cast<char*>(header), 4)) break;
    const std::uint32_t len = chunkLength(header);
    if (!validChunkLength(len))
      throw CryptoError("recording: chunk " + std::to_string(chunk) + " has a bad length");
    crypto::Bytes sealed(len);
    if (!in.read(reinterpret_cast<char*>(sealed.data()), static_cast<std::streamsize>(len)))
      throw CryptoError("recording: chunk " + std::to_string(chunk) + " is truncated");
    if (previous) out += cipher.decryptText(chunkField(recordingId, chunk - 1), *previous);
    previous = std::move(sealed);
  }
  if (previous) {
    auto [plain, last] = openLastChunk(cipher, recordingId, chunk - 1, *previous);
    out += plain;
    whole = last;
  }
  if (complete != nullptr)
    *complete = whole;
  else if (!whole)
    throw CryptoError("recording: the file ends before its last chunk (cut short)");
  return out;
}

RecordingReader::RecordingReader(const std::filesystem::path& path, std::string recordingId,
                                 const crypto::FieldCipher& cipher)
    : path_(path), id_(std::move(recordingId)), cipher_(cipher) {
  std::ifstream in(path_, std::ios::binary);
  if (!in) throw Error("recording: cannot read the recording file");
  std::uint64_t at = 0;
  for (;;) {
    unsigned char header[4];
    if (!in.read(reinterpret_cast<char*>(header), 4)) break;
    const std::uint32_t len = chunkLength(header);
    if (!validChunkLength(len))
      throw CryptoError("recording: chunk " + std::to_string(chunks_.size()) + " has a bad length");
    at += 4;
    chunks_.push_back({at, len, size_});
    size_ += len - crypto::FieldCipher::kOverhead;
    at += len;
    in.seekg(static_cast<std::streamoff>(at));
  }
  std::error_code ec;
  if (std::filesystem::file_size(path_, ec) != at)
    throw CryptoError("recording: the last chunk is truncated");
  if (chunks_.empty()) return;
  // Whether the file ends with its end-marked chunk (read() opens that chunk the same way).
  const Chunk& last = chunks_.back();
  crypto::Bytes sealed(last.sealedBytes);
  in.clear();
  in.seekg(static_cast<std::streamoff>(last.fileOffset));
  if (!in.read(reinterpret_cast<char*>(sealed.data()), static_cast<std::streamsize>(sealed.size())))
    throw CryptoError("recording: the last chunk is truncated");
  complete_ = openLastChunk(cipher_, id_, chunks_.size() - 1, sealed).second;
}

std::string RecordingReader::read(std::uint64_t offset, std::uint64_t length) const {
  std::string out;
  if (offset >= size_ || length == 0) return out;
  const std::uint64_t end = std::min(size_, offset + length);
  std::ifstream in(path_, std::ios::binary);
  if (!in) throw Error("recording: cannot read the recording file");
  for (std::size_t i = 0; i < chunks_.size(); ++i) {
    const Chunk& c = chunks_[i];
    const std::uint64_t plainEnd = c.plainOffset + (c.sealedBytes - crypto::FieldCipher::kOverhead);
    if (plainEnd <= offset) continue;
    if (c.plainOffset >= end) break;
    crypto::Bytes sealed(c.sealedBytes);
    in.seekg(static_cast<std::streamoff>(c.fileOffset));
    if (!in.read(reinterpret_cast<char*>(sealed.data()),
                 static_cast<std::streamsize>(c.sealedBytes)))
      throw CryptoError("recording: chunk " + std::to_string(i) + " is truncated");
    const bool endMarked = complete_ && i + 1 == chunks_.size();
    const std::string plain = cipher_.decryptText(chunkField(id_, i, endMarked), sealed);
    const std::uint64_t from = std::max(offset, c.plainOffset) - c.plainOffset;
    const std::uint64_t to = std::min(end, plainEnd) - c.plainOffset;
    out.append(plain, static_cast<std::size_t>(from), static_cast<std::size_t>(to - from));
  }
  return out;
}

std::string recordingMediaType(std::string_view head) {
  // The EBML header's DocType element (0x42 0x82, a size byte, the name) says which.
  const auto at = head.substr(0, 64).find("\x42\x82");
  if (at != std::string_view::npos && head.substr(at + 3, 4) == "webm") return "video/webm";
  return "video/x-matroska";
}

namespace {

/// Parses "user-<digits>-<digits>" into (user, ms).
std::optional<std::pair<std::int64_t, std::int64_t>> parseRecordingId(std::string_view id) {
  constexpr std::string_view kPrefix = "user-";
  if (id.size() > 64 || id.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  id.remove_prefix(kPrefix.size());
  const auto dash = id.find('-');
  if (dash == std::string_view::npos || dash == 0 || dash + 1 == id.size()) return std::nullopt;
  for (std::size_t i = 0; i < id.size(); ++i)
    if (i != dash && (id[i] < '0' || id[i] > '9')) return std::nullopt;
  try {
    return std::make_pair(std::stoll(std::string(id.substr(0, dash))),
                          std::stoll(std::string(id.substr(dash + 1))));
  } catch (const std::logic_error&) {
    return std::nullopt;
  }
}

}  // namespace

std::vector<RecordingInfo> listRecordings(const std::filesystem::path& dir, std::int64_t visitId) {
  std::vector<RecordingInfo> out;
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return out;
  const std::string prefix = "visit-" + std::to_string(visitId) + "-";
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (!entry.is_regular_file() || entry.path().extension() != ".rec") continue;
    const std::string stem = entry.path().stem().string();
    if (stem.rfind(prefix, 0) != 0) continue;
    const std::string id = stem.substr(prefix.size());
    auto parsed = parseRecordingId(id);
    if (!parsed) continue;
    out.push_back({id, parsed->first, parsed->second, entry.file_size(ec)});
  }
  std::sort(out.begin(), out.end(), [](const RecordingInfo& a, const RecordingInfo& b) {
    return std::tie(a.startedAtMs, a.userId) < std::tie(b.startedAtMs, b.userId);
  });
  return out;
}

std::map<std::int64_t, RecordingTotals> recordingTotals(const std::filesystem::path& dir) {
  std::map<std::int64_t, RecordingTotals> out;
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return out;
  constexpr std::string_view kPrefix = "visit-";
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (!entry.is_regular_file() || entry.path().extension() != ".rec") continue;
    const std::string stem = entry.path().stem().string();
    if (stem.rfind(kPrefix, 0) != 0) continue;
    const auto dash = stem.find('-', kPrefix.size());
    if (dash == std::string::npos || dash == kPrefix.size() || dash - kPrefix.size() > 18) continue;
    const std::string visit = stem.substr(kPrefix.size(), dash - kPrefix.size());
    if (visit.find_first_not_of("0123456789") != std::string::npos) continue;
    if (!parseRecordingId(std::string_view(stem).substr(dash + 1))) continue;
    auto& totals = out[std::stoll(visit)];
    ++totals.count;
    totals.fileBytes += entry.file_size(ec);
  }
  return out;
}

std::optional<RecordingFile> findRecording(const std::filesystem::path& dir, std::int64_t visitId,
                                           std::string_view id) {
  if (!parseRecordingId(id)) return std::nullopt;
  const std::string recordingId = "visit-" + std::to_string(visitId) + "-" + std::string(id);
  auto path = dir / (recordingId + ".rec");
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return std::nullopt;
  return RecordingFile{path, recordingId};
}

}  // namespace vigil::video
