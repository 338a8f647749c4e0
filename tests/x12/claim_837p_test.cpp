// The 837P writer: a one-claim batch written exactly as the implementation guide's segments
// (the expected text below is written by hand from 005010X222A1's loop order), the checks that
// refuse an incomplete model, and the reader giving the model back.
#include "vigil/x12/claim_837p.hpp"

#include <boost/test/unit_test.hpp>

#include "sample_batch.hpp"

using namespace vigil::x12;
using namespace vigil::x12test;

namespace {

std::string refusalOf(const ClaimBatch& b) {
  try {
    write837p(b);
  } catch (const X12Error& e) {
    BOOST_TEST((e.kind() == X12ErrorKind::model));
    return e.what();
  }
  return "";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(Claim837p_)

BOOST_AUTO_TEST_CASE(writes_a_claim_in_the_guides_loop_order) {
  const std::string expected =
      "ISA*00*          *00*          *ZZ*VIGILBOX01     *ZZ*CLEARHOUSE     "
      "*261206*1530*^*00501*000000017*0*T*:~\n"
      "GS*HC*VIGILBOX01*CLEARHOUSE*20261206*1530*17*X*005010X222A1~\n"
      "ST*837*0001*005010X222A1~\n"
      "BHT*0019*00*B2026120601*20261206*1530*CH~\n"
      "NM1*41*2*RIVERSIDE CLINIC*****46*SUB123~\n"
      "PER*IC*BILLING OFFICE*TE*5555550100~\n"
      "NM1*40*2*VIGIL CLEARINGHOUSE*****46*CLEARHOUSE~\n"
      "HL*1**20*1~\n"
      "PRV*BI*PXC*207Q00000X~\n"
      "NM1*85*2*RIVERSIDE CLINIC*****XX*1234567893~\n"
      "N3*100 MAIN ST~\n"
      "N4*SACRAMENTO*CA*958141234~\n"
      "REF*EI*123456789~\n"
      "HL*2*1*22*0~\n"
      "SBR*P*18*******MB~\n"
      "NM1*IL*1*DOE*JANE****MI*1EG4TE5MK72~\n"
      "N3*12 OAK AVE~\n"
      "N4*SACRAMENTO*CA*95814~\n"
      "DMG*D8*19450312*F~\n"
      "NM1*PR*2*MEDICARE JURISDICTION E*****PI*01112~\n"
      "CLM*CLM-1001*90.89***10:B:1*Y*A*Y*Y~\n"
      "HI*ABK:E119*ABF:I10~\n"
      "NM1*82*1*SMITH*ANNA****XX*1245319599~\n"
      "LX*1~\n"
      "SV1*HC:99454*43.02*UN*1***1~\n"
      "DTP*472*D8*20261130~\n"
      "LX*2~\n"
      "SV1*HC:99457*47.87*UN*1***1:2~\n"
      "DTP*472*D8*20261130~\n"
      "SE*28*0001~\n"
      "GE*1*17~\n"
      "IEA*1*000000017~\n";
  BOOST_TEST(write837p(oneClaimBatch()) == expected);
}

BOOST_AUTO_TEST_CASE(a_dependent_patient_gets_a_patient_level_and_modifiers_are_written) {
  std::string text = write837p(twoClaimBatch());
  BOOST_TEST(text.find("HL*3*1*22*1~\nSBR*P********CI~\nNM1*IL*1*ROE*RICHARD****MI*XYZ123456789~\n"
                       "NM1*PR*2*BLUE PLAN OF NEVADA*****PI*NV001~\nHL*4*3*23*0~\nPAT*19~\n"
                       "NM1*QC*1*ROE*SAM~\nN3*8 ELM ST*APT 2~\nN4*RENO*NV*89501~\n"
                       "DMG*D8*20120704*M~\nCLM*CLM-1002*91***10:B:1*Y*A*Y*Y~\nHI*ABK:J029~\n"
                       "LX*1~\nSV1*HC:99213:95*91*UN*1***1~\nDTP*472*D8*20261202~\n"
                       "REF*6R*LINE-77~\nSE*44*0001~") != std::string::npos);
  // The rendering provider is the billing provider: no 2310B for the second claim.
  BOOST_TEST(text.find("NM1*82") == text.rfind("NM1*82"));
}

BOOST_AUTO_TEST_CASE(reads_back_what_it_wrote) {
  ClaimBatch in = twoClaimBatch();
  ClaimBatch out = parse837p(write837p(in));
  BOOST_TEST(out.batchId == "B2026120601");
  BOOST_TEST(out.envelope.senderId == "VIGILBOX01");
  BOOST_TEST(out.envelope.controlNumber == "000000017");
  BOOST_TEST(out.submitter.id == "SUB123");
  BOOST_TEST(out.submitter.phone == "5555550100");
  BOOST_TEST(out.billingProvider.npi == "1234567893");
  BOOST_TEST(out.billingProvider.taxonomy == "207Q00000X");
  BOOST_TEST(out.billingProvider.taxId == "123456789");
  BOOST_TEST(out.billingProvider.address.zip == "958141234");
  BOOST_REQUIRE(out.claims.size() == 2u);
  const Claim& a = out.claims[0];
  BOOST_TEST(a.claimId == "CLM-1001");
  BOOST_TEST(a.totalChargeCents == 9089);
  BOOST_TEST(a.placeOfService == "10");
  BOOST_TEST(a.diagnosisCodes == (std::vector<std::string>{"E119", "I10"}));
  BOOST_TEST(a.subscriber.memberId == "1EG4TE5MK72");
  BOOST_TEST(a.subscriber.birthDate == "19450312");
  BOOST_TEST(a.subscriber.address.city == "SACRAMENTO");
  BOOST_TEST(a.payer.id == "01112");
  BOOST_TEST(a.claimFilingIndicator == "MB");
  BOOST_TEST(a.renderingProviderNpi == "1245319599");
  BOOST_TEST(!a.patient.has_value());
  BOOST_REQUIRE(a.lines.size() == 2u);
  BOOST_TEST(a.lines[1].procedureCode == "99457");
  BOOST_TEST(a.lines[1].chargeCents == 4787);
  BOOST_TEST(a.lines[1].diagnosisPointers == (std::vector<int>{1, 2}));
  BOOST_TEST(a.lines[1].serviceDate == "20261130");
  const Claim& b = out.claims[1];
  BOOST_TEST(b.claimId == "CLM-1002");
  BOOST_TEST(b.subscriber.memberId == "XYZ123456789");
  BOOST_REQUIRE(b.patient.has_value());
  BOOST_TEST(b.patient->firstName == "SAM");
  BOOST_TEST(b.patient->address.line2 == "APT 2");
  BOOST_TEST(b.patientRelationship == "19");
  BOOST_TEST(b.payer.name == "BLUE PLAN OF NEVADA");
  BOOST_TEST(b.lines.at(0).modifiers == (std::vector<std::string>{"95"}));
  BOOST_TEST(b.lines.at(0).lineControl == "LINE-77");
}

BOOST_AUTO_TEST_CASE(refuses_what_the_guide_requires_and_the_model_lacks) {
  auto with = [](auto change) {
    ClaimBatch b = twoClaimBatch();
    change(b);
    return refusalOf(b);
  };
  BOOST_TEST(with([](ClaimBatch& b) {
               b.claims[0].subscriber.memberId.clear();
             }).find("claims[0].subscriber.memberId is required") != std::string::npos);
  BOOST_TEST(with([](ClaimBatch& b) {
               b.billingProvider.npi = "1234567890";
             }).find("billingProvider.npi") != std::string::npos);
  BOOST_TEST(with([](ClaimBatch& b) {
               b.billingProvider.address.zip = "95814";
             }).find("must be 9 digits") != std::string::npos);
  BOOST_TEST(with([](ClaimBatch& b) {
               b.claims[0].totalChargeCents = 9000;
             }).find("sum of the line charges") != std::string::npos);
  BOOST_TEST(with([](ClaimBatch& b) {
               b.claims[0].placeOfService = "99";
             }).find("placeOfService") != std::string::npos);
  BOOST_TEST(with([](ClaimBatch& b) {
               b.claims[0].diagnosisCodes = {"E11.9"};
             }).find("without the dot") != std::string::npos);
  BOOST_TEST(with([](ClaimBatch& b) {
               b.claims[0].lines[1].diagnosisPointers = {3};
             }).find("diagnosisPointers") != std::string::npos);
  BOOST_TEST(with([](ClaimBatch& b) { b.claims[1].claimId = "CLM-1001"; }).find("not unique") !=
             std::string::npos);
  BOOST_TEST(with([](ClaimBatch& b) {
               b.claims[0].subscriber.lastName = "O*BRIEN";
             }).find("separator") != std::string::npos);
  BOOST_TEST(with([](ClaimBatch& b) {
               b.claims[1].patientRelationship = "18";
             }).find("patientRelationship") != std::string::npos);
  BOOST_TEST(with([](ClaimBatch& b) { b.claims[0].lines.clear(); }).find("1-50 lines") !=
             std::string::npos);
  BOOST_TEST(with([](ClaimBatch& b) {
               b.claims[0].lines[0].serviceDate = "2026-11-30";
             }).find("serviceDate") != std::string::npos);
  // The refusal names the field, never the value.
  BOOST_TEST(with([](ClaimBatch& b) {
               b.claims[0].subscriber.lastName = "O*BRIEN";
             }).find("BRIEN") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(npi_check_digits) {
  BOOST_TEST(validNpi("1234567893"));
  BOOST_TEST(validNpi("1245319599"));
  BOOST_TEST(validNpi("1306849450"));
  BOOST_TEST(!validNpi("1234567890"));
  BOOST_TEST(!validNpi("123456789"));
  BOOST_TEST(!validNpi("12345678AB"));
}

BOOST_AUTO_TEST_CASE(a_claim_before_its_subscriber_is_refused_as_content) {
  std::string text = write837p(oneClaimBatch());
  // Drop the subscriber level's HL: the CLM now sits under the billing provider.
  auto at = text.find("HL*2*1*22*0~\n");
  text.erase(at, 13);
  text.replace(text.find("SE*28*"), 6, "SE*27*");
  try {
    parse837p(text);
    BOOST_FAIL("read a claim without its subscriber");
  } catch (const X12Error& e) {
    BOOST_TEST((e.kind() == X12ErrorKind::content));
    BOOST_TEST(e.segment() == 14u);  // SBR, now under HL 20
  }
}

BOOST_AUTO_TEST_SUITE_END()
