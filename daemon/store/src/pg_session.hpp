#pragma once
// libpq sessions as the store opens them (internal to vigil::store): the store's connections
// (postgres.cpp) and the cluster's sessions of their own (postgres_cluster.cpp).

#include <libpq-fe.h>

#include <memory>
#include <string>

namespace vigil::store::detail {

struct PgConnDeleter {
  void operator()(PGconn* c) const { PQfinish(c); }
};
using PgConnPtr = std::unique_ptr<PGconn, PgConnDeleter>;

struct PgResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using PgResultPtr = std::unique_ptr<PGresult, PgResultDeleter>;

/// libpq's last message for the session, without its trailing newline.
inline std::string pgLastError(const PGconn* c) {
  std::string reason = c != nullptr ? PQerrorMessage(c) : "out of memory";
  while (!reason.empty() && (reason.back() == '\n' || reason.back() == ' ')) reason.pop_back();
  return reason;
}

/// Connects with the server's notices silenced (they would reach stderr), or nullptr with the
/// reason when the server cannot be reached.
inline PgConnPtr pgConnect(const std::string& conninfo, std::string* reason) {
  PgConnPtr c(PQconnectdb(conninfo.c_str()));
  if (c && PQstatus(c.get()) == CONNECTION_OK) {
    PQsetNoticeProcessor(
        c.get(), [](void*, const char*) {}, nullptr);
    return c;
  }
  if (reason) *reason = pgLastError(c.get());
  return nullptr;
}

}  // namespace vigil::store::detail
