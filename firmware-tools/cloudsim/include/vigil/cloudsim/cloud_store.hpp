#pragma once
// The cloud stand-in's database (DIR/cloud.db, SQLite in WAL mode): enrolment codes, enrolled
// boxes and their public keys, accepted entries with their first answer, the next expected seq
// per (box, stream), inbox messages per box, prescriptions the pharmacy holds and notifications
// sent. Its own schema (cloud_* tables, created on open; user_version 1): it is not the box's
// database and takes no migration number. Every SQL text on these tables lives in this file.
//
// One CloudStore is one connection: the server serialises requests on it; `cloud send`, `cloud
// code` and `cloud show` open their own while the server runs (WAL and a busy timeout).

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "vigil/crypto/bytes.hpp"
#include "vigil/store/sqlite.hpp"

namespace vigil::cloudsim {

/// An enrolled box: its id (the CN of its client certificate) and its public keys.
struct BoxRecord {
  std::string boxId;
  std::string name;
  std::string sigKid;
  crypto::Bytes sigKey;
  std::string encKid;
  crypto::Bytes encKey;
  std::string certSerial;
  std::int64_t enrolledAt = 0;  // ms since the epoch
};

/// An entry accepted from a box, with the answer it got the first time.
struct AcceptedEntry {
  std::string boxId;
  std::string id;
  std::string stream;
  std::int64_t seq = 0;
  std::string kind;
  std::string service;
  std::string answer;
  std::int64_t acceptedAt = 0;
};

/// A message queued for a box.
struct InboxMessage {
  std::int64_t n = 0;  // the cursor position
  std::string boxId;
  std::string id;
  std::string stream;
  std::int64_t seq = 0;
  std::string kind;
  std::string envelope;  // the envelope JSON as delivered
  std::optional<std::int64_t> deliveredAt;
};

/// A prescription the pharmacy network received and has not yet dispensed.
struct PendingPrescription {
  std::string boxId;
  std::string entryId;
  std::string prescriptionId;
  std::string pharmacyId;
};

class CloudStore {
 public:
  explicit CloudStore(const std::filesystem::path& path);

  store::Connection& connection() { return conn_; }

  // Enrolment codes.
  void insertCode(const std::string& code, std::int64_t now, std::int64_t expiresAt);
  /// True if the code exists, is unused and unexpired.
  bool codeUsable(const std::string& code, std::int64_t now);
  /// Marks the code used by `boxId` if it exists, is unused and unexpired; false otherwise.
  bool useCode(const std::string& code, std::int64_t now, const std::string& boxId);

  // Boxes.
  void insertBox(const BoxRecord& box);
  std::optional<BoxRecord> findBox(const std::string& boxId);
  std::vector<BoxRecord> boxes();

  // The outbox's bookkeeping.
  std::optional<AcceptedEntry> findAccepted(const std::string& boxId, const std::string& id);
  void insertAccepted(const AcceptedEntry& entry);
  /// The seq the (box, stream) expects next: 1 for a stream never seen.
  std::int64_t expectedSeq(const std::string& boxId, const std::string& stream);
  void setExpectedSeq(const std::string& boxId, const std::string& stream, std::int64_t next);
  std::vector<AcceptedEntry> accepted();

  // The inbox.
  /// The seq the next message of `stream` (a service's stream to one box) takes: 1, 2, 3...
  std::int64_t nextInboxSeq(const std::string& stream);
  void queueMessage(const InboxMessage& message, std::int64_t now);
  /// Up to `limit` messages of the box after cursor position `after`, oldest first.
  std::vector<InboxMessage> messagesAfter(const std::string& boxId, std::int64_t after, int limit);
  /// The box's message at or before `at` (the last one a fetch up to `at` delivered).
  std::optional<InboxMessage> messageAtOrBefore(const std::string& boxId, std::int64_t at);
  void markDelivered(std::int64_t n, std::int64_t now);
  std::vector<InboxMessage> messages();

  // The pharmacy network.
  void insertPrescription(const std::string& boxId, const std::string& entryId,
                          const std::string& prescriptionId, const std::string& pharmacyId,
                          const std::string& status, std::int64_t now);
  /// Prescriptions of the box received at or before `receivedBy` and not yet dispensed.
  std::vector<PendingPrescription> dueForDispensing(const std::string& boxId,
                                                    std::int64_t receivedBy);
  /// Ends a received prescription as `status` ("filled" or "not_filled").
  void markDispensed(const std::string& boxId, const std::string& entryId, std::int64_t now,
                     const std::string& status);
  /// The status of the box's prescription `prescriptionId` ("" when the pharmacy has none).
  std::string prescriptionStatus(const std::string& boxId, const std::string& prescriptionId);
  void setPrescriptionStatus(const std::string& boxId, const std::string& prescriptionId,
                             const std::string& status);

  // The notifier.
  void insertNotification(const std::string& entryId, const std::string& boxId,
                          const std::string& channel, const std::string& templateName,
                          std::int64_t now);
  std::int64_t notificationCount();

 private:
  store::Connection conn_;
};

}  // namespace vigil::cloudsim
