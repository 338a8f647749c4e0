#pragma once
// The in-process event bus: ingest publishes "reading stored", the alert lifecycle publishes
// "alert raised" / "alert changed", the on-demand queue "on-demand changed", and WebSocket
// sessions subscribe.
//
// Trade-off: publish() must never block the ingest writer thread, so each subscriber has a
// bounded queue and a subscriber whose queue is full is DROPPED (closed), not the event. A
// dropped subscriber knows it missed events (closed() and reason) and resynchronises from the
// store (a WebSocket client reconnects and reloads its view), whereas silently losing single
// events would leave a provider's queue wrong without anyone noticing. Each drop counts in
// vigil_eventbus_dropped_total. The publisher holds the bus mutex only to copy the subscriber
// list and each subscriber's mutex only for a push, which a consumer holds only for a pop.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "vigil/core/clock.hpp"
#include "vigil/core/metrics.hpp"

namespace vigil::events {

/// A reading was committed to the store.
struct ReadingStored {
  std::int64_t patientId = 0;
  std::int64_t readingId = 0;
  std::string code;  // LOINC
};

/// A new alert was opened.
struct AlertRaised {
  std::int64_t alertId = 0;
  std::int64_t patientId = 0;
  std::string ruleKey;
  std::string severity;                  // info | low | high | critical
  std::optional<std::int64_t> assignee;  // who it is routed to (escalation chain), if anyone
};

/// An existing alert changed (new breach, claim, acknowledgement, escalation, resolution).
struct AlertChanged {
  std::int64_t alertId = 0;
  std::int64_t patientId = 0;
  std::string ruleKey;
  std::string change;  // updated | claimed | acknowledged | escalated | resolved
  std::string state;   // open | claimed | acknowledged | escalated | resolved
  std::string severity;
  std::int64_t count = 0;
  std::optional<std::int64_t> assignee;  // who it is routed to now (nullopt after an
                                         // escalation: nobody left in the chain)
  int escalationLevel = 0;
  std::optional<std::int64_t> previousAssignee;  // escalated: who had it before
};

/// Something on clinicians' worklists changed for a patient (issue 23): a note drafted,
/// submitted, co-signed or signed, a visit scheduled, started or ended. The portal asks for its
/// counts again (they carry no PHI); the event carries the patient's id and a word only.
struct WorkChanged {
  std::int64_t patientId = 0;
  std::string area;  // note | visit | case | review
};

/// An on-demand request (issue 22) changed, or its place in a queue did: the patient's page and
/// the provider's queue reload through the audited REST routes. Ids and words only.
struct OnDemandChanged {
  std::int64_t patientId = 0;
  std::int64_t requestId = 0;
  std::optional<std::int64_t> providerUserId;          // whose queue it is in now (none: pool)
  std::optional<std::int64_t> previousProviderUserId;  // whose queue it left, if it moved
  std::string state;                                   // waiting | started | cancelled
};

using Event = std::variant<ReadingStored, AlertRaised, AlertChanged, WorkChanged, OnDemandChanged>;

/// An event with its bus-wide sequence number (gap-free per bus, so a subscriber can detect
/// what it missed).
struct Envelope {
  std::uint64_t sequence = 0;
  Event event;
};

/// One subscriber's bounded queue. Consumers pop from it on their own thread.
class Subscription {
 public:
  Subscription(std::string name, std::size_t capacity);

  /// Waits up to `timeout` for the next event; nullopt on timeout or once closed and drained.
  std::optional<Envelope> next(std::chrono::milliseconds timeout);
  /// The next event if one is queued.
  std::optional<Envelope> tryNext();
  /// True once the bus dropped this subscriber (queue full) or it was unsubscribed.
  bool closed() const;
  /// True when the bus dropped this subscriber because it was too slow.
  bool droppedAsSlow() const;
  std::size_t queued() const;
  const std::string& name() const { return name_; }

 private:
  friend class EventBus;
  enum class Push { ok, full, closed };
  Push push(const Envelope& e);
  void close(bool slow);

  const std::string name_;
  const std::size_t capacity_;
  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<Envelope> queue_;
  bool closed_ = false;
  bool slow_ = false;
};

/// Fan-out of typed events to bounded subscriber queues; publish() never blocks.
class EventBus {
 public:
  using Filter = std::function<bool(const Event&)>;

  explicit EventBus(Metrics& metrics = Metrics::global());

  /// Adds a subscriber with a queue of `capacity` events (>= 1). `filter` (optional) runs on
  /// the publishing thread and must be cheap; events it rejects are not queued.
  std::shared_ptr<Subscription> subscribe(std::string name, std::size_t capacity,
                                          Filter filter = {});
  /// Removes the subscriber and closes its queue.
  void unsubscribe(const std::shared_ptr<Subscription>& subscription);
  /// Drops every subscriber as if it had been too slow (droppedAsSlow()): they missed events
  /// and resynchronise from the store. For events that came from elsewhere and were lost on
  /// the way (another node's, while the connection to them was down). Returns how many.
  std::size_t dropAll();
  /// Queues the event for every subscriber; a subscriber whose queue is full is dropped.
  /// Returns the event's sequence number.
  std::uint64_t publish(Event event);

  std::size_t subscriberCount() const;
  std::uint64_t droppedCount() const { return dropped_.value(); }

 private:
  struct Entry {
    std::shared_ptr<Subscription> subscription;
    Filter filter;
  };
  mutable std::mutex mutex_;
  std::vector<Entry> subscribers_;
  std::uint64_t sequence_ = 0;
  Counter& dropped_;
  Counter& published_;
};

}  // namespace vigil::events
