#include "vigil/store/sqlite.hpp"

#include <sqlite3.h>

#include <atomic>
#include <cassert>
#include <limits>
#include <utility>

namespace vigil::store {

SqliteError::SqliteError(int extendedCode, const std::string& message)
    : StoreError(message), extendedCode_(extendedCode) {}

bool SqliteError::isDiskFull() const {
  return code() == SQLITE_FULL;
}
bool SqliteError::isBusy() const {
  return code() == SQLITE_BUSY || code() == SQLITE_LOCKED;
}
bool SqliteError::isConstraint() const {
  return code() == SQLITE_CONSTRAINT;
}

void throwSqlite(sqlite3* db, int rc, std::string_view op) {
  std::string msg(op);
  msg.append(": ");
  // sqlite3_errmsg names tables/columns and the failing token, never bound values.
  if (db != nullptr && sqlite3_errcode(db) == rc) {
    msg.append(sqlite3_errmsg(db));
  } else {
    msg.append(sqlite3_errstr(rc));
  }
  int extended = rc;
  if (db != nullptr && (sqlite3_extended_errcode(db) & 0xff) == (rc & 0xff)) {
    extended = sqlite3_extended_errcode(db);
  }
  throw SqliteError(extended, msg);
}

// --- Statement ---

Statement::Statement(Connection& conn, std::string_view sql) : db_(conn.handle()) {
  const char* tail = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), 0, &stmt_, &tail);
  if (rc != SQLITE_OK) throwSqlite(db_, rc, "prepare");
  if (stmt_ == nullptr) throw StoreError("prepare: empty SQL statement");
}

Statement::~Statement() {
  sqlite3_finalize(stmt_);
}

Statement::Statement(Statement&& other) noexcept
    : db_(other.db_), stmt_(std::exchange(other.stmt_, nullptr)) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    db_ = other.db_;
    stmt_ = std::exchange(other.stmt_, nullptr);
  }
  return *this;
}

void Statement::check(int rc, std::string_view op) const {
  if (rc != SQLITE_OK) throwSqlite(db_, rc, op);
}

void Statement::checkUnsignedFits(std::uint64_t value) {
  if (value > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    throw StoreError("bind: unsigned value does not fit a 64-bit SQLite integer");
  }
}

Statement& Statement::bindInt64(int index, std::int64_t value) {
  check(sqlite3_bind_int64(stmt_, index, value), "bind");
  return *this;
}

Statement& Statement::bind(int index, double value) {
  check(sqlite3_bind_double(stmt_, index, value), "bind");
  return *this;
}

Statement& Statement::bind(int index, std::string_view text) {
  check(sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8),
        "bind");
  return *this;
}

Statement& Statement::bind(int index, BlobView blob) {
  // A zero-length blob must still be a BLOB, not NULL: sqlite3_bind_blob64 with a null pointer
  // binds NULL, so point at a static byte.
  static const std::uint8_t kEmpty = 0;
  const void* data = blob.empty() ? &kEmpty : blob.data();
  check(sqlite3_bind_blob64(stmt_, index, data, blob.size(), SQLITE_TRANSIENT), "bind");
  return *this;
}

Statement& Statement::bind(int index, std::nullptr_t) {
  check(sqlite3_bind_null(stmt_, index), "bind");
  return *this;
}

int Statement::parameterIndex(std::string_view name) const {
  std::string n(name);
  int index = sqlite3_bind_parameter_index(stmt_, n.c_str());
  if (index == 0) throw StoreError("bind: unknown parameter name " + n);
  return index;
}

bool Statement::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  // Leave the statement reusable after an error (e.g. a constraint violation).
  sqlite3_reset(stmt_);
  throwSqlite(db_, rc, "step");
}

int Statement::run() {
  while (step()) {
  }
  return sqlite3_changes(db_);
}

void Statement::reset() {
  sqlite3_reset(stmt_);  // returns the last step's error, already reported by step()
  sqlite3_clear_bindings(stmt_);
}

int Statement::columnCount() const {
  return sqlite3_column_count(stmt_);
}

bool Statement::isNull(int col) const {
  return sqlite3_column_type(stmt_, col) == SQLITE_NULL;
}

std::int64_t Statement::getInt64(int col) const {
  return sqlite3_column_int64(stmt_, col);
}

double Statement::getDouble(int col) const {
  return sqlite3_column_double(stmt_, col);
}

std::string Statement::getText(int col) const {
  const auto* p = sqlite3_column_text(stmt_, col);
  int n = sqlite3_column_bytes(stmt_, col);
  if (p == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n));
}

Blob Statement::getBlob(int col) const {
  const auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt_, col));
  int n = sqlite3_column_bytes(stmt_, col);
  if (p == nullptr) return {};
  return Blob(p, p + n);
}

// --- Connection ---

Connection::Connection(const std::filesystem::path& path, Mode mode,
                       std::chrono::milliseconds busyTimeout)
    : mode_(mode), path_(path) {
  int flags = SQLITE_OPEN_NOMUTEX;
  switch (mode) {
    case Mode::readOnly:
      flags |= SQLITE_OPEN_READONLY;
      break;
    case Mode::readWrite:
      flags |= SQLITE_OPEN_READWRITE;
      break;
    case Mode::readWriteCreate:
      flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
      break;
  }
  int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    SqliteError err(db_ != nullptr ? sqlite3_extended_errcode(db_) : rc,
                    "open " + path.string() + ": " +
                        (db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc)));
    sqlite3_close(db_);
    db_ = nullptr;
    throw err;
  }
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_timeout(db_, static_cast<int>(busyTimeout.count()));
}

Connection::~Connection() {
  cache_.clear();  // statements must be finalized before the connection closes
  int rc = sqlite3_close(db_);
  assert(rc == SQLITE_OK && "statement outlived its connection");
  (void)rc;
}

void Connection::exec(std::string_view sql) {
  std::string s(sql);
  int rc = sqlite3_exec(db_, s.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) throwSqlite(db_, rc, "exec");
}

Statement& Connection::cached(std::string_view sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    it = cache_.emplace(std::string(sql), std::make_unique<Statement>(*this, sql)).first;
  } else {
    it->second->reset();
  }
  return *it->second;
}

std::int64_t Connection::lastInsertRowid() const {
  return sqlite3_last_insert_rowid(db_);
}

int Connection::changes() const {
  return sqlite3_changes(db_);
}

bool Connection::inTransaction() const {
  return sqlite3_get_autocommit(db_) == 0;
}

// --- Transaction ---

namespace {
std::atomic<std::uint64_t> savepointCounter{0};
}

Transaction::Transaction(Connection& conn, Kind kind) : conn_(conn) {
  if (conn_.inTransaction()) {
    savepoint_ = "vigil_sp_" + std::to_string(++savepointCounter);
    conn_.exec("SAVEPOINT " + savepoint_);
  } else if (kind == Kind::deferred || conn_.readOnly()) {
    conn_.exec("BEGIN DEFERRED");
  } else {
    conn_.exec("BEGIN IMMEDIATE");
  }
}

Transaction::~Transaction() {
  if (open_) {
    try {
      rollback();
    } catch (...) {
      // The transaction was already rolled back by SQLite (e.g. after SQLITE_FULL).
    }
  }
}

void Transaction::commit() {
  assert(open_ && "transaction committed twice");
  if (savepoint_.empty()) {
    conn_.exec("COMMIT");
  } else {
    conn_.exec("RELEASE " + savepoint_);
  }
  open_ = false;
}

void Transaction::rollback() {
  assert(open_ && "transaction already finished");
  open_ = false;
  if (savepoint_.empty()) {
    if (conn_.inTransaction()) conn_.exec("ROLLBACK");
  } else {
    // ROLLBACK TO keeps the savepoint on the stack; RELEASE removes it.
    conn_.exec("ROLLBACK TO " + savepoint_);
    conn_.exec("RELEASE " + savepoint_);
  }
}

}  // namespace vigil::store
