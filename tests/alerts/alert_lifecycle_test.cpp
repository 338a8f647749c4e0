#include "vigil/alerts/alert_lifecycle.hpp"

#include <boost/test/unit_test.hpp>
#include <latch>
#include <set>
#include <thread>

#include "alerts_fixture.hpp"
#include "vigil/testsupport/deadline.hpp"
#include "vigil/testsupport/manual_clock.hpp"

using namespace vigil::alerts;
using namespace vigil::alerts::test;
using vigil::TimePoint;
using vigil::events::AlertChanged;
using vigil::events::AlertRaised;

namespace {

Breach breach(std::int64_t patient, const std::string& key, Severity sev, double value,
              std::int64_t readingId = 1) {
  Breach b;
  b.patientId = patient;
  b.ruleKey = key;
  b.ruleVersion = 3;
  b.kind = RuleKind::threshold;
  b.code = std::string(loinc::kSystolic);
  b.severity = sev;
  b.value = value;
  b.higherIsWorse = true;
  b.readingId = readingId;
  b.observedAt = kT0;
  return b;
}

EscalationPolicy policy() {
  EscalationPolicy p;
  p.ackDeadline = {24h, 24h, 60min, 15min};
  p.chain = {101, 102, 103};
  return p;
}

struct LifecycleFixture {
  LifecycleFixture() : clock(kT0), bus(metrics), lifecycle(clock, policy(), &bus, metrics) {}
  std::int64_t raise(Severity sev = Severity::critical, std::int64_t patient = 7,
                     const std::string& key = "bp.systolic.high") {
    auto b = breach(patient, key, sev, 185);
    auto changes = lifecycle.recordBreaches(std::span(&b, 1), clock.now());
    BOOST_REQUIRE(changes.size() == 1u);
    return changes[0].alert.id;
  }
  vigil::testsupport::ManualClock clock;
  vigil::Metrics metrics;
  vigil::events::EventBus bus;
  AlertLifecycle lifecycle;
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(AlertLifecycleTests, LifecycleFixture)

// Issue 17: a patient's open alerts on one vital are one problem; the clinician may resolve
// them together with one note. Alerts on another vital or another patient, and alerts someone
// else has claimed, stay open.
BOOST_AUTO_TEST_CASE(resolving_a_group_resolves_the_patients_open_alerts_on_the_same_vital) {
  auto high = raise(Severity::critical, 7, "bp.systolic.high");
  auto elevated = raise(Severity::low, 7, "bp.systolic.elevated");
  auto mine = raise(Severity::low, 7, "bp.systolic.custom");
  auto theirs = raise(Severity::low, 7, "bp.systolic.other");
  auto otherPatient = raise(Severity::critical, 8, "bp.systolic.high");
  std::int64_t hr = 0;
  {  // another vital of the same patient
    auto b = breach(7, "hr.high", Severity::high, 130);
    b.code = std::string(loinc::kHeartRate);
    hr = lifecycle.recordBreaches(std::span(&b, 1), clock.now()).at(0).alert.id;
  }
  BOOST_TEST(lifecycle.claim(mine, 101).outcome == Outcome::ok);
  BOOST_TEST(lifecycle.claim(theirs, 102).outcome == Outcome::ok);
  BOOST_TEST(lifecycle.claim(high, 101).outcome == Outcome::ok);

  auto group = lifecycle.resolveGroup(high, 101, "called patient, medication adjusted");
  BOOST_REQUIRE(group.head);
  BOOST_TEST((group.head.alert->state == AlertState::resolved));
  std::set<std::int64_t> resolved;
  for (const auto& a : group.alsoResolved) {
    resolved.insert(a.id);
    BOOST_TEST((a.state == AlertState::resolved));
    BOOST_TEST(a.resolvedBy.value_or(0) == 101);
    BOOST_TEST(a.resolutionNote == "called patient, medication adjusted");
  }
  BOOST_TEST((resolved == std::set<std::int64_t>{elevated, mine}));
  BOOST_TEST((group.leftOpen == std::vector<std::int64_t>{theirs}));
  BOOST_TEST(lifecycle.get(theirs)->isOpen());
  BOOST_TEST(lifecycle.get(otherPatient)->isOpen());
  BOOST_TEST(lifecycle.get(hr)->isOpen());
  // The elevated alert went through claim and acknowledgement by the resolver: its history
  // says who did it.
  auto history = lifecycle.history(elevated);
  BOOST_REQUIRE(history.size() == 4u);
  BOOST_TEST(*history[3].actorId == 101);
}

BOOST_AUTO_TEST_CASE(a_group_is_resolved_only_by_the_claimer_of_its_head_and_with_a_note) {
  auto high = raise(Severity::critical, 7, "bp.systolic.high");
  auto elevated = raise(Severity::low, 7, "bp.systolic.elevated");
  BOOST_TEST(lifecycle.claim(high, 101).outcome == Outcome::ok);
  BOOST_TEST((lifecycle.resolveGroup(high, 102, "x").head.outcome == Outcome::notClaimer));
  BOOST_TEST((lifecycle.resolveGroup(high, 101, " ").head.outcome == Outcome::noteRequired));
  BOOST_TEST(lifecycle.get(elevated)->isOpen());
}

BOOST_AUTO_TEST_CASE(claim_acknowledge_resolve_records_response_times) {
  auto id = raise();
  clock.advance(2min);
  BOOST_TEST(lifecycle.claim(id, 101).outcome == Outcome::ok);
  clock.advance(3min);
  BOOST_TEST(lifecycle.acknowledge(id, 101).outcome == Outcome::ok);
  clock.advance(10min);
  auto done = lifecycle.resolve(id, 101, "called patient, repeat reading normal");
  BOOST_REQUIRE(done);
  BOOST_TEST((done.alert->state == AlertState::resolved));
  BOOST_TEST(done.alert->resolutionNote == "called patient, repeat reading normal");
  auto times = lifecycle.responseTimes(kT0, kT0 + 1h);
  BOOST_REQUIRE(times.size() == 1u);
  BOOST_TEST(times[0].toClaim->count() == 120);
  BOOST_TEST(times[0].toAcknowledge->count() == 300);
  BOOST_TEST(times[0].toResolve->count() == 900);
  BOOST_TEST(!times[0].escalated);
  auto history = lifecycle.history(id);
  BOOST_REQUIRE(history.size() == 4u);
  BOOST_TEST((history[3].kind == AlertChangeKind::resolved));
  BOOST_TEST(*history[3].actorId == 101);
  BOOST_TEST(!lifecycle.openAlert(7, "bp.systolic.high").has_value());
}

BOOST_AUTO_TEST_CASE(resolve_requires_a_note) {
  auto id = raise();
  lifecycle.claim(id, 101);
  BOOST_TEST(lifecycle.resolve(id, 101, "").outcome == Outcome::noteRequired);
  BOOST_TEST(lifecycle.resolve(id, 101, "   \n").outcome == Outcome::noteRequired);
  BOOST_TEST((lifecycle.get(id)->state == AlertState::claimed));
}

BOOST_AUTO_TEST_CASE(only_the_claimer_acknowledges_or_resolves) {
  auto id = raise();
  BOOST_TEST(lifecycle.acknowledge(id, 101).outcome == Outcome::wrongState);  // not claimed
  BOOST_TEST(lifecycle.resolve(id, 101, "x").outcome == Outcome::wrongState);
  lifecycle.claim(id, 101);
  BOOST_TEST(lifecycle.acknowledge(id, 102).outcome == Outcome::notClaimer);
  BOOST_TEST(lifecycle.resolve(id, 102, "x").outcome == Outcome::notClaimer);
  BOOST_TEST(lifecycle.claim(id, 102).outcome == Outcome::wrongState);
  BOOST_TEST(lifecycle.claim(999, 102).outcome == Outcome::notFound);
}

BOOST_AUTO_TEST_CASE(concurrent_claims_from_eight_threads_have_exactly_one_winner) {
  for (int round = 0; round < 20; ++round) {
    auto id = raise(Severity::critical, 7, "rule-" + std::to_string(round));
    std::latch start(8);
    std::atomic<int> winners{0};
    std::atomic<std::int64_t> winner{0};
    std::vector<std::thread> threads;
    for (std::int64_t user = 1; user <= 8; ++user) {
      threads.emplace_back([&, user] {
        start.arrive_and_wait();
        if (lifecycle.claim(id, user)) {
          ++winners;
          winner = user;
        }
      });
    }
    for (auto& t : threads)
      vigil::testsupport::joinWithin(t, 30s, "joining the threads claiming one alert");
    BOOST_TEST(winners.load() == 1);
    BOOST_TEST(*lifecycle.get(id)->claimedBy == winner.load());
  }
}

BOOST_AUTO_TEST_CASE(new_breaches_update_the_open_alert_instead_of_adding_one) {
  auto b1 = breach(7, "bp.systolic.high", Severity::high, 165, 1);
  auto b2 = breach(7, "bp.systolic.high", Severity::critical, 190, 2);
  auto b3 = breach(7, "bp.systolic.high", Severity::high, 170, 3);
  b2.observedAt = kT0 + 1min;
  b3.observedAt = kT0 + 2min;
  auto c1 = lifecycle.recordBreaches(std::span(&b1, 1), clock.now());
  clock.advance(5min);
  std::vector<Breach> more{b2, b3};
  auto c2 = lifecycle.recordBreaches(more, clock.now());
  BOOST_REQUIRE(c2.size() == 1u);  // one change per alert per call
  BOOST_TEST((c2[0].kind == AlertChangeKind::updated));
  const auto& a = c2[0].alert;
  BOOST_TEST(a.id == c1[0].alert.id);
  BOOST_TEST(a.count == 3);
  BOOST_TEST(a.latestValue == 170.0);
  BOOST_TEST(a.worstValue == 190.0);
  BOOST_TEST(a.lastReadingId == 3);
  BOOST_TEST((a.severity == Severity::critical));
  // Upgrading to critical pulls the deadline in to now + 15 min (was raise + 60 min).
  BOOST_TEST((a.ackDeadline == kT0 + 5min + 15min));
  BOOST_TEST(lifecycle.openAlerts().size() == 1u);
}

BOOST_AUTO_TEST_CASE(repeat_breaches_update_counters_without_growing_the_history) {
  auto id = raise(Severity::high);
  auto b = breach(7, "bp.systolic.high", Severity::high, 170);
  for (int i = 0; i < 50; ++i) lifecycle.recordBreaches(std::span(&b, 1), clock.now());
  BOOST_TEST(lifecycle.get(id)->count == 51);
  BOOST_TEST(lifecycle.history(id).size() == 1u);
  b.severity = Severity::critical;
  lifecycle.recordBreaches(std::span(&b, 1), clock.now());
  auto history = lifecycle.history(id);
  BOOST_REQUIRE(history.size() == 2u);
  BOOST_TEST(history[1].note == "severity critical");
}

BOOST_AUTO_TEST_CASE(a_new_alert_is_raised_only_after_the_previous_is_resolved) {
  auto first = raise();
  lifecycle.claim(first, 101);
  lifecycle.resolve(first, 101, "false reading: cuff too small");
  auto second = raise();
  BOOST_TEST(second != first);
  BOOST_TEST(lifecycle.openAlert(7, "bp.systolic.high")->id == second);
}

BOOST_AUTO_TEST_CASE(alerts_for_other_patients_or_rules_are_separate) {
  auto a = raise(Severity::high, 7, "bp.systolic.high");
  auto b = raise(Severity::high, 8, "bp.systolic.high");
  auto c = raise(Severity::high, 7, "hr.high");
  BOOST_TEST(a != b);
  BOOST_TEST(b != c);
  BOOST_TEST(lifecycle.openAlerts().size() == 3u);
}

BOOST_AUTO_TEST_CASE(escalates_exactly_at_the_acknowledgement_deadline_to_the_next_person) {
  auto id = raise(Severity::critical);
  BOOST_TEST(*lifecycle.get(id)->assignee == 101);
  BOOST_TEST(lifecycle.escalateOverdue(kT0 + 15min - 1ns).empty());
  auto changes = lifecycle.escalateOverdue(kT0 + 15min);
  BOOST_REQUIRE(changes.size() == 1u);
  const auto& a = changes[0].alert;
  BOOST_TEST((a.state == AlertState::escalated));
  BOOST_TEST(a.escalationLevel == 1);
  BOOST_TEST(*a.assignee == 102);
  BOOST_TEST((a.ackDeadline == kT0 + 30min));
  // Not again before the new deadline; then to the third person.
  BOOST_TEST(lifecycle.escalateOverdue(kT0 + 30min - 1ns).empty());
  auto again = lifecycle.escalateOverdue(kT0 + 30min);
  BOOST_REQUIRE(again.size() == 1u);
  BOOST_TEST(*again[0].alert.assignee == 103);
  BOOST_TEST(lifecycle.history(id).back().note == "not acknowledged in time");
}

BOOST_AUTO_TEST_CASE(deadline_depends_on_severity) {
  auto high = raise(Severity::high, 7, "a");
  auto low = raise(Severity::low, 7, "b");
  auto changes = lifecycle.escalateOverdue(kT0 + 60min);
  BOOST_REQUIRE(changes.size() == 1u);
  BOOST_TEST(changes[0].alert.id == high);
  BOOST_TEST(lifecycle.escalateOverdue(kT0 + 24h).size() == 2u);  // low now, high again
  BOOST_TEST(lifecycle.get(low)->escalationLevel == 1);
}

BOOST_AUTO_TEST_CASE(acknowledged_alert_does_not_escalate_but_a_claimed_one_does) {
  auto acked = raise(Severity::critical, 7, "a");
  auto claimed = raise(Severity::critical, 7, "b");
  lifecycle.claim(acked, 101);
  lifecycle.acknowledge(acked, 101);
  lifecycle.claim(claimed, 101);
  auto changes = lifecycle.escalateOverdue(kT0 + 15min);
  BOOST_REQUIRE(changes.size() == 1u);
  BOOST_TEST(changes[0].alert.id == claimed);
  BOOST_TEST(!changes[0].alert.claimedBy.has_value());
  // The next person claims the escalated alert.
  BOOST_TEST(lifecycle.claim(claimed, 102).outcome == Outcome::ok);
  BOOST_TEST(lifecycle.get(claimed)->escalationLevel == 1);  // stays marked
}

BOOST_AUTO_TEST_CASE(manual_escalation_needs_a_note) {
  auto id = raise(Severity::high);
  BOOST_TEST(lifecycle.escalate(id, 101, "").outcome == Outcome::noteRequired);
  auto r = lifecycle.escalate(id, 101, "needs cardiology");
  BOOST_REQUIRE(r);
  BOOST_TEST(*r.alert->assignee == 102);
  BOOST_TEST(lifecycle.history(id).back().note == "needs cardiology");
}

BOOST_AUTO_TEST_CASE(escalation_past_the_end_of_the_list_leaves_nobody_assigned) {
  lifecycle.setEscalationChain(7, {201});
  auto id = raise(Severity::critical);
  BOOST_TEST(*lifecycle.get(id)->assignee == 201);
  lifecycle.escalateOverdue(kT0 + 15min);
  BOOST_TEST(!lifecycle.get(id)->assignee.has_value());  // issue 17: shown to every admin
  BOOST_TEST(lifecycle.get(id)->unassignedEscalation());
  BOOST_TEST(lifecycle.get(id)->escalationLevel == 1);
  BOOST_TEST(metrics.counter("vigil_alerts_escalation_exhausted_total", "").value() == 1u);
}

BOOST_AUTO_TEST_CASE(suppression_blocks_new_alerts_until_its_end) {
  BOOST_TEST(lifecycle.suppress(7, "bp.systolic.high", 101, "known hypertensive, med change",
                                kT0 + 4h) == Outcome::ok);
  auto b = breach(7, "bp.systolic.high", Severity::critical, 185);
  BOOST_TEST(lifecycle.recordBreaches(std::span(&b, 1), kT0 + 4h - 1ns).empty());
  BOOST_TEST(lifecycle.suppression(7, "bp.systolic.high", kT0 + 1h)->suppressedBreaches == 1);
  BOOST_TEST(metrics.counter("vigil_alerts_suppressed_total", "").value() == 1u);
  // Other rules and other patients are not affected.
  auto other = breach(8, "bp.systolic.high", Severity::critical, 185);
  BOOST_TEST(lifecycle.recordBreaches(std::span(&other, 1), kT0 + 1h).size() == 1u);
  // At the end time the snooze is over.
  BOOST_TEST(!lifecycle.suppression(7, "bp.systolic.high", kT0 + 4h).has_value());
  BOOST_TEST(lifecycle.recordBreaches(std::span(&b, 1), kT0 + 4h).size() == 1u);
}

BOOST_AUTO_TEST_CASE(suppression_needs_a_reason_and_a_future_end) {
  BOOST_TEST(lifecycle.suppress(7, "r", 101, " ", kT0 + 1h) == Outcome::reasonRequired);
  BOOST_TEST(lifecycle.suppress(7, "r", 101, "x", kT0) == Outcome::invalidTime);
  BOOST_TEST(lifecycle.suppress(7, "r", 101, "x", kT0 + 1h) == Outcome::ok);
  BOOST_TEST(lifecycle.liftSuppression(7, "r", 101));
  BOOST_TEST(!lifecycle.suppression(7, "r", kT0).has_value());
}

BOOST_AUTO_TEST_CASE(snoozed_open_alert_is_not_escalated_until_the_snooze_ends) {
  auto id = raise(Severity::critical);
  lifecycle.suppress(7, "bp.systolic.high", 101, "patient in clinic now", kT0 + 1h);
  BOOST_TEST(lifecycle.escalateOverdue(kT0 + 30min).empty());
  BOOST_TEST(lifecycle.escalateOverdue(kT0 + 1h).size() == 1u);
  BOOST_TEST(lifecycle.get(id)->escalationLevel == 1);
}

BOOST_AUTO_TEST_CASE(changes_are_published_on_the_event_bus) {
  auto sub = bus.subscribe("test", 64);
  auto id = raise(Severity::critical);
  lifecycle.claim(id, 101);
  auto raised = sub->tryNext();
  auto claimed = sub->tryNext();
  BOOST_REQUIRE(raised && claimed);
  BOOST_TEST(std::get<AlertRaised>(raised->event).alertId == id);
  BOOST_TEST(std::get<AlertRaised>(raised->event).severity == "critical");
  BOOST_TEST(std::get<AlertChanged>(claimed->event).change == "claimed");
  BOOST_TEST(std::get<AlertChanged>(claimed->event).state == "claimed");
}

BOOST_AUTO_TEST_CASE(system_resolution_works_from_any_open_state) {
  auto id = raise(Severity::low);
  lifecycle.claim(id, 101);
  auto r = lifecycle.resolveBySystem(id, "late data");
  BOOST_REQUIRE(r);
  BOOST_TEST(!r.alert->resolvedBy.has_value());
  BOOST_TEST(lifecycle.resolveBySystem(id, "late data").outcome == Outcome::wrongState);
  BOOST_TEST(!lifecycle.history(id).back().actorId.has_value());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(AlertLifecycleConcurrency)

// The ingest thread folds breaches in while providers claim and resolve on other threads: at
// no time are there two unresolved alerts for one patient and rule, and no breach is lost.
BOOST_AUTO_TEST_CASE(breaches_and_provider_actions_from_several_threads_keep_one_open_alert) {
  vigil::testsupport::ManualClock clock(kT0);
  vigil::Metrics metrics;
  AlertLifecycle lifecycle(clock, policy(), nullptr, metrics);
  constexpr int kBatches = 400;
  std::atomic<bool> done{false};
  std::atomic<std::int64_t> resolvedCount{0};
  std::thread ingest([&] {
    for (int i = 0; i < kBatches; ++i) {
      std::vector<Breach> batch;
      for (std::int64_t p = 1; p <= 5; ++p)
        batch.push_back(breach(p, "bp.systolic.high", Severity::high, 170, i));
      lifecycle.recordBreaches(batch, clock.now());
    }
    done = true;
  });
  std::vector<std::thread> providers;
  for (std::int64_t user = 1; user <= 3; ++user) {
    providers.emplace_back([&, user] {
      while (!done) {
        for (const auto& a : lifecycle.openAlerts()) {
          if (lifecycle.claim(a.id, user) && lifecycle.resolve(a.id, user, "reviewed")) {
            resolvedCount += lifecycle.get(a.id)->count;
          }
        }
      }
    });
  }
  vigil::testsupport::joinWithin(ingest, 60s, "joining the thread recording breaches");
  for (auto& t : providers)
    vigil::testsupport::joinWithin(t, 30s, "joining the provider threads resolving alerts");
  std::int64_t stillOpen = 0;
  for (std::int64_t p = 1; p <= 5; ++p) {
    if (auto a = lifecycle.openAlert(p, "bp.systolic.high")) stillOpen += a->count;
  }
  BOOST_TEST(lifecycle.openAlerts().size() <= 5u);
  // Every breach ended up in exactly one alert.
  BOOST_TEST(resolvedCount.load() + stillOpen == 5 * kBatches);
}

BOOST_AUTO_TEST_SUITE_END()
