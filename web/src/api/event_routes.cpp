// GET /api/v1/events: the live stream (WebSocket). One subscriber per connection on the event
// bus, filtered on the publishing thread to the patients the user may see (fixed at connect:
// care-team changes apply on the next connection) and the alerts routed to the user by
// escalation (issue 17), and the on-demand requests in the user's queue (issue 22). Events
// carry ids and words only; the
// portal fetches details through the audited REST routes. A subscriber the bus drops as too
// slow is closed with 4000 (resync); a session that ends (sign-out, revocation, expiry) with
// 4001. Reading the stream does not count as activity for the idle timeout.

#include <Poco/JSON/Object.h>

#include <atomic>
#include <chrono>
#include <set>
#include <sstream>

#include "common.hpp"
#include "vigil/core/metrics.hpp"
#include "vigil/events/event_bus.hpp"
#include "vigil/security/accounts.hpp"

namespace vigil::web::api {
namespace {

using namespace std::chrono_literals;

std::int64_t patientOf(const events::Event& e) {
  return std::visit([](const auto& v) { return v.patientId; }, e);
}

/// True if the alert event is routed to `user` by escalation, or was until this change (so that
/// their queue drops it).
bool routedTo(const events::Event& e, std::int64_t user) {
  if (const auto* raised = std::get_if<events::AlertRaised>(&e)) return raised->assignee == user;
  if (const auto* changed = std::get_if<events::AlertChanged>(&e))
    return changed->assignee == user || changed->previousAssignee == user;
  // An on-demand request in the provider's queue, or one that just left it (issue 22).
  if (const auto* od = std::get_if<events::OnDemandChanged>(&e))
    return od->providerUserId == user || od->previousProviderUserId == user;
  return false;
}

std::string eventJson(const events::Envelope& env) {
  auto o = object();
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, events::ReadingStored>) {
          o->set("type", "reading.stored");
          o->set("sequence", static_cast<std::int64_t>(env.sequence));
          o->set("patientId", v.patientId);
          o->set("readingId", v.readingId);
          o->set("code", v.code);
        } else if constexpr (std::is_same_v<T, events::AlertRaised>) {
          o->set("type", "alert.raised");
          o->set("sequence", static_cast<std::int64_t>(env.sequence));
          o->set("alertId", v.alertId);
          o->set("patientId", v.patientId);
          o->set("ruleKey", v.ruleKey);
          o->set("severity", v.severity);
          o->set("assignee", v.assignee ? Poco::Dynamic::Var(*v.assignee) : Poco::Dynamic::Var());
        } else if constexpr (std::is_same_v<T, events::WorkChanged>) {
          o->set("type", "work.changed");
          o->set("sequence", static_cast<std::int64_t>(env.sequence));
          o->set("patientId", v.patientId);
          o->set("area", v.area);
        } else if constexpr (std::is_same_v<T, events::OnDemandChanged>) {
          o->set("type", "ondemand.changed");
          o->set("sequence", static_cast<std::int64_t>(env.sequence));
          o->set("requestId", v.requestId);
          o->set("patientId", v.patientId);
          o->set("providerUserId",
                 v.providerUserId ? Poco::Dynamic::Var(*v.providerUserId) : Poco::Dynamic::Var());
          o->set("state", v.state);
        } else {
          o->set("type", "alert.changed");
          o->set("sequence", static_cast<std::int64_t>(env.sequence));
          o->set("alertId", v.alertId);
          o->set("patientId", v.patientId);
          o->set("ruleKey", v.ruleKey);
          o->set("change", v.change);
          o->set("state", v.state);
          o->set("severity", v.severity);
          o->set("count", v.count);
          o->set("assignee", v.assignee ? Poco::Dynamic::Var(*v.assignee) : Poco::Dynamic::Var());
          o->set("escalationLevel", v.escalationLevel);
        }
      },
      env.event);
  std::ostringstream out;
  o->stringify(out);
  return out.str();
}

bool sessionStillActive(const ApiServices& s, std::int64_t userId, std::int64_t sessionId) {
  for (const auto& info : s.accounts->listSessions(userId))
    if (info.sessionId == sessionId) return true;
  return false;
}

}  // namespace

void addEventRoutes(Router& r, const ApiServices& s) {
  Route route{"GET", "/api/v1/events", Access::authenticated, kOwnSession,
              [](Request&) { return Response::error(426, "upgrade_required", "WebSocket only"); }};
  route.upgrade = [&s](Request& req, WebSocketChannel& ws) {
    auto info = s.accounts->authenticate(req.sessionToken, security::AccountService::Touch::none);
    auto visible = visiblePatients(s, *req.actor);
    // The stream is clinical (readings stored, alerts with their rule and severity): a role that
    // reads neither readings nor alerts (the front desk, issue 21) gets none of it.
    if (!security::roleHas(req.actor->role, security::Permission::readingRead) &&
        !security::roleHas(req.actor->role, security::Permission::alertRead))
      visible = std::vector<std::int64_t>{};
    std::shared_ptr<const std::set<std::int64_t>> allowed;
    if (visible)
      allowed = std::make_shared<const std::set<std::int64_t>>(visible->begin(), visible->end());
    // An alert routed to this user by escalation reaches them even outside their care team.
    const auto me = req.actor->id;
    auto sub = s.events->subscribe("websocket", 256, [allowed, me](const events::Event& e) {
      return !allowed || allowed->count(patientOf(e)) > 0 || routedTo(e, me);
    });
    static std::atomic<int> openStreams{0};
    auto& gauge = Metrics::global().gauge("vigil_api_event_streams", "Open live event streams");
    gauge.set(++openStreams);
    struct Done {
      const ApiServices& s;
      std::shared_ptr<events::Subscription> sub;
      Gauge& gauge;
      ~Done() {
        s.events->unsubscribe(sub);
        gauge.set(--openStreams);
      }
    } done{s, sub, gauge};

    auto hello = object();
    hello->set("type", "hello");
    std::ostringstream h;
    hello->stringify(h);
    if (!ws.sendText(h.str())) return;
    auto lastPing = std::chrono::steady_clock::now();
    auto lastCheck = lastPing;
    for (;;) {
      auto env = sub->next(200ms);
      if (env) {
        if (!ws.sendText(eventJson(*env))) return;
        while (auto more = sub->tryNext())
          if (!ws.sendText(eventJson(*more))) return;
      } else if (sub->closed()) {
        ws.close(4000, "resync");
        return;
      }
      auto incoming = ws.receive(0ms);
      if (!incoming) return;  // the client went away
      auto now = std::chrono::steady_clock::now();
      if (now - lastPing >= 25s) {
        lastPing = now;
        if (!ws.sendText("{\"type\":\"ping\"}")) return;
      }
      if (now - lastCheck >= 15s) {
        lastCheck = now;
        if (!sessionStillActive(s, info.actor.id, info.sessionId)) {
          ws.close(4001, "session_ended");
          return;
        }
      }
    }
  };
  r.add(std::move(route));
}

}  // namespace vigil::web::api
