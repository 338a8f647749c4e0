#pragma once
// Providers' iCalendar feeds (issue 22, docs/scheduling.md#calendar-feed): a secret URL per
// provider that a calendar client (Outlook, Google Calendar, Apple Calendar, Thunderbird)
// subscribes to, serving the provider's appointments from kFeedPast before to kFeedAhead after
// the fetch as text/calendar (ical.hpp).
//
// The token in the URL is the only credential (calendar clients cannot sign in): 256 random
// bits, base64url, shown once when made; the store keeps only its SHA-256 (calendar_feeds). The
// provider (or an admin for them) makes it, makes a new one (rotate: the old URL stops working)
// or revokes it; a revoked or unknown token answers "no feed" (the API's 404), the same for both
// so a guess learns nothing. Events carry the appointment type only; the patient's name appears
// (in SUMMARY) only when the provider opted in (include_names). Every fetch is audited without
// the token (calendar_feed.fetch, the provider as object); a fetch that names patients is also
// audited once per patient named (calendar_feed.names, with the patient id), so the patient's
// accounting of disclosures lists it. Cancelled and rescheduled-away appointments stay in the
// feed as STATUS:CANCELLED (a client that already shows them then removes them); no-shows and
// completed ones as CONFIRMED.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "vigil/core/clock.hpp"
#include "vigil/security/access.hpp"

namespace vigil::store {
class Database;
}
namespace vigil::security {
class AuditLog;
}
namespace vigil::registry {
class PatientRepository;
}

namespace vigil::scheduling {

/// How far back and ahead of the fetch a feed reaches (by start time).
inline constexpr std::chrono::days kFeedPast{30};
inline constexpr std::chrono::days kFeedAhead{180};

/// A provider's feed as the portal shows it (never the token).
struct CalendarFeedState {
  std::int64_t providerUserId = 0;
  bool active = false;        // a token exists (not revoked)
  bool includeNames = false;  // the provider opted in to patient names
  std::optional<TimePoint> issuedAt;
};

/// A calendar feed as served.
struct CalendarFeedDocument {
  std::int64_t providerUserId = 0;
  int events = 0;
  bool namesIncluded = false;
  std::string text;  // text/calendar
};

/// The feeds: their tokens and settings (calendar_feed.read / calendar_feed.manage: providers
/// their own, admins anyone's) and the unauthenticated fetch by token.
class CalendarFeedService {
 public:
  /// `patients` names the patients when a provider opted in (nullptr: names are never shown).
  CalendarFeedService(store::Database& db, security::AuditLog& audit, Clock& clock,
                      registry::PatientRepository* patients);

  CalendarFeedState state(const security::Actor& actor, std::int64_t providerUserId) const;
  /// Makes a new token for the provider (the old one, if any, stops working) and returns it:
  /// the only time it is ever seen. ValidationError when the user is not an active provider.
  std::string rotate(const security::Actor& actor, std::int64_t providerUserId);
  /// Revokes the provider's token (no-op without one). The opt-in setting is kept.
  void revoke(const security::Actor& actor, std::int64_t providerUserId);
  /// Opts in or out of patient names in the provider's feed.
  CalendarFeedState setIncludeNames(const security::Actor& actor, std::int64_t providerUserId,
                                    bool includeNames);

  /// The feed of `token` (the URL's secret), audited; nullopt when no active feed has it
  /// (unknown, malformed, revoked or rotated away: also audited, as a denied fetch).
  std::optional<CalendarFeedDocument> fetch(std::string_view token);

 private:
  store::Database& db_;
  security::AuditLog& audit_;
  Clock& clock_;
  registry::PatientRepository* patients_;
};

}  // namespace vigil::scheduling
