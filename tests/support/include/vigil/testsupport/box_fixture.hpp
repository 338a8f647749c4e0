#pragma once
// A whole box for integration, fault and benchmark runs: a real Mosquitto (MosquittoFixture), a
// data directory with patients and devices registered (as an admin would, before the first
// start), device bundles made by the real provisioner, and a real vigild process that can be
// restarted, SIGKILLed and asked to run its own checks (`vigild store check`, `audit verify`).
// With Options::nodes (PostgreSQL only), several vigild nodes share the broker, the database and
// the data directory (keys, certificates), each with its own cluster.node_id, broker identity
// (vigild-<node>), web port and log (docs/scale-out.md).

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "vigil/store/connection.hpp"
#include "vigil/store/database.hpp"
#include "vigil/testsupport/mosquitto_fixture.hpp"
#include "vigil/testsupport/process.hpp"

namespace vigil::testsupport {

/// A broker + registered devices + vigild. The constructor registers and starts everything.
class BoxFixture {
 public:
  struct Options {
    std::vector<std::string> deviceUids;
    std::vector<std::string> settings;   // extra vigild `--set key=value`
    std::filesystem::path databasePath;  // empty: <data>/vigil.db
    /// Non-empty: the box's store is this PostgreSQL database (store.backend = postgres).
    std::string postgresConninfo;
    std::map<std::string, std::string> env;  // extra environment of vigild (e.g. LD_PRELOAD)
    std::map<std::string, std::string> deviceModels;  // uid -> the device's model (default none)
    bool start = true;
    /// Several nodes (needs postgresConninfo): one vigild per id, cluster.node_id = id.
    std::vector<std::string> nodes;
  };
  explicit BoxFixture(Options options);
  ~BoxFixture();
  BoxFixture(const BoxFixture&) = delete;
  BoxFixture& operator=(const BoxFixture&) = delete;

  /// Starts vigild (every node) and waits until its web port is published; throws
  /// std::runtime_error with vigild's log when it does not start within 30 s.
  void start();
  /// SIGTERM and wait (clean stop); returns the exit status (the last node's).
  int stop();
  /// SIGKILL and reap (every node).
  void kill9();
  bool running();

  // --- one node of several (Options::nodes) ---
  void startNode(const std::string& node);
  int stopNode(const std::string& node);
  void kill9Node(const std::string& node);
  bool nodeRunning(const std::string& node);
  int webPortOf(const std::string& node) const;
  std::string logOf(const std::string& node, int start = 0) const;
  /// A plain HTTP GET to one node (status, body).
  std::pair<int, std::string> getFrom(const std::string& node, const std::string& path) const;

  MosquittoFixture& broker() { return broker_; }
  const std::filesystem::path& dataDir() const { return data_; }
  const std::filesystem::path& databasePath() const { return dbPath_; }
  /// The directory holding one bundle per device (bundles/<uid>/device.json …).
  std::filesystem::path bundlesDir() const { return broker_.dir() / "bundles"; }
  std::filesystem::path bundle(const std::string& uid) const { return bundlesDir() / uid; }
  /// The patient the constructor registered for the device (each device has its own).
  std::int64_t patientOf(const std::string& uid) const { return patients_.at(uid); }
  /// vigild's log of its n-th start (1-based; 0 = the latest).
  std::string log(int start = 0) const;

  /// The (first) node's web port.
  int webPort() const;
  /// vigild's process id while it runs (-1 before start; for CPU readings in benchmarks).
  pid_t pid() const;
  /// A plain HTTP GET to vigild (status, body).
  std::pair<int, std::string> get(const std::string& path) const;
  /// Runs `vigild --set … <args>` to completion against the same data (exit code; stdout and
  /// stderr in `output`).
  int runCommand(const std::vector<std::string>& args, std::string* output = nullptr) const;

  /// Rows in readings, and distinct (device, dedup key) pairs among them.
  struct ReadingCounts {
    std::int64_t rows = 0;
    std::int64_t distinct = 0;
  };
  ReadingCounts countReadings() const;
  /// Readings stored per device uid.
  std::map<std::string, std::int64_t> readingsByDevice() const;
  /// A read-only connection to the box's store, whichever engine.
  std::unique_ptr<store::Connection> openStore() const;
  /// The options vigild is given for its store (to seed portal users before a start).
  store::Options storeOptions() const;

  static std::filesystem::path vigildPath();

 private:
  std::vector<std::string> baseArgs(const std::string& node = "") const;
  /// Node ids in start order ("" for the single box).
  std::vector<std::string> nodeIds() const;
  std::filesystem::path portFile(const std::string& node) const;
  std::filesystem::path logFile(const std::string& node, int start) const;

  Options options_;
  MosquittoFixture broker_;
  std::filesystem::path data_;
  std::filesystem::path dbPath_;
  std::map<std::string, std::unique_ptr<Process>> vigild_;  // by node id ("" for one box)
  std::map<std::string, int> starts_;
  std::map<std::string, MosquittoFixture::Observer> nodeIdentity_;
  std::map<std::string, std::int64_t> patients_;  // device uid -> patient id
};

}  // namespace vigil::testsupport
