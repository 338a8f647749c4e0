#include "vigil/video/visit.hpp"

#include <algorithm>
#include <string>

#include "vigil/core/error.hpp"
#include "vigil/core/log.hpp"
#include "vigil/crypto/field_cipher.hpp"
#include "vigil/security/access_guard.hpp"
#include "vigil/security/audit_log.hpp"
#include "vigil/store/database.hpp"

namespace vigil::video {
namespace {

using security::Actor;
using security::AuditOutcome;
using security::Role;

std::int64_t millis(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

TimePoint fromMillis(std::int64_t ms) {
  return TimePoint{std::chrono::milliseconds{ms}};
}

std::optional<TimePoint> optTime(const std::optional<std::int64_t>& ms) {
  if (!ms) return std::nullopt;
  return fromMillis(*ms);
}

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

/// The result of a decision taken inside a write job: thrown after the commit, so the audit
/// entry of a refusal is durable.
struct Decision {
  bool allowed = true;
  std::string reason;
};

/// The visit, or NotFound.
std::optional<Visit> requireVisitIn(store::Connection& c, std::int64_t visitId) {
  auto v = VisitService::findIn(c, visitId);
  if (!v) throw NotFound("visit " + std::to_string(visitId) + " not found");
  return v;
}

[[noreturn]] void refuse(std::string_view action, const std::string& reason) {
  throw AccessDenied(std::string(action) + " refused: " + reason);
}

/// The audit entry of a decision: success with `allowedReason`, or denied with its reason.
security::AuditEvent decisionEvent(const Actor& actor, std::string_view action,
                                   std::string_view objectType, const std::string& objectId,
                                   std::int64_t patientId, const Decision& d,
                                   std::string_view allowedReason) {
  return security::auditEventFor(actor, action, objectType, objectId, patientId,
                                 d.allowed ? AuditOutcome::success : AuditOutcome::denied,
                                 d.allowed ? allowedReason : std::string_view(d.reason));
}

}  // namespace

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

std::optional<Visit> VisitService::findIn(store::Connection& c, std::int64_t visitId) {
  auto st = c.prepare(
      "SELECT id, patient_id, provider_user_id, starts_at, ends_at, state, ended_at FROM visits "
      "WHERE id = ?1");
  st.bind(1, visitId);
  if (!st.step()) return std::nullopt;
  Visit v;
  v.id = st.getInt64(0);
  v.patientId = st.getInt64(1);
  v.providerUserId = st.getInt64(2);
  v.startsAt = fromMillis(st.getInt64(3));
  v.endsAt = fromMillis(st.getInt64(4));
  v.state = parseState(st.getText(5));
  v.endedAt = optTime(st.get<std::optional<std::int64_t>>(6));
  auto ps = c.prepare(
      "SELECT user_id, role, admitted_at, waiting_since, recording_consent_at FROM "
      "visit_participants "
      "WHERE visit_id = ?1 ORDER BY invited_at, user_id");
  ps.bind(1, visitId);
  while (ps.step()) {
    Participant p;
    p.userId = ps.getInt64(0);
    p.role = parseParticipantRole(ps.getText(1)).value_or(ParticipantRole::patient);
    p.admittedAt = optTime(ps.get<std::optional<std::int64_t>>(2));
    p.waitingSince = optTime(ps.get<std::optional<std::int64_t>>(3));
    p.recordingConsentAt = optTime(ps.get<std::optional<std::int64_t>>(4));
    v.participants.push_back(p);
  }
  return v;
}

std::int64_t VisitService::schedule(const Actor& actor, const NewVisit& nv) {
  if (nv.endsAt <= nv.startsAt) throw ValidationError("visit: ends_at must be after starts_at");
  if (nv.endsAt - nv.startsAt > std::chrono::hours{8})
    throw ValidationError("visit: a visit lasts at most 8 hours");
  security::AccessGuard guard(db_, audit_);
  const auto now = millis(clock_.now());
  return guard.write(
      actor, security::operation("visit.schedule"), nv.patientId, {"visit", ""},
      [&](store::Connection& c) {
        auto provider = c.queryValue<std::string>(
            "SELECT role FROM users WHERE id = ?1 AND status = 'active'", nv.providerUserId);
        if (!provider || (*provider != "provider" && *provider != "nurse"))
          throw ValidationError("visit: provider_user_id is not an active provider or nurse");
        // The visit opens the patient's record to its provider: only someone on the patient's
        // care team, or holding emergency access to the patient (break-glass, audited), may be
        // named, whoever schedules it.
        if (!security::SqliteCareTeam(c).isAssigned(nv.providerUserId, nv.patientId) &&
            !security::AuditLog::emergencyAccessUntil(c, nv.providerUserId, nv.patientId,
                                                      clock_.now()))
          throw ValidationError(
              "visit: provider_user_id is not on the patient's care team (nor has emergency "
              "access)");
        auto patientUserId = nv.patientUserId;
        if (patientUserId == 0) {
          patientUserId =
              c.queryValue<std::int64_t>(
                   "SELECT id FROM users WHERE role = 'patient' AND patient_id = ?1 AND status = "
                   "'active' ORDER BY id LIMIT 1",
                   nv.patientId)
                  .value_or(0);
          if (patientUserId == 0)
            throw ValidationError("visit: the patient has no active portal account");
        }
        auto patientOf = c.queryValue<std::int64_t>(
            "SELECT patient_id FROM users WHERE id = ?1 AND role = 'patient' AND status = "
            "'active'",
            patientUserId);
        if (!patientOf || *patientOf != nv.patientId)
          throw ValidationError("visit: patient_user_id is not the patient's active user");
        c.execute(
            "INSERT INTO visits (patient_id, provider_user_id, starts_at, ends_at, created_by, "
            "created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            nv.patientId, nv.providerUserId, millis(nv.startsAt), millis(nv.endsAt), actor.id, now);
        auto id = c.lastInsertRowid();
        c.execute(
            "INSERT INTO visit_participants (visit_id, user_id, role, invited_by, invited_at) "
            "VALUES (?1, ?2, 'provider', ?3, ?4), (?1, ?5, 'patient', ?3, ?4)",
            id, nv.providerUserId, actor.id, now, patientUserId);
        return id;
      });
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
    } else if (!c.queryValue<std::int64_t>(
                   "SELECT 1 FROM users WHERE id = ?1 AND status = 'active' AND role IN "
                   "('patient', 'provider', 'nurse')",
                   userId)) {
      d = {false, "no_such_user"};
    }
    if (d.allowed) {
      c.execute(
          "INSERT INTO visit_participants (visit_id, user_id, role, invited_by, invited_at) "
          "VALUES (?1, ?2, ?3, ?4, ?5)",
          visitId, userId, toString(role), actor.id, millis(clock_.now()));
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
    }
    if (d.allowed) {
      if (p->role == ParticipantRole::provider) {
        status = JoinStatus::admitted;
        c.execute(
            "UPDATE visit_participants SET admitted_at = COALESCE(admitted_at, ?3), "
            "waiting_since = NULL WHERE visit_id = ?1 AND user_id = ?2",
            visitId, actor.id, millis(now));
        c.execute("UPDATE visits SET state = 'in_progress' WHERE id = ?1 AND state = 'scheduled'",
                  visitId);
      } else if (p->admittedAt) {
        status = JoinStatus::admitted;
      } else {
        c.execute(
            "UPDATE visit_participants SET waiting_since = COALESCE(waiting_since, ?3) "
            "WHERE visit_id = ?1 AND user_id = ?2",
            visitId, actor.id, millis(now));
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
          visitId, userId, millis(clock_.now()));
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
                millis(clock_.now()));
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

namespace {

/// The audit action whose entry grants an admin a past visit's chat and documents.
constexpr std::string_view kRecordAccessAction = "visit.record_access";

crypto::FieldRef messageField(std::int64_t id) {
  return {"visit_messages", "text", std::to_string(id)};
}

/// True when the participant may be in the room of `v` at `now` (admitted, in progress,
/// inside the window, role may join).
bool inRoom(const Visit& v, const Actor& actor, TimePoint now, const VisitPolicy& policy) {
  if (v.state != VisitState::inProgress) return false;
  if (!security::roleHas(actor.role, security::Permission::visitJoin)) return false;
  const Participant* p = v.participant(actor.id);
  if (p == nullptr || !p->admittedAt) return false;
  return now >= v.startsAt - policy.joinEarly && now <= v.endsAt + policy.joinLate;
}

/// Why the actor may not post into the room of `v` now (chat, documents); nullopt: they may.
std::optional<std::string> roomRefusal(const Visit& v, const Actor& actor, TimePoint now,
                                       const VisitPolicy& policy) {
  if (inRoom(v, actor, now, policy)) return std::nullopt;
  return v.participant(actor.id) == nullptr ? "not_participant" : "not_in_room";
}

/// Reads the participant relation of a visit for an audited read: the visit's patient,
/// whether the actor may read its chat and documents, and why not.
struct ReadAccess {
  std::int64_t patientId = 0;
  bool allowed = false;
  std::string reason = "not_participant";
};

/// Who reads a visit's chat and documents: while it runs, the participants admitted into the
/// room (an invited interpreter or caregiver waiting, or one not yet let in, reads nothing);
/// before and after it, only the visit's own provider and patient, whose record it is part of.
ReadAccess readAccessIn(store::Connection& c, const Actor& actor, std::int64_t visitId,
                        TimePoint now, const VisitPolicy& policy) {
  auto v = requireVisitIn(c, visitId);
  ReadAccess a{v->patientId, false, "not_participant"};
  if (actor.role == Role::admin) {
    // Admins take no part in visits: once a visit no longer runs, they read its chat and
    // documents for a while after an audited request that gave the reason.
    if (v->state == VisitState::inProgress) {
      a.reason = "visit_running";
    } else if (security::AuditLog::grantUntil(c, actor.id, kRecordAccessAction, "visit",
                                              std::to_string(visitId),
                                              security::kEmergencyAccessWindow, now)) {
      a.allowed = true;
      a.reason = "admin_request";
    } else {
      a.reason = "no_request";
    }
    return a;
  }
  const Participant* p = v->participant(actor.id);
  if (p == nullptr || !security::roleHas(actor.role, security::Permission::visitJoin)) return a;
  if (v->state == VisitState::inProgress) {
    a.allowed = inRoom(*v, actor, now, policy);
    a.reason = a.allowed ? "participant" : "not_in_room";
    return a;
  }
  a.allowed = p->role == ParticipantRole::provider || p->role == ParticipantRole::patient;
  a.reason = a.allowed ? "visit_record" : "visit_not_running";
  return a;
}

/// Audits a participants-only read (chat, documents) and refuses a non-participant.
void auditParticipantRead(security::AuditLog& audit, store::Database& db, const Actor& actor,
                          std::string_view action, std::string_view objectType,
                          const std::string& objectId, const ReadAccess& access) {
  audit.record(
      db, security::auditEventFor(actor, action, objectType, objectId, access.patientId,
                                  access.allowed ? AuditOutcome::success : AuditOutcome::denied,
                                  access.reason));
  if (!access.allowed) refuse(action, access.reason);
}

}  // namespace

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
          consent ? std::optional<std::int64_t>(millis(clock_.now())) : std::nullopt);
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
          "SELECT id FROM visits WHERE (?1 IS NULL OR starts_at >= ?1) AND (?2 IS NULL OR "
          "starts_at < ?2) AND (?3 IS NULL OR provider_user_id = ?3) ORDER BY starts_at DESC, "
          "id DESC");
      std::optional<std::int64_t> from, to;
      if (q.from) from = millis(*q.from);
      if (q.to) to = millis(*q.to);
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

void VisitService::postIntoRoom(const Actor& actor, std::int64_t visitId, std::string_view action,
                                std::string_view objectType, const RoomInsert& insert) {
  Decision d;
  std::int64_t id = 0;
  db_.writeSync([&](store::Connection& c) {
    auto v = requireVisitIn(c, visitId);
    const auto now = clock_.now();
    if (auto refusal = roomRefusal(*v, actor, now, policy_))
      d = {false, *refusal};
    else
      id = insert(c, now);
    audit_.append(c,
                  decisionEvent(actor, action, objectType, std::to_string(d.allowed ? id : visitId),
                                v->patientId, d, "participant"));
  });
  if (!d.allowed) refuse(action, d.reason);
}

ChatMessage VisitService::postMessage(const Actor& actor, std::int64_t visitId,
                                      std::string_view text) {
  if (cipher_ == nullptr) throw ValidationError("visit chat: not configured");
  if (text.empty() || text.size() > 2000) throw ValidationError("text: 1 to 2000 characters");
  ChatMessage m;
  postIntoRoom(
      actor, visitId, "visit.message", "visit_message", [&](store::Connection& c, TimePoint now) {
        auto id = c.queryValue<std::int64_t>("SELECT coalesce(max(id), 0) + 1 FROM visit_messages")
                      .value_or(1);
        auto enc = cipher_->encrypt(messageField(id), text);
        c.execute(
            "INSERT INTO visit_messages (id, visit_id, sender_user_id, sent_at, text_enc) "
            "VALUES (?1, ?2, ?3, ?4, ?5)",
            id, visitId, actor.id, millis(now), store::Blob(enc.begin(), enc.end()));
        m = {id, visitId, actor.id, now, std::string(text)};
        return id;
      });
  return m;
}

std::vector<ChatMessage> VisitService::messages(const Actor& actor, std::int64_t visitId) {
  if (cipher_ == nullptr) throw ValidationError("visit chat: not configured");
  ReadAccess access;
  auto out = db_.read([&](store::Connection& c) {
    std::vector<ChatMessage> list;
    access = readAccessIn(c, actor, visitId, clock_.now(), policy_);
    if (!access.allowed) return list;
    auto st = c.prepare(
        "SELECT id, sender_user_id, sent_at, text_enc FROM visit_messages WHERE visit_id = ?1 "
        "ORDER BY id");
    st.bind(1, visitId);
    while (st.step()) {
      ChatMessage m;
      m.id = st.getInt64(0);
      m.visitId = visitId;
      m.senderUserId = st.getInt64(1);
      m.sentAt = fromMillis(st.getInt64(2));
      auto blob = st.getBlob(3);
      m.text = cipher_->decryptText(messageField(m.id), blob);
      list.push_back(std::move(m));
    }
    return list;
  });
  auditParticipantRead(audit_, db_, actor, "visit.messages_read", "visit", std::to_string(visitId),
                       access);
  return out;
}

std::optional<std::string> documentMediaType(std::string_view content) {
  if (content.rfind("%PDF-", 0) == 0) return "application/pdf";
  if (content.rfind("\x89PNG\r\n\x1a\n", 0) == 0) return "image/png";
  if (content.size() >= 3 && static_cast<unsigned char>(content[0]) == 0xFF &&
      static_cast<unsigned char>(content[1]) == 0xD8 &&
      static_cast<unsigned char>(content[2]) == 0xFF)
    return "image/jpeg";
  return std::nullopt;
}

namespace {

crypto::FieldRef documentField(std::string_view column, std::int64_t id) {
  return {"visit_documents", std::string(column), std::to_string(id)};
}

}  // namespace

VisitDocument VisitService::shareDocument(const Actor& actor, std::int64_t visitId,
                                          std::string_view fileName, std::string_view content) {
  if (cipher_ == nullptr) throw ValidationError("visit documents: not configured");
  if (content.empty() || content.size() > kMaxVisitDocumentBytes)
    throw ValidationError("document: empty or larger than " +
                          std::to_string(kMaxVisitDocumentBytes / 1024) + " KiB");
  auto type = documentMediaType(content);
  if (!type) throw ValidationError("document: only PDF, PNG and JPEG files can be shared");
  if (fileName.empty() || fileName.size() > 200 ||
      fileName.find_first_of(std::string_view("/\\\0\r\n", 5)) != std::string_view::npos)
    throw ValidationError("fileName: 1 to 200 characters, no path");
  VisitDocument doc;
  postIntoRoom(
      actor, visitId, "visit.document_share", "visit_document",
      [&](store::Connection& c, TimePoint now) {
        auto id = c.queryValue<std::int64_t>("SELECT coalesce(max(id), 0) + 1 FROM visit_documents")
                      .value_or(1);
        auto name = cipher_->encrypt(documentField("file_name", id), fileName);
        auto body = cipher_->encrypt(documentField("content", id), content);
        c.execute(
            "INSERT INTO visit_documents (id, visit_id, uploader_user_id, uploaded_at, "
            "media_type, size_bytes, file_name_enc, content_enc) VALUES (?1, ?2, ?3, ?4, "
            "?5, ?6, ?7, ?8)",
            id, visitId, actor.id, millis(now), *type, static_cast<std::int64_t>(content.size()),
            store::Blob(name.begin(), name.end()), store::Blob(body.begin(), body.end()));
        doc = {id,
               visitId,
               actor.id,
               now,
               *type,
               std::string(fileName),
               static_cast<std::int64_t>(content.size()),
               {}};
        return id;
      });
  return doc;
}

std::vector<VisitDocument> VisitService::documents(const Actor& actor, std::int64_t visitId) {
  if (cipher_ == nullptr) throw ValidationError("visit documents: not configured");
  ReadAccess access;
  auto out = db_.read([&](store::Connection& c) {
    std::vector<VisitDocument> list;
    access = readAccessIn(c, actor, visitId, clock_.now(), policy_);
    if (!access.allowed) return list;
    auto st = c.prepare(
        "SELECT id, uploader_user_id, uploaded_at, media_type, size_bytes, file_name_enc FROM "
        "visit_documents WHERE visit_id = ?1 ORDER BY id");
    st.bind(1, visitId);
    while (st.step()) {
      VisitDocument d;
      d.id = st.getInt64(0);
      d.visitId = visitId;
      d.uploaderUserId = st.getInt64(1);
      d.uploadedAt = fromMillis(st.getInt64(2));
      d.mediaType = st.getText(3);
      d.sizeBytes = st.getInt64(4);
      d.fileName = cipher_->decryptText(documentField("file_name", d.id), st.getBlob(5));
      list.push_back(std::move(d));
    }
    return list;
  });
  auditParticipantRead(audit_, db_, actor, "visit.documents_list", "visit", std::to_string(visitId),
                       access);
  return out;
}

VisitDocument VisitService::document(const Actor& actor, std::int64_t visitId,
                                     std::int64_t documentId) {
  if (cipher_ == nullptr) throw ValidationError("visit documents: not configured");
  ReadAccess access;
  std::optional<VisitDocument> found;
  db_.read([&](store::Connection& c) {
    access = readAccessIn(c, actor, visitId, clock_.now(), policy_);
    if (!access.allowed) return;
    auto st = c.prepare(
        "SELECT uploader_user_id, uploaded_at, media_type, size_bytes, file_name_enc, "
        "content_enc FROM visit_documents WHERE id = ?1 AND visit_id = ?2");
    st.bindAll(documentId, visitId);
    if (!st.step()) return;
    VisitDocument d;
    d.id = documentId;
    d.visitId = visitId;
    d.uploaderUserId = st.getInt64(0);
    d.uploadedAt = fromMillis(st.getInt64(1));
    d.mediaType = st.getText(2);
    d.sizeBytes = st.getInt64(3);
    d.fileName = cipher_->decryptText(documentField("file_name", documentId), st.getBlob(4));
    d.content = cipher_->decryptText(documentField("content", documentId), st.getBlob(5));
    found = std::move(d);
  });
  auditParticipantRead(audit_, db_, actor, "visit.document_get", "visit_document",
                       std::to_string(documentId), access);
  if (!found) throw NotFound("document not found");
  return *found;
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
  const auto at = millis(clock_.now());
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
    st.bindAll(userId, millis(since));
    while (st.step()) ids.push_back(st.getInt64(0));
    std::vector<Visit> out;
    for (auto id : ids)
      if (auto v = findIn(c, id)) out.push_back(std::move(*v));
    return out;
  });
}

std::optional<Visit> VisitService::find(std::int64_t visitId) const {
  return db_.read([&](store::Connection& c) { return findIn(c, visitId); });
}

bool VisitService::mayBeInRoom(const Actor& actor, std::int64_t visitId) const {
  auto v = find(visitId);
  return v && inRoom(*v, actor, clock_.now(), policy_);
}

}  // namespace vigil::video
