#define BOOST_TEST_MODULE firmware_tools
// vigil-devtool decode, run as a child process: JSON on stdout and exit 0 for good input; one
// line on stderr and exit 2 for bad input.
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <boost/test/unit_test.hpp>
#include <fstream>
#include <string>
#include <vector>

#include "vigil/testsupport/process.hpp"

namespace ts = vigil::testsupport;

namespace {

struct Run {
  int exitCode = -1;
  std::string out;
  std::string err;
};

Run devtool(const std::vector<std::string>& args) {
  ts::TempDir dir("vigil-devtool-test");
  ts::Process::Options o;
  o.args = args;
  o.stdoutFile = dir.path() / "stdout";
  o.stderrFile = dir.path() / "stderr";
  ts::Process p(VIGIL_BINARY_DIR "/firmware-tools/vigil-devtool", o);
  const auto code = p.wait(std::chrono::seconds(30));
  BOOST_REQUIRE(code.has_value());
  return {*code, ts::readText(o.stdoutFile), ts::readText(o.stderrFile)};
}

Poco::JSON::Object::Ptr parse(const std::string& s) {
  Poco::JSON::Parser parser;
  return parser.parse(s).extract<Poco::JSON::Object::Ptr>();
}

Poco::JSON::Object::Ptr reading(const Poco::JSON::Object::Ptr& doc, unsigned i) {
  return doc->getArray("readings")->getObject(i);
}

void requireInvalid(const Run& r, const std::string& mention) {
  BOOST_TEST(r.exitCode == 2);
  BOOST_TEST(r.out.empty());
  BOOST_TEST(!r.err.empty());
  BOOST_TEST(r.err.find('\n') == r.err.size() - 1, "exactly one line on stderr: " << r.err);
  BOOST_TEST(r.err.find(mention) != std::string::npos, r.err);
}

struct PayloadFile {
  ts::TempDir dir{"vigil-devtool-payload"};
  std::string path;
  explicit PayloadFile(const std::string& text) : path((dir.path() / "payload.json").string()) {
    std::ofstream(path) << text;
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(DecodeCommand)

BOOST_AUTO_TEST_CASE(decodes_blood_pressure_hex_to_json) {
  const auto r = devtool({"decode", "--characteristic", "2A35", "--hex",
                          "1E 78 00 50 00 5D 00 E4 07 0B 1D 0A 0F 00 48 00 01 04 00"});
  BOOST_TEST(r.exitCode == 0);
  BOOST_TEST(r.err.empty());
  const auto doc = parse(r.out);
  const auto bp = reading(doc, 0);
  BOOST_TEST(bp->getValue<std::string>("kind") == "blood_pressure");
  BOOST_TEST(bp->getValue<std::string>("loinc") == "85354-9");
  BOOST_TEST(bp->getValue<std::string>("unit") == "mm[Hg]");
  BOOST_TEST(bp->getObject("components")->getValue<double>("systolic") == 120.0);
  BOOST_TEST(bp->getObject("components")->getValue<double>("diastolic") == 80.0);
  BOOST_TEST(bp->getValue<std::string>("time") == "2020-11-29T10:15:00");
  BOOST_TEST(bp->getArray("flags")->getElement<std::string>(0) == "irregular_pulse");
  const auto hr = reading(doc, 1);
  BOOST_TEST(hr->getValue<std::string>("loinc") == "8867-4");
  BOOST_TEST(hr->getValue<double>("value") == 72.0);
}

BOOST_AUTO_TEST_CASE(hex_accepts_either_case_with_or_without_spaces) {
  const auto a = devtool({"decode", "--characteristic", "2a1c", "--hex", "06FF0003d1"});
  BOOST_TEST(a.exitCode == 2);  // one byte short of a FLOAT plus type: truncated
  const auto upper = devtool({"decode", "--characteristic", "2A1C", "--hex", "05D10300FF03"});
  const auto lower =
      devtool({"decode", "--characteristic", "0x2a1c", "--hex", "05 d1 03 00 ff 03"});
  BOOST_TEST(upper.exitCode == 0);
  BOOST_TEST(upper.out == lower.out);
  const auto t = reading(parse(upper.out), 0);
  BOOST_TEST(t->getValue<double>("value") == 36.5, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(t->getObject("original")->getValue<std::string>("unit") == "[degF]");
}

BOOST_AUTO_TEST_CASE(special_values_print_as_null_with_the_special_named) {
  const auto r = devtool({"decode", "--characteristic", "2A5E", "--hex", "00 FF 07 48 00"});
  BOOST_TEST(r.exitCode == 0);
  const auto spo2 = reading(parse(r.out), 0);
  BOOST_TEST(spo2->isNull("value"));
  BOOST_TEST(spo2->getValue<std::string>("special") == "NaN");
}

BOOST_AUTO_TEST_CASE(bad_input_exits_2_with_one_line_saying_why) {
  requireInvalid(devtool({"decode", "--characteristic", "2A35", "--hex", "1E 78 00"}), "diastolic");
  requireInvalid(devtool({"decode", "--characteristic", "2A35", "--hex", "E0 78 00 50 00 5D 00"}),
                 "reserved_flags");
  requireInvalid(devtool({"decode", "--characteristic", "2A35", "--hex", "1G"}), "--hex");
  requireInvalid(devtool({"decode", "--characteristic", "2A35", "--hex", "123"}), "--hex");
  requireInvalid(devtool({"decode", "--characteristic", "2A00", "--hex", "00"}), "2A00");
  requireInvalid(devtool({"decode", "--characteristic", "pressure", "--hex", "00"}),
                 "--characteristic");
  requireInvalid(devtool({"decode", "--hex", "00"}), "--characteristic");
  requireInvalid(devtool({"decode", "--frobnicate"}), "--frobnicate");
  requireInvalid(devtool({"decode", "--characteristic"}), "needs a value");
}

BOOST_AUTO_TEST_CASE(decodes_a_readings_payload_file) {
  PayloadFile f(R"({"v":1,"seq":7,"readings":[{"kind":"spo2","unit":"%","value":96,)"
                R"("time":"2026-11-29T10:00:00Z"}]})");
  const auto r = devtool({"decode", "--payload", f.path});
  BOOST_TEST(r.exitCode == 0, r.err);
  const auto doc = parse(r.out);
  BOOST_TEST(doc->getValue<int>("seq") == 7);
  BOOST_TEST(reading(doc, 0)->getValue<std::string>("loinc") == "59408-5");
  BOOST_TEST(reading(doc, 0)->getValue<std::string>("time") == "2026-11-29T10:00:00Z");
}

BOOST_AUTO_TEST_CASE(decodes_a_gatt_payload_file) {
  PayloadFile f(R"({"v":1,"seq":8,"characteristic":"2A37","data":"FkgBBAAC",)"
                R"("address":"C4:7C:8D:6A:12:34","received":"2026-11-29T10:00:00Z"})");
  const auto r = devtool({"decode", "--payload", f.path, "--topic", "gatt"});
  BOOST_TEST(r.exitCode == 0, r.err);
  const auto doc = parse(r.out);
  BOOST_TEST(doc->getValue<std::string>("characteristic") == "2A37");
  BOOST_TEST(reading(doc, 0)->getValue<double>("value") == 72.0);
  BOOST_TEST(doc->getArray("readings")->size() == 3U);
}

BOOST_AUTO_TEST_CASE(invalid_payload_names_the_field) {
  PayloadFile f(R"({"v":1,"seq":7,"readings":[{"kind":"spo2","unit":"percent","value":96}]})");
  requireInvalid(devtool({"decode", "--payload", f.path}), "readings[0].unit");
  PayloadFile big(std::string(70 * 1024, ' '));
  requireInvalid(devtool({"decode", "--payload", big.path}), "oversized");
  requireInvalid(devtool({"decode", "--payload", "/nonexistent/payload.json"}), "cannot read");
  requireInvalid(devtool({"decode", "--payload", f.path, "--topic", "nope"}), "--topic");
}

BOOST_AUTO_TEST_CASE(dispatcher_help_version_and_unknown_command) {
  const auto help = devtool({"--help"});
  BOOST_TEST(help.exitCode == 0);
  BOOST_TEST(help.out.find("decode") != std::string::npos);
  const auto version = devtool({"--version"});
  BOOST_TEST(version.exitCode == 0);
  BOOST_TEST(version.out.find("vigil-devtool ") == 0U);
  BOOST_TEST(devtool({"decode", "--help"}).exitCode == 0);
  requireInvalid(devtool({"fly"}), "unknown command");
  BOOST_TEST(devtool({}).exitCode == 2);
}

BOOST_AUTO_TEST_SUITE_END()
