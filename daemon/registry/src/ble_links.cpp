#include "vigil/registry/ble_links.hpp"

#include "vigil/core/time.hpp"
#include "vigil/registry/registry.hpp"
#include "vigil/store/database.hpp"
#include "vigil/store/sqlite.hpp"

namespace vigil::registry {

using core::fromMillis;
using core::toMillis;

using store::Connection;

bool BleLinkRepository::recordIn(Connection& c, const BleLink& link) {
  if (auto device = DeviceRegistry::ingestViewIn(c, link.uid); device && device->retired) {
    c.execute("DELETE FROM ble_links WHERE address = ?1", link.address);
    return false;
  }
  std::optional<std::int64_t> connectedAt;
  if (link.lastConnectedAt) connectedAt = toMillis(*link.lastConnectedAt);
  c.execute(
      "INSERT INTO ble_links (address, uid, state, reason, changed_at, last_connected_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
      "ON CONFLICT (address) DO UPDATE SET uid = ?2, state = ?3, reason = ?4, changed_at = ?5, "
      "last_connected_at = coalesce(?6, ble_links.last_connected_at)",
      link.address, link.uid, link.state, link.reason, toMillis(link.changedAt), connectedAt);
  return true;
}

std::size_t BleLinkRepository::pruneRetiredIn(Connection& c) {
  c.execute(
      "DELETE FROM ble_links WHERE uid IN (SELECT uid FROM devices WHERE status = 'retired')");
  return static_cast<std::size_t>(c.changes());
}

std::vector<BleLink> BleLinkRepository::listIn(Connection& c) {
  std::vector<BleLink> out;
  auto st = c.prepare(
      "SELECT address, uid, state, reason, changed_at, last_connected_at FROM ble_links "
      "ORDER BY address");
  while (st.step()) {
    BleLink l;
    l.address = st.get<std::string>(0);
    l.uid = st.get<std::string>(1);
    l.state = st.get<std::string>(2);
    l.reason = st.get<std::string>(3);
    l.changedAt = fromMillis(st.get<std::int64_t>(4));
    if (auto last = st.get<std::optional<std::int64_t>>(5)) l.lastConnectedAt = fromMillis(*last);
    out.push_back(std::move(l));
  }
  return out;
}

bool BleLinkRepository::tryRecord(BleLink link, std::function<void(std::exception_ptr)> done) {
  return db_.tryPost([link = std::move(link)](Connection& c) { recordIn(c, link); },
                     std::move(done));
}

std::size_t BleLinkRepository::pruneRetired() {
  return db_.writeSync([](Connection& c) { return pruneRetiredIn(c); });
}

std::vector<BleLink> BleLinkRepository::list() {
  return db_.read([](Connection& c) { return listIn(c); });
}

}  // namespace vigil::registry
