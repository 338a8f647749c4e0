#pragma once
// Consent e-signature (issue 21): versioned consent documents and patients' signatures of them.
//
// An admin publishes a document as the next version of its kind (telehealth consent, RPM
// consent, privacy notice, recording policy); a published version never changes. A patient
// signs one version by typing their full name (it must match the name on their record: trimmed,
// runs of spaces as one, ASCII letters case-insensitive) and ticking the box; the signature keeps
// the document's id and version, the SHA-256 (hex) of the exact text signed, when, who, and, as
// FieldCipher ciphertexts bound to the signature's row, the typed name and the signer's IP
// address. Withdrawing a kind's consent records when and by whom on every active signature of
// that kind.
//
// Active consent: a patient has an active consent of a kind when one of their signatures of that
// kind is not withdrawn and its version is at least the newest version the admin published with
// "requires re-signing" (a new version without that flag leaves older signatures in force).
//
// Every call with an actor authorises and audits through security::AccessGuard in the same
// transaction as what it reads or writes (consent_document.*, consent.*). hasActiveConsent*
// answers yes or no for other services' enforcement (video visits, RPM enrolment) and reveals
// nothing else.

#include <cstdint>
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

namespace vigil::patients {

/// What a consent document is about.
enum class ConsentKind { telehealth, rpm, privacyNotice, recording };
inline constexpr ConsentKind kAllConsentKinds[] = {
    ConsentKind::telehealth, ConsentKind::rpm, ConsentKind::privacyNotice, ConsentKind::recording};
/// "telehealth", "rpm", "privacy_notice", "recording" (as stored and in the API).
std::string_view toString(ConsentKind kind);
std::optional<ConsentKind> parseConsentKind(std::string_view name);

/// The largest document text accepted (bytes of UTF-8).
inline constexpr std::size_t kMaxConsentBodyBytes = 64 * 1024;

/// One published version of a consent document (the clinic's text: no PHI).
struct ConsentDocument {
  std::int64_t id = 0;
  ConsentKind kind = ConsentKind::telehealth;
  int version = 0;
  std::string title;
  std::string body;    // Markdown or plain text, exactly as signed
  std::string sha256;  // lower-case hex SHA-256 of body's bytes
  bool requiresResign = false;
  std::int64_t publishedBy = 0;
  TimePoint publishedAt;
};

/// What an admin publishes.
struct NewConsentDocument {
  ConsentKind kind = ConsentKind::telehealth;
  std::string title;  // 1..200 bytes
  std::string body;   // 1..kMaxConsentBodyBytes, not only blanks
  /// Signatures of older versions stop counting until the patient signs this one.
  bool requiresResign = false;
};

/// One signature (typedName and signerIp decrypted: PHI, only for authorised readers).
struct Signature {
  std::int64_t id = 0;
  std::int64_t patientId = 0;
  std::int64_t documentId = 0;
  ConsentKind kind = ConsentKind::telehealth;
  int version = 0;
  std::string documentSha256;
  std::int64_t signedBy = 0;
  TimePoint signedAt;
  std::string typedName;
  std::string signerIp;
  std::optional<TimePoint> withdrawnAt;
  std::optional<std::int64_t> withdrawnBy;
};

/// What a patient sends to sign.
struct SignRequest {
  std::int64_t documentId = 0;
  std::string documentSha256;  // the hash of the text the page showed: must be the stored one
  std::string typedName;
  bool agreed = false;   // the ticked box
  std::string signerIp;  // the request's remote address
};

/// Where a patient stands for one kind.
struct KindStatus {
  ConsentKind kind = ConsentKind::telehealth;
  std::optional<ConsentDocument> current;  // the newest version (body left out), if any
  bool active = false;
  /// Signed an older version, not withdrawn, that a newer version's re-sign flag set aside.
  bool resignRequired = false;
};

/// A patient's consents: each kind's status and every signature, newest first.
struct PatientConsents {
  std::vector<KindStatus> kinds;
  std::vector<Signature> signatures;
};

/// Why a signature or withdrawal was refused although the request was well formed: `code` is a
/// stable word for the API ("document_superseded", "document_changed", "already_signed",
/// "not_signed").
class ConsentConflict : public Error {
 public:
  ConsentConflict(std::string code, const std::string& message)
      : Error(message), code_(std::move(code)) {}
  const std::string& code() const { return code_; }

 private:
  std::string code_;
};

/// Consent documents and signatures, authorised and audited.
class ConsentService {
 public:
  ConsentService(store::Database& db, security::AuditLog& audit, const crypto::FieldCipher& cipher,
                 registry::PatientRepository& patients, Clock& clock);

  /// Publishes the next version of the kind (consent_document.publish: admins). Throws
  /// ValidationError (title, body), AccessDenied.
  ConsentDocument publish(const security::Actor& actor, const NewConsentDocument& doc);
  /// Every version of every kind, newest version first within a kind, bodies left out
  /// (consent_document.list, audited).
  std::vector<ConsentDocument> documents(const security::Actor& actor);
  /// One version with its body (consent_document.get, audited). NotFound if none.
  ConsentDocument document(const security::Actor& actor, std::int64_t documentId);

  /// The patient signs (consent.sign: the patient themself). Throws ValidationError
  /// ("agreed", "typed_name": no match with the record), NotFound (document), ConsentConflict
  /// (a newer version exists; the hash differs; already signed and not withdrawn), AccessDenied.
  Signature sign(const security::Actor& actor, std::int64_t patientId, const SignRequest& request);
  /// Withdraws the patient's active consent of the kind (consent.withdraw: the patient
  /// themself); returns how many signatures it closed. ConsentConflict("not_signed") if none.
  /// Withdrawing the RPM consent also ends every active RPM enrolment of the patient in the same
  /// transaction (RpmEnrolmentService::endAllForWithdrawalIn, audited per enrolment).
  std::size_t withdraw(const security::Actor& actor, std::int64_t patientId, ConsentKind kind);
  /// The patient's consents (consent.list: the patient, the care team, admins; break-glass as
  /// elsewhere). Audited.
  PatientConsents consents(const security::Actor& actor, std::int64_t patientId,
                           std::string_view breakGlassReason = {});

  /// Whether the patient holds an active consent of the kind now (see the file comment).
  bool hasActiveConsent(std::int64_t patientId, ConsentKind kind);
  /// The same on a connection (for a service deciding inside its own write job).
  static bool hasActiveConsentIn(store::Connection& c, std::int64_t patientId, ConsentKind kind);

  // --- SQL, for composing inside a write job ---
  static std::optional<ConsentDocument> documentIn(store::Connection& c, std::int64_t id);
  /// The newest version of the kind (with its body), if any.
  static std::optional<ConsentDocument> currentIn(store::Connection& c, ConsentKind kind);
  /// The patient's signatures, newest first, decrypted; no access check and no audit: for a
  /// service that authorises and audits its own read in that snapshot (the record export).
  std::vector<Signature> signaturesIn(store::Connection& c, std::int64_t patientId) const;

 private:
  ConsentDocument publishIn(store::Connection& c, const security::Actor& actor,
                            const NewConsentDocument& doc);
  Signature signIn(store::Connection& c, const security::Actor& actor, std::int64_t patientId,
                   const SignRequest& request);

  store::Database& db_;
  security::AuditLog& audit_;
  const crypto::FieldCipher& cipher_;
  registry::PatientRepository& patients_;
  Clock& clock_;
};

/// The name as compared for signing: trimmed, each run of blanks one space, ASCII lower case.
std::string normalizeSignatureName(std::string_view name);

}  // namespace vigil::patients
