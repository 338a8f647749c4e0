// RPM enrolment (see rpm_enrolment.hpp). The billing query (enrolmentsIn) intersects three sets
// of intervals in memory: the episodes, the RPM signatures' coverage, and [from, to). A patient
// has a handful of episodes and signatures, so reading them all and merging in C++ is simpler
// and clearer than one SQL statement, and costs nothing measurable.

#include "vigil/patients/rpm_enrolment.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <set>

#include "vigil/core/time.hpp"
#include "vigil/crypto/field_cipher.hpp"
#include "vigil/registry/registry.hpp"
#include "vigil/security/access_guard.hpp"
#include "vigil/security/audit_log.hpp"
#include "vigil/security/encrypted_fields.hpp"
#include "vigil/store/database.hpp"
#include "vigil/store/sqlite.hpp"

namespace vigil::patients {

using core::fromMillis;
using core::toMillis;
using security::Actor;
using store::Connection;

namespace {

constexpr std::size_t kMaxDevices = 16;
constexpr auto kDay = std::chrono::hours(24);

crypto::FieldRef descriptionRef(std::int64_t id) {
  const auto& field = security::encryptedField("rpm_enrolments", "description");
  return {std::string(field.table), std::string(field.column), std::to_string(id)};
}

/// "YYYY-MM-DD" of an instant, in UTC.
std::string utcDate(TimePoint t) {
  return core::formatUtc(t).substr(0, 10);
}

/// A date's 00:00 UTC; ValidationError naming the field if it is not a real YYYY-MM-DD date.
TimePoint dateStart(const std::string& date, const char* field) {
  auto t = core::parseDate(date);
  if (!t || date.size() != 10) throw ValidationError(std::string(field) + ": a date YYYY-MM-DD");
  return *t;
}

struct Interval {
  TimePoint from, until;
};

/// The union of intervals, sorted and merged.
std::vector<Interval> merged(std::vector<Interval> in) {
  std::sort(in.begin(), in.end(),
            [](const Interval& a, const Interval& b) { return a.from < b.from; });
  std::vector<Interval> out;
  for (const auto& i : in) {
    if (i.until <= i.from) continue;
    if (!out.empty() && i.from <= out.back().until) {
      out.back().until = std::max(out.back().until, i.until);
    } else {
      out.push_back(i);
    }
  }
  return out;
}

/// When each of the patient's RPM signatures was in force: from signing until withdrawal or the
/// publication of a later version asking everyone to sign again.
std::vector<Interval> consentCoverageIn(Connection& c, std::int64_t patientId) {
  std::vector<std::pair<int, TimePoint>> resigns;  // version, published at
  {
    auto s = c.prepare(
        "SELECT version, published_at FROM consent_documents WHERE kind = 'rpm' AND "
        "requires_resign = 1 ORDER BY version");
    while (s.step()) resigns.emplace_back(s.get<int>(0), fromMillis(s.get<std::int64_t>(1)));
  }
  std::vector<Interval> out;
  auto s = c.prepare(
      "SELECT version, signed_at, withdrawn_at FROM consents WHERE patient_id = ?1 AND "
      "kind = 'rpm'");
  s.bind(1, patientId);
  while (s.step()) {
    const int version = s.get<int>(0);
    Interval i{fromMillis(s.get<std::int64_t>(1)), TimePoint::max()};
    if (auto w = s.get<std::optional<std::int64_t>>(2)) i.until = fromMillis(*w);
    for (const auto& [v, at] : resigns)
      if (v > version) {
        i.until = std::min(i.until, at);
        break;
      }
    out.push_back(i);
  }
  return merged(std::move(out));
}

std::vector<EnrolmentDevice> devicesOfIn(Connection& c, std::int64_t enrolmentId) {
  std::vector<std::int64_t> ids;
  auto s = c.prepare(
      "SELECT device_id FROM rpm_enrolment_devices WHERE enrolment_id = ?1 ORDER BY device_id");
  s.bind(1, enrolmentId);
  while (s.step()) ids.push_back(s.get<std::int64_t>(0));
  std::vector<EnrolmentDevice> out;
  for (auto id : ids)
    if (auto d = registry::DeviceRegistry::findIn(c, id))
      out.push_back({d->id, d->uid, registry::toString(d->kind), d->model});
  return out;
}

}  // namespace

std::string_view toString(EnrolmentEndReason reason) {
  switch (reason) {
    case EnrolmentEndReason::completed:
      return "completed";
    case EnrolmentEndReason::consentWithdrawn:
      return "consent_withdrawn";
    case EnrolmentEndReason::patientRequest:
      return "patient_request";
    case EnrolmentEndReason::notMedicallyNecessary:
      return "not_medically_necessary";
    case EnrolmentEndReason::other:
      return "other";
  }
  return "other";
}

std::optional<EnrolmentEndReason> parseEnrolmentEndReason(std::string_view name) {
  for (auto r : {EnrolmentEndReason::completed, EnrolmentEndReason::consentWithdrawn,
                 EnrolmentEndReason::patientRequest, EnrolmentEndReason::notMedicallyNecessary,
                 EnrolmentEndReason::other})
    if (toString(r) == name) return r;
  return std::nullopt;
}

RpmEnrolmentService::RpmEnrolmentService(store::Database& db, security::AuditLog& audit,
                                         const crypto::FieldCipher& cipher, Clock& clock)
    : db_(db), audit_(audit), cipher_(cipher), clock_(clock) {}

std::vector<Enrolment> RpmEnrolmentService::enrolmentsOfIn(Connection& c,
                                                           std::int64_t patientId) const {
  auto s = c.prepare(
      "SELECT id, condition_code, description_enc, start_date, enrolled_by, enrolled_at, "
      "end_date, end_reason, ended_at, ended_by FROM rpm_enrolments WHERE patient_id = ?1 "
      "ORDER BY start_date DESC, id DESC");
  s.bind(1, patientId);
  std::vector<Enrolment> out;
  while (s.step()) {
    Enrolment e;
    e.id = s.get<std::int64_t>(0);
    e.patientId = patientId;
    e.conditionCode = s.get<std::string>(1);
    if (auto b = s.get<std::optional<store::Blob>>(2))
      e.conditionDescription = cipher_.decryptText(descriptionRef(e.id), *b);
    e.startDate = s.get<std::string>(3);
    e.enrolledBy = s.get<std::int64_t>(4);
    e.enrolledAt = fromMillis(s.get<std::int64_t>(5));
    e.endDate = s.get<std::optional<std::string>>(6);
    if (auto r = s.get<std::optional<std::string>>(7)) e.endReason = parseEnrolmentEndReason(*r);
    if (auto v = s.get<std::optional<std::int64_t>>(8)) e.endedAt = fromMillis(*v);
    e.endedBy = s.get<std::optional<std::int64_t>>(9);
    out.push_back(std::move(e));
  }
  for (auto& e : out) e.devices = devicesOfIn(c, e.id);
  return out;
}

Enrolment RpmEnrolmentService::enrolIn(Connection& c, const Actor& actor, std::int64_t patientId,
                                       const NewEnrolment& e) {
  if (!ConsentService::hasActiveConsentIn(c, patientId, ConsentKind::rpm))
    throw ConsentRequired(ConsentKind::rpm);
  std::set<std::int64_t> assigned;
  for (const auto& a : registry::DeviceRegistry::currentForPatientIn(c, patientId))
    assigned.insert(a.deviceId);
  for (auto id : e.deviceIds)
    if (assigned.count(id) == 0)
      throw ValidationError("deviceIds: each device must be assigned to the patient now");
  const auto now = clock_.now();
  try {
    c.execute(
        "INSERT INTO rpm_enrolments (patient_id, condition_code, start_date, enrolled_by, "
        "enrolled_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        patientId, e.conditionCode, e.startDate, actor.id, toMillis(now));
  } catch (const store::DbError& err) {
    if (!err.isConstraint()) throw;
    throw EnrolmentConflict("already_enrolled",
                            "enrolment: the patient is already enrolled for this condition");
  }
  const auto id = c.lastInsertRowid();
  c.execute("UPDATE rpm_enrolments SET description_enc = ?2 WHERE id = ?1", id, [&] {
    auto b = cipher_.encrypt(descriptionRef(id), e.conditionDescription);
    return store::Blob(b.begin(), b.end());
  }());
  for (auto deviceId : std::set<std::int64_t>(e.deviceIds.begin(), e.deviceIds.end()))
    c.execute("INSERT INTO rpm_enrolment_devices (enrolment_id, device_id) VALUES (?1, ?2)", id,
              deviceId);
  for (auto& got : enrolmentsOfIn(c, patientId))
    if (got.id == id) return got;
  throw StoreError("enrolment: the row just written is missing");
}

Enrolment RpmEnrolmentService::enrol(const Actor& actor, std::int64_t patientId,
                                     const NewEnrolment& e, std::string_view breakGlassReason) {
  if (!validIcd10Cm(e.conditionCode))
    throw ValidationError("conditionCode: an ICD-10-CM code such as I10 or I50.9");
  if (e.conditionDescription.empty() || e.conditionDescription.size() > 200 ||
      std::all_of(e.conditionDescription.begin(), e.conditionDescription.end(),
                  [](char ch) { return std::isspace(static_cast<unsigned char>(ch)) != 0; }))
    throw ValidationError("conditionDescription: 1 to 200 characters");
  if (e.deviceIds.empty() || e.deviceIds.size() > kMaxDevices)
    throw ValidationError("deviceIds: 1 to 16 devices");
  const auto start = dateStart(e.startDate, "startDate");
  if (start > clock_.now() + 30 * kDay) throw ValidationError("startDate: at most 30 days ahead");
  const auto reason = db_.read([&](Connection& c) {
    return security::AccessGuard::breakGlassReasonIn(c, actor, patientId, breakGlassReason,
                                                     clock_.now());
  });
  security::AccessGuard guard(db_, audit_);
  return guard.write(
      actor, security::operation("rpm_enrolment.create"), patientId,
      {"rpm_enrolment", e.conditionCode},
      [&](Connection& c) { return enrolIn(c, actor, patientId, e); }, reason);
}

Enrolment RpmEnrolmentService::end(const Actor& actor, std::int64_t patientId,
                                   std::int64_t enrolmentId, const std::string& endDate,
                                   EnrolmentEndReason why, std::string_view breakGlassReason) {
  if (why == EnrolmentEndReason::consentWithdrawn)
    throw ValidationError("reason: consent_withdrawn is recorded by the consent's withdrawal");
  const auto endStart = dateStart(endDate, "endDate");
  if (endStart > clock_.now()) throw ValidationError("endDate: not after today");
  const auto reason = db_.read([&](Connection& c) {
    return security::AccessGuard::breakGlassReasonIn(c, actor, patientId, breakGlassReason,
                                                     clock_.now());
  });
  security::AccessGuard guard(db_, audit_);
  return guard.write(
      actor, security::operation("rpm_enrolment.end"), patientId,
      {"rpm_enrolment", std::to_string(enrolmentId)},
      [&](Connection& c) {
        auto all = enrolmentsOfIn(c, patientId);
        auto it = std::find_if(all.begin(), all.end(),
                               [&](const Enrolment& x) { return x.id == enrolmentId; });
        if (it == all.end()) throw NotFound("enrolment: no such enrolment of this patient");
        if (!it->active())
          throw EnrolmentConflict("already_ended", "enrolment: this enrolment has ended");
        if (endDate < it->startDate)
          throw ValidationError("endDate: not before the enrolment's start");
        c.execute(
            "UPDATE rpm_enrolments SET end_date = ?2, end_reason = ?3, ended_at = ?4, "
            "ended_by = ?5 WHERE id = ?1",
            enrolmentId, endDate, std::string(toString(why)), toMillis(clock_.now()), actor.id);
        for (auto& got : enrolmentsOfIn(c, patientId))
          if (got.id == enrolmentId) return got;
        throw StoreError("enrolment: the row just written is missing");
      },
      reason);
}

PatientEnrolments RpmEnrolmentService::enrolments(const Actor& actor, std::int64_t patientId,
                                                  std::string_view breakGlassReason) {
  const auto reason = db_.read([&](Connection& c) {
    return security::AccessGuard::breakGlassReasonIn(c, actor, patientId, breakGlassReason,
                                                     clock_.now());
  });
  security::AccessGuard guard(db_, audit_);
  return guard.read(
      actor, security::operation("rpm_enrolment.list"), patientId,
      {"rpm_enrolment", std::to_string(patientId)},
      [&](Connection& c) {
        PatientEnrolments out;
        out.enrolments = enrolmentsOfIn(c, patientId);
        out.consentActive = ConsentService::hasActiveConsentIn(c, patientId, ConsentKind::rpm);
        return out;
      },
      reason);
}

std::vector<std::int64_t> RpmEnrolmentService::endAllForWithdrawalIn(Connection& c,
                                                                     security::AuditLog& audit,
                                                                     const Actor& actor,
                                                                     std::int64_t patientId,
                                                                     TimePoint now) {
  std::vector<std::pair<std::int64_t, std::string>> active;  // id, start date
  {
    auto s = c.prepare(
        "SELECT id, start_date FROM rpm_enrolments WHERE patient_id = ?1 AND end_date IS NULL");
    s.bind(1, patientId);
    while (s.step()) active.emplace_back(s.get<std::int64_t>(0), s.get<std::string>(1));
  }
  std::vector<std::int64_t> ended;
  const auto today = utcDate(now);
  for (const auto& [id, start] : active) {
    // An episode set to start later than today ends on its start date (a one-day episode
    // cannot be shorter), so the end is never before the start.
    c.execute(
        "UPDATE rpm_enrolments SET end_date = ?2, end_reason = 'consent_withdrawn', "
        "ended_at = ?3, ended_by = ?4 WHERE id = ?1",
        id, std::max(today, start), toMillis(now), actor.id);
    security::AuditEvent event;
    event.actorId = actor.id;
    event.actorRole = std::string(security::toString(actor.role));
    event.action = "rpm_enrolment.end";
    event.objectType = "rpm_enrolment";
    event.objectId = std::to_string(id);
    event.patientId = patientId;
    event.reason = "consent_withdrawn";
    audit.append(c, event);
    ended.push_back(id);
  }
  return ended;
}

std::vector<EnrolmentPeriod> RpmEnrolmentService::enrolmentsIn(Connection& c,
                                                               std::int64_t patientId,
                                                               TimePoint from, TimePoint to) {
  const auto coverage = consentCoverageIn(c, patientId);
  auto s = c.prepare(
      "SELECT id, condition_code, start_date, end_date, enrolled_by FROM rpm_enrolments WHERE "
      "patient_id = ?1 ORDER BY start_date, id");
  s.bind(1, patientId);
  std::vector<EnrolmentPeriod> out;
  while (s.step()) {
    const auto id = s.get<std::int64_t>(0);
    const auto code = s.get<std::string>(1);
    const auto start = s.get<std::string>(2);
    auto episodeFrom = core::parseDate(start).value_or(TimePoint::max());
    auto episodeUntil = TimePoint::max();
    const auto endDate = s.get<std::optional<std::string>>(3);
    const auto by = s.get<std::int64_t>(4);
    if (endDate) episodeUntil = core::parseDate(*endDate).value_or(episodeFrom) + kDay;
    const auto lo = std::max(episodeFrom, from);
    const auto hi = std::min(episodeUntil, to);
    for (const auto& covered : coverage) {
      const auto a = std::max(lo, covered.from);
      const auto b = std::min(hi, covered.until);
      if (a < b) out.push_back({id, code, start, a, b, endDate, by});
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const EnrolmentPeriod& x, const EnrolmentPeriod& y) {
    return x.from < y.from;
  });
  return out;
}

std::vector<std::int64_t> RpmEnrolmentService::enrolledPatientsIn(Connection& c) {
  auto s = c.prepare("SELECT DISTINCT patient_id FROM rpm_enrolments ORDER BY patient_id");
  std::vector<std::int64_t> out;
  while (s.step()) out.push_back(s.get<std::int64_t>(0));
  return out;
}

bool RpmEnrolmentService::isEnrolledIn(Connection& c, std::int64_t patientId) {
  return ConsentService::hasActiveConsentIn(c, patientId, ConsentKind::rpm) &&
         c.queryValue<std::int64_t>(
              "SELECT count(*) FROM rpm_enrolments WHERE patient_id = ?1 AND end_date IS NULL",
              patientId)
                 .value_or(0) > 0;
}

}  // namespace vigil::patients
