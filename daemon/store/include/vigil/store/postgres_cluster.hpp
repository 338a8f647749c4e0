#pragma once
// What several vigild nodes on one PostgreSQL database share besides its tables (issue 29,
// docs/scale-out.md): notifications (LISTEN/NOTIFY) and leases (session advisory locks). Each
// keeps its own libpq connection, apart from the store's writer and readers, because both live
// in a server session: a notification reaches the sessions that LISTEN, a session lock lasts
// as long as the session that took it.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace vigil::store {

/// One notification as PostgreSQL delivered it (after the sender's commit).
struct PgNotification {
  std::string channel;
  std::string payload;
};

/// A connection that LISTENs on channels. Thread-safe for one waiting thread plus wake() from
/// any thread.
///
/// Notifications sent while the connection was down are gone: after a reconnect wait() says
/// `resumed`, and the caller resynchronises from the tables.
class PgListener {
 public:
  /// Connects and LISTENs; throws PgError when the server cannot be reached at all.
  PgListener(const std::string& conninfo, std::vector<std::string> channels);
  ~PgListener();
  PgListener(const PgListener&) = delete;
  PgListener& operator=(const PgListener&) = delete;

  struct Batch {
    std::vector<PgNotification> notifications;
    bool resumed = false;   // the connection was lost and is back: some may have been missed
    bool connected = true;  // false: the server is unreachable now (tried again next wait)
  };
  /// Waits up to `timeout` for notifications (or wake()) and returns what arrived.
  Batch wait(std::chrono::milliseconds timeout);
  /// Makes a wait() in another thread return now.
  void wake();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

/// A session advisory lock on its own connection: the lease of one role among the nodes (the
/// alert node). The server frees it when the session ends: release(), the connection's loss,
/// or the process's death (kill -9 closes the socket). Not thread-safe: one owner thread.
class PgLease {
 public:
  PgLease(std::string conninfo, std::int64_t key);
  ~PgLease();
  PgLease(const PgLease&) = delete;
  PgLease& operator=(const PgLease&) = delete;

  /// Not held: tries to take the lock (never waits). Held: checks the session is still there
  /// (a lost session lost the lock). Returns whether it is held now. Never throws: an
  /// unreachable server is a lease not held.
  bool refresh();
  bool held() const { return held_; }
  /// Gives the lock up (closes the session).
  void release();

 private:
  struct Conn;
  std::string conninfo_;
  std::int64_t key_;
  std::unique_ptr<Conn> conn_;
  bool held_ = false;
};

}  // namespace vigil::store
