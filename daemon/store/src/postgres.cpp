// PostgreSQL's half of the store's SQL layer (see connection.hpp), over libpq.
//
// - Statements from Connection::cached() become named server-side prepared statements (parsed
//   and planned once per connection); one-off statements run with PQexecParams.
// - Values travel as text (bytea as binary) with their types left for the server to infer from
//   the SQL; results come back as text and are parsed here (bytea from its hex form).
// - A statement returns all its rows at once (PGresult); step() walks them.
#include "vigil/store/postgres.hpp"

#include <libpq-fe.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <utility>

#include "backend.hpp"
#include "pg_session.hpp"

namespace vigil::store {

PgError::PgError(std::string sqlstate, const std::string& message)
    : DbError(message), sqlstate_(std::move(sqlstate)) {}

bool PgError::isDiskFull() const {
  return sqlstate_ == "53100";  // disk_full
}
bool PgError::isBusy() const {
  return sqlstate_ == "55P03" || sqlstate_ == "57014";  // lock_not_available, query_canceled
}
bool PgError::isConstraint() const {
  return sqlstate_.starts_with("23");  // integrity_constraint_violation
}
bool PgError::isBadValue() const {
  return sqlstate_.starts_with("22");  // data_exception
}
bool PgError::isRetryable() const {
  return sqlstate_ == "40001" || sqlstate_ == "40P01";  // serialization_failure, deadlock
}
bool PgError::isConnectionLost() const {
  return sqlstate_.empty() || sqlstate_.starts_with("08") || sqlstate_ == "57P01" ||
         sqlstate_ == "57P02" || sqlstate_ == "57P03";
}

namespace {

bool isIdentChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
}

/// Copies a quoted span (a literal, a quoted identifier) starting at sql[i] to out.
std::size_t copyQuoted(std::string_view sql, std::size_t i, std::string& out) {
  const char q = sql[i];
  out.push_back(q);
  ++i;
  while (i < sql.size()) {
    out.push_back(sql[i]);
    if (sql[i] == q) {
      if (i + 1 < sql.size() && sql[i + 1] == q) {  // doubled quote: still inside
        out.push_back(sql[++i]);
      } else {
        return i + 1;
      }
    }
    ++i;
  }
  return i;
}

}  // namespace

PgSql translateForPostgres(std::string_view sql) {
  PgSql out;
  out.text.reserve(sql.size() + 8);
  int nextAnonymous = 0;
  auto number = [&](int n, std::string name) {
    if (n > out.parameterCount) {
      out.parameterCount = n;
      out.names.resize(static_cast<std::size_t>(n));
    }
    if (!name.empty()) out.names[static_cast<std::size_t>(n - 1)] = std::move(name);
    out.text.push_back('$');
    out.text.append(std::to_string(n));
  };
  std::size_t i = 0;
  while (i < sql.size()) {
    const char c = sql[i];
    if (c == '\'' || c == '"') {
      i = copyQuoted(sql, i, out.text);
    } else if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      auto end = sql.find('\n', i);
      if (end == std::string_view::npos) end = sql.size();
      out.text.append(sql.substr(i, end - i));
      i = end;
    } else if (c == '/' && i + 1 < sql.size() && sql[i + 1] == '*') {
      auto end = sql.find("*/", i + 2);
      end = end == std::string_view::npos ? sql.size() : end + 2;
      out.text.append(sql.substr(i, end - i));
      i = end;
    } else if (c == '?') {
      std::size_t j = i + 1;
      while (j < sql.size() && std::isdigit(static_cast<unsigned char>(sql[j])) != 0) ++j;
      int n = 0;
      if (j > i + 1) {
        std::from_chars(sql.data() + i + 1, sql.data() + j, n);
      } else {
        n = ++nextAnonymous;
      }
      nextAnonymous = std::max(nextAnonymous, n);
      number(n, {});
      i = j;
    } else if ((c == ':' || c == '@' || c == '$') && i + 1 < sql.size() &&
               (std::isalpha(static_cast<unsigned char>(sql[i + 1])) != 0 || sql[i + 1] == '_') &&
               (i == 0 || sql[i - 1] != ':')) {
      std::size_t j = i + 1;
      while (j < sql.size() && isIdentChar(sql[j])) ++j;
      std::string name(sql.substr(i, j - i));
      auto it = std::find(out.names.begin(), out.names.end(), name);
      int n =
          it != out.names.end() ? static_cast<int>(it - out.names.begin()) + 1 : ++nextAnonymous;
      number(n, std::move(name));
      i = j;
    } else {
      out.text.push_back(c);
      ++i;
    }
  }
  return out;
}

std::string sqliteDdlToPostgres(std::string_view ddl) {
  std::string s(ddl);
  auto replaceWord = [&](std::string_view from, std::string_view to) {
    std::string upper = s;
    std::transform(upper.begin(), upper.end(), upper.begin(),
                   [](unsigned char ch) { return static_cast<char>(std::toupper(ch)); });
    std::string result;
    std::size_t pos = 0;
    for (;;) {
      auto at = upper.find(from, pos);
      if (at == std::string::npos) break;
      const bool startOk = at == 0 || !isIdentChar(upper[at - 1]);
      const bool endOk = at + from.size() >= upper.size() || !isIdentChar(upper[at + from.size()]);
      result.append(s, pos, at - pos);
      if (startOk && endOk) {
        result.append(to);
      } else {
        result.append(s, at, from.size());
      }
      pos = at + from.size();
    }
    result.append(s, pos, std::string::npos);
    s = std::move(result);
  };
  replaceWord("INTEGER PRIMARY KEY AUTOINCREMENT",
              "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY");
  replaceWord("INTEGER PRIMARY KEY", "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY");
  replaceWord("INTEGER", "BIGINT");
  replaceWord("REAL", "DOUBLE PRECISION");
  replaceWord("BLOB", "BYTEA");
  replaceWord("WITHOUT ROWID", "");
  replaceWord("STRICT", "");
  return s;
}

namespace detail {
namespace {

using Result = PgResultPtr;  // a PGresult freed on scope exit

constexpr Oid kByteaOid = 17;
constexpr Oid kBoolOid = 16;
constexpr Oid kInt8Oid = 20;
constexpr Oid kTextOid = 25;
constexpr Oid kFloat8Oid = 701;

[[noreturn]] void throwPg(PGconn* conn, const PGresult* res, std::string_view op) {
  std::string state;
  std::string reason;
  if (res != nullptr) {
    const char* s = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    if (s != nullptr) state = s;
    const char* primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
    if (primary != nullptr) reason = primary;
  }
  if (reason.empty() && conn != nullptr) reason = pgLastError(conn);
  // Data exceptions quote the offending value ("invalid input syntax for type bigint: …"):
  // keep only their SQLSTATE, so no bound value reaches a log through an error.
  if (state.starts_with("22")) reason = "the value does not fit its column type";
  std::string msg(op);
  msg.append(": ").append(reason);
  if (!state.empty()) msg.append(" (SQLSTATE ").append(state).append(")");
  throw PgError(state, msg);
}

/// Checks a result; throws PgError unless it is a success.
void checkResult(PGconn* conn, const PGresult* res, std::string_view op) {
  auto st = res != nullptr ? PQresultStatus(res) : PGRES_FATAL_ERROR;
  if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY) return;
  throwPg(conn, res, op);
}

Blob unescapeBytea(const char* text) {
  std::size_t n = 0;
  unsigned char* raw = PQunescapeBytea(reinterpret_cast<const unsigned char*>(text), &n);
  if (raw == nullptr) throw StoreError("read: a bytea column could not be decoded");
  Blob out(raw, raw + n);
  PQfreemem(raw);
  return out;
}

class PgConnection;

class PgStatement final : public StatementImpl {
 public:
  PgStatement(PgConnection& conn, std::string_view sql, bool reused);
  ~PgStatement() override;
  PgStatement(const PgStatement&) = delete;
  PgStatement& operator=(const PgStatement&) = delete;
  void bindInt64(int index, std::int64_t value) override {
    setText(index, std::to_string(value), kInt8Oid);
  }
  void bindDouble(int index, double value) override {
    if (std::isnan(value)) {
      setText(index, "NaN", kFloat8Oid);
    } else if (std::isinf(value)) {
      setText(index, value > 0 ? "Infinity" : "-Infinity", kFloat8Oid);
    } else {
      char buf[32];
      auto r = std::to_chars(buf, buf + sizeof buf, value);
      setText(index, std::string(buf, r.ptr), kFloat8Oid);
    }
  }
  void bindText(int index, std::string_view text) override {
    setText(index, std::string(text), kTextOid);
  }
  void bindBlob(int index, BlobView blob) override {
    auto& p = param(index);
    p.value.assign(reinterpret_cast<const char*>(blob.data()), blob.size());
    p.null = false;
    p.binary = true;
    p.type = kByteaOid;
  }
  void bindNull(int index) override {
    auto& p = param(index);
    p.value.clear();
    p.null = true;
    p.binary = false;
  }
  int parameterIndex(std::string_view name) const override {
    for (std::size_t i = 0; i < sql_.names.size(); ++i) {
      if (sql_.names[i] == name) return static_cast<int>(i) + 1;
    }
    throw StoreError("bind: unknown parameter name " + std::string(name));
  }
  bool step() override {
    if (!result_) execute();
    ++row_;
    return row_ < rows_;
  }
  int run() override {
    if (!result_) execute();
    row_ = rows_;
    return changes_;
  }
  void reset() override {
    result_.reset();
    rows_ = 0;
    row_ = -1;
    for (auto& p : params_) p = Param{};
  }
  int columnCount() const override { return result_ ? PQnfields(result_.get()) : 0; }
  bool isNull(int col) const override { return PQgetisnull(current(), row_, col) != 0; }
  std::int64_t getInt64(int col) const override {
    const char* v = PQgetvalue(current(), row_, col);
    if (PQgetisnull(current(), row_, col) != 0) return 0;
    if (PQftype(current(), col) == kBoolOid) return v[0] == 't' ? 1 : 0;
    std::int64_t out = 0;
    const char* end = v + std::strlen(v);
    auto r = std::from_chars(v, end, out);
    if (r.ec == std::errc{} && r.ptr == end) return out;
    return static_cast<std::int64_t>(std::strtod(v, nullptr));  // numeric / real: truncated
  }
  double getDouble(int col) const override {
    if (PQgetisnull(current(), row_, col) != 0) return 0.0;
    return std::strtod(PQgetvalue(current(), row_, col), nullptr);
  }
  std::string getText(int col) const override {
    if (PQgetisnull(current(), row_, col) != 0) return {};
    if (PQftype(current(), col) == kByteaOid) {
      auto b = unescapeBytea(PQgetvalue(current(), row_, col));
      return std::string(b.begin(), b.end());
    }
    return std::string(PQgetvalue(current(), row_, col),
                       static_cast<std::size_t>(PQgetlength(current(), row_, col)));
  }
  Blob getBlob(int col) const override {
    if (PQgetisnull(current(), row_, col) != 0) return {};
    const char* v = PQgetvalue(current(), row_, col);
    if (PQftype(current(), col) == kByteaOid) return unescapeBytea(v);
    return Blob(v, v + PQgetlength(current(), row_, col));
  }

 private:
  struct Param {
    std::string value;
    bool null = true;
    bool binary = false;
    Oid type = 0;  // the C++ value's type, for a server that cannot infer the parameter's
  };
  Param& param(int index) {
    if (index < 1 || index > static_cast<int>(params_.size())) {
      throw StoreError("bind: parameter index " + std::to_string(index) + " out of range");
    }
    return params_[static_cast<std::size_t>(index - 1)];
  }
  void setText(int index, std::string v, Oid type) {
    auto& p = param(index);
    p.value = std::move(v);
    p.null = false;
    p.binary = false;
    p.type = type;
  }
  const PGresult* current() const {
    if (!result_ || row_ < 0 || row_ >= rows_) throw StoreError("read: no current row");
    return result_.get();
  }
  void execute();
  /// Prepares name_ on the server at the first execution; when the server cannot infer a
  /// parameter's type from the SQL (SQLSTATE 42P08, e.g. `?1 IS NULL`), again with the types of
  /// the values bound. Inside a transaction the attempt runs under a savepoint, so its failure
  /// does not abort the caller's transaction.
  void prepareOnServer();

  PgConnection& conn_;
  PgSql sql_;
  std::string name_;  // server-side prepared statement
  bool prepared_ = false;
  bool utility_ = false;
  std::vector<Param> params_;
  Result result_;
  int rows_ = 0;
  int row_ = -1;
  int changes_ = 0;
};

/// A session of the store's, or PgError when the server cannot be reached.
PGconn* open(const std::string& conninfo) {
  std::string reason;
  auto c = pgConnect(conninfo, &reason);
  if (!c) throw PgError("08006", "open postgres: " + reason);
  return c.release();
}

class PgConnection final : public ConnectionImpl {
 public:
  PgConnection(const std::string& conninfo, Connection::Mode mode,
               std::chrono::milliseconds lockTimeout)
      : conn_(open(conninfo)) {
    setup_ = "SET client_min_messages = warning; SET TIME ZONE 'UTC'; SET lock_timeout = " +
             std::to_string(lockTimeout.count());
    if (mode == Connection::Mode::readOnly) setup_ += "; SET default_transaction_read_only = on";
    exec(setup_);
  }
  bool broken() const override { return PQstatus(conn_) != CONNECTION_OK; }
  void reconnect() override {
    PQreset(conn_);
    if (PQstatus(conn_) != CONNECTION_OK)
      throw PgError("08006", "reconnect postgres: " + pgLastError(conn_));
    stale_.clear();  // the new session has none of the old one's statements
    exec(setup_);
  }
  ~PgConnection() override { PQfinish(conn_); }
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  Backend backend() const override { return Backend::postgres; }
  std::unique_ptr<StatementImpl> prepare(std::string_view sql, bool reused) override {
    return std::make_unique<PgStatement>(*this, sql, reused);
  }
  void exec(std::string_view sql) override {
    Result r(PQexec(conn_, std::string(sql).c_str()));
    checkResult(conn_, r.get(), "exec");
    // COMMIT of a transaction that an error aborted rolls back without an error: report it.
    if (std::strcmp(PQcmdStatus(r.get()), "ROLLBACK") == 0 && sql.starts_with("COMMIT")) {
      throw PgError("25P02", "commit: the transaction had failed and was rolled back");
    }
  }
  std::int64_t lastInsertRowid() override {
    // lastval() fails before the session's first sequence use: 0, as SQLite before any insert.
    if (inTransaction()) exec("SAVEPOINT vigil_lastval");
    Result r(PQexec(conn_, "SELECT lastval()"));
    const bool ok = PQresultStatus(r.get()) == PGRES_TUPLES_OK;
    std::int64_t v = ok ? std::strtoll(PQgetvalue(r.get(), 0, 0), nullptr, 10) : 0;
    if (inTransaction()) {
      if (!ok) exec("ROLLBACK TO vigil_lastval");
      exec("RELEASE vigil_lastval");
    }
    return v;
  }
  int changes() const override { return changes_; }
  bool inTransaction() const override {
    auto s = PQtransactionStatus(conn_);
    return s == PQTRANS_INTRANS || s == PQTRANS_INERROR || s == PQTRANS_ACTIVE;
  }
  std::string_view beginSql(bool immediate) const override {
    return immediate ? "BEGIN ISOLATION LEVEL SERIALIZABLE"
                     : "BEGIN ISOLATION LEVEL REPEATABLE READ";
  }
  void resetBusyStatements() override {}

  PGconn* raw() const { return conn_; }
  void setChanges(int n) { changes_ = n; }
  /// A server-side name: "c<n>" for a cached statement (kept for the connection's life), "o<n>"
  /// for a one-off (deallocated after it is destroyed).
  std::string nextName(bool reused) { return (reused ? "c" : "o") + std::to_string(++statements_); }
  static bool reusable(const std::string& name) { return name.front() == 'c'; }
  /// A one-off statement is gone: DEALLOCATE it the next time the connection is not inside a
  /// failed transaction (a failed transaction refuses every command but ROLLBACK).
  void forget(std::string name) {
    stale_.push_back(std::move(name));
    if (stale_.size() >= 16) flushStale();
  }
  void flushStale() {
    if (stale_.empty() || PQtransactionStatus(conn_) == PQTRANS_INERROR) return;
    std::string sql;
    for (const auto& n : stale_) sql += "DEALLOCATE " + n + ";";
    stale_.clear();
    Result r(PQexec(conn_, sql.c_str()));
    (void)r;  // a name already gone is harmless
  }

 private:
  PGconn* conn_ = nullptr;
  int changes_ = 0;
  std::uint64_t statements_ = 0;
  std::vector<std::string> stale_;
  std::string setup_;
};

bool isUtility(std::string_view sql) {
  while (!sql.empty() && std::isspace(static_cast<unsigned char>(sql.front())) != 0) {
    sql.remove_prefix(1);
  }
  for (std::string_view kw :
       {"BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "SET ", "CREATE", "DROP", "ALTER",
        "VACUUM", "ANALYZE", "LOCK", "LISTEN", "NOTIFY", "UNLISTEN"}) {
    if (sql.size() >= kw.size()) {
      bool same = std::equal(kw.begin(), kw.end(), sql.begin(), [](char a, char b) {
        return a == std::toupper(static_cast<unsigned char>(b));
      });
      if (same) return true;
    }
  }
  return false;
}

PgStatement::PgStatement(PgConnection& conn, std::string_view sql, bool reused)
    : conn_(conn), sql_(translateForPostgres(sql)) {
  params_.resize(static_cast<std::size_t>(sql_.parameterCount));
  utility_ = sql_.parameterCount == 0 && isUtility(sql_.text);
  if (!utility_) name_ = conn_.nextName(reused);
}

PgStatement::~PgStatement() {
  if (prepared_ && !conn_.reusable(name_)) conn_.forget(name_);
}

void PgStatement::prepareOnServer() {
  const bool guarded = conn_.inTransaction();
  if (guarded) conn_.exec("SAVEPOINT vigil_prepare");
  Result r(PQprepare(conn_.raw(), name_.c_str(), sql_.text.c_str(), sql_.parameterCount, nullptr));
  const char* state = PQresultErrorField(r.get(), PG_DIAG_SQLSTATE);
  if (PQresultStatus(r.get()) != PGRES_COMMAND_OK && state != nullptr &&
      std::strcmp(state, "42P08") == 0) {
    if (guarded) conn_.exec("ROLLBACK TO vigil_prepare");
    std::vector<Oid> types;
    // A NULL says nothing of its type: most of ours are ids and times (bigint). Where that is
    // wrong the statement fails here; write CAST(?n AS <type>) in its SQL.
    for (const auto& p : params_) types.push_back(p.type != 0 ? p.type : kInt8Oid);
    r.reset(PQprepare(conn_.raw(), name_.c_str(), sql_.text.c_str(), sql_.parameterCount,
                      types.data()));
  }
  if (PQresultStatus(r.get()) != PGRES_COMMAND_OK) {
    if (guarded) {
      conn_.exec("ROLLBACK TO vigil_prepare");
      conn_.exec("RELEASE vigil_prepare");
    }
    throwPg(conn_.raw(), r.get(), "prepare");
  }
  if (guarded) conn_.exec("RELEASE vigil_prepare");
  prepared_ = true;
}

void PgStatement::execute() {
  PGresult* res = nullptr;
  if (utility_) {
    res = PQexec(conn_.raw(), sql_.text.c_str());
  } else {
    std::vector<const char*> values(params_.size());
    std::vector<int> lengths(params_.size());
    std::vector<int> formats(params_.size());
    for (std::size_t i = 0; i < params_.size(); ++i) {
      const auto& p = params_[i];
      values[i] = p.null ? nullptr : p.value.data();
      lengths[i] = static_cast<int>(p.value.size());
      formats[i] = p.binary ? 1 : 0;
    }
    if (!prepared_) prepareOnServer();
    res = PQexecPrepared(conn_.raw(), name_.c_str(), sql_.parameterCount, values.data(),
                         lengths.data(), formats.data(), 0);
  }
  Result r(res);
  checkResult(conn_.raw(), r.get(), "step");
  rows_ = PQresultStatus(r.get()) == PGRES_TUPLES_OK ? PQntuples(r.get()) : 0;
  const char* affected = PQcmdTuples(r.get());
  changes_ = (affected != nullptr && *affected != '\0') ? std::atoi(affected) : 0;
  if (PQresultStatus(r.get()) == PGRES_COMMAND_OK || *affected != '\0') conn_.setChanges(changes_);
  row_ = -1;
  result_ = std::move(r);
}

}  // namespace

std::unique_ptr<ConnectionImpl> openPostgres(const std::string& conninfo, Connection::Mode mode,
                                             std::chrono::milliseconds lockTimeout) {
  return std::make_unique<PgConnection>(conninfo, mode, lockTimeout);
}

}  // namespace detail
}  // namespace vigil::store
