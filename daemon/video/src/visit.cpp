#include "vigil/video/visit.hpp"

#include <algorithm>
#include <charconv>
#include <string>

#include "vigil/core/error.hpp"
#include "vigil/core/log.hpp"
#include "vigil/crypto/field_cipher.hpp"
#include "vigil/patients/consent.hpp"
#include "vigil/security/access_guard.hpp"
#include "vigil/security/account_lookup.hpp"
#include "vigil/security/audit_log.hpp"
#include "vigil/store/database.hpp"
#include "visit_rules.hpp"

namespace vigil::video {

using namespace detail;  // the rules shared with visit_chat.cpp (visit_rules.hpp)

namespace {

using security::Actor;
using security::AuditOutcome;
using security::Role;

VisitState parseState(std::string_view s) {
  if (s == "in_progress") return VisitState::inProgress;
  if (s == "ended") return VisitState::ended;
  if (s == "cancelled") return VisitState::cancelled;
  return VisitState::scheduled;
}

std::string_view storedState(VisitState s) {
  switch (s) {
    case VisitState::scheduled:
      return "scheduled";
    case VisitState::inProgress:
      return "in_progress";
    case VisitState::ended:
      return "ended";
    case VisitState::cancelled:
      return "cancelled";
  }
  return "scheduled";
}

/// Whether an account may be invited into a visit: active, and a patient, provider or nurse
/// (never an admin).
bool mayBeInvited(const std::optional<security::ActiveAccount>& account) {
  return account && (account->role == Role::patient || account->role == Role::provider ||
                     account->role == Role::nurse);
}

}  // namespace

namespace detail {

std::optional<Visit> requireVisitIn(store::Connection& c, std::int64_t visitId) {
  auto v = VisitService::findIn(c, visitId);
  if (!v) throw NotFound("visit " + std::to_string(visitId) + " not found");
  return v;
}

void refuse(std::string_view action, const std::string& reason) {
  throw AccessDenied(std::string(action) + " refused: " + reason);
}

security::AuditEvent decisionEvent(const Actor& actor, std::string_view action,
                                   std::string_view objectType, const std::string& objectId,
                                   std::int64_t patientId, const Decision& d,
                                   std::string_view allowedReason) {
  return security::auditEventFor(actor, action, objectType, objectId, patientId,
                                 d.allowed ? AuditOutcome::success : AuditOutcome::denied,
                                 d.allowed ? allowedReason : std::string_view(d.reason));
}

bool inRoom(const Visit& v, const Actor& actor, TimePoint now, const VisitPolicy& policy) {
  if (v.state != VisitState::inProgress) return false;
  if (!security::roleHas(actor.role, security::Permission::visitJoin)) return false;
  const Participant* p = v.participant(actor.id);
  if (p == nullptr || !p->admittedAt) return false;
  return now >= v.startsAt - policy.joinEarly && now <= v.endsAt + policy.joinLate;
}

}  // namespace detail

std::string_view toString(ParticipantRole role) {
  switch (role) {
    case ParticipantRole::provider:
      return "provider";
    case ParticipantRole::patient:
      return "patient";
    case ParticipantRole::caregiver:
      return "caregiver";
    case ParticipantRole::interpreter:
      return "interpreter";
  }
  return "patient";
}

std::optional<ParticipantRole> parseParticipantRole(std::string_view name) {
  for (auto r : {ParticipantRole::provider, ParticipantRole::patient, ParticipantRole::caregiver,
                 ParticipantRole::interpreter})
    if (toString(r) == name) return r;
  return std::nullopt;
}

std::string_view toString(VisitState state) {
  return storedState(state);
}

std::string_view toString(JoinStatus status) {
  return status == JoinStatus::admitted ? "admitted" : "waiting";
}

const Participant* Visit::participant(std::int64_t userId) const {
  for (const auto& p : participants)
    if (p.userId == userId) return &p;
  return nullptr;
}

VisitService::VisitService(store::Database& db, security::AuditLog& audit, Clock& clock,
                           VisitPolicy policy, const crypto::FieldCipher* cipher)
    : db_(db), audit_(audit), clock_(clock), policy_(policy), cipher_(cipher) {}

bool VisitService::isVisitOfIn(store::Connection& c, std::string_view ref, std::int64_t patientId) {
  std::int64_t id = 0;
  auto [end, ec] = std::from_chars(ref.data(), ref.data() + ref.size(), id);
  if (ec != std::errc() || end != ref.data() + ref.size() || id <= 0) return false;
  auto v = findIn(c, id);
  return v && v->patientId == patientId;
}

std::optional<Visit> VisitService::findIn(store::Connection& c, std::int64_t visitId) {
  auto st = c.prepare(
      "SELECT id, patient_id, provider_user_id, starts_at, ends_at, state, ended_at, "
      "patient_state, checked_in_at FROM visits WHERE id = ?1");
  st.bind(1, visitId);
  if (!st.step()) return std::nullopt;
  Visit v;
  v.id = st.getInt64(0);
  v.patientId = st.getInt64(1);
  v.providerUserId = st.getInt64(2);
  v.startsAt = fromMillis(st.getInt64(3));
  v.endsAt = fromMillis(st.getInt64(4));
  v.state = parseState(st.getText(5));
  v.endedAt = fromMillis(st.get<std::optional<std::int64_t>>(6));
  v.patientState = st.get<std::optional<std::string>>(7);
  v.checkedInAt = fromMillis(st.get<std::optional<std::int64_t>>(8));
  auto ps = c.prepare(
      "SELECT user_id, role, admitted_at, waiting_since, recording_consent_at FROM "
      "visit_participants "
      "WHERE visit_id = ?1 ORDER BY invited_at, user_id");
  ps.bind(1, visitId);
  while (ps.step()) {
    Participant p;
    p.userId = ps.getInt64(0);
    p.role = parseParticipantRole(ps.getText(1)).value_or(ParticipantRole::patient);
    p.admittedAt = fromMillis(ps.get<std::optional<std::int64_t>>(2));
    p.waitingSince = fromMillis(ps.get<std::optional<std::int64_t>>(3));
    p.recordingConsentAt = fromMillis(ps.get<std::optional<std::int64_t>>(4));
    v.participants.push_back(p);
  }
  return v;
}

std::int64_t VisitService::schedule(const Actor& actor, const NewVisit& nv) {
  checkWindow(nv);
  security::AccessGuard guard(db_, audit_);
  return guard.write(actor, security::operation("visit.schedule"), nv.patientId, {"visit", ""},
                     [&](store::Connection& c) { return scheduleIn(c, actor, nv, clock_.now()); });
}

void VisitService::checkWindow(const NewVisit& nv) {
  if (nv.endsAt <= nv.startsAt) throw ValidationError("visit: ends_at must be after starts_at");
  if (nv.endsAt - nv.startsAt > std::chrono::hours{8})
    throw ValidationError("visit: a visit lasts at most 8 hours");
}

std::int64_t VisitService::scheduleIn(store::Connection& c, const Actor& actor, const NewVisit& nv,
                                      TimePoint nowTime) {
  checkWindow(nv);
  const auto now = toMillis(nowTime);
  const auto provider = security::activeAccountIn(c, nv.providerUserId);
  if (!provider || (provider->role != Role::provider && provider->role != Role::nurse))
    throw ValidationError("visit: provider_user_id is not an active provider or nurse");
  // The visit opens the patient's record to its provider: only someone on the patient's
  // care team, or holding emergency access to the patient (break-glass, audited), may be
  // named, whoever schedules it.
  if (!security::SqliteCareTeam(c).isAssigned(nv.providerUserId, nv.patientId) &&
      !security::AuditLog::emergencyAccessUntil(c, nv.providerUserId, nv.patientId, nowTime))
    throw ValidationError(
        "visit: provider_user_id is not on the patient's care team (nor has emergency "
        "access)");
  auto patientUserId = nv.patientUserId;
  if (patientUserId == 0) {
    patientUserId = security::activePatientUserIn(c, nv.patientId).value_or(0);
    if (patientUserId == 0)
      throw ValidationError("visit: the patient has no active portal account");
  }
  const auto patientUser = security::activeAccountIn(c, patientUserId);
  if (!patientUser || patientUser->role != Role::patient ||
      patientUser->patientId.value_or(0) != nv.patientId)
    throw ValidationError("visit: patient_user_id is not the patient's active user");
  c.execute(
      "INSERT INTO visits (patient_id, provider_user_id, starts_at, ends_at, created_by, "
      "created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
      nv.patientId, nv.providerUserId, toMillis(nv.startsAt), toMillis(nv.endsAt), actor.id, now);
  auto id = c.lastInsertRowid();
  c.execute(
      "INSERT INTO visit_participants (visit_id, user_id, role, invited_by, invited_at) "
      "VALUES (?1, ?2, 'provider', ?3, ?4), (?1, ?5, 'patient', ?3, ?4)",
      id, nv.providerUserId, actor.id, now, patientUserId);
  return id;
}

void VisitService::recordLocationIn(store::Connection& c, std::int64_t visitId,
                                    std::string_view state, TimePoint now) {
  c.execute("UPDATE visits SET patient_state = ?2, checked_in_at = ?3 WHERE id = ?1", visitId,
            state, toMillis(now));
}

void VisitService::cancelScheduledIn(store::Connection& c, std::int64_t visitId) {
  c.execute("UPDATE visits SET state = 'cancelled' WHERE id = ?1 AND state = 'scheduled'", visitId);
}

void VisitService::moveScheduledIn(store::Connection& c, std::int64_t visitId, TimePoint startsAt,
                                   TimePoint endsAt) {
  if (endsAt <= startsAt) throw ValidationError("visit: ends_at must be after starts_at");
  c.execute("UPDATE visits SET starts_at = ?2, ends_at = ?3 WHERE id = ?1 AND state = 'scheduled'",
            visitId, toMillis(startsAt), toMillis(endsAt));
  if (c.changes() != 1) throw ValidationError("visit: only a scheduled visit can be moved");
}

void VisitService::invite(const Actor& actor, std::int64_t visitId, std::int64_t userId,
                          ParticipantRole role) {
  if (role != ParticipantRole::caregiver && role != ParticipantRole::interpreter)
    throw ValidationError("visit: only a caregiver or interpreter can be invited");
  Decision d;
  db_.writeSync([&](store::Connection& c) {
    auto v = requireVisitIn(c, visitId);
    if (actor.id != v->providerUserId ||
        !security::roleHas(actor.role, security::Permission::visitManage)) {
      d = {false, "not_visit_provider"};
    } else if (v->state == VisitState::ended || v->state == VisitState::cancelled) {
      d = {false, "visit_ended"};
    } else if (v->participant(userId) != nullptr) {
      d = {false, "already_participant"};
    } else if (!mayBeInvited(security::activeAccountIn(c, userId))) {
      d = {false, "no_such_user"};
    }
    if (d.allowed) {
      c.execute(
          "INSERT INTO visit_participants (visit_id, user_id, role, invited_by, invited_at) "
          "VALUES (?1, ?2, ?3, ?4, ?5)",
          visitId, userId, toString(role), actor.id, toMillis(clock_.now()));
    }
    audit_.append(c, decisionEvent(actor, "visit.invite", "visit", std::to_string(visitId),
                                   v->patientId, d, std::string(toString(role))));
  });
  if (!d.allowed) refuse("visit.invite", d.reason);
}

JoinStatus VisitService::join(const Actor& actor, std::int64_t visitId) {
  Decision d;
  JoinStatus status = JoinStatus::waiting;
  db_.writeSync([&](store::Connection& c) {
    auto v = requireVisitIn(c, visitId);
    const auto now = clock_.now();
    const Participant* p = v->participant(actor.id);
    if (!security::roleHas(actor.role, security::Permission::visitJoin)) {
      d = {false, "role"};
    } else if (p == nullptr) {
      d = {false, "not_participant"};
    } else if (v->state == VisitState::ended || v->state == VisitState::cancelled) {
      d = {false, "visit_ended"};
    } else if (now < v->startsAt - policy_.joinEarly) {
      d = {false, "too_early"};
    } else if (now > v->endsAt + policy_.joinLate) {
      d = {false, "too_late"};
    } else if (p->role == ParticipantRole::patient &&
               !patients::ConsentService::hasActiveConsentIn(c, v->patientId,
                                                             patients::ConsentKind::telehealth)) {
      d = {false, std::string(kConsentRequired)};  // the page shows the document to sign
    } else if (p->role == ParticipantRole::provider && joinCheck_) {
      if (auto refusal = joinCheck_(c, *v, actor)) d = {false, *refusal};  // e.g. licensing
    }
    if (d.allowed) {
      if (p->role == ParticipantRole::provider) {
        status = JoinStatus::admitted;
        c.execute(
            "UPDATE visit_participants SET admitted_at = COALESCE(admitted_at, ?3), "
            "waiting_since = NULL WHERE visit_id = ?1 AND user_id = ?2",
            visitId, actor.id, toMillis(now));
        c.execute("UPDATE visits SET state = 'in_progress' WHERE id = ?1 AND state = 'scheduled'",
                  visitId);
      } else if (p->admittedAt) {
        status = JoinStatus::admitted;
      } else {
        c.execute(
            "UPDATE visit_participants SET waiting_since = COALESCE(waiting_since, ?3) "
            "WHERE visit_id = ?1 AND user_id = ?2",
            visitId, actor.id, toMillis(now));
      }
    }
    audit_.append(c, decisionEvent(actor, "visit.join", "visit", std::to_string(visitId),
                                   v->patientId, d, std::string(toString(status))));
  });
  if (!d.allowed) {
    log::info("video.join_refused", {{"visit", visitId}, {"user", actor.id}, {"reason", d.reason}});
    refuse("visit.join", d.reason);
  }
  return status;
}

void VisitService::checkIn(const Actor& actor, std::int64_t visitId, std::string_view state) {
  if (state.size() != 2 ||
      !std::all_of(state.begin(), state.end(), [](char ch) { return ch >= 'A' && ch <= 'Z'; }))
    throw ValidationError("state: two capital letters (a US state code)");
  Decision d;
  db_.writeSync([&](store::Connection& c) {
    auto v = requireVisitIn(c, visitId);
    const Participant* p = v->participant(actor.id);
    if (actor.role != Role::patient || p == nullptr || p->role != ParticipantRole::patient) {
      d = {false, "not_visit_patient"};
    } else if (v->state == VisitState::ended || v->state == VisitState::cancelled) {
      d = {false, "visit_ended"};
    } else {
      // Kept whatever the check says: where the patient is is a fact the provider's join uses.
      const auto now = clock_.now();
      c.execute("UPDATE visits SET patient_state = ?2, checked_in_at = ?3 WHERE id = ?1", visitId,
                state, toMillis(now));
      v->patientState = std::string(state);
      v->checkedInAt = now;
      if (joinCheck_)
        if (auto refusal = joinCheck_(c, *v, actor)) d = {false, *refusal};
    }
    audit_.append(c, decisionEvent(actor, "visit.check_in", "visit", std::to_string(visitId),
                                   v->patientId, d, "checked_in"));
  });
  if (!d.allowed) {
    log::info("video.check_in_refused",
              {{"visit", visitId}, {"user", actor.id}, {"reason", d.reason}});
    refuse("visit.check_in", d.reason);
  }
}

void VisitService::admit(const Actor& actor, std::int64_t visitId, std::int64_t userId) {
  Decision d;
  db_.writeSync([&](store::Connection& c) {
    auto v = requireVisitIn(c, visitId);
    const Participant* p = v->participant(userId);
    if (actor.id != v->providerUserId) {
      d = {false, "not_visit_provider"};
    } else if (v->state != VisitState::inProgress) {
      d = {false, v->state == VisitState::scheduled ? "provider_not_joined" : "visit_ended"};
    } else if (p == nullptr) {
      d = {false, "not_participant"};
    }
    if (d.allowed) {
      c.execute(
          "UPDATE visit_participants SET admitted_at = COALESCE(admitted_at, ?3), "
          "waiting_since = NULL WHERE visit_id = ?1 AND user_id = ?2",
          visitId, userId, toMillis(clock_.now()));
    }
    audit_.append(c, decisionEvent(actor, "visit.admit", "visit_participant",
                                   std::to_string(visitId) + "/" + std::to_string(userId),
                                   v->patientId, d, "visit_provider"));
  });
  if (!d.allowed) refuse("visit.admit", d.reason);
}

void VisitService::leave(const Actor& actor, std::int64_t visitId) {
  db_.writeSync([&](store::Connection& c) {
    auto v = requireVisitIn(c, visitId);
    if (v->participant(actor.id) == nullptr) return;  // nothing to leave, nothing to audit
    c.execute(
        "UPDATE visit_participants SET waiting_since = NULL WHERE visit_id = ?1 AND user_id = ?2",
        visitId, actor.id);
    audit_.append(c, security::auditEventFor(actor, "visit.leave", "visit", std::to_string(visitId),
                                             v->patientId, AuditOutcome::success, "participant"));
  });
}

void VisitService::end(const Actor& actor, std::int64_t visitId) {
  Decision d;
  db_.writeSync([&](store::Connection& c) {
    auto v = requireVisitIn(c, visitId);
    if (actor.id != v->providerUserId) {
      d = {false, "not_visit_provider"};
    } else if (v->state == VisitState::ended || v->state == VisitState::cancelled) {
      d = {false, "visit_ended"};
    }
    if (d.allowed) {
      c.execute("UPDATE visits SET state = 'ended', ended_at = ?2 WHERE id = ?1", visitId,
                toMillis(clock_.now()));
      c.execute("UPDATE visit_participants SET waiting_since = NULL WHERE visit_id = ?1", visitId);
    }
    audit_.append(c, decisionEvent(actor, "visit.end", "visit", std::to_string(visitId),
                                   v->patientId, d, "visit_provider"));
  });
  if (!d.allowed) refuse("visit.end", d.reason);
}

Visit VisitService::get(const Actor& actor, std::int64_t visitId) const {
  auto v = find(visitId);
  if (!v) throw NotFound("visit " + std::to_string(visitId) + " not found");
  const bool allowed = v->participant(actor.id) != nullptr;
  audit_.record(db_, security::auditEventFor(actor, "visit.get", "visit", std::to_string(visitId),
                                             v->patientId,
                                             allowed ? AuditOutcome::success : AuditOutcome::denied,
                                             allowed ? "participant" : "not_participant"));
  if (!allowed) refuse("visit.get", "not_participant");
  return *v;
}

void VisitService::setRecordingConsent(const Actor& actor, std::int64_t visitId, bool consent) {
  Decision d;
  db_.writeSync([&](store::Connection& c) {
    auto v = requireVisitIn(c, visitId);
    if (v->participant(actor.id) == nullptr) {
      d = {false, "not_participant"};
    } else if (v->state == VisitState::ended || v->state == VisitState::cancelled) {
      d = {false, "visit_ended"};
    } else {
      c.execute(
          "UPDATE visit_participants SET recording_consent_at = ?3 WHERE visit_id = ?1 AND "
          "user_id = ?2",
          visitId, actor.id,
          consent ? std::optional<std::int64_t>(toMillis(clock_.now())) : std::nullopt);
    }
    audit_.append(c,
                  decisionEvent(actor, "visit.recording_consent", "visit", std::to_string(visitId),
                                v->patientId, d, (consent ? "given" : "withdrawn")));
  });
  if (!d.allowed) refuse("visit.recording_consent", d.reason);
}

void VisitService::recordingStopped(const Actor& actor, std::int64_t visitId,
                                    std::string_view reason) {
  auto v = find(visitId);
  if (!v) throw NotFound("visit " + std::to_string(visitId) + " not found");
  audit_.record(
      db_, security::auditEventFor(actor, "visit.recording_stop", "visit", std::to_string(visitId),
                                   v->patientId, AuditOutcome::success, reason));
  log::info("video.recording_stopped", {{"visit", visitId}, {"reason", std::string(reason)}});
}

VisitArchivePage VisitService::archive(const Actor& actor, const VisitArchiveQuery& q) const {
  // Admins see every visit; providers and nurses (who run visits) only their own.
  std::string reason;
  std::optional<std::int64_t> onlyProvider;
  if (security::roleHas(actor.role, security::Permission::visitManage)) {
    if (actor.role == Role::admin) {
      reason = "admin";
    } else if (actor.role == Role::provider || actor.role == Role::nurse) {
      reason = "own_visits";
      onlyProvider = actor.id;
    }
  }
  const bool allowed = !reason.empty();
  VisitArchivePage page;
  if (allowed) {
    const int size = std::clamp(q.pageSize, 1, 200);
    const int number = std::max(q.page, 1);
    page = db_.read([&](store::Connection& c) {
      VisitArchivePage out;
      auto st = c.prepare(
          "SELECT id FROM visits WHERE (CAST(?1 AS BIGINT) IS NULL OR starts_at >= ?1) AND "
          "(CAST(?2 AS BIGINT) IS NULL OR starts_at < ?2) AND (CAST(?3 AS BIGINT) IS NULL OR "
          "provider_user_id = ?3) ORDER BY starts_at DESC, id DESC");
      std::optional<std::int64_t> from, to;
      if (q.from) from = toMillis(*q.from);
      if (q.to) to = toMillis(*q.to);
      st.bindAll(from, to, onlyProvider);
      std::vector<std::int64_t> ids;
      while (st.step()) {
        const auto id = st.getInt64(0);
        if (!q.keep || q.keep(id)) ids.push_back(id);
      }
      out.total = static_cast<std::int64_t>(ids.size());
      const auto first = std::min(
          ids.size(), static_cast<std::size_t>(number - 1) * static_cast<std::size_t>(size));
      const auto last = std::min(ids.size(), first + static_cast<std::size_t>(size));
      for (auto i = first; i < last; ++i)
        if (auto v = findIn(c, ids[i])) out.items.push_back(std::move(*v));
      return out;
    });
  }
  // One entry per call: who looked, allowed or not, and how many visits it showed (no ids of
  // patients: the list is not about one patient).
  audit_.record(db_,
                security::auditEventFor(
                    actor, "visit.archive", "visit_archive",
                    allowed ? std::to_string(page.items.size()) + "/" + std::to_string(page.total)
                            : std::string(),
                    std::nullopt, allowed ? AuditOutcome::success : AuditOutcome::denied,
                    allowed ? reason : "role"));
  if (!allowed) refuse("visit.archive", "role");
  return page;
}

void VisitService::requireRecordingAllowed(const Actor& actor, std::int64_t visitId) {
  Decision d;
  db_.writeSync([&](store::Connection& c) {
    auto v = requireVisitIn(c, visitId);
    if (actor.id != v->providerUserId) {
      d = {false, "not_visit_provider"};
    } else if (v->state != VisitState::inProgress) {
      d = {false, "visit_not_in_progress"};
    } else {
      for (const auto& p : v->participants)
        if (!p.recordingConsentAt) d = {false, "consent_missing"};
    }
    audit_.append(c, decisionEvent(actor, "visit.record", "visit", std::to_string(visitId),
                                   v->patientId, d, "all_consented"));
  });
  if (!d.allowed) refuse("visit.record", d.reason);
}

void VisitService::requireRecordingStop(const Actor& actor, std::int64_t visitId) {
  Decision d;
  db_.writeSync([&](store::Connection& c) {
    auto v = requireVisitIn(c, visitId);
    if (actor.id == v->providerUserId) return;  // allowed: the stop itself is audited
    d = {false, "not_visit_provider"};
    audit_.append(c, decisionEvent(actor, "visit.recording_stop", "visit", std::to_string(visitId),
                                   v->patientId, d, ""));
  });
  if (!d.allowed) refuse("visit.recording_stop", d.reason);
}

TimePoint VisitService::requestRecordAccess(const Actor& actor, std::int64_t visitId,
                                            std::string_view reason) {
  if (reason.find_first_not_of(" \t\r\n") == std::string_view::npos || reason.size() > 500)
    throw ValidationError("reason: 1 to 500 characters, required to read a past visit");
  const auto now = clock_.now();
  Decision d;
  db_.writeSync([&](store::Connection& c) {
    auto v = requireVisitIn(c, visitId);
    if (actor.role != Role::admin)
      d = {false, "not_admin"};
    else if (v->state == VisitState::inProgress)
      d = {false, "visit_running"};
    auto event = decisionEvent(actor, kRecordAccessAction, "visit", std::to_string(visitId),
                               v->patientId, d, "admin_request");
    if (d.allowed) event.justification = std::string(reason);
    audit_.append(c, event);
  });
  if (!d.allowed) refuse(kRecordAccessAction, d.reason);
  log::warn("video.record_access", {{"visit", visitId}, {"user_id", actor.id}});
  return now + security::kEmergencyAccessWindow;
}

void VisitService::authorizeRecordingAccess(const Actor& actor, std::int64_t visitId,
                                            std::string_view recordingId) {
  auto v = find(visitId);
  if (!v) throw NotFound("visit " + std::to_string(visitId) + " not found");
  std::string reason;
  if (actor.role == Role::admin && security::roleHas(actor.role, security::Permission::visitManage))
    reason = "admin";
  else if (actor.id == v->providerUserId &&
           security::roleHas(actor.role, security::Permission::visitManage))
    reason = "visit_provider";
  const bool allowed = !reason.empty();
  const bool play = !recordingId.empty();
  const std::string action = play ? "visit.recording_play" : "visit.recordings_list";
  audit_.record(db_, security::auditEventFor(
                         actor, action, play ? "visit_recording" : "visit",
                         play ? std::to_string(visitId) + "/" + std::string(recordingId)
                              : std::to_string(visitId),
                         v->patientId, allowed ? AuditOutcome::success : AuditOutcome::denied,
                         allowed ? reason : "not_visit_provider"));
  if (!allowed) refuse(action, "not_visit_provider");
}

void VisitService::recordQuality(std::int64_t visitId, std::int64_t userId, double rttMs,
                                 double jitterMs, double lossPct, double kbpsIn) {
  const auto at = toMillis(clock_.now());
  std::optional<double> rtt;
  if (rttMs >= 0) rtt = rttMs;
  const bool queued = db_.tryPost(
      [=](store::Connection& c) {
        c.execute(
            "INSERT INTO visit_quality (visit_id, user_id, at, rtt_ms, jitter_ms, loss_pct, "
            "kbps_in) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            visitId, userId, at, rtt, jitterMs, lossPct, kbpsIn);
      },
      [visitId](std::exception_ptr e) {
        if (e) log::warn("video.quality_not_stored", {{"visit", visitId}});
      });
  if (!queued) log::warn("video.quality_dropped", {{"visit", visitId}});
}

std::vector<QualitySummary> VisitService::quality(std::int64_t visitId) const {
  return db_.read([&](store::Connection& c) {
    std::vector<QualitySummary> out;
    auto st = c.prepare(
        "SELECT user_id, count(*), avg(rtt_ms), avg(jitter_ms), max(loss_pct), avg(kbps_in) "
        "FROM visit_quality WHERE visit_id = ?1 GROUP BY user_id ORDER BY user_id");
    st.bind(1, visitId);
    while (st.step()) {
      QualitySummary q;
      q.userId = st.getInt64(0);
      q.samples = st.getInt64(1);
      q.rttMsAvg = st.get<std::optional<double>>(2);
      q.jitterMsAvg = st.getDouble(3);
      q.lossPctMax = st.getDouble(4);
      q.kbpsAvg = st.getDouble(5);
      out.push_back(q);
    }
    return out;
  });
}

std::vector<Visit> VisitService::forUser(std::int64_t userId, TimePoint since) const {
  return db_.read([&](store::Connection& c) {
    std::vector<std::int64_t> ids;
    auto st = c.prepare(
        "SELECT v.id FROM visits v JOIN visit_participants p ON p.visit_id = v.id "
        "WHERE p.user_id = ?1 AND v.ends_at > ?2 ORDER BY v.starts_at, v.id LIMIT 200");
    st.bindAll(userId, toMillis(since));
    while (st.step()) ids.push_back(st.getInt64(0));
    std::vector<Visit> out;
    for (auto id : ids)
      if (auto v = findIn(c, id)) out.push_back(std::move(*v));
    return out;
  });
}

std::vector<Visit> VisitService::forUserIn(store::Connection& c, std::int64_t userId,
                                           TimePoint from, TimePoint to) {
  std::vector<std::int64_t> ids;
  auto st = c.prepare(
      "SELECT v.id FROM visits v JOIN visit_participants p ON p.visit_id = v.id "
      "WHERE p.user_id = ?1 AND v.starts_at >= ?2 AND v.starts_at < ?3 "
      "ORDER BY v.starts_at, v.id LIMIT 200");
  st.bindAll(userId, toMillis(from), toMillis(to));
  while (st.step()) ids.push_back(st.getInt64(0));
  std::vector<Visit> out;
  for (auto id : ids)
    if (auto v = findIn(c, id)) out.push_back(std::move(*v));
  return out;
}

std::vector<Visit> VisitService::endedBetweenIn(store::Connection& c, TimePoint from,
                                                TimePoint to) {
  std::vector<std::int64_t> ids;
  auto st = c.prepare(
      "SELECT id FROM visits WHERE state = 'ended' AND ended_at >= ?1 AND ended_at < ?2 "
      "ORDER BY ended_at, id");
  st.bindAll(toMillis(from), toMillis(to));
  while (st.step()) ids.push_back(st.getInt64(0));
  std::vector<Visit> out;
  for (auto id : ids)
    if (auto v = findIn(c, id)) out.push_back(std::move(*v));
  return out;
}

std::vector<std::int64_t> VisitService::endedAmongIn(store::Connection& c,
                                                     const std::vector<std::int64_t>& visitIds) {
  std::vector<std::int64_t> out;
  if (visitIds.empty()) return out;
  std::string ids = "[";
  for (auto id : visitIds) ids += (ids.size() > 1 ? "," : "") + std::to_string(id);
  ids += "]";
  // A row per id through the primary key (json_each yields the ids; no scan of visits).
  auto st = c.prepare(
      "SELECT id FROM visits WHERE id IN (SELECT value FROM json_each(?1)) AND state = 'ended' "
      "ORDER BY id");
  st.bind(1, ids);
  while (st.step()) out.push_back(st.getInt64(0));
  return out;
}

std::vector<EndedVisit> VisitService::endedSummariesIn(store::Connection& c, TimePoint from,
                                                       TimePoint to) {
  auto st = c.prepare(
      "SELECT v.id, v.patient_id, v.provider_user_id, v.ended_at, EXISTS (SELECT 1 FROM "
      "visit_participants p WHERE p.visit_id = v.id AND p.role = 'patient' AND p.admitted_at IS "
      "NOT NULL) FROM visits v WHERE v.state = 'ended' AND v.ended_at >= ?1 AND v.ended_at < ?2 "
      "ORDER BY v.ended_at, v.id");
  st.bindAll(toMillis(from), toMillis(to));
  std::vector<EndedVisit> out;
  while (st.step()) {
    EndedVisit e;
    e.id = st.getInt64(0);
    e.patientId = st.getInt64(1);
    e.providerUserId = st.getInt64(2);
    e.endedAt = fromMillis(st.getInt64(3));
    e.patientJoined = st.getInt64(4) != 0;
    out.push_back(e);
  }
  return out;
}

std::vector<Visit> VisitService::forPatientIn(store::Connection& c, std::int64_t patientId) {
  std::vector<std::int64_t> ids;
  auto st = c.prepare("SELECT id FROM visits WHERE patient_id = ?1 ORDER BY starts_at, id");
  st.bind(1, patientId);
  while (st.step()) ids.push_back(st.getInt64(0));
  std::vector<Visit> out;
  for (auto id : ids)
    if (auto v = findIn(c, id)) out.push_back(std::move(*v));
  return out;
}

std::optional<Visit> VisitService::find(std::int64_t visitId) const {
  return db_.read([&](store::Connection& c) { return findIn(c, visitId); });
}

bool VisitService::mayBeInRoom(const Actor& actor, std::int64_t visitId) const {
  auto v = find(visitId);
  return v && inRoom(*v, actor, clock_.now(), policy_);
}

}  // namespace vigil::video
