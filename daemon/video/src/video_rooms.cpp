#include "vigil/video/video_rooms.hpp"

#include <cassert>
#include <optional>
#include <vector>

#include "vigil/core/log.hpp"
#include "vigil/core/metrics.hpp"
#include "vigil/video/recording.hpp"

namespace vigil::video {

struct VideoRooms::Room {
  std::int64_t visitId = 0;
  VideoCodec codec = VideoCodec::vp8;
  std::mutex mu;
  std::map<std::int64_t, std::pair<std::uint64_t, ParticipantSink>> sinks;
  std::unique_ptr<RoomRelay> relay;
  std::mutex recordingMu;
  /// Where the visit is being recorded to; set from startRecording() until stopRecordings().
  struct Target {
    std::filesystem::path dir;
    const crypto::FieldCipher* cipher = nullptr;
  };
  std::optional<Target> recordingTo;                                  // under recordingMu
  std::map<std::int64_t, std::unique_ptr<RoomRecording>> recordings;  // by participant

  /// Starts a new recording of the participant's current session (under recordingMu). A
  /// participant whose earlier session was recorded gets a file of their own for each session.
  void recordLocked(std::int64_t user) {
    assert(recordingTo);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count();
    auto stem = [&] {
      return "visit-" + std::to_string(visitId) + "-user-" + std::to_string(user) + "-" +
             std::to_string(ms);
    };
    while (std::filesystem::exists(recordingTo->dir / (stem() + ".rec"))) ++ms;  // a quick rejoin
    const std::string id = stem();
    auto rec = std::make_unique<RoomRecording>(id, recordingTo->dir / (id + ".rec"),
                                               *recordingTo->cipher, codec);
    relay->startRecording(user, *rec);
    recordings[user] = std::move(rec);
  }

  /// Removes the taps from the room's pipeline, then finishes the files.
  void stopRecordings() {
    std::lock_guard lock(recordingMu);
    recordingTo.reset();
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
      slot->visitId = visitId;
      slot->codec = config_.videoCodec;
      std::weak_ptr<Room> weak = slot;
      QualityOut onQuality;
      if (quality_) {
        onQuality = [visitId, q = quality_](std::int64_t user, const CallQuality& sample) {
          q(visitId, user, sample);
        };
      }
      slot->relay = std::make_unique<RoomRelay>(
          visitId, config_,
          [weak](std::int64_t participant, std::uint64_t session, const std::string& json) {
            auto r = weak.lock();
            if (!r) return;
            // Only to the connection that opened the session: a replaced session's late offer
            // or candidates must not reach the page that replaced it.
            ParticipantSink s;
            {
              std::lock_guard l(r->mu);
              auto it = r->sinks.find(participant);
              if (it != r->sinks.end() && it->second.first == session) s = it->second.second;
            }
            if (s) s(json);
          },
          onQuality);
    }
    room = slot;
    token = nextToken_++;
    publishRooms(rooms_.size());
  }
  bool recordingIncomplete = false;
  {
    // Held across the sink and the relay's session so startRecording() sees either both or
    // neither (lock order: recordingMu, then mu).
    std::lock_guard recording(room->recordingMu);
    {
      std::lock_guard lock(room->mu);
      room->sinks[userId] = {token, std::move(sink)};
    }
    try {
      room->relay->connect(userId, token);
    } catch (...) {
      std::lock_guard lock(room->mu);
      room->sinks.erase(userId);
      throw;
    }
    // A session that replaces a recorded one: the old session's taps went with it (the relay
    // tears it down before building the new one); its file is finished here.
    if (auto old = room->recordings.find(userId); old != room->recordings.end()) {
      room->relay->flush();
      old->second->stop();
      room->recordings.erase(old);
    }
    // Joining or rejoining while the visit is recorded: this session is recorded too (everyone
    // in the visit has consented, or the recording would have been stopped; see docs/video.md).
    if (room->recordingTo) {
      try {
        room->recordLocked(userId);
        log::info("video.recording_joined", {{"visit", visitId}, {"participant", userId}});
      } catch (const std::exception& e) {
        log::error("video.recording_join_failed",
                   {{"visit", visitId}, {"participant", userId}, {"error", e.what()}});
        recordingIncomplete = true;
      }
    }
  }
  // The recording goes on without this participant's media: everyone in the room is told, so
  // the provider can stop it and start it again, or carry on knowingly.
  if (recordingIncomplete)
    broadcast(visitId,
              "{\"type\":\"recording\",\"recording\":true,\"incomplete\":true,"
              "\"participant\":" +
                  std::to_string(userId) + "}");
  return token;
}

void VideoRooms::signal(std::int64_t visitId, std::int64_t userId, std::uint64_t token,
                        std::string_view json) {
  std::shared_ptr<Room> room;
  {
    std::lock_guard lock(mu_);
    auto it = rooms_.find(visitId);
    if (it == rooms_.end()) return;
    room = it->second;
  }
  room->relay->handleSignal(userId, token, json);
}

bool VideoRooms::disconnect(std::int64_t visitId, std::int64_t userId, std::uint64_t token,
                            std::string_view reason) {
  std::shared_ptr<Room> closing;
  std::shared_ptr<Room> staying;
  std::unique_ptr<RoomRecording> finished;  // the leaver's recording, finished below
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
    } else {
      std::lock_guard l(room->recordingMu);
      auto rec = room->recordings.find(userId);
      if (rec != room->recordings.end()) {
        finished = std::move(rec->second);
        room->recordings.erase(rec);
        staying = room;
      }
    }
  }
  closing.reset();  // outside the lock: stopping a pipeline takes a moment
  if (finished) {
    // The relay removes the taps with the session (queued above); then the file is sealed, so
    // a participant who drops leaves a complete recording of the session they had.
    staying->relay->flush();
    finished->stop();
  }
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
  room->recordingTo = Room::Target{dir, &cipher};
  // Everyone connect()ed: the relay builds sessions in order, so a tap queued now lands on a
  // session that is still being built.
  std::vector<std::int64_t> users;
  {
    std::lock_guard l(room->mu);
    for (const auto& [user, entry] : room->sinks) users.push_back(user);
  }
  int started = 0;
  for (auto user : users) {
    if (room->recordings.count(user)) continue;
    room->recordLocked(user);
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
  return room->recordingTo.has_value();
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
