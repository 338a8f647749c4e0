#pragma once
// The alert engine as a vigild subsystem: at start it restores rules, open alerts and snoozes
// from the store and catches up on readings stored after the last evaluated one; then every
// committed ingest batch is judged (ingest's stored-listener, on the store's writer thread) and
// a timer ticks missing-data rules and escalations. Changes go to the event bus (live queue)
// and are journalled to the store.

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "service_subsystem.hpp"
#include "vigil/alerts/alert_engine.hpp"
#include "vigil/alerts/alert_lifecycle.hpp"
#include "vigil/alerts/alert_node.hpp"
#include "vigil/alerts/alert_repository.hpp"
#include "vigil/alerts/escalation_service.hpp"
#include "vigil/alerts/rule_set.hpp"
#include "vigil/app/config.hpp"
#include "vigil/cluster/event_relay.hpp"
#include "vigil/events/event_bus.hpp"
#include "vigil/ingest/ingest_service.hpp"

namespace vigil::app {

class StoreSubsystem;
class SecuritySubsystem;

/// Owns the event bus, rules, lifecycle, engine, alert repository and the escalation set-up.
class AlertsSubsystem final : public ServiceSubsystem {
 public:
  AlertsSubsystem(const Config& config, StoreSubsystem& store, SecuritySubsystem& security)
      : config_(config), store_(store), security_(security) {}
  const char* name() const override { return "alerts"; }

  /// Judges readings just committed by ingest (called on the store's writer thread).
  void onStored(const std::vector<ingest::StoredReading>& readings);

  events::EventBus& bus() { return bus_; }
  alerts::RuleSet& rules() { return *rules_; }
  alerts::AlertLifecycle& lifecycle() { return *lifecycle_; }
  alerts::AlertRepository& repository() { return *repo_; }
  alerts::EscalationService& escalation() { return *escalation_; }
  /// Several nodes: whether this one is the alert node (always true on a single box).
  bool isAlertNode() const { return !alertNode_ || alertNode_->isAlertNode(); }
  /// Several nodes (cluster.node_id on PostgreSQL): true. The web layer then sends the alert
  /// queue's requests to the alert node (421 elsewhere).
  bool clustered() const { return alertNode_ != nullptr; }

 protected:
  void initialize(Poco::Util::Application& app) override;
  void uninitialize() override;

 private:
  void tickLoop();

  const Config& config_;
  StoreSubsystem& store_;
  SecuritySubsystem& security_;
  events::EventBus bus_;
  std::unique_ptr<alerts::RuleSet> rules_;
  std::unique_ptr<alerts::AlertLifecycle> lifecycle_;
  std::unique_ptr<alerts::AlertEngine> engine_;
  std::unique_ptr<alerts::AlertRepository> repo_;
  std::unique_ptr<alerts::EscalationService> escalation_;
  std::unique_ptr<cluster::EventRelay> relay_;    // several nodes only
  std::unique_ptr<alerts::AlertNode> alertNode_;  // several nodes only
  std::thread ticker_;
  std::mutex mutex_;
  std::mutex judging_;  // onStored's judging, or a resync after a failed journal write
  std::condition_variable cv_;
  bool stop_ = false;
  std::atomic<bool> ready_{false};
};

}  // namespace vigil::app
