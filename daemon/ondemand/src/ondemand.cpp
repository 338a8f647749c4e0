// The on-demand queue's service: duty, requests, matching in the store, start, cancel, and the
// events that tell pages to reload. The rule and the trade-offs are in ondemand.hpp.
#include "vigil/ondemand/ondemand.hpp"

#include <set>

#include "vigil/core/log.hpp"
#include "vigil/core/time.hpp"
#include "vigil/events/event_bus.hpp"
#include "vigil/licensing/licenses.hpp"
#include "vigil/patients/consent.hpp"
#include "vigil/security/access_guard.hpp"
#include "vigil/security/account_lookup.hpp"
#include "vigil/security/audit_log.hpp"
#include "vigil/store/database.hpp"
#include "vigil/video/visit.hpp"

namespace vigil::ondemand {
namespace {

using core::fromMillis;
using core::toMillis;
using security::Actor;
using security::operation;
using security::Role;
using store::Connection;

constexpr auto kCurrentFor = std::chrono::hours(12);

constexpr const char* kSelect =
    "SELECT id, patient_id, reason, patient_state, requested_at, state, provider_user_id, "
    "assigned_at, visit_id FROM ondemand_requests ";

Request rowOf(store::Statement& st) {
  Request r;
  r.id = st.get<std::int64_t>(0);
  r.patientId = st.get<std::int64_t>(1);
  r.reason = parseReason(st.get<std::string>(2)).value_or(Reason::other);
  r.patientState = st.get<std::string>(3);
  r.requestedAt = fromMillis(st.get<std::int64_t>(4));
  r.state = parseRequestState(st.get<std::string>(5)).value_or(RequestState::cancelled);
  r.providerUserId = st.get<std::optional<std::int64_t>>(6);
  if (auto at = st.get<std::optional<std::int64_t>>(7)) r.assignedAt = fromMillis(*at);
  r.visitId = st.get<std::optional<std::int64_t>>(8);
  return r;
}

template <class... Args>
std::vector<Request> requestsIn(Connection& c, const std::string& where, Args&&... args) {
  auto st = c.prepare(kSelect + where);
  st.bindAll(std::forward<Args>(args)...);
  std::vector<Request> out;
  while (st.step()) out.push_back(rowOf(st));
  return out;
}

std::optional<Request> requestIn(Connection& c, std::int64_t id) {
  auto rows = requestsIn(c, "WHERE id = ?1", id);
  if (rows.empty()) return std::nullopt;
  return rows.front();
}

/// The waiting requests of a provider's queue (or, nullopt, the pool), oldest first, with
/// positions (and waits, in a provider's queue).
std::vector<Request> queueIn(Connection& c, std::optional<std::int64_t> provider,
                             std::chrono::minutes average) {
  auto rows = provider ? requestsIn(c,
                                    "WHERE state = 'waiting' AND provider_user_id = ?1 "
                                    "ORDER BY requested_at, id",
                                    *provider)
                       : requestsIn(c,
                                    "WHERE state = 'waiting' AND provider_user_id IS NULL "
                                    "ORDER BY requested_at, id");
  for (std::size_t i = 0; i < rows.size(); ++i) {
    rows[i].position = static_cast<int>(i) + 1;
    if (provider) rows[i].estimatedWait = estimatedWait(rows[i].position, average);
  }
  return rows;
}

/// Fills a request's place in its queue (waiting only).
void placeIn(Connection& c, Request& r, std::chrono::minutes average) {
  if (r.state != RequestState::waiting) return;
  for (const auto& q : queueIn(c, r.providerUserId, average))
    if (q.id == r.id) {
      r.position = q.position;
      r.estimatedWait = q.estimatedWait;
    }
}

bool onDutyIn(Connection& c, std::int64_t provider) {
  return c.queryValue<std::int64_t>("SELECT on_duty FROM ondemand_duty WHERE provider_user_id = ?1",
                                    provider)
             .value_or(0) == 1;
}

int queueLengthIn(Connection& c, std::int64_t provider) {
  return static_cast<int>(
      c.queryValue<std::int64_t>("SELECT count(*) FROM ondemand_requests WHERE state = 'waiting' "
                                 "AND provider_user_id = ?1",
                                 provider)
          .value_or(0));
}

bool eligibleIn(Connection& c, std::int64_t provider, const Request& r, TimePoint now) {
  return licensing::LicenseService::eligibilityForVisitIn(c, provider, r.patientId, r.patientState,
                                                          now)
      .eligible;
}

/// The providers on duty (active provider accounts) who may see the request's patient now.
std::vector<Candidate> candidatesIn(Connection& c, const Request& r, TimePoint now) {
  std::vector<Candidate> onDuty;
  {
    auto st = c.prepare(
        "SELECT provider_user_id, idle_since FROM ondemand_duty WHERE on_duty = 1 "
        "ORDER BY provider_user_id");
    while (st.step())
      onDuty.push_back({st.get<std::int64_t>(0), 0, fromMillis(st.get<std::int64_t>(1))});
  }
  std::vector<Candidate> out;
  for (auto& cand : onDuty) {
    auto account = security::activeAccountIn(c, cand.providerUserId);
    if (!account || account->role != Role::provider) continue;
    if (!eligibleIn(c, cand.providerUserId, r, now)) continue;
    cand.queueLength = queueLengthIn(c, cand.providerUserId);
    out.push_back(cand);
  }
  return out;
}

/// What a write job changed, for the events published after it commits.
struct Changes {
  std::vector<events::OnDemandChanged> direct;   // requests that moved, started or cancelled
  std::set<std::optional<std::int64_t>> queues;  // queues whose positions changed (nullopt: pool)

  void clear() {
    direct.clear();
    queues.clear();
  }
};

/// Moves a waiting request by the matching rule (to the provider it names, or the pool) and
/// audits the move (ondemand.assign, `why`). Nothing when it stays where it is.
void matchIn(Connection& c, security::AuditLog& audit, const Actor& actor, const Request& r,
             TimePoint now, std::string_view why, Changes& changes) {
  const auto chosen = choose(candidatesIn(c, r, now));
  if (chosen == r.providerUserId) return;
  c.execute(
      "UPDATE ondemand_requests SET provider_user_id = ?2, assigned_at = ?3 "
      "WHERE id = ?1 AND state = 'waiting'",
      r.id, chosen, chosen ? std::optional<std::int64_t>(toMillis(now)) : std::nullopt);
  audit.append(
      c, security::auditEventFor(actor, "ondemand.assign", "ondemand_request", std::to_string(r.id),
                                 r.patientId, security::AuditOutcome::success,
                                 std::string(why) + (chosen ? "" : "_to_pool")));
  changes.queues.insert(r.providerUserId);
  changes.queues.insert(chosen);
  changes.direct.push_back({r.patientId, r.id, chosen, r.providerUserId, "waiting"});
}

}  // namespace

OnDemandService::OnDemandService(store::Database& db, security::AuditLog& audit, Clock& clock,
                                 events::EventBus* bus, Policy policy)
    : db_(db), audit_(audit), clock_(clock), bus_(bus), policy_(policy) {}

namespace {

/// Publishes a committed job's changes: the requests that moved, then every waiting request of
/// the queues touched (their positions and waits changed).
void publish(events::EventBus* bus, store::Database& db, const Changes& changes) {
  if (bus == nullptr) return;
  std::set<std::int64_t> sent;
  for (const auto& e : changes.direct) {
    bus->publish(e);
    sent.insert(e.requestId);
  }
  auto waiting = db.read([&](Connection& c) {
    std::vector<Request> out;
    for (const auto& q : changes.queues) {
      auto rows = queueIn(c, q, std::chrono::minutes(0));
      out.insert(out.end(), rows.begin(), rows.end());
    }
    return out;
  });
  for (const auto& r : waiting)
    if (!sent.count(r.id))
      bus->publish(
          events::OnDemandChanged{r.patientId, r.id, r.providerUserId, std::nullopt, "waiting"});
}

}  // namespace

Duty OnDemandService::setDuty(const Actor& actor, bool onDuty) {
  const auto now = clock_.now();
  Changes changes;
  security::AccessGuard guard(db_, audit_);
  auto result = guard.write(
      actor, operation("ondemand.duty"), std::nullopt, {"provider", std::to_string(actor.id)},
      [&](Connection& c) {
        changes.clear();
        const bool was = onDutyIn(c, actor.id);
        if (was != onDuty) {
          c.execute(
              "INSERT INTO ondemand_duty (provider_user_id, on_duty, changed_at, idle_since) "
              "VALUES (?1, ?2, ?3, ?3) ON CONFLICT (provider_user_id) DO UPDATE SET "
              "on_duty = ?2, changed_at = ?3, idle_since = CASE WHEN ?2 = 1 THEN ?3 "
              "ELSE ondemand_duty.idle_since END",
              actor.id, onDuty ? 1 : 0, toMillis(now));
          if (onDuty) {
            // The pool, oldest first: each to whoever the rule picks now (this provider when
            // they are the only eligible one on duty).
            for (const auto& r : queueIn(c, std::nullopt, policy_.averageVisit))
              matchIn(c, audit_, actor, r, now, "from_pool", changes);
          } else {
            // The handover, oldest first, so each keeps its place in time where it lands.
            for (const auto& r : queueIn(c, actor.id, policy_.averageVisit))
              matchIn(c, audit_, actor, r, now, "handover", changes);
          }
        }
        Duty d{actor.id, onDuty, now, queueLengthIn(c, actor.id)};
        if (!was && !onDuty) d.changedAt.reset();
        return d;
      });
  log::info("ondemand.duty", {{"provider", actor.id},
                              {"on_duty", onDuty},
                              {"moved", static_cast<std::int64_t>(changes.direct.size())}});
  publish(bus_, db_, changes);
  return result;
}

Duty OnDemandService::duty(const Actor& actor) const {
  security::AccessGuard guard(db_, audit_);
  return guard.read(
      actor, operation("ondemand.queue"), std::nullopt, {"provider", std::to_string(actor.id)},
      [&](Connection& c) {
        Duty d{actor.id, onDutyIn(c, actor.id), std::nullopt, queueLengthIn(c, actor.id)};
        if (auto at = c.queryValue<std::int64_t>(
                "SELECT changed_at FROM ondemand_duty WHERE provider_user_id = ?1", actor.id))
          d.changedAt = fromMillis(*at);
        return d;
      });
}

std::vector<Request> OnDemandService::queue(const Actor& actor) const {
  security::AccessGuard guard(db_, audit_);
  return guard.read(actor, operation("ondemand.queue"), std::nullopt,
                    {"provider", std::to_string(actor.id)},
                    [&](Connection& c) { return queueIn(c, actor.id, policy_.averageVisit); });
}

std::int64_t OnDemandService::start(const Actor& actor, std::int64_t requestId) {
  const auto now = clock_.now();
  auto found = db_.read([&](Connection& c) { return requestIn(c, requestId); });
  if (!found) throw NotFound("on-demand request not found");
  Changes changes;
  security::AccessGuard guard(db_, audit_);
  const auto visitId = guard.write(
      actor, operation("ondemand.start"), found->patientId,
      {"ondemand_request", std::to_string(requestId)}, [&](Connection& c) {
        changes.clear();
        if (!onDutyIn(c, actor.id)) throw NotOnDuty("not_on_duty: go on duty to start visits");
        auto r = requestIn(c, requestId);
        if (!r || r->state != RequestState::waiting)
          throw NotWaiting("not_waiting: the request was started or cancelled");
        auto e = licensing::LicenseService::eligibilityForVisitIn(c, actor.id, r->patientId,
                                                                  r->patientState, now);
        if (!e.eligible) throw NotLicensed(e.reason);
        // The provider treats the patient: the record opens to them as a visit's provider.
        if (!security::SqliteCareTeam(c).isAssigned(actor.id, r->patientId)) {
          security::SqliteCareTeam::assignIn(c, actor.id, r->patientId, actor.id, now);
          audit_.append(c, security::auditEventFor(
                               actor, "care_team.assign", "patient", std::to_string(r->patientId),
                               r->patientId, security::AuditOutcome::success, "ondemand_start"));
        }
        const auto visit = video::VisitService::scheduleIn(
            c, actor, {r->patientId, actor.id, 0, now, now + policy_.visitWindow}, now);
        video::VisitService::recordLocationIn(c, visit, r->patientState, now);
        // The conditional update is what makes one start win (the loser's job rolls back).
        if (c.execute("UPDATE ondemand_requests SET state = 'started', visit_id = ?2, "
                      "closed_by = ?3, closed_at = ?4 WHERE id = ?1 AND state = 'waiting'",
                      requestId, visit, actor.id, toMillis(now)) != 1)
          throw NotWaiting("not_waiting: the request was started or cancelled");
        c.execute("UPDATE ondemand_duty SET idle_since = ?2 WHERE provider_user_id = ?1", actor.id,
                  toMillis(now));
        changes.queues.insert(r->providerUserId);
        changes.direct.push_back({r->patientId, requestId, actor.id, r->providerUserId, "started"});
        return visit;
      });
  publish(bus_, db_, changes);
  return visitId;
}

Request OnDemandService::request(const Actor& actor, std::int64_t patientId, Reason reason,
                                 std::string_view patientState) {
  if (!licensing::isStateCode(patientState))
    throw ValidationError("state: a two-letter US state code");
  const auto now = clock_.now();
  Changes changes;
  security::AccessGuard guard(db_, audit_);
  auto out = guard.write(
      actor, operation("ondemand.request"), patientId, {"ondemand_request", ""},
      [&](Connection& c) {
        changes.clear();
        if (!patients::ConsentService::hasActiveConsentIn(c, patientId,
                                                          patients::ConsentKind::telehealth))
          throw ConsentRequired("consent_required: sign the telehealth consent first");
        try {
          c.execute(
              "INSERT INTO ondemand_requests (patient_id, reason, patient_state, requested_by, "
              "requested_at) VALUES (?1, ?2, ?3, ?4, ?5)",
              patientId, toString(reason), patientState, actor.id, toMillis(now));
        } catch (const store::DbError& e) {
          if (!e.isConstraint()) throw;
          throw RequestOpen("request_open: the patient already waits to be seen");
        }
        auto r = *requestIn(c, c.lastInsertRowid());
        changes.queues.insert(std::nullopt);
        matchIn(c, audit_, actor, r, now, "matched", changes);
        r = *requestIn(c, r.id);
        placeIn(c, r, policy_.averageVisit);
        if (changes.direct.empty())  // stayed in the pool
          changes.direct.push_back({patientId, r.id, std::nullopt, std::nullopt, "waiting"});
        return r;
      });
  publish(bus_, db_, changes);
  return out;
}

std::optional<Request> OnDemandService::current(const Actor& actor, std::int64_t patientId) const {
  const auto since = clock_.now() - kCurrentFor;
  security::AccessGuard guard(db_, audit_);
  return guard.read(actor, operation("ondemand.status"), patientId, {"ondemand_request", ""},
                    [&](Connection& c) -> std::optional<Request> {
                      auto rows = requestsIn(c,
                                             "WHERE patient_id = ?1 AND requested_at >= ?2 "
                                             "ORDER BY requested_at DESC, id DESC LIMIT 1",
                                             patientId, toMillis(since));
                      if (rows.empty()) return std::nullopt;
                      placeIn(c, rows.front(), policy_.averageVisit);
                      return rows.front();
                    });
}

void OnDemandService::cancel(const Actor& actor, std::int64_t requestId) {
  const auto now = clock_.now();
  auto found = db_.read([&](Connection& c) { return requestIn(c, requestId); });
  if (!found) throw NotFound("on-demand request not found");
  Changes changes;
  security::AccessGuard guard(db_, audit_);
  guard.write(actor, operation("ondemand.cancel"), found->patientId,
              {"ondemand_request", std::to_string(requestId)}, [&](Connection& c) {
                changes.clear();
                const auto r = requestIn(c, requestId);
                if (c.execute("UPDATE ondemand_requests SET state = 'cancelled', closed_by = ?2, "
                              "closed_at = ?3 WHERE id = ?1 AND state = 'waiting'",
                              requestId, actor.id, toMillis(now)) != 1)
                  throw NotWaiting("not_waiting: the request was started or cancelled");
                changes.queues.insert(r->providerUserId);
                changes.direct.push_back(
                    {r->patientId, requestId, std::nullopt, r->providerUserId, "cancelled"});
              });
  publish(bus_, db_, changes);
}

}  // namespace vigil::ondemand
