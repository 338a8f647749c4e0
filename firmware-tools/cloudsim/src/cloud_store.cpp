#include "vigil/cloudsim/cloud_store.hpp"

namespace vigil::cloudsim {
namespace {

constexpr const char* kSchema = R"SQL(
CREATE TABLE IF NOT EXISTS cloud_codes (
  code TEXT PRIMARY KEY, created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL,
  used_at INTEGER, used_by TEXT);
CREATE TABLE IF NOT EXISTS cloud_boxes (
  box_id TEXT PRIMARY KEY, name TEXT NOT NULL, sig_kid TEXT NOT NULL, sig_key BLOB NOT NULL,
  enc_kid TEXT NOT NULL, enc_key BLOB NOT NULL, cert_serial TEXT NOT NULL,
  enrolled_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS cloud_accepted (
  box_id TEXT NOT NULL, id TEXT NOT NULL, stream TEXT NOT NULL, seq INTEGER NOT NULL,
  kind TEXT NOT NULL, service TEXT NOT NULL, answer TEXT NOT NULL, accepted_at INTEGER NOT NULL,
  PRIMARY KEY (box_id, id));
CREATE TABLE IF NOT EXISTS cloud_streams (
  box_id TEXT NOT NULL, stream TEXT NOT NULL, next_seq INTEGER NOT NULL,
  PRIMARY KEY (box_id, stream));
CREATE TABLE IF NOT EXISTS cloud_inbox (
  n INTEGER PRIMARY KEY AUTOINCREMENT, box_id TEXT NOT NULL, id TEXT NOT NULL UNIQUE,
  stream TEXT NOT NULL, seq INTEGER NOT NULL, kind TEXT NOT NULL, envelope TEXT NOT NULL,
  queued_at INTEGER NOT NULL, delivered_at INTEGER, UNIQUE (stream, seq));
CREATE INDEX IF NOT EXISTS cloud_inbox_by_box ON cloud_inbox (box_id, n);
CREATE TABLE IF NOT EXISTS cloud_prescriptions (
  box_id TEXT NOT NULL, entry_id TEXT NOT NULL, prescription_id TEXT NOT NULL,
  pharmacy_id TEXT NOT NULL, status TEXT NOT NULL, received_at INTEGER NOT NULL,
  dispensed_at INTEGER, PRIMARY KEY (box_id, entry_id));
CREATE INDEX IF NOT EXISTS cloud_prescriptions_due
  ON cloud_prescriptions (box_id, status, received_at);
CREATE TABLE IF NOT EXISTS cloud_notifications (
  entry_id TEXT NOT NULL, box_id TEXT NOT NULL, channel TEXT NOT NULL, template TEXT NOT NULL,
  sent_at INTEGER NOT NULL, PRIMARY KEY (box_id, entry_id));
PRAGMA user_version = 1;
)SQL";

crypto::Bytes blob(const store::Blob& b) {
  return crypto::Bytes(b.begin(), b.end());
}

AcceptedEntry acceptedRow(store::Statement& st) {
  return AcceptedEntry{st.getText(0), st.getText(1), st.getText(2), st.getInt64(3),
                       st.getText(4), st.getText(5), st.getText(6), st.getInt64(7)};
}

InboxMessage inboxRow(store::Statement& st) {
  InboxMessage m;
  m.n = st.getInt64(0);
  m.boxId = st.getText(1);
  m.id = st.getText(2);
  m.stream = st.getText(3);
  m.seq = st.getInt64(4);
  m.kind = st.getText(5);
  m.envelope = st.getText(6);
  m.deliveredAt = st.get<std::optional<std::int64_t>>(7);
  return m;
}

constexpr const char* kInboxColumns =
    "SELECT n, box_id, id, stream, seq, kind, envelope, delivered_at FROM cloud_inbox ";

}  // namespace

CloudStore::CloudStore(const std::filesystem::path& path)
    : conn_(path, store::Connection::Mode::readWriteCreate, std::chrono::milliseconds(10'000)) {
  conn_.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;");
  conn_.exec(kSchema);
}

void CloudStore::insertCode(const std::string& code, std::int64_t now, std::int64_t expiresAt) {
  conn_.execute("INSERT INTO cloud_codes (code, created_at, expires_at) VALUES (?1, ?2, ?3)", code,
                now, expiresAt);
}

bool CloudStore::codeUsable(const std::string& code, std::int64_t now) {
  return conn_
             .queryValue<std::int64_t>(
                 "SELECT COUNT(*) FROM cloud_codes WHERE code = ?1 AND used_at IS NULL "
                 "AND expires_at > ?2",
                 code, now)
             .value_or(0) == 1;
}

bool CloudStore::useCode(const std::string& code, std::int64_t now, const std::string& boxId) {
  return conn_.execute(
             "UPDATE cloud_codes SET used_at = ?2, used_by = ?3 "
             "WHERE code = ?1 AND used_at IS NULL AND expires_at > ?2",
             code, now, boxId) == 1;
}

void CloudStore::insertBox(const BoxRecord& b) {
  conn_.execute(
      "INSERT INTO cloud_boxes (box_id, name, sig_kid, sig_key, enc_kid, enc_key, cert_serial, "
      "enrolled_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
      b.boxId, b.name, b.sigKid, store::BlobView(b.sigKey), b.encKid, store::BlobView(b.encKey),
      b.certSerial, b.enrolledAt);
}

namespace {
constexpr const char* kBoxColumns =
    "SELECT box_id, name, sig_kid, sig_key, enc_kid, enc_key, cert_serial, enrolled_at "
    "FROM cloud_boxes ";
BoxRecord boxRow(store::Statement& st) {
  return BoxRecord{st.getText(0), st.getText(1),       st.getText(2), blob(st.getBlob(3)),
                   st.getText(4), blob(st.getBlob(5)), st.getText(6), st.getInt64(7)};
}
}  // namespace

std::optional<BoxRecord> CloudStore::findBox(const std::string& boxId) {
  auto& st = conn_.cached(std::string(kBoxColumns) + "WHERE box_id = ?1");
  st.bind(1, boxId);
  std::optional<BoxRecord> out;
  if (st.step()) out = boxRow(st);
  st.reset();
  return out;
}

std::vector<BoxRecord> CloudStore::boxes() {
  auto st = conn_.prepare(std::string(kBoxColumns) + "ORDER BY enrolled_at, box_id");
  std::vector<BoxRecord> out;
  while (st.step()) out.push_back(boxRow(st));
  return out;
}

std::optional<AcceptedEntry> CloudStore::findAccepted(const std::string& boxId,
                                                      const std::string& id) {
  auto& st = conn_.cached(
      "SELECT box_id, id, stream, seq, kind, service, answer, accepted_at FROM cloud_accepted "
      "WHERE box_id = ?1 AND id = ?2");
  st.bindAll(boxId, id);
  std::optional<AcceptedEntry> out;
  if (st.step()) out = acceptedRow(st);
  st.reset();
  return out;
}

void CloudStore::insertAccepted(const AcceptedEntry& e) {
  conn_.execute(
      "INSERT INTO cloud_accepted (box_id, id, stream, seq, kind, service, answer, accepted_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
      e.boxId, e.id, e.stream, e.seq, e.kind, e.service, e.answer, e.acceptedAt);
}

std::int64_t CloudStore::expectedSeq(const std::string& boxId, const std::string& stream) {
  return conn_
      .queryValue<std::int64_t>(
          "SELECT next_seq FROM cloud_streams WHERE box_id = ?1 AND stream = ?2", boxId, stream)
      .value_or(1);
}

void CloudStore::setExpectedSeq(const std::string& boxId, const std::string& stream,
                                std::int64_t next) {
  conn_.execute(
      "INSERT INTO cloud_streams (box_id, stream, next_seq) VALUES (?1, ?2, ?3) "
      "ON CONFLICT (box_id, stream) DO UPDATE SET next_seq = excluded.next_seq",
      boxId, stream, next);
}

std::vector<AcceptedEntry> CloudStore::accepted() {
  auto st = conn_.prepare(
      "SELECT box_id, id, stream, seq, kind, service, answer, accepted_at FROM cloud_accepted "
      "ORDER BY box_id, stream, seq");
  std::vector<AcceptedEntry> out;
  while (st.step()) out.push_back(acceptedRow(st));
  return out;
}

std::int64_t CloudStore::nextInboxSeq(const std::string& stream) {
  return conn_
             .queryValue<std::int64_t>("SELECT MAX(seq) FROM cloud_inbox WHERE stream = ?1", stream)
             .value_or(0) +
         1;
}

void CloudStore::queueMessage(const InboxMessage& m, std::int64_t now) {
  conn_.execute(
      "INSERT INTO cloud_inbox (box_id, id, stream, seq, kind, envelope, queued_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
      m.boxId, m.id, m.stream, m.seq, m.kind, m.envelope, now);
}

std::vector<InboxMessage> CloudStore::messagesAfter(const std::string& boxId, std::int64_t after,
                                                    int limit) {
  auto& st =
      conn_.cached(std::string(kInboxColumns) + "WHERE box_id = ?1 AND n > ?2 ORDER BY n LIMIT ?3");
  st.bindAll(boxId, after, limit);
  std::vector<InboxMessage> out;
  while (st.step()) out.push_back(inboxRow(st));
  st.reset();
  return out;
}

std::optional<InboxMessage> CloudStore::messageAtOrBefore(const std::string& boxId,
                                                          std::int64_t at) {
  auto& st = conn_.cached(std::string(kInboxColumns) +
                          "WHERE box_id = ?1 AND n <= ?2 ORDER BY n DESC LIMIT 1");
  st.bindAll(boxId, at);
  std::optional<InboxMessage> out;
  if (st.step()) out = inboxRow(st);
  st.reset();
  return out;
}

void CloudStore::markDelivered(std::int64_t n, std::int64_t now) {
  conn_.execute("UPDATE cloud_inbox SET delivered_at = ?2 WHERE n = ?1 AND delivered_at IS NULL", n,
                now);
}

std::vector<InboxMessage> CloudStore::messages() {
  auto st = conn_.prepare(std::string(kInboxColumns) + "ORDER BY n");
  std::vector<InboxMessage> out;
  while (st.step()) out.push_back(inboxRow(st));
  return out;
}

void CloudStore::insertPrescription(const std::string& boxId, const std::string& entryId,
                                    const std::string& prescriptionId,
                                    const std::string& pharmacyId, const std::string& status,
                                    std::int64_t now) {
  conn_.execute(
      "INSERT INTO cloud_prescriptions (box_id, entry_id, prescription_id, pharmacy_id, status, "
      "received_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
      boxId, entryId, prescriptionId, pharmacyId, status, now);
}

std::vector<PendingPrescription> CloudStore::dueForDispensing(const std::string& boxId,
                                                              std::int64_t receivedBy) {
  auto& st = conn_.cached(
      "SELECT box_id, entry_id, prescription_id, pharmacy_id FROM cloud_prescriptions "
      "WHERE box_id = ?1 AND status = 'received' AND received_at <= ?2 "
      "ORDER BY received_at, entry_id");
  st.bindAll(boxId, receivedBy);
  std::vector<PendingPrescription> out;
  while (st.step()) out.push_back({st.getText(0), st.getText(1), st.getText(2), st.getText(3)});
  st.reset();
  return out;
}

void CloudStore::markDispensed(const std::string& boxId, const std::string& entryId,
                               std::int64_t now, const std::string& status) {
  conn_.execute(
      "UPDATE cloud_prescriptions SET status = ?4, dispensed_at = ?3 "
      "WHERE box_id = ?1 AND entry_id = ?2",
      boxId, entryId, now, status);
}

std::string CloudStore::prescriptionStatus(const std::string& boxId,
                                           const std::string& prescriptionId) {
  return conn_
      .queryValue<std::string>(
          "SELECT status FROM cloud_prescriptions WHERE box_id = ?1 AND prescription_id = ?2 "
          "ORDER BY received_at DESC LIMIT 1",
          boxId, prescriptionId)
      .value_or("");
}

void CloudStore::setPrescriptionStatus(const std::string& boxId, const std::string& prescriptionId,
                                       const std::string& status) {
  conn_.execute(
      "UPDATE cloud_prescriptions SET status = ?3 WHERE box_id = ?1 AND prescription_id = ?2",
      boxId, prescriptionId, status);
}

void CloudStore::insertNotification(const std::string& entryId, const std::string& boxId,
                                    const std::string& channel, const std::string& templateName,
                                    std::int64_t now) {
  conn_.execute(
      "INSERT INTO cloud_notifications (entry_id, box_id, channel, template, sent_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5)",
      entryId, boxId, channel, templateName, now);
}

std::int64_t CloudStore::notificationCount() {
  return conn_.queryValue<std::int64_t>("SELECT COUNT(*) FROM cloud_notifications").value_or(0);
}

}  // namespace vigil::cloudsim
