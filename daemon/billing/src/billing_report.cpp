// The practice's billing figures (billing_report.hpp, docs/reports.md "Billing"). Claims are
// chosen by their lines' dates of service (the index claim_lines_by_service_date), payments and
// denials by when they were posted (remittance_claims_by_posted); the denial reasons are the
// claims report's (claim_reports.cpp, detail::denialReasonsIn) on the same postings.

#include "vigil/billing/billing_report.hpp"

#include <cassert>
#include <chrono>
#include <map>
#include <set>

#include "billing_internal.hpp"
#include "vigil/core/time.hpp"

namespace vigil::billing {

using core::toMillis;
using store::Connection;
using namespace std::chrono;

namespace {

/// The first day whose 00:00 UTC is at or after t.
Day dayAtOrAfter(TimePoint t) {
  const auto d = floor<days>(t);
  return TimePoint(d) < t ? Day{d + days(1)} : Day{d};
}

void addLines(Connection& c, BillingReport& r, const ReportScope& scope) {
  std::map<std::pair<std::string, std::string>, CodeMonth> byCode;
  std::map<std::string, StatusClaims> byStatus;
  std::set<std::int64_t> claims;
  auto s = c.prepare(
      "SELECT l.code, substr(l.service_date, 1, 7), l.units, l.charge_cents, k.id, "
      "k.patient_id, k.status, k.total_cents FROM claim_lines l JOIN claims k ON k.id = "
      "l.claim_id WHERE l.service_date >= ?1 AND l.service_date < ?2");
  s.bindAll(formatDay(dayAtOrAfter(r.from)), formatDay(dayAtOrAfter(r.to)));
  while (s.step()) {
    const auto patient = s.get<std::int64_t>(5);
    if (!scope.coversPatient(patient)) continue;
    auto& cm = byCode[{s.get<std::string>(0), s.get<std::string>(1)}];
    cm.units += s.get<std::int64_t>(2);
    cm.chargeCents += s.get<std::int64_t>(3);
    cm.lines.add(patient);
    if (!claims.insert(s.get<std::int64_t>(4)).second) continue;
    auto& st = byStatus[s.get<std::string>(6)];
    st.chargeCents += s.get<std::int64_t>(7);
    st.claims.add(patient);
  }
  for (auto& [key, cm] : byCode) {
    cm.code = key.first;
    cm.month = key.second;
    cm.lines.finish();
    r.byCodeAndMonth.push_back(std::move(cm));
  }
  for (auto& [status, st] : byStatus) {
    st.status = status;
    st.claims.finish();
    r.byStatus.push_back(std::move(st));
  }
}

void addPostings(Connection& c, BillingReport& r, const ReportScope& scope) {
  std::map<std::string, MonthPayments> byMonth;
  std::set<std::int64_t> denied;
  auto s = c.prepare(
      "SELECT strftime('%Y-%m', rc.posted_at / 1000, 'unixepoch'), rc.outcome, rc.paid_cents, "
      "k.id, k.patient_id FROM remittance_claims rc JOIN claims k ON k.id = rc.claim_id WHERE "
      "rc.posted_at >= ?1 AND rc.posted_at < ?2");
  s.bindAll(toMillis(r.from), toMillis(r.to));
  while (s.step()) {
    const auto patient = s.get<std::int64_t>(4);
    if (!scope.coversPatient(patient)) continue;
    const auto outcome = s.get<std::string>(1);
    if (outcome == "denied") {
      if (denied.insert(s.get<std::int64_t>(3)).second) r.denied.add(patient);
      continue;
    }
    if (outcome != "paid" && outcome != "reversal") continue;
    auto& m = byMonth[s.get<std::string>(0)];
    m.paidCents += s.get<std::int64_t>(2);
    m.postings.add(patient);
    r.paidCents += s.get<std::int64_t>(2);
  }
  for (auto& [month, m] : byMonth) {
    m.month = month;
    m.postings.finish();
    r.payments.push_back(std::move(m));
  }
  r.denied.finish();
}

}  // namespace

BillingReport billingReportIn(Connection& c, TimePoint from, TimePoint to,
                              const ReportScope& scope) {
  assert(from < to && "billingReportIn: an empty period");
  BillingReport r;
  r.from = from;
  r.to = to;
  addLines(c, r, scope);
  addPostings(c, r, scope);
  r.denialsByReason = detail::denialReasonsIn(c, std::pair{from, to}, scope);
  return r;
}

}  // namespace vigil::billing
