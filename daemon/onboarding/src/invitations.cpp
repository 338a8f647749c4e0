#include "vigil/onboarding/invitations.hpp"

#include <Poco/JSON/Object.h>

#include <algorithm>
#include <cctype>
#include <sstream>

#include "vigil/core/log.hpp"
#include "vigil/core/time.hpp"
#include "vigil/crypto/bytes.hpp"
#include "vigil/crypto/field_cipher.hpp"
#include "vigil/crypto/hash.hpp"
#include "vigil/crypto/random.hpp"
#include "vigil/registry/registry.hpp"
#include "vigil/security/access_guard.hpp"
#include "vigil/security/accounts.hpp"
#include "vigil/security/audit_log.hpp"
#include "vigil/store/database.hpp"
#include "vigil/store/sqlite.hpp"
#include "vigil/sync/link.hpp"

namespace vigil::onboarding {

using core::formatUtc;
using core::Fraction;
using core::fromMillis;
using core::toMillis;

namespace {

using store::Connection;

constexpr std::size_t kTokenBytes = 32;
constexpr const char* kColumns =
    "id, patient_id, email_enc, delivery, outbox_entry, created_by, created_at, expires_at, "
    "used_at, revoked_at";

crypto::FieldRef emailField(std::int64_t id) {
  return {"patient_invitations", "email", std::to_string(id)};
}

store::Blob toBlob(const crypto::Bytes& b) {
  return store::Blob(b.begin(), b.end());
}

store::Blob tokenHash(std::string_view token) {
  auto d = crypto::sha256(crypto::asBytes(token));
  return store::Blob(d.begin(), d.end());
}

/// A base64url token of kTokenBytes (43 characters), or nothing else.
bool plausibleToken(std::string_view token) {
  if (token.size() != 43) return false;
  return std::all_of(token.begin(), token.end(), [](char ch) {
    return std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_';
  });
}

std::string normalizeEmail(std::string_view email) {
  std::string out;
  for (char ch : email)
    out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(ch))));
  auto first = out.find_first_not_of(" \t");
  auto last = out.find_last_not_of(" \t");
  out = first == std::string::npos ? std::string() : out.substr(first, last - first + 1);
  auto at = out.find('@');
  bool ok = out.size() <= 254 && at != std::string::npos && at > 0 && at + 1 < out.size() &&
            out.find('@', at + 1) == std::string::npos && out.find('.', at) != std::string::npos &&
            std::none_of(out.begin(), out.end(), [](char ch) {
              return static_cast<unsigned char>(ch) <= 0x20 || ch == '<' || ch == '>' ||
                     ch == ',' || ch == ';' || ch == '"' || ch == '\\';
            });
  if (!ok) throw ValidationError("email: not an e-mail address");
  return out;
}

/// "https://host[:port]" with no path, query or credentials; a trailing slash is dropped.
std::string checkPortalUrl(std::string_view url) {
  std::string u(url);
  while (!u.empty() && u.back() == '/') u.pop_back();
  std::string_view rest;
  if (u.rfind("https://", 0) == 0) {
    rest = std::string_view(u).substr(8);
  } else if (u.rfind("http://", 0) == 0) {
    rest = std::string_view(u).substr(7);
  } else {
    throw ValidationError("portal_url: must start with https:// (or http:// on loopback)");
  }
  bool ok =
      !rest.empty() && rest.size() <= 253 && std::all_of(rest.begin(), rest.end(), [](char ch) {
        return std::isalnum(static_cast<unsigned char>(ch)) || ch == '.' || ch == '-' ||
               ch == ':' || ch == '[' || ch == ']';
      });
  if (!ok) throw ValidationError("portal_url: a scheme, a host and an optional port only");
  return u;
}

InvitationState stateOf(const std::optional<std::int64_t>& usedAt,
                        const std::optional<std::int64_t>& revokedAt, std::int64_t expiresAt,
                        TimePoint now) {
  if (usedAt) return InvitationState::used;
  if (revokedAt) return InvitationState::revoked;
  if (toMillis(now) >= expiresAt) return InvitationState::expired;
  return InvitationState::open;
}

Invitation fromRow(store::Statement& s, const crypto::FieldCipher& cipher, TimePoint now) {
  Invitation inv;
  inv.id = s.get<std::int64_t>(0);
  inv.patientId = s.get<std::int64_t>(1);
  inv.email = cipher.decryptText(emailField(inv.id), s.get<store::Blob>(2));
  inv.delivery = s.get<std::string>(3);
  inv.outboxEntry = s.get<std::optional<std::string>>(4).value_or("");
  inv.createdBy = s.get<std::int64_t>(5);
  inv.createdAt = fromMillis(s.get<std::int64_t>(6));
  auto expires = s.get<std::int64_t>(7);
  inv.expiresAt = fromMillis(expires);
  auto used = s.get<std::optional<std::int64_t>>(8);
  auto revoked = s.get<std::optional<std::int64_t>>(9);
  inv.usedAt = fromMillis(used);
  inv.revokedAt = fromMillis(revoked);
  inv.state = stateOf(used, revoked, expires, now);
  return inv;
}

/// The e-mail the notification service sends: the link and when it expires, no name, no
/// clinical word (an e-mail may be read by someone else).
std::string invitationMessage(std::string_view email, std::string_view link, TimePoint expires) {
  Poco::JSON::Object params;
  params.set("link", std::string(link));
  params.set("expiresAt", formatUtc(expires, Fraction::millis));
  Poco::JSON::Object o;
  o.set("channel", "email");
  o.set("to", std::string(email));
  o.set("template", "patient_invitation");
  o.set("params", params);
  std::ostringstream out;
  o.stringify(out);
  return out.str();
}

struct TokenRow {
  std::int64_t id = 0;
  std::int64_t patientId = 0;
  std::string email;
  InvitationState state = InvitationState::open;
  TimePoint expiresAt;
  int failedChecks = 0;
};

std::optional<TokenRow> findByToken(Connection& c, const crypto::FieldCipher& cipher,
                                    std::string_view token, TimePoint now, bool decryptEmail) {
  if (!plausibleToken(token)) return std::nullopt;
  auto s = c.prepare(
      "SELECT id, patient_id, email_enc, expires_at, used_at, revoked_at, failed_checks "
      "FROM patient_invitations WHERE token_sha256 = ?1");
  s.bind(1, tokenHash(token));
  if (!s.step()) return std::nullopt;
  TokenRow row;
  row.id = s.get<std::int64_t>(0);
  row.patientId = s.get<std::int64_t>(1);
  if (decryptEmail) row.email = cipher.decryptText(emailField(row.id), s.get<store::Blob>(2));
  auto expires = s.get<std::int64_t>(3);
  row.expiresAt = fromMillis(expires);
  row.state = stateOf(s.get<std::optional<std::int64_t>>(4), s.get<std::optional<std::int64_t>>(5),
                      expires, now);
  row.failedChecks = s.get<int>(6);
  return row;
}

void refuseUnlessOpen(InvitationState state) {
  switch (state) {
    case InvitationState::open:
      return;
    case InvitationState::used:
      throw InvitationRefused("used", "invitation: this link has been used; sign in instead");
    case InvitationState::revoked:
      throw InvitationRefused("revoked", "invitation: this link was withdrawn; ask the clinic");
    case InvitationState::expired:
      throw InvitationRefused("expired", "invitation: this link has expired; ask the clinic");
  }
}

security::AuditEvent anonymousEvent(std::string_view action, std::int64_t invitationId,
                                    std::int64_t patientId, security::AuditOutcome outcome,
                                    std::string_view reason) {
  security::AuditEvent e;
  e.actorRole = "anonymous";
  e.action = std::string(action);
  e.objectType = "invitation";
  e.objectId = std::to_string(invitationId);
  e.patientId = patientId;
  e.outcome = outcome;
  e.reason = std::string(reason);
  return e;
}

}  // namespace

std::string_view toString(InvitationState state) {
  switch (state) {
    case InvitationState::open:
      return "open";
    case InvitationState::used:
      return "used";
    case InvitationState::revoked:
      return "revoked";
    case InvitationState::expired:
      return "expired";
  }
  return "unknown";
}

InvitationService::InvitationService(store::Database& db, security::AuditLog& audit,
                                     security::AccountService& accounts,
                                     const crypto::FieldCipher& cipher,
                                     registry::PatientRepository& patients, sync::Link* link,
                                     Clock& clock, InvitationOptions options)
    : db_(db),
      audit_(audit),
      accounts_(accounts),
      cipher_(cipher),
      patients_(patients),
      link_(link),
      clock_(clock),
      options_(options) {}

std::string InvitationService::reasonFor(const security::Actor& actor, std::int64_t patientId,
                                         std::string_view given) {
  return db_.read([&](Connection& c) {
    return security::AccessGuard::breakGlassReasonIn(c, actor, patientId, given, clock_.now());
  });
}

NewInvitation InvitationService::invite(const security::Actor& actor, std::int64_t patientId,
                                        std::string_view email, std::string_view portalUrl,
                                        std::string_view breakGlassReason) {
  auto address = normalizeEmail(email);
  auto origin = checkPortalUrl(portalUrl);
  NewInvitation out;
  out.token = crypto::toBase64Url(crypto::randomBytes(kTokenBytes));
  out.link = origin + "/#/welcome/" + out.token;
  security::AccessGuard guard(db_, audit_);
  out.invitation = guard.write(
      actor, security::operation("patient.invite"), patientId,
      {"patient", std::to_string(patientId)},
      [&](Connection& c) {
        if (!patients_.getIn(c, patientId)) throw NotFound("patient");
        if (security::AccountService::patientAccountIn(c, patientId))
          throw InvitationRefused("already_registered",
                                  "invitation: this patient already has a portal account");
        auto now = clock_.now();
        c.execute(
            "UPDATE patient_invitations SET revoked_at = ?2, revoked_by = ?3 "
            "WHERE patient_id = ?1 AND used_at IS NULL AND revoked_at IS NULL",
            patientId, toMillis(now), actor.id);
        Invitation inv;
        inv.patientId = patientId;
        inv.email = address;
        inv.createdBy = actor.id;
        inv.createdAt = now;
        inv.expiresAt = now + options_.ttl;
        bool byEmail = link_ != nullptr && link_->enrolled();
        inv.delivery = byEmail ? "email" : "manual";
        c.execute(
            "INSERT INTO patient_invitations (patient_id, token_sha256, email_enc, delivery, "
            "created_by, created_at, expires_at) VALUES (?1, ?2, ?7, ?3, ?4, ?5, ?6)",
            patientId, tokenHash(out.token), inv.delivery, actor.id, toMillis(now),
            toMillis(inv.expiresAt), store::Blob{});
        inv.id = c.lastInsertRowid();
        c.execute("UPDATE patient_invitations SET email_enc = ?2 WHERE id = ?1", inv.id,
                  toBlob(cipher_.encrypt(emailField(inv.id), address)));
        if (byEmail) {
          inv.outboxEntry =
              link_->enqueueIn(c, "invitation/" + std::to_string(inv.id), "notify.send", "notify",
                               invitationMessage(address, out.link, inv.expiresAt));
          c.execute("UPDATE patient_invitations SET outbox_entry = ?2 WHERE id = ?1", inv.id,
                    inv.outboxEntry);
        }
        return inv;
      },
      reasonFor(actor, patientId, breakGlassReason));
  if (link_ != nullptr && out.invitation.delivery == "email") link_->wake();
  log::info("invitation.created", {{"invitation_id", out.invitation.id},
                                   {"patient_id", patientId},
                                   {"delivery", out.invitation.delivery}});
  return out;
}

std::vector<Invitation> InvitationService::list(const security::Actor& actor,
                                                std::int64_t patientId,
                                                std::string_view breakGlassReason) {
  auto reason = reasonFor(actor, patientId, breakGlassReason);
  security::AccessGuard guard(db_, audit_);
  auto now = clock_.now();
  return guard.read(
      actor, security::operation("patient.invitation_list"), patientId,
      {"patient", std::to_string(patientId)},
      [&](Connection& c) {
        std::vector<Invitation> out;
        auto s = c.prepare(std::string("SELECT ") + kColumns +
                           " FROM patient_invitations WHERE patient_id = ?1 "
                           "ORDER BY created_at DESC, id DESC LIMIT 50");
        s.bind(1, patientId);
        while (s.step()) out.push_back(fromRow(s, cipher_, now));
        return out;
      },
      reason);
}

bool InvitationService::revoke(const security::Actor& actor, std::int64_t patientId,
                               std::int64_t invitationId, std::string_view breakGlassReason) {
  auto reason = reasonFor(actor, patientId, breakGlassReason);
  security::AccessGuard guard(db_, audit_);
  return guard.write(
      actor, security::operation("patient.invitation_revoke"), patientId,
      {"invitation", std::to_string(invitationId)},
      [&](Connection& c) {
        return c.execute(
                   "UPDATE patient_invitations SET revoked_at = ?3, revoked_by = ?4 "
                   "WHERE id = ?1 AND patient_id = ?2 AND used_at IS NULL AND revoked_at IS NULL",
                   invitationId, patientId, toMillis(clock_.now()), actor.id) > 0;
      },
      reason);
}

InvitationCheck InvitationService::check(std::string_view token) {
  auto now = clock_.now();
  return db_.read([&](Connection& c) {
    auto row = findByToken(c, cipher_, token, now, false);
    if (!row) throw InvitationRefused("unknown", "invitation: this link is not valid");
    InvitationCheck out;
    out.state = row->state;
    out.expiresAt = row->expiresAt;
    auto p = patients_.getIn(c, row->patientId);
    out.needsBirthDate = p && !p->birthDate.empty();
    return out;
  });
}

std::int64_t InvitationService::accept(std::string_view token, std::string_view birthDate,
                                       std::string_view password) {
  auto now = clock_.now();
  // Read what the account needs first: hashing the password is slow and stays outside the
  // write job; the write job checks everything again.
  auto row = db_.read([&](Connection& c) { return findByToken(c, cipher_, token, now, true); });
  if (!row) throw InvitationRefused("unknown", "invitation: this link is not valid");
  refuseUnlessOpen(row->state);
  security::NewUser user;
  user.role = security::Role::patient;
  user.email = row->email;
  user.patientId = row->patientId;
  user.password = std::string(password);
  struct Outcome {
    std::int64_t userId = 0;
    std::string refusal;  // set: the birth date was wrong (the count is committed)
    bool revoked = false;
  };
  auto prepared = accounts_.prepareSelfRegistration(user);
  auto outcome = db_.writeSync([&](Connection& c) {
    auto current = findByToken(c, cipher_, token, clock_.now(), false);
    if (!current) throw InvitationRefused("unknown", "invitation: this link is not valid");
    refuseUnlessOpen(current->state);
    auto patient = patients_.getIn(c, current->patientId);
    if (!patient) throw NotFound("patient");
    if (security::AccountService::patientAccountIn(c, current->patientId))
      throw InvitationRefused("already_registered",
                              "invitation: this patient already has a portal account");
    Outcome o;
    if (!patient->birthDate.empty() && patient->birthDate != birthDate) {
      int failed = current->failedChecks + 1;
      o.revoked = failed >= options_.maxFailedChecks;
      c.execute(
          "UPDATE patient_invitations SET failed_checks = ?2, "
          "revoked_at = CASE WHEN ?3 THEN ?4 ELSE revoked_at END WHERE id = ?1",
          current->id, failed, o.revoked ? 1 : 0, toMillis(clock_.now()));
      audit_.append(
          c, anonymousEvent("patient.invitation_accept", current->id, current->patientId,
                            security::AuditOutcome::denied,
                            o.revoked ? "birth_date_mismatch_revoked" : "birth_date_mismatch"));
      o.refusal = "birth_date_mismatch";
      return o;
    }
    o.userId = accounts_.insertPreparedUserIn(c, prepared);
    c.execute(
        "UPDATE patient_invitations SET used_at = ?2, user_id = ?3 "
        "WHERE id = ?1 AND used_at IS NULL AND revoked_at IS NULL",
        current->id, toMillis(clock_.now()), o.userId);
    security::AuditEvent e =
        anonymousEvent("patient.invitation_accept", current->id, current->patientId,
                       security::AuditOutcome::success, "account_created");
    e.actorId = o.userId;
    e.actorRole = "patient";
    audit_.append(c, e);
    return o;
  });
  if (!outcome.refusal.empty()) {
    log::warn("invitation.birth_date_mismatch",
              {{"invitation_id", row->id}, {"revoked", outcome.revoked}});
    throw InvitationRefused(outcome.refusal,
                            outcome.revoked
                                ? "invitation: too many wrong birth dates; the link was withdrawn"
                                : "invitation: the birth date does not match the clinic's record");
  }
  log::info("invitation.accepted", {{"invitation_id", row->id}, {"user_id", outcome.userId}});
  return outcome.userId;
}

}  // namespace vigil::onboarding
