// Writes the 837P files the conformance test (conformance_837p.test.mjs) reads back with an
// independent parser: `x12_sample_837p DIR` makes DIR/one-claim.837 (oneClaimBatch),
// DIR/two-claims.837 (twoClaimBatch: a dependent patient, modifier 95) and DIR/full.837 (the
// most the writer puts in one claim: 12 diagnosis codes, 4 modifiers, 4 pointers, 50 lines,
// fractional units, an e-mail and a phone for the contact).
#include <cstdio>
#include <fstream>
#include <string>

#include "sample_batch.hpp"

namespace {

vigil::x12::ClaimBatch fullBatch() {
  using namespace vigil::x12;
  ClaimBatch b = vigil::x12test::twoClaimBatch();
  b.submitter.email = "billing@riverside.example";
  b.envelope.controlNumber = "123456789";
  b.batchId = "FULL-1";
  Claim& c = b.claims[0];
  c.diagnosisCodes = {"E119", "I10",  "E785", "I5030", "N183", "E6601",
                      "R030", "I480", "J449", "E039",  "M810", "Z7984"};
  c.lines.clear();
  c.totalChargeCents = 0;
  for (int i = 0; i < 50; ++i) {
    ServiceLine l;
    l.procedureCode = i % 2 == 0 ? "99458" : "G2012";
    l.modifiers = {"95", "GT", "25", "59"};
    l.chargeCents = 3849 + i;
    l.units = i == 7 ? 1.5 : 1;
    l.serviceDate = "20261130";
    l.diagnosisPointers = {1 + i % 12, 2, 3, 4};
    l.lineControl = "L" + std::to_string(i + 1);
    c.totalChargeCents += l.chargeCents;
    c.lines.push_back(l);
  }
  c.placeOfService = "02";
  c.frequency = '7';
  return b;
}

bool write(const std::string& path, const vigil::x12::ClaimBatch& b) {
  std::ofstream out(path, std::ios::binary);
  out << vigil::x12::write837p(b);
  return static_cast<bool>(out);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: x12_sample_837p DIR\n");
    return 2;
  }
  std::string dir = argv[1];
  bool ok = write(dir + "/one-claim.837", vigil::x12test::oneClaimBatch()) &&
            write(dir + "/two-claims.837", vigil::x12test::twoClaimBatch()) &&
            write(dir + "/full.837", fullBatch());
  return ok ? 0 : 1;
}
