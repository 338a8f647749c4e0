#pragma once
// The box's inbox for the cloud link (docs/cloud-api.md, "Receiving: the inbox"): table
// sync_inbox (the messages applied, by id) and the cursor in sync_state (migration 0016).
//
// The services may deliver a message twice (a retry, a reordered page). applyIn() runs INSIDE
// the write job that makes the message's change: it records the message id, runs the change
// and moves the cursor in one savepoint, so either all three happen or none does; a message
// whose id is recorded already is skipped (its change is not made again). A crash between the
// fetch and the commit just fetches the same page again.

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "vigil/core/clock.hpp"

namespace vigil::store {
class Connection;
class Database;
}  // namespace vigil::store

namespace vigil::sync {

/// The change a message makes, on the caller's write connection.
using ApplyMessage = std::function<void(store::Connection&)>;

/// Applies each inbound message once and keeps the fetch cursor.
class Inbox {
 public:
  explicit Inbox(Clock& clock) : clock_(clock) {}

  /// Inside the caller's write job: unless `messageId` was applied before, runs apply(c) and
  /// records the id; then, if `cursor` is given, makes it the inbox cursor. Returns true when
  /// the message was applied now, false when it was a duplicate (nothing applied). If apply
  /// throws, nothing of it is kept (neither the id, nor the change, nor the cursor) and the
  /// exception propagates. Pass the page's cursor with the page's last message only, so a
  /// failing message earlier in the page is fetched again. Throws ValidationError for an empty
  /// or over-long id or kind.
  bool applyIn(store::Connection& c, std::string_view messageId, std::string_view kind,
               std::optional<std::string_view> cursor, const ApplyMessage& apply);

  /// Inside a write job: moves the cursor without a message (an empty page, or a page whose
  /// messages were all refused).
  static void advanceCursorIn(store::Connection& c, std::string_view cursor);
  /// The cursor to fetch after: "" before the first fetch.
  static std::string cursorIn(store::Connection& c);
  static std::string cursor(store::Database& db);
  /// True when the message was applied.
  static bool appliedIn(store::Connection& c, std::string_view messageId);

 private:
  Clock& clock_;
};

}  // namespace vigil::sync
