#pragma once
// Claim batches for the tests: a Medicare RPM claim (the patient is the subscriber, place of
// service 10) and, in twoClaimBatch, a commercial video-visit claim for a dependent (modifier 95).
// Names, member ids and addresses are made up; the NPIs are the registry's test NPIs
// (docs/cloud-api.md) with valid check digits.
#include "vigil/x12/claim_837p.hpp"

namespace vigil::x12test {

inline vigil::x12::ClaimBatch oneClaimBatch() {
  using namespace vigil::x12;
  ClaimBatch b;
  b.envelope.senderId = "VIGILBOX01";
  b.envelope.receiverId = "CLEARHOUSE";
  b.envelope.date = "20261206";
  b.envelope.time = "1530";
  b.envelope.controlNumber = "17";
  b.envelope.groupControlNumber = "17";
  b.envelope.usage = 'T';
  b.transactionControlNumber = "0001";
  b.batchId = "B2026120601";
  b.submitter = {"RIVERSIDE CLINIC", "SUB123", "BILLING OFFICE", "5555550100", ""};
  b.receiver = {"VIGIL CLEARINGHOUSE", "CLEARHOUSE"};
  b.billingProvider = {"RIVERSIDE CLINIC",
                       "1234567893",
                       "207Q00000X",
                       "123456789",
                       {"100 MAIN ST", "", "SACRAMENTO", "CA", "958141234"}};
  Claim c;
  c.claimId = "CLM-1001";
  c.totalChargeCents = 9089;
  c.placeOfService = "10";
  c.diagnosisCodes = {"E119", "I10"};
  c.claimFilingIndicator = "MB";
  c.subscriber = {"DOE",
                  "JANE",
                  "",
                  "1EG4TE5MK72",
                  "19450312",
                  'F',
                  {"12 OAK AVE", "", "SACRAMENTO", "CA", "95814"}};
  c.payer = {"MEDICARE JURISDICTION E", "01112"};
  c.renderingProviderNpi = "1245319599";
  c.renderingLastName = "SMITH";
  c.renderingFirstName = "ANNA";
  ServiceLine supply;
  supply.procedureCode = "99454";
  supply.chargeCents = 4302;
  supply.serviceDate = "20261130";
  ServiceLine management;
  management.procedureCode = "99457";
  management.chargeCents = 4787;
  management.serviceDate = "20261130";
  management.diagnosisPointers = {1, 2};
  c.lines = {supply, management};
  b.claims.push_back(c);
  return b;
}

inline vigil::x12::ClaimBatch twoClaimBatch() {
  using namespace vigil::x12;
  ClaimBatch b = oneClaimBatch();
  Claim c;
  c.claimId = "CLM-1002";
  c.totalChargeCents = 9100;
  c.placeOfService = "10";
  c.diagnosisCodes = {"J029"};
  c.claimFilingIndicator = "CI";
  c.subscriber = {"ROE", "RICHARD", "", "XYZ123456789", "", 'U', {}};
  c.patient =
      Person{"ROE", "SAM", "", "", "20120704", 'M', {"8 ELM ST", "APT 2", "RENO", "NV", "89501"}};
  c.patientRelationship = "19";
  c.payer = {"BLUE PLAN OF NEVADA", "NV001"};
  c.renderingProviderNpi = "1234567893";  // the billing provider's own: no 2310B
  ServiceLine visit;
  visit.procedureCode = "99213";
  visit.modifiers = {"95"};
  visit.chargeCents = 9100;
  visit.serviceDate = "20261202";
  visit.lineControl = "LINE-77";
  c.lines = {visit};
  b.claims.push_back(c);
  return b;
}

}  // namespace vigil::x12test
