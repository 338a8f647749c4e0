// The monitoring and money sections (issue 30, docs/reports.md): alerts (alerts), RPM enrolment
// and adherence, and billing (billing). Each reads its library's report on the report's
// connection and lays it out as tables the portal charts.

#include "sections_monitoring.hpp"

#include <array>
#include <map>
#include <ranges>

#include "section_support.hpp"
#include "vigil/alerts/alert_report.hpp"
#include "vigil/billing/billing_report.hpp"
#include "vigil/billing/rpm_report.hpp"

namespace vigil::analytics::detail {
namespace {

/// The severities in the order the report lists them: gravest first.
constexpr std::array kSeverities{alerts::Severity::critical, alerts::Severity::high,
                                 alerts::Severity::low, alerts::Severity::info};

/// Sums tallies (the same patients may be in several: finish() again).
PatientTally sum(const std::vector<const PatientTally*>& parts) {
  PatientTally out;
  for (const auto* p : parts) {
    out.count += p->count;
    out.patients.insert(out.patients.end(), p->patients.begin(), p->patients.end());
  }
  out.finish();
  return out;
}

}  // namespace

Section alertsSection(const SectionContext& x) {
  const auto r = alerts::alertReportIn(x.c, x.from, x.to, x.scope);
  const auto& cells = x.cells;
  Section s;
  s.title = "Alerts";
  const auto& t = r.total;
  s.tables.push_back(
      totals("The period",
             {count("raised", "Raised"), count("acknowledged", "Acknowledged"),
              count("resolved", "Resolved"), count("escalated", "Escalated"),
              seconds("ack_p50", "To acknowledge, median"),
              seconds("ack_p90", "To acknowledge, 90th percentile"),
              seconds("resolve_p50", "To resolve, median"),
              seconds("resolve_p90", "To resolve, 90th percentile")},
             {cells.count(t.raised), cells.count(t.acknowledged), cells.count(t.resolved),
              cells.count(t.escalated), cells.percentile(t.toAcknowledge, 50),
              cells.percentile(t.toAcknowledge, 90), cells.percentile(t.toResolve, 50),
              cells.percentile(t.toResolve, 90)}));
  // The severities the period has, gravest first.
  const auto present = [&](alerts::Severity v) { return r.bySeverity.contains(v); };
  s.tables.push_back(seriesTable(
      "by_severity", "By severity", "bar",
      {text("severity", "Severity"), count("raised", "Raised"),
       count("acknowledged", "Acknowledged"), count("escalated", "Escalated"),
       seconds("ack_p50", "To acknowledge, median")},
      kSeverities | std::views::filter(present), [&](alerts::Severity severity) {
        const auto& a = r.bySeverity.at(severity);
        return std::vector<Cell>{Cell::label(std::string(alerts::toString(severity))),
                                 cells.count(a.raised), cells.count(a.acknowledged),
                                 cells.count(a.escalated), cells.percentile(a.toAcknowledge, 50)};
      }));
  s.tables.push_back(
      seriesTable("by_rule", "By rule", "",
                  {text("rule", "Rule"), text("kind", "Kind"), count("raised", "Raised"),
                   count("escalated", "Escalated"), seconds("ack_p50", "To acknowledge, median"),
                   seconds("resolve_p50", "To resolve, median")},
                  r.byRule, [&](const auto& rule) {
                    return std::vector<Cell>{Cell::label(rule.key),
                                             Cell::label(rule.kind),
                                             cells.count(rule.tally.raised),
                                             cells.count(rule.tally.escalated),
                                             cells.percentile(rule.tally.toAcknowledge, 50),
                                             cells.percentile(rule.tally.toResolve, 50)};
                  }));
  s.tables.push_back(seriesTable(
      "by_day", "Per day", "line",
      {date("day", "Day"), count("raised", "Raised"), seconds("ack_p50", "To acknowledge, median")},
      std::views::iota(std::size_t{0}, r.byDay.size()), [&](std::size_t d) {
        return std::vector<Cell>{
            Cell::label(dayLabel(x.from + std::chrono::days(static_cast<std::int64_t>(d)))),
            cells.count(r.byDay[d].raised), cells.percentile(r.byDay[d].toAcknowledge, 50)};
      }));
  return s;
}

Section rpmSection(const SectionContext& x) {
  const auto r = billing::rpmReportIn(x.c, x.from, x.to, x.scope, x.now, true);
  const auto& cells = x.cells;
  Section s;
  s.title = "RPM enrolment and adherence";
  const auto periods = sum({&r.periods16to30, &r.periods2to15, &r.periods0to1});
  s.tables.push_back(
      totals("The period",
             {count("enrolled", "Enrolled"),
              count("new", "New enrolments"),
              count("ended", "Ended enrolments"),
              count("active", "Active (a reading in the period)"),
              count("p16", "30-day periods with 16+ days"),
              count("p2", "Periods with 2–15 days"),
              count("p0", "Periods with 0–1 days"),
              ratio("adherence", "Periods with 16+ days, share"),
              {"mean_days", "Days with data per period, mean", "number"},
              count("at_risk", "At risk of missing 16 days now"),
              count("cannot_reach", "Cannot reach 16 days now")},
             {cells.count(r.enrolled), cells.count(r.newEnrolments), cells.count(r.endedEnrolments),
              cells.count(r.active), cells.count(r.periods16to30), cells.count(r.periods2to15),
              cells.count(r.periods0to1), cells.share(r.periods16to30, periods),
              cells.derived(r.meanDaysPerPeriod, periods.patients), cells.count(r.atRisk),
              cells.count(r.cannotReach)}));
  s.tables.push_back(seriesTable("by_month", "Per month", "bar",
                                 {text("month", "Month"), count("enrolled", "Enrolled"),
                                  count("full", "With a 16-day period")},
                                 r.months, [&](const auto& m) {
                                   return std::vector<Cell>{Cell::label(m.month),
                                                            cells.count(m.enrolled),
                                                            cells.count(m.fullPeriod)};
                                 }));
  // The patients to call: only those the reader may see (their care team; admins all).
  const auto visible = [&](const auto& p) { return cells.maySee(p.patientId); };
  s.tables.push_back(seriesTable(
      "at_risk", "Patients at risk of missing 16 days (those on your care teams)", "",
      {text("patient", "Patient record"), count("days", "Days with data so far"),
       count("left", "Days left in the period"), text("reachable", "16 days reachable")},
      r.atRiskPatients | std::views::filter(visible), [](const auto& p) {
        return std::vector<Cell>{Cell::label("#" + std::to_string(p.patientId)),
                                 Cell::of(p.daysSoFar), Cell::of(p.daysLeft),
                                 Cell::label(p.reachable ? "yes" : "no")};
      }));
  return s;
}

Section billingSection(const SectionContext& x) {
  const auto r = billing::billingReportIn(x.c, x.from, x.to, x.scope);
  const auto& cells = x.cells;
  Section s;
  s.title = "Billing";
  std::vector<const PatientTally*> allLines;
  std::int64_t charges = 0;
  for (const auto& cm : r.byCodeAndMonth) {
    allLines.push_back(&cm.lines);
    charges += cm.chargeCents;
  }
  const auto lines = sum(allLines);
  std::vector<const PatientTally*> allPostings;
  for (const auto& m : r.payments) allPostings.push_back(&m.postings);
  const auto postings = sum(allPostings);
  s.tables.push_back(totals(
      "The period",
      {count("lines", "Claim lines (date of service in the period)"), cents("charges", "Charges"),
       cents("paid", "Payments posted"), count("denied", "Claims denied")},
      {cells.count(lines), cells.derived(static_cast<double>(charges), lines.patients),
       cells.derived(static_cast<double>(r.paidCents), postings.patients), cells.count(r.denied)}));
  // By code over the period, then by month.
  std::map<std::string, std::vector<const billing::CodeMonth*>> byCode;
  std::map<std::string, std::vector<const billing::CodeMonth*>> byMonth;
  for (const auto& cm : r.byCodeAndMonth) {
    byCode[cm.code].push_back(&cm);
    byMonth[cm.month].push_back(&cm);
  }
  // A row of the code or month `group.first`, summing its lines `group.second`.
  auto rowOf = [&](const auto& group) {
    const auto& [label, cms] = group;
    std::vector<const PatientTally*> parts;
    std::int64_t units = 0, cents = 0;
    for (const auto* cm : cms) {
      parts.push_back(&cm->lines);
      units += cm->units;
      cents += cm->chargeCents;
    }
    const auto t = sum(parts);
    return std::vector<Cell>{Cell::label(label), cells.count(t),
                             cells.derived(static_cast<double>(units), t.patients),
                             cells.derived(static_cast<double>(cents), t.patients)};
  };
  // The same columns by code and by month of service.
  const std::vector<Column> lineFigures{count("lines", "Lines"), count("units", "Units"),
                                        cents("charges", "Charges")};
  s.tables.push_back(seriesTable("by_code", "By code", "bar",
                                 labelled(text("code", "Code"), lineFigures), byCode, rowOf));
  s.tables.push_back(seriesTable("by_month", "By month of service", "bar",
                                 labelled(text("month", "Month"), lineFigures), byMonth, rowOf));
  s.tables.push_back(seriesTable(
      "by_status", "Claims by status", "bar",
      {text("status", "Status"), count("claims", "Claims"), cents("charges", "Charges")},
      r.byStatus, [&](const auto& st) {
        return std::vector<Cell>{
            Cell::label(st.status), cells.count(st.claims),
            cells.derived(static_cast<double>(st.chargeCents), st.claims.patients)};
      }));
  s.tables.push_back(
      seriesTable("payments", "Payments posted by month", "bar",
                  {text("month", "Month"), count("postings", "Postings"), cents("paid", "Paid")},
                  r.payments, [&](const auto& m) {
                    return std::vector<Cell>{
                        Cell::label(m.month), cells.count(m.postings),
                        cells.derived(static_cast<double>(m.paidCents), m.postings.patients)};
                  }));
  s.tables.push_back(
      seriesTable("denials", "Denials by reason", "",
                  {text("group", "Group"), text("reason", "Reason code"), count("claims", "Claims"),
                   cents("amount", "Amount")},
                  r.denialsByReason, [&](const auto& d) {
                    return std::vector<Cell>{
                        Cell::label(d.group), Cell::label(d.reason), cells.count(d.claims),
                        cells.derived(static_cast<double>(d.amountCents), d.claims.patients)};
                  }));
  return s;
}

}  // namespace vigil::analytics::detail
