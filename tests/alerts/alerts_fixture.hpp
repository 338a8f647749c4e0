#pragma once
// Shared set-up for the alert tests: a manual clock, a private metrics registry, an event bus
// and an engine wired to a rule set of the test's choosing.

#include <chrono>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "vigil/alerts/alert_engine.hpp"
#include "vigil/alerts/alert_lifecycle.hpp"
#include "vigil/alerts/rule_set.hpp"
#include "vigil/core/clock.hpp"
#include "vigil/core/metrics.hpp"
#include "vigil/crypto/field_cipher.hpp"
#include "vigil/crypto/key_ring.hpp"
#include "vigil/events/event_bus.hpp"
#include "vigil/store/connection.hpp"
#include "vigil/store/database.hpp"
#include "vigil/testsupport/manual_clock.hpp"

namespace vigil::alerts {

/// A field cipher over one fixed test key (the free text of alerts is stored encrypted).
struct TestCipher {
  crypto::KeyRing ring;
  crypto::FieldCipher cipher{ring};
  TestCipher() {
    std::vector<std::uint8_t> key(32, 0x5a);
    ring.add(1, crypto::Key256(crypto::ByteView(key)));
    ring.setActive(1);
  }
};

// Printable enums for Boost.Test messages.
inline std::ostream& operator<<(std::ostream& os, Outcome o) {
  return os << toString(o);
}
inline std::ostream& operator<<(std::ostream& os, Severity s) {
  return os << toString(s);
}
inline std::ostream& operator<<(std::ostream& os, AlertState s) {
  return os << toString(s);
}
inline std::ostream& operator<<(std::ostream& os, AlertChangeKind k) {
  return os << toString(k);
}
}  // namespace vigil::alerts

namespace vigil::alerts::test {

using vigil::TimePoint;

using namespace std::chrono_literals;

/// 2027-01-15T08:00:00Z: the manual clock's default start.
inline const TimePoint kT0{std::chrono::seconds{1'800'000'000}};

inline AlertRule makeRule(std::string key, RuleKind kind, std::string_view code, Comparison cmp,
                          std::vector<Tier> tiers, std::chrono::seconds window = 0s, int count = 0,
                          std::string unit = "") {
  AlertRule r;
  r.key = std::move(key);
  r.kind = kind;
  r.code = std::string(code);
  r.comparison = cmp;
  r.tiers = std::move(tiers);
  r.window = window;
  r.count = count;
  r.unit = std::move(unit);
  return r;
}

inline Observation makeObs(std::int64_t readingId, std::int64_t patientId, std::string_view code,
                           double value, TimePoint deviceTime, std::string unit = "") {
  Observation o;
  o.readingId = readingId;
  o.patientId = patientId;
  o.code = std::string(code);
  o.value = value;
  o.unit = std::move(unit);
  o.deviceTime = deviceTime;
  o.receivedAt = deviceTime;
  return o;
}

/// Clock, metrics, bus, rules, lifecycle and engine in one place.
struct EngineFixture {
  explicit EngineFixture(std::vector<AlertRule> rules, EscalationPolicy policy = {},
                         EngineOptions options = {})
      : clock(kT0),
        bus(metrics),
        ruleSet(clock, std::move(rules)),
        lifecycle(clock, std::move(policy), &bus, metrics),
        engine(ruleSet, lifecycle, clock, options, metrics) {}

  std::vector<AlertChange> eval(std::vector<Observation> batch) { return engine.evaluate(batch); }
  std::vector<AlertChange> eval(Observation o) { return eval(std::vector<Observation>{o}); }
  std::uint64_t counter(const std::string& name) { return metrics.counter(name, "").value(); }

  testsupport::ManualClock clock;
  Metrics metrics;
  events::EventBus bus;
  RuleSet ruleSet;
  AlertLifecycle lifecycle;
  AlertEngine engine;
};

/// Makes the store refuse every new alert row (a trigger), as a full disk or a connection cut
/// during a commit would refuse the journal's write; acceptAlertRows() drops it again.
inline void refuseAlertRows(store::Database& db) {
  db.writeSync([](store::Connection& c) {
    if (c.backend() == store::Backend::postgres) {
      c.exec(
          "CREATE FUNCTION refuse_alerts() RETURNS trigger LANGUAGE plpgsql AS "
          "$$ BEGIN RAISE EXCEPTION 'refused'; END $$");
      c.exec(
          "CREATE TRIGGER refuse_alerts BEFORE INSERT ON alerts FOR EACH ROW EXECUTE FUNCTION "
          "refuse_alerts()");
    } else {
      c.exec(
          "CREATE TRIGGER refuse_alerts BEFORE INSERT ON alerts BEGIN SELECT RAISE(ABORT, "
          "'refused'); END");
    }
  });
}

inline void acceptAlertRows(store::Database& db) {
  db.writeSync([](store::Connection& c) {
    c.exec(c.backend() == store::Backend::postgres ? "DROP TRIGGER refuse_alerts ON alerts"
                                                   : "DROP TRIGGER refuse_alerts");
  });
}

}  // namespace vigil::alerts::test
