#pragma once
// Base of vigild's long-lived parts. Poco calls Subsystem::initialize/uninitialize only for
// subsystems registered before Application::initialize; vigild starts them itself, in order and
// only in service mode (commands like `store check` must not bind ports), so this base exposes
// start/stop.

#include <Poco/Util/Subsystem.h>

namespace vigil::app {

/// A Poco Subsystem that vigild starts and stops explicitly.
class ServiceSubsystem : public Poco::Util::Subsystem {
 public:
  void start(Poco::Util::Application& app) { initialize(app); }
  void stop() { uninitialize(); }
};

}  // namespace vigil::app
