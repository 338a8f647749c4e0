// The relay's quality samples: every statsInterval each connected webrtcbin is asked for its
// statistics, which become RTT, jitter, loss and incoming bitrate per participant.

#include <algorithm>

#include "room_relay_impl.hpp"

namespace vigil::video {

using namespace relay;

namespace relay {

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

}  // namespace relay

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

}  // namespace vigil::video
