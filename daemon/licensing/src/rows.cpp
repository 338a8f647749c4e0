// The SQL on the licensing tables (provider_profiles, provider_licenses), and how a registry
// answer changes a license.

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include "vigil/core/error.hpp"
#include "vigil/core/time.hpp"
#include "vigil_licensing_rows.hpp"

namespace vigil::licensing::detail {

using core::fromMillis;
using core::toMillis;
using store::Connection;

namespace {

constexpr const char* kColumns =
    "id, user_id, state, type, number, issued_on, expires_on, status, verification, verified_at, "
    "verified_by, registry_number, lookup_requested_at, updated_by, updated_at";

License fromRow(store::Statement& s) {
  License l;
  l.id = s.getInt64(0);
  l.providerUserId = s.getInt64(1);
  l.state = s.getText(2);
  l.type = s.getText(3);
  l.number = s.getText(4);
  if (auto issued = s.get<std::optional<std::string>>(5)) l.issuedOn = parseDate(*issued);
  l.expiresOn = parseDate(s.getText(6)).value_or(Date{});
  l.status = s.getText(7);
  l.verification = s.getText(8);
  l.verifiedAt = fromMillis(s.get<std::optional<std::int64_t>>(9));
  l.verifiedBy = s.get<std::optional<std::string>>(10).value_or("");
  l.registryNumber = s.get<std::optional<std::string>>(11).value_or("");
  l.lookupRequestedAt = fromMillis(s.get<std::optional<std::int64_t>>(12));
  l.updatedBy = s.getInt64(13);
  l.updatedAt = fromMillis(s.getInt64(14));
  return l;
}

std::optional<std::string> issued(const LicenseInput& in) {
  if (!in.issuedOn) return std::nullopt;
  return formatDate(*in.issuedOn);
}

std::string text(const Poco::JSON::Object& o, const char* key) {
  if (!o.has(key) || o.isNull(key)) return {};
  return o.getValue<std::string>(key);
}

}  // namespace

std::vector<License> licensesWhereIn(Connection& c, std::string_view where,
                                     const std::function<void(store::Statement&)>& bind) {
  auto s = c.prepare(std::string("SELECT ") + kColumns + " FROM provider_licenses WHERE " +
                     std::string(where) + " ORDER BY user_id, state, type");
  if (bind) bind(s);
  std::vector<License> out;
  while (s.step()) out.push_back(fromRow(s));
  return out;
}

std::vector<License> licensesOfIn(Connection& c, std::int64_t providerUserId) {
  return licensesWhereIn(c, "user_id = ?1",
                         [&](store::Statement& s) { s.bind(1, providerUserId); });
}

std::optional<License> getIn(Connection& c, std::int64_t licenseId) {
  auto rows = licensesWhereIn(c, "id = ?1", [&](store::Statement& s) { s.bind(1, licenseId); });
  if (rows.empty()) return std::nullopt;
  return rows.front();
}

std::optional<License> findIn(Connection& c, std::int64_t providerUserId, std::string_view state,
                              std::string_view type) {
  auto rows = licensesWhereIn(
      c, "user_id = ?1 AND state = ?2 AND type = ?3",
      [&](store::Statement& s) { s.bind(1, providerUserId).bind(2, state).bind(3, type); });
  if (rows.empty()) return std::nullopt;
  return rows.front();
}

std::optional<std::string> npiOfIn(Connection& c, std::int64_t providerUserId) {
  auto s = c.prepare("SELECT npi FROM provider_profiles WHERE user_id = ?1");
  s.bind(1, providerUserId);
  if (!s.step()) return std::nullopt;
  return s.getText(0);
}

std::int64_t insertIn(Connection& c, std::int64_t providerUserId, const LicenseInput& in,
                      std::int64_t by, TimePoint now) {
  const bool hand = in.verifiedByHand;
  c.execute(
      "INSERT INTO provider_licenses (user_id, state, type, number, issued_on, expires_on, "
      "status, verification, verified_at, verified_by, updated_by, updated_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
      providerUserId, in.state, in.type, in.number, issued(in), formatDate(in.expiresOn), in.status,
      hand ? "verified" : "unverified",
      hand ? std::optional<std::int64_t>(toMillis(now)) : std::nullopt,
      hand ? std::optional<std::string>("admin") : std::nullopt, by, toMillis(now));
  return c.lastInsertRowid();
}

void updateIn(Connection& c, const License& old, const LicenseInput& in, std::int64_t by,
              TimePoint now) {
  // What the registry vouched for no longer holds when the number, state or expiry changes.
  const bool changed = old.number != in.number || old.state != in.state ||
                       formatDate(old.expiresOn) != formatDate(in.expiresOn);
  // 0: keep what was verified; 1: an admin checked it by hand; 2: unverified again.
  const int verification = in.verifiedByHand ? 1 : (changed ? 2 : 0);
  c.execute(
      "UPDATE provider_licenses SET state = ?2, type = ?3, number = ?4, issued_on = ?5, "
      "expires_on = ?6, status = ?7, updated_by = ?8, updated_at = ?9, "
      "verification = CASE CAST(?10 AS BIGINT) WHEN 1 THEN 'verified' WHEN 2 THEN 'unverified' "
      "ELSE verification END, "
      "verified_at = CASE CAST(?10 AS BIGINT) WHEN 1 THEN CAST(?9 AS BIGINT) WHEN 2 THEN NULL "
      "ELSE verified_at END, "
      "verified_by = CASE CAST(?10 AS BIGINT) WHEN 1 THEN 'admin' WHEN 2 THEN NULL "
      "ELSE verified_by END, "
      "registry_number = CASE WHEN CAST(?10 AS BIGINT) IN (1, 2) THEN NULL "
      "ELSE registry_number END "
      "WHERE id = ?1",
      old.id, in.state, in.type, in.number, issued(in), formatDate(in.expiresOn), in.status, by,
      toMillis(now), verification);
}

std::map<std::int64_t, std::string> applyVerificationIn(Connection& c, std::string_view payload,
                                                        TimePoint now) {
  Poco::JSON::Object::Ptr o;
  try {
    o = Poco::JSON::Parser().parse(std::string(payload)).extract<Poco::JSON::Object::Ptr>();
  } catch (const Poco::Exception&) {
    throw ValidationError("license.verification: not a JSON object");
  }
  const auto npi = text(*o, "npi");
  const auto state = text(*o, "state");
  const auto status = text(*o, "status");
  if (npi.empty() || state.empty() || status.empty())
    throw ValidationError("license.verification: npi, state and status are required");
  std::map<std::int64_t, std::string> changed;
  auto holder = c.prepare("SELECT user_id FROM provider_profiles WHERE npi = ?1");
  holder.bind(1, npi);
  if (!holder.step()) return changed;  // an NPI the box no longer has: nothing to change
  const auto providerUserId = holder.getInt64(0);
  const auto number = text(*o, "licenseNumber");
  const auto expires = parseDate(text(*o, "expires"));
  const bool known =
      status == "active" || status == "expired" || status == "suspended" || status == "revoked";
  for (const auto& l : licensesWhereIn(c, "user_id = ?1 AND state = ?2", [&](auto& s) {
         s.bind(1, providerUserId).bind(2, state);
       })) {
    if (status == "not_found" || !known) {
      c.execute(
          "UPDATE provider_licenses SET verification = 'not_found', verified_at = ?2, "
          "verified_by = 'registry', registry_number = NULL WHERE id = ?1",
          l.id, toMillis(now));
      changed[l.id] = "not_found";
    } else if (number == l.number) {
      // The registry vouches for this license: its status and expiry are the board's.
      c.execute(
          "UPDATE provider_licenses SET verification = 'verified', verified_at = ?2, "
          "verified_by = 'registry', registry_number = NULL, status = ?3, "
          "expires_on = COALESCE(?4, expires_on) WHERE id = ?1",
          l.id, toMillis(now), status,
          expires ? std::optional<std::string>(formatDate(*expires)) : std::nullopt);
      changed[l.id] = "verified";
    } else {
      // Another number: the admin resolves it. A registry status worse than active is taken
      // anyway (the provider is not in good standing in that state, whatever the number).
      c.execute(
          "UPDATE provider_licenses SET verification = 'mismatch', verified_at = ?2, "
          "verified_by = 'registry', registry_number = ?3, "
          "status = CASE WHEN ?4 = 'active' THEN status ELSE ?4 END WHERE id = ?1",
          l.id, toMillis(now), number, status);
      changed[l.id] = "mismatch";
    }
  }
  return changed;
}

}  // namespace vigil::licensing::detail
