// Claims and the fee schedule (billing.hpp): the list the page shows, what the claims-submission
// step reads (claimsForSubmission: the claim with the patient's demographics, address and
// insurance decrypted, one audit entry per claim) and writes (recordClaimStatus, with the
// transitions of claimTransitionAllowed and a row per change in claim_status_events).

#include <sstream>

#include "billing_internal.hpp"
#include "vigil/core/log.hpp"
#include "vigil/core/time.hpp"
#include "vigil/patients/patient_record.hpp"
#include "vigil/registry/registry.hpp"
#include "vigil/security/access_guard.hpp"
#include "vigil/security/audit_log.hpp"
#include "vigil/store/database.hpp"

namespace vigil::billing {

using core::fromMillis;
using core::toMillis;
using security::Actor;
using store::Connection;

BillingService::BillingService(store::Database& db, security::AuditLog& audit,
                               const crypto::FieldCipher& cipher,
                               registry::PatientRepository& patients,
                               patients::PatientRecordService& records, Clock& clock)
    : db_(db),
      audit_(audit),
      cipher_(cipher),
      patients_(patients),
      records_(records),
      clock_(clock) {}

namespace detail {

std::shared_ptr<const core::TimeZone> zoneOfIn(Connection& c, std::int64_t patientId) {
  auto where = registry::PatientRepository::locationIn(c, patientId);
  if (!where) throw NotFound("patient: no such patient");
  try {
    return core::TimeZone::locate(where->timeZone);
  } catch (const Error&) {
    log::warn("billing.zone_unavailable", {{"patient_id", patientId}});
    return core::TimeZone::utc();
  }
}

std::pair<TimePoint, TimePoint> monthBounds(const core::TimeZone& zone,
                                            std::chrono::year_month month) {
  const Day first{month / 1};
  const Day next{(month + std::chrono::months(1)) / 1};
  return {startOfDay(zone, first), startOfDay(zone, next)};
}

std::int64_t chargeOfIn(Connection& c, const std::string& code) {
  return c
      .queryValue<std::int64_t>("SELECT charge_cents FROM billing_fee_schedule WHERE code = ?1",
                                code)
      .value_or(0);
}

std::string join(const std::vector<std::string>& parts, const char* sep) {
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) out += sep;
    out += p;
  }
  return out;
}

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  std::string part;
  while (std::getline(in, part, ','))
    if (!part.empty()) out.push_back(part);
  return out;
}

}  // namespace detail

std::string_view toString(ClaimStatus status) {
  switch (status) {
    case ClaimStatus::approved:
      return "approved";
    case ClaimStatus::submitted:
      return "submitted";
    case ClaimStatus::accepted:
      return "accepted";
    case ClaimStatus::rejected:
      return "rejected";
    case ClaimStatus::paid:
      return "paid";
    case ClaimStatus::denied:
      return "denied";
  }
  return "approved";
}

std::optional<ClaimStatus> parseClaimStatus(std::string_view name) {
  for (auto s : {ClaimStatus::approved, ClaimStatus::submitted, ClaimStatus::accepted,
                 ClaimStatus::rejected, ClaimStatus::paid, ClaimStatus::denied})
    if (toString(s) == name) return s;
  return std::nullopt;
}

bool claimTransitionAllowed(ClaimStatus from, ClaimStatus to) {
  using S = ClaimStatus;
  switch (from) {
    case S::approved:
      return to == S::submitted;
    case S::submitted:
      return to == S::accepted || to == S::rejected;
    case S::accepted:
      return to == S::paid || to == S::denied || to == S::rejected;
    case S::rejected:
    case S::denied:
      return to == S::approved;  // corrected, to be sent again
    case S::paid:
      return false;
  }
  return false;
}

namespace detail {

const char* const kClaimColumns =
    "SELECT id, patient_id, kind, service_month, visit_id, billing_provider_id, "
    "rendering_provider_id, billing_npi, rendering_npi, diagnosis_codes, total_cents, status, "
    "status_detail, status_at, approved_by, approved_at FROM claims ";

Claim readClaim(store::Statement& s) {
  Claim k;
  k.id = s.get<std::int64_t>(0);
  k.patientId = s.get<std::int64_t>(1);
  k.kind = s.get<std::string>(2);
  k.serviceMonth = s.get<std::optional<std::string>>(3);
  k.visitId = s.get<std::optional<std::int64_t>>(4);
  k.billingProviderId = s.get<std::int64_t>(5);
  k.renderingProviderId = s.get<std::int64_t>(6);
  k.billingNpi = s.get<std::string>(7);
  k.renderingNpi = s.get<std::string>(8);
  k.diagnosisCodes = detail::split(s.get<std::string>(9));
  k.totalCents = s.get<std::int64_t>(10);
  k.status = parseClaimStatus(s.get<std::string>(11)).value_or(ClaimStatus::approved);
  k.statusDetail = s.get<std::optional<std::string>>(12);
  k.statusAt = fromMillis(s.get<std::int64_t>(13));
  k.approvedBy = s.get<std::int64_t>(14);
  k.approvedAt = fromMillis(s.get<std::int64_t>(15));
  return k;
}

void addLinesIn(Connection& c, Claim& k) {
  auto s = c.prepare(
      "SELECT line_no, code, modifiers, units, service_date, place_of_service, charge_cents FROM "
      "claim_lines WHERE claim_id = ?1 ORDER BY line_no");
  s.bind(1, k.id);
  while (s.step()) {
    ClaimLine l;
    l.lineNo = static_cast<int>(s.get<std::int64_t>(0));
    l.code = s.get<std::string>(1);
    l.modifiers = detail::split(s.get<std::string>(2));
    l.units = static_cast<int>(s.get<std::int64_t>(3));
    l.serviceDate = s.get<std::string>(4);
    l.placeOfService = s.get<std::string>(5);
    l.chargeCents = s.get<std::int64_t>(6);
    k.lines.push_back(std::move(l));
  }
}

std::optional<Claim> claimIn(Connection& c, std::int64_t id) {
  auto s = c.prepare(std::string(kClaimColumns) + "WHERE id = ?1");
  s.bind(1, id);
  if (!s.step()) return std::nullopt;
  auto k = readClaim(s);
  addLinesIn(c, k);
  return k;
}

void writeStatusIn(Connection& c, std::int64_t claimId, ClaimStatus status,
                   const std::string& detail, const StatusSource& source, TimePoint now,
                   std::int64_t by) {
  std::optional<std::string> d;
  if (!detail.empty()) d = detail.substr(0, 200);
  const auto at = toMillis(now);
  const std::string name(toString(status));
  if (source.applied)
    c.execute("UPDATE claims SET status = ?2, status_detail = ?3, status_at = ?4 WHERE id = ?1",
              claimId, name, d, at);
  c.execute(
      "INSERT INTO claim_status_events (claim_id, status, detail, at, by_user, source, "
      "message_id, applied) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
      claimId, name, d, at, by, source.source, source.messageId,
      static_cast<std::int64_t>(source.applied ? 1 : 0));
}

}  // namespace detail

namespace {

using detail::addLinesIn;
using detail::claimIn;
using detail::kClaimColumns;
using detail::readClaim;

ClaimInsurance insuranceOf(const patients::Insurance& in) {
  return {in.payer,
          in.plan,
          in.memberId,
          in.groupNumber,
          in.subscriberName,
          in.subscriberBirthDate,
          std::string(patients::toString(in.relationship))};
}

}  // namespace

std::vector<FeeScheduleEntry> BillingService::feeSchedule(const Actor& actor) {
  security::AccessGuard guard(db_, audit_);
  return guard.read(actor, security::operation("fee_schedule.read"), std::nullopt,
                    {"fee_schedule", ""}, [&](Connection& c) {
                      auto s = c.prepare(
                          "SELECT code, description, charge_cents, updated_at FROM "
                          "billing_fee_schedule ORDER BY code");
                      std::vector<FeeScheduleEntry> out;
                      while (s.step()) {
                        FeeScheduleEntry e{s.get<std::string>(0), s.get<std::string>(1),
                                           s.get<std::int64_t>(2), std::nullopt};
                        if (auto at = s.get<std::int64_t>(3); at > 0) e.updatedAt = fromMillis(at);
                        out.push_back(std::move(e));
                      }
                      return out;
                    });
}

void BillingService::setFee(const Actor& actor, const std::string& code, std::int64_t chargeCents) {
  if (chargeCents < 0 || chargeCents > 10'000'000)
    throw ValidationError("chargeCents: 0 to 10000000");
  security::AccessGuard guard(db_, audit_);
  guard.write(actor, security::operation("fee_schedule.set"), std::nullopt, {"fee_schedule", code},
              [&](Connection& c) {
                if (c.execute("UPDATE billing_fee_schedule SET charge_cents = ?2, updated_by = ?3, "
                              "updated_at = ?4 WHERE code = ?1",
                              code, chargeCents, actor.id, toMillis(clock_.now())) != 1)
                  throw NotFound("fee schedule: no such code");
              });
}

std::vector<Claim> BillingService::claims(const Actor& actor,
                                          std::optional<std::chrono::year_month> serviceMonth) {
  security::AccessGuard guard(db_, audit_);
  return guard.read(
      actor, security::operation("claim.list"), std::nullopt,
      {"claim", serviceMonth ? formatMonth(*serviceMonth) : std::string()}, [&](Connection& c) {
        const bool everyone = actor.role == security::Role::admin;
        security::SqliteCareTeam team(c);
        // The month is typed: with no month, PostgreSQL cannot infer a NULL's type from
        // `?1 IS NULL` alone.
        auto s = c.prepare(std::string(kClaimColumns) +
                           "WHERE CAST(?1 AS TEXT) IS NULL OR service_month = CAST(?1 AS TEXT) OR "
                           "(kind = 'visit' AND strftime('%Y-%m', approved_at / 1000, 'unixepoch') "
                           "= CAST(?1 AS TEXT)) ORDER BY id DESC LIMIT 500");
        s.bind(1, serviceMonth ? std::optional<std::string>(formatMonth(*serviceMonth))
                               : std::nullopt);
        std::vector<Claim> out;
        while (s.step()) {
          auto k = readClaim(s);
          if (!everyone && !team.isAssigned(actor.id, k.patientId)) continue;
          out.push_back(std::move(k));
        }
        for (auto& k : out) {
          addLinesIn(c, k);
          k.paidCents = c.queryValue<std::int64_t>(
                             "SELECT COALESCE(sum(paid_cents), 0) FROM remittance_claims WHERE "
                             "claim_id = ?1",
                             k.id)
                            .value_or(0);
        }
        return out;
      });
}

std::vector<ClaimForSubmission> BillingService::claimsForSubmission(const Actor& actor,
                                                                    ClaimStatus status,
                                                                    std::size_t limit) {
  return db_.writeSync(
      [&](Connection& c) { return claimsForSubmissionIn(c, actor, status, limit); });
}

std::vector<ClaimForSubmission> BillingService::claimsForSubmissionIn(Connection& c,
                                                                      const Actor& actor,
                                                                      ClaimStatus status,
                                                                      std::size_t limit) {
  security::AccessGuard guard(db_, audit_);
  const auto& op = security::operation("claim.export");
  std::vector<std::int64_t> ids;
  // Claims the 837P could not carry last time ("not sent: ...") come after the others, so a
  // backlog of them never holds the sendable ones back; they are tried again after.
  auto s = c.prepare(
      "SELECT id FROM claims WHERE status = ?1 ORDER BY COALESCE(status_detail, '') LIKE 'not "
      "sent:%', id LIMIT ?2");
  s.bindAll(std::string(toString(status)), static_cast<std::int64_t>(limit));
  while (s.step()) ids.push_back(s.get<std::int64_t>(0));
  std::vector<ClaimForSubmission> out;
  for (auto id : ids) {
    ClaimForSubmission x;
    x.claim = *claimIn(c, id);
    guard.requireIn(c, actor, op, x.claim.patientId, {"claim", std::to_string(id)});
    if (auto p = patients_.getIn(c, x.claim.patientId)) {
      x.patientGivenName = p->givenName;
      x.patientFamilyName = p->familyName;
      x.patientBirthDate = p->birthDate;
      x.patientState = p->state;
    }
    const auto record = records_.currentIn(c, x.claim.patientId, false);
    const auto& a = record.contact.address;
    x.addressLine1 = a.line1;
    x.addressLine2 = a.line2;
    x.city = a.city;
    x.region = a.region;
    x.postalCode = a.postalCode;
    if (record.insurance.primary) x.primary = insuranceOf(*record.insurance.primary);
    if (record.insurance.secondary) x.secondary = insuranceOf(*record.insurance.secondary);
    out.push_back(std::move(x));
  }
  return out;
}

Claim BillingService::recordClaimStatus(const Actor& actor, std::int64_t claimId,
                                        ClaimStatus status, const std::string& detail) {
  if (detail.size() > 200) throw ValidationError("detail: at most 200 bytes");
  security::AccessGuard guard(db_, audit_);
  auto k = guard.write(
      actor, security::operation("claim.status"), std::nullopt, {"claim", std::to_string(claimId)},
      [&](Connection& c) {
        auto old = claimIn(c, claimId);
        if (!old) throw NotFound("claim: no such claim");
        if (!claimTransitionAllowed(old->status, status))
          throw BillingConflict("bad_transition", "claim: cannot go from " +
                                                      std::string(toString(old->status)) + " to " +
                                                      std::string(toString(status)));
        billing::detail::writeStatusIn(c, claimId, status, detail, {"admin", {}, true},
                                       clock_.now(), actor.id);
        return *claimIn(c, claimId);
      });
  log::info("billing.claim_status",
            {{"claim_id", claimId}, {"status", std::string(toString(status))}});
  return k;
}

std::vector<BillingService::StatusEvent> BillingService::claimHistory(const Actor& actor,
                                                                      std::int64_t claimId) {
  security::AccessGuard guard(db_, audit_);
  return guard.read(actor, security::operation("claim.list"), std::nullopt,
                    {"claim", std::to_string(claimId)}, [&](Connection& c) {
                      auto s = c.prepare(
                          "SELECT status, COALESCE(detail, ''), at, by_user, COALESCE(source, ''), "
                          "applied FROM claim_status_events WHERE claim_id = ?1 ORDER BY id");
                      s.bind(1, claimId);
                      std::vector<StatusEvent> out;
                      while (s.step())
                        out.push_back({s.get<std::string>(0), s.get<std::string>(1),
                                       fromMillis(s.get<std::int64_t>(2)), s.get<std::int64_t>(3),
                                       s.get<std::string>(4), s.get<std::int64_t>(5) != 0});
                      return out;
                    });
}

}  // namespace vigil::billing
