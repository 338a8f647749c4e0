#pragma once
// What several vigild nodes on one PostgreSQL database share besides its tables (issue 29,
// docs/scale-out.md): notifications (LISTEN/NOTIFY) and leases (session advisory locks). Each
// keeps its own libpq connection, apart from the store's writer and readers, because both live
// in a server session: a notification reaches the sessions that LISTEN, a session lock lasts
// as long as the session that took it.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
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
  /// The first column of the first row of `sql` run on the lock's session (a question that
  /// needs no session of its own), or nullopt when there is no session or the query failed.
  std::optional<std::string> ask(const std::string& sql);

 private:
  struct Conn;
  std::string conninfo_;
  std::int64_t key_;
  std::unique_ptr<Conn> conn_;
  bool held_ = false;
};

/// A node's presence among several: a session advisory lock keyed by the node's id, held while
/// the node runs, on a connection of its own; any node can ask whether another is present (its
/// lock is held: the server drops it when that node's session ends, kill -9 included), asked on
/// that same session. Used to
/// tell whether the node a video room is pinned to is still there. Keys are 32-bit hashes of
/// the ids (FNV-1a) under the class 'VNOD': two ids with the same hash would share a presence.
/// Thread-safe.
class PgPresence {
 public:
  PgPresence(std::string conninfo, std::string nodeId);
  ~PgPresence();
  PgPresence(const PgPresence&) = delete;
  PgPresence& operator=(const PgPresence&) = delete;

  /// (Re)takes this node's lock when its session was lost; true while held. Never throws.
  bool refresh();
  /// Whether `nodeId` is present now: this node's own answer is refresh(); another's is whether
  /// its lock is held. An unreachable server: false (nobody can be shown present).
  bool present(const std::string& nodeId);
  const std::string& nodeId() const { return nodeId_; }
  /// The advisory lock key of a node id.
  static std::int64_t keyOf(const std::string& nodeId);

 private:
  struct State;
  std::string nodeId_;
  std::unique_ptr<State> state_;
};

}  // namespace vigil::store
