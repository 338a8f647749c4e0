#pragma once
// Video visits as a vigild subsystem (built only with VIGIL_WITH_VIDEO): the visit service
// (rooms, access, audit) and the WebRTC relays, started after the store and security core
// and before the web server, whose /api/v1/visits routes call it.

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "periodic_task.hpp"
#include "service_subsystem.hpp"
#include "vigil/app/config.hpp"
#include "vigil/store/postgres_cluster.hpp"
#include "vigil/video/room_pins.hpp"
#include "vigil/video/video_rooms.hpp"
#include "vigil/video/visit.hpp"
#include "vigil/web/visit_routes.hpp"

namespace vigil::app {

class StoreSubsystem;
class SecuritySubsystem;

/// Owns the VisitService and the VideoRooms.
class VideoSubsystem final : public ServiceSubsystem {
 public:
  VideoSubsystem(const Config& config, StoreSubsystem& store, SecuritySubsystem& security)
      : config_(config), store_(store), security_(security) {}
  const char* name() const override { return "video"; }

  /// What the visit routes need (valid after start).
  web::VisitApi api();
  /// Several nodes (docs/scale-out.md "Video rooms"): the node a visit's room lives on when it
  /// is not this one; empty function on a single box.
  std::function<std::optional<std::string>(std::int64_t)> roomElsewhere();

 protected:
  void initialize(Poco::Util::Application& app) override;
  void uninitialize() override;

 private:
  const Config& config_;
  StoreSubsystem& store_;
  SecuritySubsystem& security_;
  std::unique_ptr<video::VisitService> visits_;
  std::unique_ptr<video::VideoRooms> rooms_;
  std::unique_ptr<store::PgPresence> presence_;    // several nodes only
  std::unique_ptr<video::RoomPins> pins_;          // several nodes only
  std::unique_ptr<PeriodicTask> presenceRefresh_;  // several nodes only
};

}  // namespace vigil::app
