// The matching rule and the wait estimate, without the store (unit-tested on their own).
#include <algorithm>

#include "vigil/ondemand/ondemand.hpp"

namespace vigil::ondemand {
namespace {

constexpr std::string_view kReasons[] = {"new_symptoms", "ongoing_condition", "medication",
                                         "test_results", "other"};
constexpr std::string_view kStates[] = {"waiting", "started", "cancelled"};

}  // namespace

std::string_view toString(Reason r) {
  return kReasons[static_cast<std::size_t>(r)];
}

std::optional<Reason> parseReason(std::string_view s) {
  for (std::size_t i = 0; i < std::size(kReasons); ++i)
    if (kReasons[i] == s) return static_cast<Reason>(i);
  return std::nullopt;
}

std::string_view toString(RequestState s) {
  return kStates[static_cast<std::size_t>(s)];
}

std::optional<RequestState> parseRequestState(std::string_view s) {
  for (std::size_t i = 0; i < std::size(kStates); ++i)
    if (kStates[i] == s) return static_cast<RequestState>(i);
  return std::nullopt;
}

std::optional<std::int64_t> choose(const std::vector<Candidate>& candidates) {
  if (candidates.empty()) return std::nullopt;
  auto best = std::min_element(candidates.begin(), candidates.end(),
                               [](const Candidate& a, const Candidate& b) {
                                 if (a.queueLength != b.queueLength)
                                   return a.queueLength < b.queueLength;
                                 if (a.idleSince != b.idleSince) return a.idleSince < b.idleSince;
                                 return a.providerUserId < b.providerUserId;
                               });
  return best->providerUserId;
}

std::chrono::minutes estimatedWait(int position, std::chrono::minutes averageVisit) {
  return averageVisit * std::max(position, 0);
}

}  // namespace vigil::ondemand
