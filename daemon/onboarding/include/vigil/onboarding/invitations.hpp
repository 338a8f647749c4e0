#pragma once
// Patient invitations (issue 21, onboarding): staff invite a registered patient to the portal.
//
// invite() makes a random 256-bit token, keeps only its SHA-256, and, when the cloud link is
// enrolled, writes the e-mail (a notify.send to the notification service, sealed for it) to the
// outbox IN THE SAME write job as the invitation: a crash can neither send a link that does not
// exist nor lose the e-mail of one that does. Without an enrolled link the invitation is
// "manual": the staff member hands the link over. The link is shown to the staff member who made
// it, once (the box cannot show it again: it does not keep the token).
//
// The patient opens the link (the portal's #/welcome/<token>; the token travels in request
// bodies, never in a URL the server logs), confirms their birth date and sets a password under
// the staff password policy; accept() then, in one write job, uses the invitation up (single
// use: a second accept finds it used), creates the patient's account linked to their record and
// audits patient.invitation_accept. Five wrong birth dates revoke the link. An invitation
// expires after InvitationOptions::ttl; a newer invitation revokes the open one (one open
// invitation per patient, a database constraint).
//
// Staff operations authorise and audit through security::AccessGuard in the same transaction
// (patient.invite, patient.invitation_list, patient.invitation_revoke). Nothing here logs an
// e-mail address, a name or a token.

#include <chrono>
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
class AccountService;
}  // namespace vigil::security
namespace vigil::registry {
class PatientRepository;
}
namespace vigil::sync {
class Link;
}

namespace vigil::onboarding {

struct InvitationOptions {
  std::chrono::hours ttl{72};  // patients.invitation_ttl_hours
  int maxFailedChecks = 5;     // wrong birth dates before the link is revoked
};

enum class InvitationState { open, used, revoked, expired };
std::string_view toString(InvitationState state);

/// An invitation as staff see it (the e-mail decrypted; the token is never kept).
struct Invitation {
  std::int64_t id = 0;
  std::int64_t patientId = 0;
  std::string email;     // PHI
  std::string delivery;  // "email" (through the cloud link) or "manual"
  std::string outboxEntry;
  std::int64_t createdBy = 0;
  TimePoint createdAt;
  TimePoint expiresAt;
  InvitationState state = InvitationState::open;
  std::optional<TimePoint> usedAt;
  std::optional<TimePoint> revokedAt;
};

/// What invite() returns: the invitation and, this once, the link's token.
struct NewInvitation {
  Invitation invitation;
  std::string token;  // base64url of 32 random bytes
  std::string link;   // <portal>/#/welcome/<token>
};

/// What the patient's browser learns from a token before accepting (nothing about the patient).
struct InvitationCheck {
  InvitationState state = InvitationState::open;
  TimePoint expiresAt;
  bool needsBirthDate = false;  // the record has a birth date to confirm
};

/// An invitation that cannot be used: the stable word for the API ("unknown", "used",
/// "revoked", "expired", "birth_date_mismatch", "already_registered").
class InvitationRefused : public Error {
 public:
  InvitationRefused(std::string code, const std::string& message)
      : Error(message), code_(std::move(code)) {}
  const std::string& code() const { return code_; }

 private:
  std::string code_;
};

class InvitationService {
 public:
  /// `link` may be null (no cloud link configured): invitations are then "manual".
  InvitationService(store::Database& db, security::AuditLog& audit,
                    security::AccountService& accounts, const crypto::FieldCipher& cipher,
                    registry::PatientRepository& patients, sync::Link* link, Clock& clock,
                    InvitationOptions options = {});

  /// Invites the patient at `email`; `portalUrl` is the portal's origin the link points at
  /// ("https://clinic.example:8443"). Revokes the patient's open invitation. Throws AccessDenied,
  /// ValidationError (e-mail, URL), NotFound (patient), InvitationRefused("already_registered").
  /// `breakGlassReason`: a clinician outside the care team in an emergency (audited as such).
  NewInvitation invite(const security::Actor& actor, std::int64_t patientId, std::string_view email,
                       std::string_view portalUrl, std::string_view breakGlassReason = {});
  /// The patient's invitations, newest first.
  std::vector<Invitation> list(const security::Actor& actor, std::int64_t patientId,
                               std::string_view breakGlassReason = {});
  /// Revokes an open invitation of the patient; false when the patient has no such open
  /// invitation (the attempt is audited either way).
  bool revoke(const security::Actor& actor, std::int64_t patientId, std::int64_t invitationId,
              std::string_view breakGlassReason = {});

  /// What a token is (no actor: the token is the credential). Throws InvitationRefused
  /// ("unknown") for a token the box never issued.
  InvitationCheck check(std::string_view token);
  /// Uses the invitation: checks the birth date, creates the patient's account (e-mail of the
  /// invitation, the password given) and returns its user id. Throws InvitationRefused,
  /// ValidationError (password policy).
  std::int64_t accept(std::string_view token, std::string_view birthDate,
                      std::string_view password);

 private:
  std::string reasonFor(const security::Actor& actor, std::int64_t patientId,
                        std::string_view given);

  store::Database& db_;
  security::AuditLog& audit_;
  security::AccountService& accounts_;
  const crypto::FieldCipher& cipher_;
  registry::PatientRepository& patients_;
  sync::Link* link_;
  Clock& clock_;
  InvitationOptions options_;
};

}  // namespace vigil::onboarding
