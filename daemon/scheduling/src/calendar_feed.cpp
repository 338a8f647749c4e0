// Providers' iCalendar feeds: tokens (hash only), the opt-in, the audited fetch. See
// calendar_feed.hpp for the design and docs/scheduling.md#calendar-feed.
#include "vigil/scheduling/calendar_feed.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "service_impl.hpp"
#include "vigil/core/time.hpp"
#include "vigil/crypto/bytes.hpp"
#include "vigil/crypto/hash.hpp"
#include "vigil/crypto/random.hpp"
#include "vigil/registry/registry.hpp"
#include "vigil/scheduling/ical.hpp"
#include "vigil/security/access_guard.hpp"
#include "vigil/security/account_lookup.hpp"
#include "vigil/security/audit_log.hpp"
#include "vigil/store/database.hpp"

namespace vigil::scheduling {

using core::fromMillis;
using core::toMillis;
using security::Actor;
using security::operation;
using security::Role;
using store::Connection;

namespace {

constexpr std::size_t kTokenBytes = 32;  // 256 bits
constexpr const char* kProdId = "-//Vigil//Provider calendar feed//EN";

store::Blob tokenHash(std::string_view token) {
  auto d = crypto::sha256(crypto::asBytes(token));
  return store::Blob(d.begin(), d.end());
}

/// A base64url token of kTokenBytes (43 characters), nothing else.
bool plausibleToken(std::string_view token) {
  return token.size() == 43 && std::all_of(token.begin(), token.end(), [](char ch) {
           return std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_';
         });
}

security::AuditObject feedObject(std::int64_t providerUserId) {
  return {"calendar_feed", std::to_string(providerUserId)};
}

/// Providers only their own feed; admins anyone's (other roles lack the permission).
void requireOwnFeed(store::Database& db, security::AuditLog& audit, const Actor& actor,
                    std::string_view op, std::int64_t providerUserId) {
  if (actor.role != Role::provider || actor.id == providerUserId) return;
  security::AccessGuard g{db, audit};
  g.enforce(security::AccessGuard::pending(actor, operation(op), std::nullopt,
                                           feedObject(providerUserId),
                                           {false, false, "not_own_feed"}, {}));
  throw AccessDenied("access denied: " + std::string(op) + " (not_own_feed)");
}

void requireScheduleOwner(Connection& c, std::int64_t providerUserId) {
  const auto a = security::activeAccountIn(c, providerUserId);
  if (!a || (a->role != Role::provider && a->role != Role::nurse))
    throw ValidationError("provider_user_id: not an active provider or nurse");
}

CalendarFeedState stateIn(Connection& c, std::int64_t providerUserId) {
  CalendarFeedState s;
  s.providerUserId = providerUserId;
  auto st = c.prepare(
      "SELECT token_hash IS NOT NULL, issued_at, include_names FROM calendar_feeds "
      "WHERE provider_user_id = ?1");
  st.bind(1, providerUserId);
  if (st.step()) {
    s.active = st.getInt64(0) != 0;
    if (s.active && !st.isNull(1)) s.issuedAt = fromMillis(st.getInt64(1));
    s.includeNames = st.getInt64(2) != 0;
  }
  return s;
}

/// The provider's row, made (with its UID domain) when missing.
void ensureRowIn(Connection& c, std::int64_t providerUserId, std::int64_t by, std::int64_t now) {
  c.execute(
      "INSERT INTO calendar_feeds (provider_user_id, uid_domain, updated_by, updated_at) "
      "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (provider_user_id) DO NOTHING",
      providerUserId, crypto::randomUuid() + ".vigil", by, now);
}

std::string summaryOf(const std::string& typeName, const std::optional<std::string>& patient) {
  if (!patient || patient->empty()) return typeName;
  return typeName + ": " + *patient;
}

}  // namespace

CalendarFeedService::CalendarFeedService(store::Database& db, security::AuditLog& audit,
                                         Clock& clock, registry::PatientRepository* patients)
    : db_(db), audit_(audit), clock_(clock), patients_(patients) {}

CalendarFeedState CalendarFeedService::state(const Actor& actor,
                                             std::int64_t providerUserId) const {
  requireOwnFeed(db_, audit_, actor, "calendar_feed.read", providerUserId);
  security::AccessGuard g{db_, audit_};
  return g.read(actor, operation("calendar_feed.read"), std::nullopt, feedObject(providerUserId),
                [&](Connection& c) { return stateIn(c, providerUserId); });
}

std::string CalendarFeedService::rotate(const Actor& actor, std::int64_t providerUserId) {
  requireOwnFeed(db_, audit_, actor, "calendar_feed.manage", providerUserId);
  const auto token = crypto::toBase64Url(crypto::randomBytes(kTokenBytes));
  const auto now = toMillis(clock_.now());
  security::AccessGuard g{db_, audit_};
  g.write(actor, operation("calendar_feed.manage"), std::nullopt, feedObject(providerUserId),
          [&](Connection& c) {
            requireScheduleOwner(c, providerUserId);
            ensureRowIn(c, providerUserId, actor.id, now);
            c.execute(
                "UPDATE calendar_feeds SET token_hash = ?2, issued_at = ?3, updated_by = ?4, "
                "updated_at = ?3 WHERE provider_user_id = ?1",
                providerUserId, tokenHash(token), now, actor.id);
          });
  return token;
}

void CalendarFeedService::revoke(const Actor& actor, std::int64_t providerUserId) {
  requireOwnFeed(db_, audit_, actor, "calendar_feed.manage", providerUserId);
  const auto now = toMillis(clock_.now());
  security::AccessGuard g{db_, audit_};
  g.write(actor, operation("calendar_feed.manage"), std::nullopt, feedObject(providerUserId),
          [&](Connection& c) {
            c.execute(
                "UPDATE calendar_feeds SET token_hash = NULL, issued_at = NULL, updated_by = ?2, "
                "updated_at = ?3 WHERE provider_user_id = ?1",
                providerUserId, actor.id, now);
          });
}

CalendarFeedState CalendarFeedService::setIncludeNames(const Actor& actor,
                                                       std::int64_t providerUserId,
                                                       bool includeNames) {
  requireOwnFeed(db_, audit_, actor, "calendar_feed.manage", providerUserId);
  const auto now = toMillis(clock_.now());
  security::AccessGuard g{db_, audit_};
  return g.write(actor, operation("calendar_feed.manage"), std::nullopt, feedObject(providerUserId),
                 [&](Connection& c) {
                   requireScheduleOwner(c, providerUserId);
                   ensureRowIn(c, providerUserId, actor.id, now);
                   c.execute(
                       "UPDATE calendar_feeds SET include_names = ?2, updated_by = ?3, "
                       "updated_at = ?4 WHERE provider_user_id = ?1",
                       providerUserId, includeNames ? 1 : 0, actor.id, now);
                   return stateIn(c, providerUserId);
                 });
}

std::optional<CalendarFeedDocument> CalendarFeedService::fetch(std::string_view token) {
  const auto now = clock_.now();
  struct Found {
    std::int64_t provider = 0;
    bool includeNames = false;
    std::string uidDomain;
    std::vector<Appointment> appointments;
    std::map<std::int64_t, std::string> typeNames;
  };
  std::optional<Found> found;
  if (plausibleToken(token)) {
    found = db_.read([&](Connection& c) -> std::optional<Found> {
      auto st = c.prepare(
          "SELECT provider_user_id, include_names, uid_domain FROM calendar_feeds "
          "WHERE token_hash = ?1");
      st.bind(1, tokenHash(token));
      if (!st.step()) return std::nullopt;
      Found f;
      f.provider = st.getInt64(0);
      f.includeNames = st.getInt64(1) != 0;
      f.uidDomain = st.getText(2);
      f.appointments = detail::appointmentsIn(
          c, "provider_user_id", f.provider, toMillis(now - kFeedPast), toMillis(now + kFeedAhead));
      for (const auto& a : f.appointments)
        if (!f.typeNames.count(a.typeId))
          if (auto t = detail::typeIn(c, a.typeId)) f.typeNames[a.typeId] = t->name;
      return f;
    });
  }
  if (!found) {
    // Audited without the token (a guess or an old URL): who asked is unknown.
    security::AuditEvent e;
    e.actorRole = "anonymous";
    e.action = "calendar_feed.fetch";
    e.objectType = "calendar_feed";
    e.outcome = security::AuditOutcome::denied;
    e.reason = "unknown_or_revoked";
    audit_.record(db_, e);
    return std::nullopt;
  }

  std::map<std::int64_t, std::string> names;
  const bool withNames = found->includeNames && patients_ != nullptr;
  if (withNames) {
    std::set<std::int64_t> ids;
    for (const auto& a : found->appointments) ids.insert(a.patientId);
    names = patients_->displayNames({ids.begin(), ids.end()});
  }

  // Audited before anything leaves: the fetch, and each patient whose name the feed shows.
  db_.writeSync([&](Connection& c) {
    security::AuditEvent e;
    e.actorId = found->provider;
    e.actorRole = "calendar_feed";
    e.action = "calendar_feed.fetch";
    e.objectType = "calendar_feed";
    e.objectId = std::to_string(found->provider);
    e.reason = withNames ? "with_names" : "without_names";
    audit_.append(c, e);
    if (!withNames) return;
    for (const auto& [patientId, name] : names) {
      security::AuditEvent n;
      n.actorId = found->provider;
      n.actorRole = "calendar_feed";
      n.action = "calendar_feed.names";
      n.objectType = "calendar_feed";
      n.objectId = std::to_string(found->provider);
      n.patientId = patientId;
      n.reason = "provider_opt_in";
      audit_.append(c, n);
    }
  });

  ical::Calendar cal;
  cal.prodId = kProdId;
  cal.name = "Vigil appointments";
  for (const auto& a : found->appointments) {
    ical::Event e;
    e.uid = "appointment-" + std::to_string(a.id) + "@" + found->uidDomain;
    e.stamp = now;
    e.start = a.startsAt;
    e.end = a.endsAt;
    const auto type = found->typeNames.find(a.typeId);
    std::optional<std::string> name;
    if (withNames)
      if (auto n = names.find(a.patientId); n != names.end()) name = n->second;
    e.summary = summaryOf(type != found->typeNames.end() ? type->second : "Appointment", name);
    e.cancelled =
        a.state == AppointmentState::cancelled || a.state == AppointmentState::rescheduled;
    e.sequence = e.cancelled ? 1 : 0;
    cal.events.push_back(std::move(e));
  }
  CalendarFeedDocument doc;
  doc.providerUserId = found->provider;
  doc.events = static_cast<int>(cal.events.size());
  doc.namesIncluded = withNames;
  doc.text = ical::write(cal);
  return doc;
}

}  // namespace vigil::scheduling
