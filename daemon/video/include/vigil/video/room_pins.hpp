#pragma once
// Which node a video visit's room lives on, with several vigild nodes (issue 29,
// docs/scale-out.md "Video rooms"). A visit's participants must reach the same relay, so the
// first node the visit's routes reach pins the room to itself (visit_rooms, migration 0045);
// the others send the visit's requests there while that node is present, and a node takes the
// room over when the pinned one is gone (its presence lock ended with its session). The choice
// is one write transaction: two nodes asking at once agree (SERIALIZABLE on PostgreSQL, the
// single writer on SQLite).

#include <cstdint>
#include <functional>
#include <string>

#include "vigil/core/clock.hpp"

namespace vigil::store {
class Database;
}

namespace vigil::video {

class RoomPins {
 public:
  /// Whether a node is present now (store::PgPresence::present).
  using Presence = std::function<bool(const std::string& nodeId)>;
  RoomPins(store::Database& db, std::string nodeId, Presence present, Clock& clock);

  /// The node the visit's room lives on: this one when the room was not pinned, or pinned to a
  /// node that is gone (it is pinned here then); otherwise the present node it is pinned to.
  std::string roomNode(std::int64_t visitId);
  const std::string& nodeId() const { return nodeId_; }

 private:
  store::Database& db_;
  const std::string nodeId_;
  Presence present_;
  Clock& clock_;
};

}  // namespace vigil::video
