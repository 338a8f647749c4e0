// The practice history's async cases, alerts and billing (practice_history.hpp): each planner
// adds its steps to the timeline; the steps draw what happens next when they run.

#include <array>
#include <map>

#include "practice_history_internal.hpp"

namespace vigil::demo::history {

using namespace std::chrono;

namespace {

constexpr std::array<const char*, 4> kCategories = {"question", "medication", "device", "skin"};

/// A case's reply: on time (within the business day), late, or never; half the answered closed.
void answerCase(Practice& x, std::size_t patient, std::int64_t caseId) {
  const auto& clinician = x.providers[x.patients[patient].provider].actor;
  const double u = x.uniform();
  if (u >= 0.88) return;  // never answered: overdue
  const auto delay = u < 0.62 ? x.minutesBetween(20, 5 * 60) : x.minutesBetween(26 * 60, 60 * 60);
  const bool close = x.uniform() < 0.5;
  x.timeline.at(x.clock.now() + delay, [&x, clinician, caseId, close] {
    x.attempt([&] {
      x.cases.reply(clinician, caseId,
                    "Thank you for the details. This does not look urgent; keep an eye on it and "
                    "write again if it gets worse.");
      ++x.result.casesAnswered;
    });
    if (!close) return;
    x.timeline.at(x.clock.now() + hours(1), [&x, clinician, caseId] {
      x.attempt([&] { x.cases.close(clinician, caseId, "Advice given; no visit needed."); });
    });
  });
}

struct RuleOf {
  const char* key;
  const char* code;
  alerts::Severity severity;
  double value;
};

// The alert rules the history's breaches name (the default rule set's keys and LOINC codes).
constexpr std::array<RuleOf, 4> kRules = {{
    {"bp_systolic_critical", "8480-6", alerts::Severity::critical, 186},
    {"bp_systolic_high", "8480-6", alerts::Severity::high, 164},
    {"bp_diastolic_high", "8462-4", alerts::Severity::high, 102},
    {"heart_rate_low", "8867-4", alerts::Severity::low, 48},
}};

/// How long the care team takes to acknowledge, by severity.
minutes ackDelay(Practice& x, alerts::Severity s) {
  switch (s) {
    case alerts::Severity::critical:
      return x.minutesBetween(2, 20);
    case alerts::Severity::high:
      return x.minutesBetween(10, 90);
    default:
      return x.minutesBetween(60, 12 * 60);
  }
}

void raiseAlert(Practice& x) {
  if (x.enrolled.empty()) return;
  const auto& p = x.patients[x.enrolled[x.pick(x.enrolled.size())]];
  const double u = x.uniform();
  const auto& rule = kRules[u < 0.1 ? 0 : u < 0.35 ? 1 : u < 0.6 ? 2 : 3];
  alerts::Breach b;
  b.patientId = p.id;
  b.ruleKey = rule.key;
  b.ruleVersion = 1;
  b.code = rule.code;
  b.severity = rule.severity;
  b.value = rule.value;
  b.higherIsWorse = rule.severity != alerts::Severity::low;
  b.observedAt = x.clock.now() - minutes(1);
  std::int64_t id = 0;
  for (const auto& change : x.alerts.recordBreaches({&b, 1}, x.clock.now()))
    if (change.kind == alerts::AlertChangeKind::raised) id = change.alert.id;
  if (!id) return;  // folded into the patient's open alert for the rule
  ++x.result.alertsRaised;
  const auto provider = x.providers[p.provider].actor.id;
  // One in ten goes up the chain first (to the nurse, or back to the provider).
  const bool escalate = x.uniform() < 0.1;
  const auto responder = escalate && x.nurse ? x.nurse->id : provider;
  auto ack = ackDelay(x, rule.severity);
  if (escalate) {
    x.timeline.at(x.clock.now() + minutes(20), [&x, id, provider] {
      if (!x.alerts.escalate(id, provider, "Away from the desk; passing it on."))
        ++x.result.refused;
    });
    ack += minutes(25);
  }
  const auto resolveAfter = x.minutesBetween(10, 36 * 60);
  x.timeline.at(x.clock.now() + ack, [&x, id, responder, resolveAfter] {
    if (!x.alerts.claim(id, responder) || !x.alerts.acknowledge(id, responder)) {
      ++x.result.refused;
      return;
    }
    x.timeline.at(x.clock.now() + resolveAfter, [&x, id, responder] {
      if (x.alerts.resolve(id, responder, "Reviewed; patient called, plan unchanged."))
        ++x.result.alertsResolved;
      else
        ++x.result.refused;
    });
  });
}

/// The month's minutes of a patient: the nurse's (or provider's) data review, sometimes the
/// provider's call. Each clinician's entries of the month take turns 50 minutes apart from
/// `start` (`turns`: the next free turn per clinician), so none overlaps another.
void logMinutes(Practice& x, std::size_t patient, TimePoint start,
                std::map<std::int64_t, int>& turns) {
  const auto& p = x.patients[patient];
  const auto& provider = x.providers[p.provider].actor;
  const auto reviewer = x.nurse ? *x.nurse : provider;
  const auto review = x.minutesBetween(20, 45);
  const bool call = x.uniform() < 0.4;
  x.timeline.at(start + minutes(50) * ++turns[reviewer.id], [&x, reviewer, id = p.id, review] {
    x.attempt([&] {
      const auto now = x.clock.now();
      x.billing.addManual(reviewer, id, {now - review, now, false, "data_review"});
    });
  });
  if (!call) return;
  x.timeline.at(start + minutes(50) * ++turns[provider.id], [&x, provider, id = p.id] {
    x.attempt([&] {
      const auto now = x.clock.now();
      x.billing.addManual(provider, id, {now - minutes(20), now, true, "phone_call"});
    });
  });
}

/// The claim's way through the clearinghouse, recorded by the admin: most paid, some denied.
void followClaim(Practice& x, std::int64_t claimId) {
  const double u = x.uniform();
  const auto status = [&x, claimId](billing::ClaimStatus s, const char* detail) {
    return [&x, claimId, s, detail] {
      x.attempt([&] { x.billing.recordClaimStatus(x.admin, claimId, s, detail); });
    };
  };
  const auto now = x.clock.now();
  x.timeline.at(now + days(1), status(billing::ClaimStatus::submitted, "batch"));
  x.timeline.at(now + days(3), status(billing::ClaimStatus::accepted, "A1"));
  if (u < 0.75)
    x.timeline.at(now + days(18), status(billing::ClaimStatus::paid, "835"));
  else if (u < 0.9)
    x.timeline.at(now + days(18), status(billing::ClaimStatus::denied, "CO-16"));
}

}  // namespace

void planCases(Practice& x) {
  for (int d = 1; d <= x.dayCount(); ++d) {
    const int n = x.countFor(x.plan.casesPerDay);
    for (int i = 0; i < n; ++i) {
      const auto at = x.day(d) + hours(13) + x.minutesBetween(0, 9 * 60);
      x.timeline.at(at, [&x] {
        const auto patient = x.pick(x.patients.size());
        const auto& p = x.patients[patient];
        const auto category = kCategories[x.pick(kCategories.size())];
        x.attempt([&] {
          const auto c = x.cases.open(p.actor, p.id, category,
                                      "Since yesterday I have had a question about my care "
                                      "plan. Could someone from the care team get back to me?");
          ++x.result.casesOpened;
          answerCase(x, patient, c.id);
        });
      });
    }
    // The periodic escalation check, as vigild runs it.
    x.timeline.at(x.day(d) + hours(23) + minutes(30), [&x] { x.cases.escalateDue(); });
  }
}

void planAlerts(Practice& x) {
  for (int d = 1; d <= x.dayCount(); ++d) {
    const int n = x.countFor(x.plan.alertsPerDay);
    for (int i = 0; i < n; ++i)
      x.timeline.at(x.day(d) + x.minutesBetween(0, 24 * 60), [&x] { raiseAlert(x); });
  }
}

void planBilling(Practice& x) {
  if (!x.plan.claims) return;
  const year_month first = year_month_day(x.firstDay).year() / year_month_day(x.firstDay).month();
  for (auto month = first;; month += months(1)) {
    const sys_days monthStart = month / 1;
    const sys_days monthEnd = sys_days(month / last);
    // The months that end (and are approved) within the history.
    if (TimePoint(monthEnd + days(3)) > x.until) break;
    std::map<std::int64_t, int> turns;
    for (auto i : x.enrolled) {
      if (monthStart >= x.firstDay) logMinutes(x, i, TimePoint(monthStart + days(3)), turns);
      const auto& provider = x.providers[x.patients[i].provider].actor;
      x.timeline.at(TimePoint(monthEnd + days(2)) + hours(15),
                    [&x, provider, id = x.patients[i].id, month] {
                      x.attempt([&] {
                        const auto approval = x.billing.approveMonth(provider, id, month);
                        if (!approval.created) return;
                        ++x.result.claims;
                        followClaim(x, approval.claimId);
                      });
                    });
    }
  }
}

}  // namespace vigil::demo::history
