// SQLite's half of the store's SQL layer (see connection.hpp).
#include "vigil/store/sqlite.hpp"

#include <sqlite3.h>

#include <cassert>
#include <utility>

#include "backend.hpp"

namespace vigil::store {

SqliteError::SqliteError(int extendedCode, const std::string& message)
    : DbError(message), extendedCode_(extendedCode) {}

bool SqliteError::isDiskFull() const {
  return code() == SQLITE_FULL;
}
bool SqliteError::isBusy() const {
  return code() == SQLITE_BUSY || code() == SQLITE_LOCKED;
}
bool SqliteError::isConstraint() const {
  return code() == SQLITE_CONSTRAINT;
}
bool SqliteError::isBadValue() const {
  return code() == SQLITE_TOOBIG || code() == SQLITE_MISMATCH || code() == SQLITE_RANGE;
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

namespace detail {
namespace {

class SqliteStatement final : public StatementImpl {
 public:
  SqliteStatement(sqlite3* db, std::string_view sql) : db_(db) {
    const char* tail = nullptr;
    int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), 0, &stmt_, &tail);
    if (rc != SQLITE_OK) throwSqlite(db_, rc, "prepare");
    if (stmt_ == nullptr) throw StoreError("prepare: empty SQL statement");
  }
  ~SqliteStatement() override { sqlite3_finalize(stmt_); }
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;

  void bindInt64(int index, std::int64_t value) override {
    check(sqlite3_bind_int64(stmt_, index, value), "bind");
  }
  void bindDouble(int index, double value) override {
    check(sqlite3_bind_double(stmt_, index, value), "bind");
  }
  void bindText(int index, std::string_view text) override {
    check(
        sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8),
        "bind");
  }
  void bindBlob(int index, BlobView blob) override {
    // A zero-length blob must still be a BLOB, not NULL: sqlite3_bind_blob64 with a null
    // pointer binds NULL, so point at a static byte.
    static const std::uint8_t kEmpty = 0;
    const void* data = blob.empty() ? &kEmpty : blob.data();
    check(sqlite3_bind_blob64(stmt_, index, data, blob.size(), SQLITE_TRANSIENT), "bind");
  }
  void bindNull(int index) override { check(sqlite3_bind_null(stmt_, index), "bind"); }
  int parameterIndex(std::string_view name) const override {
    std::string n(name);
    int index = sqlite3_bind_parameter_index(stmt_, n.c_str());
    if (index == 0) throw StoreError("bind: unknown parameter name " + n);
    return index;
  }
  bool step() override {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    // Leave the statement reusable after an error (e.g. a constraint violation).
    sqlite3_reset(stmt_);
    throwSqlite(db_, rc, "step");
  }
  int run() override {
    while (step()) {
    }
    return sqlite3_changes(db_);
  }
  void reset() override {
    sqlite3_reset(stmt_);  // returns the last step's error, already reported by step()
    sqlite3_clear_bindings(stmt_);
  }
  int columnCount() const override { return sqlite3_column_count(stmt_); }
  bool isNull(int col) const override { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  std::int64_t getInt64(int col) const override { return sqlite3_column_int64(stmt_, col); }
  double getDouble(int col) const override { return sqlite3_column_double(stmt_, col); }
  std::string getText(int col) const override {
    const auto* p = sqlite3_column_text(stmt_, col);
    int n = sqlite3_column_bytes(stmt_, col);
    if (p == nullptr) return {};
    return std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n));
  }
  Blob getBlob(int col) const override {
    const auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt_, col));
    int n = sqlite3_column_bytes(stmt_, col);
    if (p == nullptr) return {};
    return Blob(p, p + n);
  }

 private:
  void check(int rc, std::string_view op) const {
    if (rc != SQLITE_OK) throwSqlite(db_, rc, op);
  }

  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

class SqliteConnection final : public ConnectionImpl {
 public:
  SqliteConnection(const std::filesystem::path& path, Connection::Mode mode,
                   std::chrono::milliseconds busyTimeout) {
    int flags = SQLITE_OPEN_NOMUTEX;
    switch (mode) {
      case Connection::Mode::readOnly:
        flags |= SQLITE_OPEN_READONLY;
        break;
      case Connection::Mode::readWrite:
        flags |= SQLITE_OPEN_READWRITE;
        break;
      case Connection::Mode::readWriteCreate:
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
  ~SqliteConnection() override {
    int rc = sqlite3_close(db_);
    assert(rc == SQLITE_OK && "statement outlived its connection");
    (void)rc;
  }
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  Backend backend() const override { return Backend::sqlite; }
  std::unique_ptr<StatementImpl> prepare(std::string_view sql, bool) override {
    return std::make_unique<SqliteStatement>(db_, sql);
  }
  void exec(std::string_view sql) override {
    std::string s(sql);
    int rc = sqlite3_exec(db_, s.c_str(), nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) throwSqlite(db_, rc, "exec");
  }
  std::int64_t lastInsertRowid() override { return sqlite3_last_insert_rowid(db_); }
  int changes() const override { return sqlite3_changes(db_); }
  bool inTransaction() const override { return sqlite3_get_autocommit(db_) == 0; }
  std::string_view beginSql(bool immediate) const override {
    return immediate ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED";
  }
  void resetBusyStatements() override {
    for (sqlite3_stmt* s = sqlite3_next_stmt(db_, nullptr); s != nullptr;
         s = sqlite3_next_stmt(db_, s)) {
      if (sqlite3_stmt_busy(s) != 0) sqlite3_reset(s);
    }
  }
  sqlite3* sqliteHandle() const override { return db_; }

 private:
  sqlite3* db_ = nullptr;
};

}  // namespace

std::unique_ptr<ConnectionImpl> openSqlite(const std::filesystem::path& path, Connection::Mode mode,
                                           std::chrono::milliseconds busyTimeout) {
  return std::make_unique<SqliteConnection>(path, mode, busyTimeout);
}

}  // namespace detail
}  // namespace vigil::store
