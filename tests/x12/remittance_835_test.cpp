// The 835 reader on the implementation guide's public examples (x12_samples.hpp): every
// expected value below is read off the sample text by hand. Then the balance check on an
// unbalanced copy, the refusals of a truncated one, and the writer read back.
#include "vigil/x12/remittance_835.hpp"

#include <boost/test/unit_test.hpp>

#include "x12_samples.hpp"

using namespace vigil::x12;
using namespace vigil::x12test;

BOOST_AUTO_TEST_SUITE(Remittance835_)

BOOST_AUTO_TEST_CASE(reads_the_managed_care_example_and_balances_it) {
  RemittanceFile f = parse835(kManagedCare835);
  BOOST_REQUIRE(f.remittances.size() == 1u);
  const Remittance& r = f.remittances[0];
  BOOST_TEST(r.controlNumber == "112233");
  BOOST_TEST(r.handling == "I");
  BOOST_TEST(r.totalCents == 94500);
  BOOST_TEST(r.paymentMethod == "ACH");
  BOOST_TEST(r.paymentDate == "20002316");
  BOOST_TEST(r.traceNumber == "7170066655");
  BOOST_TEST(r.originatorId == "1935665544");
  BOOST_TEST(r.productionDate == "20020314");
  BOOST_TEST(r.payer.name == "RUSHMORE LIFE");
  BOOST_TEST(r.payer.city == "RAPID CITY");
  BOOST_TEST(r.payee.name == "ACME MEDICAL CENTER");
  BOOST_TEST(r.payee.idQualifier == "XX");
  BOOST_TEST(r.payee.id == "5544667733");
  BOOST_REQUIRE(r.claims.size() == 2u);

  const ClaimPayment& a = r.claims[0];
  BOOST_TEST(a.claimId == "5554555444");
  BOOST_TEST(a.status == "1");
  BOOST_TEST(a.chargeCents == 80000);
  BOOST_TEST(a.paidCents == 45000);
  BOOST_TEST(a.patientResponsibilityCents == 30000);
  BOOST_TEST(a.filingIndicator == "12");
  BOOST_TEST(a.payerClaimControl == "94060555410000");
  BOOST_REQUIRE(a.adjustments.size() == 1u);
  BOOST_TEST(a.adjustments[0].group == "CO");
  BOOST_TEST(a.adjustments[0].reason == "A2");
  BOOST_TEST(a.adjustments[0].amountCents == 5000);
  BOOST_REQUIRE(a.lines.size() == 1u);
  BOOST_TEST(a.lines[0].procedureCode == "99211");
  BOOST_TEST(a.lines[0].chargeCents == 80000);
  BOOST_TEST(a.lines[0].paidCents == 50000);
  BOOST_TEST(a.lines[0].units == 1.0);
  BOOST_TEST(a.lines[0].serviceDate == "20020301");
  BOOST_REQUIRE(a.lines[0].adjustments.size() == 1u);
  BOOST_TEST(a.lines[0].adjustments[0].group == "PR");
  BOOST_TEST(a.lines[0].adjustments[0].reason == "1");
  BOOST_TEST(a.lines[0].adjustments[0].amountCents == 30000);

  const ClaimPayment& b = r.claims[1];
  BOOST_TEST(b.claimId == "8765432112");
  BOOST_TEST(b.chargeCents == 120000);
  BOOST_TEST(b.paidCents == 49500);
  BOOST_TEST(b.patientResponsibilityCents == 60000);
  BOOST_REQUIRE(b.adjustments.size() == 1u);
  BOOST_TEST(b.adjustments[0].amountCents == 5500);
  BOOST_REQUIRE(b.lines.size() == 1u);
  BOOST_TEST(b.lines[0].procedureCode == "93555");
  BOOST_TEST(b.lines[0].paidCents == 55000);
  BOOST_REQUIRE(b.lines[0].adjustments.size() == 2u);
  BOOST_TEST(b.lines[0].adjustments[1].group == "CO");
  BOOST_TEST(b.lines[0].adjustments[1].reason == "45");
  BOOST_TEST(b.lines[0].adjustments[1].amountCents == 5000);

  BOOST_TEST(r.providerAdjustments.empty());
  // 800 - 450 = 50 (CO-A2) + 300 (PR-1); 1200 - 495 = 55 (CO-A2) + 600 (PR-1) + 50 (CO-45).
  BOOST_TEST(a.adjustmentCents() == 35000);
  BOOST_TEST(a.balanced());
  BOOST_TEST(b.adjustmentCents() == 70500);
  BOOST_TEST(b.balanced());
  BOOST_TEST(r.computedTotalCents() == 94500);  // 450.00 + 495.00
  BOOST_TEST(r.balanced());
  BOOST_TEST(f.balanced());
}

BOOST_AUTO_TEST_CASE(reads_the_medicare_part_a_example_with_its_plb) {
  RemittanceFile f = parse835(kMedicarePartA835);
  const Remittance& r = f.remittances.at(0);
  BOOST_TEST(r.handling == "C");
  BOOST_TEST(r.totalCents == 15000000);
  BOOST_TEST(r.payer.name == "INSURANCE COMPANY OF TIMBUCKTU");
  BOOST_TEST(r.payee.name == "REGIONAL HOPE HOSPITAL");
  BOOST_TEST(r.payee.id == "6543210903");
  BOOST_REQUIRE(r.claims.size() == 2u);
  BOOST_TEST(r.claims[0].claimId == "666123");
  BOOST_TEST(r.claims[0].chargeCents == 21136697);
  BOOST_TEST(r.claims[0].paidCents == 13801840);
  BOOST_TEST(r.claims[0].patientResponsibilityCents == 0);
  BOOST_TEST(r.claims[0].filingIndicator == "MA");
  BOOST_TEST(r.claims[0].adjustments.at(0).amountCents == 7334857);
  BOOST_TEST(r.claims[0].lines.empty());
  BOOST_TEST(r.claims[1].claimId == "777777");
  BOOST_TEST(r.claims[1].paidCents == 1198033);
  BOOST_TEST(r.claims[1].adjustments.at(0).reason == "45");
  BOOST_TEST(r.claims[1].adjustments.at(0).amountCents == 301967);
  BOOST_REQUIRE(r.providerAdjustments.size() == 1u);
  const ProviderAdjustment& p = r.providerAdjustments[0];
  BOOST_TEST(p.providerId == "6543210903");
  BOOST_TEST(p.fiscalPeriod == "20021231");
  BOOST_TEST(p.reason == "CV");
  BOOST_TEST(p.reference == "CP");
  BOOST_TEST(p.amountCents == -127);
  // 138018.40 + 11980.33 - (-1.27) = 150000.00
  BOOST_TEST(r.computedTotalCents() == 15000000);
  BOOST_TEST(r.balanced());
}

BOOST_AUTO_TEST_CASE(reads_the_cob_example_with_negative_line_adjustments) {
  const Remittance r = parse835(kCobContractual835).remittances.at(0);
  BOOST_TEST(r.totalCents == 3400);
  BOOST_TEST(r.paymentMethod == "CHK");
  BOOST_TEST(r.paymentDate == "20050318");
  BOOST_TEST(r.payee.idQualifier == "FI");
  BOOST_REQUIRE(r.claims.size() == 1u);
  const ClaimPayment& c = r.claims[0];
  BOOST_TEST(c.claimId == "0001000055");
  BOOST_TEST(c.status == "2");
  BOOST_TEST(c.chargeCents == 54100);
  BOOST_TEST(c.paidCents == 3400);
  BOOST_TEST(c.adjustments.empty());
  BOOST_REQUIRE(c.lines.size() == 1u);
  BOOST_TEST(c.lines[0].procedureCode == "55669");
  BOOST_TEST(c.lines[0].units == 1.0);
  BOOST_TEST(c.lines[0].serviceDate == "20050202");
  BOOST_REQUIRE(c.lines[0].adjustments.size() == 2u);
  BOOST_TEST(c.lines[0].adjustments[0].group == "OA");
  BOOST_TEST(c.lines[0].adjustments[0].reason == "23");
  BOOST_TEST(c.lines[0].adjustments[0].amountCents == 51600);
  BOOST_TEST(c.lines[0].adjustments[1].reason == "94");
  BOOST_TEST(c.lines[0].adjustments[1].amountCents == -900);
  BOOST_TEST(c.balanced());  // 541 - 34 = 516 - 9
  BOOST_TEST(r.balanced());
}

BOOST_AUTO_TEST_CASE(an_unbalanced_remittance_is_read_and_flagged) {
  // BPR says 954.00; the claims paid 945.00 and there is no PLB.
  RemittanceFile f = parse835(replaced(kManagedCare835, "BPR*I*945.00", "BPR*I*954.00"));
  BOOST_TEST(f.remittances.at(0).totalCents == 95400);
  BOOST_TEST(f.remittances.at(0).computedTotalCents() == 94500);
  BOOST_TEST(!f.remittances.at(0).balanced());
  BOOST_TEST(!f.balanced());
  // Without its PLB the Medicare example is 1.27 short of its BPR.
  std::string noPlb = replaced(kMedicarePartA835, "PLB*6543210903*20021231*CV:CP*-1.27~\n", "");
  noPlb = replaced(noPlb, "SE*28*", "SE*27*");
  BOOST_TEST(parse835(noPlb).remittances.at(0).computedTotalCents() == 14999873);
  BOOST_TEST(!parse835(noPlb).balanced());
  // A claim whose adjustments do not explain its unpaid charge (CO-A2 50.00 read as 5.00).
  const auto claim = parse835(replaced(kManagedCare835, "CAS*CO*A2*50.00", "CAS*CO*A2*5.00"))
                         .remittances.at(0)
                         .claims.at(0);
  BOOST_TEST(claim.adjustmentCents() == 30500);
  BOOST_TEST(!claim.balanced());
}

BOOST_AUTO_TEST_CASE(a_truncated_remittance_is_refused_with_the_segment_number) {
  std::string cut = kMedicarePartA835.substr(0, kMedicarePartA835.find("PLB*"));
  try {
    parse835(cut);
    BOOST_FAIL("parsed a truncated 835");
  } catch (const X12Error& e) {
    BOOST_TEST((e.kind() == X12ErrorKind::truncated));
    BOOST_TEST(e.segment() == 29u);  // 28 segments read; the 29th (PLB) never came
  }
}

BOOST_AUTO_TEST_CASE(content_out_of_place_is_refused) {
  // A CAS before any CLP (segment 11, after the payee).
  std::string early = replaced(kManagedCare835, "REF*TJ*777667755", "CAS*CO*45*1");
  try {
    parse835(early);
    BOOST_FAIL("parsed a CAS outside a claim");
  } catch (const X12Error& e) {
    BOOST_TEST((e.kind() == X12ErrorKind::content));
    BOOST_TEST(e.segment() == 11u);
  }
  BOOST_CHECK_THROW(parse835(replaced(kManagedCare835, "CAS*CO*A2*50.00", "CAS*XX*A2*50.00")),
                    X12Error);
  BOOST_CHECK_THROW(parse835(replaced(kManagedCare835, "*800.00*450.00*", "*800.00*4x0.00*")),
                    X12Error);
}

BOOST_AUTO_TEST_CASE(the_writer_reads_back_as_written) {
  Envelope e;
  e.senderId = "CLEARHOUSE";
  e.receiverId = "VIGILBOX01";
  e.date = "20261215";
  e.time = "0900";
  e.controlNumber = "5";
  e.groupControlNumber = "5";
  Remittance r;
  r.controlNumber = "0001";
  r.totalCents = 6546;
  r.paymentMethod = "ACH";
  r.paymentDate = "20261215";
  r.traceNumber = "EFT-9";
  r.originatorId = "1999999999";
  r.payer = {"VIGIL PAYER", "", "", "", "", "", ""};
  r.payee = {"RIVERSIDE CLINIC", "XX", "1234567893", "", "", "", ""};
  ClaimPayment c;
  c.claimId = "CLM-1001";
  c.status = "1";
  c.chargeCents = 9089;
  c.paidCents = 7271;
  c.patientResponsibilityCents = 1818;
  ServicePayment l;
  l.procedureCode = "99454";
  l.chargeCents = 9089;
  l.paidCents = 7271;
  l.serviceDate = "20261130";
  l.adjustments = {{"PR", "2", 1818, 0}};
  c.lines = {l};
  r.claims = {c};
  r.providerAdjustments = {{"1234567893", "20261231", "WO", "OVERPAY-1", 725}};
  std::string text = write835(e, r);
  BOOST_TEST(text.find("CLP*CLM-1001*1*90.89*72.71*18.18~") != std::string::npos);
  BOOST_TEST(text.find("CAS*PR*2*18.18~") != std::string::npos);
  BOOST_TEST(text.find("PLB*1234567893*20261231*WO:OVERPAY-1*7.25~") != std::string::npos);
  RemittanceFile back = parse835(text);
  const Remittance& b = back.remittances.at(0);
  BOOST_TEST(b.totalCents == 6546);
  BOOST_TEST(b.claims.at(0).lines.at(0).adjustments.at(0).amountCents == 1818);
  BOOST_TEST(b.providerAdjustments.at(0).amountCents == 725);
  BOOST_TEST(b.balanced());  // 72.71 - 7.25 = 65.46
}

BOOST_AUTO_TEST_SUITE_END()
