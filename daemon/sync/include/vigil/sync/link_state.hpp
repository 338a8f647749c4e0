#pragma once
// The cloud link's small state (table sync_state, migration 0016): the inbox cursor, when the
// link last worked and its last failure. Written inside the caller's write job.

#include <optional>
#include <string>
#include <string_view>

#include "vigil/core/clock.hpp"

namespace vigil::store {
class Connection;
}

namespace vigil::sync {

/// Keys of sync_state.
inline constexpr std::string_view kInboxCursorKey = "inbox.cursor";
inline constexpr std::string_view kLastSuccessKey = "link.last_success_at";
inline constexpr std::string_view kLastErrorKey = "link.last_error";
inline constexpr std::string_view kLastErrorAtKey = "link.last_error_at";

std::optional<std::string> linkStateIn(store::Connection& c, std::string_view key);
void setLinkStateIn(store::Connection& c, std::string_view key, std::string_view value);

/// A delivery or an inbox fetch succeeded at `now`.
void recordLinkSuccessIn(store::Connection& c, TimePoint now);
/// An attempt failed at `now` for `reason` (made a reason word).
void recordLinkErrorIn(store::Connection& c, TimePoint now, std::string_view reason);

/// `reason` as a word safe for logs, the audit log and the status: at most 64 characters of
/// [a-z0-9_.-] (others become '_'); "unspecified" when empty. A service's reason is its text,
/// not ours: this keeps whatever it sends to one bounded word.
std::string reasonWord(std::string_view reason);

}  // namespace vigil::sync
