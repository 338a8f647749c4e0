#pragma once
// Read-side queries over the readings table: for the portal, the latest reading of each vital
// per patient, a time range of one vital for a chart, and the devices a patient has now; for
// the alert engine, the readings received since a time; for the BLE gateway, the last record
// number a device's readings carry.
//
// Down-sampling trade-off: a chart of months of readings needs a few hundred points, not tens of
// thousands. Averaging buckets would hide exactly what a clinician looks for (a 190 mmHg spike
// among normal readings), so each equal-time bucket keeps its lowest and highest reading (by
// the first component for panels, systolic for blood pressure): at most 2 points per bucket,
// every extreme survives. Cost: one pass over the range's rows (index readings_by_patient).
//
// No access checks here: callers (the API layer) authorise first and audit the access.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "vigil/core/clock.hpp"
#include "vigil/registry/registry.hpp"

namespace vigil::store {
class Connection;
class Database;
}  // namespace vigil::store

namespace vigil::readings {

/// One stored reading as a chart point. `values` has one entry for scalars and one per
/// component (in the order of Series::components) for panels; a missing component is nullopt.
struct ReadingPoint {
  std::int64_t readingId = 0;
  TimePoint at;  // device time, else receipt time
  std::vector<std::optional<double>> values;
  std::string unit;
  std::string flags;
};

/// A range of one vital, possibly down-sampled.
struct Series {
  std::string code;
  std::string unit;
  std::vector<std::string> components;  // empty for scalar codes
  std::vector<ReadingPoint> points;     // oldest first
  std::size_t total = 0;                // readings in the range before down-sampling
  bool downsampled = false;
};

/// A device currently assigned to a patient.
struct AssignedDevice {
  registry::Device device;
  TimePoint assignedSince;
};

/// A stored reading as it was received, for consumers that go through readings in reception
/// order (the alert engine's warm-up and catch-up). Panels keep their components JSON as stored.
struct ReceivedReading {
  std::int64_t readingId = 0;
  std::int64_t patientId = 0;
  std::string code;  // LOINC
  std::string unit;
  std::optional<double> value;            // NULL for panels and special values
  std::optional<std::string> components;  // panels: {"<loinc>": value, ...}
  std::optional<TimePoint> deviceTime;
  bool deviceTimeLocal = false;  // the device clock had no offset: deviceTime is not UTC
  TimePoint receivedAt;
  std::optional<std::int64_t> deviceId;  // set by the FHIR queries and patientReadingsIn
};

/// When a reading was taken as FHIR states it (Observation.effectiveDateTime): the device's
/// time when it had a UTC offset, else the receipt time.
TimePoint effectiveTime(const ReceivedReading& reading);

/// A time interval [from, to); an absent bound is open.
struct TimeInterval {
  std::optional<TimePoint> from, to;
};

/// One patient's readings as FHIR Observation search asks for them (issue 26): `codes` (any
/// when empty), every date clause satisfied (a clause is satisfied when the effective time lies
/// in one of its intervals), ordered by effective time then id, after the keyset `after`.
struct ObservationSearch {
  std::int64_t patientId = 0;
  std::vector<std::string> codes;
  std::vector<std::vector<TimeInterval>> dateClauses;
  bool newestFirst = false;
  /// The last row of the previous page (effective time, reading id): rows strictly after it
  /// in the search's order.
  std::optional<std::pair<TimePoint, std::int64_t>> after;
  std::size_t limit = 50;
};

/// When one automatically transmitted reading was taken (RPM billing's device days): its device
/// time, else its receipt time; `local` when the device clock had no offset (the time is then
/// the patient's wall clock, not UTC).
struct TransmittedTime {
  TimePoint at;
  bool local = false;
};

/// The component codes of a panel in display order (systolic, diastolic, mean for blood
/// pressure); empty for a scalar code.
std::vector<std::string> panelComponents(const std::string& code);

/// Queries on a reader connection of the store.
class ReadingQuery {
 public:
  explicit ReadingQuery(store::Database& db) : db_(db) {}

  /// Readings of `code` for the patient in [from, to], at most maxPoints (>= 2) points.
  Series range(std::int64_t patientId, const std::string& code, TimePoint from, TimePoint to,
               std::size_t maxPoints);
  /// The latest reading of each code the patient has, by code.
  std::map<std::string, ReadingPoint> latest(std::int64_t patientId);
  /// latest() for several patients in one snapshot.
  std::map<std::int64_t, std::map<std::string, ReadingPoint>> latestFor(
      const std::vector<std::int64_t>& patientIds);
  /// Devices assigned to the patient now, oldest assignment first.
  std::vector<AssignedDevice> currentDevices(std::int64_t patientId);
  /// The patient each device is assigned to now (devices without one are absent).
  std::map<std::int64_t, std::int64_t> currentAssignments();

  /// The highest sequence number (`seq`, the device's own record number, e.g. a glucose
  /// meter's) among the readings of `kind` stored from the device with registry uid
  /// `deviceUid`; nullopt when there are none or no such device.
  std::optional<std::int64_t> lastSequence(const std::string& deviceUid, const std::string& kind);
  /// Readings of assigned patients received at or after `since` with an id above
  /// `afterReadingId`, oldest received first (through the reception-time index, whatever their
  /// id order); at most `limit`.
  std::vector<ReceivedReading> receivedSince(TimePoint since, std::int64_t afterReadingId,
                                             std::size_t limit);

  static Series rangeIn(store::Connection& c, std::int64_t patientId, const std::string& code,
                        TimePoint from, TimePoint to, std::size_t maxPoints);
  static std::map<std::string, ReadingPoint> latestIn(store::Connection& c, std::int64_t patientId);
  static std::vector<AssignedDevice> currentDevicesIn(store::Connection& c, std::int64_t patientId);
  static std::optional<std::int64_t> lastSequenceIn(store::Connection& c,
                                                    const std::string& deviceUid,
                                                    const std::string& kind);
  /// Every reading filed under the patient, oldest first (by device time, else receipt), at
  /// most `limit` (the newest `limit` when there are more): the patient's record export.
  static std::vector<ReceivedReading> patientReadingsIn(store::Connection& c,
                                                        std::int64_t patientId, std::size_t limit);
  /// The times of the patient's automatically transmitted readings (source mqtt-json, mqtt-gatt
  /// or ble: sent by a device; demo-history: the demo seed's device payloads through ingest;
  /// any other source, such as a value typed in by hand, is left out)
  /// taken in [from, to) (device time, else receipt time), oldest first.
  static std::vector<TransmittedTime> transmittedIn(store::Connection& c, std::int64_t patientId,
                                                    TimePoint from, TimePoint to);
  /// The FHIR Observation search (see ObservationSearch), through readings_by_patient.
  static std::vector<ReceivedReading> observationsIn(store::Connection& c,
                                                     const ObservationSearch& search);
  /// How many readings the search matches without paging (Bundle.total).
  static std::int64_t countObservationsIn(store::Connection& c, const ObservationSearch& search);
  /// The reading a device stored for `code` taken at `deviceTime` (the FHIR create's
  /// duplicate: same device, time and code as a stored one); nullopt when none.
  static std::optional<std::int64_t> idAtIn(store::Connection& c, std::int64_t deviceId,
                                            const std::string& code, TimePoint deviceTime);
  /// One stored reading by id (patientId 0 when its device was unassigned).
  static std::optional<ReceivedReading> readingIn(store::Connection& c, std::int64_t readingId);
  static std::vector<ReceivedReading> receivedSinceIn(store::Connection& c, TimePoint since,
                                                      std::int64_t afterReadingId,
                                                      std::size_t limit);

  // --- the alert node's queue (readings_to_judge, migration 0044; docs/scale-out.md) ---
  /// A queued reading: its id, and the reading unless it was deleted since.
  struct ToJudge {
    std::int64_t readingId = 0;
    std::optional<ReceivedReading> reading;
  };
  /// The readings waiting for the alert node, lowest id first, at most `limit` (without
  /// `withReadings`: their ids only).
  static std::vector<ToJudge> toJudgeIn(store::Connection& c, std::size_t limit,
                                        bool withReadings = true);
  /// Takes judged readings off the queue.
  static void judgedIn(store::Connection& c, const std::vector<std::int64_t>& readingIds);
  /// How many readings wait for the alert node.
  static std::int64_t toJudgeCountIn(store::Connection& c);

 private:
  store::Database& db_;
};

/// Keeps the lowest and highest point (by values[0]) of each of maxPoints/2 equal-time buckets
/// over [from, to]; points must be sorted by time. Exposed for tests.
std::vector<ReadingPoint> downsampleMinMax(const std::vector<ReadingPoint>& points, TimePoint from,
                                           TimePoint to, std::size_t maxPoints);

}  // namespace vigil::readings
