#include "vigil/fleet/device_publisher.hpp"

#include <algorithm>
#include <cmath>

#include "ack_reader.hpp"

namespace vigil::fleet {

DevicePublisher::DevicePublisher(PublisherOptions options) : options_(std::move(options)) {
  if (options_.mqtt.clientId.empty()) options_.mqtt.clientId = options_.deviceUid;
  client_ = std::make_unique<gateway::MqttClient>(
      options_.mqtt, [this](gateway::MqttMessage&& m) { onAck(std::move(m)); },
      [this](bool connected) {
        if (!connected) return;
        // Resend what was pending at the reconnect: the box may never have seen it.
        std::lock_guard lock(mutex_);
        for (auto& [seq, p] : pending_) p.lastSent = {};
        cv_.notify_all();
      },
      options_.reactor);
  if (options_.completeOnPuback) {
    client_->onPublished([this](int mid) { onPuback(mid); });
  } else {
    client_->addSubscription("vigil/v1/devices/" + options_.deviceUid + "/ack", 1);
  }
}

DevicePublisher::~DevicePublisher() {
  stop();
}

std::string DevicePublisher::topic() const {
  return "vigil/v1/devices/" + options_.deviceUid + "/" + options_.leaf;
}

bool DevicePublisher::start(std::chrono::milliseconds timeout) {
  {
    std::lock_guard lock(mutex_);
    if (running_) return client_->connected();
    running_ = true;
  }
  client_->start();
  if (options_.ownResendThread) resender_ = std::thread([this] { resendLoop(); });
  return client_->waitConnected(timeout);
}

void DevicePublisher::stop() {
  {
    std::lock_guard lock(mutex_);
    if (!running_) return;
    running_ = false;
  }
  cv_.notify_all();
  if (resender_.joinable()) resender_.join();
  client_->stop();
}

void DevicePublisher::send(std::uint64_t seq, std::string payload) {
  {
    std::unique_lock lock(mutex_);
    cv_.wait(lock, [this] { return !running_ || pending_.size() < options_.maxInFlight; });
    if (!running_) return;
    // The clock starts at the publish, not before the wait for a free place in the window: the
    // latency is the round trip of this message, not also the one before it.
    auto now = std::chrono::steady_clock::now();
    pending_[seq] = Pending{payload, now, now};
    ++stats_.sent;
  }
  transmit(seq, payload);
}

void DevicePublisher::transmit(std::uint64_t seq, const std::string& payload) {
  int mid = 0;
  if (client_->publish(topic(), payload, 1, false, &mid) != gateway::MqttStatus::ok) {
    std::lock_guard lock(mutex_);
    ++stats_.publishErrors;  // stays pending: the resend loop tries again
    return;
  }
  if (!options_.completeOnPuback) return;
  std::lock_guard lock(mutex_);
  if (auto early = std::find(earlyPubacks_.begin(), earlyPubacks_.end(), mid);
      early != earlyPubacks_.end()) {
    earlyPubacks_.erase(early);
    if (auto it = pending_.find(seq); it != pending_.end()) {
      markStored(it, std::chrono::steady_clock::now(), 0);
      cv_.notify_all();
    }
    return;
  }
  inFlightMids_[mid] = seq;
}

void DevicePublisher::onPuback(int mid) {
  auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mutex_);
  auto m = inFlightMids_.find(mid);
  if (m == inFlightMids_.end()) {
    earlyPubacks_.push_back(mid);  // publish() has not returned it yet
    return;
  }
  auto seq = m->second;
  inFlightMids_.erase(m);
  if (auto it = pending_.find(seq); it != pending_.end()) {
    markStored(it, now, 0);
  } else {
    ++stats_.duplicateAcks;  // a resent copy's PUBACK after the first one's
  }
  cv_.notify_all();
}

void DevicePublisher::markStored(std::map<std::uint64_t, Pending>::iterator it,
                                 std::chrono::steady_clock::time_point now,
                                 std::uint64_t duplicates) {
  ++stats_.acked;
  stats_.duplicatesReported += duplicates;
  stats_.ackLatencyMs.push_back(
      std::chrono::duration<double, std::milli>(now - it->second.firstSent).count());
  done_[it->first] = true;
  pending_.erase(it);
}

void DevicePublisher::onAck(gateway::MqttMessage&& m) {
  auto acks = parseAcks(m.payload);
  if (acks.empty()) return;
  auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mutex_);
  for (const auto& a : acks) {
    auto it = pending_.find(a.seq);
    if (it == pending_.end()) {
      ++stats_.duplicateAcks;
      continue;
    }
    if (a.status == "stored") {
      markStored(it, now, a.duplicates);
    } else {
      ++stats_.rejected;
      ++stats_.rejectedByReason[a.reason];
      done_[a.seq] = false;
      pending_.erase(it);
    }
  }
  cv_.notify_all();
}

void DevicePublisher::resendLoop() {
  std::unique_lock lock(mutex_);
  while (running_) {
    cv_.wait_for(lock, std::chrono::milliseconds(100));
    if (!running_) break;
    lock.unlock();
    resendDue();
    lock.lock();
  }
}

void DevicePublisher::resendDue() {
  auto now = std::chrono::steady_clock::now();
  std::vector<std::pair<std::uint64_t, std::string>> due;
  {
    std::lock_guard lock(mutex_);
    if (!running_) return;
    for (auto& [seq, p] : pending_) {
      if (now - p.lastSent >= options_.resendAfter) {
        p.lastSent = now;
        due.emplace_back(seq, p.payload);
      }
    }
    stats_.resent += due.size();
  }
  for (auto& [seq, payload] : due) transmit(seq, payload);
}

bool DevicePublisher::waitAllAcknowledged(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return cv_.wait_for(lock, timeout, [this] { return pending_.empty(); });
}

std::size_t DevicePublisher::pending() const {
  std::lock_guard lock(mutex_);
  return pending_.size();
}

PublisherStats DevicePublisher::stats(bool withLatencies) const {
  std::lock_guard lock(mutex_);
  if (withLatencies) return stats_;
  PublisherStats out;
  out.sent = stats_.sent;
  out.resent = stats_.resent;
  out.acked = stats_.acked;
  out.rejected = stats_.rejected;
  out.duplicateAcks = stats_.duplicateAcks;
  out.duplicatesReported = stats_.duplicatesReported;
  out.publishErrors = stats_.publishErrors;
  out.rejectedByReason = stats_.rejectedByReason;
  return out;
}

std::vector<std::uint64_t> DevicePublisher::acknowledged() const {
  std::lock_guard lock(mutex_);
  std::vector<std::uint64_t> out;
  for (const auto& [seq, stored] : done_)
    if (stored) out.push_back(seq);
  return out;
}

namespace {

/// The checked form of one ack: a sequence number and a known status.
bool toAck(const detail::RawAck& raw, DevicePublisher::Ack& out) {
  if (!raw.seq || !raw.status) return false;
  if (*raw.status != "stored" && *raw.status != "rejected") return false;
  out.seq = *raw.seq;
  out.status = *raw.status;
  out.reason = raw.reason.value_or(std::string{});
  out.duplicates = raw.duplicates.value_or(0);
  return true;
}

}  // namespace

std::vector<DevicePublisher::Ack> DevicePublisher::parseAcks(const std::string& payload) {
  detail::AckMessage m;
  if (!detail::readAckMessage(payload, m)) return {};
  std::vector<Ack> out;
  if (m.hasList) {
    out.resize(m.list.size());
    for (std::size_t i = 0; i < m.list.size(); ++i)
      if (!toAck(m.list[i], out[i])) return {};
    return out;
  }
  Ack a;
  if (!toAck(m.top, a)) return {};
  out.push_back(std::move(a));
  return out;
}

bool DevicePublisher::parseAck(const std::string& payload, std::uint64_t& seq, std::string& status,
                               std::string& reason, std::uint64_t* duplicates) {
  detail::AckMessage m;
  // A payload with an "acks" member is the coalesced form (or a malformed one), never a single
  // ack, whatever else it carries: parseAcks reads it the same way.
  Ack a;
  if (!detail::readAckMessage(payload, m) || m.hasList || !toAck(m.top, a)) return false;
  seq = a.seq;
  status = a.status;
  reason = a.reason;
  if (duplicates) *duplicates = a.duplicates;
  return true;
}

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(values.size())));
  if (rank == 0) rank = 1;
  return values[std::min(rank, values.size()) - 1];
}

}  // namespace vigil::fleet
