#pragma once
// The device registry and the patients devices belong to.
//
// A device belongs to one patient at a time; every assignment is a period
// [valid_from, valid_until) kept forever, so a reading is attributed to the patient who had the
// device when it was *measured* (device time), even if it arrives after a reassignment.
// Patient identifiers (MRN, names, birth date) are stored only as FieldCipher ciphertexts bound
// to their row; the MRN, the names (whole and their first three letters) and the birth date are
// found through HMAC blind indexes (search: patient_search.cpp, docs/security.md).
//
// Repository pattern (see vigil/store/settings_repository.hpp): the *In(Connection&) statics
// hold the SQL so a change and its audit entry commit in one write job.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/core/clock.hpp"
#include "vigil/core/error.hpp"

namespace vigil::store {
class Connection;
class Database;
}  // namespace vigil::store
namespace vigil::crypto {
class FieldCipher;
class BlindIndex;
}  // namespace vigil::crypto

namespace vigil::registry {

enum class DeviceKind {
  blood_pressure,
  pulse_oximeter,
  weight_scale,
  thermometer,
  glucometer,
  heart_rate,
  hub
};
const char* toString(DeviceKind k);
/// Throws vigil::ValidationError for an unknown name.
DeviceKind parseDeviceKind(const std::string& name);

enum class Credential { certificate, password };

/// A device as the registry knows it.
struct Device {
  std::int64_t id = 0;
  std::string uid;  // the identity in its certificate / MQTT topics
  DeviceKind kind = DeviceKind::hub;
  std::string model, serial, firmware;
  Credential credential = Credential::certificate;
  bool retired = false;
  std::optional<int> batteryPct;
  std::optional<TimePoint> lastSeen;
  TimePoint createdAt;
  std::optional<TimePoint> retiredAt;
};

struct NewDevice {
  std::string uid;
  DeviceKind kind = DeviceKind::hub;
  std::string model, serial, firmware;
  Credential credential = Credential::certificate;
};

/// One period a device belonged to a patient.
struct Assignment {
  std::int64_t deviceId = 0;
  std::int64_t patientId = 0;
  TimePoint validFrom;
  std::optional<TimePoint> validUntil;
};

/// Checks a device uid: [A-Za-z0-9._-]{1,64} (safe in topics, file names and certificate CNs).
bool validDeviceUid(const std::string& uid);

/// Devices and their assignments.
class DeviceRegistry {
 public:
  explicit DeviceRegistry(store::Database& db, Clock& clock) : db_(db), clock_(clock) {}

  /// Throws ValidationError (bad uid) or StoreError (uid taken: isConstraint()).
  Device add(const NewDevice& device);
  std::optional<Device> find(std::int64_t id);
  std::optional<Device> findByUid(const std::string& uid);
  std::vector<Device> list();
  /// Ends the current assignment (if any) at `at` and starts one for patientId. Throws
  /// ValidationError for a retired device or an unknown patient.
  void assign(std::int64_t deviceId, std::int64_t patientId, std::optional<std::int64_t> by = {});
  /// Ends the current assignment.
  void unassign(std::int64_t deviceId);
  /// Ends the assignment and marks the device retired; its readings are refused from now on.
  void retire(std::int64_t deviceId);
  std::vector<Assignment> history(std::int64_t deviceId);
  /// The patient who had the device at `t` (device time), if any.
  std::optional<std::int64_t> patientAt(std::int64_t deviceId, TimePoint t);

  // --- SQL for composing inside one write job ---
  static Device addIn(store::Connection& c, const NewDevice& d, TimePoint now);
  static std::optional<Device> findIn(store::Connection& c, std::int64_t id);
  static std::optional<Device> findByUidIn(store::Connection& c, const std::string& uid);
  /// What ingest needs of a device per message: its id and whether it is retired (one indexed
  /// lookup, no strings built).
  struct IngestView {
    std::int64_t id = 0;
    bool retired = false;
  };
  static std::optional<IngestView> ingestViewIn(store::Connection& c, const std::string& uid);
  static std::vector<Device> listIn(store::Connection& c);
  static void assignIn(store::Connection& c, std::int64_t deviceId, std::int64_t patientId,
                       TimePoint at, std::optional<std::int64_t> by);
  static void unassignIn(store::Connection& c, std::int64_t deviceId, TimePoint at);
  static void retireIn(store::Connection& c, std::int64_t deviceId, TimePoint at);
  static std::optional<std::int64_t> patientAtIn(store::Connection& c, std::int64_t deviceId,
                                                 TimePoint t);
  /// The assignment in force at `t` (its patient and since when), if any.
  static std::optional<Assignment> assignmentAtIn(store::Connection& c, std::int64_t deviceId,
                                                  TimePoint t);
  static std::vector<Assignment> historyIn(store::Connection& c, std::int64_t deviceId);
  /// The patient's devices assigned now, oldest assignment first.
  static std::vector<Assignment> currentForPatientIn(store::Connection& c, std::int64_t patientId);
  /// Every current assignment: device id → patient id.
  static std::map<std::int64_t, std::int64_t> currentAssignmentsIn(store::Connection& c);
  /// Updates last seen (never backwards) and battery (when given).
  static void touchIn(store::Connection& c, std::int64_t deviceId, TimePoint seen,
                      std::optional<int> batteryPct);
  /// The firmware version the device reported (the `firmware` member of its readings).
  static void setFirmwareIn(store::Connection& c, std::int64_t deviceId,
                            const std::string& version);

 private:
  store::Database& db_;
  Clock& clock_;
};

/// A patient's record with identifiers decrypted (only in memory, only for authorised use).
struct Patient {
  std::int64_t id = 0;
  std::string mrn, givenName, familyName, birthDate;  // PHI
  std::string timeZone = "UTC";
  std::string state;
  std::optional<std::int64_t> userId;
  bool active = true;
};

/// Where a patient is, as scheduling needs it (nothing decrypted): their IANA zone and state.
struct PatientLocation {
  std::string timeZone;
  std::string state;
};

/// The MRN of a new patient is already another patient's (the API answers 409 mrn_taken).
class MrnTaken : public Error {
 public:
  using Error::Error;
};

/// Patients with encrypted identifiers.
class PatientRepository {
 public:
  PatientRepository(store::Database& db, const crypto::FieldCipher& cipher,
                    const crypto::BlindIndex& index, Clock& clock)
      : db_(db), cipher_(cipher), index_(index), clock_(clock) {}

  /// Creates the patient; returns the id. Throws ValidationError (bad zone/state), MrnTaken.
  std::int64_t create(const Patient& p);
  std::optional<Patient> get(std::int64_t id);
  /// "Given Family" for each id that exists, in one read, decrypting only the two name fields
  /// (lists such as the alert queue show no MRN or birth date, so those stay encrypted).
  std::map<std::int64_t, std::string> displayNames(const std::vector<std::int64_t>& ids);
  std::optional<std::int64_t> findByMrn(const std::string& mrn);
  std::vector<std::int64_t> listIds();

  std::int64_t createIn(store::Connection& c, const Patient& p);
  std::optional<Patient> getIn(store::Connection& c, std::int64_t id);
  /// Whether a patient with this id exists (nothing decrypted).
  static bool existsIn(store::Connection& c, std::int64_t id);
  /// The patient's state of residence (two letters; nothing decrypted: a state is not an
  /// identifier), or nullopt when the patient does not exist or has none (licensing).
  static std::optional<std::string> stateIn(store::Connection& c, std::int64_t id);
  /// The patient's zone and state (not encrypted); nullopt if no such patient.
  static std::optional<PatientLocation> locationIn(store::Connection& c, std::int64_t id);
  std::optional<std::int64_t> findByMrnIn(store::Connection& c, const std::string& mrn);
  /// Active patients who may be the person `p` describes (duplicate detection at registration,
  /// issue 21): the same given name, family name (each compared as normalizeName does: ASCII
  /// case, blanks, hyphens, apostrophes and dots ignored; other letters, accents included, as
  /// written) and the same birth date. Their ids, ascending, through the three blind indexes in
  /// one indexed query: nothing is decrypted (the caller decrypts, with getIn, only the
  /// candidates its actor may see). None when `p` has no birth date or an empty name.
  std::vector<std::int64_t> duplicateCandidatesIn(store::Connection& c, const Patient& p);
  /// Rewrites the names, birth date, time zone and state of an existing patient (MRN, account
  /// and active flag stay) with their search indexes. Throws NotFound, ValidationError (zone,
  /// state).
  void updateDemographicsIn(store::Connection& c, const Patient& p);

  // --- Search (patient_search.cpp) ---
  /// The ids (ascending) of patients matching every token of `query` (split at blanks and
  /// commas, at most kMaxSearchTokens): a date YYYY-MM-DD matches the birth date exactly; any
  /// other token matches a whole MRN, and a token without digits also names: a name token of 3
  /// letters or more is a prefix of the given or family name (candidates by the 3-letter prefix
  /// index, confirmed by decrypting only their names); a shorter name token matches a whole name
  /// exactly. Only blind indexes reach SQL: the query text is never stored or logged. Throws
  /// ValidationError
  /// ("q: ...") for an empty or oversized query. `within`: only these patients are considered
  /// (the caller's visible ones), so no other patient's name is decrypted.
  std::vector<std::int64_t> search(const std::string& query,
                                   const std::optional<std::vector<std::int64_t>>& within = {});
  std::vector<std::int64_t> searchIn(store::Connection& c, const std::string& query,
                                     const std::optional<std::vector<std::int64_t>>& within = {});
  /// Fills the search indexes of patients that lack them (rows from before migration 0019);
  /// returns how many rows it filled. Run at start-up.
  std::size_t fillSearchIndexes();

  static constexpr std::size_t kMaxSearchTokens = 4;
  static constexpr std::size_t kMaxSearchLength = 100;
  /// A name as searched: ASCII lower-cased; blanks, hyphens, apostrophes and dots dropped;
  /// other bytes (UTF-8 letters) kept as they are.
  static std::string normalizeName(std::string_view name);
  /// The first three characters (UTF-8 code points) of a normalised name, or all of it.
  static std::string namePrefix(std::string_view normalizedName);

 private:
  /// Sets the row's search indexes from its decrypted names and birth date.
  void writeSearchIndexesIn(store::Connection& c, const Patient& p) const;

  store::Database& db_;
  const crypto::FieldCipher& cipher_;
  const crypto::BlindIndex& index_;
  Clock& clock_;
};

}  // namespace vigil::registry
