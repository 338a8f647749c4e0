#include "vigil/licensing/licenses.hpp"

#include <Poco/JSON/Object.h>

#include <algorithm>
#include <sstream>

#include "vigil/core/log.hpp"
#include "vigil/core/time.hpp"
#include "vigil/core/time_zone.hpp"
#include "vigil/registry/registry.hpp"
#include "vigil/security/access_guard.hpp"
#include "vigil/security/account_lookup.hpp"
#include "vigil/security/audit_log.hpp"
#include "vigil/store/database.hpp"
#include "vigil/store/sqlite.hpp"
#include "vigil/sync/link.hpp"
#include "vigil_licensing_rows.hpp"

namespace vigil::licensing {

using core::fromMillis;
using core::toMillis;
using security::Actor;
using security::Role;
using store::Connection;

namespace {

template <std::size_t N>
bool oneOf(const std::string_view (&set)[N], std::string_view value) {
  return std::find(std::begin(set), std::end(set), value) != std::end(set);
}

/// Checks an admin's input; throws ValidationError naming the field (never its value).
void validate(const LicenseInput& in) {
  if (!isStateCode(in.state)) throw ValidationError("state: not a US state code");
  if (!oneOf(kLicenseTypes, in.type))
    throw ValidationError("type: one of MD, DO, NP, RN, LPN, PA, APRN, IMLC, NLC");
  if (in.number.empty() || in.number.size() > 32 ||
      std::any_of(in.number.begin(), in.number.end(), [](char ch) {
        return !(std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '.' ||
                 ch == '/' || ch == ' ');
      }))
    throw ValidationError("number: 1 to 32 letters, digits, '-', '.', '/' or spaces");
  if (!oneOf(kLicenseStatuses, in.status))
    throw ValidationError("status: one of active, expired, suspended, revoked");
  if (!in.expiresOn.ok()) throw ValidationError("expires_on: not a date");
  if (in.issuedOn && std::chrono::sys_days(*in.issuedOn) > std::chrono::sys_days(in.expiresOn))
    throw ValidationError("issued_on: after expires_on");
}

/// The provider (or nurse) user, or ValidationError.
void requireProviderIn(Connection& c, std::int64_t providerUserId) {
  auto account = security::activeAccountIn(c, providerUserId);
  if (!account || (account->role != Role::provider && account->role != Role::nurse))
    throw ValidationError("provider: not an active provider or nurse");
}

security::AuditEvent systemEvent(std::string_view action, std::int64_t licenseId,
                                 std::string_view reason) {
  security::AuditEvent e;
  e.actorRole = "system";
  e.action = std::string(action);
  e.objectType = "license";
  e.objectId = std::to_string(licenseId);
  e.reason = std::string(reason);
  return e;
}

std::string lookupPayload(std::string_view npi, std::string_view state) {
  Poco::JSON::Object o;
  o.set("npi", std::string(npi));
  o.set("state", std::string(state));
  std::ostringstream out;
  o.stringify(out);
  return out.str();
}

/// Queues the lookup of one license and marks it looked up; the caller's write job.
void queueLookupIn(Connection& c, sync::Link& link, std::int64_t providerUserId,
                   const std::string& npi, const License& l, TimePoint now) {
  link.enqueueIn(c, lookupStream(providerUserId), "license.lookup", "licensing",
                 lookupPayload(npi, l.state));
  c.execute("UPDATE provider_licenses SET lookup_requested_at = ?2 WHERE id = ?1", l.id,
            toMillis(now));
}

}  // namespace

std::string lookupStream(std::int64_t providerUserId) {
  return "license/" + std::to_string(providerUserId);
}

LicenseService::LicenseService(store::Database& db, security::AuditLog& audit, sync::Link* link,
                               Clock& clock)
    : db_(db), audit_(audit), link_(link), clock_(clock) {}

Eligibility LicenseService::eligibilityIn(Connection& c, std::int64_t providerUserId,
                                          std::string_view patientState, Date dateOfService) {
  return evaluate(detail::licensesOfIn(c, providerUserId), patientState, dateOfService);
}

std::optional<std::string> LicenseService::npiIn(Connection& c, std::int64_t providerUserId) {
  return detail::npiOfIn(c, providerUserId);
}

Eligibility LicenseService::eligibilityForPatientIn(Connection& c, std::int64_t providerUserId,
                                                    std::int64_t patientId,
                                                    const std::optional<std::string>& confirmed,
                                                    Date dateOfService) {
  std::string state = confirmed.value_or(
      registry::PatientRepository::stateIn(c, patientId).value_or(std::string()));
  return eligibilityIn(c, providerUserId, state, dateOfService);
}

namespace {

/// The date of service: the visit's start as a date where the patient is (their registry time
/// zone); nullopt when the zone cannot be read.
std::optional<Date> patientLocalDate(Connection& c, std::int64_t patientId, TimePoint t) {
  auto where = registry::PatientRepository::locationIn(c, patientId);
  if (!where) return std::nullopt;
  try {
    auto zone = core::TimeZone::locate(where->timeZone);
    const auto local = zone->toLocal(std::chrono::floor<std::chrono::seconds>(t));
    return Date{std::chrono::floor<std::chrono::days>(local)};
  } catch (const Error&) {
    return std::nullopt;
  }
}

}  // namespace

Eligibility LicenseService::eligibilityForVisitIn(Connection& c, std::int64_t providerUserId,
                                                  std::int64_t patientId,
                                                  const std::optional<std::string>& confirmed,
                                                  TimePoint startsAt) {
  if (auto day = patientLocalDate(c, patientId, startsAt))
    return eligibilityForPatientIn(c, providerUserId, patientId, confirmed, *day);
  // Without the patient's zone: the license must hold on both dates the visit may fall on in
  // US time zones (never stretched by a day, at worst refused on a last evening).
  auto early = eligibilityForPatientIn(c, providerUserId, patientId, confirmed,
                                       utcDate(startsAt - std::chrono::hours{11}));
  if (!early.eligible) return early;
  return eligibilityForPatientIn(c, providerUserId, patientId, confirmed, utcDate(startsAt));
}

std::vector<std::int64_t> LicenseService::eligibleProvidersIn(
    Connection& c, const std::vector<std::int64_t>& candidates, std::int64_t patientId,
    const std::optional<std::string>& confirmedState, Date dateOfService) {
  std::vector<std::int64_t> out;
  for (auto id : candidates)
    if (eligibilityForPatientIn(c, id, patientId, confirmedState, dateOfService).eligible)
      out.push_back(id);
  return out;
}

void LicenseService::requireReader(const Actor& actor, std::int64_t providerUserId,
                                   std::string_view action) {
  if (actor.role == Role::admin || actor.id == providerUserId) return;
  security::AccessGuard guard(db_, audit_);
  const auto& op = security::operation(action);
  security::AccessDecision decision{false, false, "not_own_licenses"};
  if (!security::roleHas(actor.role, op.permission)) decision.reason = "role_lacks_permission";
  guard.enforce(security::AccessGuard::pending(
      actor, op, std::nullopt, {"provider", std::to_string(providerUserId)}, decision, {}));
}

ProviderLicenses LicenseService::licenses(const Actor& actor, std::int64_t providerUserId) {
  requireReader(actor, providerUserId, "license.read");
  security::AccessGuard guard(db_, audit_);
  return guard.read(actor, security::operation("license.read"), std::nullopt,
                    {"provider", std::to_string(providerUserId)}, [&](Connection& c) {
                      return ProviderLicenses{detail::npiOfIn(c, providerUserId),
                                              detail::licensesOfIn(c, providerUserId)};
                    });
}

std::vector<ExpiringLicense> LicenseService::expiringWithin(const Actor& actor, int days) {
  return expiringWithin(actor, days, utcDate(clock_.now()));
}

std::vector<ExpiringLicense> LicenseService::expiringWithin(const Actor& actor, int days,
                                                            Date today) {
  if (days < 0 || days > 366) throw ValidationError("days: 0 to 366");
  security::AccessGuard guard(db_, audit_);
  return guard.read(actor, security::operation("license.expiring"), std::nullopt, {"license", ""},
                    [&](Connection& c) { return expiringWithinIn(c, today, days); });
}

std::vector<ExpiringLicense> LicenseService::expiringWithinIn(Connection& c, Date today, int days) {
  using std::chrono::sys_days;
  const auto last = Date{sys_days(today) + std::chrono::days{days}};
  std::vector<ExpiringLicense> out;
  auto rows = detail::licensesWhereIn(
      c, "expires_on >= ?1 AND expires_on <= ?2 AND status = 'active'",
      [&](store::Statement& s) { s.bind(1, formatDate(today)).bind(2, formatDate(last)); });
  for (auto& l : rows) {
    ExpiringLicense e;
    e.daysLeft = static_cast<int>((sys_days(l.expiresOn) - sys_days(today)).count());
    e.license = std::move(l);
    out.push_back(std::move(e));
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const auto& a, const auto& b) { return a.daysLeft < b.daysLeft; });
  return out;
}

void LicenseService::setNpi(const Actor& actor, std::int64_t providerUserId,
                            std::string_view npiText) {
  if (!validNpi(npiText)) throw ValidationError("npi: 10 digits with a valid check digit");
  security::AccessGuard guard(db_, audit_);
  guard.write(actor, security::operation("license.manage"), std::nullopt,
              {"provider_npi", std::to_string(providerUserId)}, [&](Connection& c) {
                requireProviderIn(c, providerUserId);
                auto holder = c.prepare("SELECT user_id FROM provider_profiles WHERE npi = ?1");
                holder.bind(1, npiText);
                if (holder.step() && holder.getInt64(0) != providerUserId)
                  throw ValidationError("npi: already another provider's");
                c.execute(
                    "INSERT INTO provider_profiles (user_id, npi, updated_by, updated_at) "
                    "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (user_id) DO UPDATE SET "
                    "npi = excluded.npi, updated_by = excluded.updated_by, "
                    "updated_at = excluded.updated_at",
                    providerUserId, npiText, actor.id, toMillis(clock_.now()));
              });
}

std::int64_t LicenseService::add(const Actor& actor, std::int64_t providerUserId,
                                 const LicenseInput& in) {
  validate(in);
  security::AccessGuard guard(db_, audit_);
  return guard.write(actor, security::operation("license.manage"), std::nullopt,
                     {"provider", std::to_string(providerUserId)}, [&](Connection& c) {
                       requireProviderIn(c, providerUserId);
                       if (detail::findIn(c, providerUserId, in.state, in.type))
                         throw ValidationError("license: the provider has this type in this state");
                       return detail::insertIn(c, providerUserId, in, actor.id, clock_.now());
                     });
}

License LicenseService::edit(const Actor& actor, std::int64_t providerUserId,
                             std::int64_t licenseId, const LicenseInput& in) {
  validate(in);
  security::AccessGuard guard(db_, audit_);
  return guard.write(actor, security::operation("license.manage"), std::nullopt,
                     {"license", std::to_string(licenseId)}, [&](Connection& c) {
                       auto old = detail::getIn(c, licenseId);
                       if (!old || old->providerUserId != providerUserId) throw NotFound("license");
                       auto clash = detail::findIn(c, providerUserId, in.state, in.type);
                       if (clash && clash->id != licenseId)
                         throw ValidationError("license: the provider has this type in this state");
                       detail::updateIn(c, *old, in, actor.id, clock_.now());
                       return *detail::getIn(c, licenseId);
                     });
}

void LicenseService::remove(const Actor& actor, std::int64_t providerUserId,
                            std::int64_t licenseId) {
  security::AccessGuard guard(db_, audit_);
  guard.write(actor, security::operation("license.manage"), std::nullopt,
              {"license", std::to_string(licenseId)}, [&](Connection& c) {
                if (c.execute("DELETE FROM provider_licenses WHERE id = ?1 AND user_id = ?2",
                              licenseId, providerUserId) == 0)
                  throw NotFound("license");
              });
}

int LicenseService::verify(const Actor& actor, std::int64_t providerUserId,
                           std::optional<std::int64_t> licenseId) {
  if (link_ == nullptr || !link_->enrolled())
    throw ValidationError("verify: the cloud link is not set up (sync.url, enrolment)");
  security::AccessGuard guard(db_, audit_);
  int queued = guard.write(
      actor, security::operation("license.verify"), std::nullopt,
      {licenseId ? "license" : "provider", std::to_string(licenseId ? *licenseId : providerUserId)},
      [&](Connection& c) {
        auto npi = detail::npiOfIn(c, providerUserId);
        if (!npi) throw ValidationError("verify: the provider has no NPI");
        int n = 0;
        for (const auto& l : detail::licensesOfIn(c, providerUserId)) {
          if (licenseId && l.id != *licenseId) continue;
          queueLookupIn(c, *link_, providerUserId, *npi, l, clock_.now());
          ++n;
        }
        if (licenseId && n == 0) throw NotFound("license");
        return n;
      });
  if (queued > 0) link_->wake();
  log::info("license.lookups_queued", {{"provider", providerUserId}, {"count", queued}});
  return queued;
}

int LicenseService::refreshAll(std::chrono::hours olderThan) {
  if (link_ == nullptr || !link_->enrolled()) return 0;
  const auto now = clock_.now();
  int queued = db_.writeSync([&](Connection& c) {
    int n = 0;
    auto due = detail::licensesWhereIn(
        c,
        "user_id IN (SELECT user_id FROM provider_profiles) AND (lookup_requested_at IS NULL "
        "OR lookup_requested_at < ?1)",
        [&](store::Statement& s) { s.bind(1, toMillis(now - olderThan)); });
    for (const auto& l : due) {
      auto npi = detail::npiOfIn(c, l.providerUserId);
      if (!npi) continue;
      queueLookupIn(c, *link_, l.providerUserId, *npi, l, now);
      audit_.append(c, systemEvent("license.verify", l.id, "daily_refresh"));
      ++n;
    }
    return n;
  });
  if (queued > 0) {
    link_->wake();
    log::info("license.refresh_queued", {{"count", queued}});
  }
  return queued;
}

std::function<void(Connection&, const sync::Header&, std::string_view)> verificationHandler(
    security::AuditLog& audit, Clock& clock) {
  return [&audit, &clock](Connection& c, const sync::Header& header, std::string_view payload) {
    auto changed = detail::applyVerificationIn(c, payload, clock.now());
    for (const auto& [id, outcome] : changed)
      audit.append(c, systemEvent("license.verification", id, outcome));
    log::info("license.verification_applied",
              {{"message", header.id}, {"licenses", changed.size()}});
  };
}

}  // namespace vigil::licensing
