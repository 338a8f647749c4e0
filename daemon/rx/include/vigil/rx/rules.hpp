#pragma once
// State controlled-substance rules (issue 25), per state and DEA schedule (II-V): the maximum
// days' supply, the refills allowed, whether the prescription must be electronic (EPCS), and
// whether telehealth prescribing needs a prior in-person evaluation. Seeded by migration 0032
// for the federal floor ('US') and several states (each row's source in docs/prescribing.md);
// admins update a row (audited, rx_rule.set).
//
// What applies to a prescription is the state's row combined with the federal floor: the
// stricter of each limit, and a requirement when either sets it. So a state row can never
// allow a C-II refill (21 CFR 1306.12(a)), and a state without a row gets the floor. Every
// refusal quotes the rule text and its source.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/core/clock.hpp"
#include "vigil/core/error.hpp"
#include "vigil/security/access.hpp"

namespace vigil::store {
class Connection;
class Database;
}  // namespace vigil::store
namespace vigil::security {
class AuditLog;
}

namespace vigil::rx {

using Date = std::chrono::year_month_day;

/// One row of the table.
struct StateRule {
  std::string state;  // two letters; "US" for the federal floor
  int schedule = 2;   // 2..5
  std::optional<int> maxDaysSupply;
  std::optional<int> maxRefills;
  bool epcsRequired = false;
  bool inPersonRequired = false;
  std::string ruleText;
  std::string source;
  std::optional<std::int64_t> updatedBy;  // none: as seeded
  TimePoint updatedAt;
};

/// What applies to one prescription: the state's row (if any) and the federal floor combined.
struct AppliedRule {
  std::optional<int> maxDaysSupply;
  std::optional<int> maxRefills;
  bool epcsRequired = false;
  bool inPersonRequired = false;
  /// The rules quoted, state first then federal: "<text> (<source>)".
  std::string quoted;
};

/// A limit the prescription breaks, with the rule quoted.
struct RuleBreach {
  std::string field;  // "days_supply", "refills", "in_person_on"
  std::string message;
};

/// Combines a state's row (if any) with the federal floor's (if any).
AppliedRule combine(const std::optional<StateRule>& state, const std::optional<StateRule>& floor);
/// The breaches of a prescription against the rule (empty: it may be written). `inPersonOn` is
/// the prior in-person evaluation the prescriber attests, needed only for telehealth.
std::vector<RuleBreach> breaches(const AppliedRule& rule, int daysSupply, int refills,
                                 bool telehealth, const std::optional<Date>& inPersonOn);

/// The table.
class StateRuleService {
 public:
  StateRuleService(store::Database& db, security::AuditLog& audit, Clock& clock)
      : db_(db), audit_(audit), clock_(clock) {}

  /// Every row, by state then schedule (rx_rule.list: staff who prescribe or read; not PHI).
  std::vector<StateRule> list(const security::Actor& actor);
  /// Sets one row (rx_rule.set: admins), audited with the old and new values in the reason.
  /// Throws ValidationError (state, schedule 2..5, a limit below 0, empty text or source, a
  /// C-II refill: the federal floor cannot be relaxed), AccessDenied.
  void set(const security::Actor& actor, const StateRule& rule);

  static std::optional<StateRule> getIn(store::Connection& c, std::string_view state, int schedule);
  /// What applies to a controlled prescription in `state` (schedule 2..5).
  static AppliedRule applicableIn(store::Connection& c, std::string_view state, int schedule);

 private:
  store::Database& db_;
  security::AuditLog& audit_;
  Clock& clock_;
};

}  // namespace vigil::rx
