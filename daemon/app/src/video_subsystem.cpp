#include "video_subsystem.hpp"

#include "security_subsystem.hpp"
#include "store_subsystem.hpp"
#include "vigil/core/clock.hpp"
#include "vigil/core/log.hpp"
#include "vigil/licensing/licenses.hpp"
#include "vigil/security/keys.hpp"
#include "vigil/video/recording.hpp"

namespace vigil::app {

void VideoSubsystem::initialize(Poco::Util::Application&) {
  video::VisitPolicy policy;
  policy.joinEarly = std::chrono::minutes{config_.integer("video.join_early_minutes")};
  policy.joinLate = std::chrono::minutes{config_.integer("video.join_late_minutes")};
  visits_ = std::make_unique<video::VisitService>(store_.database(), security_.audit(),
                                                  SystemClock::instance(), policy,
                                                  &security_.keys().cipher());
  // Issue 22: the visit's provider starts or joins only with an active license for the state
  // the patient is in on the date of service (checked again at the patient's check-in).
  visits_->setJoinCheck([](store::Connection& c, const video::Visit& v,
                           const security::Actor&) -> std::optional<std::string> {
    auto e = licensing::LicenseService::eligibilityForVisitIn(c, v.providerUserId, v.patientId,
                                                              v.patientState, v.startsAt);
    if (e.eligible) return std::nullopt;
    return e.reason;
  });
  video::RelayConfig relay;
  relay.stunServer = config_.string("video.stun_server");
  relay.turnServer = config_.string("video.turn_server");
  relay.videoCodec = video::parseVideoCodec(config_.string("video.codec"));
  relay.maxParticipants = static_cast<int>(config_.integer("video.max_participants"));
  relay.portMin = static_cast<std::uint16_t>(config_.integer("video.udp_port_min"));
  relay.portMax = static_cast<std::uint16_t>(config_.integer("video.udp_port_max"));
  relay.latency = std::chrono::milliseconds{config_.integer("video.latency_ms")};
  relay.statsInterval = std::chrono::seconds{config_.integer("video.stats_interval_seconds")};
  relay.connectTimeout = std::chrono::seconds{config_.integer("video.connect_timeout_seconds")};
  video::purgeRecordings(
      std::filesystem::path(config_.string("data.dir")) / "recordings",
      std::filesystem::file_time_type::clock::now() -
          std::chrono::hours{24 * config_.integer("video.recording_retention_days")});
  rooms_ = std::make_unique<video::VideoRooms>(
      relay, [visits = visits_.get()](std::int64_t visitId, std::int64_t userId,
                                      const video::CallQuality& q) {
        visits->recordQuality(visitId, userId, q.rttMs, q.jitterMs, q.lossPct, q.kbpsIn);
      });
  if (clustered(config_)) {
    // Several nodes: a visit's room lives on one node (docs/scale-out.md "Video rooms").
    const auto& node = config_.string("cluster.node_id");
    presence_ = std::make_unique<store::PgPresence>(config_.string("store.conninfo"), node);
    pins_ = std::make_unique<video::RoomPins>(
        store_.database(), node,
        [p = presence_.get()](const std::string& other) { return p->present(other); },
        SystemClock::instance());
    // Takes this node's presence lock again after its session was lost (a cut, a database
    // failover): the other nodes take over the rooms of a node that is not present.
    presenceRefresh_ = std::make_unique<PeriodicTask>("video_presence", std::chrono::seconds(2),
                                                      [p = presence_.get()] {
                                                        if (!p->refresh())
                                                          log::warn("video.presence_lost");
                                                      });
  }
  log::info("video.ready", {{"codec", config_.string("video.codec")},
                            {"stun", !relay.stunServer.empty()},
                            {"turn", !relay.turnServer.empty()}});
}

void VideoSubsystem::uninitialize() {
  presenceRefresh_.reset();
  pins_.reset();
  presence_.reset();
  rooms_.reset();
  visits_.reset();
}

web::VisitApi VideoSubsystem::api() {
  web::VisitApi a;
  a.visits = visits_.get();
  a.rooms = rooms_.get();
  a.accounts = &security_.accounts();
  a.clock = &SystemClock::instance();
  a.recordingsDir = std::filesystem::path(config_.string("data.dir")) / "recordings";
  a.cipher = &security_.keys().cipher();
  if (pins_) a.nodeId = pins_->nodeId();
  return a;
}

std::function<std::optional<std::string>(std::int64_t)> VideoSubsystem::roomElsewhere() {
  if (!pins_) return {};
  return [pins = pins_.get()](std::int64_t visitId) -> std::optional<std::string> {
    auto node = pins->roomNode(visitId);
    if (node == pins->nodeId()) return std::nullopt;
    return node;
  };
}

}  // namespace vigil::app
