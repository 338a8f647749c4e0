// The alert node among several vigild (alert_node.hpp).

#include "vigil/alerts/alert_node.hpp"

#include <algorithm>
#include <unordered_set>
#include <utility>

#include "vigil/alerts/alert_engine.hpp"
#include "vigil/alerts/alert_lifecycle.hpp"
#include "vigil/alerts/alert_repository.hpp"
#include "vigil/alerts/escalation_service.hpp"
#include "vigil/alerts/rule_set.hpp"
#include "vigil/core/log.hpp"
#include "vigil/core/thread_name.hpp"
#include "vigil/events/event_bus.hpp"
#include "vigil/store/connection.hpp"
#include "vigil/store/postgres_cluster.hpp"

namespace vigil::alerts {

namespace {

constexpr std::size_t kMaxQueuedAtTakeover = 1'000'000;
constexpr std::size_t kMaxWarmUp = 2'000'000;
/// The pause after the store failed or refused a journal write, before the next turn.
constexpr std::chrono::seconds kBackOff{1};

bool isAlertEvent(const events::Event& e) {
  return std::holds_alternative<events::AlertRaised>(e) ||
         std::holds_alternative<events::AlertChanged>(e);
}

/// What went wrong, in words that carry no value (store errors never quote one either).
std::string_view failureKind(const std::exception& e) {
  if (const auto* db = dynamic_cast<const store::DbError*>(&e)) {
    if (db->isConnectionLost()) return "store_connection_lost";
    if (db->isDiskFull()) return "store_full";
    return "store_error";
  }
  return "error";
}

}  // namespace

AlertNode::AlertNode(Parts parts, Options options, Clock& clock, Metrics& metrics)
    : parts_(parts),
      options_(std::move(options)),
      clock_(clock),
      lease_(std::make_unique<store::PgLease>(options_.conninfo, options_.leaseKey)),
      judged_(metrics.counter("vigil_alert_node_judged_total",
                              "Readings of the cluster's queue judged by this node")),
      takeovers_(metrics.counter("vigil_alert_node_takeovers_total",
                                 "Times this node became the alert node")),
      role_(metrics.gauge("vigil_alert_node", "1 while this node is the alert node")) {}

AlertNode::~AlertNode() {
  stop();
}

void AlertNode::start() {
  stop_ = false;
  subscribe();
  thread_ = std::thread([this] {
    nameThisThread("vigil-alertnode");
    loop();
  });
}

void AlertNode::stop() {
  if (stop_.exchange(true)) return;
  if (thread_.joinable()) thread_.join();
  if (events_) parts_.bus.unsubscribe(events_);
}

void AlertNode::subscribe() {
  // Alert events refresh a follower; a reading stored on any node (here, or relayed once its
  // transaction committed) wakes the alert node to judge it, the poll being the fallback.
  events_ = parts_.bus.subscribe("alert-node", 10'000, [this](const events::Event& e) {
    return isAlertEvent(e) || (std::holds_alternative<events::ReadingStored>(e) && leading_.load());
  });
}

void AlertNode::loop() {
  using Steady = std::chrono::steady_clock;
  auto lastFollow = Steady::time_point{};
  auto lastLease = Steady::time_point{};
  bool held = false;
  bool followDue = false;  // an alert event came since the last reload
  while (!stop_) {
    if (Steady::now() - lastLease >= options_.poll) {
      held = lease_->refresh();
      lastLease = Steady::now();
    }
    try {
      if (held && !leading_) becomeAlertNode();
      if (!held && leading_) stepDown();
      if (leading_) {
        if (judgeQueue() == options_.batch) continue;  // more waiting: no pause
      } else {
        const auto sinceFollow = Steady::now() - lastFollow;
        if ((followDue && sinceFollow >= options_.followerGap) ||
            sinceFollow >= options_.followerRefresh) {
          followStore();
          lastFollow = Steady::now();
          followDue = false;
        }
      }
    } catch (const std::exception& e) {
      // The store failing over or full: the queue keeps the readings; try again in a while.
      log::error("alerts.alert_node_failed", {{"reason", failureKind(e)}});
      backOff_ = true;
    }
    // After a failure, a pause that readings arriving do not cut short (not a reload a turn).
    const auto wait = followDue ? std::min(options_.poll, options_.followerGap) : options_.poll;
    const bool pause = std::exchange(backOff_, false);
    const auto until = Steady::now() + (pause ? kBackOff : wait);
    do {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(until - Steady::now());
      for (auto e = events_->next(std::max(left, std::chrono::milliseconds(1))); e;
           e = events_->tryNext())
        followDue = followDue || isAlertEvent(e->event);
    } while (pause && !stop_ && Steady::now() < until);
    if (events_->closed() && !stop_) {
      followDue = true;  // events were missed: reload
      subscribe();
    }
  }
  if (leading_) stepDown();
  lease_->release();
}

void AlertNode::becomeAlertNode() {
  const auto loaded = loadFromStore();
  leading_ = true;
  takeovers_.inc();
  role_.set(1);
  log::info("alerts.alert_node_taken",
            {{"unresolved", static_cast<std::uint64_t>(loaded.unresolved)},
             {"warm_up", static_cast<std::uint64_t>(loaded.warmed)},
             {"queued", static_cast<std::uint64_t>(loaded.queued)}});
}

AlertNode::Loaded AlertNode::loadFromStore() {
  try {
    return loadFromStoreOnce();
  } catch (...) {
    parts_.repo.markDiverged();  // the store failed half-way: the next turn loads again
    throw;
  }
}

AlertNode::Loaded AlertNode::loadFromStoreOnce() {
  auto& repo = parts_.repo;
  const auto now = clock_.now();
  Loaded out;
  out.unresolved = loadAlertState(repo, parts_.rules, parts_.lifecycle, now);
  parts_.escalation.load();

  // Warm up from the recent readings already judged; the queued ones are judged next.
  parts_.engine.reset();
  auto queuedIds = repo.queuedIds(kMaxQueuedAtTakeover);
  const std::unordered_set<std::int64_t> queued(queuedIds.begin(), queuedIds.end());
  out.queued = queued.size();
  out.warmed = warmUpEngine(repo, parts_.engine, now, options_.lookback, kMaxWarmUp,
                            [&queued](std::int64_t id) { return queued.count(id) == 0; })
                   .warmed;
  return out;
}

void AlertNode::stepDown() {
  leading_ = false;
  role_.set(0);
  // Nothing more of ours is journalled: the next alert node owns the alerts now.
  parts_.lifecycle.setJournal(nullptr);
  parts_.rules.setChangeSink(nullptr);
  log::warn("alerts.alert_node_lost");
}

std::size_t AlertNode::judgeQueue() {
  auto& repo = parts_.repo;
  if (repo.diverged()) {
    // A journal write failed: memory may hold alerts the store does not. Reload, as a new
    // alert node would; the readings whose judging it journalled are still queued.
    log::warn("alerts.alert_node_resync");
    loadFromStore();
  }
  auto queued = repo.queuedForJudgement(options_.batch);
  if (queued.readingIds.empty()) return 0;
  if (!queued.observations.empty()) parts_.engine.evaluate(queued.observations);
  if (!repo.judged(queued.readingIds)) {
    backOff_ = true;  // reloaded at the next turn, after a pause
    return 0;
  }
  judged_.inc(queued.readingIds.size());
  return queued.readingIds.size();
}

void AlertNode::followStore() {
  auto& repo = parts_.repo;
  auto history = repo.ruleChanges();
  if (!history.empty()) parts_.rules.replay(history);
  parts_.escalation.load();
  parts_.lifecycle.replaceAll(repo.unresolvedAlerts(), repo.activeSuppressions(clock_.now()),
                              repo.maxAlertId() + 1);
}

}  // namespace vigil::alerts
