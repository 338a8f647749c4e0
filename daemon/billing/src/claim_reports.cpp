// What the billing page shows of the clearinghouse (clearinghouse.hpp): one claim's sendings and
// postings (claim.list, the care team's patients for providers), and the admins' reports
// (billing.report): claims by status, denial reasons, days to payment, the monthly trend and RPM
// enrolment against billing per month.
// Days to payment run from a claim's first sending to its first posted payment (the box's
// clock at each, so they are the box's days, not the payer's check dates).

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <tuple>

#include "billing_internal.hpp"
#include "vigil/core/time.hpp"
#include "vigil/patients/rpm_enrolment.hpp"
#include "vigil/security/access_guard.hpp"
#include "vigil/store/database.hpp"

namespace vigil::billing {

using core::fromMillis;
using security::Actor;
using store::Connection;

namespace {

constexpr double kMsPerDay = 86'400'000.0;

std::vector<Posting> postingsIn(Connection& c, std::int64_t claimId) {
  std::vector<Posting> out;
  std::vector<std::int64_t> ids;
  auto s = c.prepare(
      "SELECT rc.id, r.trace_number, r.payer_name, r.payment_date, rc.status_code, rc.outcome, "
      "rc.charge_cents, rc.paid_cents, rc.patient_resp_cents, rc.payer_claim_control, "
      "rc.balanced, rc.posted_at FROM remittance_claims rc JOIN remittances r ON r.id = "
      "rc.remittance_id WHERE rc.claim_id = ?1 ORDER BY rc.id");
  s.bind(1, claimId);
  while (s.step()) {
    ids.push_back(s.get<std::int64_t>(0));
    Posting p;
    p.traceNumber = s.get<std::string>(1);
    p.payerName = s.get<std::string>(2);
    p.paymentDate = s.get<std::string>(3);
    p.statusCode = s.get<std::string>(4);
    p.outcome = s.get<std::string>(5);
    p.chargeCents = s.get<std::int64_t>(6);
    p.paidCents = s.get<std::int64_t>(7);
    p.patientResponsibilityCents = s.get<std::int64_t>(8);
    p.payerClaimControl = s.get<std::string>(9);
    p.balanced = s.get<std::int64_t>(10) != 0;
    p.postedAt = fromMillis(s.get<std::int64_t>(11));
    out.push_back(std::move(p));
  }
  for (std::size_t i = 0; i < ids.size(); ++i) {
    auto l = c.prepare(
        "SELECT line_no, procedure_code, charge_cents, paid_cents, units FROM remittance_lines "
        "WHERE remittance_claim_id = ?1 ORDER BY id");
    l.bind(1, ids[i]);
    while (l.step()) {
      PostedLine pl;
      if (auto n = l.get<std::optional<std::int64_t>>(0)) pl.lineNo = static_cast<int>(*n);
      pl.procedureCode = l.get<std::string>(1);
      pl.chargeCents = l.get<std::int64_t>(2);
      pl.paidCents = l.get<std::int64_t>(3);
      pl.units = l.get<double>(4);
      out[i].lines.push_back(std::move(pl));
    }
    auto a = c.prepare(
        "SELECT rl.line_no, a.group_code, a.reason_code, a.amount_cents, a.remittance_line_id "
        "FROM remittance_adjustments a LEFT JOIN remittance_lines rl ON rl.id = "
        "a.remittance_line_id WHERE a.remittance_claim_id = ?1 ORDER BY a.id");
    a.bind(1, ids[i]);
    while (a.step()) {
      PostedAdjustment pa;
      if (a.get<std::optional<std::int64_t>>(4)) {
        const auto n = a.get<std::optional<std::int64_t>>(0);
        pa.lineNo = n ? static_cast<int>(*n) : 0;
      }
      pa.group = a.get<std::string>(1);
      pa.reason = a.get<std::string>(2);
      pa.amountCents = a.get<std::int64_t>(3);
      out[i].adjustments.push_back(std::move(pa));
    }
  }
  return out;
}

/// RPM enrolment and billing for the 12 months to the one holding `now` (UTC months): enrolled
/// from patients' own enrolment periods (patients' reads), claimed from the claims.
std::vector<EnrolmentMonth> enrolmentMonthsIn(Connection& c, TimePoint now) {
  using namespace std::chrono;
  const year_month_day today(floor<days>(now));
  const year_month last = today.year() / today.month();
  std::vector<EnrolmentMonth> out;
  std::vector<std::pair<TimePoint, TimePoint>> bounds;
  for (int i = 11; i >= 0; --i) {
    const year_month m = last - months(i);
    const TimePoint from(sys_days(m / 1));
    const TimePoint to(sys_days((m + months(1)) / 1));
    bounds.emplace_back(from, to);
    char label[8];
    std::snprintf(label, sizeof label, "%04d-%02u", static_cast<int>(m.year()),
                  static_cast<unsigned>(m.month()));
    out.push_back({label, 0, 0});
  }
  for (auto patientId : patients::RpmEnrolmentService::enrolledPatientsIn(c)) {
    const auto periods = patients::RpmEnrolmentService::enrolmentsIn(
        c, patientId, bounds.front().first, bounds.back().second);
    for (std::size_t i = 0; i < bounds.size(); ++i)
      for (const auto& p : periods)
        if (p.from < bounds[i].second && p.until > bounds[i].first) {
          ++out[i].enrolled;
          break;
        }
  }
  auto s = c.prepare(
      "SELECT service_month, count(DISTINCT patient_id) FROM claims WHERE kind = 'rpm_month' "
      "AND service_month BETWEEN ?1 AND ?2 GROUP BY service_month");
  s.bind(1, out.front().month);
  s.bind(2, out.back().month);
  while (s.step()) {
    const auto month = s.get<std::string>(0);
    for (auto& m : out)
      if (m.month == month) m.claimed = s.get<std::int64_t>(1);
  }
  return out;
}

std::optional<double> median(std::vector<double> v) {
  if (v.empty()) return std::nullopt;
  std::sort(v.begin(), v.end());
  const auto n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/// The month a claim counts in: its service month, a visit's approval month.
constexpr const char* kMonthOf =
    "COALESCE(k.service_month, strftime('%Y-%m', k.approved_at / 1000, 'unixepoch'))";

}  // namespace

std::vector<DenialReasonTally> detail::denialReasonsIn(
    Connection& c, std::optional<std::pair<TimePoint, TimePoint>> posted,
    const ReportScope& scope) {
  std::string sql =
      "SELECT a.group_code, a.reason_code, rc.claim_id, a.amount_cents, k.patient_id FROM "
      "remittance_adjustments a JOIN remittance_claims rc ON rc.id = a.remittance_claim_id "
      "LEFT JOIN claims k ON k.id = rc.claim_id WHERE rc.outcome = 'denied'";
  if (posted) sql += " AND rc.posted_at >= ?1 AND rc.posted_at < ?2";
  auto d = c.prepare(sql);
  if (posted) d.bindAll(core::toMillis(posted->first), core::toMillis(posted->second));
  std::map<std::pair<std::string, std::string>, DenialReasonTally> byReason;
  std::set<std::pair<std::pair<std::string, std::string>, std::int64_t>> counted;
  while (d.step()) {
    const auto patient = d.get<std::optional<std::int64_t>>(4).value_or(0);
    if (!scope.coversPatient(patient)) continue;
    const std::pair key{d.get<std::string>(0), d.get<std::string>(1)};
    auto& t = byReason[key];
    t.amountCents += d.get<std::int64_t>(3);
    // A claim counts once per reason, however many of its lines carry it.
    if (auto claim = d.get<std::optional<std::int64_t>>(2);
        claim && counted.insert({key, *claim}).second)
      t.claims.add(patient);
  }
  std::vector<DenialReasonTally> out;
  for (auto& [key, t] : byReason) {
    t.group = key.first;
    t.reason = key.second;
    t.claims.finish();
    out.push_back(std::move(t));
  }
  std::sort(out.begin(), out.end(), [](const DenialReasonTally& a, const DenialReasonTally& b) {
    if (a.claims.count != b.claims.count) return a.claims.count > b.claims.count;
    if (a.amountCents != b.amountCents) return a.amountCents > b.amountCents;
    return std::tie(a.group, a.reason) < std::tie(b.group, b.reason);
  });
  return out;
}

ClaimDetail BillingService::claimDetail(const Actor& actor, std::int64_t claimId) {
  security::AccessGuard guard(db_, audit_);
  return guard.read(
      actor, security::operation("claim.list"), std::nullopt, {"claim", std::to_string(claimId)},
      [&](Connection& c) {
        auto k = detail::claimIn(c, claimId);
        security::SqliteCareTeam team(c);
        if (!k || (actor.role != security::Role::admin && !team.isAssigned(actor.id, k->patientId)))
          throw NotFound("claim: no such claim");
        ClaimDetail d;
        d.claimId = claimId;
        d.status = std::string(toString(k->status));
        auto s = c.prepare(
            "SELECT cs.batch, x.patient_control, cs.submitted_at, cs.ack_code FROM "
            "claim_submission_claims x JOIN claim_submissions cs ON cs.id = x.submission_id WHERE "
            "x.claim_id = ?1 ORDER BY cs.id");
        s.bind(1, claimId);
        while (s.step())
          d.sendings.push_back({s.get<std::string>(0), s.get<std::string>(1),
                                fromMillis(s.get<std::int64_t>(2)),
                                s.get<std::optional<std::string>>(3)});
        d.postings = postingsIn(c, claimId);
        for (const auto& p : d.postings) {
          d.paidCents += p.paidCents;
          d.patientResponsibilityCents += p.patientResponsibilityCents;
        }
        return d;
      });
}

ClaimsReport BillingService::claimsReport(const Actor& actor) {
  security::AccessGuard guard(db_, audit_);
  return guard.read(
      actor, security::operation("billing.report"), std::nullopt, {"claims_report", ""},
      [&](Connection& c) {
        ClaimsReport r;
        auto s = c.prepare(
            "SELECT status, count(*), sum(total_cents) FROM claims GROUP BY status "
            "ORDER BY status");
        while (s.step())
          r.byStatus.push_back(
              {s.get<std::string>(0), s.get<std::int64_t>(1), s.get<std::int64_t>(2)});
        for (const auto& d : detail::denialReasonsIn(c, std::nullopt, ReportScope{}))
          r.denialReasons.push_back({d.group, d.reason, d.claims.count, d.amountCents});
        // Days from the first sending to the first payment, per paid claim.
        std::map<std::string, std::vector<double>> byMonth;
        std::vector<double> all;
        auto p = c.prepare(std::string("SELECT ") + kMonthOf +
                           ", (SELECT min(posted_at) FROM remittance_claims WHERE claim_id = k.id "
                           "AND outcome = 'paid') - (SELECT min(cs.submitted_at) FROM "
                           "claim_submission_claims x JOIN claim_submissions cs ON cs.id = "
                           "x.submission_id WHERE x.claim_id = k.id) FROM claims k WHERE k.status "
                           "= 'paid'");
        while (p.step()) {
          ++r.paidClaims;
          auto ms = p.get<std::optional<std::int64_t>>(1);
          if (!ms) continue;
          const double days = static_cast<double>(*ms) / kMsPerDay;
          all.push_back(days);
          byMonth[p.get<std::string>(0)].push_back(days);
        }
        if (!all.empty()) {
          double sum = 0;
          for (auto v : all) sum += v;
          r.averageDaysToPayment = sum / static_cast<double>(all.size());
          r.medianDaysToPayment = median(all);
          r.maxDaysToPayment = *std::max_element(all.begin(), all.end());
        }
        auto m =
            // The month is computed in a derived table: PostgreSQL lets the paid-cents subquery
            // name the grouped column g.month, not the expression over k's ungrouped columns.
            c.prepare(std::string("SELECT g.month, count(*), sum(g.total_cents), "
                                  "sum(g.status = 'denied'), (SELECT COALESCE(sum(rc.paid_cents), "
                                  "0) FROM remittance_claims rc JOIN claims j ON j.id = "
                                  "rc.claim_id WHERE COALESCE(j.service_month, strftime('%Y-%m', "
                                  "j.approved_at / 1000, 'unixepoch')) = g.month) FROM (SELECT ") +
                      kMonthOf +
                      " AS month, k.total_cents, k.status FROM claims k) g GROUP BY g.month "
                      "ORDER BY g.month DESC LIMIT 12");
        while (m.step()) {
          MonthTrend t;
          t.month = m.get<std::string>(0);
          t.claims = m.get<std::int64_t>(1);
          t.chargeCents = m.get<std::int64_t>(2);
          t.denied = m.get<std::int64_t>(3);
          t.paidCents = m.get<std::int64_t>(4);
          if (auto it = byMonth.find(t.month); it != byMonth.end()) {
            double sum = 0;
            for (auto v : it->second) sum += v;
            t.averageDaysToPayment = sum / static_cast<double>(it->second.size());
          }
          r.months.push_back(std::move(t));
        }
        std::reverse(r.months.begin(), r.months.end());
        r.enrolment = enrolmentMonthsIn(c, clock_.now());
        r.unbalancedRemittances =
            c.queryValue<std::int64_t>("SELECT count(*) FROM remittances WHERE balanced = 0")
                .value_or(0);
        r.unmatchedPayments = c.queryValue<std::int64_t>(
                                   "SELECT count(*) FROM remittance_claims WHERE outcome = "
                                   "'unmatched'")
                                  .value_or(0);
        return r;
      });
}

}  // namespace vigil::billing
