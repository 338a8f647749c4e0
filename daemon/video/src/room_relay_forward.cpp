// How the relay receives without holding packets, and how loss recovery crosses it.
//
// webrtcbin's rtpbin puts an rtpjitterbuffer behind every incoming SSRC. On a relay it only costs:
// it holds each packet behind a gap until the gap fills or `latency` passes (on loopback the relay
// added p99 ~70 ms at 50 ms), then throws away a retransmission that arrives after it gave up, so a
// receiver's NACK could not be answered across the box either. The receiving browser has a jitter
// buffer of its own, sized to its own link. So the relay answers rtpbin's "request-jitterbuffer"
// with `vigilrtpforward`: one sink pad, one source pad, every packet pushed on as it arrives, in
// arrival order, except one already forwarded (the receiving session's SRTP would refuse it and
// end that session; a bit per sequence number, 8 KiB a stream). It has the
// properties rtpbin and webrtcbin set or read on a jitterbuffer (latency, do-lost,
// drop-on-latency, do-retransmission, stats) so neither warns, and stamps a packet that arrives
// without a time with the pipeline's running time (the sending RTP session maps RTP time to it in
// its sender reports, which browsers use for lip sync). video.latency_ms > 0 keeps rtpbin's own
// jitterbuffer with that latency (the earlier behaviour, for comparison).
//
// Loss recovery, end to end (every m-line offers generic NACK with RTX, and PLI/FIR):
//   receiver --NACK--> box (receiver's session): its rtprtxsend answers from the packets the box
//   sent on that leg (500 per stream) and, as rtprtxsend swallows the request, the probe below
//   sends a copy on upstream from rtprtxsend's sink: BUNDLE funnel (by SSRC) -> the branch queue
//   -> the sender's tee -> the sender's session, which NACKs the sender; the sender's RTX comes
//   back through rtprtxreceive (which learnt the sequence number from that request) as the
//   original packet and is forwarded like any other. A loss on the box -> receiver leg is so
//   answered twice (by the box and by the sender), one extra packet per lost one; a loss on the
//   sender -> box leg is answered once, by the sender. Keyframe requests (PLI/FIR) take the same
//   way up as GstForceKeyUnit (room_relay_branches.cpp).

#include <bitset>

#include "room_relay_impl.hpp"

namespace vigil::video::relay {

namespace {

struct RtpForward {
  GstElement parent;
  GstPad* sink;
  GstPad* src;
  guint latency;
  gboolean doLost;
  gboolean dropOnLatency;
  gboolean doRetransmission;
  std::atomic<guint64> pushed;
  std::atomic<guint64> duplicates;
  // The sequence numbers forwarded lately (the half of the 16-bit space behind the highest).
  std::bitset<65536>* seen;
  bool started;
  guint16 highest;
};

struct RtpForwardClass {
  GstElementClass parent;
};

enum Prop : guint {
  kPropLatency = 1,
  kPropDoLost,
  kPropDropOnLatency,
  kPropDoRetransmission,
  kPropStats
};

GstStaticPadTemplate sinkTemplate = GST_STATIC_PAD_TEMPLATE("sink", GST_PAD_SINK, GST_PAD_ALWAYS,
                                                            GST_STATIC_CAPS("application/x-rtp"));
GstStaticPadTemplate srcTemplate = GST_STATIC_PAD_TEMPLATE("src", GST_PAD_SRC, GST_PAD_ALWAYS,
                                                           GST_STATIC_CAPS("application/x-rtp"));

/// How far behind the highest sequence number forwarded a late packet (a retransmission) may
/// still go out: inside the SRTP replay window of the receivers' sessions on the box.
constexpr auto kLatestBehind = static_cast<guint16>(kSrtpReplayWindow - 64);

/// False for a packet forwarded before, or too late to encrypt: a sender answering two NACKs for
/// one packet, or the network, can deliver it twice, and the receiving session's SRTP refuses to
/// encrypt one index twice (srtpenc fails, and with it that receiver's session). Runs on the
/// stream's one thread.
bool firstTime(RtpForward* self, guint16 seq) {
  auto& seen = *self->seen;
  if (!self->started) {
    self->started = true;
    self->highest = seq;
    seen.set(seq);
    return true;
  }
  const auto ahead = static_cast<guint16>(seq - self->highest);
  if (ahead != 0 && ahead < 32768) {
    // Forget what lies half the space behind the new highest (it will come round again).
    if (ahead > 4096) {
      seen.reset();
    } else {
      for (guint16 i = 1; i <= ahead; ++i)
        seen.reset(static_cast<guint16>(self->highest + i + 32768));
    }
    self->highest = seq;
  }
  // Too far behind for the receiving session's SRTP replay window (kSrtpReplayWindow): libsrtp
  // refuses to encrypt it and srtpenc's error would end that receiver's session.
  if (static_cast<guint16>(self->highest - seq) >= kLatestBehind) return false;
  if (seen.test(seq)) return false;
  seen.set(seq);
  return true;
}

GstFlowReturn forwardChain(GstPad* /*pad*/, GstObject* parent, GstBuffer* buf) {
  auto* self = reinterpret_cast<RtpForward*>(parent);
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  if (gst_rtp_buffer_map(buf, GST_MAP_READ, &rtp)) {
    const guint16 seq = gst_rtp_buffer_get_seq(&rtp);
    gst_rtp_buffer_unmap(&rtp);
    if (!firstTime(self, seq)) {
      self->duplicates.fetch_add(1, std::memory_order_relaxed);
      gst_buffer_unref(buf);
      return GST_FLOW_OK;
    }
  }
  if (!GST_BUFFER_PTS_IS_VALID(buf)) {
    GstClockTime t = GST_BUFFER_DTS(buf);
    if (!GST_CLOCK_TIME_IS_VALID(t)) {
      GstClock* clock = gst_element_get_clock(GST_ELEMENT(parent));
      if (clock != nullptr) {
        const GstClockTime now = gst_clock_get_time(clock);
        const GstClockTime base = gst_element_get_base_time(GST_ELEMENT(parent));
        t = now > base ? now - base : 0;
        gst_object_unref(clock);
      }
    }
    if (GST_CLOCK_TIME_IS_VALID(t)) {
      buf = gst_buffer_make_writable(buf);
      GST_BUFFER_PTS(buf) = t;
    }
  }
  self->pushed.fetch_add(1, std::memory_order_relaxed);
  return gst_pad_push(self->src, buf);
}

void forwardSetProperty(GObject* object, guint id, const GValue* value, GParamSpec* pspec) {
  auto* self = reinterpret_cast<RtpForward*>(object);
  switch (id) {
    case kPropLatency:
      self->latency = g_value_get_uint(value);
      break;
    case kPropDoLost:
      self->doLost = g_value_get_boolean(value);
      break;
    case kPropDropOnLatency:
      self->dropOnLatency = g_value_get_boolean(value);
      break;
    case kPropDoRetransmission:
      self->doRetransmission = g_value_get_boolean(value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
  }
}

void forwardGetProperty(GObject* object, guint id, GValue* value, GParamSpec* pspec) {
  auto* self = reinterpret_cast<RtpForward*>(object);
  switch (id) {
    case kPropLatency:
      g_value_set_uint(value, self->latency);
      break;
    case kPropDoLost:
      g_value_set_boolean(value, self->doLost);
      break;
    case kPropDropOnLatency:
      g_value_set_boolean(value, self->dropOnLatency);
      break;
    case kPropDoRetransmission:
      g_value_set_boolean(value, self->doRetransmission);
      break;
    case kPropStats:
      // The fields webrtcbin's get-stats reads from a jitterbuffer: nothing is lost, late or
      // retransmitted here (the RTP session's own counters report the leg's loss).
      g_value_take_boxed(
          value, gst_structure_new(
                     "application/x-rtp-jitterbuffer-stats", "num-pushed", G_TYPE_UINT64,
                     self->pushed.load(std::memory_order_relaxed), "num-lost", G_TYPE_UINT64,
                     guint64{0}, "num-late", G_TYPE_UINT64, guint64{0}, "num-duplicates",
                     G_TYPE_UINT64, self->duplicates.load(std::memory_order_relaxed), "avg-jitter",
                     G_TYPE_UINT64, guint64{0}, "rtx-count", G_TYPE_UINT64, guint64{0},
                     "rtx-success-count", G_TYPE_UINT64, guint64{0}, "rtx-per-packet",
                     G_TYPE_DOUBLE, 0.0, "rtx-rtt", G_TYPE_UINT64, guint64{0}, nullptr));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
  }
}

GObjectClass* forwardParentClass = nullptr;

void forwardFinalize(GObject* object) {
  delete reinterpret_cast<RtpForward*>(object)->seen;
  forwardParentClass->finalize(object);
}

void forwardClassInit(gpointer klass, gpointer /*data*/) {
  forwardParentClass = G_OBJECT_CLASS(g_type_class_peek_parent(klass));
  auto* object = G_OBJECT_CLASS(klass);
  object->finalize = forwardFinalize;
  object->set_property = forwardSetProperty;
  object->get_property = forwardGetProperty;
  const auto rw = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_property(
      object, kPropLatency,
      g_param_spec_uint("latency", "Latency", "Ignored: packets are never held", 0, G_MAXUINT, 0,
                        rw));
  g_object_class_install_property(
      object, kPropDoLost,
      g_param_spec_boolean("do-lost", "Do lost", "Ignored: gaps are left to the receiver", FALSE,
                           rw));
  g_object_class_install_property(
      object, kPropDropOnLatency,
      g_param_spec_boolean("drop-on-latency", "Drop on latency", "Ignored", FALSE, rw));
  g_object_class_install_property(
      object, kPropDoRetransmission,
      g_param_spec_boolean("do-retransmission", "Do retransmission",
                           "Ignored: the receiver asks, the relay passes the request on", FALSE,
                           rw));
  g_object_class_install_property(
      object, kPropStats,
      g_param_spec_boxed("stats", "Statistics", "Jitterbuffer-shaped statistics",
                         GST_TYPE_STRUCTURE,
                         static_cast<GParamFlags>(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)));
  auto* element = GST_ELEMENT_CLASS(klass);
  gst_element_class_add_static_pad_template(element, &sinkTemplate);
  gst_element_class_add_static_pad_template(element, &srcTemplate);
  gst_element_class_set_static_metadata(element, "RTP forwarder", "Filter/Network/RTP",
                                        "Passes RTP on as it arrives (a relay's jitterbuffer)",
                                        "Vigil");
}

void forwardInit(GTypeInstance* instance, gpointer klass) {
  auto* self = reinterpret_cast<RtpForward*>(instance);
  new (&self->pushed) std::atomic<guint64>(0);
  new (&self->duplicates) std::atomic<guint64>(0);
  self->seen = new std::bitset<65536>();
  auto* element = GST_ELEMENT_CLASS(klass);
  self->sink =
      gst_pad_new_from_template(gst_element_class_get_pad_template(element, "sink"), "sink");
  gst_pad_set_chain_function(self->sink, forwardChain);
  GST_PAD_SET_PROXY_CAPS(self->sink);
  GST_PAD_SET_PROXY_ALLOCATION(self->sink);
  GST_PAD_SET_PROXY_SCHEDULING(self->sink);
  gst_element_add_pad(GST_ELEMENT(instance), self->sink);
  self->src = gst_pad_new_from_template(gst_element_class_get_pad_template(element, "src"), "src");
  GST_PAD_SET_PROXY_CAPS(self->src);
  GST_PAD_SET_PROXY_ALLOCATION(self->src);
  GST_PAD_SET_PROXY_SCHEDULING(self->src);
  gst_element_add_pad(GST_ELEMENT(instance), self->src);
}

GType forwardType() {
  static const GType type = [] {
    const GType t = g_type_register_static_simple(
        GST_TYPE_ELEMENT, "VigilRtpForward", sizeof(RtpForwardClass), forwardClassInit,
        sizeof(RtpForward), forwardInit, static_cast<GTypeFlags>(0));
    gst_element_register(nullptr, "vigilrtpforward", GST_RANK_NONE, t);
    return t;
  }();
  return type;
}

GstElement* onRequestJitterbuffer(GstElement* /*rtpbin*/, guint /*session*/, gpointer /*data*/) {
  return GST_ELEMENT(g_object_new(forwardType(), nullptr));
}

/// rtprtxsend answers a retransmission request from its own history and swallows it: a copy
/// goes on upstream towards the packet's sender (the file comment).
GstPadProbeReturn passRetransmissionRequestOn(GstPad* pad, GstPadProbeInfo* info, gpointer) {
  auto* event = GST_PAD_PROBE_INFO_EVENT(info);
  if (GST_EVENT_TYPE(event) != GST_EVENT_CUSTOM_UPSTREAM ||
      !gst_event_has_name(event, "GstRTPRetransmissionRequest"))
    return GST_PAD_PROBE_OK;
  GstElement* rtx = gst_pad_get_parent_element(pad);
  if (rtx == nullptr) return GST_PAD_PROBE_OK;
  GstPad* sink = gst_element_get_static_pad(rtx, "sink");
  if (sink != nullptr) {
    GstEvent* copy = gst_event_copy(event);
    // How long the sender's session keeps the NACK for an RTCP slot (it subtracts an RTT
    // estimate, 40 ms unless told) when it may not send it early: until its next regular report
    // (a few hundred ms: kRtcpMinIntervalNs and kRtcpBytesPerSecond), or it would be dropped.
    gst_structure_set(gst_event_writable_structure(copy), "deadline", G_TYPE_UINT, 1000u, "avg-rtt",
                      G_TYPE_UINT, 0u, nullptr);
    gst_pad_push_event(sink, copy);
    gst_object_unref(sink);
  }
  gst_object_unref(rtx);
  return GST_PAD_PROBE_OK;
}

}  // namespace

void forwardWithoutJitterbuffer(GstElement* webrtc) {
  GstElement* rtpbin = gst_bin_get_by_name(GST_BIN(webrtc), "rtpbin");
  if (rtpbin == nullptr) return;
  g_signal_connect(rtpbin, "request-jitterbuffer", G_CALLBACK(onRequestJitterbuffer), nullptr);
  gst_object_unref(rtpbin);
}

void passRetransmissionRequestsOn(GstElement* rtxsend) {
  // deep-element-added may name it twice (itself, and inside its aux bin): one probe.
  if (g_object_get_data(G_OBJECT(rtxsend), "vigil-passes-requests-on") != nullptr) return;
  g_object_set_data(G_OBJECT(rtxsend), "vigil-passes-requests-on", rtxsend);
  GstPad* src = gst_element_get_static_pad(rtxsend, "src");
  if (src == nullptr) return;
  gst_pad_add_probe(src, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM, passRetransmissionRequestOn, nullptr,
                    nullptr);
  gst_object_unref(src);
}

}  // namespace vigil::video::relay
