#include "vigil/alerts/escalation.hpp"

#include <algorithm>
#include <set>

namespace vigil::alerts {

const std::vector<std::int64_t>& EscalationSetup::chainFor(std::int64_t patientId) const {
  auto it = patientChains.find(patientId);
  return it == patientChains.end() || it->second.empty() ? clinicChain : it->second;
}

std::int64_t coveringUser(const std::vector<Coverage>& coverage, std::int64_t userId,
                          TimePoint now) {
  std::set<std::int64_t> seen{userId};
  auto current = userId;
  for (;;) {
    // The newest entry in force wins when two overlap for the same person.
    const Coverage* best = nullptr;
    for (const auto& c : coverage)
      if (c.userId == current && c.inForce(now) && (!best || c.createdAt >= best->createdAt))
        best = &c;
    if (!best || !seen.insert(best->coveredBy).second) return current;
    current = best->coveredBy;
  }
}

std::optional<std::int64_t> routeAt(const EscalationSetup& setup, std::int64_t patientId, int level,
                                    TimePoint now) {
  const auto& chain = setup.chainFor(patientId);
  if (level < 0 || static_cast<std::size_t>(level) >= chain.size()) return std::nullopt;
  return coveringUser(setup.coverage, chain[static_cast<std::size_t>(level)], now);
}

}  // namespace vigil::alerts
