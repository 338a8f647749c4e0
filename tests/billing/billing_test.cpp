// RPM billing (issue 24): the rules against numbers written by hand from the issue and
// MISSION.md's RPM billing line (2026 CMS codes), then the service on a real store: device days
// in the patient's zone across both US DST transitions and in Tokyo, period boundaries (day 30
// and 31), episode restart, manual readings left out, the minutes ledger (overlap refused, edits
// kept), the 99470/99457 exclusion, and approval idempotence.
//
// Dates worked out by hand: New York is UTC-5 (EST) until 2026-03-08 07:00Z (02:00 EST jumps to
// 03:00 EDT, UTC-4) and again from 2026-11-01 06:00Z (02:00 EDT falls back to 01:00 EST); Tokyo
// is UTC+9 all year. An episode starting on D has periods [D, D+29], [D+30, D+59], ...

#define BOOST_TEST_MODULE billing
#include "vigil/billing/billing.hpp"

#include <boost/test/unit_test.hpp>

#include "billing_fixture.hpp"

using namespace vigil;
using namespace vigil::billing;
using namespace vigil::billing::test;

BOOST_AUTO_TEST_SUITE(BillingRules)

BOOST_AUTO_TEST_CASE(device_supply_codes_follow_the_day_count) {
  BOOST_TEST(!deviceSupplyCode(0).has_value());
  BOOST_TEST(!deviceSupplyCode(1).has_value());
  BOOST_TEST(*deviceSupplyCode(2) == "99445");
  BOOST_TEST(*deviceSupplyCode(15) == "99445");
  BOOST_TEST(*deviceSupplyCode(16) == "99454");
  BOOST_TEST(*deviceSupplyCode(30) == "99454");
  BOOST_TEST(!setupBillable(1));
  BOOST_TEST(setupBillable(2));
}

BOOST_AUTO_TEST_CASE(treatment_management_at_each_boundary_with_and_without_contact) {
  // minutes -> codes with a real-time interactive contact; without one, nothing at all.
  const std::vector<std::pair<int, std::vector<CodeUnits>>> expected = {
      {9, {}},
      {10, {{"99470", 1}}},
      {19, {{"99470", 1}}},
      {20, {{"99457", 1}}},
      {39, {{"99457", 1}}},
      {40, {{"99457", 1}, {"99458", 1}}},
      {60, {{"99457", 1}, {"99458", 2}}},
  };
  for (const auto& [minutes, codes] : expected) {
    BOOST_TEST((treatmentManagementCodes(minutes, true) == codes), minutes << " minutes");
    BOOST_TEST(treatmentManagementCodes(minutes, false).empty(), minutes << " minutes, no contact");
  }
}

BOOST_AUTO_TEST_CASE(code_99470_never_comes_with_99457) {
  for (int m = 0; m <= 200; ++m) {
    bool short_ = false, full = false;
    for (const auto& c : treatmentManagementCodes(m, true)) {
      short_ = short_ || c.code == "99470";
      full = full || c.code == "99457";
    }
    BOOST_TEST(!(short_ && full), m);
  }
}

BOOST_AUTO_TEST_CASE(periods_are_thirty_days_and_cut_at_the_episode_end) {
  const auto start = *parseDay("2026-01-01");
  auto p0 = periodOf(start, 0, std::nullopt);
  BOOST_TEST(formatDay(p0.first) == "2026-01-01");
  BOOST_TEST(formatDay(p0.last) == "2026-01-30");
  auto p1 = periodOf(start, 1, std::nullopt);
  BOOST_TEST(formatDay(p1.first) == "2026-01-31");
  BOOST_TEST(formatDay(p1.last) == "2026-03-01");
  BOOST_TEST(periodIndexOf(start, *parseDay("2026-01-30")) == 0);
  BOOST_TEST(periodIndexOf(start, *parseDay("2026-01-31")) == 1);
  auto cut = periodOf(start, 1, *parseDay("2026-02-10"));
  BOOST_TEST(formatDay(cut.last) == "2026-02-10");
  BOOST_TEST(cut.truncated);
  BOOST_TEST(!parseDay("2026-02-30").has_value());
  BOOST_TEST(!parseMonth("2026-13").has_value());
  BOOST_TEST(formatMonth(*parseMonth("2026-03")) == "2026-03");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(DeviceDays)

BOOST_FIXTURE_TEST_CASE(days_are_counted_in_new_york_across_spring_forward, BillingFixture) {
  auto [p, cuff] = patient("America/New_York");
  clock.set(utc(2026, 2, 20, 12));
  enrol(p, cuff, "2026-03-01");
  reading(p, cuff, utc(2026, 3, 8, 4, 30));          // 03-07 23:30 EST
  reading(p, cuff, utc(2026, 3, 8, 6, 59));          // 03-08 01:59 EST
  reading(p, cuff, utc(2026, 3, 8, 7, 0));           // 03-08 03:00 EDT
  reading(p, cuff, utc(2026, 3, 9, 3, 30));          // 03-08 23:30 EDT
  reading(p, cuff, utc(2026, 3, 9, 4, 30));          // 03-09 00:30 EDT
  reading(p, cuff, utc(2026, 3, 31, 3, 59));         // 03-30 23:59 EDT: period 0's last day
  reading(p, cuff, utc(2026, 3, 31, 4, 0));          // 03-31 00:00 EDT: period 1's first day
  reading(p, cuff, utc(2026, 3, 20, 15), "manual");  // typed in: not a device day
  clock.set(utc(2026, 12, 6, 12));
  auto march = month(p, ym(2026, 3));
  BOOST_REQUIRE_EQUAL(march.periods.size(), 1u);
  const auto& p0 = march.periods[0];
  BOOST_TEST(formatDay(p0.period.first) == "2026-03-01");
  BOOST_TEST(formatDay(p0.period.last) == "2026-03-30");
  const std::vector<std::string> days = {"2026-03-07", "2026-03-08", "2026-03-09", "2026-03-30"};
  BOOST_TEST(p0.days == days, boost::test_tools::per_element());
  BOOST_TEST(*p0.code == "99445");
  BOOST_TEST(p0.setup);
  const std::vector<std::string> codes = {"99453", "99445"};
  BOOST_TEST(codesOf(march) == codes, boost::test_tools::per_element());
  BOOST_TEST(march.lines[0].serviceDate == "2026-03-30");
  BOOST_TEST(march.lines[0].placeOfService == "10");
  // April holds period 1 (03-31 .. 04-29) with its one day: too few, nothing billed.
  auto april = month(p, ym(2026, 4));
  BOOST_REQUIRE_EQUAL(april.periods.size(), 1u);
  BOOST_TEST(april.periods[0].days == std::vector<std::string>{"2026-03-31"},
             boost::test_tools::per_element());
  BOOST_TEST(april.lines.empty());
  BOOST_TEST((std::find(april.exceptions.begin(), april.exceptions.end(), "too_few_days") !=
              april.exceptions.end()));
}

BOOST_FIXTURE_TEST_CASE(days_are_counted_in_new_york_across_fall_back, BillingFixture) {
  auto [p, cuff] = patient("America/New_York");
  clock.set(utc(2026, 10, 1, 12));
  enrol(p, cuff, "2026-10-15");
  reading(p, cuff, utc(2026, 11, 1, 3, 30));  // 10-31 23:30 EDT
  reading(p, cuff, utc(2026, 11, 1, 5, 30));  // 11-01 01:30 EDT
  reading(p, cuff, utc(2026, 11, 1, 6, 30));  // 11-01 01:30 EST (the hour again)
  reading(p, cuff, utc(2026, 11, 2, 4, 30));  // 11-01 23:30 EST (EDT would make it 11-02)
  clock.set(utc(2026, 12, 6, 12));
  auto november = month(p, ym(2026, 11));  // period 0: 10-15 .. 11-13
  BOOST_REQUIRE_EQUAL(november.periods.size(), 1u);
  const std::vector<std::string> days = {"2026-10-31", "2026-11-01"};
  BOOST_TEST(november.periods[0].days == days, boost::test_tools::per_element());
  BOOST_TEST(formatDay(november.periods[0].period.last) == "2026-11-13");
  const std::vector<std::string> codes = {"99453", "99445"};
  BOOST_TEST(codesOf(november) == codes, boost::test_tools::per_element());
}

BOOST_FIXTURE_TEST_CASE(days_are_counted_in_tokyo_from_local_midnight, BillingFixture) {
  auto [p, cuff] = patient("Asia/Tokyo");
  clock.set(utc(2026, 5, 20, 12));
  enrol(p, cuff, "2026-06-01");
  reading(p, cuff, utc(2026, 5, 31, 14, 30));  // 05-31 23:30 JST: before the episode
  reading(p, cuff, utc(2026, 5, 31, 15, 30));  // 06-01 00:30 JST
  reading(p, cuff, utc(2026, 6, 1, 14, 59));   // 06-01 23:59 JST
  reading(p, cuff, utc(2026, 6, 1, 16, 0));    // 06-02 01:00 JST
  clock.set(utc(2026, 12, 6, 12));
  auto june = month(p, ym(2026, 6));  // period 0: 06-01 .. 06-30
  BOOST_REQUIRE_EQUAL(june.periods.size(), 1u);
  const std::vector<std::string> days = {"2026-06-01", "2026-06-02"};
  BOOST_TEST(june.periods[0].days == days, boost::test_tools::per_element());
  BOOST_TEST(june.timeZone == "Asia/Tokyo");
}

BOOST_FIXTURE_TEST_CASE(day_30_closes_a_period_and_day_31_opens_the_next, BillingFixture) {
  auto [p, cuff] = patient("UTC");
  clock.set(utc(2025, 12, 20, 12));
  enrol(p, cuff, "2026-01-01");
  for (unsigned d = 15; d <= 30; ++d) reading(p, cuff, utc(2026, 1, d, 9));  // 16 days
  reading(p, cuff, utc(2026, 1, 31, 9));                                     // period 1's first day
  clock.set(utc(2026, 12, 6, 12));
  auto january = month(p, ym(2026, 1));
  BOOST_REQUIRE_EQUAL(january.periods.size(), 1u);
  BOOST_TEST(january.periods[0].days.size() == 16u);
  BOOST_TEST(january.periods[0].days.back() == "2026-01-30");
  BOOST_TEST(*january.periods[0].code == "99454");
  // 99454 alone for the period (never with 99445), with the episode's set-up.
  const std::vector<std::string> codes = {"99453", "99454"};
  BOOST_TEST(codesOf(january) == codes, boost::test_tools::per_element());
  // March holds two periods' ends: period 1 (01-31 .. 03-01) and period 2 (03-02 .. 03-31).
  auto march = month(p, ym(2026, 3));
  BOOST_REQUIRE_EQUAL(march.periods.size(), 2u);
  BOOST_TEST(formatDay(march.periods[1].period.first) == "2026-03-02");
  BOOST_TEST(formatDay(march.periods[1].period.last) == "2026-03-31");
  BOOST_TEST(formatDay(march.periods[0].period.first) == "2026-01-31");
  BOOST_TEST(march.periods[0].days == std::vector<std::string>{"2026-01-31"},
             boost::test_tools::per_element());
  BOOST_TEST(month(p, ym(2026, 2)).periods.empty());  // no period ends in February
}

BOOST_FIXTURE_TEST_CASE(an_episode_restart_starts_new_periods_and_a_new_setup, BillingFixture) {
  auto [p, cuff] = patient("UTC");
  clock.set(utc(2026, 1, 20, 12));
  enrol(p, cuff, "2026-02-01");
  for (unsigned d : {2u, 3u, 5u}) reading(p, cuff, utc(2026, 2, d, 9));
  clock.set(utc(2026, 2, 10, 12));
  consents.withdraw(patientUser(p), p, patients::ConsentKind::rpm);  // ends the episode
  reading(p, cuff, utc(2026, 2, 12, 9));  // no consent, no episode: not counted
  reading(p, cuff, utc(2026, 2, 15, 9));
  clock.set(utc(2026, 2, 19, 12));
  sign(p);
  enrol(p, cuff, "2026-02-20");
  for (auto t : {utc(2026, 2, 20, 9), utc(2026, 2, 21, 9), utc(2026, 3, 1, 9)}) reading(p, cuff, t);
  clock.set(utc(2026, 12, 6, 12));
  auto february = month(p, ym(2026, 2));  // episode 1's only period, cut at 02-10
  BOOST_REQUIRE_EQUAL(february.periods.size(), 1u);
  BOOST_TEST(formatDay(february.periods[0].period.last) == "2026-02-10");
  BOOST_TEST(february.periods[0].days.size() == 3u);
  const std::vector<std::string> codes = {"99453", "99445"};
  BOOST_TEST(codesOf(february) == codes, boost::test_tools::per_element());
  auto march = month(p, ym(2026, 3));  // episode 2's period 0: 02-20 .. 03-21
  BOOST_REQUIRE_EQUAL(march.periods.size(), 1u);
  BOOST_TEST(formatDay(march.periods[0].period.first) == "2026-02-20");
  const std::vector<std::string> days = {"2026-02-20", "2026-02-21", "2026-03-01"};
  BOOST_TEST(march.periods[0].days == days, boost::test_tools::per_element());
  BOOST_TEST(codesOf(march) == codes, boost::test_tools::per_element());
}

BOOST_FIXTURE_TEST_CASE(nothing_is_billed_without_enrolment, BillingFixture) {
  auto [p, cuff] = patient("UTC");
  for (unsigned d = 1; d <= 20; ++d) reading(p, cuff, utc(2026, 1, d, 9));
  clock.set(utc(2026, 12, 6, 12));
  auto january = month(p, ym(2026, 1));
  BOOST_TEST(january.periods.empty());
  BOOST_TEST(january.lines.empty());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(MinutesLedger)

BOOST_FIXTURE_TEST_CASE(month_minutes_give_the_codes_only_with_an_interactive_contact,
                        BillingFixture) {
  auto [p, cuff] = patient("America/New_York");
  clock.set(utc(2026, 4, 25, 12));
  enrol(p, cuff, "2026-05-01");
  clock.set(utc(2026, 7, 5, 12));
  // May (New York): 19 minutes, no contact -> nothing; then a 1-minute call -> 99470.
  manual(nurse, p, utc(2026, 5, 10, 14), 19, false);
  BOOST_TEST(codesOf(month(p, ym(2026, 5))).empty());
  manual(provider, p, utc(2026, 5, 11, 14), 1, true);
  auto may = month(p, ym(2026, 5));
  BOOST_TEST(may.minutes == 20);
  BOOST_TEST(*may.interactiveContact == "2026-05-11");
  BOOST_TEST(codesOf(may) == std::vector<std::string>{"99457"}, boost::test_tools::per_element());
  // June: 10 minutes with the contact -> 99470 (never with 99457).
  manual(provider, p, utc(2026, 6, 3, 14), 10, true);
  BOOST_TEST(codesOf(month(p, ym(2026, 6))) == std::vector<std::string>{"99470"},
             boost::test_tools::per_element());
  // 30 more minutes in June (40): 99457 + 99458; a span at 2026-07-01 02:00Z is still June 30
  // in New York (22:00 EDT).
  manual(nurse, p, utc(2026, 6, 4, 14), 20, false);
  manual(nurse, p, utc(2026, 7, 1, 2), 10, false);
  auto june = month(p, ym(2026, 6));
  BOOST_TEST(june.minutes == 40);
  const std::vector<std::string> codes = {"99457", "99458"};
  BOOST_TEST(codesOf(june) == codes, boost::test_tools::per_element());
  BOOST_TEST(june.minutesBy.size() == 2u);
  // 20 more (60): 99457 + 99458 x2.
  manual(provider, p, utc(2026, 6, 5, 14), 20, false);
  const std::vector<std::string> sixty = {"99457", "99458x2"};
  BOOST_TEST(codesOf(month(p, ym(2026, 6))) == sixty, boost::test_tools::per_element());
}

BOOST_FIXTURE_TEST_CASE(overlapping_spans_of_one_clinician_are_refused, BillingFixture) {
  auto [p, cuff] = patient("UTC");
  auto [q, cuff2] = patient("UTC");
  (void)cuff;
  (void)cuff2;
  clock.set(utc(2026, 6, 10, 18));
  manual(nurse, p, utc(2026, 6, 10, 10), 30, false);  // 10:00-10:30
  BOOST_CHECK_THROW(manual(nurse, q, utc(2026, 6, 10, 10, 15), 30, false), TimeOverlap);
  BOOST_CHECK_NO_THROW(manual(nurse, q, utc(2026, 6, 10, 10, 30), 30, false));     // touching
  BOOST_CHECK_NO_THROW(manual(provider, p, utc(2026, 6, 10, 10, 15), 30, false));  // another
  // A running timer holds its span up to now.
  clock.set(utc(2026, 6, 10, 11, 0));
  billing.startTimer(nurse, p);
  BOOST_CHECK_THROW(billing.startTimer(nurse, q), BillingConflict);
  clock.set(utc(2026, 6, 10, 11, 20));
  BOOST_CHECK_THROW(manual(nurse, q, utc(2026, 6, 10, 11, 5), 5, false), TimeOverlap);
  auto stopped = billing.stopTimer(nurse, p);
  BOOST_TEST(stopped.minutes() == 20);
  BOOST_TEST(toString(stopped.source) == "timer");
  // Moving a span onto another is refused as well.
  clock.set(utc(2026, 6, 10, 13, 0));
  auto e = manual(nurse, p, utc(2026, 6, 10, 12), 10, false);
  BOOST_CHECK_THROW(
      billing.edit(nurse, p, e.id,
                   {utc(2026, 6, 10, 11, 10), utc(2026, 6, 10, 11, 30), false, "data_review"}),
      TimeOverlap);
  BOOST_TEST(rows("SELECT count(*) FROM billing_time WHERE deleted_at IS NULL") == 5);
}

BOOST_FIXTURE_TEST_CASE(edits_and_deletions_keep_the_old_values_and_are_audited, BillingFixture) {
  auto [p, cuff] = patient("UTC");
  (void)cuff;
  clock.set(utc(2026, 6, 10, 18));
  auto e = manual(nurse, p, utc(2026, 6, 10, 10), 30, false);
  auto edited = billing.edit(nurse, p, e.id,
                             {utc(2026, 6, 10, 10), utc(2026, 6, 10, 10, 45), true, "phone_call"});
  BOOST_TEST(edited.minutes() == 45);
  BOOST_TEST(edited.interactive);
  BOOST_TEST(edited.revisions == 1);
  BOOST_TEST(rows("SELECT old_ended_at FROM billing_time_revisions WHERE action = 'edit'") ==
             core::toMillis(utc(2026, 6, 10, 10, 30)));
  auto entry = lastAudit("billing_time.edit");
  BOOST_REQUIRE(entry.has_value());
  BOOST_TEST(entry->event.actorId == nurse.id);
  BOOST_TEST(*entry->event.patientId == p);
  billing.remove(nurse, p, e.id);
  BOOST_TEST(rows("SELECT count(*) FROM billing_time_revisions WHERE entry_id = " +
                  std::to_string(e.id)) == 2);
  BOOST_TEST(rows("SELECT count(*) FROM billing_time WHERE deleted_at IS NOT NULL") == 1);
  BOOST_TEST(month(p, ym(2026, 6)).minutes == 0);
  // A manual span needs a reason from the list; the front desk keeps no ledger.
  BOOST_CHECK_THROW(
      billing.addManual(nurse, p, {utc(2026, 6, 10, 13), utc(2026, 6, 10, 14), false, "lunch"}),
      ValidationError);
  const Actor desk{user(Role::front_desk, "desk@clinic.example", "desk passphrase 2026"),
                   Role::front_desk, std::nullopt};
  BOOST_CHECK_THROW(manual(desk, p, utc(2026, 6, 10, 15), 10, false), AccessDenied);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(Approval)

BOOST_FIXTURE_TEST_CASE(approving_twice_creates_one_claim, BillingFixture) {
  auto [p, cuff] = patient("UTC");
  clock.set(utc(2025, 12, 20, 12));
  enrol(p, cuff, "2026-01-01");
  for (unsigned d = 1; d <= 20; ++d) reading(p, cuff, utc(2026, 1, d, 9));
  clock.set(utc(2026, 2, 5, 12));
  manual(nurse, p, utc(2026, 1, 12, 10), 30, false);
  manual(provider, p, utc(2026, 1, 14, 10), 15, true);  // 45 minutes, a contact
  // Exceptions first: no NPI, no insurance.
  auto before = month(p, ym(2026, 1));
  const std::vector<std::string> codes = {"99453", "99454", "99457", "99458"};
  BOOST_TEST(codesOf(before) == codes, boost::test_tools::per_element());
  BOOST_TEST(!before.approvable());
  BOOST_CHECK_THROW(billing.approveMonth(provider, p, ym(2026, 1)), BillingConflict);
  licenses.setNpi(admin, provider.id, "1234567893");
  insure(p);
  auto first = billing.approveMonth(provider, p, ym(2026, 1));
  BOOST_TEST(first.created);
  auto again = billing.approveMonth(provider, p, ym(2026, 1));
  BOOST_TEST(!again.created);
  BOOST_TEST(again.claimId == first.claimId);
  BOOST_TEST(rows("SELECT count(*) FROM claims") == 1);
  BOOST_TEST(rows("SELECT count(*) FROM claim_lines") == 4);
  // Charges from the seeded fee schedule: 22.00 + 47.00 + 52.00 + 42.00.
  BOOST_TEST(rows("SELECT total_cents FROM claims") == 16300);
  auto list = billing.claims(admin, ym(2026, 1));
  BOOST_REQUIRE_EQUAL(list.size(), 1u);
  BOOST_TEST(list[0].billingNpi == "1234567893");
  BOOST_TEST(list[0].diagnosisCodes == std::vector<std::string>{"I10"},
             boost::test_tools::per_element());
  BOOST_TEST(list[0].lines[1].serviceDate == "2026-01-30");
  BOOST_TEST(list[0].lines[3].serviceDate == "2026-01-31");
  // The submission step reads it with the insurance, then records its status.
  auto out = billing.claimsForSubmission(admin, ClaimStatus::approved, 10);
  BOOST_REQUIRE_EQUAL(out.size(), 1u);
  BOOST_TEST(out[0].patientGivenName == "Pat");
  BOOST_TEST(out[0].primary->memberId == "1EG4TE5MK73");
  billing.recordClaimStatus(admin, first.claimId, ClaimStatus::submitted, "");
  BOOST_CHECK_THROW(billing.recordClaimStatus(admin, first.claimId, ClaimStatus::paid, ""),
                    BillingConflict);
  BOOST_TEST(billing.claimHistory(admin, first.claimId).size() == 2u);
  BOOST_TEST(billing.claimsForSubmission(admin, ClaimStatus::approved, 10).empty());
  // A nurse approves nothing.
  BOOST_CHECK_THROW(billing.approveMonth(nurse, p, ym(2026, 1)), AccessDenied);
  // The report of RPM enrolment and billing per month (issue 24's reports), on 2026-02-05: the
  // twelve months March 2025 to February 2026; the episode from 2026-01-01 is in force in January
  // and February; January is claimed. A second patient enrolled from 2026-02-02 and never billed
  // counts as enrolled in February only.
  auto [q, qCuff] = patient("America/Chicago");
  enrol(q, qCuff, "2026-02-02");
  const auto report = billing.claimsReport(admin);
  BOOST_REQUIRE_EQUAL(report.enrolment.size(), 12u);
  BOOST_TEST(report.enrolment.front().month == "2025-03");
  BOOST_TEST(report.enrolment[9].month == "2025-12");
  BOOST_TEST(report.enrolment[9].enrolled == 0);
  BOOST_TEST(report.enrolment[10].month == "2026-01");
  BOOST_TEST(report.enrolment[10].enrolled == 1);
  BOOST_TEST(report.enrolment[10].claimed == 1);
  BOOST_TEST(report.enrolment[11].month == "2026-02");
  BOOST_TEST(report.enrolment[11].enrolled == 2);
  BOOST_TEST(report.enrolment[11].claimed == 0);
  // Billing reports are not a nurse's.
  BOOST_CHECK_THROW(billing.claimsReport(nurse), AccessDenied);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(ClaimSubmissionSettings)

BOOST_AUTO_TEST_CASE(payer_ids_come_from_the_setting_else_from_the_name) {
  const auto ids = parsePayerIds(" Medicare Part B = 13282 ,Acme Health=ACME1,broken,=X,Y=");
  BOOST_TEST(ids.size() == 2u);
  SubmissionSettings s;
  s.payerIds = ids;
  BOOST_TEST(payerIdFor(s, "medicare part b") == "13282");
  BOOST_TEST(payerIdFor(s, "Acme Health") == "ACME1");
  BOOST_TEST(payerIdFor(s, "Blue Shield of X-Land") == "BLUESHIELD");  // first 10 letters/digits
  BOOST_TEST(payerIdFor(s, "***") == "UNKNOWN");
  BOOST_TEST(filingIndicatorFor("Medicare Part B") == "MB");
  BOOST_TEST(filingIndicatorFor("State Medicaid Plan") == "MC");
  BOOST_TEST(filingIndicatorFor("Acme Health") == "CI");
}

BOOST_AUTO_TEST_CASE(the_settings_name_what_the_837p_still_needs) {
  SubmissionSettings s;
  const std::vector<std::string> empty = {"practice_name", "tax_id",       "address",
                                          "city",          "state",        "zip",
                                          "submitter_id",  "contact_name", "contact_phone"};
  BOOST_TEST(s.missing() == empty, boost::test_tools::per_element());
  s.practiceName = "RIVERSIDE CLINIC";
  s.taxId = "12345678";  // 8 digits
  s.addressLine = "1 Main Street";
  s.city = "Albany";
  s.state = "NY";
  s.zip = "12207";  // the billing provider's ZIP must be ZIP+4
  s.submitterId = "RIVERSIDE01";
  s.contactName = "Billing Office";
  s.contactEmail = "billing@clinic.example";
  s.practiceNpi = "1234567890";  // bad check digit
  const std::vector<std::string> left = {"practice_npi", "tax_id", "zip"};
  BOOST_TEST(s.missing() == left, boost::test_tools::per_element());
  s.taxId = "123456789";
  s.zip = "12207-1234";
  s.practiceNpi = "1234567893";
  BOOST_TEST(s.missing().empty());
}

BOOST_AUTO_TEST_SUITE_END()
