// vigil-devtool x12 parse, run as a child process on the public 835 examples (tests/x12) and on
// an 837P the writer made: JSON on stdout with the values read off the samples by hand; exit 2
// with the segment number for a truncated or malformed file.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <boost/test/unit_test.hpp>
#include <fstream>
#include <string>
#include <vector>

#include "../x12/sample_batch.hpp"
#include "../x12/x12_samples.hpp"
#include "vigil/testsupport/process.hpp"

namespace ts = vigil::testsupport;
using Poco::JSON::Array;
using Poco::JSON::Object;

namespace {

struct Parsed {
  int exitCode = -1;
  std::string out;
  std::string err;
};

Parsed x12parse(const std::string& text) {
  ts::TempDir dir("vigil-devtool-x12");
  { std::ofstream(dir.path() / "file.x12", std::ios::binary) << text; }
  ts::Process::Options o;
  o.args = {"x12", "parse", (dir.path() / "file.x12").string()};
  o.stdoutFile = dir.path() / "stdout";
  o.stderrFile = dir.path() / "stderr";
  ts::Process p(VIGIL_BINARY_DIR "/firmware-tools/vigil-devtool", o);
  const auto code = p.wait(std::chrono::seconds(30));
  BOOST_REQUIRE(code.has_value());
  return {*code, ts::readText(o.stdoutFile), ts::readText(o.stderrFile)};
}

Object::Ptr json(const std::string& s) {
  Poco::JSON::Parser parser;
  return parser.parse(s).extract<Object::Ptr>();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(X12Command_)

BOOST_AUTO_TEST_CASE(prints_an_835_with_claims_adjustments_plb_and_the_balance) {
  Parsed r = x12parse(vigil::x12test::kMedicarePartA835);
  BOOST_REQUIRE_MESSAGE(r.exitCode == 0, r.err);
  auto doc = json(r.out);
  BOOST_TEST(doc->getValue<std::string>("type") == "835");
  BOOST_TEST(doc->getValue<bool>("balanced"));
  BOOST_TEST(doc->getObject("envelope")->getValue<std::string>("controlNumber") == "000000907");
  auto t = doc->getArray("transactions")->getObject(0);
  BOOST_TEST(t->getObject("payment")->getValue<double>("total") == 150000.00);
  BOOST_TEST(t->getObject("payer")->getValue<std::string>("name") ==
             "INSURANCE COMPANY OF TIMBUCKTU");
  BOOST_TEST(t->getObject("payee")->getValue<std::string>("id") == "6543210903");
  auto claims = t->getArray("claims");
  BOOST_REQUIRE(claims->size() == 2u);
  BOOST_TEST(claims->getObject(0)->getValue<std::string>("id") == "666123");
  BOOST_TEST(claims->getObject(0)->getValue<double>("paid") == 138018.40);
  auto adj = claims->getObject(1)->getArray("adjustments")->getObject(0);
  BOOST_TEST(adj->getValue<std::string>("group") == "CO");
  BOOST_TEST(adj->getValue<std::string>("reason") == "45");
  BOOST_TEST(adj->getValue<double>("amount") == 3019.67);
  BOOST_TEST(adj->getValue<std::string>("level") == "claim");
  BOOST_TEST(claims->getObject(1)->getValue<bool>("balanced"));
  auto plb = t->getArray("plb")->getObject(0);
  BOOST_TEST(plb->getValue<std::string>("reason") == "CV");
  BOOST_TEST(plb->getValue<double>("amount") == -1.27);
  BOOST_TEST(t->getValue<bool>("balanced"));
}

BOOST_AUTO_TEST_CASE(line_level_adjustments_say_so_and_an_unbalanced_file_says_false) {
  Parsed r = x12parse(
      vigil::x12test::replaced(vigil::x12test::kManagedCare835, "BPR*I*945.00", "BPR*I*954.00"));
  BOOST_REQUIRE_MESSAGE(r.exitCode == 0, r.err);
  auto doc = json(r.out);
  BOOST_TEST(!doc->getValue<bool>("balanced"));
  auto claim = doc->getArray("transactions")->getObject(0)->getArray("claims")->getObject(1);
  BOOST_TEST(claim->getValue<double>("patientResponsibility") == 600.00);
  auto adjustments = claim->getArray("adjustments");
  BOOST_REQUIRE(adjustments->size() == 3u);  // CO-A2 (claim), PR-1 and CO-45 (line)
  BOOST_TEST(adjustments->getObject(0)->getValue<std::string>("level") == "claim");
  BOOST_TEST(adjustments->getObject(2)->getValue<std::string>("level") == "line");
  BOOST_TEST(adjustments->getObject(2)->getValue<std::string>("reason") == "45");
  auto line = claim->getArray("serviceLines")->getObject(0);
  BOOST_TEST(line->getValue<std::string>("procedureCode") == "93555");
  BOOST_TEST(line->getValue<double>("charge") == 1200.00);
  BOOST_TEST(line->getValue<double>("paid") == 550.00);
  BOOST_TEST(line->getValue<double>("units") == 1.0);
}

BOOST_AUTO_TEST_CASE(prints_an_837p_without_patient_names) {
  Parsed r = x12parse(vigil::x12::write837p(vigil::x12test::twoClaimBatch()));
  BOOST_REQUIRE_MESSAGE(r.exitCode == 0, r.err);
  auto doc = json(r.out);
  BOOST_TEST(doc->getValue<std::string>("type") == "837P");
  auto claims = doc->getArray("claims");
  BOOST_REQUIRE(claims->size() == 2u);
  BOOST_TEST(claims->getObject(0)->getValue<double>("charge") == 90.89);
  BOOST_TEST(claims->getObject(1)
                 ->getArray("serviceLines")
                 ->getObject(0)
                 ->getArray("modifiers")
                 ->getElement<std::string>(0) == "95");
  BOOST_TEST(r.out.find("DOE") == std::string::npos);
  BOOST_TEST(r.out.find("1EG4TE5MK72") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_truncated_or_malformed_file_exits_2_with_the_segment_number) {
  const std::string& s = vigil::x12test::kManagedCare835;
  Parsed cut = x12parse(s.substr(0, s.find("DTM*150*20020310")));
  BOOST_TEST(cut.exitCode == 2);
  BOOST_TEST(cut.out.empty());
  BOOST_TEST(cut.err.find("truncated: segment 24:") != std::string::npos, cut.err);
  Parsed bad = x12parse(vigil::x12test::replaced(s, "CAS*CO*45", "CAS_CO*45"));
  BOOST_TEST(bad.exitCode == 2);
  BOOST_TEST(bad.err.find("malformed: segment 27:") != std::string::npos, bad.err);
  Parsed count = x12parse(vigil::x12test::replaced(s, "SE*26*", "SE*25*"));
  BOOST_TEST(count.exitCode == 2);
  BOOST_TEST(count.err.find("segment 28") != std::string::npos, count.err);
  Parsed none = x12parse("not x12 at all");
  BOOST_TEST(none.exitCode == 2);
  BOOST_TEST(none.err.find("segment 1:") != std::string::npos, none.err);
}

BOOST_AUTO_TEST_SUITE_END()
