// Claims through the cloud clearinghouse (issue 24), against the cloud stand-in as a real process
// over real TLS: approved claims go out as one 837P batch (claim.submit), the stand-in answers
// a 999, a 277CA and an 835 (docs/cloud-api.md, "Seed data"), and the box applies each once:
// the claim accepted, then paid or denied, every payment and adjustment posted. Under faults
// (503s, dropped answers, inbox pages repeated and newest first) every batch arrives once and
// every payment is posted once; a 277CA rejection and a 999 rejection (sent with `cloud send`)
// move the claim to rejected; a remittance delivered again under another message id posts
// nothing.
//
// The amounts, worked by hand from the practice's fee schedule (migration 0031) and the
// stand-in payer's rules (allowed = min(charge, fee x units), CO-45 the rest, PR-2 20 % of the
// allowed rounded half up, paid = allowed - PR-2):
//   99453 charge 22.00, fee 19.73: CO-45 2.27, PR-2 3.95 (3.946), paid 15.78
//   99454 charge 47.00, fee 43.02: CO-45 3.98, PR-2 8.60 (8.604), paid 34.42
//   99457 charge 52.00, fee 47.87: CO-45 4.13, PR-2 9.57 (9.574), paid 38.30
//   99458 charge 42.00, fee 38.49: CO-45 3.51, PR-2 7.70 (7.698), paid 30.79
//   claim 163.00: paid 119.29, patient 29.82, adjustments 13.89 + 29.82 = 43.71 = 163.00 - 119.29
//   99215 charge 208.00: not in the stand-in's schedule: CO-96 208.00, paid 0, CLP02 4: denied.

#define BOOST_TEST_MODULE claims_link
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <fstream>
#include <set>
#include <thread>
#include <tuple>

#include "billing_fixture.hpp"
#include "standin.hpp"
#include "vigil/core/metrics.hpp"
#include "vigil/sync/inbox.hpp"
#include "vigil/sync/link.hpp"
#include "vigil/sync/outbox.hpp"
#include "vigil/testsupport/deadline.hpp"
#include "vigil/x12/acknowledgement.hpp"
#include "vigil/x12/remittance_835.hpp"

using namespace std::chrono_literals;
using namespace vigil;
using namespace vigil::billing;
using namespace vigil::billing::test;

namespace {

const Actor kSystem{0, Role::admin, std::nullopt};

SubmissionSettings practice() {
  SubmissionSettings s;
  s.practiceName = "RIVERSIDE CLINIC";
  s.taxonomy = "207Q00000X";
  s.taxId = "123456789";
  s.addressLine = "1 Main Street";
  s.city = "Albany";
  s.state = "NY";
  s.zip = "122071234";
  s.submitterId = "RIVERSIDE01";
  s.contactName = "Billing Office";
  s.contactPhone = "5185550100";
  s.payerIds = parsePayerIds("Medicare Part B=13282");
  return s;
}

struct ClaimsLinkFixture : BillingFixture {
  int seq = 0;
  Metrics metrics;
  sync::test::StandIn cloud{dir / "cloud"};
  std::unique_ptr<sync::Outbox> outbox;
  std::unique_ptr<sync::Link> link;

  ClaimsLinkFixture() : BillingFixture("Maya Chen") {
    licenses.setNpi(admin, provider.id, "1234567893");
  }

  /// A patient with a January 2026 of RPM approved: 20 days of readings, 45 minutes with an
  /// interactive contact: 99453, 99454, 99457, 99458 for 163.00. Returns the claim id.
  std::int64_t approvedRpmClaim(bool withAddress = true) {
    const auto n = std::to_string(++seq);
    clock.set(utc(2025, 12, 20, 12));
    const auto [p, cuff] =
        patient({0, "MRN-C" + n, "Pat", "Claim" + n, "1950-01-0" + n, "UTC", "NY", {}, true},
                "Pat Claim" + n);
    enrol(p, cuff, "2026-01-01");
    for (unsigned d = 1; d <= 20; ++d) reading(p, cuff, utc(2026, 1, d, 9));
    clock.set(utc(2026, 2, 5, 12));
    const int h = 8 + seq;  // one clinician's spans never overlap, across patients either
    manual(nurse, p, utc(2026, 1, 12, h), 30, false);
    manual(provider, p, utc(2026, 1, 14, h), 15, true, "phone_call");
    patients::RecordUpdate u;
    u.insurance = medicare("1EG4TE5MK7" + n, "Pat Claim" + n);
    if (withAddress) {
      patients::Contact contact;
      contact.address = {"12 Elm Street", "", "Albany", "NY", "12207", "US"};
      u.contact = contact;
    }
    records.update(admin, p, u);
    auto a = billing.approveMonth(provider, p, std::chrono::year{2026} / std::chrono::January);
    BOOST_REQUIRE(a.created);
    return a.claimId;
  }

  /// A visit claim for 99215 (a code the stand-in payer does not cover), on the first approved
  /// RPM claim's patient. Visit claims come from approveVisit on a completed video visit
  /// (tests/billing/billing_test.cpp); here only its row matters.
  std::int64_t visitClaimFor(std::int64_t rpmClaim) {
    return db->writeSync([&](store::Connection& c) {
      const auto patient =
          *c.queryValue<std::int64_t>("SELECT patient_id FROM claims WHERE id = ?1", rpmClaim);
      const auto at = core::toMillis(clock.now());
      c.execute(
          "INSERT INTO claims (patient_id, kind, visit_id, billing_provider_id, "
          "rendering_provider_id, billing_npi, rendering_npi, diagnosis_codes, total_cents, "
          "status_at, approved_by, approved_at) VALUES (?1, 'visit', 77, ?2, ?2, '1234567893', "
          "'1234567893', 'I10', 20800, ?3, ?2, ?3)",
          patient, provider.id, at);
      const auto id = c.lastInsertRowid();
      c.execute(
          "INSERT INTO claim_lines (claim_id, line_no, code, modifiers, units, service_date, "
          "place_of_service, charge_cents) VALUES (?1, 1, '99215', '95', 1, '2026-01-15', '02', "
          "20800)",
          id);
      return id;
    });
  }

  /// Starts the stand-in and enrols the box (the stand-in dates by the real clock).
  void connect(const std::vector<std::string>& faults = {}) {
    clock.set(std::chrono::system_clock::now());
    cloud.start(faults);
    sync::LinkOptions o;
    o.url = "https://127.0.0.1:" + std::to_string(cloud.port());
    o.caFile = cloud.caFile();
    o.keysDir = dir / "keys-sync";
    o.requestTimeout = 5s;
    outbox =
        std::make_unique<sync::Outbox>(*db, *audit, clock, sync::BackoffPolicy{50ms, 2s}, &metrics);
    link = std::make_unique<sync::Link>(*db, *audit, *outbox, clock, o, &metrics);
    registerClearinghouseHandlers(*link, *audit, clock);
    testsupport::Deadline deadline("enrolment", 60s);
    for (int attempt = 0;; ++attempt) {
      try {
        link->enrol(admin, cloud.code(), "Riverside Clinic");
        break;
      } catch (const std::exception&) {
        if (attempt > 20) throw;  // only a fault-injected 503 is expected here
      }
    }
  }

  void drain() {
    testsupport::Deadline deadline("the outbox to drain", 60s);
    while (outbox->status().backlog > 0) {
      try {
        link->sendDue();
      } catch (const std::exception&) {  // a fault: the entry waits for its back-off
      }
      clock.advance(2s);
    }
  }

  /// Fetches the inbox until every claim in `ids` has `status`.
  void fetchUntil(const std::vector<std::int64_t>& ids, const std::string& status) {
    testsupport::Deadline deadline("claims to be " + status, 60s);
    for (;;) {
      try {
        link->fetchInbox();
      } catch (const std::exception&) {  // a fault: fetched again
      }
      bool all = true;
      for (auto id : ids) all = all && statusOf(id) == status;
      if (all) return;
      std::this_thread::sleep_for(100ms);
    }
  }

  std::string statusOf(std::int64_t claim) {
    return db->read([&](store::Connection& c) {
      return c.queryValue<std::string>("SELECT status FROM claims WHERE id = ?1", claim)
          .value_or("");
    });
  }
  std::string boxId() { return link->status().boxId; }

  /// Queues a message of `kind` carrying `x12` from the stand-in's clearinghouse to the box;
  /// returns its id.
  std::string send(const std::string& kind, const std::string& x12, const std::string& batch) {
    const auto file = dir / ("send-" + std::to_string(++seq) + ".x12");
    std::ofstream(file) << x12;
    std::string out;
    BOOST_REQUIRE(cloud.devtool({"send", "--box", boxId(), "--kind", kind, "--x12", file.string(),
                                 "--batch", batch},
                                &out) == 0);
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
    return out;
  }

  /// Fetches the inbox until the messages `ids` are applied (or seen again: duplicates count).
  void fetchApplied(const std::vector<std::string>& ids) {
    testsupport::Deadline deadline("messages to be applied", 30s);
    for (;;) {
      try {
        link->fetchInbox();
      } catch (const std::exception&) {
      }
      bool all = true;
      for (const auto& id : ids)
        all = all && db->read([&](store::Connection& c) { return sync::Inbox::appliedIn(c, id); });
      if (all) return;
      std::this_thread::sleep_for(100ms);
    }
  }

  std::vector<std::string> historyOf(std::int64_t claim) {
    std::vector<std::string> out;
    for (const auto& e : billing.claimHistory(admin, claim))
      out.push_back(e.source + " " + e.status + (e.applied ? "" : " (history)"));
    return out;
  }
};

struct FaultyFixture : ClaimsLinkFixture {};

x12::Envelope replyEnvelope() {
  x12::Envelope e;
  e.senderId = "CLEARHOUSE";
  e.receiverId = "RIVERSIDE01";
  e.date = "20261206";
  e.time = "1200";
  e.controlNumber = "900";
  e.groupControlNumber = "900";
  return e;
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(ClaimsThroughTheClearinghouse, ClaimsLinkFixture)

BOOST_AUTO_TEST_CASE(a_claim_goes_out_is_accepted_and_paid_and_is_posted_once) {
  const auto claim = approvedRpmClaim();
  connect();
  auto run = billing.submitApproved(kSystem, link.get(), practice());
  BOOST_REQUIRE_EQUAL(run.batches.size(), 1u);
  BOOST_TEST(run.notSent.empty());
  BOOST_TEST(run.batches[0].claimIds == std::vector<std::int64_t>{claim},
             boost::test_tools::per_element());
  BOOST_TEST(run.batches[0].totalCents == 16300);
  BOOST_TEST(statusOf(claim) == "submitted");
  BOOST_TEST(lastAudit("claim.submit").has_value());
  // Nothing left to send: a second run sends nothing.
  BOOST_TEST(billing.submitApproved(kSystem, link.get(), practice()).batches.empty());
  drain();
  int submits = 0;
  for (const auto& r : cloud.recorded())
    if (r.kind == "claim.submit") {
      ++submits;
      BOOST_TEST(r.stream == "claims/" + run.batches[0].batch);
      BOOST_TEST(r.id == run.batches[0].entryId);
    }
  BOOST_TEST(submits == 1);

  fetchUntil({claim}, "paid");
  const std::vector<std::string> history = {"approval approved", "submission submitted",
                                            "999 submitted (history)", "277CA accepted",
                                            "835 paid"};
  BOOST_TEST(historyOf(claim) == history, boost::test_tools::per_element());
  auto d = billing.claimDetail(admin, claim);
  BOOST_TEST(d.status == "paid");
  BOOST_REQUIRE_EQUAL(d.sendings.size(), 1u);
  BOOST_TEST(d.sendings[0].patientControl == "V" + std::to_string(claim) + "S1");
  BOOST_TEST(*d.sendings[0].ackCode == "A");
  BOOST_REQUIRE_EQUAL(d.postings.size(), 1u);
  const auto& p = d.postings[0];
  BOOST_TEST(p.outcome == "paid");
  BOOST_TEST(p.statusCode == "1");
  BOOST_TEST(p.chargeCents == 16300);
  BOOST_TEST(p.paidCents == 11929);
  BOOST_TEST(p.patientResponsibilityCents == 2982);
  BOOST_TEST(p.balanced);
  BOOST_TEST(p.traceNumber == run.batches[0].entryId);
  BOOST_REQUIRE_EQUAL(p.lines.size(), 4u);
  const std::vector<std::pair<std::string, std::int64_t>> paid = {
      {"99453", 1578}, {"99454", 3442}, {"99457", 3830}, {"99458", 3079}};
  for (std::size_t i = 0; i < 4; ++i) {
    BOOST_TEST(p.lines[i].procedureCode == paid[i].first);
    BOOST_TEST(p.lines[i].paidCents == paid[i].second);
    BOOST_TEST(*p.lines[i].lineNo == static_cast<int>(i + 1));
  }
  // Eight line-level adjustments: CO-45 and PR-2 per line.
  const std::vector<std::tuple<int, std::string, std::string, std::int64_t>> adjustments = {
      {1, "CO", "45", 227}, {1, "PR", "2", 395}, {2, "CO", "45", 398}, {2, "PR", "2", 860},
      {3, "CO", "45", 413}, {3, "PR", "2", 957}, {4, "CO", "45", 351}, {4, "PR", "2", 770}};
  BOOST_REQUIRE_EQUAL(p.adjustments.size(), adjustments.size());
  for (std::size_t i = 0; i < adjustments.size(); ++i) {
    const auto& [line, group, reason, cents] = adjustments[i];
    BOOST_TEST(*p.adjustments[i].lineNo == line);
    BOOST_TEST(p.adjustments[i].group == group);
    BOOST_TEST(p.adjustments[i].reason == reason);
    BOOST_TEST(p.adjustments[i].amountCents == cents);
  }
  BOOST_TEST(d.paidCents == 11929);
  BOOST_TEST(billing.claims(admin, std::nullopt).front().paidCents == 11929);
  BOOST_TEST(rows("SELECT total_cents FROM remittances") == 11929);
  BOOST_TEST(rows("SELECT balanced FROM remittances") == 1);
  BOOST_TEST(rows("SELECT count(*) FROM audit_log WHERE action = 'claim.remittance'") == 1);

  // Fetching again applies nothing; the same payment delivered again under a new message id
  // (payer 1999999999, trace = the claim.submit entry id) and the 999 again post nothing.
  link->fetchInbox();
  x12::Remittance again;
  again.controlNumber = "0001";
  again.handling = "I";
  again.totalCents = 11929;
  again.paymentMethod = "ACH";
  again.paymentDate = "20261206";
  again.traceNumber = run.batches[0].entryId;
  again.originatorId = "1999999999";
  again.payer = {"VIGIL STAND-IN PAYER", "", "", "", "", "", ""};
  again.payee = {"RIVERSIDE CLINIC", "XX", "1234567893", "", "", "", ""};
  x12::ClaimPayment cp;
  cp.claimId = "V" + std::to_string(claim) + "S1";
  cp.status = "1";
  cp.chargeCents = 16300;
  cp.paidCents = 11929;
  cp.patientResponsibilityCents = 2982;
  cp.adjustments = {{"CO", "45", 1389, 0}, {"PR", "2", 2982, 0}};
  again.claims = {cp};
  const auto r1 = send("remittance", x12::write835(replyEnvelope(), again), run.batches[0].batch);
  x12::Acknowledgement999 ack;
  ack.envelope = replyEnvelope();
  ack.groupControlNumber = "1";
  ack.groupVersion = "005010X222A1";
  ack.groupCode = "R";
  ack.setsIncluded = ack.setsReceived = 1;
  ack.sets = {{"837", "0001", "005010X222A1", "R", {"5"}, {}}};
  const auto r2 = send("claim.ack", x12::write999(ack), run.batches[0].batch);
  fetchApplied({r1, r2});
  BOOST_TEST(rows("SELECT count(*) FROM remittances") == 1);
  BOOST_TEST(rows("SELECT count(*) FROM remittance_claims") == 1);
  BOOST_TEST(rows("SELECT count(*) FROM remittance_adjustments") == 8);
  BOOST_TEST(statusOf(claim) == "paid");
  BOOST_TEST(historyOf(claim).size() == history.size());
}

BOOST_AUTO_TEST_CASE(a_denied_claim_is_listed_with_its_reasons_in_the_reports) {
  const auto rpmClaim = approvedRpmClaim();
  const auto visit = visitClaimFor(rpmClaim);
  const auto noAddress = approvedRpmClaim(false);
  connect();
  const auto sentAt = clock.now();
  auto run = billing.submitApproved(kSystem, link.get(), practice());
  BOOST_REQUIRE_EQUAL(run.batches.size(), 1u);  // one billing NPI: one batch of two
  BOOST_TEST(run.batches[0].claimIds.size() == 2u);
  // The claim without an address stays approved, saying which field is missing.
  BOOST_REQUIRE_EQUAL(run.notSent.size(), 1u);
  BOOST_TEST(run.notSent[0].first == noAddress);
  BOOST_TEST(statusOf(noAddress) == "approved");
  BOOST_TEST(billing.claims(admin, std::nullopt).size() == 3u);
  drain();
  clock.set(sentAt + std::chrono::hours(24 * 3));  // posted three days after sending
  fetchUntil({rpmClaim}, "paid");
  fetchUntil({visit}, "denied");
  auto d = billing.claimDetail(admin, visit);
  BOOST_REQUIRE_EQUAL(d.postings.size(), 1u);
  BOOST_TEST(d.postings[0].outcome == "denied");
  BOOST_TEST(d.postings[0].statusCode == "4");
  BOOST_TEST(d.postings[0].paidCents == 0);
  BOOST_REQUIRE_EQUAL(d.postings[0].adjustments.size(), 1u);
  BOOST_TEST(d.postings[0].adjustments[0].group == "CO");
  BOOST_TEST(d.postings[0].adjustments[0].reason == "96");
  BOOST_TEST(d.postings[0].adjustments[0].amountCents == 20800);
  auto history = billing.claimHistory(admin, visit);
  BOOST_TEST(history.back().detail == "835 denied CO-96");
  // BPR02: 119.29 + 0.
  BOOST_TEST(rows("SELECT total_cents FROM remittances") == 11929);

  auto report = billing.claimsReport(admin);
  std::map<std::string, std::int64_t> byStatus;
  for (const auto& s : report.byStatus) byStatus[s.status] = s.claims;
  BOOST_TEST(byStatus["paid"] == 1);
  BOOST_TEST(byStatus["denied"] == 1);
  BOOST_TEST(byStatus["approved"] == 1);
  BOOST_REQUIRE_EQUAL(report.denialReasons.size(), 1u);
  BOOST_TEST(report.denialReasons[0].group == "CO");
  BOOST_TEST(report.denialReasons[0].reason == "96");
  BOOST_TEST(report.denialReasons[0].claims == 1);
  BOOST_TEST(report.denialReasons[0].amountCents == 20800);
  BOOST_TEST(report.paidClaims == 1);
  BOOST_TEST(*report.averageDaysToPayment == 3.0);
  BOOST_REQUIRE(!report.months.empty());
  BOOST_TEST(report.months.front().month == "2026-01");
  BOOST_TEST(report.months.front().paidCents == 11929);
  // Providers see no report (admins and billing readers only).
  BOOST_CHECK_THROW(billing.claimsReport(nurse), AccessDenied);
}

BOOST_AUTO_TEST_CASE(a_claim_rejected_by_the_clearinghouse_is_corrected_and_sent_again) {
  const auto claim = approvedRpmClaim();
  connect();
  auto run = billing.submitApproved(kSystem, link.get(), practice());
  BOOST_REQUIRE_EQUAL(run.batches.size(), 1u);
  // Before the stand-in sees the batch, the clearinghouse's 277CA rejects the claim: A6:21:IL
  // (missing or invalid information, the subscriber).
  x12::ClaimStatusReport report;
  report.envelope = replyEnvelope();
  report.batchId = run.batches[0].batch;
  report.createdDate = "20261206";
  report.sourceName = "VIGIL CLOUD CLEARINGHOUSE";
  report.sourceId = "CLEARHOUSE";
  report.receiverName = "RIVERSIDE CLINIC";
  report.receiverId = "RIVERSIDE01";
  report.providerName = "RIVERSIDE CLINIC";
  report.providerNpi = "1234567893";
  x12::ClaimAcknowledgement a;
  a.claimId = "V" + std::to_string(claim) + "S1";
  a.category = "A6";
  a.statusCode = "21";
  a.entityCode = "IL";
  a.chargeCents = 16300;
  a.serviceDate = "20260130";
  a.patientLastName = "CLAIM1";
  a.patientFirstName = "PAT";
  a.memberId = "1EG4TE5MK71";
  report.claims = {a};
  send("claim.status", x12::write277ca(report), run.batches[0].batch);
  fetchUntil({claim}, "rejected");
  BOOST_TEST(billing.claimHistory(admin, claim).back().detail == "277CA A6:21:IL");
  // The same rejection again (a new message id) adds nothing.
  fetchApplied({send("claim.status", x12::write277ca(report), run.batches[0].batch)});
  BOOST_TEST(rows("SELECT count(*) FROM claim_status_events WHERE source = '277CA'") == 1);
  // Corrected by an admin, sent again under a new patient control number.
  billing.recordClaimStatus(admin, claim, ClaimStatus::approved, "member id checked");
  auto second = billing.submitApproved(kSystem, link.get(), practice());
  BOOST_REQUIRE_EQUAL(second.batches.size(), 1u);
  BOOST_TEST(second.batches[0].batch != run.batches[0].batch);
  auto d = billing.claimDetail(admin, claim);
  BOOST_REQUIRE_EQUAL(d.sendings.size(), 2u);
  BOOST_TEST(d.sendings[1].patientControl == "V" + std::to_string(claim) + "S2");
  // Both batches reach the stand-in; the answers to the first sending are history only, the
  // second is paid.
  drain();
  fetchUntil({claim}, "paid");
  BOOST_TEST(rows("SELECT count(*) FROM remittance_claims WHERE outcome = 'paid'") == 2);
  int late = 0;
  for (const auto& e : billing.claimHistory(admin, claim))
    if (!e.applied && e.source != "999") ++late;
  BOOST_TEST(late == 2);  // the first sending's 277CA acceptance and 835 payment
}

BOOST_AUTO_TEST_CASE(a_batch_rejected_in_the_999_rejects_its_claims) {
  const auto claim = approvedRpmClaim();
  connect();
  auto run = billing.submitApproved(kSystem, link.get(), practice());
  BOOST_REQUIRE_EQUAL(run.batches.size(), 1u);
  x12::Acknowledgement999 ack;
  ack.envelope = replyEnvelope();
  ack.groupControlNumber = "1";
  ack.groupVersion = "005010X222A1";
  ack.groupCode = "R";
  ack.setsIncluded = ack.setsReceived = 1;
  ack.sets = {{"837", "0001", "005010X222A1", "R", {"5"}, {{"CLM", 12, "2300", "8", "", ""}}}};
  send("claim.ack", x12::write999(ack), run.batches[0].batch);
  fetchUntil({claim}, "rejected");
  BOOST_TEST(billing.claimHistory(admin, claim).back().detail ==
             "999 R IK5 5 IK3 CLM at 12 code 8");
  BOOST_TEST(rows("SELECT count(*) FROM claim_submissions WHERE ack_code = 'R'") == 1);
}

BOOST_AUTO_TEST_CASE(claim_level_adjustments_plb_and_an_unbalanced_remittance_are_posted) {
  const auto claim = approvedRpmClaim();
  connect();
  auto run = billing.submitApproved(kSystem, link.get(), practice());
  BOOST_REQUIRE_EQUAL(run.batches.size(), 1u);
  // A payer's 835 written by hand, before the stand-in sees the batch: the claim paid 100.00 of
  // 163.00 with claim-level adjustments CO-45 33.00 and PR-1 (deductible) 30.00 (163 - 100 = 63
  // = 33 + 30), and a PLB WO (overpayment recovery) of 10.00: BPR02 = 100.00 - 10.00 = 90.00.
  x12::Remittance r;
  r.controlNumber = "0001";
  r.handling = "I";
  r.totalCents = 9000;
  r.paymentMethod = "CHK";
  r.paymentDate = "20261206";
  r.traceNumber = "CHK-5001";
  r.originatorId = "1512345678";
  r.payer = {"ACME HEALTH PLAN", "", "", "", "", "", ""};
  r.payee = {"RIVERSIDE CLINIC", "XX", "1234567893", "", "", "", ""};
  x12::ClaimPayment cp;
  cp.claimId = "V" + std::to_string(claim) + "S1";
  cp.status = "1";
  cp.chargeCents = 16300;
  cp.paidCents = 10000;
  cp.patientResponsibilityCents = 3000;
  cp.payerClaimControl = "ACME-77";
  cp.adjustments = {{"CO", "45", 3300, 0}, {"PR", "1", 3000, 0}};
  r.claims = {cp};
  r.providerAdjustments = {{"1234567893", "20261231", "WO", "OVERPAID-2025", 1000}};
  const auto m1 = send("remittance", x12::write835(replyEnvelope(), r), "acme");
  // A second one that does not balance (BPR02 50.00, its one claim paid 40.00) and names a claim
  // this box never sent.
  x12::Remittance odd = r;
  odd.traceNumber = "CHK-5002";
  odd.totalCents = 5000;
  odd.providerAdjustments.clear();
  x12::ClaimPayment stranger;
  stranger.claimId = "X999";
  stranger.status = "1";
  stranger.chargeCents = 4000;
  stranger.paidCents = 4000;
  odd.claims = {stranger};
  const auto m2 = send("remittance", x12::write835(replyEnvelope(), odd), "acme");
  fetchApplied({m1, m2});

  BOOST_TEST(statusOf(claim) == "paid");
  BOOST_TEST(billing.claimHistory(admin, claim).back().detail ==
             "835 paid 100, patient 30, trace CHK-5001");
  auto d = billing.claimDetail(admin, claim);
  BOOST_REQUIRE_EQUAL(d.postings.size(), 1u);
  const auto& p = d.postings[0];
  BOOST_TEST(p.paidCents == 10000);
  BOOST_TEST(p.patientResponsibilityCents == 3000);
  BOOST_TEST(p.balanced);
  BOOST_TEST(p.payerName == "ACME HEALTH PLAN");
  BOOST_REQUIRE_EQUAL(p.adjustments.size(), 2u);
  BOOST_TEST(!p.adjustments[0].lineNo.has_value());  // claim level
  BOOST_TEST(p.adjustments[0].group == "CO");
  BOOST_TEST(p.adjustments[0].amountCents == 3300);
  BOOST_TEST(p.adjustments[1].group == "PR");
  BOOST_TEST(p.adjustments[1].reason == "1");
  BOOST_TEST(p.adjustments[1].amountCents == 3000);
  BOOST_TEST(rows("SELECT plb_cents FROM remittances WHERE trace_number = 'CHK-5001'") == 1000);
  BOOST_TEST(rows("SELECT balanced FROM remittances WHERE trace_number = 'CHK-5001'") == 1);
  BOOST_TEST(rows("SELECT amount_cents FROM remittance_provider_adjustments WHERE reason = 'WO'") ==
             1000);
  BOOST_TEST(rows("SELECT balanced FROM remittances WHERE trace_number = 'CHK-5002'") == 0);
  BOOST_TEST(rows("SELECT count(*) FROM remittance_claims WHERE outcome = 'unmatched'") == 1);
  auto report = billing.claimsReport(admin);
  BOOST_TEST(report.unbalancedRemittances == 1);
  BOOST_TEST(report.unmatchedPayments == 1);
  BOOST_TEST(report.denialReasons.empty());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(ClaimsUnderFaults, FaultyFixture)

BOOST_AUTO_TEST_CASE(under_faults_every_batch_arrives_once_and_every_payment_posts_once) {
  const auto first = approvedRpmClaim();
  const auto second = approvedRpmClaim();
  const auto third = approvedRpmClaim();
  // 503s on 30 % of requests, a quarter of first acceptances answered by a closed connection,
  // every inbox page repeating the message before it and coming newest first (the 835 before
  // the 277CA and the 999).
  connect({"--fail-rate", "0.3", "--drop-responses", "--duplicate", "--reorder", "--seed", "24"});
  SubmissionSettings one = practice();
  one.maxClaims = 1;
  std::set<std::string> sent;
  for (int i = 0; i < 3; ++i) {
    auto run = billing.submitApproved(kSystem, link.get(), one);
    BOOST_REQUIRE_EQUAL(run.batches.size(), 1u);
    sent.insert(run.batches[0].entryId);
  }
  drain();
  std::vector<sync::test::Recorded> claimsOnly;
  for (const auto& r : cloud.recorded())
    if (r.kind == "claim.submit") claimsOnly.push_back(r);
  BOOST_TEST(sync::test::exactlyOnceInOrder(claimsOnly, sent) == "");
  fetchUntil({first, second, third}, "paid");
  BOOST_TEST(rows("SELECT count(*) FROM remittances") == 3);
  BOOST_TEST(rows("SELECT count(*) FROM remittance_claims") == 3);
  BOOST_TEST(rows("SELECT count(*) FROM remittance_lines") == 12);
  BOOST_TEST(rows("SELECT count(*) FROM remittance_adjustments") == 24);
  BOOST_TEST(rows("SELECT sum(paid_cents) FROM remittance_claims") == 3 * 11929);
  BOOST_TEST(rows("SELECT count(*) FROM claim_submissions WHERE ack_code = 'A'") == 3);
  for (auto id : {first, second, third}) {
    int paid = 0;
    for (const auto& e : billing.claimHistory(admin, id)) paid += e.status == "paid" && e.applied;
    BOOST_TEST(paid == 1);
  }
  BOOST_TEST(rows("SELECT count(*) FROM sync_inbox_refused") == 0);
}

BOOST_AUTO_TEST_SUITE_END()
