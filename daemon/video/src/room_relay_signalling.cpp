// The relay's sessions: opening one (a webrtcbin with its fixed slots, offered by the box),
// the offer, ICE candidates and the answer, the connection state, and ending a session
// (replaced, failed, timed out, left).

#include <Poco/JSON/Parser.h>

#include <sstream>

#include "room_relay_impl.hpp"
#include "vigil/core/error.hpp"
#include "vigil/core/log.hpp"
#include "vigil/core/metrics.hpp"

namespace vigil::video {

using namespace relay;

namespace {

/// Transport-wide congestion control (the RTP header extension, id 3 on every m-line): each leg
/// (browser -> box, box -> browser) is its own session, and the box's RTP session answers a
/// sender's sequence numbers with transport-cc feedback, so a browser's delay-based bandwidth
/// estimation works on its own leg to the box.
constexpr const char* kTwccExtmap = "extmap-3";
constexpr const char* kTwccUri =
    "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01";

/// The shortest regular RTCP interval of every participant's RTP session, and the RTCP bandwidth
/// that lets it be that short. Feedback (a PLI, a NACK) may go early only once per regular
/// interval (RFC 4585 3.5.2), else it waits for the next regular report. rtpsession's defaults
/// (5 s minimum, up to 7.5 s randomised; 5 % of an auto-detected RTP bandwidth, about 0.5 s
/// here) made a second keyframe request soon after a first wait that long (a recording,
/// which starts at a keyframe, held nothing but headers meanwhile, issue 31), and made the
/// NACKs the relay passes on to a sender (room_relay_forward.cpp) miss their deadline and be
/// dropped. 100 ms and up to 10 kB/s keep both prompt; RTCP stays about 1.5 kB/s a session.
constexpr guint64 kRtcpMinIntervalNs = 100'000'000;
constexpr double kRtcpBytesPerSecond = 50'000.0;

void configureInternalElement(GstElement* element) {
  GstElementFactory* factory = gst_element_get_factory(element);
  if (factory == nullptr) return;
  const std::string_view name = gst_plugin_feature_get_name(GST_PLUGIN_FEATURE(factory));
  if (name == "rtpsession")
    g_object_set(element, "rtcp-min-interval", kRtcpMinIntervalNs, "rtcp-fraction",
                 kRtcpBytesPerSecond, nullptr);
  if (name == "rtprtxsend") passRetransmissionRequestsOn(element);
  if (name == "srtpenc") g_object_set(element, "replay-window-size", kSrtpReplayWindow, nullptr);
}

/// webrtcbin creates its RTP sessions inside its rtpbin as the session comes up: each gets the
/// interval above. Its rtprtxsend comes inside a bin already holding it (the "aux sender").
void onElementAdded(GstBin*, GstBin*, GstElement* element, gpointer) {
  configureInternalElement(element);
  if (!GST_IS_BIN(element)) return;
  GstIterator* it = gst_bin_iterate_recurse(GST_BIN(element));
  GValue item = G_VALUE_INIT;
  while (gst_iterator_next(it, &item) == GST_ITERATOR_OK) {
    configureInternalElement(GST_ELEMENT(g_value_get_object(&item)));
    g_value_reset(&item);
  }
  g_value_unset(&item);
  gst_iterator_free(it);
}

Counter& sessionsStarted() {
  static Counter& c = Metrics::global().counter("vigil_video_sessions_started_total",
                                                "WebRTC sessions opened by the video relay");
  return c;
}

void onIceCandidate(GstElement* /*webrtc*/, guint mline, gchar* candidate, gpointer data) {
  auto* ref = static_cast<PeerRef*>(data);
  auto room = ref->room.lock();
  auto p = ref->peer.lock();
  if (!room || !p) return;
  Poco::JSON::Object msg;
  msg.set("type", "ice");
  msg.set("sdpMLineIndex", static_cast<int>(mline));
  msg.set("candidate", std::string(candidate != nullptr ? candidate : ""));
  room->send(*p, msg);
}

void onConnectionState(GObject* webrtc, GParamSpec* /*pspec*/, gpointer data) {
  auto* ref = static_cast<PeerRef*>(data);
  auto room = ref->room.lock();
  auto p = ref->peer.lock();
  if (!room || !p) return;
  GstWebRTCPeerConnectionState s = GST_WEBRTC_PEER_CONNECTION_STATE_NEW;
  g_object_get(webrtc, "connection-state", &s, nullptr);
  p->state = static_cast<int>(s);
  log::info("video.connection_state",
            {{"visit", room->visitId}, {"participant", p->id}, {"state", connectionStateName(s)}});
  if (s == GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED) {
    p->connected->store(true);  // DTLS is up: the branches into this session may carry media
    // The receiver can decode only from a keyframe: ask each of its senders for one, now and
    // twice more shortly after (Peer::keyframeRetries).
    std::weak_ptr<Peer> weak = p;
    std::weak_ptr<RoomRelay::Impl> weakRoom = room;
    room->post([weak, weakRoom] {
      auto peer = weak.lock();
      auto self = weakRoom.lock();
      if (!peer || !self) return;
      self->requestKeyframesFor(*peer);
      const auto now = std::chrono::steady_clock::now();
      peer->keyframeRetries = {now + std::chrono::seconds(1), now + std::chrono::seconds(3)};
    });
  }
  if (s == GST_WEBRTC_PEER_CONNECTION_STATE_FAILED) {
    const auto id = p->id;
    std::weak_ptr<Peer> weak = p;
    room->post([room, id, weak] {
      auto current = room->peer(id);
      if (current && current == weak.lock())
        room->doDisconnect(id, "connection failed (ICE/DTLS); rejoin to reconnect", true);
    });
  }
}

void onOfferReply(GstPromise* promise, gpointer data) {
  auto* ref = static_cast<PeerRef*>(data);
  auto room = ref->room.lock();
  auto p = ref->peer.lock();
  if (room && p) room->onOfferCreated(p, promise);
  gst_promise_unref(promise);
}

}  // namespace

namespace relay {

/// The caps a slot is offered with (its codec preferences) and sent with.
GstCaps* slotCaps(Kind kind, int slot, VideoCodec codec) {
  const int pt = payloadType(kind, slot);  // a screen is a video stream of its own
  if (kind == kAudio) {
    return gst_caps_new_simple("application/x-rtp", "media", G_TYPE_STRING, "audio",
                               "encoding-name", G_TYPE_STRING, "OPUS", "payload", G_TYPE_INT, pt,
                               "clock-rate", G_TYPE_INT, 48000, "encoding-params", G_TYPE_STRING,
                               "2", "minptime", G_TYPE_STRING, "10", "useinbandfec", G_TYPE_STRING,
                               "1", kTwccExtmap, G_TYPE_STRING, kTwccUri, nullptr);
  }
  if (codec == VideoCodec::h264) {
    return gst_caps_new_simple(
        "application/x-rtp", "media", G_TYPE_STRING, "video", "encoding-name", G_TYPE_STRING,
        "H264", "payload", G_TYPE_INT, pt, "clock-rate", G_TYPE_INT, 90000, "packetization-mode",
        G_TYPE_STRING, "1", "profile-level-id", G_TYPE_STRING, "42e01f", "level-asymmetry-allowed",
        G_TYPE_STRING, "1", "rtcp-fb-nack-pli", G_TYPE_BOOLEAN, TRUE, "rtcp-fb-ccm-fir",
        G_TYPE_BOOLEAN, TRUE, kTwccExtmap, G_TYPE_STRING, kTwccUri, nullptr);
  }
  return gst_caps_new_simple("application/x-rtp", "media", G_TYPE_STRING, "video", "encoding-name",
                             G_TYPE_STRING, "VP8", "payload", G_TYPE_INT, pt, "clock-rate",
                             G_TYPE_INT, 90000, "rtcp-fb-nack-pli", G_TYPE_BOOLEAN, TRUE,
                             "rtcp-fb-ccm-fir", G_TYPE_BOOLEAN, TRUE, kTwccExtmap, G_TYPE_STRING,
                             kTwccUri, nullptr);
}

std::string connectionStateName(GstWebRTCPeerConnectionState s) {
  switch (s) {
    case GST_WEBRTC_PEER_CONNECTION_STATE_NEW:
      return "new";
    case GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTING:
      return "connecting";
    case GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED:
      return "connected";
    case GST_WEBRTC_PEER_CONNECTION_STATE_DISCONNECTED:
      return "disconnected";
    case GST_WEBRTC_PEER_CONNECTION_STATE_FAILED:
      return "failed";
    case GST_WEBRTC_PEER_CONNECTION_STATE_CLOSED:
      return "closed";
  }
  return "unknown";
}

std::string toJson(const Poco::JSON::Object& o) {
  std::ostringstream out;
  o.stringify(out);
  return out.str();
}

}  // namespace relay

void RoomRelay::Impl::endUnconnected() {
  const auto now = std::chrono::steady_clock::now();
  std::vector<std::int64_t> late;
  {
    std::lock_guard lock(mu);
    for (auto& [id, p] : peers)
      if (!p->connected->load() && now - p->openedAt >= config.connectTimeout) late.push_back(id);
  }
  for (auto id : late) {
    log::warn(
        "video.connect_timeout",
        {{"visit", visitId}, {"participant", id}, {"timeout_ms", config.connectTimeout.count()}});
    doDisconnect(id, "the connection was not established in time (ICE/DTLS); rejoin to reconnect",
                 true);
  }
}

void RoomRelay::Impl::doConnect(std::int64_t id, std::uint64_t session) {
  if (peer(id)) doDisconnect(id, "replaced by a new session", false);
  auto p = std::make_shared<Peer>();
  p->id = id;
  p->session = session;
  p->openedAt = std::chrono::steady_clock::now();
  p->prefix = "p" + std::to_string(id) + "-";
  const int slots = config.maxParticipants - 1;
  p->slotOwner.assign(static_cast<std::size_t>(slots), 0);

  p->webrtc = makeElement("webrtcbin", p->prefix + "webrtc");
  g_signal_connect_data(p->webrtc, "deep-element-added",
                        reinterpret_cast<GCallback>(onElementAdded), nullptr, nullptr,
                        static_cast<GConnectFlags>(0));
  g_object_set(p->webrtc, "bundle-policy", GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE, "latency",
               static_cast<guint>(config.latency.count()), nullptr);
  if (config.latency.count() == 0) forwardWithoutJitterbuffer(p->webrtc);
  if (!config.stunServer.empty())
    g_object_set(p->webrtc, "stun-server", config.stunServer.c_str(), nullptr);
  if (!config.turnServer.empty())
    g_object_set(p->webrtc, "turn-server", config.turnServer.c_str(), nullptr);
  // libnice: no UPnP port mappings on the clinic's router; the firewall's UDP port range.
  GObject* ice = nullptr;
  g_object_get(p->webrtc, "ice-agent", &ice, nullptr);
  if (ice != nullptr) {
    if (config.portMin != 0)
      g_object_set(ice, "min-rtp-port", static_cast<guint>(config.portMin), "max-rtp-port",
                   static_cast<guint>(config.portMax), nullptr);
    GObject* agent = nullptr;
    g_object_get(ice, "agent", &agent, nullptr);
    if (agent != nullptr) {
      g_object_set(agent, "upnp", FALSE, nullptr);
      g_object_unref(agent);
    }
    g_object_unref(ice);
  }
  gst_bin_add(GST_BIN(pipeline), p->webrtc);

  for (int k = 0; k < static_cast<int>(kKinds); ++k) {
    p->tees[static_cast<std::size_t>(k)] =
        makeElement("tee", p->prefix + "tee-" + kKindNames[static_cast<std::size_t>(k)]);
    g_object_set(p->tees[static_cast<std::size_t>(k)], "allow-not-linked", TRUE, nullptr);
    gst_bin_add(GST_BIN(pipeline), p->tees[static_cast<std::size_t>(k)]);
  }

  // Slots in m-line order audio0, video0, audio1, video1, ...
  GstPadTemplate* templ =
      gst_element_class_get_pad_template(GST_ELEMENT_GET_CLASS(p->webrtc), "sink_%u");
  for (int s = 0; s < slots; ++s) {
    for (int k = 0; k < static_cast<int>(kKinds); ++k) {
      GstCaps* caps = slotCaps(static_cast<Kind>(k), s, config.videoCodec);
      GstPad* pad = gst_element_request_pad(p->webrtc, templ, nullptr, caps);
      if (pad == nullptr) {
        gst_caps_unref(caps);
        throw Error("video: webrtcbin refused a sink pad");
      }
      GstWebRTCRTPTransceiver* trans = nullptr;
      g_object_get(pad, "transceiver", &trans, nullptr);
      if (trans != nullptr) {
        // do-nack: generic NACK with RTX on every m-line (room_relay_forward.cpp).
        g_object_set(trans, "direction",
                     s == 0 ? GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDRECV
                            : GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY,
                     "codec-preferences", caps, "do-nack", TRUE, nullptr);
        gst_object_unref(trans);
      }
      gst_caps_unref(caps);
      p->sinks[static_cast<std::size_t>(k)].push_back(pad);
    }
  }

  auto self = shared_from_this();
  auto connect = [&](const char* signal, GCallback cb) {
    p->handlers.push_back(g_signal_connect_data(p->webrtc, signal, cb, new PeerRef{self, p},
                                                freePeerRef, static_cast<GConnectFlags>(0)));
  };
  connect("on-ice-candidate", reinterpret_cast<GCallback>(onIceCandidate));
  connect("pad-added", reinterpret_cast<GCallback>(onPadAdded));
  connect("notify::connection-state", reinterpret_cast<GCallback>(onConnectionState));

  {
    std::lock_guard lock(mu);
    peers[id] = p;
  }
  for (auto* t : p->tees) gst_element_sync_state_with_parent(t);
  gst_element_sync_state_with_parent(p->webrtc);

  // Bring everyone else's media to the newcomer and the newcomer's to everyone else.
  std::vector<std::shared_ptr<Peer>> others;
  {
    std::lock_guard lock(mu);
    for (auto& [otherId, other] : peers)
      if (otherId != id) others.push_back(other);
  }
  for (auto& other : others) {
    link(*other, *p);
    link(*p, *other);
  }

  GstPromise* promise =
      gst_promise_new_with_change_func(onOfferReply, new PeerRef{self, p}, freePeerRefNotify);
  g_signal_emit_by_name(p->webrtc, "create-offer", nullptr, promise);
  sessionsStarted().inc();
  log::info("video.session_opened", {{"visit", visitId}, {"participant", id}});
}

void RoomRelay::Impl::onOfferCreated(const std::shared_ptr<Peer>& p, GstPromise* promise) {
  if (gst_promise_wait(promise) != GST_PROMISE_RESULT_REPLIED) return;
  const GstStructure* reply = gst_promise_get_reply(promise);
  GstWebRTCSessionDescription* offer = nullptr;
  if (reply == nullptr ||
      !gst_structure_get(reply, "offer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &offer, nullptr) ||
      offer == nullptr) {
    const auto id = p->id;
    auto self = shared_from_this();
    post([self, id] { self->doDisconnect(id, "the relay could not create an offer", true); });
    return;
  }
  g_signal_emit_by_name(p->webrtc, "set-local-description", offer, nullptr);
  gchar* text = gst_sdp_message_as_text(offer->sdp);
  Poco::JSON::Object msg;
  msg.set("type", "offer");
  msg.set("sdp", std::string(text));
  g_free(text);
  gst_webrtc_session_description_free(offer);
  send(*p, msg);
}

void RoomRelay::Impl::doDisconnect(std::int64_t id, const std::string& reason, bool notify) {
  auto p = peer(id);
  if (!p) return;
  std::vector<std::shared_ptr<Peer>> others;
  {
    std::lock_guard lock(mu);
    peers.erase(id);
    if (notify) members.erase(id);  // ended by the relay itself (error, failure)
    for (auto& [otherId, other] : peers) others.push_back(other);
  }
  // Branches go before the webrtcbin: a branch still linked to a stopped webrtcbin would return
  // FLUSHING up the sender's tee and stop the sender's media for everyone. No branch thread is
  // held inside a webrtcbin here: branches carry buffers only into connected sessions.
  for (auto& other : others) {
    unlink(*p, *other);
    unlink(*other, *p);
  }
  doStopRecording(*p);
  for (auto h : p->handlers) g_signal_handler_disconnect(p->webrtc, h);
  p->handlers.clear();
  gst_element_set_state(p->webrtc, GST_STATE_NULL);
  for (auto& kindPads : p->sinks) {
    for (GstPad* pad : kindPads) {
      gst_element_release_request_pad(p->webrtc, pad);
      gst_object_unref(pad);
    }
    kindPads.clear();
  }
  for (auto* t : p->tees) {
    gst_element_set_state(t, GST_STATE_NULL);
    gst_bin_remove(GST_BIN(pipeline), t);
  }
  gst_bin_remove(GST_BIN(pipeline), p->webrtc);
  p->state = GST_WEBRTC_PEER_CONNECTION_STATE_CLOSED;
  log::info("video.session_closed", {{"visit", visitId}, {"participant", id}, {"reason", reason}});
  if (notify) {
    Poco::JSON::Object msg;
    msg.set("type", "error");
    msg.set("reason", reason);
    msg.set("ended", true);  // the session is gone (a bad message gets an error without it)
    send(*p, msg);
  }
}

void RoomRelay::handleSignal(std::int64_t participantId, std::uint64_t session,
                             std::string_view json) {
  Poco::JSON::Object::Ptr msg;
  try {
    Poco::JSON::Parser parser;
    msg = parser.parse(std::string(json)).extract<Poco::JSON::Object::Ptr>();
  } catch (const Poco::Exception&) {
    throw ValidationError("video signal: not a JSON object");
  }
  if (!msg) throw ValidationError("video signal: not a JSON object");
  const std::string type = msg->optValue<std::string>("type", "");
  auto impl = impl_;
  if (type == "answer") {
    const std::string sdp = msg->optValue<std::string>("sdp", "");
    GstSDPMessage* parsed = nullptr;
    gst_sdp_message_new(&parsed);
    if (gst_sdp_message_parse_buffer(reinterpret_cast<const guint8*>(sdp.data()),
                                     static_cast<guint>(sdp.size()), parsed) != GST_SDP_OK ||
        gst_sdp_message_medias_len(parsed) == 0) {
      gst_sdp_message_free(parsed);
      throw ValidationError("video signal: answer.sdp is not a session description");
    }
    impl_->post([impl, participantId, session, parsed] {
      auto p = impl->peer(participantId);
      auto* answer = gst_webrtc_session_description_new(GST_WEBRTC_SDP_TYPE_ANSWER, parsed);
      if (p && p->session == session)
        g_signal_emit_by_name(p->webrtc, "set-remote-description", answer, nullptr);
      gst_webrtc_session_description_free(answer);
    });
  } else if (type == "ice") {
    const std::string candidate = msg->optValue<std::string>("candidate", "");
    const int mline = msg->optValue<int>("sdpMLineIndex", -1);
    if (mline < 0 || mline > 64) throw ValidationError("video signal: ice.sdpMLineIndex");
    if (candidate.empty()) return;  // end of candidates
    impl_->post([impl, participantId, session, candidate, mline] {
      auto p = impl->peer(participantId);
      if (p && p->session == session)
        g_signal_emit_by_name(p->webrtc, "add-ice-candidate", static_cast<guint>(mline),
                              candidate.c_str());
    });
  } else {
    throw ValidationError("video signal: unknown type");
  }
}

}  // namespace vigil::video
