#include "vigil/alerts/alert.hpp"

namespace vigil::alerts {

std::string_view toString(AlertState s) {
  switch (s) {
    case AlertState::open:
      return "open";
    case AlertState::claimed:
      return "claimed";
    case AlertState::acknowledged:
      return "acknowledged";
    case AlertState::escalated:
      return "escalated";
    case AlertState::resolved:
      return "resolved";
  }
  return "open";
}

std::optional<AlertState> parseAlertState(std::string_view s) {
  for (auto v : {AlertState::open, AlertState::claimed, AlertState::acknowledged,
                 AlertState::escalated, AlertState::resolved}) {
    if (toString(v) == s) return v;
  }
  return std::nullopt;
}

std::string_view toString(AlertChangeKind k) {
  switch (k) {
    case AlertChangeKind::raised:
      return "raised";
    case AlertChangeKind::updated:
      return "updated";
    case AlertChangeKind::claimed:
      return "claimed";
    case AlertChangeKind::acknowledged:
      return "acknowledged";
    case AlertChangeKind::escalated:
      return "escalated";
    case AlertChangeKind::resolved:
      return "resolved";
  }
  return "updated";
}

}  // namespace vigil::alerts
