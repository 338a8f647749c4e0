#pragma once
// Private to the billing library: the SQL on billing_time and the helpers the ledger, the review
// and the claims share.

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "vigil/billing/billing.hpp"
#include "vigil/billing/billing_report.hpp"
#include "vigil/core/time_zone.hpp"
#include "vigil/store/sqlite.hpp"

namespace vigil::patients {
struct EnrolmentPeriod;
}

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

// --- RPM episodes (episodes.cpp): the review's and the RPM report's ---
inline TimePoint utcMidnight(Day d) {
  return TimePoint(d);
}
/// One episode: an enrolment's consented parts (instants, in the patient's zone at its date
/// edges) and its dates; overlapping enrolments (two conditions) merged into one.
struct Episode {
  std::int64_t enrolmentId = 0;
  Day start;
  std::optional<Day> last;
  std::int64_t enrolledBy = 0;
  std::vector<std::string> conditions;
  std::vector<std::pair<TimePoint, TimePoint>> covered;
};
/// Every consented part of the patient's enrolments (patients::RpmEnrolmentService::
/// enrolmentsIn over all time).
std::vector<patients::EnrolmentPeriod> enrolmentPartsIn(store::Connection& c,
                                                        std::int64_t patientId);
/// The episodes of those parts, oldest first.
std::vector<Episode> episodesOf(const std::vector<patients::EnrolmentPeriod>& parts,
                                const core::TimeZone& zone);
std::vector<Episode> episodesIn(store::Connection& c, std::int64_t patientId,
                                const core::TimeZone& zone);
/// Whether a consented part of the episode holds the instant.
bool coveredAt(const Episode& e, TimePoint t);
/// The distinct days (patient's zone) with an automatically transmitted reading, per period
/// index of the episode, from `first` to `through` (inclusive), within the episode and its
/// consent.
std::map<int, std::set<Day>> deviceDaysIn(store::Connection& c, std::int64_t patientId,
                                          const Episode& e, const core::TimeZone& zone, Day first,
                                          Day through);

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

// --- reports (claim_reports.cpp) ---
/// The adjustments of denied claim postings (posted in [first, second) when given) by CAS group
/// and reason, of the claims whose patient `scope` covers (a posting that names no claim: only
/// the practice's scope), most claims first, then amount, group, reason. The claims report's
/// denial reasons and the practice billing report's.
std::vector<DenialReasonTally> denialReasonsIn(
    store::Connection& c, std::optional<std::pair<TimePoint, TimePoint>> posted,
    const ReportScope& scope);

}  // namespace vigil::billing::detail
