#pragma once
// State licensing (issue 22): which provider may see a patient where the patient is.
//
// A provider (or nurse) user has at most one NPI (provider_profiles) and any number of licenses
// (provider_licenses), one per state and type. A license covers its own state; an NLC row (the
// nurse's multistate license, held in their NLC home state) also covers every other NLC member
// state (nlcMemberStates(): the hand-kept list, source and date in docs/scheduling.md); an IMLC
// row is a full license of its state issued through the physicians' compact, checked like any
// other license of that state.
//
// THE CHECK the product calls (booking, the on-demand queue, a video visit's join and check-in)
// is LicenseService::eligibilityIn: a pure read on the caller's connection, so a caller decides
// and acts in one transaction. It uses the license's status and dates (a license is valid from
// its issue date through its expiry date, both inclusive); verification is what the registry
// said and is shown to admins, it does not gate by itself (a clinic enters licenses before the
// registry answers), but a registry answer that a license is expired or suspended changes its
// status, and so the check.
//
// Verification: an admin's "verify", and the daily refresh of every license, queue a
// license.lookup {npi, state} to the cloud licensing service through sync::Link IN THE SAME write
// job that marks the license as looked up. The reply, license.verification, is applied by
// verificationHandler() in the inbox's write job: the number matches → verified, and the
// registry's status and expiry are taken; it differs → mismatch (the registry's number kept
// beside ours for the admin; only a registry status worse than active is taken); not_found →
// not_found. Every change (admin or registry) is one audit entry in the change's transaction.
// NPIs and license numbers are public registry data, not PHI: stored in clear, never logged.

#include <chrono>
#include <cstdint>
#include <functional>
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
namespace vigil::security {
class AuditLog;
}
namespace vigil::sync {
class Link;
struct Header;
}  // namespace vigil::sync

namespace vigil::licensing {

using Date = std::chrono::year_month_day;

/// Why a provider may not see a patient (stable words: the API, the audit log, the portal).
inline constexpr std::string_view kNoLicenseForState = "no_license_for_state";
inline constexpr std::string_view kLicenseExpired = "license_expired";
inline constexpr std::string_view kLicenseNotYetValid = "license_not_yet_valid";
inline constexpr std::string_view kLicenseSuspended = "license_suspended";
inline constexpr std::string_view kLicenseRevoked = "license_revoked";
inline constexpr std::string_view kPatientStateUnknown = "patient_state_unknown";

/// License types: credentials, and the two compacts (see the file comment).
inline constexpr std::string_view kLicenseTypes[] = {"MD", "DO",   "NP",   "RN", "LPN",
                                                     "PA", "APRN", "IMLC", "NLC"};
inline constexpr std::string_view kLicenseStatuses[] = {"active", "expired", "suspended",
                                                        "revoked"};
inline constexpr std::string_view kVerifications[] = {"unverified", "verified", "mismatch",
                                                      "not_found"};

/// One license as stored.
struct License {
  std::int64_t id = 0;
  std::int64_t providerUserId = 0;
  std::string state;   // two capital letters
  std::string type;    // kLicenseTypes
  std::string number;  // as the state board writes it
  std::optional<Date> issuedOn;
  Date expiresOn;
  std::string status = "active";            // kLicenseStatuses
  std::string verification = "unverified";  // kVerifications
  std::optional<TimePoint> verifiedAt;
  std::string verifiedBy;      // "registry", "admin" or "" (never verified)
  std::string registryNumber;  // the registry's number on a mismatch
  std::optional<TimePoint> lookupRequestedAt;
  std::int64_t updatedBy = 0;
  TimePoint updatedAt;
};

/// What an admin writes (add or edit).
struct LicenseInput {
  std::string state;
  std::string type;
  std::string number;
  std::optional<Date> issuedOn;
  Date expiresOn;
  std::string status = "active";
  /// An admin who checked the license at the board by hand marks it verified (audited as such);
  /// otherwise an edit of the number, state or expiry makes it unverified again.
  bool verifiedByHand = false;
};

/// A provider's NPI and licenses.
struct ProviderLicenses {
  std::optional<std::string> npi;
  std::vector<License> licenses;
};

/// A license expiring soon, for the admins' list.
struct ExpiringLicense {
  License license;
  int daysLeft = 0;  // from the day asked (0: expires that day)
};

/// The outcome of the check.
struct Eligibility {
  bool eligible = false;
  std::string reason;                     // empty when eligible; else one of the k... words above
  std::string state;                      // the patient's state the check used
  std::optional<std::int64_t> licenseId;  // the license that covers it (eligible only)
};

/// A date as YYYY-MM-DD; nullopt for anything else (or an impossible date).
std::optional<Date> parseDate(std::string_view text);
std::string formatDate(Date date);
/// The UTC calendar date of a time.
Date utcDate(TimePoint t);
/// True for a two-letter US state, DC or territory code the product knows.
bool isStateCode(std::string_view state);
/// True when the state is a member of the Nurse Licensure Compact (hand-kept list).
bool nlcMember(std::string_view state);
/// The hand-kept NLC member list (docs/scheduling.md names its source and date).
std::vector<std::string_view> nlcMemberStates();
/// True for 10 digits whose last is the Luhn check digit over "80840" + the first nine (the
/// NPI rule of 45 CFR 162.406 and CMS's NPI check digit specification).
bool validNpi(std::string_view npi);

/// The eligibility rule on licenses already read (what eligibilityIn runs): the licenses that
/// cover `patientState` (same state, or an NLC row in a member state when the patient's state is
/// a member too); eligible when one is active and valid on the date; else the reason of the
/// most serious problem among them (revoked, suspended, expired, not yet valid), or
/// kNoLicenseForState when none covers the state.
Eligibility evaluate(const std::vector<License>& licenses, std::string_view patientState,
                     Date dateOfService);

/// Licenses, NPIs, the check, and the registry lookups.
class LicenseService {
 public:
  /// `link` may be null (no cloud link): verify() then refuses with ValidationError.
  LicenseService(store::Database& db, security::AuditLog& audit, sync::Link* link, Clock& clock);

  // --- The check (no actor: the caller has authorised its own action) ---
  /// Whether the provider may see a patient who is in `patientState` on `dateOfService`.
  static Eligibility eligibilityIn(store::Connection& c, std::int64_t providerUserId,
                                   std::string_view patientState, Date dateOfService);
  /// The same for a patient: `confirmedState` (where the patient said they are at check-in)
  /// when given, else the registry's state of residence.
  static Eligibility eligibilityForPatientIn(store::Connection& c, std::int64_t providerUserId,
                                             std::int64_t patientId,
                                             const std::optional<std::string>& confirmedState,
                                             Date dateOfService);
  /// The check for a visit starting at `startsAt` (what the video join check and booking call).
  /// The date of service is the patient's calendar date at the start; until the box knows the
  /// patient's time zone offset here, both candidate dates (the UTC date, and the UTC date 11
  /// hours earlier: every US zone lies between UTC-4 and UTC-11) must be covered, so a license
  /// that ends or begins around the visit is never stretched by a day. The first refusal wins.
  static Eligibility eligibilityForVisitIn(store::Connection& c, std::int64_t providerUserId,
                                           std::int64_t patientId,
                                           const std::optional<std::string>& confirmedState,
                                           TimePoint startsAt);
  /// The providers (of `candidates`) eligible for the patient: what booking offers.
  static std::vector<std::int64_t> eligibleProvidersIn(
      store::Connection& c, const std::vector<std::int64_t>& candidates, std::int64_t patientId,
      const std::optional<std::string>& confirmedState, Date dateOfService);

  /// The provider's NPI, nullopt when none is set (no actor, no audit: public registry data read
  /// by billing for a claim it authorises and audits itself, and by e-prescribing's check).
  static std::optional<std::string> npiIn(store::Connection& c, std::int64_t providerUserId);

  // --- Reads (license.read: admins any provider; providers and nurses their own) ---
  /// The provider's NPI (if set) and licenses, by state then type; one audited read.
  ProviderLicenses licenses(const security::Actor& actor, std::int64_t providerUserId);
  /// Licenses expiring from `today` through `today + days` (license.expiring: admins), soonest
  /// first; licenses already expired, suspended or revoked are not listed.
  std::vector<ExpiringLicense> expiringWithin(const security::Actor& actor, int days);
  std::vector<ExpiringLicense> expiringWithin(const security::Actor& actor, int days, Date today);
  static std::vector<ExpiringLicense> expiringWithinIn(store::Connection& c, Date today, int days);

  // --- Changes (license.manage: admins; audited in the change's transaction) ---
  /// Sets (or replaces) the provider's NPI. Throws ValidationError (check digit, not a provider
  /// or nurse, NPI held by another provider), AccessDenied.
  void setNpi(const security::Actor& actor, std::int64_t providerUserId, std::string_view npi);
  /// Adds a license; returns its id. Throws ValidationError (fields, duplicate state+type),
  /// AccessDenied.
  std::int64_t add(const security::Actor& actor, std::int64_t providerUserId,
                   const LicenseInput& input);
  /// Edits a license of the provider. Throws NotFound, ValidationError, AccessDenied.
  License edit(const security::Actor& actor, std::int64_t providerUserId, std::int64_t licenseId,
               const LicenseInput& input);
  /// Removes a license of the provider. Throws NotFound, AccessDenied.
  void remove(const security::Actor& actor, std::int64_t providerUserId, std::int64_t licenseId);

  // --- The registry (license.verify: admins) ---
  /// Queues a license.lookup for each of the provider's licenses (or only `licenseId`) in one
  /// write job; returns how many. Throws ValidationError (no NPI, no cloud link or not
  /// enrolled), NotFound, AccessDenied.
  int verify(const security::Actor& actor, std::int64_t providerUserId,
             std::optional<std::int64_t> licenseId = std::nullopt);
  /// The daily refresh: queues a lookup for every license of a provider with an NPI whose last
  /// lookup is older than `olderThan` (audited as the system). Returns how many; 0 without an
  /// enrolled link.
  int refreshAll(std::chrono::hours olderThan = std::chrono::hours{20});

 private:
  void requireReader(const security::Actor& actor, std::int64_t providerUserId,
                     std::string_view action);

  store::Database& db_;
  security::AuditLog& audit_;
  sync::Link* link_;
  Clock& clock_;
};

/// The inbound handler of license.verification (register with sync::Link::onInbound before the
/// link starts): applies the registry's answer to the licenses it names, audited as the system.
std::function<void(store::Connection&, const sync::Header&, std::string_view)> verificationHandler(
    security::AuditLog& audit, Clock& clock);

/// The sync stream of a provider's lookups (one stream per provider: its lookups in order).
std::string lookupStream(std::int64_t providerUserId);

}  // namespace vigil::licensing
