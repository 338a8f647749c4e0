#pragma once
// Intake (issue 21, docs/patients.md#intake): after accepting an invitation the patient fills a
// wizard (demographics and contact, insurance with photos of the cards, history, consents),
// saving each step into the patient record (PatientRecordService) as they go. This service keeps
// what the record does not: whether the intake was completed (by the patient, or by staff at the
// front desk), and the insurance card photos (migration 0023).
//
// A card photo is a JPEG or PNG of at most kMaxCardImageBytes; it is re-written without its
// metadata (stripImageMetadata: EXIF, GPS, text chunks) and stored as a FieldCipher ciphertext
// bound to its row, one per patient, coverage and side (a new upload replaces it). Every call
// authorises and audits through security::AccessGuard in the transaction that reads or writes
// (intake.get / intake.complete / insurance_card.get / .put / .remove): the patient their own,
// the care team (others by break-glass), admins and the front desk every patient.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/core/clock.hpp"
#include "vigil/security/access.hpp"

namespace vigil::store {
class Connection;
class Database;
}  // namespace vigil::store
namespace vigil::crypto {
class FieldCipher;
}
namespace vigil::security {
class AuditLog;
}

namespace vigil::patients {

enum class CardCoverage { primary, secondary };
enum class CardSide { front, back };
std::string_view toString(CardCoverage c);
std::string_view toString(CardSide s);
std::optional<CardCoverage> parseCardCoverage(std::string_view name);
std::optional<CardSide> parseCardSide(std::string_view name);

/// The largest photo accepted, before its metadata is stripped.
inline constexpr std::size_t kMaxCardImageBytes = 700 * 1024;

struct CardImageInfo {
  CardCoverage coverage = CardCoverage::primary;
  CardSide side = CardSide::front;
  std::string mediaType;  // "image/jpeg" or "image/png"
  std::size_t sizeBytes = 0;
  std::uint32_t width = 0, height = 0;
  TimePoint uploadedAt;
  std::int64_t uploadedBy = 0;
};

struct CardImage {
  CardImageInfo info;
  std::string content;
};

struct IntakeStatus {
  std::int64_t patientId = 0;
  std::optional<TimePoint> completedAt;
  std::int64_t completedBy = 0;
  std::string completedRole;         // "patient", "front_desk", ...
  std::vector<CardImageInfo> cards;  // primary front, primary back, secondary front, ...
};

class IntakeService {
 public:
  IntakeService(store::Database& db, security::AuditLog& audit, const crypto::FieldCipher& cipher,
                Clock& clock);

  /// Whether the intake is complete and which card photos are on file. NotFound: no patient.
  IntakeStatus status(const security::Actor& actor, std::int64_t patientId,
                      std::string_view breakGlassReason = {});
  /// Marks the intake complete (again: the time moves on) and returns the status.
  IntakeStatus complete(const security::Actor& actor, std::int64_t patientId,
                        std::string_view breakGlassReason = {});
  /// Stores a card photo without its metadata, replacing the one on file. ValidationError for
  /// a picture that is not a JPEG or PNG, malformed, too large or empty.
  CardImageInfo putCard(const security::Actor& actor, std::int64_t patientId, CardCoverage coverage,
                        CardSide side, std::string_view bytes,
                        std::string_view breakGlassReason = {});
  /// The photo on file; NotFound when there is none.
  CardImage card(const security::Actor& actor, std::int64_t patientId, CardCoverage coverage,
                 CardSide side, std::string_view breakGlassReason = {});
  /// Removes the photo on file; NotFound when there is none.
  void removeCard(const security::Actor& actor, std::int64_t patientId, CardCoverage coverage,
                  CardSide side, std::string_view breakGlassReason = {});

 private:
  std::string reasonFor(const security::Actor& actor, std::int64_t patientId,
                        std::string_view given);
  IntakeStatus statusIn(store::Connection& c, std::int64_t patientId) const;

  store::Database& db_;
  security::AuditLog& audit_;
  const crypto::FieldCipher& cipher_;
  Clock& clock_;
};

}  // namespace vigil::patients
