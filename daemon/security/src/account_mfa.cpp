// AccountService: the second factor (TOTP and recovery codes) checked and used up, and TOTP
// enrolment.

#include <algorithm>
#include <cctype>

#include "account_internals.hpp"
#include "vigil/core/error.hpp"
#include "vigil/core/log.hpp"
#include "vigil/security/accounts.hpp"
#include "vigil/security/audit_log.hpp"
#include "vigil/security/keys.hpp"
#include "vigil/store/database.hpp"

namespace vigil::security {

using store::Connection;
using namespace account_internal;

AccountService::SecondFactor AccountService::checkSecondFactor(const Row& row,
                                                               std::string_view given,
                                                               TimePoint now) {
  SecondFactor f;
  std::string code;
  for (char ch : given)
    if (ch != ' ') code.push_back(ch);
  if (code.empty() || !row.totpSecretEnc) return f;
  bool numeric = std::all_of(code.begin(), code.end(),
                             [](char ch) { return std::isdigit(static_cast<unsigned char>(ch)); });
  if (!numeric) {
    f.kind = SecondFactor::Kind::recovery;
    f.recoveryHash = RecoveryCodes::hash(code);
    return f;
  }
  crypto::Bytes secret = keys_.cipher().decrypt(totpField(row.id), *row.totpSecretEnc);
  auto matched = verifyTotp(
      secret, code, now,
      row.lastStep ? std::optional<std::uint64_t>(static_cast<std::uint64_t>(*row.lastStep))
                   : std::nullopt);
  crypto::secureWipe(secret.data(), secret.size());
  if (!matched) {
    f.failure = "bad_totp";
    return f;
  }
  f.kind = SecondFactor::Kind::totp;
  f.step = *matched;
  return f;
}

bool AccountService::consumeSecondFactorIn(Connection& c, std::int64_t userId,
                                           const SecondFactor& f, TimePoint now) {
  if (f.kind == SecondFactor::Kind::totp)
    return c.execute(
               "UPDATE user_mfa SET last_step = ?2 WHERE user_id = ?1 AND (last_step IS NULL OR "
               "last_step < ?2)",
               userId, static_cast<std::int64_t>(f.step)) == 1;
  if (f.kind == SecondFactor::Kind::recovery)
    return c.execute(
               "UPDATE recovery_codes SET used_at = ?3 WHERE user_id = ?1 AND code_hash = ?2 AND "
               "used_at IS NULL",
               userId, f.recoveryHash, toMillis(now)) == 1;
  return true;
}

TotpEnrolment AccountService::beginTotpEnrolment(std::string_view sessionToken) {
  SessionInfo s = authenticate(sessionToken);
  auto user = findUser(s.actor.id);
  if (!user) throw AuthError("session user unknown");
  if (user->mfaEnrolled) throw AuthError("second factor already enrolled; an admin can reset it");
  crypto::Bytes secret = newTotpSecret();
  auto enc = keys_.cipher().encrypt(totpField(user->id), secret);
  db_.writeSync([&](Connection& c) {
    c.execute(
        "INSERT INTO user_mfa (user_id, totp_secret_enc, created_at) VALUES (?1, ?2, ?3) "
        "ON CONFLICT (user_id) DO UPDATE SET totp_secret_enc = excluded.totp_secret_enc, "
        "created_at = excluded.created_at, last_step = NULL WHERE user_mfa.confirmed_at IS NULL",
        user->id, toBlob(enc), toMillis(clock_.now()));
    audit_.append(c, auditEventFor(s.actor, "mfa.enrol_start", "user", std::to_string(user->id),
                                   std::nullopt, AuditOutcome::success, "totp"));
  });
  TotpEnrolment out;
  out.secretBase32 = base32Encode(secret);
  out.uri = otpauthUri(config_.totpIssuer, user->email, secret);
  crypto::secureWipe(secret.data(), secret.size());
  return out;
}

std::vector<std::string> AccountService::confirmTotpEnrolment(std::string_view sessionToken,
                                                              std::string_view code) {
  SessionInfo s = authenticate(sessionToken);
  auto pending = db_.read([&](Connection& c) {
    return c.queryValue<store::Blob>(
        "SELECT totp_secret_enc FROM user_mfa WHERE user_id = ?1 AND confirmed_at IS NULL",
        s.actor.id);
  });
  if (!pending) throw AuthError("no enrolment in progress");
  crypto::Bytes secret = keys_.cipher().decrypt(totpField(s.actor.id), *pending);
  auto step = verifyTotp(secret, code, clock_.now(), std::nullopt);
  crypto::secureWipe(secret.data(), secret.size());
  if (!step) {
    audit_.record(db_,
                  auditEventFor(s.actor, "mfa.enrol_confirm", "user", std::to_string(s.actor.id),
                                std::nullopt, AuditOutcome::failure, "bad_totp"));
    throw AuthError("code does not match");
  }
  RecoveryCodes codes = RecoveryCodes::generate();
  db_.writeSync([&](Connection& c) {
    auto now = toMillis(clock_.now());
    if (c.execute("UPDATE user_mfa SET confirmed_at = ?2, last_step = ?3 WHERE user_id = ?1 AND "
                  "confirmed_at IS NULL",
                  s.actor.id, now, static_cast<std::int64_t>(*step)) != 1)
      throw AuthError("no enrolment in progress");
    c.execute("DELETE FROM recovery_codes WHERE user_id = ?1", s.actor.id);
    for (const auto& h : codes.hashes)
      c.execute("INSERT INTO recovery_codes (user_id, code_hash) VALUES (?1, ?2)", s.actor.id, h);
    c.execute("UPDATE sessions SET stage = 'full', reauth_at = ?2 WHERE id = ?1", s.sessionId, now);
    audit_.append(c, auditEventFor(s.actor, "mfa.enrol_confirm", "user", std::to_string(s.actor.id),
                                   std::nullopt, AuditOutcome::success, "totp+recovery_codes"));
  });
  sessionsChanged();  // the session is full now
  log::info("mfa.enrolled", {{"user_id", s.actor.id}});
  return codes.codes;
}

}  // namespace vigil::security
