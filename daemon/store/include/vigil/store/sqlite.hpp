#pragma once
// Thin RAII layer over SQLite's C API: Connection, Statement, Transaction, SqliteError.
//
// Rules:
// - Every SQLITE_* failure becomes a vigil::store::SqliteError (a vigil::StoreError) carrying
//   the primary and extended result codes. Messages name the operation and SQLite's reason
//   (tables/columns, at most the SQL token a syntax error is near), never bound values, so data
//   never reaches logs through an error.
// - Values always go in through bind(), never by string concatenation.
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
struct sqlite3_stmt;

namespace vigil::store {

/// Bytes of a BLOB column/parameter.
using Blob = std::vector<std::uint8_t>;
using BlobView = std::span<const std::uint8_t>;

/// A StoreError raised by SQLite: code() is the primary result code (SQLITE_BUSY, SQLITE_FULL…),
/// extendedCode() the extended one.
class SqliteError : public StoreError {
 public:
  SqliteError(int extendedCode, const std::string& message);
  int code() const { return extendedCode_ & 0xff; }
  int extendedCode() const { return extendedCode_; }
  /// The disk (or max_page_count) is full: nothing was written; retry later.
  bool isDiskFull() const;
  /// Another connection held a lock longer than the busy timeout.
  bool isBusy() const;
  /// A UNIQUE/PRIMARY KEY/FOREIGN KEY/CHECK/NOT NULL constraint refused the row.
  bool isConstraint() const;

 private:
  int extendedCode_;
};

/// Throws SqliteError for rc (which is not SQLITE_OK/ROW/DONE); what = "<op>: <reason>".
[[noreturn]] void throwSqlite(sqlite3* db, int rc, std::string_view op);

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
  /// Advances; true when a row is available, false when done. Throws SqliteError.
  bool step();
  /// Steps to completion (for INSERT/UPDATE/DELETE/DDL); returns sqlite3_changes().
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

  sqlite3_stmt* handle() const { return stmt_; }

 private:
  template <class T>
  struct IsOptional : std::false_type {};
  template <class T>
  struct IsOptional<std::optional<T>> : std::true_type {};

  Statement& bindInt64(int index, std::int64_t value);
  static void checkUnsignedFits(std::uint64_t value);
  void check(int rc, std::string_view op) const;

  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

/// One open SQLite connection (RAII sqlite3*), with a cache of prepared statements.
class Connection {
 public:
  enum class Mode { readOnly, readWrite, readWriteCreate };

  /// Opens path; extended result codes on, busy timeout set. Throws SqliteError.
  Connection(const std::filesystem::path& path, Mode mode,
             std::chrono::milliseconds busyTimeout = std::chrono::milliseconds{5000});
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  /// Runs one or more SQL statements without parameters (DDL, PRAGMA).
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

  std::int64_t lastInsertRowid() const;
  int changes() const;
  /// True while a transaction is open on this connection.
  bool inTransaction() const;
  bool readOnly() const { return mode_ == Mode::readOnly; }
  sqlite3* handle() const { return db_; }
  const std::filesystem::path& path() const { return path_; }

 private:
  sqlite3* db_ = nullptr;
  Mode mode_;
  std::filesystem::path path_;
  /// Hashes std::string and std::string_view alike, so cached() looks up without allocating.
  struct SqlHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, std::unique_ptr<Statement>, SqlHash, std::equal_to<>> cache_;
};

/// RAII transaction: BEGIN IMMEDIATE (or BEGIN DEFERRED on a read-only connection), or a
/// SAVEPOINT when the connection is already inside a transaction, so code that needs atomicity
/// can always open one. commit() makes it permanent; the destructor rolls back otherwise.
class Transaction {
 public:
  /// automatic: IMMEDIATE on a writable connection (takes the write lock at once, so a
  /// read-then-write transaction cannot fail with SQLITE_BUSY midway), DEFERRED on a read-only
  /// one. deferred: a read transaction on any connection (takes no write lock).
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
