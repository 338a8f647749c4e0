// The engine-neutral half of the store's SQL layer: Connection, Statement and Transaction
// forward to the engine's implementation (sqlite.cpp, postgres.cpp).
#include "vigil/store/connection.hpp"

#include <atomic>
#include <cassert>
#include <limits>
#include <utility>

#include "backend.hpp"

namespace vigil::store {

std::string_view backendName(Backend b) {
  return b == Backend::postgres ? "postgres" : "sqlite";
}

// --- Statement ---

Statement::Statement(Connection& conn, std::string_view sql)
    : impl_(conn.impl().prepare(sql, false)) {}

Statement::Statement(std::unique_ptr<detail::StatementImpl> impl) : impl_(std::move(impl)) {}

Statement::~Statement() = default;
Statement::Statement(Statement&& other) noexcept = default;
Statement& Statement::operator=(Statement&& other) noexcept = default;

void Statement::checkUnsignedFits(std::uint64_t value) {
  if (value > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    throw StoreError("bind: unsigned value does not fit a 64-bit integer column");
  }
}

Statement& Statement::bindInt64(int index, std::int64_t value) {
  impl_->bindInt64(index, value);
  return *this;
}
Statement& Statement::bind(int index, double value) {
  impl_->bindDouble(index, value);
  return *this;
}
Statement& Statement::bind(int index, std::string_view text) {
  impl_->bindText(index, text);
  return *this;
}
Statement& Statement::bind(int index, BlobView blob) {
  impl_->bindBlob(index, blob);
  return *this;
}
Statement& Statement::bind(int index, std::nullptr_t) {
  impl_->bindNull(index);
  return *this;
}
int Statement::parameterIndex(std::string_view name) const {
  return impl_->parameterIndex(name);
}
bool Statement::step() {
  return impl_->step();
}
int Statement::run() {
  return impl_->run();
}
void Statement::reset() {
  impl_->reset();
}
int Statement::columnCount() const {
  return impl_->columnCount();
}
bool Statement::isNull(int col) const {
  return impl_->isNull(col);
}
std::int64_t Statement::getInt64(int col) const {
  return impl_->getInt64(col);
}
double Statement::getDouble(int col) const {
  return impl_->getDouble(col);
}
std::string Statement::getText(int col) const {
  return impl_->getText(col);
}
Blob Statement::getBlob(int col) const {
  return impl_->getBlob(col);
}

// --- Connection ---

Connection::Connection(const std::filesystem::path& path, Mode mode,
                       std::chrono::milliseconds busyTimeout)
    : impl_(detail::openSqlite(path, mode, busyTimeout)), mode_(mode), path_(path) {}

Connection::Connection(std::unique_ptr<detail::ConnectionImpl> impl, Mode mode)
    : impl_(std::move(impl)), mode_(mode) {}

std::unique_ptr<Connection> Connection::openPostgres(const std::string& conninfo, Mode mode,
                                                     std::chrono::milliseconds lockTimeout) {
  return std::unique_ptr<Connection>(
      new Connection(detail::openPostgres(conninfo, mode, lockTimeout), mode));
}

Connection::~Connection() {
  cache_.clear();  // statements must be finalized before the connection closes
}

Backend Connection::backend() const {
  return impl_->backend();
}

void Connection::exec(std::string_view sql) {
  impl_->exec(sql);
}

Statement& Connection::cached(std::string_view sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    // Reused: PostgreSQL keeps it as a named server-side prepared statement.
    std::unique_ptr<Statement> st(new Statement(impl_->prepare(sql, true)));
    it = cache_.emplace(std::string(sql), std::move(st)).first;
  } else {
    it->second->reset();
  }
  return *it->second;
}

std::int64_t Connection::lastInsertRowid() const {
  return impl_->lastInsertRowid();
}
int Connection::changes() const {
  return impl_->changes();
}
bool Connection::inTransaction() const {
  return impl_->inTransaction();
}
std::string_view Connection::beginSql(bool immediate) const {
  return impl_->beginSql(immediate);
}
void Connection::resetBusyStatements() {
  impl_->resetBusyStatements();
}
void Connection::ensureConnected() {
  if (!impl_->broken()) return;
  cache_.clear();
  impl_->reconnect();
}
sqlite3* Connection::handle() const {
  return impl_->sqliteHandle();
}

// --- Transaction ---

namespace {
std::atomic<std::uint64_t> savepointCounter{0};
}

Transaction::Transaction(Connection& conn, Kind kind) : conn_(conn) {
  if (conn_.inTransaction()) {
    savepoint_ = "vigil_sp_" + std::to_string(++savepointCounter);
    conn_.exec("SAVEPOINT " + savepoint_);
  } else {
    conn_.exec(conn_.beginSql(kind == Kind::automatic && !conn_.readOnly()));
  }
}

Transaction::~Transaction() {
  if (open_) {
    try {
      rollback();
    } catch (...) {
      // The transaction was already rolled back by the engine (e.g. after SQLITE_FULL).
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
