#include "vigil/events/event_bus.hpp"

#include <algorithm>
#include <cassert>

#include "vigil/core/log.hpp"

namespace vigil::events {

Subscription::Subscription(std::string name, std::size_t capacity)
    : name_(std::move(name)), capacity_(capacity) {
  assert(capacity_ >= 1);
}

std::optional<Envelope> Subscription::next(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  ready_.wait_for(lock, timeout, [this] { return !queue_.empty() || closed_; });
  if (queue_.empty()) return std::nullopt;
  Envelope e = std::move(queue_.front());
  queue_.pop_front();
  return e;
}

std::optional<Envelope> Subscription::tryNext() {
  std::lock_guard lock(mutex_);
  if (queue_.empty()) return std::nullopt;
  Envelope e = std::move(queue_.front());
  queue_.pop_front();
  return e;
}

bool Subscription::closed() const {
  std::lock_guard lock(mutex_);
  return closed_;
}

bool Subscription::droppedAsSlow() const {
  std::lock_guard lock(mutex_);
  return slow_;
}

std::size_t Subscription::queued() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

Subscription::Push Subscription::push(const Envelope& e) {
  {
    std::lock_guard lock(mutex_);
    if (closed_) return Push::closed;
    if (queue_.size() >= capacity_) return Push::full;
    queue_.push_back(e);
  }
  ready_.notify_one();
  return Push::ok;
}

void Subscription::close(bool slow) {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
    slow_ = slow_ || slow;
  }
  ready_.notify_all();
}

EventBus::EventBus(Metrics& metrics)
    : dropped_(metrics.counter("vigil_eventbus_dropped_total",
                               "Event bus subscribers dropped because their queue was full")),
      published_(metrics.counter("vigil_eventbus_published_total", "Events published")) {}

std::shared_ptr<Subscription> EventBus::subscribe(std::string name, std::size_t capacity,
                                                  Filter filter) {
  auto sub = std::make_shared<Subscription>(std::move(name), std::max<std::size_t>(capacity, 1));
  std::lock_guard lock(mutex_);
  subscribers_.push_back(Entry{sub, std::move(filter)});
  return sub;
}

void EventBus::unsubscribe(const std::shared_ptr<Subscription>& subscription) {
  {
    std::lock_guard lock(mutex_);
    std::erase_if(subscribers_, [&](const Entry& e) { return e.subscription == subscription; });
  }
  if (subscription) subscription->close(false);
}

std::size_t EventBus::dropAll() {
  std::vector<Entry> dropped;
  {
    std::lock_guard lock(mutex_);
    dropped.swap(subscribers_);
  }
  for (auto& e : dropped) {
    e.subscription->close(true);
    dropped_.inc();
  }
  return dropped.size();
}

std::uint64_t EventBus::publish(Event event) {
  // The bus mutex also orders publishes, so every subscriber sees sequence numbers ascending.
  std::lock_guard lock(mutex_);
  const Envelope envelope{++sequence_, std::move(event)};
  published_.inc();
  auto it = subscribers_.begin();
  while (it != subscribers_.end()) {
    if (it->filter && !it->filter(envelope.event)) {
      ++it;
      continue;
    }
    const auto result = it->subscription->push(envelope);
    if (result == Subscription::Push::ok) {
      ++it;
      continue;
    }
    if (result == Subscription::Push::full) {
      it->subscription->close(true);
      dropped_.inc();
      log::warn("eventbus.subscriber_dropped",
                {{"subscriber", it->subscription->name()}, {"reason", "queue_full"}});
    }
    it = subscribers_.erase(it);
  }
  return envelope.sequence;
}

std::size_t EventBus::subscriberCount() const {
  std::lock_guard lock(mutex_);
  return subscribers_.size();
}

}  // namespace vigil::events
