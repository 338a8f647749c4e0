// The practice's billing figures (billing_report.hpp) against claims and postings written by
// hand (straight into billing's tables: the figures, not the approval or the 835 reader, are
// under test). March 2026; patients P and Q in the scope, R not:
//   k1 P rpm_month 2026-03 paid:      99454 x1 4700 on 03-02, 99457 x1 5200 on 03-31
//   k2 Q rpm_month 2026-03 denied:    99445 x1 4700 on 03-15, 99458 x2 8400 on 03-31
//   k3 P visit            submitted:  99213 x1 10500 on 03-20
//   k4 R rpm_month 2026-03 paid:      99454 x1 4700 on 03-05          (out of the scope)
//   k5 Q rpm_month 2026-02 paid:      99454 x1 4700 on 02-28          (served before March)
//   k6 P rpm_month 2026-04 approved:  99454 x1 4700 on 04-01          (served after March)
// Postings: k1 paid 9000 on 03-10; k2 denied on 03-12 (CO-50 4700 and 8400, CO-16 500); k4 paid
// 4000 on 03-11; k5 denied on 02-27 (CO-97 300) then paid 4500 on 03-03; a payment naming no
// claim, 777 on 03-05.

#include "vigil/billing/billing_report.hpp"

#include <boost/test/unit_test.hpp>

#include "billing_fixture.hpp"
#include "vigil/testsupport/test_store.hpp"

using namespace vigil;
using namespace vigil::billing;
using namespace vigil::billing::test;

namespace {

struct Line {
  std::string code;
  int units;
  std::int64_t cents;
  std::string date;
};

struct BillingReportFixture : BillingFixture {
  std::int64_t p = 0, q = 0, r = 0;
  std::int64_t k1 = 0, k2 = 0, k3 = 0, k4 = 0, k5 = 0, k6 = 0;
  std::int64_t remittance = 0;
  int visitSeq = 500;
  ReportScope scope;

  std::int64_t claim(std::int64_t patient, const std::optional<std::string>& month,
                     const std::string& status, const std::vector<Line>& lines) {
    return db->writeSync([&](store::Connection& c) {
      std::int64_t total = 0;
      for (const auto& l : lines) total += l.cents;
      const std::optional<std::int64_t> visit =
          month ? std::nullopt : std::optional<std::int64_t>(++visitSeq);
      c.execute(
          "INSERT INTO claims (patient_id, kind, service_month, visit_id, billing_provider_id, "
          "rendering_provider_id, billing_npi, rendering_npi, diagnosis_codes, total_cents, "
          "status, status_at, approved_by, approved_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5, "
          "'1234567893', '1234567893', 'I10', ?6, ?7, 0, ?5, 0)",
          patient, month ? "rpm_month" : "visit", month, visit, provider.id, total, status);
      const auto id = c.lastInsertRowid();
      int n = 0;
      for (const auto& l : lines)
        c.execute(
            "INSERT INTO claim_lines (claim_id, line_no, code, units, service_date, "
            "place_of_service, charge_cents) VALUES (?1, ?2, ?3, ?4, ?5, '10', ?6)",
            id, ++n, l.code, l.units, l.date, l.cents);
      return id;
    });
  }

  /// A posting of `claim` (nullopt: naming no claim) with its claim-level adjustments.
  void posting(std::optional<std::int64_t> claim, const std::string& outcome, std::int64_t paid,
               TimePoint at, const std::vector<std::tuple<std::string, std::string, int>>& adj) {
    db->writeSync([&](store::Connection& c) {
      c.execute(
          "INSERT INTO remittance_claims (remittance_id, claim_id, patient_control, status_code, "
          "charge_cents, paid_cents, patient_resp_cents, payer_claim_control, balanced, outcome, "
          "posted_at) VALUES (?1, ?2, ?3, '1', 0, ?4, 0, 'PCC', 1, ?5, ?6)",
          remittance, claim, "PC" + std::to_string(core::toMillis(at)), paid, outcome,
          core::toMillis(at));
      const auto id = c.lastInsertRowid();
      for (const auto& [group, reason, cents] : adj)
        c.execute(
            "INSERT INTO remittance_adjustments (remittance_claim_id, group_code, reason_code, "
            "amount_cents) VALUES (?1, ?2, ?3, ?4)",
            id, group, reason, cents);
    });
  }

  BillingReportFixture() {
    p = patient("UTC").first;
    q = patient("UTC").first;
    r = patient("UTC").first;
    k1 = claim(p, "2026-03", "paid",
               {{"99454", 1, 4700, "2026-03-02"}, {"99457", 1, 5200, "2026-03-31"}});
    k2 = claim(q, "2026-03", "denied",
               {{"99445", 1, 4700, "2026-03-15"}, {"99458", 2, 8400, "2026-03-31"}});
    k3 = claim(p, std::nullopt, "submitted", {{"99213", 1, 10500, "2026-03-20"}});
    k4 = claim(r, "2026-03", "paid", {{"99454", 1, 4700, "2026-03-05"}});
    k5 = claim(q, "2026-02", "paid", {{"99454", 1, 4700, "2026-02-28"}});
    k6 = claim(p, "2026-04", "approved", {{"99454", 1, 4700, "2026-04-01"}});
    db->writeSync([&](store::Connection& c) {
      c.execute(
          "INSERT INTO remittances (message_id, payer_key, trace_number, payer_name, "
          "payment_method, payment_date, total_cents, computed_cents, plb_cents, balanced, "
          "received_at) VALUES ('m1', 'MEDICARE', 'T1', 'Medicare', 'ACH', '20260310', 0, 0, 0, "
          "1, 0)");
      remittance = c.lastInsertRowid();
    });
    posting(k1, "paid", 9000, utc(2026, 3, 10, 10), {});
    posting(k2, "denied", 0, utc(2026, 3, 12, 10),
            {{"CO", "50", 4700}, {"CO", "50", 8400}, {"CO", "16", 500}});
    posting(k4, "paid", 4000, utc(2026, 3, 11, 10), {});
    posting(k5, "denied", 0, utc(2026, 2, 27, 10), {{"CO", "97", 300}});
    posting(k5, "paid", 4500, utc(2026, 3, 3, 10), {});
    posting(std::nullopt, "unmatched", 777, utc(2026, 3, 5, 10), {});
    scope.practice = false;
    scope.providers = {provider.id};
    scope.patients = {p, q};
    std::sort(scope.patients.begin(), scope.patients.end());
  }

  BillingReport report(const ReportScope& s) {
    return db->read([&](store::Connection& c) {
      return billingReportIn(c, utc(2026, 3, 1, 0), utc(2026, 4, 1, 0), s);
    });
  }

  /// The plan of sql: SQLite's EXPLAIN QUERY PLAN details, or PostgreSQL's EXPLAIN lines with
  /// sequential scans off (the tables are too small for its planner to prefer an index).
  std::string planOf(const std::string& sql) {
    return db->read([&](store::Connection& c) {
      std::string out;
      if (c.backend() == store::Backend::postgres) {
        c.exec("SET LOCAL enable_seqscan = off");
        auto st = c.prepare("EXPLAIN " + sql);
        while (st.step()) out += st.get<std::string>(0) + ";";
        return out;
      }
      auto st = c.prepare("EXPLAIN QUERY PLAN " + sql);
      while (st.step()) out += st.get<std::string>(3) + ";";
      return out;
    });
  }
  /// How a plan names the use of index `name` on this engine.
  static std::string indexUse(const std::string& name) {
    return testsupport::testingOnPostgres() ? name : "USING INDEX " + name;
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(BillingReportIn, BillingReportFixture)

BOOST_AUTO_TEST_CASE(lines_by_code_and_month_and_claims_by_status_in_the_scope) {
  const auto rep = report(scope);
  BOOST_REQUIRE_EQUAL(rep.byCodeAndMonth.size(), 5u);
  const std::vector<std::tuple<std::string, std::string, std::int64_t, std::int64_t, Ids>> want = {
      {"99213", "2026-03", 1, 10500, {p}},
      {"99445", "2026-03", 1, 4700, {q}},
      {"99454", "2026-03", 1, 4700, {p}},  // R's line is out of the scope
      {"99457", "2026-03", 1, 5200, {p}},
      {"99458", "2026-03", 2, 8400, {q}}};
  for (std::size_t i = 0; i < want.size(); ++i) {
    const auto& [code, month, units, cents, patients] = want[i];
    BOOST_TEST(rep.byCodeAndMonth[i].code == code);
    BOOST_TEST(rep.byCodeAndMonth[i].month == month);
    BOOST_TEST(rep.byCodeAndMonth[i].units == units);
    BOOST_TEST(rep.byCodeAndMonth[i].chargeCents == cents);
    BOOST_TEST(rep.byCodeAndMonth[i].lines.count == 1);
    BOOST_TEST(rep.byCodeAndMonth[i].lines.patients == patients, boost::test_tools::per_element());
  }
  BOOST_REQUIRE_EQUAL(rep.byStatus.size(), 3u);
  BOOST_TEST(rep.byStatus[0].status == "denied");
  BOOST_TEST(rep.byStatus[0].claims.count == 1);
  BOOST_TEST(rep.byStatus[0].chargeCents == 13100);
  BOOST_TEST(rep.byStatus[0].claims.patients == Ids{q}, boost::test_tools::per_element());
  BOOST_TEST(rep.byStatus[1].status == "paid");
  BOOST_TEST(rep.byStatus[1].claims.count == 1);  // k1 (two lines); k4 out of the scope
  BOOST_TEST(rep.byStatus[1].chargeCents == 9900);
  BOOST_TEST(rep.byStatus[2].status == "submitted");
  BOOST_TEST(rep.byStatus[2].chargeCents == 10500);
}

BOOST_AUTO_TEST_CASE(payments_and_denials_by_the_time_they_were_posted) {
  const auto rep = report(scope);
  BOOST_REQUIRE_EQUAL(rep.payments.size(), 1u);
  BOOST_TEST(rep.payments[0].month == "2026-03");
  BOOST_TEST(rep.payments[0].paidCents == 13500);  // k1 9000 + k5 4500
  BOOST_TEST(rep.payments[0].postings.count == 2);
  BOOST_TEST(rep.payments[0].postings.patients == sorted({p, q}), boost::test_tools::per_element());
  BOOST_TEST(rep.paidCents == 13500);
  BOOST_TEST(rep.denied.count == 1);  // k2; k5's denial was posted in February
  BOOST_TEST(rep.denied.patients == Ids{q}, boost::test_tools::per_element());
  BOOST_REQUIRE_EQUAL(rep.denialsByReason.size(), 2u);
  BOOST_TEST(rep.denialsByReason[0].group == "CO");
  BOOST_TEST(rep.denialsByReason[0].reason == "50");
  BOOST_TEST(rep.denialsByReason[0].claims.count == 1);  // one claim, two lines
  BOOST_TEST(rep.denialsByReason[0].amountCents == 13100);
  BOOST_TEST(rep.denialsByReason[1].reason == "16");
  BOOST_TEST(rep.denialsByReason[1].amountCents == 500);

  const auto all = report(ReportScope{});
  BOOST_TEST(all.paidCents == 17500);  // and R's 4000; never the payment naming no claim
  BOOST_TEST(all.byStatus[1].claims.count == 2);
  BOOST_TEST(all.byStatus[1].claims.patients == sorted({p, r}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(the_claims_report_keeps_its_denial_reasons_over_all_time) {
  const auto rep = billing.claimsReport(admin);
  BOOST_REQUIRE_EQUAL(rep.denialReasons.size(), 3u);
  BOOST_TEST(rep.denialReasons[0].reason == "50");
  BOOST_TEST(rep.denialReasons[0].claims == 1);
  BOOST_TEST(rep.denialReasons[0].amountCents == 13100);
  BOOST_TEST(rep.denialReasons[1].reason == "16");
  BOOST_TEST(rep.denialReasons[2].reason == "97");
  BOOST_TEST(rep.denialReasons[2].amountCents == 300);
}

BOOST_AUTO_TEST_CASE(the_period_is_read_through_indexes) {
  auto lines = planOf(
      "SELECT l.code FROM claim_lines l JOIN claims k ON k.id = l.claim_id WHERE "
      "l.service_date >= '2026-03-01' AND l.service_date < '2026-04-01'");
  BOOST_TEST(lines.find(indexUse("claim_lines_by_service_date")) != std::string::npos, lines);
  auto posted = planOf(
      "SELECT rc.outcome FROM remittance_claims rc JOIN claims k ON k.id = rc.claim_id WHERE "
      "rc.posted_at >= 1 AND rc.posted_at < 2");
  BOOST_TEST(posted.find(indexUse("remittance_claims_by_posted")) != std::string::npos, posted);
}

BOOST_AUTO_TEST_SUITE_END()
