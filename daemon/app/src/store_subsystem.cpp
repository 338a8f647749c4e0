#include "store_subsystem.hpp"

#include <filesystem>

#include "vigil/core/log.hpp"
#include "vigil/core/metrics.hpp"

namespace vigil::app {

std::string databasePath(const Config& config) {
  const auto& p = config.string("store.path");
  if (!p.empty()) return p;
  return (std::filesystem::path(config.string("data.dir")) / "vigil.db").string();
}

bool onPostgres(const Config& config) {
  return config.string("store.backend") == "postgres";
}

bool clustered(const Config& config) {
  return onPostgres(config) && !config.string("cluster.node_id").empty();
}

bool storeExists(const Config& config) {
  return onPostgres(config) || std::filesystem::exists(databasePath(config));
}

std::string storeName(const Config& config) {
  return onPostgres(config) ? std::string("the PostgreSQL database (store.conninfo)")
                            : databasePath(config);
}

void StoreSubsystem::initialize(Poco::Util::Application&) {
  store::Options opts;
  if (onPostgres(config_)) {
    opts.backend = store::Backend::postgres;
    opts.conninfo = config_.string("store.conninfo");
  } else {
    opts.path = databasePath(config_);
    std::filesystem::create_directories(opts.path.parent_path());
  }
  opts.readers = static_cast<std::size_t>(config_.integer("store.readers"));
  opts.batchSize = static_cast<std::size_t>(config_.integer("store.batch_max"));
  opts.linger = std::chrono::microseconds(config_.integer("store.batch_linger_us"));
  opts.commitSiblings = static_cast<std::size_t>(config_.integer("store.commit_siblings"));
  opts.busyTimeout = std::chrono::milliseconds(config_.integer("store.busy_timeout_ms"));
  db_ = store::Database::open(opts);
  Metrics::global().callbackGauge(
      "vigil_store_size_bytes", "Database file plus WAL, in bytes",
      [this] { return db_ ? static_cast<double>(db_->sizeBytes()) : 0.0; });
}

void StoreSubsystem::uninitialize() {
  if (db_) {
    db_->close();
    db_.reset();
  }
}

}  // namespace vigil::app
