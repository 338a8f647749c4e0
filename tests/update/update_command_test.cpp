#define BOOST_TEST_MODULE vigil_update_command
// `vigild update FILE.deb` through the real binary (issue 27): each refusal exits with its own
// code (docs/operations.md, "Updates") and runs no install command; a signed newer vigil
// package is handed to the install command (here `cp`, standing in for apt-get).
#include <boost/test/unit_test.hpp>
#include <chrono>

#include "update_fixture.hpp"
#include "vigil/testsupport/process.hpp"

using namespace vigil::testing;
namespace ts = vigil::testsupport;

namespace {

struct Box {
  TempDir tmp;
  SigningKey release;
  fs::path trusted = tmp.path / "trusted-keys";
  fs::path installed = tmp.path / "installed.deb";
  Box() {
    release.trustIn(trusted, "release");
    fs::create_directories(tmp.path / "data");  // the private copy goes under it
  }

  /// Runs vigild update; the exit code, output in `out`.
  int update(const std::vector<std::string>& args, std::string& out) {
    std::vector<std::string> all{"--set", "data.dir=" + (tmp.path / "data").string(),
                                 "--set", "update.trusted_keys_dir=" + trusted.string(),
                                 "--set", "update.install_command=cp {deb} " + installed.string(),
                                 "update"};
    all.insert(all.end(), args.begin(), args.end());
    auto log = tmp.path / "vigild.out";
    ts::Process p(VIGILD_PATH, {all, {}, log, log});
    auto rc = p.wait(std::chrono::seconds(30));
    out = ts::readText(log);
    return rc ? *rc : -1;
  }
  /// Expects `rc` and nothing installed.
  void refused(const std::vector<std::string>& args, int rc, const std::string& reason) {
    std::string out;
    BOOST_TEST(update(args, out) == rc, out);
    BOOST_TEST(out.find("update refused (" + reason + ")") != std::string::npos, out);
    BOOST_TEST(out.find("nothing was installed") != std::string::npos, out);
    BOOST_TEST(!fs::exists(installed));
  }
};

}  // namespace

BOOST_AUTO_TEST_CASE(each_refusal_has_its_exit_code_and_installs_nothing) {
  Box b;
  SigningKey stranger, other;
  other.trustIn(b.trusted, "other");
  auto deb = buildDeb(b.tmp.path, "vigil", "99.0.0");
  auto sig = fs::path(deb.string() + ".sig");

  b.refused({deb.string()}, 84, "malformed_signature");  // no .sig beside it
  writeText(sig, stranger.sign(deb, "release"));
  b.refused({deb.string()}, 80, "untrusted_key");
  auto swapped = b.release.sign(deb, "release");
  swapped.replace(swapped.find(b.release.id()), 16, other.id());
  writeText(sig, swapped);
  b.refused({deb.string()}, 81, "bad_signature");
  writeText(sig, b.release.sign(deb, "firmware"));
  b.refused({deb.string()}, 82, "wrong_purpose");
  writeText(sig, b.release.sign(deb, "release"));
  auto flipped = b.tmp.path / "flipped.deb";
  fs::copy_file(deb, flipped);
  flipByte(flipped, -20);
  b.refused({flipped.string(), "--signature", sig.string()}, 83, "digest_mismatch");

  auto extras = buildDeb(b.tmp.path, "vigil-extras", "99.0.0");
  writeText(extras.string() + ".sig", b.release.sign(extras, "release"));
  b.refused({extras.string()}, 85, "not_vigil_package");

  // The running vigild is 0.1.0 (CMakeLists.txt's project version; no vigil package is installed
  // on a build machine): 0.0.9 is older.
  auto older = buildDeb(b.tmp.path, "vigil", "0.0.9");
  writeText(older.string() + ".sig", b.release.sign(older, "release"));
  b.refused({older.string()}, 86, "downgrade");

  std::string out;
  BOOST_TEST(b.update({older.string(), "--allow-downgrade"}, out) == 0, out);
  BOOST_TEST((readText(b.installed) == readText(older)));
}

BOOST_AUTO_TEST_CASE(a_signed_newer_bundle_is_installed_and_a_failing_installer_is_reported) {
  Box b;
  auto deb = buildDeb(b.tmp.path, "vigil", "99.0.0");
  writeText(deb.string() + ".sig", b.release.sign(deb, "release"));
  std::string out;
  BOOST_TEST(b.update({deb.string()}, out) == 0, out);
  BOOST_TEST(out.find("vigil 99.0.0 installed") != std::string::npos, out);
  BOOST_TEST(out.find(b.release.id()) != std::string::npos, out);
  BOOST_TEST((readText(b.installed) == readText(deb)));
  // The private copy (under data.dir/update) is gone once installed.
  BOOST_TEST(fs::exists(b.tmp.path / "data"));
  BOOST_TEST(!fs::exists(b.tmp.path / "data" / "update"));
  // The install command's failure: exit 87.
  fs::remove(b.installed);
  b.installed = b.tmp.path / "missing" / "installed.deb";
  BOOST_TEST(b.update({deb.string()}, out) == 87, out);
  BOOST_TEST(out.find("the install command failed") != std::string::npos, out);
}
