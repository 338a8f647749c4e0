#pragma once
// The store's SQL layer, one API over two engines: SQLite (the appliance's embedded store) and
// PostgreSQL 15 through libpq (store.backend = postgres, for several vigild nodes; see
// docs/scale-out.md). Connection, Statement, Transaction and DbError.
//
// Rules:
// - Every engine failure becomes a DbError (a vigil::StoreError): SqliteError with SQLite's
//   result codes, PgError with PostgreSQL's SQLSTATE; callers ask the engine-neutral questions
//   (isConstraint, isBusy, isDiskFull, isBadValue, isRetryable). Messages name the operation and
//   the engine's reason (tables, columns, constraint names), never bound values: PostgreSQL's
//   data-exception messages, which quote the value, are replaced by their SQLSTATE.
// - Values always go in through bind(), never by string concatenation.
// - SQL is written once, in the subset both engines run (docs/storage.md, "PostgreSQL"):
//   parameters ?N, ? or :name (translated to $N for PostgreSQL), ON CONFLICT … DO NOTHING/UPDATE,
//   RETURNING, integers 0/1 for booleans. Connection::exec() runs its text unchanged.
// - Objects are single-threaded: one Connection (and its Statements) belongs to one thread at a
//   time. Database hands connections to exactly one thread at a time.
// - Indexes for bind() are 1-based (as in SQLite), columns for get() are 0-based.

#include <chrono>
#include <concepts>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "vigil/core/error.hpp"

struct sqlite3;

namespace vigil::store {

/// Bytes of a BLOB (bytea) column/parameter.
using Blob = std::vector<std::uint8_t>;
using BlobView = std::span<const std::uint8_t>;

/// The engine behind a Connection.
enum class Backend { sqlite, postgres };

/// "sqlite" / "postgres".
std::string_view backendName(Backend b);

/// A StoreError raised by the database engine.
class DbError : public StoreError {
 public:
  using StoreError::StoreError;
  /// The disk is full (SQLITE_FULL, SQLSTATE 53100): nothing was written; retry later.
  virtual bool isDiskFull() const = 0;
  /// Another connection held a lock longer than the timeout.
  virtual bool isBusy() const = 0;
  /// A UNIQUE/PRIMARY KEY/FOREIGN KEY/CHECK/NOT NULL constraint refused the row.
  virtual bool isConstraint() const = 0;
  /// The value does not fit its column (too big, wrong type, out of range): the data's fault.
  virtual bool isBadValue() const = 0;
  /// The transaction lost a race with another one (PostgreSQL serialization failure or
  /// deadlock): running it again from the start may succeed. Never true for SQLite.
  virtual bool isRetryable() const = 0;
  /// The connection to the server is gone (PostgreSQL restarted, failed over, the network):
  /// Connection::ensureConnected() opens it again. Never true for SQLite.
  virtual bool isConnectionLost() const { return false; }
};

namespace detail {
class StatementImpl;
class ConnectionImpl;
}  // namespace detail

class Connection;

/// A prepared statement. Bind, step(), read columns, reset() to reuse.
class Statement {
 public:
  Statement(Connection& conn, std::string_view sql);
  ~Statement();
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // --- binding (index is 1-based; name includes its prefix, e.g. ":id") ---
  template <std::integral T>
  Statement& bind(int index, T value) {
    if constexpr (std::is_unsigned_v<T> && sizeof(T) >= sizeof(std::int64_t)) {
      checkUnsignedFits(static_cast<std::uint64_t>(value));
    }
    return bindInt64(index, static_cast<std::int64_t>(value));
  }
  Statement& bind(int index, double value);
  Statement& bind(int index, std::string_view text);
  Statement& bind(int index, const char* text) { return bind(index, std::string_view{text}); }
  Statement& bind(int index, const std::string& text) {
    return bind(index, std::string_view{text});
  }
  Statement& bind(int index, BlobView blob);
  Statement& bind(int index, const Blob& blob) { return bind(index, BlobView{blob}); }
  Statement& bind(int index, std::nullptr_t);
  Statement& bind(int index, std::nullopt_t) { return bind(index, nullptr); }
  template <class T>
  Statement& bind(int index, const std::optional<T>& value) {
    return value ? bind(index, *value) : bind(index, nullptr);
  }
  template <class T>
  Statement& bind(std::string_view name, T&& value) {
    return bind(parameterIndex(name), std::forward<T>(value));
  }
  /// Binds args to parameters 1..n.
  template <class... Args>
  Statement& bindAll(Args&&... args) {
    int i = 0;
    (bind(++i, std::forward<Args>(args)), ...);
    return *this;
  }
  int parameterIndex(std::string_view name) const;

  // --- running ---
  /// Advances; true when a row is available, false when done. Throws DbError.
  bool step();
  /// Steps to completion (for INSERT/UPDATE/DELETE/DDL); returns the rows changed.
  int run();
  /// Resets so the statement can run again and clears the bindings.
  void reset();

  // --- columns of the current row (0-based) ---
  int columnCount() const;
  bool isNull(int col) const;
  std::int64_t getInt64(int col) const;
  double getDouble(int col) const;
  std::string getText(int col) const;
  Blob getBlob(int col) const;
  /// get<T>: T is an integral type, double, std::string, Blob or std::optional of those.
  template <class T>
  T get(int col) const {
    if constexpr (IsOptional<T>::value) {
      if (isNull(col)) return std::nullopt;
      return get<typename T::value_type>(col);
    } else if constexpr (std::is_same_v<T, bool>) {
      return getInt64(col) != 0;
    } else if constexpr (std::is_integral_v<T>) {
      return static_cast<T>(getInt64(col));
    } else if constexpr (std::is_floating_point_v<T>) {
      return static_cast<T>(getDouble(col));
    } else if constexpr (std::is_same_v<T, std::string>) {
      return getText(col);
    } else {
      static_assert(std::is_same_v<T, Blob>, "unsupported column type");
      return getBlob(col);
    }
  }

 private:
  template <class T>
  struct IsOptional : std::false_type {};
  template <class T>
  struct IsOptional<std::optional<T>> : std::true_type {};

  friend class Connection;
  explicit Statement(std::unique_ptr<detail::StatementImpl> impl);
  Statement& bindInt64(int index, std::int64_t value);
  static void checkUnsignedFits(std::uint64_t value);

  std::unique_ptr<detail::StatementImpl> impl_;
};

/// One open database connection, with a cache of prepared statements.
class Connection {
 public:
  enum class Mode { readOnly, readWrite, readWriteCreate };

  /// Opens the SQLite file at path; extended result codes on, busy timeout set. Throws DbError.
  Connection(const std::filesystem::path& path, Mode mode,
             std::chrono::milliseconds busyTimeout = std::chrono::milliseconds{5000});
  /// Connects to PostgreSQL (a libpq conninfo string or URL); readOnly makes every transaction
  /// READ ONLY; lockTimeout bounds the wait for a row or table lock (SQLSTATE 55P03 = busy).
  static std::unique_ptr<Connection> openPostgres(
      const std::string& conninfo, Mode mode,
      std::chrono::milliseconds lockTimeout = std::chrono::milliseconds{5000});
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  Backend backend() const;
  /// Runs one or more SQL statements without parameters (DDL, PRAGMA), text unchanged.
  void exec(std::string_view sql);
  /// Prepares a new statement owned by the caller.
  Statement prepare(std::string_view sql) { return Statement(*this, sql); }
  /// A statement prepared once per connection and reused: returned reset with no bindings.
  /// Do not hold two uses of the same SQL at once (e.g. inside a loop over its own rows).
  Statement& cached(std::string_view sql);

  /// Runs sql with args bound to ?1..?n and returns the number of rows changed.
  template <class... Args>
  int execute(std::string_view sql, Args&&... args) {
    auto& st = cached(sql);
    st.bindAll(std::forward<Args>(args)...);
    int n = st.run();
    st.reset();
    return n;
  }
  /// First column of the first row, or nullopt when there is no row.
  template <class T, class... Args>
  std::optional<T> queryValue(std::string_view sql, Args&&... args) {
    auto& st = cached(sql);
    st.bindAll(std::forward<Args>(args)...);
    std::optional<T> out;
    if (st.step()) out = st.get<T>(0);
    st.reset();
    return out;
  }

  /// The id the last INSERT into a table with an integer key gave its row (SQLite's rowid,
  /// PostgreSQL's lastval() of the identity sequence).
  std::int64_t lastInsertRowid() const;
  /// Rows changed by the last INSERT/UPDATE/DELETE.
  int changes() const;
  /// True while a transaction is open on this connection.
  bool inTransaction() const;
  bool readOnly() const { return mode_ == Mode::readOnly; }
  /// The SQL that opens a write (immediate = true) or read transaction on this engine.
  std::string_view beginSql(bool immediate) const;
  /// Resets every statement still stepping, so it holds no snapshot and blocks no COMMIT.
  void resetBusyStatements();
  /// PostgreSQL: when the connection is gone, connects again (the same conninfo; with several
  /// hosts and target_session_attrs=read-write that is the current primary) and forgets the
  /// prepared statements, which the server forgot. Throws DbError when it cannot. No-op for
  /// SQLite and for a live connection.
  void ensureConnected();
  /// The SQLite handle (nullptr on PostgreSQL), for backups.
  sqlite3* handle() const;
  /// The SQLite file (empty on PostgreSQL).
  const std::filesystem::path& path() const { return path_; }
  detail::ConnectionImpl& impl() { return *impl_; }

 private:
  Connection(std::unique_ptr<detail::ConnectionImpl> impl, Mode mode);

  std::unique_ptr<detail::ConnectionImpl> impl_;
  Mode mode_;
  std::filesystem::path path_;
  /// Hashes std::string and std::string_view alike, so cached() looks up without allocating.
  struct SqlHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, std::unique_ptr<Statement>, SqlHash, std::equal_to<>> cache_;
};

/// RAII transaction: a write transaction (SQLite BEGIN IMMEDIATE, PostgreSQL SERIALIZABLE) or a
/// read one (SQLite BEGIN DEFERRED, PostgreSQL REPEATABLE READ: one snapshot), or a SAVEPOINT
/// when the connection is already inside a transaction, so code that needs atomicity can always
/// open one. commit() makes it permanent; the destructor rolls back otherwise.
///
/// On PostgreSQL a failed statement aborts the whole transaction: code that catches a
/// constraint error and carries on must run the failing statement inside a Transaction of its
/// own (a savepoint) and let it roll back.
class Transaction {
 public:
  /// automatic: a write transaction on a writable connection (takes the write lock at once, so
  /// a read-then-write transaction cannot fail with SQLITE_BUSY midway), a read one on a
  /// read-only connection. deferred: a read transaction on any connection.
  enum class Kind { automatic, deferred };
  explicit Transaction(Connection& conn, Kind kind = Kind::automatic);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  void commit();
  void rollback();
  bool isSavepoint() const { return !savepoint_.empty(); }

 private:
  Connection& conn_;
  std::string savepoint_;
  bool open_ = true;
};

}  // namespace vigil::store
