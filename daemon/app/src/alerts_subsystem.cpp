#include "alerts_subsystem.hpp"

#include <algorithm>

#include "security_subsystem.hpp"
#include "store_subsystem.hpp"
#include "vigil/core/log.hpp"
#include "vigil/core/thread_name.hpp"

namespace vigil::app {

void AlertsSubsystem::initialize(Poco::Util::Application&) {
  auto& clock = SystemClock::instance();
  auto policy = escalationPolicy(config_);
  rules_ = std::make_unique<alerts::RuleSet>(clock);
  lifecycle_ = std::make_unique<alerts::AlertLifecycle>(clock, policy, &bus_);
  engine_ = std::make_unique<alerts::AlertEngine>(*rules_, *lifecycle_, clock);
  const auto& cipher = security_.keys().cipher();
  repo_ = std::make_unique<alerts::AlertRepository>(store_.database(), cipher);
  // Escalation goes to active providers and nurses only (an admin is not clinical, a disabled
  // account reads nothing).
  escalation_ = std::make_unique<alerts::EscalationService>(
      store_.database(), cipher, *lifecycle_, clock, [this](std::int64_t userId) {
        auto user = security_.accounts().findUser(userId);
        return user && !user->disabled &&
               (user->role == security::Role::provider || user->role == security::Role::nurse);
      });
  // Free text an older version stored in plaintext is sealed before anything reads it.
  if (auto sealed = repo_->sealLegacyText() + escalation_->sealLegacyText(); sealed > 0)
    log::info("alerts.legacy_text_sealed", {{"values", sealed}});
  escalation_->load();  // before the catch-up below raises anything
  if (app::clustered(config_)) {
    const auto& node = config_.string("cluster.node_id");
    // Several nodes: the alert node judges every node's readings (docs/scale-out.md); this
    // node's bus reaches the others' through the relay.
    const auto conninfo = config_.string("store.conninfo");
    relay_ = std::make_unique<cluster::EventRelay>(store_.database(), bus_,
                                                   cluster::EventRelay::Options{conninfo, node});
    relay_->start();
    alertNode_ = std::make_unique<alerts::AlertNode>(
        alerts::AlertNode::Parts{*repo_, *rules_, *lifecycle_, *engine_, *escalation_, bus_},
        alerts::AlertNode::Options{.conninfo = conninfo}, clock);
    alertNode_->start();
  } else {
    auto caughtUp = alerts::restoreAlerts(*repo_, *rules_, *lifecycle_, *engine_, clock.now(),
                                          std::chrono::hours(48));  // extended to the rules' reach
    log::info("alerts.restored",
              {{"catch_up_changes", static_cast<std::uint64_t>(caughtUp.size())}});
  }
  ready_ = true;
  ticker_ = std::thread([this] {
    nameThisThread("vigil-alerts");
    tickLoop();
  });
}

void AlertsSubsystem::onStored(const std::vector<ingest::StoredReading>& readings) {
  if (!ready_.load()) return;  // before restore: the catch-up at start judges these
  if (alertNode_) {
    // Queued in the readings' transaction for the alert node: only the live events go out.
    for (const auto& s : readings)
      if (s.patientId)
        bus_.publish(events::ReadingStored{*s.patientId, s.readingId, s.reading.loinc});
    return;
  }
  std::lock_guard judging(judging_);  // not while a resync reloads (tickLoop)
  std::vector<alerts::Observation> batch;
  std::int64_t maxId = 0;
  for (const auto& s : readings) {
    maxId = std::max(maxId, s.readingId);
    if (!s.patientId) continue;  // unassigned device: stored, not judged
    const auto& r = s.reading;
    auto at = r.deviceTime && !r.deviceTimeLocal ? *r.deviceTime : s.receivedAt;
    auto add = [&](const std::string& code, double v) {
      batch.push_back({s.readingId, *s.patientId, code, v, r.unit, at, s.receivedAt});
    };
    if (r.value) add(r.loinc, *r.value);
    for (const auto& [code, v] : r.components)
      if (v) add(code, *v);
    bus_.publish(events::ReadingStored{*s.patientId, s.readingId, r.loinc});
  }
  if (!batch.empty()) engine_->evaluate(batch);
  if (maxId) repo_->noteEvaluated(maxId);
}

void AlertsSubsystem::tickLoop() {
  using Steady = std::chrono::steady_clock;
  const auto tickEvery = std::chrono::seconds(config_.integer("alerts.tick_seconds"));
  auto nextTick = Steady::now() + tickEvery;
  std::unique_lock lock(mutex_);
  while (!stop_) {
    // Every second: a failed journal write is mended soon, not at the next tick.
    cv_.wait_until(lock, std::min(nextTick, Steady::now() + std::chrono::seconds(1)));
    if (stop_) break;
    lock.unlock();
    try {
      if (!alertNode_) {
        std::lock_guard judging(judging_);
        alerts::resyncAfterJournalFailure(*repo_, *rules_, *lifecycle_, *engine_,
                                          SystemClock::instance().now());
      }
      if (Steady::now() >= nextTick) {
        nextTick = Steady::now() + tickEvery;
        if (isAlertNode()) engine_->tick(SystemClock::instance().now());
      }
    } catch (const std::exception&) {
      log::error("alerts.tick_failed");
    }
    lock.lock();
  }
}

void AlertsSubsystem::uninitialize() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  if (ticker_.joinable()) ticker_.join();
  if (alertNode_) alertNode_->stop();
  if (relay_) relay_->stop();
  ready_ = false;
  if (repo_) repo_->flush();
}

}  // namespace vigil::app
