#pragma once
// The SQLite store as a vigild subsystem: opens (and migrates) the database at start, closes it
// (after committing every queued write) at stop.

#include <memory>

#include "service_subsystem.hpp"
#include "vigil/app/config.hpp"
#include "vigil/store/database.hpp"

namespace vigil::app {

/// Owns the Database for the other subsystems.
class StoreSubsystem final : public ServiceSubsystem {
 public:
  explicit StoreSubsystem(const Config& config) : config_(config) {}
  const char* name() const override { return "store"; }
  /// Valid between start and stop.
  store::Database& database() { return *db_; }
  bool isOpen() const { return db_ != nullptr; }

 protected:
  void initialize(Poco::Util::Application& app) override;
  void uninitialize() override;

 private:
  const Config& config_;
  std::unique_ptr<store::Database> db_;
};

/// The database path the configuration names (store.path, or <data.dir>/vigil.db).
std::string databasePath(const Config& config);
/// True when store.backend is postgres.
bool onPostgres(const Config& config);
/// Several nodes share the work (docs/scale-out.md): cluster.node_id set on PostgreSQL. Ingest
/// then queues readings for the alert node, and the alerts run through the alert node's lease.
bool clustered(const Config& config);
/// Whether the store exists: the SQLite file, or (PostgreSQL) always: the server says.
bool storeExists(const Config& config);
/// The store for messages: the SQLite path, or "the PostgreSQL database (store.conninfo)"
/// (never the connection string, which may carry a password).
std::string storeName(const Config& config);

}  // namespace vigil::app
