#pragma once
// Which node a video visit's room lives on, with several vigild nodes (issue 29,
// docs/scale-out.md "Video rooms"). A visit's participants must reach the same relay, so the
// first node the visit's routes reach pins the room to itself (visit_rooms, migration 0045);
// the others send the visit's requests there while that node is present, and a node takes the
// room over when the pinned one is gone (its presence lock ended with its session). The choice
// is one write transaction: two nodes asking at once agree (SERIALIZABLE on PostgreSQL, the
// single writer on SQLite). An answer is reused for kRecheck: the visit page polls, and a
// room's node changes only when that node goes away.

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>

#include "vigil/core/clock.hpp"

namespace vigil::store {
class Database;
}

namespace vigil::video {

class RoomPins {
 public:
  /// Whether a node is present now (store::PgPresence::present).
  using Presence = std::function<bool(const std::string& nodeId)>;
  /// How long an answer is reused before the store and the presence locks are asked again.
  static constexpr std::chrono::seconds kRecheck{1};
  RoomPins(store::Database& db, std::string nodeId, Presence present, Clock& clock);

  /// The node the visit's room lives on: this one when the room was not pinned, or pinned to a
  /// node that is gone (it is pinned here then); otherwise the present node it is pinned to.
  /// Thread-safe; an answer is reused for kRecheck.
  std::string roomNode(std::int64_t visitId);
  const std::string& nodeId() const { return nodeId_; }

 private:
  std::string lookUp(std::int64_t visitId);

  store::Database& db_;
  const std::string nodeId_;
  Presence present_;
  Clock& clock_;
  struct Known {
    std::string node;
    TimePoint at;
  };
  std::mutex mutex_;
  std::unordered_map<std::int64_t, Known> known_;
};

}  // namespace vigil::video
