#pragma once
// The four services' behaviour on accepted entries (docs/cloud-api.md, "The stand-in"): what each
// kind does to the stand-in's state and which replies it queues to the box. All of it is
// deterministic, from the seed data in services.cpp (a license registry, a pharmacy network, a
// fee schedule), so tests know the answers in advance.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/cloudsim/cloud_store.hpp"
#include "vigil/core/error.hpp"
#include "vigil/sync/envelope.hpp"

namespace vigil::cloudsim {

/// A message a service sends to the box because of an entry (or of time passing).
struct Reply {
  std::string service;
  std::string kind;
  std::string payload;  // the resource's JSON
};

/// What applying an entry did: replies to queue, lines to append to notifications.log once the
/// transaction has committed.
struct Effects {
  std::vector<Reply> replies;
  std::vector<std::string> notificationLines;
  /// NCPDP SCRIPT messages the pharmacy received (file name, XML), written to DIR/rx/ once the
  /// transaction has committed, for tests and the curious.
  std::vector<std::pair<std::string, std::string>> scripts;
};

/// The payload is not what the kind requires, or the service does not take the kind: the entry is
/// refused for good (422 with reason()).
class PayloadRefused : public vigil::ValidationError {
 public:
  PayloadRefused(std::string reason, const std::string& detail)
      : vigil::ValidationError(detail), reason_(std::move(reason)) {}
  const std::string& reason() const { return reason_; }

 private:
  std::string reason_;
};

/// The kind of entry every service accepts in a cancelled entry's place.
inline constexpr std::string_view kSkipKind = "stream.skip";

/// The service that sends messages of `kind` to boxes ("" for a kind no service sends).
std::string_view senderOfKind(std::string_view kind);

/// Applies an accepted entry addressed to `service`, inside the caller's transaction. Throws
/// PayloadRefused (reason "unsupported_kind" or "invalid_payload") before writing anything.
Effects applyEntry(CloudStore& store, const std::string& service, const std::string& boxId,
                   const sync::Header& header, const std::string& payload, std::int64_t nowMs);

/// Replies that became due by time for the box (prescriptions received at least 2 s ago are
/// filled, or not filled at the out-of-stock pharmacy kOutOfStockPharmacy), with their state
/// changed, inside the caller's transaction.
std::vector<Reply> dueReplies(CloudStore& store, const std::string& boxId, std::int64_t nowMs);

/// How long the pharmacy takes to dispense a received prescription.
inline constexpr std::int64_t kDispenseAfterMs = 2000;
/// The pharmacy (NCPDP ID) that receives every prescription and fills none: it answers
/// rx.status not_filled, reason out_of_stock (docs/cloud-api.md).
inline constexpr std::string_view kOutOfStockPharmacy = "1000009";

}  // namespace vigil::cloudsim
