#include "vigil/patients/intake.hpp"

#include "vigil/core/error.hpp"
#include "vigil/core/log.hpp"
#include "vigil/core/time.hpp"
#include "vigil/crypto/field_cipher.hpp"
#include "vigil/patients/image_metadata.hpp"
#include "vigil/registry/registry.hpp"
#include "vigil/security/access_guard.hpp"
#include "vigil/security/audit_log.hpp"
#include "vigil/security/encrypted_fields.hpp"
#include "vigil/store/database.hpp"
#include "vigil/store/sqlite.hpp"

namespace vigil::patients {

using core::fromMillis;
using core::toMillis;
using security::Actor;
using store::Connection;

std::string_view toString(CardCoverage c) {
  return c == CardCoverage::primary ? "primary" : "secondary";
}

std::string_view toString(CardSide s) {
  return s == CardSide::front ? "front" : "back";
}

std::optional<CardCoverage> parseCardCoverage(std::string_view name) {
  if (name == "primary") return CardCoverage::primary;
  if (name == "secondary") return CardCoverage::secondary;
  return std::nullopt;
}

std::optional<CardSide> parseCardSide(std::string_view name) {
  if (name == "front") return CardSide::front;
  if (name == "back") return CardSide::back;
  return std::nullopt;
}

namespace {

crypto::FieldRef imageField(std::int64_t rowId) {
  const auto& field = security::encryptedField("insurance_card_images", "image");
  return {std::string(field.table), std::string(field.column), std::to_string(rowId)};
}

/// The audit object of one card: "<patient>/<coverage>/<side>" (ids and fixed words only).
security::AuditObject cardObject(std::int64_t patientId, CardCoverage coverage, CardSide side) {
  return {"insurance_card", std::to_string(patientId) + "/" + std::string(toString(coverage)) +
                                "/" + std::string(toString(side))};
}

void requirePatient(Connection& c, std::int64_t patientId) {
  if (!registry::PatientRepository::existsIn(c, patientId))
    throw NotFound("patient: no such patient");
}

constexpr const char* kCardColumns =
    "SELECT coverage, side, media_type, size_bytes, uploaded_at, uploaded_by, id, image_enc "
    "FROM insurance_card_images ";

CardImageInfo cardInfo(store::Statement& s) {
  CardImageInfo info;
  info.coverage = *parseCardCoverage(s.get<std::string>(0));
  info.side = *parseCardSide(s.get<std::string>(1));
  info.mediaType = s.get<std::string>(2);
  info.sizeBytes = static_cast<std::size_t>(s.get<std::int64_t>(3));
  info.uploadedAt = fromMillis(s.get<std::int64_t>(4));
  info.uploadedBy = s.get<std::int64_t>(5);
  return info;
}

}  // namespace

IntakeService::IntakeService(store::Database& db, security::AuditLog& audit,
                             const crypto::FieldCipher& cipher, Clock& clock)
    : db_(db), audit_(audit), cipher_(cipher), clock_(clock) {}

std::string IntakeService::reasonFor(const Actor& actor, std::int64_t patientId,
                                     std::string_view given) {
  return db_.read([&](Connection& c) {
    return security::AccessGuard::breakGlassReasonIn(c, actor, patientId, given, clock_.now());
  });
}

IntakeStatus IntakeService::statusIn(Connection& c, std::int64_t patientId) const {
  requirePatient(c, patientId);
  IntakeStatus st;
  st.patientId = patientId;
  auto s = c.prepare(
      "SELECT completed_at, completed_by, completed_role FROM patient_intake WHERE patient_id = "
      "?1");
  s.bind(1, patientId);
  if (s.step()) {
    st.completedAt = fromMillis(s.get<std::int64_t>(0));
    st.completedBy = s.get<std::int64_t>(1);
    st.completedRole = s.get<std::string>(2);
  }
  auto cards = c.prepare(std::string(kCardColumns) +
                         "WHERE patient_id = ?1 ORDER BY coverage = 'secondary', side = 'back'");
  cards.bind(1, patientId);
  while (cards.step()) st.cards.push_back(cardInfo(cards));
  return st;
}

IntakeStatus IntakeService::status(const Actor& actor, std::int64_t patientId,
                                   std::string_view breakGlassReason) {
  auto reason = reasonFor(actor, patientId, breakGlassReason);
  security::AccessGuard guard(db_, audit_);
  return guard.read(
      actor, security::operation("intake.get"), patientId, {"intake", std::to_string(patientId)},
      [&](Connection& c) { return statusIn(c, patientId); }, reason);
}

IntakeStatus IntakeService::complete(const Actor& actor, std::int64_t patientId,
                                     std::string_view breakGlassReason) {
  auto reason = reasonFor(actor, patientId, breakGlassReason);
  security::AccessGuard guard(db_, audit_);
  auto st = guard.write(
      actor, security::operation("intake.complete"), patientId,
      {"intake", std::to_string(patientId)},
      [&](Connection& c) {
        requirePatient(c, patientId);
        c.execute(
            "INSERT INTO patient_intake (patient_id, completed_at, completed_by, completed_role) "
            "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (patient_id) DO UPDATE SET "
            "completed_at = excluded.completed_at, completed_by = excluded.completed_by, "
            "completed_role = excluded.completed_role",
            patientId, toMillis(clock_.now()), actor.id,
            std::string(security::toString(actor.role)));
        return statusIn(c, patientId);
      },
      reason);
  log::info("intake.completed", {{"patient_id", patientId}, {"actor_id", actor.id}});
  return st;
}

CardImageInfo IntakeService::putCard(const Actor& actor, std::int64_t patientId,
                                     CardCoverage coverage, CardSide side, std::string_view bytes,
                                     std::string_view breakGlassReason) {
  if (bytes.empty()) throw ValidationError("image: the upload is empty");
  if (bytes.size() > kMaxCardImageBytes)
    throw ValidationError("image: larger than " + std::to_string(kMaxCardImageBytes / 1024) +
                          " KiB (the portal shrinks photos before sending them)");
  // Parsed and cleaned before any transaction: a refused picture writes nothing.
  auto clean = stripImageMetadata(bytes);
  auto reason = reasonFor(actor, patientId, breakGlassReason);
  security::AccessGuard guard(db_, audit_);
  auto info = guard.write(
      actor, security::operation("insurance_card.put"), patientId,
      cardObject(patientId, coverage, side),
      [&](Connection& c) {
        requirePatient(c, patientId);
        const auto now = clock_.now();
        c.execute(
            "DELETE FROM insurance_card_images WHERE patient_id = ?1 AND coverage = ?2 AND "
            "side = ?3",
            patientId, std::string(toString(coverage)), std::string(toString(side)));
        c.execute(
            "INSERT INTO insurance_card_images (patient_id, coverage, side, media_type, "
            "size_bytes, image_enc, uploaded_at, uploaded_by) "
            "VALUES (?1, ?2, ?3, ?4, ?5, ?8, ?6, ?7)",
            patientId, std::string(toString(coverage)), std::string(toString(side)),
            clean.mediaType, static_cast<std::int64_t>(clean.bytes.size()), toMillis(now), actor.id,
            store::Blob{});
        const auto row = c.lastInsertRowid();
        const auto enc = cipher_.encrypt(imageField(row), clean.bytes);
        c.execute("UPDATE insurance_card_images SET image_enc = ?2 WHERE id = ?1", row,
                  store::Blob(enc.begin(), enc.end()));
        CardImageInfo out;
        out.coverage = coverage;
        out.side = side;
        out.mediaType = clean.mediaType;
        out.sizeBytes = clean.bytes.size();
        out.width = clean.width;
        out.height = clean.height;
        out.uploadedAt = fromMillis(toMillis(now));
        out.uploadedBy = actor.id;
        return out;
      },
      reason);
  log::info("insurance_card.stored", {{"patient_id", patientId},
                                      {"coverage", toString(coverage)},
                                      {"side", toString(side)},
                                      {"metadata_parts_dropped", clean.droppedParts}});
  return info;
}

CardImage IntakeService::card(const Actor& actor, std::int64_t patientId, CardCoverage coverage,
                              CardSide side, std::string_view breakGlassReason) {
  auto reason = reasonFor(actor, patientId, breakGlassReason);
  security::AccessGuard guard(db_, audit_);
  return guard.read(
      actor, security::operation("insurance_card.get"), patientId,
      cardObject(patientId, coverage, side),
      [&](Connection& c) {
        requirePatient(c, patientId);
        auto s = c.prepare(std::string(kCardColumns) +
                           "WHERE patient_id = ?1 AND coverage = ?2 AND side = ?3");
        s.bind(1, patientId);
        s.bind(2, std::string(toString(coverage)));
        s.bind(3, std::string(toString(side)));
        if (!s.step()) throw NotFound("insurance card: no photo on file");
        CardImage img;
        img.info = cardInfo(s);
        img.content =
            cipher_.decryptText(imageField(s.get<std::int64_t>(6)), s.get<store::Blob>(7));
        return img;
      },
      reason);
}

void IntakeService::removeCard(const Actor& actor, std::int64_t patientId, CardCoverage coverage,
                               CardSide side, std::string_view breakGlassReason) {
  auto reason = reasonFor(actor, patientId, breakGlassReason);
  security::AccessGuard guard(db_, audit_);
  guard.write(
      actor, security::operation("insurance_card.remove"), patientId,
      cardObject(patientId, coverage, side),
      [&](Connection& c) {
        requirePatient(c, patientId);
        c.execute(
            "DELETE FROM insurance_card_images WHERE patient_id = ?1 AND coverage = ?2 AND "
            "side = ?3",
            patientId, std::string(toString(coverage)), std::string(toString(side)));
        if (c.changes() == 0) throw NotFound("insurance card: no photo on file");
      },
      reason);
}

}  // namespace vigil::patients
