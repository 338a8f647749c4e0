// The node each visit's room lives on (room_pins.hpp).

#include "vigil/video/room_pins.hpp"

#include "vigil/core/time.hpp"
#include "vigil/store/connection.hpp"
#include "vigil/store/database.hpp"

namespace vigil::video {

RoomPins::RoomPins(store::Database& db, std::string nodeId, Presence present, Clock& clock)
    : db_(db), nodeId_(std::move(nodeId)), present_(std::move(present)), clock_(clock) {}

std::string RoomPins::roomNode(std::int64_t visitId) {
  const auto now = clock_.now();
  {
    std::lock_guard lock(mutex_);
    if (auto it = known_.find(visitId); it != known_.end() && now - it->second.at < kRecheck)
      return it->second.node;
  }
  auto node = lookUp(visitId);
  std::lock_guard lock(mutex_);
  if (known_.size() >= 4096)  // visits come and go: keep only the answers still in use
    std::erase_if(known_, [&](const auto& kv) { return now - kv.second.at >= kRecheck; });
  known_[visitId] = Known{node, now};
  return node;
}

std::string RoomPins::lookUp(std::int64_t visitId) {
  // Read first (most requests find the room pinned to a present node); write only to pin.
  auto pinned = db_.read([&](store::Connection& c) {
    return c.queryValue<std::string>("SELECT node_id FROM visit_rooms WHERE visit_id = ?1",
                                     visitId);
  });
  if (pinned && (*pinned == nodeId_ || present_(*pinned))) return *pinned;
  const auto now = core::toMillis(clock_.now());
  return db_.writeSync([&](store::Connection& c) {
    // Again inside the write: another node may have pinned it since the read.
    auto current =
        c.queryValue<std::string>("SELECT node_id FROM visit_rooms WHERE visit_id = ?1", visitId);
    if (current && (*current == nodeId_ || present_(*current))) return *current;
    // No such visit: nothing to pin (its route answers 404 here).
    if (!c.queryValue<std::int64_t>("SELECT id FROM visits WHERE id = ?1", visitId)) return nodeId_;
    if (current) {
      c.execute("UPDATE visit_rooms SET node_id = ?2, pinned_at = ?3 WHERE visit_id = ?1", visitId,
                nodeId_, now);
    } else {
      c.execute("INSERT INTO visit_rooms (visit_id, node_id, pinned_at) VALUES (?1, ?2, ?3)",
                visitId, nodeId_, now);
    }
    return nodeId_;
  });
}

}  // namespace vigil::video
