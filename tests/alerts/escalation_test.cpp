// Escalation that reaches a person (issue 17). The expected people below are written by hand
// from the issue: the chain's n-th person after n escalations, a patient's own chain before the
// clinic's, "B covers A" sending A's alerts to B while the cover is in force, nobody left past
// the end of the chain (no assignee, counted, shown to admins).

#include "vigil/alerts/escalation.hpp"

#include <boost/test/unit_test.hpp>
#include <set>

#include "../store/temp_dir.hpp"
#include "alerts_fixture.hpp"
#include "vigil/alerts/escalation_service.hpp"
#include "vigil/core/error.hpp"
#include "vigil/store/database.hpp"
#include "vigil/store/sqlite.hpp"
#include "vigil/testsupport/manual_clock.hpp"
#include "vigil/testsupport/test_store.hpp"

using namespace vigil::alerts;
using namespace vigil::alerts::test;
using vigil::TimePoint;
using vigil::store::Connection;

namespace {

// People of the clinic in these tests.
constexpr std::int64_t kLee = 101, kKim = 102, kPatel = 103, kOnCall = 104, kNight = 105;
constexpr std::int64_t kRosa = 7, kSam = 8;

Coverage cover(std::int64_t id, std::int64_t user, std::int64_t by, TimePoint from, TimePoint until,
               TimePoint created = kT0) {
  Coverage c;
  c.id = id;
  c.userId = user;
  c.coveredBy = by;
  c.from = from;
  c.until = until;
  c.createdAt = created;
  return c;
}

EscalationSetup clinic() {
  EscalationSetup s;
  s.clinicChain = {kLee, kKim};
  s.patientChains[kSam] = {kPatel, kLee, kKim};
  return s;
}

Breach critical(std::int64_t patient) {
  Breach b;
  b.patientId = patient;
  b.ruleKey = "bp.systolic.high";
  b.ruleVersion = 1;
  b.code = std::string(loinc::kSystolic);
  b.severity = Severity::critical;
  b.value = 185;
  b.readingId = 1;
  b.observedAt = kT0;
  return b;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(EscalationRouting)

BOOST_AUTO_TEST_CASE(the_chain_in_order_then_nobody) {
  auto s = clinic();
  BOOST_TEST(*routeAt(s, kRosa, 0, kT0) == kLee);
  BOOST_TEST(*routeAt(s, kRosa, 1, kT0) == kKim);
  BOOST_TEST(!routeAt(s, kRosa, 2, kT0).has_value());
  BOOST_TEST(!routeAt(s, kRosa, 9, kT0).has_value());
}

BOOST_AUTO_TEST_CASE(a_patients_own_chain_replaces_the_clinics) {
  auto s = clinic();
  BOOST_TEST(*routeAt(s, kSam, 0, kT0) == kPatel);
  BOOST_TEST(*routeAt(s, kSam, 1, kT0) == kLee);
  BOOST_TEST(*routeAt(s, kSam, 2, kT0) == kKim);
  BOOST_TEST(!routeAt(s, kSam, 3, kT0).has_value());
}

BOOST_AUTO_TEST_CASE(an_empty_clinic_chain_routes_to_nobody) {
  EscalationSetup s;
  BOOST_TEST(!routeAt(s, kRosa, 0, kT0).has_value());
}

BOOST_AUTO_TEST_CASE(cover_applies_only_while_in_force) {
  auto s = clinic();
  // Dr. Lee is off from 18:00 to 08:00 the next day; the on-call provider covers.
  s.coverage = {cover(1, kLee, kOnCall, kT0 + 10h, kT0 + 24h)};
  BOOST_TEST(*routeAt(s, kRosa, 0, kT0 + 10h - 1ms) == kLee);
  BOOST_TEST(*routeAt(s, kRosa, 0, kT0 + 10h) == kOnCall);
  BOOST_TEST(*routeAt(s, kRosa, 0, kT0 + 24h - 1ms) == kOnCall);
  BOOST_TEST(*routeAt(s, kRosa, 0, kT0 + 24h) == kLee);
  // Nurse Kim is not covered.
  BOOST_TEST(*routeAt(s, kRosa, 1, kT0 + 12h) == kKim);
}

BOOST_AUTO_TEST_CASE(cover_follows_the_cover_of_the_cover_and_stops_at_a_loop) {
  auto s = clinic();
  s.coverage = {cover(1, kLee, kOnCall, kT0, kT0 + 24h), cover(2, kOnCall, kNight, kT0, kT0 + 24h)};
  BOOST_TEST(*routeAt(s, kRosa, 0, kT0 + 1h) == kNight);
  // Night covers Lee back: a loop; the alert stops with the last person not yet met.
  s.coverage.push_back(cover(3, kNight, kLee, kT0, kT0 + 24h));
  BOOST_TEST(*routeAt(s, kRosa, 0, kT0 + 1h) == kNight);
}

BOOST_AUTO_TEST_CASE(of_two_overlapping_covers_the_newer_wins) {
  auto s = clinic();
  s.coverage = {cover(1, kLee, kOnCall, kT0, kT0 + 24h, kT0),
                cover(2, kLee, kPatel, kT0 + 2h, kT0 + 4h, kT0 + 1h)};
  BOOST_TEST(*routeAt(s, kRosa, 0, kT0 + 1h) == kOnCall);
  BOOST_TEST(*routeAt(s, kRosa, 0, kT0 + 3h) == kPatel);
  BOOST_TEST(*routeAt(s, kRosa, 0, kT0 + 5h) == kOnCall);
}

BOOST_AUTO_TEST_SUITE_END()

namespace {

struct LifecycleFixture {
  LifecycleFixture() : clock(kT0), bus(metrics), lifecycle(clock, policy(), &bus, metrics) {
    lifecycle.setEscalationSetup(clinic());
  }
  static EscalationPolicy policy() {
    EscalationPolicy p;
    p.ackDeadline = {24h, 24h, 60min, 15min};
    return p;
  }
  std::int64_t raise(std::int64_t patient = kRosa) {
    auto b = critical(patient);
    auto changes = lifecycle.recordBreaches(std::span(&b, 1), clock.now());
    BOOST_REQUIRE(changes.size() == 1u);
    return changes[0].alert.id;
  }
  double unassignedGauge() {
    return metrics.gauge("vigil_alerts_unassigned_escalations", "").value();
  }
  vigil::testsupport::ManualClock clock;
  vigil::Metrics metrics;
  vigil::events::EventBus bus;
  AlertLifecycle lifecycle;
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(EscalationInTheLifecycle, LifecycleFixture)

BOOST_AUTO_TEST_CASE(an_unacknowledged_critical_alert_goes_from_the_provider_to_the_nurse) {
  auto sub = bus.subscribe("test", 64);
  auto id = raise();
  BOOST_TEST(*lifecycle.get(id)->assignee == kLee);
  auto changes = lifecycle.escalateOverdue(kT0 + 15min);
  BOOST_REQUIRE(changes.size() == 1u);
  BOOST_TEST(*changes[0].alert.assignee == kKim);
  BOOST_TEST(changes[0].alert.escalationLevel == 1);
  // The history says who it went to, each time.
  auto history = lifecycle.history(id);
  BOOST_REQUIRE(history.size() == 2u);
  BOOST_TEST((history[0].kind == AlertChangeKind::raised));
  BOOST_TEST(*history[0].assignee == kLee);
  BOOST_TEST((history[1].kind == AlertChangeKind::escalated));
  BOOST_TEST(*history[1].assignee == kKim);
  // The live queue hears who it is routed to now.
  auto raised = sub->tryNext();
  BOOST_REQUIRE(raised.has_value());
  BOOST_TEST(*std::get<vigil::events::AlertRaised>(raised->event).assignee == kLee);
  auto escalated = sub->tryNext();
  BOOST_REQUIRE(escalated.has_value());
  const auto& changed = std::get<vigil::events::AlertChanged>(escalated->event);
  BOOST_TEST(changed.change == "escalated");
  BOOST_TEST(*changed.assignee == kKim);
  BOOST_TEST(changed.escalationLevel == 1);
  BOOST_TEST(*changed.previousAssignee == kLee);  // Dr. Lee's queue drops it
}

BOOST_AUTO_TEST_CASE(past_the_end_of_the_chain_nobody_is_left_and_it_is_counted) {
  auto id = raise();
  lifecycle.escalateOverdue(kT0 + 15min);  // to Kim
  BOOST_TEST(lifecycle.unassignedEscalations().empty());
  BOOST_TEST(unassignedGauge() == 0.0);
  lifecycle.escalateOverdue(kT0 + 30min);  // nobody left
  auto a = *lifecycle.get(id);
  BOOST_TEST(!a.assignee.has_value());
  BOOST_TEST(a.unassignedEscalation());
  BOOST_TEST(a.escalationLevel == 2);
  BOOST_TEST(!lifecycle.history(id).back().assignee.has_value());
  BOOST_REQUIRE(lifecycle.unassignedEscalations().size() == 1u);
  BOOST_TEST(unassignedGauge() == 1.0);
  BOOST_TEST(metrics.counter("vigil_alerts_escalation_exhausted_total", "").value() == 1u);
  // Someone takes it: no longer "nobody left".
  BOOST_TEST(lifecycle.claim(id, kPatel).outcome == Outcome::ok);
  BOOST_TEST(lifecycle.unassignedEscalations().empty());
  BOOST_TEST(unassignedGauge() == 0.0);
}

BOOST_AUTO_TEST_CASE(a_patient_chain_set_later_routes_the_next_escalation) {
  auto id = raise(kRosa);
  lifecycle.setEscalationChain(kRosa, {kLee, kPatel});
  lifecycle.escalateOverdue(kT0 + 15min);
  BOOST_TEST(*lifecycle.get(id)->assignee == kPatel);
  // Clearing it brings the clinic's back.
  lifecycle.setEscalationChain(kRosa, {});
  BOOST_TEST(*routeAt(lifecycle.escalationSetup(), kRosa, 1, kT0) == kKim);
}

BOOST_AUTO_TEST_CASE(coverage_in_force_at_the_escalation_takes_the_alert) {
  auto id = raise();
  lifecycle.setCoverage({cover(1, kKim, kNight, kT0 + 10min, kT0 + 8h)});
  lifecycle.escalateOverdue(kT0 + 15min);
  BOOST_TEST(*lifecycle.get(id)->assignee == kNight);
  BOOST_TEST(*lifecycle.history(id).back().assignee == kNight);
}

BOOST_AUTO_TEST_CASE(a_manual_escalation_passes_it_to_the_next_person) {
  auto id = raise();
  clock.set(kT0 + 2min);
  auto r = lifecycle.escalate(id, kLee, "please see, I am in clinic");
  BOOST_REQUIRE(r);
  BOOST_TEST(*r.alert->assignee == kKim);
  BOOST_TEST(*lifecycle.history(id).back().actorId == kLee);
}

BOOST_AUTO_TEST_SUITE_END()

namespace {

/// EscalationService on a real store: users 101..105 clinicians, 106 an admin, 107 disabled.
struct ServiceFixture {
  TestCipher keys;
  vigil::store::test::TempDir dir;
  vigil::Metrics metrics;
  vigil::testsupport::ManualClock clock{kT0};
  vigil::events::EventBus bus{metrics};
  std::unique_ptr<vigil::store::Database> db;
  std::unique_ptr<AlertLifecycle> lifecycle;
  std::unique_ptr<EscalationService> service;
  std::set<std::int64_t> clinicians{kLee, kKim, kPatel, kOnCall, kNight};

  ServiceFixture() {
    auto o = vigil::testsupport::testStoreOptions(dir / "vigil.db");
    o.metrics = &metrics;
    o.synchronousFull = false;
    db = vigil::store::Database::open(o);
    db->writeSync([](Connection& c) {
      c.execute("INSERT INTO patients (id, created_at) VALUES (7, 0), (8, 0)");
      for (std::int64_t id = 101; id <= 107; ++id)
        c.execute(
            "INSERT INTO users (id, role, email_bidx, email_enc, password_hash, "
            "password_changed_at, created_at) VALUES (?1, 'nurse', ?2, ?3, 'x', 0, 0)",
            id, vigil::store::Blob{static_cast<std::uint8_t>(id)}, vigil::store::Blob{0});
    });
    make();
  }
  /// A new lifecycle and service over the same store (a restart).
  void make() {
    lifecycle = std::make_unique<AlertLifecycle>(clock, EscalationPolicy{}, &bus, metrics);
    service = std::make_unique<EscalationService>(
        *db, keys.cipher, *lifecycle, clock,
        [this](std::int64_t id) { return clinicians.count(id) > 0; });
    service->load();
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(EscalationServiceTests, ServiceFixture)

BOOST_AUTO_TEST_CASE(chains_and_coverage_are_stored_and_survive_a_restart) {
  service->setClinicChain({kLee, kKim}, 106);
  service->setPatientChain(kSam, {kPatel, kLee}, kLee);
  Coverage c;
  c.userId = kLee;
  c.coveredBy = kOnCall;
  c.from = kT0 + 1h;
  c.until = kT0 + 13h;
  c.note = "night";
  c.createdBy = 106;
  auto added = service->addCoverage(c);
  BOOST_TEST(added.id > 0);

  make();  // restart
  auto setup = lifecycle->escalationSetup();
  BOOST_TEST((setup.clinicChain == std::vector<std::int64_t>{kLee, kKim}));
  BOOST_TEST((setup.patientChains.at(kSam) == std::vector<std::int64_t>{kPatel, kLee}));
  BOOST_REQUIRE(setup.coverage.size() == 1u);
  BOOST_TEST(*routeAt(setup, kRosa, 0, kT0 + 2h) == kOnCall);
  auto clinicChain = service->clinicChain();
  BOOST_TEST(*clinicChain.updatedBy == 106);
  BOOST_TEST((*clinicChain.updatedAt == kT0));
}

BOOST_AUTO_TEST_CASE(only_active_clinicians_once_each_and_at_most_ten) {
  BOOST_CHECK_THROW(service->setClinicChain({kLee, 106}, 106), vigil::ValidationError);
  BOOST_CHECK_THROW(service->setClinicChain({kLee, kKim, kLee}, 106), vigil::ValidationError);
  clinicians = {};
  for (std::int64_t i = 1; i <= 11; ++i) clinicians.insert(1000 + i);
  std::vector<std::int64_t> eleven;
  for (std::int64_t i = 1; i <= 11; ++i) eleven.push_back(1000 + i);
  BOOST_CHECK_THROW(service->setClinicChain(eleven, 106), vigil::ValidationError);
  // Nothing of the refused chains was stored.
  BOOST_TEST(service->clinicChain().users.empty());
  BOOST_TEST(lifecycle->escalationSetup().clinicChain.empty());
}

BOOST_AUTO_TEST_CASE(a_cover_must_be_someone_else_ahead_and_not_for_ever) {
  Coverage c;
  c.userId = kLee;
  c.coveredBy = kLee;
  c.from = kT0;
  c.until = kT0 + 1h;
  c.createdBy = 106;
  BOOST_CHECK_THROW(service->addCoverage(c), vigil::ValidationError);  // themselves
  c.coveredBy = kOnCall;
  c.until = kT0;
  BOOST_CHECK_THROW(service->addCoverage(c), vigil::ValidationError);  // ends before it starts
  c.from = kT0 - 2h;
  c.until = kT0 - 1h;
  BOOST_CHECK_THROW(service->addCoverage(c), vigil::ValidationError);  // already over
  c.from = kT0;
  c.until = kT0 + 24h * 91;
  BOOST_CHECK_THROW(service->addCoverage(c), vigil::ValidationError);  // too long
  c.until = kT0 + 8h;
  c.coveredBy = 106;
  BOOST_CHECK_THROW(service->addCoverage(c), vigil::ValidationError);  // not a clinician
  BOOST_TEST(service->coverage(kT0).empty());
}

BOOST_AUTO_TEST_CASE(a_removed_cover_stops_routing_at_once) {
  service->setClinicChain({kLee, kKim}, 106);
  Coverage c;
  c.userId = kLee;
  c.coveredBy = kOnCall;
  c.from = kT0;
  c.until = kT0 + 8h;
  c.createdBy = 106;
  auto added = service->addCoverage(c);
  BOOST_TEST(*routeAt(lifecycle->escalationSetup(), kRosa, 0, kT0 + 1h) == kOnCall);
  BOOST_TEST(service->removeCoverage(added.id, 106));
  BOOST_TEST(!service->removeCoverage(added.id, 106));  // once
  BOOST_TEST(*routeAt(lifecycle->escalationSetup(), kRosa, 0, kT0 + 1h) == kLee);
  BOOST_TEST(service->coverage(kT0).empty());
}

BOOST_AUTO_TEST_SUITE_END()
