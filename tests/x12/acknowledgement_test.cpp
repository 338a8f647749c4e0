// The 999 and 277CA writers (expected text by hand from 005010X231A1 and 005010X214) and
// readers.
#include "vigil/x12/acknowledgement.hpp"

#include <boost/test/unit_test.hpp>

using namespace vigil::x12;

namespace {

Envelope clearinghouseEnvelope() {
  Envelope e;
  e.senderId = "CLEARHOUSE";
  e.receiverId = "VIGILBOX01";
  e.date = "20261206";
  e.time = "1531";
  e.controlNumber = "301";
  e.groupControlNumber = "301";
  return e;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(Acknowledgements_)

BOOST_AUTO_TEST_CASE(a_999_accepting_one_set) {
  Acknowledgement999 a;
  a.envelope = clearinghouseEnvelope();
  a.groupControlNumber = "17";
  a.groupVersion = "005010X222A1";
  a.groupCode = "A";
  a.setsIncluded = a.setsReceived = a.setsAccepted = 1;
  SetAcknowledgement s;
  s.setId = "837";
  s.controlNumber = "0001";
  s.version = "005010X222A1";
  s.code = "A";
  a.sets = {s};
  const std::string text = write999(a);
  const std::string body =
      "ST*999*0001*005010X231A1~\n"
      "AK1*HC*17*005010X222A1~\n"
      "AK2*837*0001*005010X222A1~\n"
      "IK5*A~\n"
      "AK9*A*1*1*1~\n"
      "SE*6*0001~\n";
  BOOST_TEST(text.find(body) != std::string::npos, text);
  BOOST_TEST(text.find("GS*FA*CLEARHOUSE*VIGILBOX01*20261206*1531*301*X*005010X231A1~") !=
             std::string::npos);
  Acknowledgement999 back = parse999(text);
  BOOST_TEST(back.groupControlNumber == "17");
  BOOST_TEST(back.groupCode == "A");
  BOOST_TEST(back.setsAccepted == 1u);
  BOOST_REQUIRE(back.sets.size() == 1u);
  BOOST_TEST(back.sets[0].controlNumber == "0001");
  BOOST_TEST(back.sets[0].accepted());
}

BOOST_AUTO_TEST_CASE(a_999_rejecting_a_set_names_the_segment_and_element) {
  Acknowledgement999 a;
  a.envelope = clearinghouseEnvelope();
  a.groupControlNumber = "18";
  a.groupVersion = "005010X222A1";
  a.groupCode = "R";
  a.setsIncluded = a.setsReceived = 1;
  SetAcknowledgement s;
  s.setId = "837";
  s.controlNumber = "0001";
  s.code = "R";
  s.errorCodes = {"5"};
  s.segmentErrors = {{"NM1", 14, "2010BA", "8", "9", "1"}};
  a.sets = {s};
  const std::string text = write999(a);
  BOOST_TEST(text.find("AK2*837*0001~\nIK3*NM1*14*2010BA*8~\nIK4*9**1~\nIK5*R*5~\nAK9*R*1*1*0~") !=
             std::string::npos);
  Acknowledgement999 back = parse999(text);
  BOOST_TEST(!back.sets.at(0).accepted());
  BOOST_TEST(back.sets.at(0).errorCodes == (std::vector<std::string>{"5"}));
  BOOST_TEST(back.sets.at(0).segmentErrors.at(0).segmentId == "NM1");
  BOOST_TEST(back.sets.at(0).segmentErrors.at(0).position == 14u);
  BOOST_TEST(back.sets.at(0).segmentErrors.at(0).elementCode == "1");
}

BOOST_AUTO_TEST_CASE(a_277ca_accepting_one_claim_and_rejecting_another) {
  ClaimStatusReport r;
  r.envelope = clearinghouseEnvelope();
  r.batchId = "B2026120601";
  r.createdDate = "20261206";
  r.sourceName = "VIGIL CLEARINGHOUSE";
  r.sourceId = "CLEARHOUSE";
  r.receiverName = "RIVERSIDE CLINIC";
  r.receiverId = "SUB123";
  r.providerName = "RIVERSIDE CLINIC";
  r.providerNpi = "1234567893";
  ClaimAcknowledgement ok;
  ok.claimId = "CLM-1001";
  ok.accepted = true;
  ok.category = "A2";
  ok.statusCode = "20";
  ok.chargeCents = 9089;
  ok.payerClaimControl = "PCN-1";
  ok.serviceDate = "20261130";
  ok.patientLastName = "DOE";
  ok.patientFirstName = "JANE";
  ok.memberId = "1EG4TE5MK72";
  ClaimAcknowledgement bad;
  bad.claimId = "CLM-1002";
  bad.category = "A7";
  bad.statusCode = "21";
  bad.entityCode = "IL";
  bad.chargeCents = 9100;
  bad.patientLastName = "ROE";
  r.claims = {ok, bad};
  const std::string text = write277ca(r);
  const std::string body =
      "ST*277*0001*005010X214~\n"
      "BHT*0085*08*B2026120601*20261206*1531*TH~\n"
      "HL*1**20*1~\n"
      "NM1*AY*2*VIGIL CLEARINGHOUSE*****46*CLEARHOUSE~\n"
      "TRN*1*B2026120601~\n"
      "DTP*050*D8*20261206~\n"
      "DTP*009*D8*20261206~\n"
      "HL*2*1*21*1~\n"
      "NM1*41*2*RIVERSIDE CLINIC*****46*SUB123~\n"
      "TRN*2*B2026120601~\n"
      "STC*A1:19:PR*20261206*WQ*181.89~\n"
      "QTY*90*1~\n"
      "QTY*AA*1~\n"
      "AMT*YU*90.89~\n"
      "AMT*YY*91~\n"
      "HL*3*2*19*1~\n"
      "NM1*85*2*RIVERSIDE CLINIC*****XX*1234567893~\n"
      "TRN*1*0~\n"
      "HL*4*3*PT~\n"
      "NM1*QC*1*DOE*JANE****MI*1EG4TE5MK72~\n"
      "TRN*2*CLM-1001~\n"
      "STC*A2:20*20261206*WQ*90.89~\n"
      "REF*1K*PCN-1~\n"
      "DTP*472*D8*20261130~\n"
      "HL*5*3*PT~\n"
      "NM1*QC*1*ROE~\n"
      "TRN*2*CLM-1002~\n"
      "STC*A7:21:IL*20261206*U*91~\n"
      "SE*29*0001~\n";
  BOOST_TEST(text.find(body) != std::string::npos, text);
  ClaimStatusReport back = parse277ca(text);
  BOOST_TEST(back.batchId == "B2026120601");
  BOOST_TEST(back.providerNpi == "1234567893");
  BOOST_REQUIRE(back.claims.size() == 2u);
  BOOST_TEST(back.claims[0].claimId == "CLM-1001");
  BOOST_TEST(back.claims[0].accepted);
  BOOST_TEST(back.claims[0].payerClaimControl == "PCN-1");
  BOOST_TEST(back.claims[0].chargeCents == 9089);
  BOOST_TEST(back.claims[1].claimId == "CLM-1002");
  BOOST_TEST(!back.claims[1].accepted);
  BOOST_TEST(back.claims[1].category == "A7");
  BOOST_TEST(back.claims[1].statusCode == "21");
  BOOST_TEST(back.claims[1].entityCode == "IL");
}

BOOST_AUTO_TEST_SUITE_END()
