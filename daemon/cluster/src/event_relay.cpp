// The event bus across nodes (event_relay.hpp).

#include "vigil/cluster/event_relay.hpp"

#include <chrono>
#include <vector>

#include "vigil/cluster/event_codec.hpp"
#include "vigil/core/log.hpp"
#include "vigil/core/thread_name.hpp"
#include "vigil/store/connection.hpp"
#include "vigil/store/database.hpp"
#include "vigil/store/postgres_cluster.hpp"

namespace vigil::cluster {

namespace {
constexpr std::size_t kBatchEvents = 500;  // local events gathered into one write job
}

EventRelay::EventRelay(store::Database& db, events::EventBus& bus, Options options,
                       Metrics& metrics)
    : db_(db),
      bus_(bus),
      options_(std::move(options)),
      listener_(std::make_unique<store::PgListener>(options_.conninfo,
                                                    std::vector<std::string>{options_.channel})),
      sent_(metrics.counter("vigil_cluster_events_sent_total",
                            "Events this node sent to the other nodes")),
      received_(metrics.counter("vigil_cluster_events_received_total",
                                "Events other nodes sent this node")),
      resyncs_(metrics.counter("vigil_cluster_resyncs_total",
                               "Times events between nodes were lost and clients reloaded")) {}

EventRelay::~EventRelay() {
  stop();
}

void EventRelay::subscribe() {
  // Events this node received from the others are published by the in-thread: not sent back.
  out_ = bus_.subscribe("cluster-relay", options_.queueCapacity, [this](const events::Event&) {
    return std::this_thread::get_id() != inThread_.load();
  });
}

void EventRelay::start() {
  stop_ = false;
  subscribe();
  inWorker_ = std::thread([this] {
    nameThisThread("vigil-relay-in");
    inThread_ = std::this_thread::get_id();
    inLoop();
  });
  outThread_ = std::thread([this] {
    nameThisThread("vigil-relay-out");
    outLoop();
  });
}

void EventRelay::stop() {
  if (stop_.exchange(true)) return;
  if (listener_) listener_->wake();
  if (inWorker_.joinable()) inWorker_.join();
  if (outThread_.joinable()) outThread_.join();
  if (out_) bus_.unsubscribe(out_);
}

void EventRelay::outLoop() {
  while (!stop_) {
    std::vector<events::Event> batch;
    bool lost = false;
    if (auto first = out_->next(std::chrono::milliseconds(200))) {
      batch.push_back(std::move(first->event));
      while (batch.size() < kBatchEvents) {
        auto more = out_->tryNext();
        if (!more) break;
        batch.push_back(std::move(more->event));
      }
    } else if (out_->closed()) {
      if (stop_) break;
      // Dropped as slow: this node published faster than it could send, so the others missed
      // some. Dropped by the in-thread's dropAll (events from the others lost): nothing of
      // ours was lost, and telling the others would make them drop theirs, and so on.
      lost = out_->droppedAsSlow() && !localDrop_.exchange(false);
      subscribe();
    }
    std::vector<std::string> payloads = encodeEvents(options_.nodeId, batch);
    if (lost) payloads.push_back(encodeResync(options_.nodeId));
    if (payloads.empty()) continue;
    const auto n = batch.size();
    try {
      // After the jobs the publishers posted before publishing (see the header).
      db_.writeSync([&](store::Connection& c) {
        auto& notify = c.cached("SELECT pg_notify(?1, ?2)");
        for (const auto& p : payloads) {
          notify.reset();
          notify.bind(1, options_.channel).bind(2, p);
          notify.step();
        }
      });
      sent_.inc(n);
      if (lost) resyncs_.inc();
    } catch (const std::exception& e) {
      // The store refused (failing over, full): the others miss these and are told so once the
      // store is back, by the resync the next overflow or reconnect sends.
      log::warn("cluster.relay_send_failed", {{"events", static_cast<std::uint64_t>(n)}});
    }
  }
}

void EventRelay::inLoop() {
  while (!stop_) {
    auto batch = listener_->wait(std::chrono::milliseconds(500));
    if (stop_) break;
    if (batch.resumed) {
      // Whatever the others sent while the listener was away is gone: reload.
      resyncs_.inc();
      localDrop_ = true;
      auto n = bus_.dropAll();  // the relay's own subscription too: the out-thread renews it
      log::warn("cluster.relay_resumed", {{"subscribers_dropped", static_cast<std::uint64_t>(n)}});
    }
    for (const auto& note : batch.notifications) {
      auto message = decodeEvents(note.payload);
      if (!message) {
        log::warn("cluster.relay_unreadable_payload", {{"bytes", note.payload.size()}});
        continue;
      }
      if (message->node == options_.nodeId) continue;  // our own, back from the server
      if (message->resync) {
        resyncs_.inc();
        localDrop_ = true;
        bus_.dropAll();
      }
      for (auto& e : message->events) {
        bus_.publish(std::move(e));
        received_.inc();
      }
    }
  }
}

}  // namespace vigil::cluster
