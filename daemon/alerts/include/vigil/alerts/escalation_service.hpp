#pragma once
// The escalation set-up (issue 17), stored (tables of migration 0010_escalation.sql, owned here)
// and applied to the lifecycle: the clinic's chain (admins), a patient's own chain (a provider on
// the care team), and on-call coverage (admins). Callers authorise and audit; this checks the
// shape (no repeats, at most kMaxChainLength people, coverage that ends after it starts and is
// not over), and that each person is a clinician through the `isClinician` check the app gives
// (active provider or nurse: an alert routed to anyone else would reach nobody).
//
// A change routes alerts raised or escalated from then on; an alert already assigned keeps its
// assignee until its next escalation. Thread-safe: one mutex orders the store write and the
// lifecycle update, so the lifecycle always holds what the store last committed.

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "vigil/alerts/alert_lifecycle.hpp"
#include "vigil/alerts/escalation.hpp"
#include "vigil/core/clock.hpp"

namespace vigil::store {
class Database;
}

namespace vigil::crypto {
class FieldCipher;
}

namespace vigil::alerts {

/// A stored chain and who set it last.
struct StoredChain {
  std::vector<std::int64_t> users;
  std::optional<std::int64_t> updatedBy;
  std::optional<TimePoint> updatedAt;
};

class EscalationService {
 public:
  using ClinicianCheck = std::function<bool(std::int64_t userId)>;
  /// `cipher` seals the covers' notes (free text: PHI may be typed there).
  EscalationService(store::Database& db, const crypto::FieldCipher& cipher,
                    AlertLifecycle& lifecycle, Clock& clock, ClinicianCheck isClinician);

  /// Start-up: encrypts cover notes an older version stored in plaintext; returns how many.
  std::int64_t sealLegacyText();

  /// Loads the stored set-up into the lifecycle (at start).
  void load();

  StoredChain clinicChain();
  /// The patient's own chain (empty users: the clinic's applies).
  StoredChain patientChain(std::int64_t patientId);
  /// Replaces the clinic's chain. Throws ValidationError (repeats, too long, not a clinician).
  void setClinicChain(const std::vector<std::int64_t>& users, std::int64_t actorId);
  /// Replaces the patient's chain; empty: the clinic's applies again.
  void setPatientChain(std::int64_t patientId, const std::vector<std::int64_t>& users,
                       std::int64_t actorId);

  /// Coverage entries in force or ahead at `now`, soonest first.
  std::vector<Coverage> coverage(TimePoint now);
  /// Adds an entry (id, createdAt set here). Throws ValidationError.
  Coverage addCoverage(Coverage entry);
  /// Ends an entry now (kept as removed). False if there is no such current entry.
  bool removeCoverage(std::int64_t id, std::int64_t actorId);

 private:
  void checkPeople(const std::vector<std::int64_t>& users) const;
  void storeChain(std::int64_t patientId, const std::vector<std::int64_t>& users,
                  std::int64_t actorId);
  StoredChain readChain(std::int64_t patientId);
  void applyCoverageLocked();

  store::Database& db_;
  const crypto::FieldCipher& cipher_;
  AlertLifecycle& lifecycle_;
  Clock& clock_;
  ClinicianCheck isClinician_;
  std::mutex mutex_;
};

}  // namespace vigil::alerts
