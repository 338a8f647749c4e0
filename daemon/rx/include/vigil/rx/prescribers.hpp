#pragma once
// What a prescriber needs besides an NPI and a license (those are licensing's): a DEA
// registration for each state where they prescribe controlled substances, and EPCS access.
//
// EPCS access (21 CFR 1311.125(b)): logical access control for signing controlled-substance
// prescriptions is granted by two individuals, one of them a person with the authority to grant
// it (here: an admin), neither of them the prescriber. Each approval is its own audited action
// (epcs.approve) by its own user; access holds once two distinct approvers, one an admin, have
// approved, and ends when an admin revokes it (every approval removed, audited).
//
// DEA numbers are public registration data, not PHI: stored in clear, never logged.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/core/clock.hpp"
#include "vigil/rx/rules.hpp"
#include "vigil/security/access.hpp"

namespace vigil::rx {

/// A DEA registration in one state.
struct DeaRegistration {
  std::int64_t id = 0;
  std::int64_t providerUserId = 0;
  std::string state;
  std::string number;  // two letters and seven digits, the last a check digit
  Date expiresOn;
};

/// One approval of a prescriber's EPCS access.
struct EpcsApproval {
  std::int64_t approverId = 0;
  std::string approverRole;
  TimePoint approvedAt;
};

/// Whether the prescriber may sign controlled-substance prescriptions.
struct EpcsAccess {
  bool granted = false;  // two distinct approvers, at least one an admin
  std::vector<EpcsApproval> approvals;
};

/// True for a DEA registration number: two letters, seven digits, and the check digit rule
/// (the sum of digits 1, 3, 5 plus twice the sum of digits 2, 4, 6 ends in digit 7).
bool validDeaNumber(std::string_view number);

/// DEA registrations and EPCS approvals.
class PrescriberService {
 public:
  PrescriberService(store::Database& db, security::AuditLog& audit, Clock& clock)
      : db_(db), audit_(audit), clock_(clock) {}

  /// Adds or replaces the provider's registration in `state` (dea.manage: admins). Throws
  /// ValidationError (number, state, not a provider), AccessDenied.
  std::int64_t setDea(const security::Actor& actor, std::int64_t providerUserId,
                      std::string_view state, std::string_view number, Date expiresOn);
  void removeDea(const security::Actor& actor, std::int64_t providerUserId, std::string_view state);
  /// The provider's registrations (dea.read: admins any, providers their own).
  std::vector<DeaRegistration> deaRegistrations(const security::Actor& actor,
                                                std::int64_t providerUserId);

  /// Records the actor's approval of the provider's EPCS access (epcs.approve: admins and
  /// providers; never the provider themself; once per approver). Returns the access after it.
  EpcsAccess approveEpcs(const security::Actor& actor, std::int64_t providerUserId);
  /// Ends the access (epcs.revoke: admins).
  void revokeEpcs(const security::Actor& actor, std::int64_t providerUserId);
  /// The access (dea.read's rule: admins any, providers their own).
  EpcsAccess epcsAccess(const security::Actor& actor, std::int64_t providerUserId);

  static std::vector<DeaRegistration> deaOfIn(store::Connection& c, std::int64_t providerUserId);
  static EpcsAccess epcsAccessIn(store::Connection& c, std::int64_t providerUserId);

 private:
  void requireOwnOrAdmin(const security::Actor& actor, std::int64_t providerUserId,
                         std::string_view action);

  store::Database& db_;
  security::AuditLog& audit_;
  Clock& clock_;
};

}  // namespace vigil::rx
