#pragma once
// Clinical notes (issue 23, docs/notes.md): SOAP notes per encounter from versioned templates,
// drafts with every save kept, sign to lock, a nurse's note co-signed by a provider of the care
// team, signed addenda, the patient's visit summary, referral letters.
//
// Storage (migration 0026): note_templates (no PHI; an admin's edit is a new version), notes
// (the four SOAP sections as one FieldCipher document bound to the row, AAD notes/soap/<id>),
// note_versions (each saved state of a draft, encrypted the same way), note_addenda and
// referrals (one encrypted document each). A note out of draft is locked twice: the service
// refuses (NoteStateError) and a trigger aborts any UPDATE of its content in SQL.
//
// An encounter is named by kind and reference, not by a foreign key: visits, async cases and
// RPM months belong to libraries at this layer or above (video, alerts), which notes may not
// include. The reference's shape is checked here (a visit or case id, an RPM month YYYY-MM, a
// date YYYY-MM-DD for an in-person visit or a phone call).
//
// Access: every call authorises and audits through security::AccessGuard in the transaction
// that reads or writes (operations note.* , note_template.*, referral.*, visit_summary.list in
// security/access.cpp). Only a note's author edits, signs or submits it; co-signing needs a
// provider on the patient's care team (never break-glass); the patient reads only the visit
// summaries of their own signed notes. Errors name fields, never their values.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/core/clock.hpp"
#include "vigil/core/error.hpp"
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
namespace vigil::registry {
class PatientRepository;
}

namespace vigil::notes {

enum class EncounterKind { video_visit, in_person_visit, rpm_review, async_case, phone_call };
std::string_view toString(EncounterKind kind);
std::optional<EncounterKind> parseEncounterKind(std::string_view name);

enum class NoteState { draft, cosign_pending, signed_ };
/// "draft", "cosign_pending", "signed".
std::string_view toString(NoteState state);

/// The four sections of a SOAP note (free text, PHI).
struct Soap {
  std::string subjective, objective, assessment, plan;
  bool operator==(const Soap&) const = default;
};

/// The most bytes a section, an addendum or a referral field holds.
inline constexpr std::size_t kMaxSectionBytes = 20000;
inline constexpr std::size_t kMaxFieldBytes = 500;

struct Encounter {
  EncounterKind kind = EncounterKind::video_visit;
  std::string ref;  // "42" (a visit or case id), "2026-11" (RPM month), "2026-12-01" (date)
};

/// A version of a template: the prompts shown under each section (no PHI).
struct NoteTemplate {
  std::int64_t id = 0;
  std::string key;  // "general", "rpm_review", "follow_up", or an admin's own
  int version = 1;
  std::string title;
  Soap prompts;
  TimePoint createdAt;
  std::optional<std::int64_t> createdBy;  // nullopt: shipped with the box
};

/// A signed correction or late entry to a signed note.
struct Addendum {
  std::int64_t id = 0;
  std::int64_t noteId = 0;
  std::int64_t authorId = 0;
  std::string authorRole;
  TimePoint signedAt;
  std::string sha256;  // hex, of the text
  std::string text;
};

struct Note {
  std::int64_t id = 0;
  std::int64_t patientId = 0;
  Encounter encounter;
  std::int64_t templateId = 0;
  std::string templateKey;
  int templateVersion = 0;
  std::string templateTitle;
  std::int64_t authorId = 0;
  std::string authorRole;
  NoteState state = NoteState::draft;
  int version = 1;  // the draft's save count; fixed once signed
  TimePoint createdAt, updatedAt;
  Soap soap;
  std::optional<std::int64_t> signedBy;
  std::optional<TimePoint> signedAt;
  std::string sha256;  // hex SHA-256 of the signed SOAP document; empty while a draft
  std::optional<std::int64_t> cosignedBy;
  std::optional<TimePoint> cosignedAt;
  std::vector<Addendum> addenda;  // oldest first
};

/// One saved state of a draft.
struct NoteVersion {
  int version = 0;
  TimePoint savedAt;
  std::int64_t savedBy = 0;
  Soap soap;
};

/// What the patient sees of a signed note: the assessment and plan, and the addenda.
struct VisitSummary {
  std::int64_t noteId = 0;
  Encounter encounter;
  std::string templateTitle;
  std::int64_t signedBy = 0;
  TimePoint signedAt;
  std::optional<std::int64_t> cosignedBy;
  std::string assessment, plan;
  std::vector<Addendum> addenda;
};

struct ReferralInput {
  std::string specialistName;  // 1..200
  std::string specialty;       // 1..200
  std::string contact;         // optional: address, phone or fax, <= 500
  std::string reason;          // 1..kMaxSectionBytes
};

struct Referral {
  std::int64_t id = 0;
  std::int64_t noteId = 0;
  std::int64_t patientId = 0;
  std::int64_t createdBy = 0;
  TimePoint createdAt;
  ReferralInput letter;
};

/// Everything a referral letter shows (the route adds the referrer's display name).
struct ReferralLetter {
  Referral referral;
  std::string patientName, patientBirthDate;
  Soap noteSoap;  // of the signed note the referral comes from
  TimePoint noteSignedAt;
};

/// The letter as a printable HTML page; every value is escaped.
std::string renderReferralLetter(const ReferralLetter& letter, std::string_view referrerName,
                                 std::string_view referrerRole);
/// `text` with & < > " ' as HTML character references.
std::string escapeHtml(std::string_view text);

/// An edit or sign based on a version that is no longer the draft's current one.
class NoteConflict : public Error {
 public:
  using Error::Error;
};
/// The note is not in a state that allows the action (editing a signed note, co-signing a
/// note that waits for nobody, an addendum to a draft).
class NoteStateError : public Error {
 public:
  using Error::Error;
};

/// Whether the encounter a new note names (its reference, already of the right shape) exists
/// and is this patient's, read on the note's write transaction. Visits and async cases live in
/// libraries above notes, so the app gives one per kind (setEncounterCheck); a kind without one
/// is checked for its shape only (dates and RPM months name no row).
using EncounterCheck =
    std::function<bool(store::Connection& c, std::int64_t patientId, std::string_view ref)>;

/// The notes service, authorised and audited.
class NoteService {
 public:
  NoteService(store::Database& db, security::AuditLog& audit, const crypto::FieldCipher& cipher,
              registry::PatientRepository& patients, Clock& clock);

  /// Set before serving (not synchronised). A note for an encounter the check refuses is a
  /// ValidationError naming the field, the same for a missing encounter and another patient's
  /// (which must not be told apart).
  void setEncounterCheck(EncounterKind kind, EncounterCheck check);

  // Templates (note_template.list, note_template.publish).
  /// The newest version of each template, by key.
  std::vector<NoteTemplate> templates(const security::Actor& actor);
  /// A new version of `key` (version 1 for a new key). Key: 1..40 of [a-z0-9_], starting with
  /// a letter; title 1..200; prompts <= kMaxFieldBytes each.
  NoteTemplate publishTemplate(const security::Actor& actor, const std::string& key,
                               const std::string& title, const Soap& prompts);

  /// A patient's notes, newest first, without content (note.list).
  std::vector<Note> list(const security::Actor& actor, std::int64_t patientId,
                         std::string_view breakGlassReason = {});
  /// A new draft for the encounter from a template version (note.create); the sections start
  /// empty (the template's prompts are shown beside them, not stored in the note).
  Note create(const security::Actor& actor, std::int64_t patientId, const Encounter& encounter,
              std::int64_t templateId, std::string_view breakGlassReason = {});
  /// The note with its addenda (note.get). NotFound when it is not this patient's.
  Note get(const security::Actor& actor, std::int64_t patientId, std::int64_t noteId,
           std::string_view breakGlassReason = {});
  /// Every saved state of the note, newest first (note.history).
  std::vector<NoteVersion> history(const security::Actor& actor, std::int64_t patientId,
                                   std::int64_t noteId, std::string_view breakGlassReason = {});
  /// Saves the draft as version baseVersion + 1 (note.write): the author only, a draft only
  /// (NoteStateError), from the current version (NoteConflict).
  Note update(const security::Actor& actor, std::int64_t patientId, std::int64_t noteId,
              int baseVersion, const Soap& soap, std::string_view breakGlassReason = {});
  /// A provider signs their own draft as it stands at baseVersion (note.sign): locked.
  Note sign(const security::Actor& actor, std::int64_t patientId, std::int64_t noteId,
            int baseVersion, std::string_view breakGlassReason = {});
  /// A nurse signs their own draft for co-signature (note.submit): locked, cosign_pending.
  Note submit(const security::Actor& actor, std::int64_t patientId, std::int64_t noteId,
              int baseVersion, std::string_view breakGlassReason = {});
  /// A provider on the patient's care team co-signs a cosign_pending note (note.cosign); no
  /// emergency access: co-signing is supervision of the team's own work.
  Note cosign(const security::Actor& actor, std::int64_t patientId, std::int64_t noteId);
  /// Notes waiting for a co-signature on the actor's care-team patients (note.cosign_queue).
  std::vector<Note> cosignQueue(const security::Actor& actor);
  /// A signed addendum to a signed note (note.addendum; providers and nurses).
  Addendum addAddendum(const security::Actor& actor, std::int64_t patientId, std::int64_t noteId,
                       const std::string& text, std::string_view breakGlassReason = {});

  /// A referral from a signed note (referral.create; providers).
  Referral refer(const security::Actor& actor, std::int64_t patientId, std::int64_t noteId,
                 const ReferralInput& input, std::string_view breakGlassReason = {});
  /// A patient's referrals, newest first (referral.list).
  std::vector<Referral> referrals(const security::Actor& actor, std::int64_t patientId,
                                  std::string_view breakGlassReason = {});
  /// What the referral letter shows (referral.get).
  ReferralLetter letter(const security::Actor& actor, std::int64_t patientId,
                        std::int64_t referralId, std::string_view breakGlassReason = {});

  /// The visit summaries of the patient's signed notes, newest first (visit_summary.list).
  std::vector<VisitSummary> visitSummaries(const security::Actor& actor, std::int64_t patientId,
                                           std::string_view breakGlassReason = {});

  /// The patient's signed notes with their content and addenda, oldest signature first, read on
  /// `c` without a check or an audit: for a service that authorises and audits its own read
  /// (fhir::RecordExportService, the record download). Drafts and notes waiting for a
  /// co-signature are never included.
  static std::vector<Note> signedNotesIn(store::Connection& c, const crypto::FieldCipher& cipher,
                                         std::int64_t patientId);

  // For the worklist (issue 23), on `c`, without content, check or audit (the worklist
  // authorises and audits its own read):
  /// The drafts `authorId` wrote, oldest first.
  static std::vector<Note> draftsOfIn(store::Connection& c, std::int64_t authorId);
  /// Notes waiting for a co-signature, of these patients, oldest signature first.
  static std::vector<Note> cosignPendingIn(store::Connection& c,
                                           const std::vector<std::int64_t>& patientIds);
  /// Whether the patient has a signed RPM monthly review for `month` (YYYY-MM).
  static bool hasSignedReviewIn(store::Connection& c, std::int64_t patientId,
                                std::string_view month);

 private:
  std::string reasonFor(const security::Actor& actor, std::int64_t patientId,
                        std::string_view given);
  Note noteIn(store::Connection& c, std::int64_t patientId, std::int64_t noteId,
              bool content) const;
  std::vector<Addendum> addendaIn(store::Connection& c, std::int64_t noteId) const;
  Note lockIn(store::Connection& c, const security::Actor& actor, std::int64_t patientId,
              std::int64_t noteId, int baseVersion, NoteState to);

  store::Database& db_;
  security::AuditLog& audit_;
  const crypto::FieldCipher& cipher_;
  registry::PatientRepository& patients_;
  Clock& clock_;
  std::map<EncounterKind, EncounterCheck> encounterChecks_;
};

/// Checks an encounter's reference for its kind; throws ValidationError naming the field.
void validate(const Encounter& encounter);

}  // namespace vigil::notes
