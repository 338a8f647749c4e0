#pragma once
// SQLite's side of the store's SQL layer (see connection.hpp): its error type.

#include <string>
#include <string_view>

#include "vigil/store/connection.hpp"

namespace vigil::store {

/// A DbError raised by SQLite: code() is the primary result code (SQLITE_BUSY, SQLITE_FULL…),
/// extendedCode() the extended one.
class SqliteError : public DbError {
 public:
  SqliteError(int extendedCode, const std::string& message);
  int code() const { return extendedCode_ & 0xff; }
  int extendedCode() const { return extendedCode_; }
  bool isDiskFull() const override;
  bool isBusy() const override;
  bool isConstraint() const override;
  bool isBadValue() const override;
  bool isRetryable() const override { return false; }

 private:
  int extendedCode_;
};

/// Throws SqliteError for rc (which is not SQLITE_OK/ROW/DONE); what = "<op>: <reason>".
[[noreturn]] void throwSqlite(sqlite3* db, int rc, std::string_view op);

}  // namespace vigil::store
