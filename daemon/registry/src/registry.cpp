#include "vigil/registry/registry.hpp"

#include <algorithm>

#include "vigil/core/error.hpp"
#include "vigil/core/time.hpp"
#include "vigil/crypto/blind_index.hpp"
#include "vigil/crypto/field_cipher.hpp"
#include "vigil/store/database.hpp"
#include "vigil/store/sqlite.hpp"

namespace vigil::registry {

using core::fromMillis;
using core::toMillis;
namespace {

using store::Connection;

constexpr const char* kDeviceColumns =
    "id, uid, kind, model, serial, firmware, credential, status, battery_pct, last_seen_at, "
    "created_at, retired_at";

Device deviceFromRow(const store::Statement& s) {
  Device d;
  d.id = s.get<std::int64_t>(0);
  d.uid = s.get<std::string>(1);
  d.kind = parseDeviceKind(s.get<std::string>(2));
  d.model = s.get<std::string>(3);
  d.serial = s.get<std::string>(4);
  d.firmware = s.get<std::string>(5);
  d.credential =
      s.get<std::string>(6) == "password" ? Credential::password : Credential::certificate;
  d.retired = s.get<std::string>(7) == "retired";
  d.batteryPct = s.get<std::optional<int>>(8);
  if (auto v = s.get<std::optional<std::int64_t>>(9)) d.lastSeen = fromMillis(*v);
  d.createdAt = fromMillis(s.get<std::int64_t>(10));
  if (auto v = s.get<std::optional<std::int64_t>>(11)) d.retiredAt = fromMillis(*v);
  return d;
}

bool validZone(const std::string& z) {
  if (z.empty() || z.size() > 64) return false;
  return std::all_of(z.begin(), z.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '/' || c == '_' || c == '-' ||
           c == '+';
  });
}

crypto::FieldRef ref(const char* column, std::int64_t id) {
  return {"patients", column, std::to_string(id)};
}

store::Blob toBlob(const crypto::Bytes& b) {
  return store::Blob(b.begin(), b.end());
}

}  // namespace

const char* toString(DeviceKind k) {
  switch (k) {
    case DeviceKind::blood_pressure:
      return "blood_pressure";
    case DeviceKind::pulse_oximeter:
      return "pulse_oximeter";
    case DeviceKind::weight_scale:
      return "weight_scale";
    case DeviceKind::thermometer:
      return "thermometer";
    case DeviceKind::glucometer:
      return "glucometer";
    case DeviceKind::heart_rate:
      return "heart_rate";
    case DeviceKind::hub:
      return "hub";
  }
  return "hub";
}

DeviceKind parseDeviceKind(const std::string& name) {
  for (auto k :
       {DeviceKind::blood_pressure, DeviceKind::pulse_oximeter, DeviceKind::weight_scale,
        DeviceKind::thermometer, DeviceKind::glucometer, DeviceKind::heart_rate, DeviceKind::hub}) {
    if (name == toString(k)) return k;
  }
  throw ValidationError("kind: unknown device kind");
}

bool validDeviceUid(const std::string& uid) {
  if (uid.empty() || uid.size() > 64) return false;
  return std::all_of(uid.begin(), uid.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
  });
}

// ---------------------------------------------------------------- DeviceRegistry (SQL)

Device DeviceRegistry::addIn(Connection& c, const NewDevice& d, TimePoint now) {
  if (!validDeviceUid(d.uid)) throw ValidationError("uid: must match [A-Za-z0-9._-]{1,64}");
  auto s = c.prepare(
      "INSERT INTO devices (uid, kind, model, serial, firmware, credential, created_at) "
      "VALUES (?, ?, ?, ?, ?, ?, ?)");
  s.bindAll(d.uid, toString(d.kind), d.model, d.serial, d.firmware,
            d.credential == Credential::password ? "password" : "certificate", toMillis(now));
  s.run();
  return *findIn(c, c.lastInsertRowid());
}

std::optional<Device> DeviceRegistry::findIn(Connection& c, std::int64_t id) {
  auto s = c.prepare(std::string("SELECT ") + kDeviceColumns + " FROM devices WHERE id = ?");
  s.bind(1, id);
  if (!s.step()) return std::nullopt;
  return deviceFromRow(s);
}

std::optional<Device> DeviceRegistry::findByUidIn(Connection& c, const std::string& uid) {
  // Cached: ingest looks a device up for every message.
  static const std::string kSql =
      std::string("SELECT ") + kDeviceColumns + " FROM devices WHERE uid = ?";
  auto& s = c.cached(kSql);
  s.bind(1, uid);
  std::optional<Device> out;
  if (s.step()) out = deviceFromRow(s);
  s.reset();
  return out;
}

std::optional<DeviceRegistry::IngestView> DeviceRegistry::ingestViewIn(Connection& c,
                                                                       const std::string& uid) {
  auto& s = c.cached("SELECT id, status = 'retired' FROM devices WHERE uid = ?");
  s.bind(1, uid);
  std::optional<IngestView> out;
  if (s.step()) out = IngestView{s.get<std::int64_t>(0), s.get<std::int64_t>(1) != 0};
  s.reset();
  return out;
}

std::vector<Device> DeviceRegistry::listIn(Connection& c) {
  auto s = c.prepare(std::string("SELECT ") + kDeviceColumns + " FROM devices ORDER BY id");
  std::vector<Device> out;
  while (s.step()) out.push_back(deviceFromRow(s));
  return out;
}

void DeviceRegistry::assignIn(Connection& c, std::int64_t deviceId, std::int64_t patientId,
                              TimePoint at, std::optional<std::int64_t> by) {
  auto dev = findIn(c, deviceId);
  if (!dev) throw NotFound("device: no such device");
  if (dev->retired) throw ValidationError("device: retired devices cannot be assigned");
  auto p = c.prepare("SELECT 1 FROM patients WHERE id = ? AND active = 1");
  p.bind(1, patientId);
  if (!p.step()) throw NotFound("patient: no such active patient");
  unassignIn(c, deviceId, at);
  auto s = c.prepare(
      "INSERT INTO device_assignments (device_id, patient_id, valid_from, assigned_by) "
      "VALUES (?, ?, ?, ?)");
  s.bindAll(deviceId, patientId, toMillis(at), by);
  s.run();
}

void DeviceRegistry::unassignIn(Connection& c, std::int64_t deviceId, TimePoint at) {
  auto s = c.prepare(
      "UPDATE device_assignments SET valid_until = max(valid_from, ?) "
      "WHERE device_id = ? AND valid_until IS NULL");
  s.bindAll(toMillis(at), deviceId);
  s.run();
}

void DeviceRegistry::retireIn(Connection& c, std::int64_t deviceId, TimePoint at) {
  unassignIn(c, deviceId, at);
  auto s = c.prepare(
      "UPDATE devices SET status = 'retired', retired_at = ? WHERE id = ? AND status = 'active'");
  s.bindAll(toMillis(at), deviceId);
  if (s.run() == 0 && !findIn(c, deviceId)) throw NotFound("device: no such device");
}

std::optional<std::int64_t> DeviceRegistry::patientAtIn(Connection& c, std::int64_t deviceId,
                                                        TimePoint t) {
  auto& s = c.cached(  // per stored reading
      "SELECT patient_id FROM device_assignments WHERE device_id = ? AND valid_from <= ? "
      "AND (valid_until IS NULL OR valid_until > ?) ORDER BY valid_from DESC LIMIT 1");
  auto ms = toMillis(t);
  s.bindAll(deviceId, ms, ms);
  std::optional<std::int64_t> out;
  if (s.step()) out = s.get<std::int64_t>(0);
  s.reset();
  return out;
}

std::optional<Assignment> DeviceRegistry::assignmentAtIn(Connection& c, std::int64_t deviceId,
                                                         TimePoint t) {
  auto& s = c.cached(  // per stored message
      "SELECT patient_id, valid_from, valid_until FROM device_assignments WHERE device_id = ? "
      "AND valid_from <= ? AND (valid_until IS NULL OR valid_until > ?) "
      "ORDER BY valid_from DESC LIMIT 1");
  auto ms = toMillis(t);
  s.bindAll(deviceId, ms, ms);
  std::optional<Assignment> out;
  if (s.step()) {
    Assignment a;
    a.deviceId = deviceId;
    a.patientId = s.get<std::int64_t>(0);
    a.validFrom = fromMillis(s.get<std::int64_t>(1));
    if (!s.isNull(2)) a.validUntil = fromMillis(s.get<std::int64_t>(2));
    out = a;
  }
  s.reset();
  return out;
}

namespace {

// Assignments from a query selecting device_id, patient_id, valid_from, valid_until.
std::vector<Assignment> assignmentsFrom(store::Statement& s) {
  std::vector<Assignment> out;
  while (s.step()) {
    Assignment a;
    a.deviceId = s.get<std::int64_t>(0);
    a.patientId = s.get<std::int64_t>(1);
    a.validFrom = fromMillis(s.get<std::int64_t>(2));
    if (auto u = s.get<std::optional<std::int64_t>>(3)) a.validUntil = fromMillis(*u);
    out.push_back(a);
  }
  return out;
}

}  // namespace

std::vector<Assignment> DeviceRegistry::historyIn(Connection& c, std::int64_t deviceId) {
  auto s = c.prepare(
      "SELECT device_id, patient_id, valid_from, valid_until FROM device_assignments "
      "WHERE device_id = ? ORDER BY valid_from, id");
  s.bind(1, deviceId);
  return assignmentsFrom(s);
}

std::vector<Assignment> DeviceRegistry::currentForPatientIn(Connection& c, std::int64_t patientId) {
  auto s = c.prepare(
      "SELECT device_id, patient_id, valid_from, valid_until FROM device_assignments "
      "WHERE patient_id = ? AND valid_until IS NULL ORDER BY valid_from, id");
  s.bind(1, patientId);
  return assignmentsFrom(s);
}

std::map<std::int64_t, std::int64_t> DeviceRegistry::currentAssignmentsIn(Connection& c) {
  std::map<std::int64_t, std::int64_t> out;
  auto s =
      c.prepare("SELECT device_id, patient_id FROM device_assignments WHERE valid_until IS NULL");
  while (s.step()) out.emplace(s.get<std::int64_t>(0), s.get<std::int64_t>(1));
  return out;
}

void DeviceRegistry::touchIn(Connection& c, std::int64_t deviceId, TimePoint seen,
                             std::optional<int> batteryPct) {
  auto& s = c.cached(  // per message
      "UPDATE devices SET last_seen_at = max(coalesce(last_seen_at, 0), ?), "
      "battery_pct = coalesce(?, battery_pct) WHERE id = ?");
  s.bindAll(toMillis(seen), batteryPct, deviceId);
  s.run();
  s.reset();
}

void DeviceRegistry::setFirmwareIn(Connection& c, std::int64_t deviceId,
                                   const std::string& version) {
  c.execute("UPDATE devices SET firmware = ? WHERE id = ? AND firmware IS DISTINCT FROM ?", version,
            deviceId, version);
}

// ---------------------------------------------------------------- DeviceRegistry (service)

Device DeviceRegistry::add(const NewDevice& device) {
  auto now = clock_.now();
  return db_.writeSync([&](Connection& c) { return addIn(c, device, now); });
}

std::optional<Device> DeviceRegistry::find(std::int64_t id) {
  return db_.read([&](Connection& c) { return findIn(c, id); });
}

std::optional<Device> DeviceRegistry::findByUid(const std::string& uid) {
  return db_.read([&](Connection& c) { return findByUidIn(c, uid); });
}

std::vector<Device> DeviceRegistry::list() {
  return db_.read([&](Connection& c) { return listIn(c); });
}

void DeviceRegistry::assign(std::int64_t deviceId, std::int64_t patientId,
                            std::optional<std::int64_t> by) {
  auto now = clock_.now();
  db_.writeSync([&](Connection& c) { assignIn(c, deviceId, patientId, now, by); });
}

void DeviceRegistry::unassign(std::int64_t deviceId) {
  auto now = clock_.now();
  db_.writeSync([&](Connection& c) { unassignIn(c, deviceId, now); });
}

void DeviceRegistry::retire(std::int64_t deviceId) {
  auto now = clock_.now();
  db_.writeSync([&](Connection& c) { retireIn(c, deviceId, now); });
}

std::vector<Assignment> DeviceRegistry::history(std::int64_t deviceId) {
  return db_.read([&](Connection& c) { return historyIn(c, deviceId); });
}

std::optional<std::int64_t> DeviceRegistry::patientAt(std::int64_t deviceId, TimePoint t) {
  return db_.read([&](Connection& c) { return patientAtIn(c, deviceId, t); });
}

// ---------------------------------------------------------------- PatientRepository

namespace {

void checkZoneAndState(const Patient& p) {
  if (!validZone(p.timeZone)) throw ValidationError("time_zone: not an IANA zone name");
  if (!p.state.empty() &&
      (p.state.size() != 2 || !std::isupper(static_cast<unsigned char>(p.state[0])) ||
       !std::isupper(static_cast<unsigned char>(p.state[1]))))
    throw ValidationError("state: expected a two-letter code");
}

}  // namespace

void PatientRepository::updateDemographicsIn(Connection& c, const Patient& p) {
  checkZoneAndState(p);
  auto u = c.prepare(
      "UPDATE patients SET given_name_enc = ?1, family_name_enc = ?2, birth_date_enc = ?3, "
      "time_zone = ?4, state = ?5 WHERE id = ?6");
  u.bindAll(toBlob(cipher_.encrypt(ref("given_name", p.id), p.givenName)),
            toBlob(cipher_.encrypt(ref("family_name", p.id), p.familyName)),
            toBlob(cipher_.encrypt(ref("birth_date", p.id), p.birthDate)), p.timeZone,
            p.state.empty() ? std::nullopt : std::optional<std::string>(p.state), p.id);
  if (u.run() == 0) throw NotFound("patient: no such patient");
  writeSearchIndexesIn(c, p);
}

std::int64_t PatientRepository::createIn(Connection& c, const Patient& p) {
  checkZoneAndState(p);
  std::optional<store::Blob> bidx;
  if (!p.mrn.empty()) {
    auto d = index_.compute("patients.mrn", crypto::BlindIndex::normalizeIdentifier(p.mrn));
    bidx = store::Blob(d.begin(), d.end());
    auto dup = c.prepare("SELECT 1 FROM patients WHERE mrn_bidx = ?");
    dup.bind(1, *bidx);
    if (dup.step()) throw MrnTaken("mrn: already used by another patient");
  }
  auto s = c.prepare(
      "INSERT INTO patients (mrn_bidx, time_zone, state, user_id, active, created_at) "
      "VALUES (?, ?, ?, ?, ?, ?)");
  s.bindAll(bidx, p.timeZone, p.state.empty() ? std::nullopt : std::optional<std::string>(p.state),
            p.userId, p.active ? 1 : 0, toMillis(clock_.now()));
  s.run();
  auto id = c.lastInsertRowid();
  Patient stored = p;
  stored.id = id;
  auto u = c.prepare(
      "UPDATE patients SET mrn_enc = ?, given_name_enc = ?, family_name_enc = ?, "
      "birth_date_enc = ? WHERE id = ?");
  u.bindAll(toBlob(cipher_.encrypt(ref("mrn", id), p.mrn)),
            toBlob(cipher_.encrypt(ref("given_name", id), p.givenName)),
            toBlob(cipher_.encrypt(ref("family_name", id), p.familyName)),
            toBlob(cipher_.encrypt(ref("birth_date", id), p.birthDate)), id);
  u.run();
  writeSearchIndexesIn(c, stored);
  return id;
}

bool PatientRepository::existsIn(Connection& c, std::int64_t id) {
  return c.queryValue<std::int64_t>("SELECT id FROM patients WHERE id = ?1", id).has_value();
}

std::optional<std::string> PatientRepository::stateIn(Connection& c, std::int64_t id) {
  auto state =
      c.queryValue<std::optional<std::string>>("SELECT state FROM patients WHERE id = ?1", id);
  if (!state || !*state || (*state)->empty()) return std::nullopt;
  return **state;
}

std::optional<PatientLocation> PatientRepository::locationIn(Connection& c, std::int64_t id) {
  auto s = c.prepare("SELECT time_zone, state FROM patients WHERE id = ?1");
  s.bind(1, id);
  if (!s.step()) return std::nullopt;
  return PatientLocation{s.getText(0), s.isNull(1) ? std::string() : s.getText(1)};
}

std::optional<Patient> PatientRepository::getIn(Connection& c, std::int64_t id) {
  auto s = c.prepare(
      "SELECT mrn_enc, given_name_enc, family_name_enc, birth_date_enc, time_zone, state, "
      "user_id, active FROM patients WHERE id = ?");
  s.bind(1, id);
  if (!s.step()) return std::nullopt;
  auto dec = [&](int col, const char* column) {
    auto b = s.get<std::optional<store::Blob>>(col);
    return b ? cipher_.decryptText(ref(column, id), *b) : std::string{};
  };
  Patient p;
  p.id = id;
  p.mrn = dec(0, "mrn");
  p.givenName = dec(1, "given_name");
  p.familyName = dec(2, "family_name");
  p.birthDate = dec(3, "birth_date");
  p.timeZone = s.get<std::string>(4);
  p.state = s.get<std::optional<std::string>>(5).value_or("");
  p.userId = s.get<std::optional<std::int64_t>>(6);
  p.active = s.get<bool>(7);
  return p;
}

std::optional<std::int64_t> PatientRepository::findByMrnIn(Connection& c, const std::string& mrn) {
  auto d = index_.compute("patients.mrn", crypto::BlindIndex::normalizeIdentifier(mrn));
  auto s = c.prepare("SELECT id FROM patients WHERE mrn_bidx = ?");
  s.bind(1, store::Blob(d.begin(), d.end()));
  if (!s.step()) return std::nullopt;
  return s.get<std::int64_t>(0);
}

std::int64_t PatientRepository::create(const Patient& p) {
  return db_.writeSync([&](Connection& c) { return createIn(c, p); });
}

std::optional<Patient> PatientRepository::get(std::int64_t id) {
  return db_.read([&](Connection& c) { return getIn(c, id); });
}

std::map<std::int64_t, std::string> PatientRepository::displayNames(
    const std::vector<std::int64_t>& ids) {
  return db_.read([&](Connection& c) {
    std::map<std::int64_t, std::string> out;
    auto& s = c.cached("SELECT given_name_enc, family_name_enc FROM patients WHERE id = ?1");
    for (auto id : ids) {
      if (out.count(id)) continue;
      s.bind(1, id);
      if (s.step()) {
        auto dec = [&](int col, const char* column) {
          auto b = s.get<std::optional<store::Blob>>(col);
          return b ? cipher_.decryptText(ref(column, id), *b) : std::string{};
        };
        auto given = dec(0, "given_name");
        auto family = dec(1, "family_name");
        out.emplace(id, given.empty() || family.empty() ? given + family : given + " " + family);
      }
      s.reset();
    }
    return out;
  });
}

std::optional<std::int64_t> PatientRepository::findByMrn(const std::string& mrn) {
  return db_.read([&](Connection& c) { return findByMrnIn(c, mrn); });
}

std::vector<std::int64_t> PatientRepository::listIds() {
  return db_.read([&](Connection& c) {
    std::vector<std::int64_t> ids;
    auto s = c.prepare("SELECT id FROM patients WHERE active = 1 ORDER BY id");
    while (s.step()) ids.push_back(s.get<std::int64_t>(0));
    return ids;
  });
}

}  // namespace vigil::registry
