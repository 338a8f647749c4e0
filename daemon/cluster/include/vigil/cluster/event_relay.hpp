#pragma once
// The event bus across nodes (issue 29, docs/scale-out.md): a provider's WebSocket on node A
// sees an alert raised on node B.
//
// Out: the relay subscribes to this node's bus and sends what was published here to the other
// nodes as NOTIFY payloads (channel vigil_events), in write jobs on the store's writer. The
// writer runs jobs in order, and the publishers journal before they publish (the alert
// lifecycle writes an alert's row, then publishes its event), so a node that receives an event
// finds its row committed when it reads it.
// In: a listener connection (store::PgListener) receives the other nodes' payloads and
// publishes their events on this node's bus; the relay does not send those back out.
// Loss: a subscriber queue that overflows, or a listener connection that was down, loses
// events; the relay then drops every local subscriber (EventBus::dropAll), whose clients
// reload from the store, and tells the others to do the same (a resync payload).

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "vigil/core/metrics.hpp"
#include "vigil/events/event_bus.hpp"

namespace vigil::store {
class Database;
class PgListener;
}  // namespace vigil::store

namespace vigil::cluster {

class EventRelay {
 public:
  struct Options {
    std::string conninfo;  // the store's (its own connection LISTENs)
    std::string nodeId;    // cluster.node_id: this node's events carry it
    std::string channel = "vigil_events";
    std::size_t queueCapacity = 20'000;  // local events waiting to go out
  };
  /// Connects the listener (throws store::PgError when the server is unreachable).
  EventRelay(store::Database& db, events::EventBus& bus, Options options,
             Metrics& metrics = Metrics::global());
  ~EventRelay();
  EventRelay(const EventRelay&) = delete;
  EventRelay& operator=(const EventRelay&) = delete;

  void start();
  void stop();

  std::uint64_t sentCount() const { return sent_.value(); }
  std::uint64_t receivedCount() const { return received_.value(); }

 private:
  void outLoop();
  void inLoop();
  void subscribe();

  store::Database& db_;
  events::EventBus& bus_;
  const Options options_;
  std::unique_ptr<store::PgListener> listener_;
  std::shared_ptr<events::Subscription> out_;  // the out-thread's only (after start)
  std::atomic<std::thread::id> inThread_{};
  std::atomic<bool> stop_{false};
  std::atomic<bool> localDrop_{false};  // the in-thread dropped every subscriber (not as slow)
  std::thread outThread_;
  std::thread inWorker_;
  Counter& sent_;
  Counter& received_;
  Counter& resyncs_;
};

}  // namespace vigil::cluster
