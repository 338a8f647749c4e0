#include "vigil/video/video_rooms.hpp"

#include <vector>

#include "vigil/core/metrics.hpp"
#include "vigil/video/recording.hpp"

namespace vigil::video {

struct VideoRooms::Room {
  std::mutex mu;
  std::map<std::int64_t, std::pair<std::uint64_t, ParticipantSink>> sinks;
  std::unique_ptr<RoomRelay> relay;
  std::mutex recordingMu;
  std::map<std::int64_t, std::unique_ptr<RoomRecording>> recordings;  // by participant

  /// Removes the taps from the room's pipeline, then finishes the files.
  void stopRecordings() {
    std::lock_guard lock(recordingMu);
    if (recordings.empty()) return;
    for (auto& [user, rec] : recordings) relay->stopRecording(user);
    relay->flush();
    recordings.clear();
  }
  ~Room() { stopRecordings(); }
};

namespace {
void publishRooms(std::size_t n) {
  static Gauge& g = Metrics::global().gauge("vigil_video_rooms", "Video rooms open");
  g.set(static_cast<double>(n));
}
}  // namespace

VideoRooms::VideoRooms(RelayConfig config, RoomQualityOut quality)
    : config_(std::move(config)), quality_(std::move(quality)) {
  config_.validate();
}

VideoRooms::~VideoRooms() {
  std::map<std::int64_t, std::shared_ptr<Room>> rooms;
  {
    std::lock_guard lock(mu_);
    rooms.swap(rooms_);
  }
  rooms.clear();  // each relay stops its pipeline
}

std::uint64_t VideoRooms::connect(std::int64_t visitId, std::int64_t userId, ParticipantSink sink) {
  std::shared_ptr<Room> room;
  std::uint64_t token = 0;
  {
    std::lock_guard lock(mu_);
    auto& slot = rooms_[visitId];
    if (!slot) {
      slot = std::make_shared<Room>();
      std::weak_ptr<Room> weak = slot;
      QualityOut onQuality;
      if (quality_) {
        onQuality = [visitId, q = quality_](std::int64_t user, const CallQuality& sample) {
          q(visitId, user, sample);
        };
      }
      slot->relay = std::make_unique<RoomRelay>(
          visitId, config_,
          [weak](std::int64_t participant, const std::string& json) {
            auto r = weak.lock();
            if (!r) return;
            ParticipantSink s;
            {
              std::lock_guard l(r->mu);
              auto it = r->sinks.find(participant);
              if (it != r->sinks.end()) s = it->second.second;
            }
            if (s) s(json);
          },
          onQuality);
    }
    room = slot;
    token = nextToken_++;
    publishRooms(rooms_.size());
  }
  {
    std::lock_guard lock(room->mu);
    room->sinks[userId] = {token, std::move(sink)};
  }
  try {
    room->relay->connect(userId);
  } catch (...) {
    std::lock_guard lock(room->mu);
    room->sinks.erase(userId);
    throw;
  }
  return token;
}

void VideoRooms::signal(std::int64_t visitId, std::int64_t userId, std::string_view json) {
  std::shared_ptr<Room> room;
  {
    std::lock_guard lock(mu_);
    auto it = rooms_.find(visitId);
    if (it == rooms_.end()) return;
    room = it->second;
  }
  room->relay->handleSignal(userId, json);
}

bool VideoRooms::disconnect(std::int64_t visitId, std::int64_t userId, std::uint64_t token,
                            std::string_view reason) {
  std::shared_ptr<Room> closing;
  {
    std::lock_guard lock(mu_);
    auto it = rooms_.find(visitId);
    if (it == rooms_.end()) return false;
    auto room = it->second;
    bool empty = false;
    {
      std::lock_guard l(room->mu);
      auto s = room->sinks.find(userId);
      if (s == room->sinks.end() || s->second.first != token) return false;
      room->sinks.erase(s);
      empty = room->sinks.empty();
    }
    room->relay->disconnect(userId, reason);
    if (empty) {
      closing = room;
      rooms_.erase(it);
      publishRooms(rooms_.size());
    }
  }
  closing.reset();  // outside the lock: stopping a pipeline takes a moment
  return true;
}

void VideoRooms::broadcast(std::int64_t visitId, const std::string& json) {
  std::shared_ptr<Room> room;
  {
    std::lock_guard lock(mu_);
    auto it = rooms_.find(visitId);
    if (it == rooms_.end()) return;
    room = it->second;
  }
  std::vector<ParticipantSink> sinks;
  {
    std::lock_guard lock(room->mu);
    for (auto& [user, entry] : room->sinks) sinks.push_back(entry.second);
  }
  for (auto& s : sinks) s(json);
}

int VideoRooms::startRecording(std::int64_t visitId, const std::filesystem::path& dir,
                               const crypto::FieldCipher& cipher) {
  std::shared_ptr<Room> room;
  {
    std::lock_guard lock(mu_);
    auto it = rooms_.find(visitId);
    if (it == rooms_.end()) return 0;
    room = it->second;
  }
  std::filesystem::create_directories(dir);
  std::filesystem::permissions(dir, std::filesystem::perms::owner_all);
  std::lock_guard lock(room->recordingMu);
  int started = 0;
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  for (auto user : room->relay->participants()) {
    if (room->recordings.count(user)) continue;
    const std::string id = "visit-" + std::to_string(visitId) + "-user-" + std::to_string(user) +
                           "-" + std::to_string(ms);
    auto rec = std::make_unique<RoomRecording>(id, dir / (id + ".rec"), cipher, config_.videoCodec);
    room->relay->startRecording(user, *rec);
    room->recordings[user] = std::move(rec);
    ++started;
  }
  room->relay->flush();
  return started;
}

void VideoRooms::stopRecording(std::int64_t visitId) {
  std::shared_ptr<Room> room;
  {
    std::lock_guard lock(mu_);
    auto it = rooms_.find(visitId);
    if (it == rooms_.end()) return;
    room = it->second;
  }
  room->stopRecordings();
}

bool VideoRooms::isRecording(std::int64_t visitId) const {
  std::shared_ptr<Room> room;
  {
    std::lock_guard lock(mu_);
    auto it = rooms_.find(visitId);
    if (it == rooms_.end()) return false;
    room = it->second;
  }
  std::lock_guard lock(room->recordingMu);
  return !room->recordings.empty();
}

void VideoRooms::endVisit(std::int64_t visitId) {
  std::shared_ptr<Room> closing;
  {
    std::lock_guard lock(mu_);
    auto it = rooms_.find(visitId);
    if (it == rooms_.end()) return;
    closing = it->second;
    rooms_.erase(it);
    publishRooms(rooms_.size());
  }
  closing.reset();
}

std::size_t VideoRooms::openRooms() const {
  std::lock_guard lock(mu_);
  return rooms_.size();
}

}  // namespace vigil::video
