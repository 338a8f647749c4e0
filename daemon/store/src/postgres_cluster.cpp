// PgListener and PgLease (postgres_cluster.hpp): libpq connections of their own.

#include "vigil/store/postgres_cluster.hpp"

#include <libpq-fe.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>

#include "pg_session.hpp"
#include "vigil/store/postgres.hpp"

namespace vigil::store {

namespace {

using detail::pgConnect;
using detail::PgConnPtr;
using detail::pgLastError;
using detail::PgResultPtr;

bool commandOk(PGconn* c, const std::string& sql) {
  PgResultPtr r(PQexec(c, sql.c_str()));
  auto st = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
}

}  // namespace

// --- PgListener ---

struct PgListener::State {
  std::string conninfo;
  std::vector<std::string> channels;
  PgConnPtr conn;
  int wakeFd = -1;
  bool lost = false;  // the connection went away since the last good wait

  bool listen() {
    for (const auto& ch : channels) {
      char* quoted = PQescapeIdentifier(conn.get(), ch.c_str(), ch.size());
      if (quoted == nullptr) return false;
      std::string sql = std::string("LISTEN ") + quoted;
      PQfreemem(quoted);
      if (!commandOk(conn.get(), sql)) return false;
    }
    return true;
  }
  bool reconnect() {
    conn = pgConnect(conninfo, nullptr);
    if (conn && listen()) return true;
    conn.reset();
    return false;
  }
  void drain(Batch& out) {
    while (PGnotify* n = PQnotifies(conn.get())) {
      out.notifications.push_back({n->relname, n->extra != nullptr ? n->extra : ""});
      PQfreemem(n);
    }
  }
};

PgListener::PgListener(const std::string& conninfo, std::vector<std::string> channels)
    : state_(std::make_unique<State>()) {
  state_->conninfo = conninfo;
  state_->channels = std::move(channels);
  std::string reason;
  state_->conn = pgConnect(conninfo, &reason);
  if (!state_->conn) throw PgError("08006", "listen: " + reason);
  if (!state_->listen()) throw PgError("", "listen: " + pgLastError(state_->conn.get()));
  state_->wakeFd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (state_->wakeFd < 0) throw StoreError(std::string("listen: eventfd: ") + std::strerror(errno));
}

PgListener::~PgListener() {
  if (state_ && state_->wakeFd >= 0) ::close(state_->wakeFd);
}

void PgListener::wake() {
  std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(state_->wakeFd, &one, sizeof one);
}

PgListener::Batch PgListener::wait(std::chrono::milliseconds timeout) {
  Batch out;
  auto& s = *state_;
  if (!s.conn || PQstatus(s.conn.get()) != CONNECTION_OK) {
    s.lost = true;
    if (!s.reconnect()) {
      // Unreachable: wait out the timeout (or a wake) before the next try.
      pollfd w{s.wakeFd, POLLIN, 0};
      ::poll(&w, 1, static_cast<int>(timeout.count()));
      std::uint64_t v = 0;
      [[maybe_unused]] auto n = ::read(s.wakeFd, &v, sizeof v);
      out.connected = false;
      return out;
    }
  }
  if (s.lost) {
    out.resumed = true;
    s.lost = false;
  }
  s.drain(out);  // what an earlier consume left
  if (!out.notifications.empty()) return out;
  pollfd fds[2] = {{PQsocket(s.conn.get()), POLLIN, 0}, {s.wakeFd, POLLIN, 0}};
  int rc = ::poll(fds, 2, static_cast<int>(timeout.count()));
  if (rc > 0 && (fds[1].revents & POLLIN) != 0) {
    std::uint64_t v = 0;
    [[maybe_unused]] auto n = ::read(s.wakeFd, &v, sizeof v);
  }
  if (rc > 0 && (fds[0].revents & (POLLIN | POLLERR | POLLHUP)) != 0) {
    if (PQconsumeInput(s.conn.get()) == 0 || PQstatus(s.conn.get()) != CONNECTION_OK) {
      s.drain(out);  // anything read before the loss
      s.conn.reset();
      s.lost = true;
      return out;
    }
    s.drain(out);
  }
  return out;
}

// --- PgLease ---

struct PgLease::Conn {
  PgConnPtr conn;
};

PgLease::PgLease(std::string conninfo, std::int64_t key)
    : conninfo_(std::move(conninfo)), key_(key) {}

PgLease::~PgLease() {
  release();
}

bool PgLease::refresh() {
  if (held_) {
    // The lock lives as long as the session: a session that answers still holds it.
    if (conn_ && PQstatus(conn_->conn.get()) == CONNECTION_OK &&
        commandOk(conn_->conn.get(), "SELECT 1"))
      return true;
    held_ = false;
    conn_.reset();
  }
  if (!conn_) {
    auto c = pgConnect(conninfo_, nullptr);
    if (!c) return false;
    conn_ = std::make_unique<Conn>(Conn{std::move(c)});
  }
  const std::string sql = "SELECT pg_try_advisory_lock(" + std::to_string(key_) + ")";
  PgResultPtr r(PQexec(conn_->conn.get(), sql.c_str()));
  if (!r || PQresultStatus(r.get()) != PGRES_TUPLES_OK || PQntuples(r.get()) != 1) {
    conn_.reset();  // a broken session is opened again next time
    return false;
  }
  held_ = std::strcmp(PQgetvalue(r.get(), 0, 0), "t") == 0;
  return held_;
}

void PgLease::release() {
  held_ = false;
  conn_.reset();  // ending the session frees its locks
}

std::optional<std::string> PgLease::ask(const std::string& sql) {
  if (!conn_ || PQstatus(conn_->conn.get()) != CONNECTION_OK) return std::nullopt;
  PgResultPtr r(PQexec(conn_->conn.get(), sql.c_str()));
  if (!r || PQresultStatus(r.get()) != PGRES_TUPLES_OK || PQntuples(r.get()) != 1 ||
      PQnfields(r.get()) < 1)
    return std::nullopt;
  return std::string(PQgetvalue(r.get(), 0, 0));
}

// --- PgPresence ---

struct PgPresence::State {
  std::mutex mutex;
  PgLease own;  // its session also answers the questions about the others
  State(std::string info, std::int64_t key) : own(std::move(info), key) {}
};

std::int64_t PgPresence::keyOf(const std::string& nodeId) {
  std::uint32_t h = 2166136261u;  // FNV-1a, 32 bits
  for (char ch : nodeId) {
    h ^= static_cast<unsigned char>(ch);
    h *= 16777619u;
  }
  constexpr std::uint64_t kClass = 0x564E4F44;  // 'VNOD'
  return static_cast<std::int64_t>((kClass << 32) | h);
}

PgPresence::PgPresence(std::string conninfo, std::string nodeId)
    : nodeId_(std::move(nodeId)),
      state_(std::make_unique<State>(std::move(conninfo), keyOf(nodeId_))) {
  refresh();
}

PgPresence::~PgPresence() = default;

bool PgPresence::refresh() {
  std::lock_guard lock(state_->mutex);
  return state_->own.refresh();
}

bool PgPresence::present(const std::string& nodeId) {
  if (nodeId == nodeId_) return refresh();
  // A bigint advisory key shows in pg_locks as classid (high 32 bits), objid (low 32 bits) and
  // objsubid 1.
  const auto key = static_cast<std::uint64_t>(keyOf(nodeId));
  const std::string sql =
      "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1 "
      "AND classid = " +
      std::to_string(key >> 32) + " AND objid = " + std::to_string(key & 0xFFFFFFFFu);
  std::lock_guard lock(state_->mutex);
  auto answer = state_->own.ask(sql);
  if (!answer && state_->own.refresh()) answer = state_->own.ask(sql);  // a new session
  return answer && *answer != "0";
}

}  // namespace vigil::store
