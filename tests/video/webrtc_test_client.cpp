#include "webrtc_test_client.hpp"

#define GST_USE_UNSTABLE_API 1
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <gst/gst.h>
#include <gst/rtp/gstrtpbuffer.h>
#include <gst/sdp/sdp.h>
#include <gst/webrtc/webrtc.h>

#include <sstream>
#include <stdexcept>

namespace vigil::video::test {
namespace {

// Sends a ball (320x240 at 15 fps by default, a keyframe at least every 2 s), a sine tone, and a
// shared "screen" (SMPTE bars, 5 fps) on the third m-line.
/// An encoder and payloader for the options' codec, ending in the payloader's RTP caps.
std::string videoEncoder(const WebrtcTestClientOptions& o, int keyframeEvery, int pt, int kbps,
                         const char* payName) {
  std::ostringstream p;
  if (o.codec == "h264") {
    p << "openh264enc complexity=0 gop-size=" << keyframeEvery;
    if (kbps > 0) p << " bitrate=" << kbps * 1000;
    p << " ! video/x-h264,profile=constrained-baseline ! rtph264pay " << payName
      << " config-interval=-1 aggregate-mode=zero-latency pt=" << pt
      << " ! application/x-rtp,media=video,encoding-name=H264,payload=" << pt;
  } else {
    p << "vp8enc deadline=1 cpu-used=8 keyframe-max-dist=" << keyframeEvery;
    if (kbps > 0) p << " target-bitrate=" << kbps * 1000;
    p << " ! rtpvp8pay " << payName << " pt=" << pt
      << " ! application/x-rtp,media=video,encoding-name=VP8,payload=" << pt;
  }
  return p.str();
}

/// A keyframe distance no call reaches (frames): keyframes come when asked for only.
constexpr int kOnlyWhenAsked = 1'000'000'000;

std::string pipelineFor(const WebrtcTestClientOptions& o) {
  std::ostringstream p;
  p << "webrtcbin name=w bundle-policy=max-bundle latency=" << o.jitterLatencyMs << " "
    << "audiotestsrc is-live=true wave=sine ! audioconvert ! audioresample ! opusenc "
    << (o.cheapAudio ? "complexity=0 " : "")
    << "! rtpopuspay name=apay pt=111 ! "
       "application/x-rtp,media=audio,encoding-name=OPUS,payload=111 "
       "! w. "
    << "videotestsrc is-live=true pattern=" << o.pattern << " ! video/x-raw,width=" << o.width
    << ",height=" << o.height << ",framerate=" << o.fps << "/1 ! "
    << videoEncoder(o, o.keyframeSeconds > 0 ? o.keyframeSeconds * o.fps : kOnlyWhenAsked, 96,
                    o.videoKbps, "name=vpay")
    << " ! w. ";
  if (o.screen)
    p << "videotestsrc is-live=true pattern=smpte ! "
         "video/x-raw,width=320,height=180,framerate=5/1 ! "
      << videoEncoder(o, 10, 102, 0, "") << " ! w. ";
  return p.str();
}

/// What an RTP probe reports to.
struct ProbeTarget {
  const WebrtcTestClient* client;
  bool sent;
  bool video;
};

GstPadProbeReturn observeRtp(GstPad* /*pad*/, GstPadProbeInfo* info, gpointer data) {
  auto* t = static_cast<ProbeTarget*>(data);
  if ((info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST) != 0) {
    GstBufferList* list = GST_PAD_PROBE_INFO_BUFFER_LIST(info);
    for (guint i = 0; i < gst_buffer_list_length(list); ++i)
      t->client->observe(t->sent, t->video, gst_buffer_list_get(list, i));
  } else {
    t->client->observe(t->sent, t->video, GST_PAD_PROBE_INFO_BUFFER(info));
  }
  return GST_PAD_PROBE_OK;
}

void freeTarget(gpointer data) {
  delete static_cast<ProbeTarget*>(data);
}

void addRtpProbe(GstPad* pad, const WebrtcTestClient* client, bool sent, bool video) {
  gst_pad_add_probe(
      pad, static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST),
      observeRtp, new ProbeTarget{client, sent, video}, freeTarget);
}

std::string toJson(const Poco::JSON::Object& o) {
  std::ostringstream out;
  o.stringify(out);
  return out.str();
}

GstPadProbeReturn countBuffers(GstPad* /*pad*/, GstPadProbeInfo* /*info*/, gpointer data) {
  static_cast<std::atomic<std::uint64_t>*>(data)->fetch_add(1);
  return GST_PAD_PROBE_OK;
}

GstPadProbeReturn countKeyframeRequests(GstPad* /*pad*/, GstPadProbeInfo* info, gpointer data) {
  auto* event = GST_PAD_PROBE_INFO_EVENT(info);
  if (GST_EVENT_TYPE(event) != GST_EVENT_CUSTOM_UPSTREAM ||
      !gst_event_has_name(event, "GstForceKeyUnit"))
    return GST_PAD_PROBE_OK;
  auto* client = static_cast<WebrtcTestClient*>(data);
  client->keyframeRequests_.fetch_add(1);
  int left = client->keyframeRequestsToIgnore_.load();
  while (left > 0 && !client->keyframeRequestsToIgnore_.compare_exchange_weak(left, left - 1)) {
  }
  return left > 0 ? GST_PAD_PROBE_DROP : GST_PAD_PROBE_OK;
}

/// Drops one camera packet (not a retransmission) when the client is armed to.
bool dropIfArmed(WebrtcTestClient* client, GstBuffer* buffer) {
  if (GST_BUFFER_FLAG_IS_SET(buffer, GST_RTP_BUFFER_FLAG_RETRANSMISSION)) return false;
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  if (!gst_rtp_buffer_map(buffer, GST_MAP_READ, &rtp)) return false;
  const bool camera = gst_rtp_buffer_get_payload_type(&rtp) == 96;
  const auto key = rtpKey(true, gst_rtp_buffer_get_seq(&rtp), gst_rtp_buffer_get_timestamp(&rtp));
  gst_rtp_buffer_unmap(&rtp);
  bool armed = true;
  if (!camera || !client->dropArmed_.compare_exchange_strong(armed, false)) return false;
  client->droppedKey_ = key;
  return true;
}

GstPadProbeReturn dropArmedPacket(GstPad* /*pad*/, GstPadProbeInfo* info, gpointer self) {
  auto* client = static_cast<WebrtcTestClient*>(self);
  if (!client->dropArmed_) return GST_PAD_PROBE_OK;
  if ((info->type & GST_PAD_PROBE_TYPE_BUFFER) != 0)
    return dropIfArmed(client, GST_PAD_PROBE_INFO_BUFFER(info)) ? GST_PAD_PROBE_DROP
                                                                : GST_PAD_PROBE_OK;
  GstBufferList* list = GST_PAD_PROBE_INFO_BUFFER_LIST(info);
  for (guint i = 0; i < gst_buffer_list_length(list); ++i) {
    if (dropIfArmed(client, gst_buffer_list_get(list, i))) {
      list = gst_buffer_list_make_writable(list);
      gst_buffer_list_remove(list, i, 1);
      GST_PAD_PROBE_INFO_DATA(info) = list;
      break;
    }
  }
  return GST_PAD_PROBE_OK;
}

/// webrtcbin turns retransmission on only for a jitterbuffer whose SSRC it can tie to an m-line,
/// and the relay's offer names no SSRCs (browsers ask for lost packets regardless): on for all.
void askForLostPackets(GstElement* /*rtpbin*/, GstElement* jitterbuffer, guint /*session*/,
                       guint /*ssrc*/, gpointer /*data*/) {
  g_object_set(jitterbuffer, "do-retransmission", TRUE, nullptr);
}

/// Browsers send a NACK as soon as they miss a packet; rtpsession may send feedback early only
/// once per regular interval (5 s by default): a short interval, as the relay has.
void onElementAdded(GstBin*, GstBin*, GstElement* element, gpointer) {
  GstElementFactory* f = gst_element_get_factory(element);
  if (f != nullptr &&
      std::string(gst_plugin_feature_get_name(GST_PLUGIN_FEATURE(f))) == "rtpsession")
    g_object_set(element, "rtcp-min-interval", guint64{100'000'000}, "rtcp-fraction", 50'000.0,
                 nullptr);
}

void onPadAdded(GstElement* /*webrtc*/, GstPad* pad, gpointer self) {
  if (GST_PAD_DIRECTION(pad) == GST_PAD_SRC)
    static_cast<WebrtcTestClient*>(self)->onIncomingPad(pad);
}

void onRemoteSet(GstPromise* promise, gpointer self) {
  static_cast<WebrtcTestClient*>(self)->onRemoteOffer(promise);
}

void onAnswerCreated(GstPromise* promise, gpointer self) {
  static_cast<WebrtcTestClient*>(self)->onAnswer(promise);
}

void onOfferCreated(GstPromise* promise, gpointer self) {
  static_cast<WebrtcTestClient*>(self)->onOffer(promise);
}

}  // namespace

// The ICE callback needs send_, a private member: a small trampoline holds it.
struct IceTrampoline {
  static void onCandidate(GstElement* /*webrtc*/, guint mline, gchar* candidate, gpointer data) {
    auto* send = static_cast<WebrtcTestClient::Send*>(data);
    Poco::JSON::Object msg;
    msg.set("type", "ice");
    msg.set("sdpMLineIndex", static_cast<int>(mline));
    msg.set("candidate", std::string(candidate));
    (*send)(toJson(msg));
  }
};

WebrtcTestClient::WebrtcTestClient(Send send, WebrtcTestClientOptions options, RtpObserver observer)
    : send_(std::move(send)), options_(options), observer_(std::move(observer)) {
  gst_init(nullptr, nullptr);
  GError* err = nullptr;
  pipeline_ = gst_parse_launch(pipelineFor(options_).c_str(), &err);
  if (pipeline_ == nullptr || err != nullptr) {
    std::string what = err != nullptr ? err->message : "parse failed";
    g_clear_error(&err);
    throw std::runtime_error("test client pipeline: " + what);
  }
  webrtc_ = gst_bin_get_by_name(GST_BIN(pipeline_), "w");
  g_signal_connect(webrtc_, "on-ice-candidate", G_CALLBACK(IceTrampoline::onCandidate), &send_);
  g_signal_connect(webrtc_, "pad-added", G_CALLBACK(onPadAdded), this);
  if (options_.nack) {
    g_signal_connect(webrtc_, "deep-element-added", G_CALLBACK(onElementAdded), nullptr);
    GstElement* rtpbin = gst_bin_get_by_name(GST_BIN(webrtc_), "rtpbin");
    if (rtpbin != nullptr) {
      g_signal_connect(rtpbin, "new-jitterbuffer", G_CALLBACK(askForLostPackets), nullptr);
      gst_object_unref(rtpbin);
    }
  }
  GstElement* vpay = gst_bin_get_by_name(GST_BIN(pipeline_), "vpay");
  GstPad* vpaySink = gst_element_get_static_pad(vpay, "sink");
  gst_pad_add_probe(vpaySink, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM, countKeyframeRequests, this,
                    nullptr);
  gst_object_unref(vpaySink);
  if (observer_) {
    GstPad* vpaySrc = gst_element_get_static_pad(vpay, "src");
    addRtpProbe(vpaySrc, this, true, true);
    gst_object_unref(vpaySrc);
    GstElement* apay = gst_bin_get_by_name(GST_BIN(pipeline_), "apay");
    GstPad* apaySrc = gst_element_get_static_pad(apay, "src");
    addRtpProbe(apaySrc, this, true, false);
    gst_object_unref(apaySrc);
    gst_object_unref(apay);
  }
  gst_object_unref(vpay);
  gst_element_set_state(pipeline_, GST_STATE_PLAYING);
}

WebrtcTestClient::~WebrtcTestClient() {
  gst_element_set_state(pipeline_, GST_STATE_NULL);
  if (videoDepay_ != nullptr) gst_object_unref(videoDepay_);
  gst_object_unref(webrtc_);
  gst_object_unref(pipeline_);
}

void WebrtcTestClient::receive(const std::string& json) {
  Poco::JSON::Parser parser;
  auto msg = parser.parse(json).extract<Poco::JSON::Object::Ptr>();
  const auto type = msg->getValue<std::string>("type");
  if (type == "offer" || type == "answer") {
    const auto sdp = msg->getValue<std::string>("sdp");
    GstSDPMessage* parsed = nullptr;
    gst_sdp_message_new(&parsed);
    gst_sdp_message_parse_buffer(reinterpret_cast<const guint8*>(sdp.data()),
                                 static_cast<guint>(sdp.size()), parsed);
    const bool isOffer = type == "offer";
    if (isOffer) {
      std::lock_guard lock(mu_);
      remoteOffer_ = sdp;
    }
    auto* desc = gst_webrtc_session_description_new(
        isOffer ? GST_WEBRTC_SDP_TYPE_OFFER : GST_WEBRTC_SDP_TYPE_ANSWER, parsed);
    // An offer is answered once it is set; an answer to our own offer completes the exchange.
    GstPromise* promise =
        isOffer ? gst_promise_new_with_change_func(onRemoteSet, this, nullptr) : nullptr;
    g_signal_emit_by_name(webrtc_, "set-remote-description", desc, promise);
    gst_webrtc_session_description_free(desc);
  } else if (type == "ice") {
    const auto candidate = msg->getValue<std::string>("candidate");
    const auto mline = msg->getValue<int>("sdpMLineIndex");
    g_signal_emit_by_name(webrtc_, "add-ice-candidate", static_cast<guint>(mline),
                          candidate.c_str());
  } else if (type == "slots") {
    std::vector<std::int64_t> owners;
    auto list = msg->getArray("owners");
    for (std::size_t i = 0; list && i < list->size(); ++i)
      owners.push_back(list->getElement<std::int64_t>(static_cast<unsigned>(i)));
    std::lock_guard lock(mu_);
    slotOwners_ = owners;
  } else if (type == "error") {
    std::lock_guard lock(mu_);
    errors_ += msg->optValue<std::string>("reason", "") + "\n";
  }
}

void WebrtcTestClient::enableNack() {
  if (!options_.nack) return;
  GArray* transceivers = nullptr;
  g_signal_emit_by_name(webrtc_, "get-transceivers", &transceivers);
  if (transceivers == nullptr) return;
  for (guint i = 0; i < transceivers->len; ++i)
    g_object_set(g_array_index(transceivers, GstWebRTCRTPTransceiver*, i), "do-nack", TRUE,
                 nullptr);
  g_array_unref(transceivers);
}

std::uint64_t WebrtcTestClient::dropNextVideoPacketSent() {
  // webrtcbin's RTP session: its send_rtp_src carries what leaves after rtprtxsend kept a copy.
  GstIterator* it = gst_bin_iterate_recurse(GST_BIN(webrtc_));
  GValue item = G_VALUE_INIT;
  GstPad* out = nullptr;
  while (out == nullptr && gst_iterator_next(it, &item) == GST_ITERATOR_OK) {
    auto* e = GST_ELEMENT(g_value_get_object(&item));
    GstElementFactory* f = gst_element_get_factory(e);
    if (f != nullptr &&
        std::string(gst_plugin_feature_get_name(GST_PLUGIN_FEATURE(f))) == "rtpsession")
      out = gst_element_get_static_pad(e, "send_rtp_src");
    g_value_reset(&item);
  }
  g_value_unset(&item);
  gst_iterator_free(it);
  if (out == nullptr) return 0;
  droppedKey_ = 0;
  gst_pad_add_probe(
      out, static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST),
      dropArmedPacket, this, nullptr);
  gst_object_unref(out);
  dropArmed_ = true;
  for (int i = 0; i < 200 && droppedKey_ == 0; ++i) g_usleep(10'000);
  return droppedKey_;
}

void WebrtcTestClient::onRemoteOffer(void* p) {
  auto* promise = static_cast<GstPromise*>(p);
  gst_promise_unref(promise);
  enableNack();
  GstPromise* answer = gst_promise_new_with_change_func(onAnswerCreated, this, nullptr);
  g_signal_emit_by_name(webrtc_, "create-answer", nullptr, answer);
}

void WebrtcTestClient::onAnswer(void* p) {
  auto* promise = static_cast<GstPromise*>(p);
  const GstStructure* reply = gst_promise_get_reply(promise);
  GstWebRTCSessionDescription* answer = nullptr;
  if (reply != nullptr)
    gst_structure_get(reply, "answer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &answer, nullptr);
  gst_promise_unref(promise);
  if (answer == nullptr) return;
  g_signal_emit_by_name(webrtc_, "set-local-description", answer, nullptr);
  gchar* text = gst_sdp_message_as_text(answer->sdp);
  Poco::JSON::Object msg;
  msg.set("type", "answer");
  msg.set("sdp", std::string(text));
  g_free(text);
  gst_webrtc_session_description_free(answer);
  send_(toJson(msg));
}

void WebrtcTestClient::offer() {
  enableNack();
  GstPromise* promise = gst_promise_new_with_change_func(onOfferCreated, this, nullptr);
  g_signal_emit_by_name(webrtc_, "create-offer", nullptr, promise);
}

void WebrtcTestClient::onOffer(void* p) {
  auto* promise = static_cast<GstPromise*>(p);
  const GstStructure* reply = gst_promise_get_reply(promise);
  GstWebRTCSessionDescription* offer = nullptr;
  if (reply != nullptr)
    gst_structure_get(reply, "offer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &offer, nullptr);
  gst_promise_unref(promise);
  if (offer == nullptr) return;
  g_signal_emit_by_name(webrtc_, "set-local-description", offer, nullptr);
  gchar* text = gst_sdp_message_as_text(offer->sdp);
  Poco::JSON::Object msg;
  msg.set("type", "offer");
  msg.set("sdp", std::string(text));
  g_free(text);
  gst_webrtc_session_description_free(offer);
  send_(toJson(msg));
}

void WebrtcTestClient::observe(bool sent, bool video, void* b) const {
  auto* buffer = static_cast<GstBuffer*>(b);
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  if (!gst_rtp_buffer_map(buffer, GST_MAP_READ, &rtp)) return;
  const auto key = rtpKey(video, gst_rtp_buffer_get_seq(&rtp), gst_rtp_buffer_get_timestamp(&rtp));
  gst_rtp_buffer_unmap(&rtp);
  observer_(sent, video, key, gst_buffer_get_size(buffer));
}

void WebrtcTestClient::onIncomingPad(void* p) {
  auto* pad = static_cast<GstPad*>(p);
  GstCaps* caps = gst_pad_get_current_caps(pad);
  const gchar* media = gst_structure_get_string(gst_caps_get_structure(caps, 0), "media");
  const bool video = media != nullptr && std::string(media) == "video";
  // The relay's payload types: camera 96+slot, screen 102+slot, audio 111+slot.
  gint pt = 0;
  gst_structure_get_int(gst_caps_get_structure(caps, 0), "payload", &pt);
  const bool screen = video && pt >= 102 && pt < 110;
  gst_caps_unref(caps);
  GError* err = nullptr;
  if (observer_) addRtpProbe(pad, this, false, video);
  const bool h264 = options_.codec == "h264";
  GstElement* bin = gst_parse_bin_from_description(
      !options_.decode ? "queue ! fakesink name=sink async=false sync=false"
      : !video         ? "queue ! rtpopusdepay ! opusdec ! fakesink name=sink async=false"
      : h264           ? "queue ! rtph264depay name=vdepay ! h264parse ! "
                         "video/x-h264,profile=constrained-baseline ! openh264dec ! fakesink name=sink "
                         "async=false"
             : "queue ! rtpvp8depay name=vdepay ! vp8dec ! fakesink name=sink async=false",
      TRUE, &err);
  if (bin == nullptr) {
    g_clear_error(&err);
    return;
  }
  gst_bin_add(GST_BIN(pipeline_), bin);
  GstElement* sink = gst_bin_get_by_name(GST_BIN(bin), "sink");
  GstPad* sinkPad = gst_element_get_static_pad(sink, "sink");
  gst_pad_add_probe(sinkPad, GST_PAD_PROBE_TYPE_BUFFER, countBuffers,
                    screen  ? &screenFrames_
                    : video ? &videoFrames_
                            : &audioFrames_,
                    nullptr);
  gst_object_unref(sinkPad);
  gst_object_unref(sink);
  if (video && !screen) {
    std::lock_guard lock(mu_);
    if (videoDepay_ == nullptr) videoDepay_ = gst_bin_get_by_name(GST_BIN(bin), "vdepay");
  }
  gst_element_sync_state_with_parent(bin);
  GstPad* binSink = gst_element_get_static_pad(bin, "sink");
  gst_pad_link(pad, binSink);
  gst_object_unref(binSink);
}

void WebrtcTestClient::requestKeyframe() {
  GstElement* depay = nullptr;
  {
    std::lock_guard lock(mu_);
    depay = videoDepay_ != nullptr ? GST_ELEMENT(gst_object_ref(videoDepay_)) : nullptr;
  }
  if (depay == nullptr) return;
  GstPad* src = gst_element_get_static_pad(depay, "src");
  gst_pad_send_event(src, gst_event_new_custom(GST_EVENT_CUSTOM_UPSTREAM,
                                               gst_structure_new("GstForceKeyUnit", "all-headers",
                                                                 G_TYPE_BOOLEAN, TRUE, nullptr)));
  gst_object_unref(src);
  gst_object_unref(depay);
}

std::string WebrtcTestClient::remoteOffer() const {
  std::lock_guard lock(mu_);
  return remoteOffer_;
}

std::vector<std::int64_t> WebrtcTestClient::slotOwners() const {
  std::lock_guard lock(mu_);
  return slotOwners_;
}

std::string WebrtcTestClient::errors() const {
  std::lock_guard lock(mu_);
  return errors_;
}

}  // namespace vigil::video::test
