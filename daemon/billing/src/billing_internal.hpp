#pragma once
// Private to the billing library: the SQL on billing_time and the helpers the ledger, the review
// and the claims share.

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "vigil/billing/billing.hpp"
#include "vigil/core/time_zone.hpp"
#include "vigil/store/sqlite.hpp"

namespace vigil::billing::detail {

/// The patient's zone (the registry's; UTC when the name no longer loads). NotFound for no
/// such patient.
std::shared_ptr<const core::TimeZone> zoneOfIn(store::Connection& c, std::int64_t patientId);
/// [first instant, end) of a calendar month in the zone.
std::pair<TimePoint, TimePoint> monthBounds(const core::TimeZone& zone,
                                            std::chrono::year_month month);
std::optional<TimeEntry> entryIn(store::Connection& c, std::int64_t entryId);
/// The patient's entries that start in [from, to), deleted ones included, oldest first.
std::vector<TimeEntry> entriesIn(store::Connection& c, std::int64_t patientId, TimePoint from,
                                 TimePoint to);
/// Another live entry of the clinician overlapping [from, to) (a running one counts to `now`).
std::optional<std::int64_t> overlappingIn(store::Connection& c, std::int64_t clinicianId,
                                          TimePoint from, TimePoint to, TimePoint now,
                                          std::optional<std::int64_t> except);
/// The charge of a code in the fee schedule (0 when not listed).
std::int64_t chargeOfIn(store::Connection& c, const std::string& code);
/// "a,b,c"
std::string join(const std::vector<std::string>& parts, const char* sep = ",");
std::vector<std::string> split(const std::string& text);

// --- claims (claims.cpp), shared with the clearinghouse's submission and handlers ---
extern const char* const kClaimColumns;
Claim readClaim(store::Statement& s);
void addLinesIn(store::Connection& c, Claim& k);
std::optional<Claim> claimIn(store::Connection& c, std::int64_t id);
/// Where a status change comes from, and whether it moves the claim (false: history only).
struct StatusSource {
  std::string source;  // submission, 999, 277CA, 835, admin
  std::optional<std::string> messageId;
  bool applied = true;
};
/// Writes the claim's new status (when applied) and its history row; the caller authorises,
/// checks the transition and audits.
void writeStatusIn(store::Connection& c, std::int64_t claimId, ClaimStatus status,
                   const std::string& detail, const StatusSource& source, TimePoint now,
                   std::int64_t by);

}  // namespace vigil::billing::detail
