#include "vigil/alerts/alert_repository.hpp"

#include <boost/test/unit_test.hpp>
#include <latch>
#include <thread>

#include "../store/temp_dir.hpp"
#include "alerts_fixture.hpp"
#include "vigil/store/database.hpp"
#include "vigil/store/sqlite.hpp"
#include "vigil/testsupport/deadline.hpp"
#include "vigil/testsupport/manual_clock.hpp"
#include "vigil/testsupport/test_store.hpp"

using namespace vigil::alerts;
using namespace vigil::alerts::test;
using vigil::TimePoint;
using vigil::store::Connection;
using vigil::store::Database;

namespace {

std::int64_t ms(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

/// A real store (product schema) in a temp dir, with patients 7 and 8 and one scale.
struct RepoFixture {
  TestCipher keys;
  vigil::store::test::TempDir dir;
  vigil::Metrics metrics;
  vigil::testsupport::ManualClock clock{kT0};
  std::unique_ptr<Database> db;
  std::unique_ptr<AlertRepository> repo;

  RepoFixture() {
    auto o = vigil::testsupport::testStoreOptions(dir / "vigil.db");
    o.metrics = &metrics;
    o.synchronousFull = false;
    db = Database::open(o);
    db->writeSync([](Connection& c) {
      c.execute("INSERT INTO patients (id, created_at) VALUES (7, 0), (8, 0)");
      c.execute(
          "INSERT INTO devices (id, uid, kind, created_at) VALUES (1, 'scale-1', "
          "'weight_scale', 0), (2, 'cuff-1', 'blood_pressure', 0)");
    });
    repo = std::make_unique<AlertRepository>(*db, keys.cipher, metrics);
  }

  void storeReading(std::int64_t id, std::int64_t patient, double kgValue, TimePoint t) {
    storeReading(id, patient, kgValue, t, t);
  }
  /// A reading measured at `t` and received at `received` (a backfill: received long ago,
  /// stored now, after readings received later).
  void storeReading(std::int64_t id, std::int64_t patient, double kgValue, TimePoint t,
                    TimePoint received) {
    db->writeSync([&](Connection& c) {
      c.execute(
          "INSERT INTO readings (id, device_id, patient_id, dedup_key, kind, loinc, unit, value, "
          "device_time, received_at, source) VALUES (?, 1, ?, ?, 'body_weight', ?, 'kg', ?, ?, ?, "
          "'test')",
          id, patient, "seq:" + std::to_string(id), std::string(loinc::kBodyWeight), kgValue, ms(t),
          ms(received));
    });
  }
};

AlertRule weightDay() {
  return makeRule("weight.gain.day", RuleKind::rateOfChange, loinc::kBodyWeight,
                  Comparison::atLeast, {{Severity::high, 1.0}}, 24h, 0, "kg");
}

AlertRule weightWeek() {
  return makeRule("weight.gain.week", RuleKind::rateOfChange, loinc::kBodyWeight,
                  Comparison::atLeast, {{Severity::high, 2.0}}, 24h * 7, 0, "kg");
}

Breach breach(std::int64_t patient, const std::string& key) {
  Breach b;
  b.patientId = patient;
  b.ruleKey = key;
  b.ruleVersion = 1;
  b.code = std::string(loinc::kSystolic);
  b.severity = Severity::critical;
  b.value = 185;
  b.readingId = 1;
  b.observedAt = kT0;
  return b;
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(AlertRepositoryTests, RepoFixture)

BOOST_AUTO_TEST_CASE(journals_every_change_and_its_history) {
  AlertLifecycle lifecycle(clock, EscalationPolicy{{}, {101, 102}}, nullptr, metrics);
  lifecycle.setJournal(repo.get());
  auto b = breach(7, "bp.systolic.high");
  b.severity = Severity::high;
  auto id = lifecycle.recordBreaches(std::span(&b, 1), clock.now()).at(0).alert.id;
  clock.advance(1min);
  lifecycle.recordBreaches(std::span(&b, 1), clock.now());  // a repeat: counters only
  b.severity = Severity::critical;
  lifecycle.recordBreaches(std::span(&b, 1), clock.now());  // a severity rise: history
  lifecycle.claim(id, 101);
  lifecycle.acknowledge(id, 101);
  repo->flush();

  auto stored = repo->alert(id);
  BOOST_REQUIRE(stored);
  BOOST_TEST(stored->count == 3);
  BOOST_TEST(stored->severity == Severity::critical);
  BOOST_TEST(stored->state == AlertState::acknowledged);
  BOOST_TEST(*stored->acknowledgedBy == 101);
  BOOST_TEST((stored->raisedAt == kT0));
  BOOST_TEST(*stored->assignee == 101);
  auto history = repo->history(id);
  BOOST_REQUIRE(history.size() == 4u);
  BOOST_TEST(history[0].kind == AlertChangeKind::raised);
  BOOST_TEST(history[1].kind == AlertChangeKind::updated);
  BOOST_TEST(history[1].note == "severity critical");
  BOOST_TEST(history[2].kind == AlertChangeKind::claimed);
  BOOST_TEST(*history[3].actorId == 101);

  lifecycle.resolve(id, 101, "diuretic increased");
  repo->flush();
  BOOST_TEST(repo->unresolvedAlerts().empty());
  BOOST_TEST(repo->alert(id)->resolutionNote == "diuretic increased");
}

BOOST_AUTO_TEST_CASE(resolved_alerts_come_latest_resolved_first_per_patient_or_all) {
  auto stored = [&](std::int64_t id, std::int64_t patient, std::optional<TimePoint> resolvedAt) {
    Alert a;
    a.id = id;
    a.patientId = patient;
    a.ruleKey = "rule." + std::to_string(id);
    a.ruleVersion = 1;
    a.code = std::string(loinc::kSystolic);
    a.severity = Severity::high;
    a.count = 1;
    a.firstObservedAt = a.lastObservedAt = a.raisedAt = kT0;
    a.ackDeadline = kT0 + 15min;
    a.state = resolvedAt ? AlertState::resolved : AlertState::open;
    a.resolvedAt = resolvedAt;
    if (resolvedAt) {
      a.resolvedBy = 101;
      a.resolutionNote = "note " + std::to_string(id);
    }
    repo->alertChanged(a, nullptr);
  };
  stored(1, 7, kT0 + 10min);
  stored(2, 8, kT0 + 30min);
  stored(3, 7, std::nullopt);  // open: never listed
  stored(4, 7, kT0 + 20min);
  repo->flush();

  auto ids = [](const std::vector<Alert>& list) {
    std::vector<std::int64_t> out;
    for (const auto& a : list) out.push_back(a.id);
    return out;
  };
  BOOST_TEST(ids(repo->resolvedAlerts(std::nullopt, 10)) == (std::vector<std::int64_t>{2, 4, 1}),
             boost::test_tools::per_element());
  BOOST_TEST(ids(repo->resolvedAlerts(7, 10)) == (std::vector<std::int64_t>{4, 1}),
             boost::test_tools::per_element());
  BOOST_TEST(ids(repo->resolvedAlerts(std::nullopt, 2)) == (std::vector<std::int64_t>{2, 4}),
             boost::test_tools::per_element());
  BOOST_TEST(repo->resolvedAlerts(9, 10).empty());
  auto eight = repo->resolvedAlerts(8, 10);
  BOOST_REQUIRE_EQUAL(eight.size(), 1u);
  BOOST_TEST(eight[0].patientId == 8);
  BOOST_TEST(eight[0].state == AlertState::resolved);
  BOOST_TEST(eight[0].resolvedBy.value_or(0) == 101);
  BOOST_TEST((eight[0].resolvedAt == kT0 + 30min));
  BOOST_TEST(eight[0].resolutionNote == "note 2");
}

BOOST_AUTO_TEST_CASE(open_for_patient_lists_one_patients_unresolved_alerts_oldest_first) {
  auto stored = [&](std::int64_t id, std::int64_t patient, AlertState state) {
    Alert a;
    a.id = id;
    a.patientId = patient;
    a.ruleKey = "rule." + std::to_string(id);
    a.ruleVersion = 1;
    a.code = std::string(loinc::kSystolic);
    a.severity = Severity::high;
    a.count = 1;
    a.firstObservedAt = a.lastObservedAt = a.raisedAt = kT0;
    a.ackDeadline = kT0 + 15min;
    a.state = state;
    if (state == AlertState::resolved) {
      a.resolvedAt = kT0 + 5min;
      a.resolvedBy = 101;
    }
    repo->alertChanged(a, nullptr);
  };
  stored(5, 7, AlertState::claimed);
  stored(2, 7, AlertState::open);
  stored(3, 7, AlertState::resolved);  // resolved: not listed
  stored(4, 8, AlertState::open);      // another patient
  repo->flush();
  auto open =
      db->read([&](Connection& c) { return AlertRepository::openForPatientIn(c, keys.cipher, 7); });
  BOOST_REQUIRE_EQUAL(open.size(), 2u);
  BOOST_TEST(open[0].id == 2);
  BOOST_TEST(open[1].id == 5);
  BOOST_TEST(open[1].state == AlertState::claimed);
  BOOST_TEST(db->read([&](Connection& c) {
                 return AlertRepository::openForPatientIn(c, keys.cipher, 9);
               }).empty());
}

BOOST_AUTO_TEST_CASE(free_text_an_older_version_stored_in_clear_is_sealed_at_start) {
  // An older vigild wrote notes and reasons in plaintext columns: the upgrade moves them into
  // the encrypted columns, empties the old ones, and (secure_delete) leaves no copy in the file.
  AlertLifecycle lifecycle(clock, EscalationPolicy{{}, {101}}, nullptr, metrics);
  lifecycle.setJournal(repo.get());
  auto b = breach(7, "bp.systolic.high");
  auto id = lifecycle.recordBreaches(std::span(&b, 1), clock.now()).at(0).alert.id;
  repo->flush();
  db->writeSync([&](vigil::store::Connection& c) {
    c.execute("UPDATE alerts SET resolution_note = 'Wombatcanary1' WHERE id = ?", id);
    c.execute(
        "INSERT INTO alert_events (alert_id, at, kind, note) VALUES (?, 0, 'escalated', "
        "'Wombatcanary2')",
        id);
    c.execute(
        "INSERT INTO alert_suppressions (patient_id, rule_key, actor_id, reason, from_at, "
        "until_at) "
        "VALUES (7, 'bp.systolic.high', 101, 'Wombatcanary3', 0, 4102444800000)");
  });
  BOOST_TEST(repo->sealLegacyText() == 3);
  BOOST_TEST(repo->sealLegacyText() == 0);  // once
  BOOST_TEST(repo->alert(id)->resolutionNote == "Wombatcanary1");
  BOOST_TEST(repo->history(id).back().note == "Wombatcanary2");
  BOOST_TEST(repo->activeSuppressions(clock.now()).at(0).reason == "Wombatcanary3");
  db->close();
  auto raw = vigil::store::test::readFile(dir / "vigil.db") +
             vigil::store::test::readFile(dir / "vigil.db-wal");
  BOOST_TEST(raw.find("Wombatcanary") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(sql_claim_from_eight_threads_has_exactly_one_winner) {
  AlertLifecycle lifecycle(clock, EscalationPolicy{}, nullptr, metrics);
  lifecycle.setJournal(repo.get());
  auto b = breach(7, "bp.systolic.high");
  auto id = lifecycle.recordBreaches(std::span(&b, 1), clock.now()).at(0).alert.id;
  repo->flush();
  std::latch start(8);
  std::atomic<int> winners{0};
  std::vector<std::thread> threads;
  for (std::int64_t user = 1; user <= 8; ++user) {
    threads.emplace_back([&, user] {
      start.arrive_and_wait();
      if (repo->claim(id, user, kT0 + 1min)) ++winners;
    });
  }
  for (auto& t : threads)
    vigil::testsupport::joinWithin(t, 30s, "joining the threads claiming one stored alert");
  BOOST_TEST(winners.load() == 1);
  auto stored = repo->alert(id);
  BOOST_TEST(stored->state == AlertState::claimed);
  BOOST_TEST(repo->history(id).size() == 2u);  // raised + one claim
}

BOOST_AUTO_TEST_CASE(database_refuses_a_second_unresolved_alert_for_the_same_rule) {
  Alert a;
  a.id = 1;
  a.patientId = 7;
  a.ruleKey = "bp.systolic.high";
  a.code = "8480-6";
  AlertEvent e{1, kT0, AlertChangeKind::raised, std::nullopt, {}};
  repo->alertChanged(a, &e);
  repo->flush();
  a.id = 2;
  e.alertId = 2;
  BOOST_CHECK_THROW(db->writeSync([&](Connection& c) {
    c.execute(
        "INSERT INTO alerts (id, patient_id, rule_key, rule_version, kind, code, severity, "
        "state, count, latest_value, worst_value, higher_is_worse, first_reading_id, "
        "last_reading_id, first_observed_at, last_observed_at, raised_at, ack_deadline) "
        "VALUES (2, 7, 'bp.systolic.high', 1, 'threshold', '8480-6', 'high', 'open', 1, 1, "
        "1, 1, 0, 0, 0, 0, 0, 0)");
  }),
                    vigil::store::DbError);
}

BOOST_AUTO_TEST_CASE(rule_history_replays_into_the_same_rules_and_versions) {
  RuleSet rules(clock, {weightDay()});
  for (const auto& change : rules.changes()) repo->ruleChanged(change);
  rules.setChangeSink([&](const RuleChange& c) { repo->ruleChanged(c); });
  auto strict = weightDay();
  strict.tiers = {{Severity::high, 0.5}, {Severity::critical, 1.5}};
  strict.window = 36h;
  auto set = rules.setOverride(7, strict, 42, "NYHA III");
  repo->flush();

  RuleSet restored(clock, {});
  restored.replay(repo->ruleChanges());
  const auto* rule = restored.snapshot()->find(7, "weight.gain.day");
  BOOST_REQUIRE(rule);
  BOOST_TEST(rule->version == set.version);
  BOOST_TEST(rule->tiers.size() == 2u);
  BOOST_TEST(rule->tiers[0].limit == 0.5);
  BOOST_TEST((rule->window == std::chrono::seconds{36h}));
  BOOST_TEST(restored.snapshot()->find(8, "weight.gain.day")->tiers[0].limit == 1.0);
  BOOST_TEST(restored.history(7, "weight.gain.day").at(0).reason == "NYHA III");
  // New versions continue after the replayed ones.
  auto next = restored.setDefault(weightDay(), 1, "x");
  BOOST_TEST(next.version > set.version);
}

BOOST_AUTO_TEST_CASE(suppressions_round_trip_and_lifted_ones_stay_lifted) {
  AlertLifecycle lifecycle(clock, EscalationPolicy{}, nullptr, metrics);
  lifecycle.setJournal(repo.get());
  lifecycle.suppress(7, "weight.gain.day", 101, "on IV diuretics", kT0 + 4h);
  lifecycle.suppress(8, "weight.gain.day", 101, "travelling", kT0 + 4h);
  lifecycle.liftSuppression(8, "weight.gain.day", 101);
  repo->flush();
  auto active = repo->activeSuppressions(kT0 + 1h);
  BOOST_REQUIRE(active.size() == 1u);
  BOOST_TEST(active[0].patientId == 7);
  BOOST_TEST(active[0].reason == "on IV diuretics");
  BOOST_TEST((active[0].until == kT0 + 4h));
  BOOST_TEST(repo->activeSuppressions(kT0 + 4h).empty());
}

BOOST_AUTO_TEST_CASE(restart_rebuilds_state_and_evaluates_readings_stored_after_the_last_run) {
  std::int64_t firstAlert = 0;
  {  // First run: two readings evaluated, one alert raised (rise of 1.2 kg).
    RuleSet rules(clock, {weightDay()});
    AlertLifecycle lifecycle(clock, EscalationPolicy{}, nullptr, metrics);
    AlertEngine engine(rules, lifecycle, clock, {}, metrics);
    BOOST_TEST(restoreAlerts(*repo, rules, lifecycle, engine, clock.now(), 216h).empty());
    storeReading(1, 7, 80.0, kT0);
    storeReading(2, 7, 81.2, kT0 + 10h);
    storeReading(3, 8, 70.0, kT0 + 10h);
    clock.set(kT0 + 10h);
    auto batch = repo->observationsSince(kT0 - 1h, 100);
    BOOST_REQUIRE(batch.size() == 3u);
    auto changes = engine.evaluate(batch);
    BOOST_REQUIRE(changes.size() == 1u);
    firstAlert = changes[0].alert.id;
    repo->noteEvaluated(3);
    repo->flush();
  }
  // Stored while the daemon was down (crash between commit and evaluation).
  storeReading(4, 8, 71.5, kT0 + 20h);  // +1.5 kg against reading 3: needs warmed-up state
  storeReading(5, 7, 81.5, kT0 + 21h);  // folds into the restored open alert
  clock.set(kT0 + 22h);

  RuleSet rules(clock, {});
  AlertLifecycle lifecycle(clock, EscalationPolicy{}, nullptr, metrics);
  AlertEngine engine(rules, lifecycle, clock, {}, metrics);
  auto changes = restoreAlerts(*repo, rules, lifecycle, engine, clock.now(), 216h);
  BOOST_REQUIRE(changes.size() == 2u);
  auto forSeven = lifecycle.openAlert(7, "weight.gain.day");
  auto forEight = lifecycle.openAlert(8, "weight.gain.day");
  BOOST_REQUIRE(forSeven && forEight);
  BOOST_TEST(forSeven->id == firstAlert);  // no duplicate after the restart
  BOOST_TEST(forSeven->count == 2);
  BOOST_TEST(forEight->id > firstAlert);
  BOOST_TEST(forEight->worstValue == 1.5, boost::test_tools::tolerance(1e-9));
  repo->flush();
  BOOST_TEST(repo->evaluatedThrough() == 5);
  BOOST_TEST(repo->unresolvedAlerts().size() == 2u);
}

BOOST_AUTO_TEST_CASE(an_alert_whose_journal_write_failed_is_raised_again_by_the_resync) {
  RuleSet rules(clock, {weightDay()});
  AlertLifecycle lifecycle(clock, EscalationPolicy{}, nullptr, metrics);
  AlertEngine engine(rules, lifecycle, clock, {}, metrics);
  restoreAlerts(*repo, rules, lifecycle, engine, clock.now(), 216h);
  BOOST_TEST(!resyncAfterJournalFailure(*repo, rules, lifecycle, engine, clock.now()));
  storeReading(1, 7, 80.0, kT0);
  clock.set(kT0 + 1h);
  BOOST_TEST(engine.evaluate(repo->observationsSince(kT0 - 1h, 100)).empty());
  repo->noteEvaluated(1);
  repo->flush();

  // The store refuses the alert's row, as a full disk or a connection cut during the commit
  // would: memory has the alert, the store has not.
  refuseAlertRows(*db);
  storeReading(2, 7, 81.2, kT0 + 10h);  // +1.2 kg in a day: weight.gain.day
  clock.set(kT0 + 10h);
  BOOST_REQUIRE(engine.evaluate(repo->observationsSince(kT0 + 9h, 100)).size() == 1u);
  repo->noteEvaluated(2);
  repo->flush();
  BOOST_TEST(repo->journalFailures() >= 1u);
  BOOST_TEST(repo->diverged());
  BOOST_TEST(repo->unresolvedAlerts().empty());
  BOOST_TEST(repo->evaluatedThrough() == 1);  // the mark stayed before the reading

  // The store takes writes again: the resync reloads and judges reading 2 again.
  acceptAlertRows(*db);
  BOOST_TEST(resyncAfterJournalFailure(*repo, rules, lifecycle, engine, clock.now()));
  repo->flush();
  BOOST_TEST(!repo->diverged());
  auto stored = repo->unresolvedAlerts();
  BOOST_REQUIRE(stored.size() == 1u);
  BOOST_TEST(stored[0].patientId == 7);
  BOOST_TEST(stored[0].ruleKey == "weight.gain.day");
  auto open = lifecycle.openAlert(7, "weight.gain.day");
  BOOST_REQUIRE(open);
  BOOST_TEST(open->id == stored[0].id);
  BOOST_TEST(open->count == 1);
  BOOST_TEST(repo->evaluatedThrough() == 2);
  BOOST_TEST(!resyncAfterJournalFailure(*repo, rules, lifecycle, engine, clock.now()));
}

BOOST_AUTO_TEST_CASE(restart_does_not_report_a_resolved_silence_again_before_its_period) {
  auto missing = makeRule("weight.missing", RuleKind::missingData, loinc::kBodyWeight,
                          Comparison::atLeast, {{Severity::low, 24}});
  storeReading(1, 7, 80.0, kT0);
  {
    RuleSet rules(clock, {missing});
    AlertLifecycle lifecycle(clock, EscalationPolicy{}, nullptr, metrics);
    AlertEngine engine(rules, lifecycle, clock, {}, metrics);
    restoreAlerts(*repo, rules, lifecycle, engine, clock.now(), 216h);
    engine.evaluate(repo->observationsSince(kT0 - 1h, 10));
    repo->noteEvaluated(1);
    clock.set(kT0 + 24h);
    auto id = engine.tick(clock.now()).at(0).alert.id;
    lifecycle.claim(id, 101);
    lifecycle.resolve(id, 101, "patient in hospital");
    repo->flush();
  }
  clock.set(kT0 + 30h);
  RuleSet rules(clock, {});
  AlertLifecycle lifecycle(clock, EscalationPolicy{}, nullptr, metrics);
  AlertEngine engine(rules, lifecycle, clock, {}, metrics);
  restoreAlerts(*repo, rules, lifecycle, engine, clock.now(), 216h);
  BOOST_TEST(engine.tick(kT0 + 30h).empty());
  BOOST_TEST(engine.tick(kT0 + 48h - 1s).empty());
  BOOST_TEST(engine.tick(kT0 + 48h).size() == 1u);
}

// Issue 17: a backfill (the demo seed, a hub's backlog written per patient) stores readings
// received days ago after readings received later, so reading ids do not grow with reception
// time. Warm-up selects by reception time through an index; it used to bisect the ids and
// found only the last patient's block (demo log: warm_up=0 catch_up=307 of 827).
BOOST_AUTO_TEST_CASE(warm_up_finds_readings_by_reception_time_whatever_their_id_order) {
  clock.set(kT0);
  // Patient 7's two weeks, then patient 8's: each block in time order, the blocks not.
  storeReading(1, 7, 79.0, kT0 - 24h * 12);
  storeReading(2, 7, 80.0, kT0 - 24h * 8);
  storeReading(3, 7, 80.2, kT0 - 20h);
  storeReading(4, 8, 70.0, kT0 - 24h * 12);
  storeReading(5, 8, 70.1, kT0 - 24h * 8);
  storeReading(6, 8, 70.2, kT0 - 20h);
  repo->noteEvaluated(6);  // judged when they arrived
  repo->flush();

  RuleSet rules(clock, {weightDay()});
  AlertLifecycle lifecycle(clock, EscalationPolicy{}, nullptr, metrics);
  AlertEngine engine(rules, lifecycle, clock, {}, metrics);
  BOOST_TEST(restoreAlerts(*repo, rules, lifecycle, engine, clock.now(), 216h).empty());
  // The next morning: +1.3 kg against yesterday's 80.2 (reading 3, warmed up).
  storeReading(7, 7, 81.5, kT0);
  auto changes = engine.evaluate(repo->observationsSince(kT0 - 1s, 10, 6));
  BOOST_REQUIRE_MESSAGE(changes.size() == 1u,
                        "no weight.gain.day alert after the restart: "
                        "yesterday's weight was not warmed up");
  BOOST_TEST(changes[0].alert.ruleKey == "weight.gain.day");
  BOOST_TEST(changes[0].alert.patientId == 7);
}

// The daemon asked for 48 h of warm-up; the week rule needs 7 days + the late horizon, so a
// restart forgot every weigh-in older than two days and a +2 kg week never alerted.
BOOST_AUTO_TEST_CASE(warm_up_covers_the_longest_rule_window_whatever_the_caller_asks) {
  clock.set(kT0);
  storeReading(1, 7, 80.0, kT0 - 24h * 5);
  storeReading(2, 7, 80.4, kT0 - 24h * 3);
  repo->noteEvaluated(2);
  repo->flush();

  RuleSet rules(clock, {weightWeek()});
  AlertLifecycle lifecycle(clock, EscalationPolicy{}, nullptr, metrics);
  AlertEngine engine(rules, lifecycle, clock, {}, metrics);
  restoreAlerts(*repo, rules, lifecycle, engine, clock.now(), 48h);
  storeReading(3, 7, 82.1, kT0);
  auto changes = engine.evaluate(repo->observationsSince(kT0 - 1s, 10, 2));
  BOOST_REQUIRE_MESSAGE(changes.size() == 1u,
                        "no weight.gain.week alert: the weigh-in of 5 "
                        "days ago was not warmed up");
  BOOST_TEST(changes[0].alert.ruleKey == "weight.gain.week");
}

// Readings stored after the last evaluated one are caught up whatever their order by id: the
// highest id is remembered, not the last one selected.
BOOST_AUTO_TEST_CASE(catch_up_notes_the_highest_reading_id_it_judged) {
  clock.set(kT0);
  storeReading(1, 7, 80.0, kT0 - 1h);
  repo->noteEvaluated(1);
  repo->flush();
  storeReading(5, 7, 80.1, kT0 - 2h, kT0 - 2h);  // a backlog: received earlier, stored later
  storeReading(4, 8, 70.0, kT0 - 10min, kT0 - 10min);
  RuleSet rules(clock, {weightDay()});
  AlertLifecycle lifecycle(clock, EscalationPolicy{}, nullptr, metrics);
  AlertEngine engine(rules, lifecycle, clock, {}, metrics);
  restoreAlerts(*repo, rules, lifecycle, engine, clock.now(), 216h);
  repo->flush();
  BOOST_TEST(repo->evaluatedThrough() == 5);
}

BOOST_AUTO_TEST_CASE(observations_split_panels_into_components) {
  db->writeSync([&](Connection& c) {
    c.execute(
        "INSERT INTO readings (id, device_id, patient_id, dedup_key, kind, loinc, unit, "
        "components, device_time, received_at, source) VALUES (1, 2, 7, 'seq:1', "
        "'blood_pressure', '85354-9', 'mm[Hg]', "
        "'{\"8462-4\":91,\"8478-0\":null,\"8480-6\":152.5}', "
        "?, ?, 'test')",
        ms(kT0), ms(kT0 + 1s));
  });
  auto obs = repo->observationsSince(kT0 - 1h, 10);
  BOOST_REQUIRE(obs.size() == 2u);
  BOOST_TEST(obs[0].code == "8462-4");
  BOOST_TEST(obs[0].value == 91.0);
  BOOST_TEST(obs[1].code == "8480-6");
  BOOST_TEST(obs[1].value == 152.5);
  BOOST_TEST((obs[1].deviceTime == kT0));
  BOOST_TEST((obs[1].receivedAt == kT0 + 1s));
  BOOST_TEST(repo->observationsSince(kT0 + 2s, 10).empty());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(ParseComponents)

BOOST_AUTO_TEST_CASE(reads_numbers_and_skips_nulls) {
  auto parsed = parseComponents(R"({"8480-6":150, "8462-4" : 90.5,"8478-0":null})");
  BOOST_REQUIRE(parsed);
  BOOST_REQUIRE(parsed->size() == 2u);
  BOOST_TEST((*parsed)[1].first == "8462-4");
  BOOST_TEST((*parsed)[1].second == 90.5);
  BOOST_TEST(parseComponents("{}")->empty());
}

BOOST_AUTO_TEST_CASE(rejects_what_is_not_a_flat_object_of_numbers) {
  BOOST_TEST(!parseComponents(""));
  BOOST_TEST(!parseComponents("[1,2]"));
  BOOST_TEST(!parseComponents(R"({"a":"x"})"));
  BOOST_TEST(!parseComponents(R"({"a":1)"));
  BOOST_TEST(!parseComponents(R"({"a":1} trailing)"));
  BOOST_TEST(!parseComponents(R"({"a":nan})"));
}

BOOST_AUTO_TEST_SUITE_END()
