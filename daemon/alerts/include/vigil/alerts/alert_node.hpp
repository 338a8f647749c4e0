#pragma once
// The alert node: the one vigild of several (cluster.node_id on PostgreSQL, issue 29) that
// judges readings, ticks missing-data rules and escalates (docs/scale-out.md "Alert
// evaluation").
//
// Why one: the engine's per-patient state (windows, runs, last-seen times) and the lifecycle's
// open alerts live in memory, and a patient's readings reach any node (the broker spreads
// devices' messages over them). One judge sees every patient's readings in one order, so one
// open alert per patient and rule, trends across readings of both nodes and escalation
// deadlines hold as on one box. The database keeps the invariants too (alerts_one_open).
//
// How: the node holds a lease (store::PgLease, a session advisory lock). Every node queues the
// readings it stores (readings_to_judge, in the reading's transaction); the alert node judges
// them lowest id first and takes them off the queue once what it journalled is committed; the
// ReadingStored event of each stored reading (relayed from the other nodes after its commit)
// wakes it, and it looks at the queue every `poll` besides, for an event lost on the way. The
// lease moves when its session ends (the node dies, is cut off or stops): the next node
// reloads the rules, the escalation set-up, the unresolved alerts and snoozes from the store,
// warms the engine up from the recent readings already judged and judges the queue. The other
// nodes keep a copy of the unresolved alerts, refreshed from the store when an alert event
// arrives (the event relay; at most every `followerGap`) and every few seconds, for the pages
// they serve; the alert queue's commands go to the alert node (the web layer answers 421
// elsewhere).
//
// A node that loses its lease while running (its database session cut) stops judging at its
// next turn (at most `poll` later); journal entries it posted before may still commit, and the
// database's constraints keep them from opening a second alert.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "vigil/core/clock.hpp"
#include "vigil/core/metrics.hpp"

namespace vigil::events {
class EventBus;
class Subscription;
}  // namespace vigil::events
namespace vigil::store {
class PgLease;
}

namespace vigil::alerts {

class AlertRepository;
class RuleSet;
class AlertLifecycle;
class AlertEngine;
class EscalationService;

class AlertNode {
 public:
  struct Parts {
    AlertRepository& repo;
    RuleSet& rules;
    AlertLifecycle& lifecycle;
    AlertEngine& engine;
    EscalationService& escalation;
    events::EventBus& bus;  // readings stored wake the alert node; alert events, a follower
  };
  struct Options {
    std::string conninfo;                      // the store's
    std::int64_t leaseKey = 0x5649474C414C52;  // "VIGLALR": the advisory lock's key
    std::chrono::milliseconds poll{50};       // lease check, and queue look without a reading event
    std::size_t batch = 500;                  // readings judged per turn
    std::chrono::hours lookback{48};          // warm-up (extended to the rules' reach)
    std::chrono::seconds followerRefresh{5};  // a follower reloads at least this often
    std::chrono::milliseconds followerGap{500};  // and after alert events, at most this often
  };
  AlertNode(Parts parts, Options options, Clock& clock, Metrics& metrics = Metrics::global());
  ~AlertNode();
  AlertNode(const AlertNode&) = delete;
  AlertNode& operator=(const AlertNode&) = delete;

  void start();
  void stop();
  /// True while this node holds the lease and has loaded the state (judges, ticks, commands).
  bool isAlertNode() const { return leading_.load(); }
  /// Readings judged by this node since start.
  std::uint64_t judgedCount() const { return judged_.value(); }

 private:
  void subscribe();
  void loop();
  struct Loaded {
    std::size_t unresolved = 0, warmed = 0, queued = 0;
  };
  void becomeAlertNode();
  /// The rules, alerts and escalation set-up from the store, the engine warmed up afresh.
  Loaded loadFromStore();
  Loaded loadFromStoreOnce();
  void stepDown();
  /// Judges one batch of the queue; returns how many readings it took.
  std::size_t judgeQueue();
  void followStore();

  Parts parts_;
  const Options options_;
  Clock& clock_;
  std::unique_ptr<store::PgLease> lease_;
  std::shared_ptr<events::Subscription> events_;
  std::atomic<bool> leading_{false};
  bool backOff_ = false;  // the last turn failed: pause before the next (loop thread only)
  std::atomic<bool> stop_{false};
  std::thread thread_;
  Counter& judged_;
  Counter& takeovers_;
  Gauge& role_;
};

}  // namespace vigil::alerts
