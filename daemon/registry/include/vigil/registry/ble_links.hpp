#pragma once
// The BLE gateway's kept link states (ble_links, migration 0008_ble): where each BLE device the
// box paired or tried to pair last stood, and when it was last connected, for admins and across
// restarts. The gateway keeps no tables of its own; it reports through this repository, which
// the registry owns because a link belongs to a registered device: a device the registry has
// retired keeps no link.
//
// Repository pattern (see vigil/store/settings_repository.hpp): the *In(Connection&) statics
// hold the SQL; the members run them on the store.

#include <cstddef>
#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "vigil/core/clock.hpp"

namespace vigil::store {
class Connection;
class Database;
}  // namespace vigil::store

namespace vigil::registry {

/// One row of ble_links: a device's last known link state. No PHI: an address and a registry
/// uid identify a device, not a patient.
struct BleLink {
  std::string address;  // "C4:7C:8D:6A:12:34"
  std::string uid;      // registry uid "ble-C47C8D6A1234"
  std::string state;    // the gateway's state name (paired, connected, …)
  std::string reason;
  TimePoint changedAt{};
  /// When given, replaces the kept time of the last connection; when not, the kept one stays.
  std::optional<TimePoint> lastConnectedAt;
};

/// ble_links on the store.
class BleLinkRepository {
 public:
  explicit BleLinkRepository(store::Database& db) : db_(db) {}

  /// Queues recordIn(link) on the store's writer without blocking: false when the store's
  /// queue is full or the store is closed (nothing queued). `done` runs after the job's batch
  /// committed (nullptr) or failed.
  bool tryRecord(BleLink link, std::function<void(std::exception_ptr)> done);
  /// pruneRetiredIn in one write; waits for the commit.
  std::size_t pruneRetired();
  /// Every kept link, by address.
  std::vector<BleLink> list();

  /// Upserts the device's link, or, when the registry has retired the device, deletes its row
  /// instead (it may still be paired in BlueZ and come and go). Returns whether it was kept.
  static bool recordIn(store::Connection& c, const BleLink& link);
  /// Deletes the links of devices the registry has retired; returns how many went.
  static std::size_t pruneRetiredIn(store::Connection& c);
  static std::vector<BleLink> listIn(store::Connection& c);

 private:
  store::Database& db_;
};

}  // namespace vigil::registry
