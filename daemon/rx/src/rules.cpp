#include "vigil/rx/rules.hpp"

#include <algorithm>

#include "vigil/core/time.hpp"
#include "vigil/licensing/licenses.hpp"
#include "vigil/security/access_guard.hpp"
#include "vigil/security/audit_log.hpp"
#include "vigil/store/database.hpp"
#include "vigil/store/sqlite.hpp"

namespace vigil::rx {
namespace {

std::optional<int> stricter(std::optional<int> a, std::optional<int> b) {
  if (!a) return b;
  if (!b) return a;
  return std::min(*a, *b);
}

constexpr const char* kColumns =
    "state, schedule, max_days_supply, max_refills, epcs_required, in_person_required, "
    "rule_text, source, updated_by, updated_at";

StateRule rowToRule(store::Statement& s) {
  StateRule r;
  r.state = s.getText(0);
  r.schedule = static_cast<int>(s.getInt64(1));
  r.maxDaysSupply = s.get<std::optional<int>>(2);
  r.maxRefills = s.get<std::optional<int>>(3);
  r.epcsRequired = s.getInt64(4) != 0;
  r.inPersonRequired = s.getInt64(5) != 0;
  r.ruleText = s.getText(6);
  r.source = s.getText(7);
  r.updatedBy = s.get<std::optional<std::int64_t>>(8);
  r.updatedAt = core::fromMillis(s.getInt64(9));
  return r;
}

std::string describe(const std::optional<int>& v) {
  return v ? std::to_string(*v) : "none";
}

}  // namespace

AppliedRule combine(const std::optional<StateRule>& state, const std::optional<StateRule>& floor) {
  AppliedRule a;
  for (const auto* r : {&state, &floor}) {
    if (!*r) continue;
    const auto& rule = **r;
    a.maxDaysSupply = stricter(a.maxDaysSupply, rule.maxDaysSupply);
    a.maxRefills = stricter(a.maxRefills, rule.maxRefills);
    a.epcsRequired = a.epcsRequired || rule.epcsRequired;
    a.inPersonRequired = a.inPersonRequired || rule.inPersonRequired;
    if (!a.quoted.empty()) a.quoted += " ";
    a.quoted += rule.ruleText + " (" + rule.source + ")";
  }
  // The federal floor holds whatever the table says: a C-II prescription is never refilled.
  return a;
}

std::vector<RuleBreach> breaches(const AppliedRule& rule, int daysSupply, int refills,
                                 bool telehealth, const std::optional<Date>& inPersonOn) {
  std::vector<RuleBreach> out;
  if (rule.maxDaysSupply && daysSupply > *rule.maxDaysSupply)
    out.push_back({"days_supply", "at most " + std::to_string(*rule.maxDaysSupply) +
                                      " days' supply: " + rule.quoted});
  if (rule.maxRefills && refills > *rule.maxRefills)
    out.push_back({"refills", (*rule.maxRefills == 0
                                   ? std::string("no refills")
                                   : "at most " + std::to_string(*rule.maxRefills) + " refills") +
                                  ": " + rule.quoted});
  if (rule.inPersonRequired && telehealth && !inPersonOn)
    out.push_back({"in_person_on",
                   "a prior in-person evaluation is required for telehealth prescribing (give "
                   "its date): " +
                       rule.quoted});
  return out;
}

std::optional<StateRule> StateRuleService::getIn(store::Connection& c, std::string_view state,
                                                 int schedule) {
  auto s = c.prepare(std::string("SELECT ") + kColumns +
                     " FROM rx_state_rules WHERE state = ?1 AND schedule = ?2");
  s.bind(1, state).bind(2, static_cast<std::int64_t>(schedule));
  if (!s.step()) return std::nullopt;
  return rowToRule(s);
}

AppliedRule StateRuleService::applicableIn(store::Connection& c, std::string_view state,
                                           int schedule) {
  auto a =
      combine(state == "US" ? std::nullopt : getIn(c, state, schedule), getIn(c, "US", schedule));
  if (schedule == 2) a.maxRefills = 0;  // 21 CFR 1306.12(a), even if a row was edited away
  return a;
}

std::vector<StateRule> StateRuleService::list(const security::Actor& actor) {
  security::AccessGuard guard(db_, audit_);
  return guard.read(actor, security::operation("rx_rule.list"), std::nullopt,
                    {"rx_state_rules", ""}, [&](store::Connection& c) {
                      auto s = c.prepare(std::string("SELECT ") + kColumns +
                                         " FROM rx_state_rules ORDER BY state = 'US' DESC, "
                                         "state, schedule");
                      std::vector<StateRule> out;
                      while (s.step()) out.push_back(rowToRule(s));
                      return out;
                    });
}

void StateRuleService::set(const security::Actor& actor, const StateRule& r) {
  if (r.state != "US" && !licensing::isStateCode(r.state))
    throw ValidationError("state: a US state code, or US for the federal floor");
  if (r.schedule < 2 || r.schedule > 5) throw ValidationError("schedule: 2 to 5");
  if (r.maxDaysSupply && (*r.maxDaysSupply < 1 || *r.maxDaysSupply > 365))
    throw ValidationError("max_days_supply: 1 to 365, or none");
  if (r.maxRefills && (*r.maxRefills < 0 || *r.maxRefills > 11))
    throw ValidationError("max_refills: 0 to 11, or none");
  if (r.schedule == 2 && r.maxRefills != 0)
    throw ValidationError("max_refills: a C-II prescription is never refilled (21 CFR 1306.12)");
  if (r.ruleText.empty() || r.ruleText.size() > 1000) throw ValidationError("rule_text: 1 to 1000");
  if (r.source.empty() || r.source.size() > 500) throw ValidationError("source: 1 to 500");
  security::AccessGuard guard(db_, audit_);
  guard.write(actor, security::operation("rx_rule.set"), std::nullopt,
              {"rx_state_rule", r.state + "/" + std::to_string(r.schedule)},
              [&](store::Connection& c) {
                c.execute(
                    "INSERT INTO rx_state_rules (state, schedule, max_days_supply, max_refills, "
                    "epcs_required, in_person_required, rule_text, source, updated_by, "
                    "updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) "
                    "ON CONFLICT (state, schedule) DO UPDATE SET "
                    "max_days_supply = excluded.max_days_supply, "
                    "max_refills = excluded.max_refills, epcs_required = excluded.epcs_required, "
                    "in_person_required = excluded.in_person_required, "
                    "rule_text = excluded.rule_text, source = excluded.source, "
                    "updated_by = excluded.updated_by, updated_at = excluded.updated_at",
                    r.state, static_cast<std::int64_t>(r.schedule), r.maxDaysSupply, r.maxRefills,
                    static_cast<std::int64_t>(r.epcsRequired),
                    static_cast<std::int64_t>(r.inPersonRequired), r.ruleText, r.source, actor.id,
                    core::toMillis(clock_.now()));
              });
  (void)describe;
}

}  // namespace vigil::rx
