#pragma once
// The box's video rooms: one RoomRelay per visit with someone connected, created on the first
// connection and closed when the last participant leaves or the visit ends. Each connection
// gets a token, so a stale WebSocket closing after its participant reconnected elsewhere does
// not end the new session. While a visit is recorded, every session is: one encrypted file per
// participant session (a rejoin starts a new file, the dropped session's file is sealed).

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "vigil/video/room_relay.hpp"

namespace vigil::crypto {
class FieldCipher;
}

namespace vigil::video {

/// Receives one participant's signalling messages (called from GStreamer threads).
using ParticipantSink = std::function<void(const std::string& json)>;

/// Receives every quality sample of every room (visit, participant, sample).
using RoomQualityOut =
    std::function<void(std::int64_t visitId, std::int64_t userId, const CallQuality& quality)>;

/// Owns the relays of the visits in progress.
class VideoRooms {
 public:
  explicit VideoRooms(RelayConfig config, RoomQualityOut quality = {});
  ~VideoRooms();
  VideoRooms(const VideoRooms&) = delete;
  VideoRooms& operator=(const VideoRooms&) = delete;

  /// Opens (or replaces) the participant's session; returns its connection token. Throws
  /// AccessDenied when the room is full.
  std::uint64_t connect(std::int64_t visitId, std::int64_t userId, ParticipantSink sink);
  /// A signalling message from the participant's connection `token` (ValidationError when
  /// malformed); ignored when a newer connection replaced it.
  void signal(std::int64_t visitId, std::int64_t userId, std::uint64_t token,
              std::string_view json);
  /// Ends the session opened with `token` (false, doing nothing, when a newer one replaced
  /// it); closes the room when nobody is left.
  bool disconnect(std::int64_t visitId, std::int64_t userId, std::uint64_t token,
                  std::string_view reason);
  /// Sends a message to every participant connected to the visit (chat, notices).
  void broadcast(std::int64_t visitId, const std::string& json);
  /// Records every participant connected now, each to its own encrypted file in `dir`
  /// ("visit-<id>-user-<user>-<ms>.rec", the recording id is the name without ".rec"), and,
  /// until stopRecording(), every session that connects later (a participant joining, or
  /// rejoining after a drop, gets a new file starting at a keyframe). The caller has checked
  /// consent. Returns how many participants are recorded now.
  int startRecording(std::int64_t visitId, const std::filesystem::path& dir,
                     const crypto::FieldCipher& cipher);
  /// Stops the visit's recordings (withdrawn consent, an invitation, the provider, the room
  /// closing). A participant's recording also ends (complete) when their session ends.
  void stopRecording(std::int64_t visitId);
  /// True while the visit is being recorded.
  bool isRecording(std::int64_t visitId) const;
  /// Ends every session of the visit and closes its room.
  void endVisit(std::int64_t visitId);
  /// Rooms open now.
  std::size_t openRooms() const;

 private:
  struct Room;
  RelayConfig config_;
  RoomQualityOut quality_;
  mutable std::mutex mu_;
  std::map<std::int64_t, std::shared_ptr<Room>> rooms_;
  std::uint64_t nextToken_ = 1;
};

}  // namespace vigil::video
