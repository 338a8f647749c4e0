#pragma once
// The cloud link as a vigild subsystem: the outbox (always: the admins' status, retry and
// cancel work without a link) and, when sync.url is set, the link thread that sends the outbox
// and applies the inbox. It starts after security and before web; nothing else waits on it, so
// a WAN that is down for days changes nothing for monitoring, alerts, visits or the portal.

#include <memory>

#include "service_subsystem.hpp"
#include "vigil/app/config.hpp"
#include "vigil/sync/link.hpp"
#include "vigil/sync/outbox.hpp"

namespace vigil::app {

class StoreSubsystem;
class SecuritySubsystem;

class SyncSubsystem final : public ServiceSubsystem {
 public:
  SyncSubsystem(const Config& config, StoreSubsystem& store, SecuritySubsystem& security)
      : config_(config), store_(store), security_(security) {}
  const char* name() const override { return "sync"; }
  sync::Outbox& outbox() { return *outbox_; }
  /// nullptr when sync.url is empty.
  sync::Link* link() { return link_.get(); }

 protected:
  void initialize(Poco::Util::Application& app) override;
  void uninitialize() override;

 private:
  const Config& config_;
  StoreSubsystem& store_;
  SecuritySubsystem& security_;
  std::unique_ptr<sync::Outbox> outbox_;
  std::unique_ptr<sync::Link> link_;
};

/// The link's settings from the configuration (sync.*); keys beside the master key.
sync::LinkOptions linkOptions(const Config& config);
sync::BackoffPolicy backoffPolicy(const Config& config);

}  // namespace vigil::app
