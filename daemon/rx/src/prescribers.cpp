#include "vigil/rx/prescribers.hpp"

#include <algorithm>
#include <cctype>

#include "vigil/core/time.hpp"
#include "vigil/licensing/licenses.hpp"
#include "vigil/security/access_guard.hpp"
#include "vigil/security/account_lookup.hpp"
#include "vigil/security/audit_log.hpp"
#include "vigil/store/database.hpp"
#include "vigil/store/sqlite.hpp"

namespace vigil::rx {

using security::Actor;
using security::Role;
using store::Connection;

bool validDeaNumber(std::string_view n) {
  if (n.size() != 9) return false;
  if (!std::isupper(static_cast<unsigned char>(n[0]))) return false;
  if (!std::isupper(static_cast<unsigned char>(n[1])) && n[1] != '9') return false;
  int d[7];
  for (int i = 0; i < 7; ++i) {
    const char ch = n[static_cast<std::size_t>(i) + 2];
    if (!std::isdigit(static_cast<unsigned char>(ch))) return false;
    d[i] = ch - '0';
  }
  const int sum = d[0] + d[2] + d[4] + 2 * (d[1] + d[3] + d[5]);
  return sum % 10 == d[6];
}

void PrescriberService::requireOwnOrAdmin(const Actor& actor, std::int64_t providerUserId,
                                          std::string_view action) {
  if (actor.role == Role::admin || actor.id == providerUserId) return;
  security::AccessGuard guard(db_, audit_);
  const auto& op = security::operation(action);
  security::AccessDecision decision{false, false, "not_own_registration"};
  if (!security::roleHas(actor.role, op.permission)) decision.reason = "role_lacks_permission";
  guard.enforce(security::AccessGuard::pending(
      actor, op, std::nullopt, {"provider", std::to_string(providerUserId)}, decision, {}));
}

std::int64_t PrescriberService::setDea(const Actor& actor, std::int64_t providerUserId,
                                       std::string_view state, std::string_view number,
                                       Date expiresOn) {
  if (!licensing::isStateCode(state)) throw ValidationError("state: not a US state code");
  if (!validDeaNumber(number))
    throw ValidationError("dea_number: two letters and seven digits with a valid check digit");
  if (!expiresOn.ok()) throw ValidationError("expires_on: not a date");
  security::AccessGuard guard(db_, audit_);
  return guard.write(
      actor, security::operation("dea.manage"), std::nullopt,
      {"provider_dea", std::to_string(providerUserId) + "/" + std::string(state)},
      [&](Connection& c) {
        auto account = security::activeAccountIn(c, providerUserId);
        if (!account || account->role != Role::provider)
          throw ValidationError("provider: not an active provider");
        c.execute(
            "INSERT INTO rx_dea_registrations (user_id, state, dea_number, expires_on, "
            "updated_by, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (user_id, state) "
            "DO UPDATE SET dea_number = excluded.dea_number, expires_on = excluded.expires_on, "
            "updated_by = excluded.updated_by, updated_at = excluded.updated_at",
            providerUserId, state, number, licensing::formatDate(expiresOn), actor.id,
            core::toMillis(clock_.now()));
        return c
            .queryValue<std::int64_t>(
                "SELECT id FROM rx_dea_registrations WHERE user_id = ?1 AND state = ?2",
                providerUserId, state)
            .value_or(0);
      });
}

void PrescriberService::removeDea(const Actor& actor, std::int64_t providerUserId,
                                  std::string_view state) {
  security::AccessGuard guard(db_, audit_);
  guard.write(actor, security::operation("dea.manage"), std::nullopt,
              {"provider_dea", std::to_string(providerUserId) + "/" + std::string(state)},
              [&](Connection& c) {
                if (c.execute("DELETE FROM rx_dea_registrations WHERE user_id = ?1 AND state = ?2",
                              providerUserId, state) == 0)
                  throw NotFound("dea registration");
              });
}

std::vector<DeaRegistration> PrescriberService::deaOfIn(Connection& c,
                                                        std::int64_t providerUserId) {
  auto s = c.prepare(
      "SELECT id, user_id, state, dea_number, expires_on FROM rx_dea_registrations "
      "WHERE user_id = ?1 ORDER BY state");
  s.bind(1, providerUserId);
  std::vector<DeaRegistration> out;
  while (s.step()) {
    DeaRegistration r;
    r.id = s.getInt64(0);
    r.providerUserId = s.getInt64(1);
    r.state = s.getText(2);
    r.number = s.getText(3);
    r.expiresOn = licensing::parseDate(s.getText(4)).value_or(Date{});
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<DeaRegistration> PrescriberService::deaRegistrations(const Actor& actor,
                                                                 std::int64_t providerUserId) {
  requireOwnOrAdmin(actor, providerUserId, "dea.read");
  security::AccessGuard guard(db_, audit_);
  return guard.read(actor, security::operation("dea.read"), std::nullopt,
                    {"provider", std::to_string(providerUserId)},
                    [&](Connection& c) { return deaOfIn(c, providerUserId); });
}

EpcsAccess PrescriberService::epcsAccessIn(Connection& c, std::int64_t providerUserId) {
  auto s = c.prepare(
      "SELECT approver_id, approver_role, approved_at FROM rx_epcs_approvals "
      "WHERE provider_id = ?1 ORDER BY approved_at, approver_id");
  s.bind(1, providerUserId);
  EpcsAccess a;
  bool admin = false;
  while (s.step()) {
    EpcsApproval e{s.getInt64(0), s.getText(1), core::fromMillis(s.getInt64(2))};
    admin = admin || e.approverRole == "admin";
    a.approvals.push_back(std::move(e));
  }
  a.granted = a.approvals.size() >= 2 && admin;
  return a;
}

EpcsAccess PrescriberService::approveEpcs(const Actor& actor, std::int64_t providerUserId) {
  if (actor.id == providerUserId)
    throw ValidationError("epcs: a prescriber does not approve their own access");
  security::AccessGuard guard(db_, audit_);
  return guard.write(actor, security::operation("epcs.approve"), std::nullopt,
                     {"provider_epcs", std::to_string(providerUserId)}, [&](Connection& c) {
                       auto account = security::activeAccountIn(c, providerUserId);
                       if (!account || account->role != Role::provider)
                         throw ValidationError("provider: not an active provider");
                       if (c.execute("INSERT INTO rx_epcs_approvals (provider_id, approver_id, "
                                     "approver_role, approved_at) VALUES (?1, ?2, ?3, ?4) "
                                     "ON CONFLICT DO NOTHING",
                                     providerUserId, actor.id, security::toString(actor.role),
                                     core::toMillis(clock_.now())) == 0)
                         throw ValidationError("epcs: you have approved this prescriber already");
                       return epcsAccessIn(c, providerUserId);
                     });
}

void PrescriberService::revokeEpcs(const Actor& actor, std::int64_t providerUserId) {
  security::AccessGuard guard(db_, audit_);
  guard.write(actor, security::operation("epcs.revoke"), std::nullopt,
              {"provider_epcs", std::to_string(providerUserId)}, [&](Connection& c) {
                c.execute("DELETE FROM rx_epcs_approvals WHERE provider_id = ?1", providerUserId);
              });
}

EpcsAccess PrescriberService::epcsAccess(const Actor& actor, std::int64_t providerUserId) {
  requireOwnOrAdmin(actor, providerUserId, "dea.read");
  security::AccessGuard guard(db_, audit_);
  return guard.read(actor, security::operation("dea.read"), std::nullopt,
                    {"provider_epcs", std::to_string(providerUserId)},
                    [&](Connection& c) { return epcsAccessIn(c, providerUserId); });
}

}  // namespace vigil::rx
