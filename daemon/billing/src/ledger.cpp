// The minutes ledger (billing.hpp): timer, manual spans, edits and deletions with their old
// values, and the video visits' time. The no-overlap rule is checked inside the write job that
// adds or moves a span: the store has one writer, so no other span can slip in between the
// check and the insert (the test `overlapping_spans_are_refused` adds them back to back).

#include <algorithm>
#include <array>

#include "billing_internal.hpp"
#include "vigil/core/log.hpp"
#include "vigil/core/time.hpp"
#include "vigil/registry/registry.hpp"
#include "vigil/security/access_guard.hpp"
#include "vigil/security/audit_log.hpp"
#include "vigil/store/database.hpp"
#include "vigil/video/visit.hpp"

namespace vigil::billing {

using core::fromMillis;
using core::toMillis;
using security::Actor;
using store::Connection;

namespace {

constexpr auto kMaxManualSpan = std::chrono::hours(4);
constexpr auto kVisitLookBack = std::chrono::hours(24 * 62);

constexpr const char* kEntryColumns =
    "SELECT id, patient_id, clinician_id, started_at, ended_at, source, interactive, reason, "
    "visit_id, deleted_at, (SELECT count(*) FROM billing_time_revisions r WHERE r.entry_id = "
    "billing_time.id) FROM billing_time ";

TimeEntry readEntry(store::Statement& s) {
  TimeEntry e;
  e.id = s.get<std::int64_t>(0);
  e.patientId = s.get<std::int64_t>(1);
  e.clinicianId = s.get<std::int64_t>(2);
  e.startedAt = fromMillis(s.get<std::int64_t>(3));
  e.endedAt = fromMillis(s.get<std::optional<std::int64_t>>(4));
  const auto source = s.get<std::string>(5);
  e.source = source == "timer"   ? TimeSource::timer
             : source == "video" ? TimeSource::video
                                 : TimeSource::manual;
  e.interactive = s.get<std::int64_t>(6) != 0;
  e.reason = s.get<std::optional<std::string>>(7);
  e.visitId = s.get<std::optional<std::int64_t>>(8);
  e.deletedAt = fromMillis(s.get<std::optional<std::int64_t>>(9));
  e.revisions = static_cast<int>(s.get<std::int64_t>(10));
  return e;
}

security::AuditObject entryObject(std::int64_t id) {
  return {"billing_time", id ? std::to_string(id) : std::string()};
}

void checkSpan(const TimeInput& in, TimePoint now, bool needReason) {
  if (in.endedAt <= in.startedAt) throw ValidationError("endedAt: must be after startedAt");
  if (in.endedAt > now) throw ValidationError("endedAt: in the future");
  if (in.endedAt - in.startedAt > kMaxManualSpan)
    throw ValidationError("endedAt: a span is at most 4 hours");
  if (needReason && !isValidTimeReason(in.reason))
    throw ValidationError("reason: not one of the list");
  if (!needReason && !in.reason.empty() && !isValidTimeReason(in.reason))
    throw ValidationError("reason: not one of the list");
}

void refuseOverlap(Connection& c, std::int64_t clinicianId, TimePoint from, TimePoint to,
                   TimePoint now, std::optional<std::int64_t> except) {
  if (auto other = detail::overlappingIn(c, clinicianId, from, to, now, except))
    throw TimeOverlap(*other, "time: overlaps entry " + std::to_string(*other) +
                                  " of the same clinician; entries never overlap");
}

std::optional<std::string> reasonOrNull(const std::string& r) {
  if (r.empty()) return std::nullopt;
  return r;
}

}  // namespace

std::string_view toString(TimeSource source) {
  switch (source) {
    case TimeSource::timer:
      return "timer";
    case TimeSource::manual:
      return "manual";
    case TimeSource::video:
      return "video";
  }
  return "manual";
}

bool isValidTimeReason(std::string_view reason) {
  constexpr std::array<std::string_view, 6> kReasons = {
      "data_review",           "phone_call", "care_coordination", "patient_education",
      "medication_management", "other"};
  return std::find(kReasons.begin(), kReasons.end(), reason) != kReasons.end();
}

int TimeEntry::minutes() const {
  if (!endedAt) return 0;
  return static_cast<int>(
      std::chrono::duration_cast<std::chrono::minutes>(*endedAt - startedAt).count());
}

namespace detail {

std::optional<TimeEntry> entryIn(Connection& c, std::int64_t entryId) {
  auto s = c.prepare(std::string(kEntryColumns) + "WHERE id = ?1");
  s.bind(1, entryId);
  if (!s.step()) return std::nullopt;
  return readEntry(s);
}

std::vector<TimeEntry> entriesIn(Connection& c, std::int64_t patientId, TimePoint from,
                                 TimePoint to) {
  auto s = c.prepare(std::string(kEntryColumns) +
                     "WHERE patient_id = ?1 AND started_at >= ?2 AND started_at < ?3 ORDER BY "
                     "started_at, id");
  s.bindAll(patientId, toMillis(from), toMillis(to));
  std::vector<TimeEntry> out;
  while (s.step()) out.push_back(readEntry(s));
  return out;
}

std::optional<std::int64_t> overlappingIn(Connection& c, std::int64_t clinicianId, TimePoint from,
                                          TimePoint to, TimePoint now,
                                          std::optional<std::int64_t> except) {
  return c.queryValue<std::int64_t>(
      "SELECT id FROM billing_time WHERE clinician_id = ?1 AND deleted_at IS NULL AND id IS "
      "DISTINCT FROM ?5 AND started_at < ?3 AND COALESCE(ended_at, ?4) > ?2 ORDER BY started_at "
      "LIMIT 1",
      clinicianId, toMillis(from), toMillis(to), toMillis(now), except);
}

}  // namespace detail

TimeEntry BillingService::writeEntry(const Actor& actor, std::int64_t patientId,
                                     std::string_view operation, std::string_view breakGlassReason,
                                     const std::function<TimeEntry(Connection&)>& fn) {
  security::AccessGuard guard(db_, audit_);
  return guard.write(
      actor, security::operation(operation), patientId, entryObject(0),
      [&](Connection& c) {
        if (!registry::PatientRepository::existsIn(c, patientId))
          throw NotFound("patient: no such patient");
        return fn(c);
      },
      breakGlassReason);
}

TimeEntry BillingService::startTimer(const Actor& actor, std::int64_t patientId,
                                     std::string_view breakGlassReason) {
  auto e =
      writeEntry(actor, patientId, "billing_time.record", breakGlassReason, [&](Connection& c) {
        if (auto running = c.queryValue<std::int64_t>(
                "SELECT id FROM billing_time WHERE clinician_id = ?1 AND ended_at IS NULL AND "
                "deleted_at IS NULL",
                actor.id))
          throw BillingConflict("timer_running", "timer: one is running already (entry " +
                                                     std::to_string(*running) + "); stop it first");
        const auto now = toMillis(clock_.now());
        refuseOverlap(c, actor.id, fromMillis(now), fromMillis(now + 1), fromMillis(now),
                      std::nullopt);
        c.execute(
            "INSERT INTO billing_time (patient_id, clinician_id, started_at, source, created_by, "
            "created_at, updated_at) VALUES (?1, ?2, ?3, 'timer', ?2, ?3, ?3)",
            patientId, actor.id, now);
        return *detail::entryIn(c, c.lastInsertRowid());
      });
  log::info("billing.timer_started", {{"entry_id", e.id}, {"patient_id", patientId}});
  return e;
}

TimeEntry BillingService::stopTimer(const Actor& actor, std::int64_t patientId,
                                    std::string_view breakGlassReason) {
  return writeEntry(actor, patientId, "billing_time.record", breakGlassReason, [&](Connection& c) {
    auto id = c.queryValue<std::int64_t>(
        "SELECT id FROM billing_time WHERE clinician_id = ?1 AND patient_id = ?2 AND ended_at "
        "IS NULL AND deleted_at IS NULL",
        actor.id, patientId);
    if (!id) throw BillingConflict("no_timer", "timer: none is running on this patient");
    auto e = *detail::entryIn(c, *id);
    auto now = clock_.now();
    if (now <= e.startedAt) now = e.startedAt + std::chrono::milliseconds(1);
    refuseOverlap(c, actor.id, e.startedAt, now, now, *id);
    c.execute("UPDATE billing_time SET ended_at = ?2, updated_at = ?2 WHERE id = ?1", *id,
              toMillis(now));
    return *detail::entryIn(c, *id);
  });
}

TimeEntry BillingService::addManual(const Actor& actor, std::int64_t patientId, const TimeInput& in,
                                    std::string_view breakGlassReason) {
  checkSpan(in, clock_.now(), true);
  return writeEntry(actor, patientId, "billing_time.record", breakGlassReason, [&](Connection& c) {
    const auto now = clock_.now();
    refuseOverlap(c, actor.id, in.startedAt, in.endedAt, now, std::nullopt);
    c.execute(
        "INSERT INTO billing_time (patient_id, clinician_id, started_at, ended_at, source, "
        "interactive, reason, created_by, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, "
        "'manual', ?5, ?6, ?2, ?7, ?7)",
        patientId, actor.id, toMillis(in.startedAt), toMillis(in.endedAt), in.interactive ? 1 : 0,
        in.reason, toMillis(now));
    return *detail::entryIn(c, c.lastInsertRowid());
  });
}

namespace {

/// The entry to change: this patient's, live, and the actor's own or the actor a provider.
TimeEntry changeableIn(Connection& c, const Actor& actor, std::int64_t patientId,
                       std::int64_t entryId) {
  auto e = detail::entryIn(c, entryId);
  if (!e || e->patientId != patientId) throw NotFound("billing time: no such entry");
  if (e->deletedAt) throw BillingConflict("deleted", "billing time: the entry is deleted");
  if (e->clinicianId != actor.id && actor.role != security::Role::provider)
    throw AccessDenied("billing time: only its clinician or a provider changes an entry");
  return *e;
}

void keepOldValues(Connection& c, const TimeEntry& old, std::string_view action, std::int64_t by,
                   TimePoint now) {
  c.execute(
      "INSERT INTO billing_time_revisions (entry_id, action, changed_by, changed_at, "
      "old_started_at, old_ended_at, old_interactive, old_reason) VALUES (?1, ?2, ?3, ?4, ?5, "
      "?6, ?7, ?8)",
      old.id, std::string(action), by, toMillis(now), toMillis(old.startedAt),
      toMillis(old.endedAt), old.interactive ? 1 : 0, old.reason);
}

}  // namespace

TimeEntry BillingService::edit(const Actor& actor, std::int64_t patientId, std::int64_t entryId,
                               const TimeInput& in, std::string_view breakGlassReason) {
  return writeEntry(actor, patientId, "billing_time.edit", breakGlassReason, [&](Connection& c) {
    auto old = changeableIn(c, actor, patientId, entryId);
    if (old.source == TimeSource::video)
      throw BillingConflict("video_entry", "billing time: a video visit's time is the visit's");
    if (!old.endedAt) throw BillingConflict("timer_running", "billing time: stop the timer first");
    const auto now = clock_.now();
    checkSpan(in, now, old.source == TimeSource::manual);
    refuseOverlap(c, old.clinicianId, in.startedAt, in.endedAt, now, entryId);
    keepOldValues(c, old, "edit", actor.id, now);
    c.execute(
        "UPDATE billing_time SET started_at = ?2, ended_at = ?3, interactive = ?4, reason = ?5, "
        "updated_at = ?6 WHERE id = ?1",
        entryId, toMillis(in.startedAt), toMillis(in.endedAt), in.interactive ? 1 : 0,
        reasonOrNull(in.reason), toMillis(now));
    return *detail::entryIn(c, entryId);
  });
}

TimeEntry BillingService::remove(const Actor& actor, std::int64_t patientId, std::int64_t entryId,
                                 std::string_view breakGlassReason) {
  return writeEntry(actor, patientId, "billing_time.edit", breakGlassReason, [&](Connection& c) {
    auto old = changeableIn(c, actor, patientId, entryId);
    const auto now = clock_.now();
    keepOldValues(c, old, "delete", actor.id, now);
    // A running timer that is deleted stops where it is deleted (its span is kept as it was).
    c.execute(
        "UPDATE billing_time SET deleted_at = ?2, deleted_by = ?3, updated_at = ?2, ended_at = "
        "COALESCE(ended_at, max(?2, started_at + 1)) WHERE id = ?1",
        entryId, toMillis(now), actor.id);
    return *detail::entryIn(c, entryId);
  });
}

std::vector<TimeEntry> BillingService::entries(const Actor& actor, std::int64_t patientId,
                                               std::chrono::year_month month,
                                               std::string_view breakGlassReason) {
  security::AccessGuard guard(db_, audit_);
  return guard.read(
      actor, security::operation("billing_time.list"), patientId, entryObject(0),
      [&](Connection& c) {
        const auto zone = detail::zoneOfIn(c, patientId);
        const auto [from, to] = detail::monthBounds(*zone, month);
        return detail::entriesIn(c, patientId, from, to);
      },
      breakGlassReason);
}

std::optional<TimeEntry> BillingService::runningTimer(const Actor& actor) {
  return db_.read([&](Connection& c) -> std::optional<TimeEntry> {
    auto id = c.queryValue<std::int64_t>(
        "SELECT id FROM billing_time WHERE clinician_id = ?1 AND ended_at IS NULL AND deleted_at "
        "IS NULL",
        actor.id);
    if (!id) return std::nullopt;
    return detail::entryIn(c, *id);
  });
}

namespace {

/// The span of a visit's real-time contact: from when both the provider and the patient were
/// in (the later admission) to the visit's end; nullopt when the patient was never admitted.
std::optional<std::pair<TimePoint, TimePoint>> contactSpan(const video::Visit& v) {
  if (!v.endedAt) return std::nullopt;
  std::optional<TimePoint> provider, patient;
  for (const auto& p : v.participants) {
    if (!p.admittedAt) continue;
    if (p.role == video::ParticipantRole::provider && p.userId == v.providerUserId)
      provider = p.admittedAt;
    if (p.role == video::ParticipantRole::patient) patient = p.admittedAt;
  }
  if (!provider || !patient) return std::nullopt;
  const auto from = std::max(*provider, *patient);
  if (*v.endedAt - from < std::chrono::minutes(1)) return std::nullopt;
  return std::make_pair(from, *v.endedAt);
}

}  // namespace

int BillingService::importVisitTime() {
  int added = 0, overlaps = 0;
  db_.writeSync([&](Connection& c) {
    const auto now = clock_.now();
    for (const auto& v : video::VisitService::endedBetweenIn(c, now - kVisitLookBack, now)) {
      if (c.queryValue<std::int64_t>("SELECT id FROM billing_time WHERE visit_id = ?1", v.id))
        continue;
      const auto span = contactSpan(v);
      if (!span) continue;
      if (detail::overlappingIn(c, v.providerUserId, span->first, span->second, now,
                                std::nullopt)) {
        ++overlaps;
        continue;
      }
      c.execute(
          "INSERT INTO billing_time (patient_id, clinician_id, started_at, ended_at, source, "
          "interactive, visit_id, created_by, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, "
          "'video', 1, ?5, 0, ?6, ?6)",
          v.patientId, v.providerUserId, toMillis(span->first), toMillis(span->second), v.id,
          toMillis(now));
      security::AuditEvent e;
      e.actorId = 0;
      e.actorRole = "system";
      e.action = "billing_time.record";
      e.objectType = "billing_time";
      e.objectId = std::to_string(c.lastInsertRowid());
      e.patientId = v.patientId;
      e.reason = "video_visit:" + std::to_string(v.id);
      audit_.append(c, e);
      ++added;
    }
  });
  if (added > 0 || overlaps > 0)
    log::info("billing.visit_time_imported", {{"added", added}, {"overlapping", overlaps}});
  return added;
}

}  // namespace vigil::billing
