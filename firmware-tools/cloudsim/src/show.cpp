// `vigil-devtool cloud show`: what the stand-in holds, for a person (text) or a test (--json).
#include <map>
#include <sstream>

#include "cloud_impl.hpp"
#include "vigil/core/json_text.hpp"
#include "vigil/core/time.hpp"

namespace vigil::cloudsim {
namespace {

struct StreamSummary {
  std::string box;
  std::string stream;
  std::int64_t accepted = 0;
  std::int64_t lastSeq = 0;
};

std::string utc(std::int64_t ms) {
  return core::formatUtc(core::fromMillis(ms), core::Fraction::millis);
}

}  // namespace

std::string Cloud::show(bool asJson) {
  std::lock_guard lock(impl_->mu);
  auto boxes = impl_->store.boxes();
  std::map<std::pair<std::string, std::string>, StreamSummary> streams;
  for (const auto& e : impl_->store.accepted()) {
    auto& s = streams[{e.boxId, e.stream}];
    s.box = e.boxId;
    s.stream = e.stream;
    s.accepted += 1;
    s.lastSeq = std::max(s.lastSeq, e.seq);
  }
  auto messages = impl_->store.messages();
  std::map<std::string, std::pair<std::int64_t, std::int64_t>> inbox;  // box -> queued, delivered
  for (const auto& m : messages) {
    auto& counts = inbox[m.boxId];
    (m.deliveredAt ? counts.second : counts.first) += 1;
  }
  std::int64_t notifications = impl_->store.notificationCount();

  std::ostringstream out;
  if (!asJson) {
    out << "boxes: " << boxes.size() << "\n";
    for (const auto& b : boxes)
      out << "  " << b.boxId << "  enrolled " << utc(b.enrolledAt) << "  keys " << b.sigKid << ", "
          << b.encKid << "\n";
    out << "accepted entries by stream: " << streams.size() << " streams\n";
    for (const auto& [key, s] : streams)
      out << "  " << s.box << "  " << s.stream << "  " << s.accepted << " accepted, last seq "
          << s.lastSeq << "\n";
    out << "inbox:\n";
    for (const auto& [box, counts] : inbox)
      out << "  " << box << "  " << counts.first << " queued, " << counts.second << " delivered\n";
    out << "notifications sent: " << notifications << "\n";
    return out.str();
  }
  std::string j = "{\"boxes\":[";
  for (std::size_t i = 0; i < boxes.size(); ++i) {
    const auto& b = boxes[i];
    j += (i ? "," : "") + std::string("{\"boxId\":") + core::jsonString(b.boxId) +
         ",\"enrolledAt\":" + core::jsonString(utc(b.enrolledAt)) +
         ",\"signingKid\":" + core::jsonString(b.sigKid) +
         ",\"encryptionKid\":" + core::jsonString(b.encKid) + "}";
  }
  j += "],\"streams\":[";
  bool first = true;
  for (const auto& [key, s] : streams) {
    j += (first ? "" : ",") + std::string("{\"boxId\":") + core::jsonString(s.box) +
         ",\"stream\":" + core::jsonString(s.stream) +
         ",\"accepted\":" + std::to_string(s.accepted) +
         ",\"lastSeq\":" + std::to_string(s.lastSeq) + "}";
    first = false;
  }
  j += "],\"inbox\":[";
  first = true;
  for (const auto& [box, counts] : inbox) {
    j += (first ? "" : ",") + std::string("{\"boxId\":") + core::jsonString(box) +
         ",\"queued\":" + std::to_string(counts.first) +
         ",\"delivered\":" + std::to_string(counts.second) + "}";
    first = false;
  }
  j += "],\"notifications\":" + std::to_string(notifications) + "}";
  return j + "\n";
}

}  // namespace vigil::cloudsim
