// The relay's pipeline branches: a participant's incoming media into its tees, the forwarding
// branches (tee -> leaky queue -> the receiver's webrtcbin slot, with the payload-type and caps
// rewrite and the gate that holds media until the receiver has connected), keyframe requests,
// and the recording taps.

#include <cassert>

#include "room_relay_impl.hpp"
#include "vigil/core/log.hpp"
#include "vigil/video/recording.hpp"

namespace vigil::video {

using namespace relay;

namespace {

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

}  // namespace

namespace relay {

void onPadAdded(GstElement* /*webrtc*/, GstPad* pad, gpointer data) {
  auto* ref = static_cast<PeerRef*>(data);
  auto room = ref->room.lock();
  auto p = ref->peer.lock();
  if (!room || !p || GST_PAD_DIRECTION(pad) != GST_PAD_SRC) return;
  room->onIncomingPad(p, pad);
}

}  // namespace relay

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

}  // namespace vigil::video
