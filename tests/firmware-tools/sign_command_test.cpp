// vigil-devtool sign / verify (issue 27), run as child processes: keygen, sign, verify, and the
// refusals a box must make before installing or serving anything: a key it does not trust, a
// flipped byte, a signature file whose key id names another (trusted) key, another purpose.
#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "vigil/testsupport/process.hpp"

namespace ts = vigil::testsupport;

namespace {

struct Run {
  int exitCode = -1;
  std::string out, err;
};

Run devtool(const ts::TempDir& dir, std::vector<std::string> args) {
  ts::Process::Options o;
  o.args = std::move(args);
  o.stdoutFile = dir.path() / "stdout";
  o.stderrFile = dir.path() / "stderr";
  ts::Process p(VIGIL_BINARY_DIR "/firmware-tools/vigil-devtool", o);
  auto code = p.wait(std::chrono::seconds(30));
  BOOST_REQUIRE(code.has_value());
  return {*code, ts::readText(o.stdoutFile), ts::readText(o.stderrFile)};
}

std::string idOf(const std::filesystem::path& pub) {
  auto text = ts::readText(pub);
  auto at = text.find("id: ");
  return text.substr(at + 4, 16);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(SignCommand)

BOOST_AUTO_TEST_CASE(sign_then_verify_and_every_refusal) {
  ts::TempDir dir("vigil-devtool-sign");
  const auto p = [&](const char* name) { return (dir.path() / name).string(); };
  BOOST_REQUIRE_EQUAL(devtool(dir, {"sign", "keygen", "--out", p("release")}).exitCode, 0);
  BOOST_REQUIRE_EQUAL(devtool(dir, {"sign", "keygen", "--out", p("other")}).exitCode, 0);
  BOOST_TEST(((std::filesystem::status(p("release.key")).permissions() &
               std::filesystem::perms::others_read) == std::filesystem::perms::none));
  // keygen never overwrites a key.
  BOOST_TEST(devtool(dir, {"sign", "keygen", "--out", p("release")}).exitCode != 0);
  {
    std::ofstream f(p("fw.bin"), std::ios::binary);
    for (int i = 0; i < 70000; ++i) f.put(static_cast<char>(i * 31));
  }
  auto signedRun =
      devtool(dir, {"sign", "--key", p("release.key"), "--purpose", "firmware", p("fw.bin")});
  BOOST_REQUIRE_MESSAGE(signedRun.exitCode == 0, signedRun.err);
  BOOST_TEST(std::filesystem::exists(p("fw.bin.sig")));

  auto ok =
      devtool(dir, {"verify", "--trusted", p("release.pub"), "--purpose", "firmware", p("fw.bin")});
  BOOST_TEST(ok.exitCode == 0, ok.err);
  BOOST_TEST(ok.out.find(idOf(p("release.pub"))) != std::string::npos);

  // Signed by a key that is not trusted.
  auto untrusted =
      devtool(dir, {"verify", "--trusted", p("other.pub"), "--purpose", "firmware", p("fw.bin")});
  BOOST_TEST(untrusted.exitCode == 1);
  BOOST_TEST(untrusted.err.find("refused (untrusted_key)") != std::string::npos);

  // One flipped byte.
  std::filesystem::copy_file(p("fw.bin"), p("fw2.bin"));
  {
    std::fstream f(p("fw2.bin"), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(1234);
    f.put('\xff');
  }
  auto flipped = devtool(dir, {"verify", "--trusted", p("release.pub"), "--purpose", "firmware",
                               "--sig", p("fw.bin.sig"), p("fw2.bin")});
  BOOST_TEST(flipped.exitCode == 1);
  BOOST_TEST(flipped.err.find("refused (digest_mismatch)") != std::string::npos);

  // The key id edited to another key the box trusts: that key did not sign it.
  auto sig = ts::readText(p("fw.bin.sig"));
  sig.replace(sig.find(idOf(p("release.pub"))), 16, idOf(p("other.pub")));
  { std::ofstream(p("wrong-id.sig"), std::ios::binary) << sig; }
  auto wrongId = devtool(dir, {"verify", "--trusted", p("release.pub"), "--trusted", p("other.pub"),
                               "--purpose", "firmware", "--sig", p("wrong-id.sig"), p("fw.bin")});
  BOOST_TEST(wrongId.exitCode == 1);
  BOOST_TEST(wrongId.err.find("refused (bad_signature)") != std::string::npos);

  // A firmware signature is not a release signature.
  auto purpose =
      devtool(dir, {"verify", "--trusted", p("release.pub"), "--purpose", "release", p("fw.bin")});
  BOOST_TEST(purpose.exitCode == 1);
  BOOST_TEST(purpose.err.find("refused (wrong_purpose)") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
