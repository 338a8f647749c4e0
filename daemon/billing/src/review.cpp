// The month-end review and approval (billing.hpp). A patient's month is computed from the data
// on one snapshot: the episodes (enrolments and the RPM consent's coverage), the readings' days
// in the patient's zone, the ledger's minutes; approval computes it again inside its write job,
// so what is approved is what the data says at that moment.
//
// Which month a device-supply period belongs to: the month of its last day (a period is billed
// once it is over). A period whose last day is after today (patient's zone) is listed as open
// (exception period_open) and not billed yet. 99453 goes with the episode's first period.
//
// Episodes and their device days: episodes.cpp.

#include <algorithm>
#include <map>
#include <set>

#include "billing_internal.hpp"
#include "vigil/core/log.hpp"
#include "vigil/core/time.hpp"
#include "vigil/licensing/licenses.hpp"
#include "vigil/patients/consent.hpp"
#include "vigil/patients/patient_record.hpp"
#include "vigil/patients/rpm_enrolment.hpp"
#include "vigil/readings/reading_query.hpp"
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
using namespace std::chrono;

namespace {

constexpr const char* kPosHome = "10";
constexpr const char* kPosTelehealth = "02";

bool insuredIn(Connection& c, const patients::PatientRecordService& records,
               std::int64_t patientId) {
  try {
    return records.currentIn(c, patientId, false).insurance.primary.has_value();
  } catch (const NotFound&) {
    return false;
  }
}

void addException(PatientMonth& m, const std::string& word) {
  if (std::find(m.exceptions.begin(), m.exceptions.end(), word) == m.exceptions.end())
    m.exceptions.push_back(word);
}

}  // namespace

bool PatientMonth::approvable() const {
  if (lines.empty() || claimId) return false;
  for (const auto& x : exceptions)
    if (x == "no_npi" || x == "insurance_missing" || x == "consent_missing" || x == "not_enrolled")
      return false;
  return true;
}

namespace {

/// Device supply and set-up for the periods that end in the month.
void addDeviceSupply(Connection& c, PatientMonth& m, const std::vector<detail::Episode>& episodes,
                     const core::TimeZone& zone, Day monthFirst, Day monthLast, Day today) {
  for (const auto& e : episodes) {
    if (e.start > monthLast) continue;
    const auto through = std::min(monthLast, e.last.value_or(monthLast));
    if (through < e.start) continue;
    const auto counted = detail::deviceDaysIn(c, m.patientId, e, zone, e.start, through);
    for (int i = periodIndexOf(e.start, std::max(e.start, monthFirst - days(kPeriodDays)));
         i <= periodIndexOf(e.start, through); ++i) {
      const auto p = periodOf(e.start, i, e.last);
      if (p.last < monthFirst || p.last > monthLast) continue;
      DevicePeriod dp;
      dp.enrolmentId = e.enrolmentId;
      dp.period = p;
      if (auto it = counted.find(i); it != counted.end())
        for (auto d : it->second) dp.days.push_back(formatDay(d));
      const int n = static_cast<int>(dp.days.size());
      dp.complete = p.last < today;
      dp.code = deviceSupplyCode(n);
      dp.setup = i == 0 && setupBillable(n);
      if (!dp.complete) {
        addException(m, "period_open");
      } else {
        if (!dp.code) addException(m, "too_few_days");
        const auto dos = formatDay(p.last);
        if (dp.setup)
          m.lines.push_back({"99453", 1, dos, kPosHome, "", detail::chargeOfIn(c, "99453")});
        if (dp.code)
          m.lines.push_back({*dp.code, 1, dos, kPosHome, "", detail::chargeOfIn(c, *dp.code)});
      }
      m.periods.push_back(std::move(dp));
    }
  }
}

/// The ledger's minutes of the month and the treatment-management codes.
void addTreatment(Connection& c, PatientMonth& m, const core::TimeZone& zone, TimePoint from,
                  TimePoint to, Day monthLast, bool enrolledInMonth) {
  std::map<std::int64_t, milliseconds> by;
  milliseconds total{0};
  std::optional<TimePoint> contact;
  for (const auto& e : detail::entriesIn(c, m.patientId, from, to)) {
    if (e.deletedAt || !e.endedAt) continue;
    const auto span = duration_cast<milliseconds>(*e.endedAt - e.startedAt);
    by[e.clinicianId] += span;
    total += span;
    if (e.interactive && (!contact || e.startedAt < *contact)) contact = e.startedAt;
  }
  m.minutes = static_cast<int>(duration_cast<minutes>(total).count());
  for (const auto& [who, ms] : by)
    m.minutesBy.push_back({who, static_cast<int>(duration_cast<minutes>(ms).count())});
  if (contact) m.interactiveContact = formatDay(localDay(zone, *contact));
  if (m.minutes >= kShortTreatmentMinutes && !contact) addException(m, "no_interactive_contact");
  if (!enrolledInMonth) {
    if (m.minutes > 0) addException(m, "not_enrolled");
    return;
  }
  const auto dos = formatDay(monthLast);
  for (const auto& cu : treatmentManagementCodes(m.minutes, contact.has_value()))
    m.lines.push_back(
        {cu.code, cu.units, dos, kPosHome, "", detail::chargeOfIn(c, cu.code) * cu.units});
}

}  // namespace

PatientMonth BillingService::patientMonthIn(Connection& c, std::int64_t patientId,
                                            year_month month) const {
  PatientMonth m;
  m.patientId = patientId;
  const auto zone = detail::zoneOfIn(c, patientId);
  m.timeZone = zone->name();
  const Day monthFirst{month / 1};
  const Day monthLast{month / last};
  const auto [from, to] = detail::monthBounds(*zone, month);
  const auto today = localDay(*zone, clock_.now());
  const auto episodes = detail::episodesIn(c, patientId, *zone);

  bool enrolledInMonth = false;
  for (const auto& e : episodes)
    for (const auto& [a, b] : e.covered)
      if (a < to && b > from) enrolledInMonth = true;

  addDeviceSupply(c, m, episodes, *zone, monthFirst, monthLast, today);
  addTreatment(c, m, *zone, from, to, monthLast, enrolledInMonth);

  // The billing provider: the enrolling provider of the latest episode that reaches the month.
  for (const auto& e : episodes) {
    if (e.start > monthLast) continue;
    for (const auto& cond : e.conditions)
      if (std::find(m.diagnosisCodes.begin(), m.diagnosisCodes.end(), cond) ==
          m.diagnosisCodes.end())
        m.diagnosisCodes.push_back(cond);
    m.billingProviderId = e.enrolledBy;
  }
  // Enrolled in the month, but the RPM consent did not cover it: consent_missing.
  if (!enrolledInMonth) {
    for (const auto& e : episodes)
      if (e.start <= monthLast && (!e.last || *e.last >= monthFirst))
        addException(m, "consent_missing");
  }
  if (m.billingProviderId) {
    m.billingNpi = licensing::LicenseService::npiIn(c, *m.billingProviderId);
    if (!m.billingNpi) addException(m, "no_npi");
  }
  if (!insuredIn(c, records_, patientId)) addException(m, "insurance_missing");
  if (auto claim = c.queryValue<std::int64_t>(
          "SELECT id FROM claims WHERE kind = 'rpm_month' AND patient_id = ?1 AND "
          "service_month = ?2",
          patientId, formatMonth(month))) {
    m.claimId = claim;
    m.claimStatus = c.queryValue<std::string>("SELECT status FROM claims WHERE id = ?1", *claim);
  }
  return m;
}

MonthReview BillingService::reviewIn(Connection& c, const std::vector<std::int64_t>& patients,
                                     year_month month) const {
  MonthReview r;
  r.month = formatMonth(month);
  std::set<std::int64_t> listed(patients.begin(), patients.end());
  for (auto id : patients) {
    auto m = patientMonthIn(c, id, month);
    if (m.periods.empty() && m.minutes == 0 && !m.claimId) continue;
    r.patients.push_back(std::move(m));
  }
  // Completed video visits of the month (UTC month, widened by the zones' offsets, then each
  // visit's date read in its patient's zone).
  const auto from = detail::utcMidnight(Day{month / 1}) - days(1);
  const auto to = detail::utcMidnight(Day{month / last} + days(2));
  for (const auto& v : video::VisitService::endedBetweenIn(c, from, to)) {
    if (!listed.count(v.patientId) || !v.endedAt) continue;
    const auto zone = detail::zoneOfIn(c, v.patientId);
    const auto day = localDay(*zone, *v.endedAt);
    if (year_month_day(day).year() / year_month_day(day).month() != month) continue;
    VisitForBilling b;
    b.visitId = v.id;
    b.patientId = v.patientId;
    b.providerId = v.providerUserId;
    b.date = formatDay(day);
    b.minutes = static_cast<int>(duration_cast<minutes>(*v.endedAt - v.startsAt).count());
    if (auto t = c.queryValue<std::int64_t>(
            "SELECT ended_at - started_at FROM billing_time WHERE visit_id = ?1", v.id))
      b.minutes = static_cast<int>(*t / 60000);
    b.npi = licensing::LicenseService::npiIn(c, v.providerUserId);
    b.insured = insuredIn(c, records_, v.patientId);
    b.claimId = c.queryValue<std::int64_t>(
        "SELECT id FROM claims WHERE kind = 'visit' AND visit_id = ?1", v.id);
    r.visits.push_back(b);
  }
  return r;
}

MonthReview BillingService::review(const Actor& actor, year_month month) {
  importVisitTime();
  security::AccessGuard guard(db_, audit_);
  return guard.read(actor, security::operation("billing.review"), std::nullopt,
                    {"billing_month", formatMonth(month)}, [&](Connection& c) {
                      std::vector<std::int64_t> ids;
                      std::set<std::int64_t> all;
                      for (auto id : patients::RpmEnrolmentService::enrolledPatientsIn(c))
                        all.insert(id);
                      for (const auto& v : video::VisitService::endedBetweenIn(
                               c, detail::utcMidnight(Day{month / 1}) - days(1),
                               detail::utcMidnight(Day{month / last} + days(2))))
                        all.insert(v.patientId);
                      const bool everyone = actor.role == security::Role::admin;
                      security::SqliteCareTeam team(c);
                      for (auto id : all)
                        if (everyone || team.isAssigned(actor.id, id)) ids.push_back(id);
                      return reviewIn(c, ids, month);
                    });
}

namespace {

Approval insertClaimIn(Connection& c, std::int64_t patientId, const std::string& kind,
                       const std::optional<std::string>& month, std::optional<std::int64_t> visit,
                       std::int64_t provider, const std::string& npi,
                       const std::vector<std::string>& diagnoses,
                       const std::vector<ProposedLine>& lines, std::int64_t by, TimePoint now) {
  std::int64_t total = 0;
  for (const auto& l : lines) total += l.chargeCents;
  const auto changed = c.execute(
      "INSERT INTO claims (patient_id, kind, service_month, visit_id, billing_provider_id, "
      "rendering_provider_id, billing_npi, rendering_npi, diagnosis_codes, total_cents, status, "
      "status_at, approved_by, approved_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6, ?6, ?7, ?8, "
      "'approved', ?9, ?10, ?9) ON CONFLICT DO NOTHING",
      patientId, kind, month, visit, provider, npi, detail::join(diagnoses), total, toMillis(now),
      by);
  if (changed == 0) {
    auto existing = kind == "visit"
                        ? c.queryValue<std::int64_t>(
                              "SELECT id FROM claims WHERE kind = 'visit' AND visit_id = ?1", visit)
                        : c.queryValue<std::int64_t>(
                              "SELECT id FROM claims WHERE kind = 'rpm_month' AND patient_id = "
                              "?1 AND service_month = ?2",
                              patientId, month);
    return {existing.value_or(0), false};
  }
  const auto id = c.lastInsertRowid();
  int n = 0;
  for (const auto& l : lines)
    c.execute(
        "INSERT INTO claim_lines (claim_id, line_no, code, modifiers, units, service_date, "
        "place_of_service, charge_cents) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        id, ++n, l.code, l.modifiers, l.units, l.serviceDate, l.placeOfService, l.chargeCents);
  c.execute(
      "INSERT INTO claim_status_events (claim_id, status, detail, at, by_user, source) VALUES "
      "(?1, 'approved', NULL, ?2, ?3, 'approval')",
      id, toMillis(now), by);
  return {id, true};
}

bool isEmCode(std::string_view code) {
  for (std::string_view em :
       {"99202", "99203", "99204", "99205", "99212", "99213", "99214", "99215"})
    if (code == em) return true;
  return false;
}

}  // namespace

Approval BillingService::approveMonth(const Actor& actor, std::int64_t patientId, year_month month,
                                      std::string_view breakGlassReason) {
  security::AccessGuard guard(db_, audit_);
  auto a = guard.write(
      actor, security::operation("billing.approve"), patientId,
      {"billing_month", formatMonth(month)},
      [&](Connection& c) {
        auto m = patientMonthIn(c, patientId, month);
        if (m.claimId) return Approval{*m.claimId, false};
        if (!m.approvable())
          throw BillingConflict("not_approvable",
                                "billing: nothing to bill for this month, or an exception (" +
                                    detail::join(m.exceptions, ", ") + ") stops the claim");
        return insertClaimIn(c, patientId, "rpm_month", formatMonth(month), std::nullopt,
                             *m.billingProviderId, *m.billingNpi, m.diagnosisCodes, m.lines,
                             actor.id, clock_.now());
      },
      breakGlassReason);
  if (a.created) log::info("billing.month_approved", {{"claim_id", a.claimId}});
  return a;
}

Approval BillingService::approveVisit(const Actor& actor, std::int64_t visitId,
                                      const std::string& emCode,
                                      const std::vector<std::string>& diagnoses) {
  if (!isEmCode(emCode)) throw ValidationError("emCode: not an office/outpatient E/M code");
  if (diagnoses.size() > 12) throw ValidationError("diagnosisCodes: at most 12");
  for (const auto& d : diagnoses)
    if (!patients::validIcd10Cm(d)) throw ValidationError("diagnosisCodes: not ICD-10-CM");
  const auto visit =
      db_.read([&](Connection& c) { return video::VisitService::findIn(c, visitId); });
  if (!visit) throw NotFound("visit: no such visit");
  security::AccessGuard guard(db_, audit_);
  return guard.write(
      actor, security::operation("billing.approve"), visit->patientId,
      {"visit", std::to_string(visitId)}, [&](Connection& c) {
        auto v = video::VisitService::findIn(c, visitId);
        if (!v || v->state != video::VisitState::ended || !v->endedAt)
          throw BillingConflict("not_approvable", "billing: the visit has not ended");
        if (auto existing = c.queryValue<std::int64_t>(
                "SELECT id FROM claims WHERE kind = 'visit' AND visit_id = ?1", visitId))
          return Approval{*existing, false};
        auto npi = licensing::LicenseService::npiIn(c, v->providerUserId);
        if (!npi) throw BillingConflict("not_approvable", "billing: the provider has no NPI");
        if (!insuredIn(c, records_, v->patientId))
          throw BillingConflict("not_approvable", "billing: the patient has no insurance");
        auto dx = diagnoses;
        if (dx.empty()) {
          const auto zone = detail::zoneOfIn(c, v->patientId);
          for (const auto& e : detail::episodesIn(c, v->patientId, *zone))
            dx.insert(dx.end(), e.conditions.begin(), e.conditions.end());
        }
        if (dx.empty()) throw ValidationError("diagnosisCodes: at least one");
        const auto zone = detail::zoneOfIn(c, v->patientId);
        const ProposedLine line{emCode,         1,    formatDay(localDay(*zone, *v->endedAt)),
                                kPosTelehealth, "95", detail::chargeOfIn(c, emCode)};
        return insertClaimIn(c, v->patientId, "visit", std::nullopt, visitId, v->providerUserId,
                             *npi, dx, {line}, actor.id, clock_.now());
      });
}

}  // namespace vigil::billing
