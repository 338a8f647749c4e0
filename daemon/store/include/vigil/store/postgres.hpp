#pragma once
// PostgreSQL's side of the store's SQL layer (see connection.hpp): its error type and the
// translation of the store's SQL to PostgreSQL's.

#include <string>
#include <string_view>
#include <vector>

#include "vigil/store/connection.hpp"

namespace vigil::store {

/// A DbError raised by PostgreSQL (or libpq): sqlstate() is the five-character SQLSTATE
/// ("" when the connection itself failed).
class PgError : public DbError {
 public:
  PgError(std::string sqlstate, const std::string& message);
  const std::string& sqlstate() const { return sqlstate_; }
  bool isDiskFull() const override;
  bool isBusy() const override;
  bool isConstraint() const override;
  bool isBadValue() const override;
  bool isRetryable() const override;
  /// The connection is gone (SQLSTATE class 08, a server shutting down or starting, or no
  /// SQLSTATE at all: libpq's own failure).
  bool isConnectionLost() const override;

 private:
  std::string sqlstate_;
};

/// A statement rewritten for PostgreSQL: ?N, ? and :name/@name/$name parameters numbered
/// $1..$n (a name keeps its number wherever it recurs). Literals, quoted identifiers and
/// comments are left alone.
struct PgSql {
  std::string text;
  int parameterCount = 0;
  /// names[i] is the name (with its prefix) of parameter i + 1, empty for a numbered one.
  std::vector<std::string> names;
};
PgSql translateForPostgres(std::string_view sql);

/// SQLite DDL of the kind tests and simple migrations write, in PostgreSQL's dialect:
/// INTEGER PRIMARY KEY becomes an identity column, INTEGER BIGINT, REAL DOUBLE PRECISION,
/// BLOB BYTEA; WITHOUT ROWID and STRICT are dropped. Not for triggers or views.
std::string sqliteDdlToPostgres(std::string_view ddl);

}  // namespace vigil::store
