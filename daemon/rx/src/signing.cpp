// Signing and cancelling (prescriptions.hpp, "SIGNING"). The factors of a controlled-substance
// signature are judged before the write job (scrypt is slow; the writer is shared) and the TOTP
// step is consumed inside it, with the status change, the NewRx in the outbox and the signing
// log: a replayed code, a prescription no longer a draft or a pre-check that no longer passes
// leaves nothing signed and nothing queued.

#include "rx_internal.hpp"
#include "vigil/core/log.hpp"
#include "vigil/core/time.hpp"
#include "vigil/crypto/random.hpp"
#include "vigil/rx/prescribers.hpp"
#include "vigil/security/access_guard.hpp"
#include "vigil/security/accounts.hpp"
#include "vigil/security/audit_log.hpp"
#include "vigil/store/database.hpp"
#include "vigil/store/sqlite.hpp"
#include "vigil/sync/link.hpp"

namespace vigil::rx {

using security::Actor;
using store::Connection;

namespace {

struct Owner {
  std::int64_t patientId = 0;
  std::int64_t prescriberId = 0;
  int schedule = 0;
};

std::optional<Owner> ownerIn(Connection& c, std::int64_t id) {
  auto s = c.prepare("SELECT patient_id, prescriber_id, schedule FROM prescriptions WHERE id = ?1");
  s.bind(1, id);
  if (!s.step()) return std::nullopt;
  return Owner{s.getInt64(0), s.getInt64(1), static_cast<int>(s.getInt64(2))};
}

}  // namespace

Prescription PrescriptionService::sign(const Actor& actor, std::int64_t prescriptionId,
                                       const std::optional<SigningFactors>& factors,
                                       std::string_view breakGlassReason) {
  auto owner = db_.read([&](Connection& c) { return ownerIn(c, prescriptionId); });
  if (!owner) throw NotFound("prescription");
  const auto reason = reasonFor(actor, owner->patientId, breakGlassReason);
  security::AccessGuard guard(db_, audit_);
  const auto& op = security::operation("prescription.sign");
  if (owner->prescriberId != actor.id) {
    security::AccessDecision no{false, false, "not_the_prescriber"};
    guard.enforce(security::AccessGuard::pending(
        actor, op, owner->patientId, {"prescription", std::to_string(prescriptionId)}, no, {}));
  }
  if (link_ == nullptr || !link_->enrolled()) {
    // Refused before the factors are judged, but after the patient's access check (care team,
    // emergency access): a refusal for want of a link never answers in place of a denial.
    guard.write(
        actor, op, owner->patientId, {"prescription", std::to_string(prescriptionId)},
        [](Connection&) {
          throw ValidationError("sign: the cloud link to the pharmacy network is not set up");
        },
        reason);
  }
  const bool controlled = owner->schedule != 0;
  std::optional<security::AccountService::SigningFactors> proof;
  auto refused = [&](const std::string& why) {
    db_.writeSync([&](Connection& c) {
      detail::eventIn(c, prescriptionId, clock_.now(), "sign_refused", why, actor.id);
      audit_.append(
          c, security::AccessGuard::eventFor(actor, op, owner->patientId,
                                             {"prescription", std::to_string(prescriptionId)},
                                             security::AccessDecision{false, false, why}, {}));
    });
  };
  if (controlled) {
    try {
      if (!factors)
        throw AuthError("the password and a code from the authenticator app are required");
      proof = accounts_.checkSigningFactors(actor.id, factors->password, factors->totp);
    } catch (const AuthError& e) {
      refused(factors ? "bad_factors" : "missing_factors");
      throw;
    }
  }
  bool replayed = false;
  Prescription signedRx;
  try {
    signedRx = guard.write(
        actor, op, owner->patientId, {"prescription", std::to_string(prescriptionId)},
        [&](Connection& c) -> Prescription {
          auto p = detail::loadIn(c, cipher_, prescriptionId);
          if (!p) throw NotFound("prescription");
          if (p->status != "draft")
            throw ValidationError("status: only a draft is signed (cancel and replace instead)");
          auto pre = precheckIn(c, actor, p->patientId, p->drug);
          if (!pre.ready) throw PrecheckFailed(pre.missing);
          if (controlled) {
            if (!PrescriberService::epcsAccessIn(c, actor.id).granted)
              throw ValidationError("epcs: your EPCS access is not granted");
            if (!security::AccountService::consumeSigningFactorsIn(c, *proof)) {
              replayed = true;
              throw AuthError("the code was used already: wait for the next one");
            }
          }
          const auto now = clock_.now();
          const std::string with = controlled ? "password+totp" : "session";
          c.execute(
              "UPDATE prescriptions SET status = 'signed', signed_at = ?2, signed_with = ?3, "
              "updated_at = ?2 WHERE id = ?1",
              prescriptionId, core::toMillis(now), with);
          p->status = "signed";
          p->signedAt = now;
          p->signedWith = with;
          auto m = detail::scriptFor(c, cipher_, records_, clinic_, *p, now);
          m.messageId = p->uuid;  // one NewRx per prescription; a CancelRx relates to it
          const auto xml = newRxXml(m);
          const auto entry = link_->enqueueIn(c, prescriptionStream(p->uuid), "rx.submit",
                                              "pharmacy", detail::payloadFor(*p, m, xml));
          c.execute("UPDATE prescriptions SET message_id = ?2 WHERE id = ?1", prescriptionId,
                    entry);
          detail::eventIn(c, prescriptionId, now, "signed", with, actor.id);
          detail::eventIn(c, prescriptionId, now, "sent", "NewRx", actor.id);
          return *detail::loadIn(c, cipher_, prescriptionId);
        },
        reason);
  } catch (const AuthError&) {
    if (replayed) refused("totp_replayed");
    throw;
  }
  link_->wake();
  log::info("rx.signed", {{"prescription", prescriptionId}, {"controlled", controlled}});
  return signedRx;
}

Prescription PrescriptionService::cancel(const Actor& actor, std::int64_t prescriptionId,
                                         std::string_view reason,
                                         std::string_view breakGlassReason) {
  if (reason.size() > 200) throw ValidationError("reason: at most 200 characters");
  auto owner = db_.read([&](Connection& c) { return ownerIn(c, prescriptionId); });
  if (!owner) throw NotFound("prescription");
  const auto glass = reasonFor(actor, owner->patientId, breakGlassReason);
  security::AccessGuard guard(db_, audit_);
  const auto& op = security::operation("prescription.cancel");
  if (owner->prescriberId != actor.id) {
    security::AccessDecision no{false, false, "not_the_prescriber"};
    guard.enforce(security::AccessGuard::pending(
        actor, op, owner->patientId, {"prescription", std::to_string(prescriptionId)}, no, {}));
  }
  auto out = guard.write(
      actor, op, owner->patientId, {"prescription", std::to_string(prescriptionId)},
      [&](Connection& c) {
        if (link_ == nullptr || !link_->enrolled())  // after the patient's access check
          throw ValidationError("cancel: the cloud link to the pharmacy network is not set up");
        auto p = detail::loadIn(c, cipher_, prescriptionId);
        if (!p) throw NotFound("prescription");
        if (p->status == "draft")
          throw ValidationError("status: a draft is discarded, not cancelled");
        if (p->status == "filled")
          throw ValidationError("status: already filled; the pharmacy cannot take it back");
        if (p->status == "cancelled" || p->status == "cancel_requested" ||
            p->status == "not_filled" || p->status == "error")
          throw ValidationError("status: nothing to cancel");
        const auto now = clock_.now();
        c.execute(
            "UPDATE prescriptions SET status = 'cancel_requested', status_reason = ?2, "
            "updated_at = ?3 WHERE id = ?1",
            prescriptionId, std::string(reason), core::toMillis(now));
        auto m = detail::scriptFor(c, cipher_, records_, clinic_, *p, now);
        m.messageId = crypto::randomUuid();
        m.relatesTo = p->uuid;
        const auto xml = cancelRxXml(m);
        link_->enqueueIn(c, prescriptionStream(p->uuid), "rx.cancel", "pharmacy",
                         detail::payloadFor(*p, m, xml));
        detail::eventIn(c, prescriptionId, now, "cancel_requested", "CancelRx", actor.id);
        return *detail::loadIn(c, cipher_, prescriptionId);
      },
      glass);
  link_->wake();
  return out;
}

}  // namespace vigil::rx
