#define BOOST_TEST_MODULE vigil_update
// Release bundles (issue 27): a bundle passes only when a trusted release key signed exactly
// its bytes for `release` and it is Package: vigil newer than the installed version; each
// refusal has its reason. Debian version order from dpkg's documented examples.
#include "vigil/update/bundle.hpp"

#include <boost/test/unit_test.hpp>

#include "update_fixture.hpp"

using namespace vigil::update;
using namespace vigil::testing;

namespace {

struct Box {
  TempDir tmp;
  SigningKey release;
  fs::path trusted = tmp.path / "trusted-keys";
  Box() { release.trustIn(trusted, "release"); }
  BundleCheckOptions installed(const std::string& v, bool allowDowngrade = false) const {
    BundleCheckOptions o;
    o.installedVersion = v;
    o.allowDowngrade = allowDowngrade;
    return o;
  }
};

Refusal refusalOf(const fs::path& deb, const std::string& sig, const fs::path& trustedDir,
                  const BundleCheckOptions& o) {
  try {
    checkBundle(deb, sig, loadTrustedKeys(trustedDir), o);
  } catch (const UpdateRefused& e) {
    return e.reason;
  }
  BOOST_FAIL("the bundle was accepted");
  return Refusal::malformedSignature;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ReleaseBundle)

BOOST_AUTO_TEST_CASE(debian_version_order) {
  BOOST_TEST(compareDebianVersions("0.2.0", "0.1.0") > 0);
  BOOST_TEST(compareDebianVersions("0.1.0", "0.1.0") == 0);
  BOOST_TEST(compareDebianVersions("0.10.0", "0.9.0") > 0);
  BOOST_TEST(compareDebianVersions("1.0~rc1", "1.0") < 0);  // ~ sorts before the end
  BOOST_TEST(compareDebianVersions("1.0", "1.0-1") < 0);
  BOOST_TEST(compareDebianVersions("1.0-2", "1.0-10") < 0);
  BOOST_TEST(compareDebianVersions("1:0.1", "9.9") > 0);  // the epoch first
  BOOST_TEST(compareDebianVersions("1.0a", "1.0+") < 0);  // letters before other characters
  BOOST_TEST(compareDebianVersions("0.1.0", "0.1.0.1") < 0);
}

BOOST_AUTO_TEST_CASE(a_signed_newer_vigil_package_passes) {
  Box b;
  auto deb = buildDeb(b.tmp.path, "vigil", "0.2.0");
  auto checked = checkBundle(deb, b.release.sign(deb, "release"), loadTrustedKeys(b.trusted),
                             b.installed("0.1.0"));
  BOOST_TEST(checked.version == "0.2.0");
  BOOST_TEST(checked.keyId == b.release.id());
  BOOST_TEST(readDebControl(deb).package == "vigil");
}

BOOST_AUTO_TEST_CASE(a_key_that_is_not_trusted_is_refused) {
  Box b;
  SigningKey stranger;
  auto deb = buildDeb(b.tmp.path, "vigil", "0.2.0");
  BOOST_TEST((refusalOf(deb, stranger.sign(deb, "release"), b.trusted, b.installed("0.1.0")) ==
              Refusal::untrustedKey));
  // No trusted keys at all: every bundle is refused.
  BOOST_TEST((refusalOf(deb, b.release.sign(deb, "release"), b.tmp.path / "none",
                        b.installed("0.1.0")) == Refusal::untrustedKey));
}

BOOST_AUTO_TEST_CASE(a_flipped_byte_in_the_bundle_is_refused) {
  Box b;
  auto deb = buildDeb(b.tmp.path, "vigil", "0.2.0");
  auto sig = b.release.sign(deb, "release");
  flipByte(deb, -10);
  BOOST_TEST((refusalOf(deb, sig, b.trusted, b.installed("0.1.0")) == Refusal::digestMismatch));
}

BOOST_AUTO_TEST_CASE(a_key_id_naming_another_trusted_key_is_refused) {
  Box b;
  SigningKey other;
  other.trustIn(b.trusted, "other");
  auto deb = buildDeb(b.tmp.path, "vigil", "0.2.0");
  auto sig = b.release.sign(deb, "release");
  auto pos = sig.find(b.release.id());
  BOOST_REQUIRE(pos != std::string::npos);
  sig.replace(pos, other.id().size(), other.id());
  BOOST_TEST((refusalOf(deb, sig, b.trusted, b.installed("0.1.0")) == Refusal::badSignature));
}

BOOST_AUTO_TEST_CASE(a_firmware_signature_does_not_pass_as_a_release) {
  Box b;
  auto deb = buildDeb(b.tmp.path, "vigil", "0.2.0");
  BOOST_TEST((refusalOf(deb, b.release.sign(deb, "firmware"), b.trusted, b.installed("0.1.0")) ==
              Refusal::wrongPurpose));
}

BOOST_AUTO_TEST_CASE(a_missing_or_garbled_signature_is_refused) {
  Box b;
  auto deb = buildDeb(b.tmp.path, "vigil", "0.2.0");
  BOOST_TEST((refusalOf(deb, "", b.trusted, b.installed("0.1.0")) == Refusal::malformedSignature));
  BOOST_TEST((refusalOf(deb, "vigil-signature v1\nkey-id: zz\n", b.trusted, b.installed("0.1.0")) ==
              Refusal::malformedSignature));
}

BOOST_AUTO_TEST_CASE(another_package_signed_by_the_release_key_is_refused) {
  Box b;
  auto deb = buildDeb(b.tmp.path, "vigil-extras", "0.2.0");
  BOOST_TEST((refusalOf(deb, b.release.sign(deb, "release"), b.trusted, b.installed("0.1.0")) ==
              Refusal::notVigilPackage));
  // A signed file that is no Debian package at all.
  auto junk = b.tmp.path / "vigil_0.3.0_all.deb";
  writeText(junk, "this is not an ar archive\n");
  BOOST_TEST((refusalOf(junk, b.release.sign(junk, "release"), b.trusted, b.installed("0.1.0")) ==
              Refusal::notVigilPackage));
}

BOOST_AUTO_TEST_CASE(an_older_or_the_same_version_is_refused_unless_allowed) {
  Box b;
  auto older = buildDeb(b.tmp.path, "vigil", "0.1.0");
  auto sig = b.release.sign(older, "release");
  BOOST_TEST((refusalOf(older, sig, b.trusted, b.installed("0.2.0")) == Refusal::downgrade));
  BOOST_TEST((refusalOf(older, sig, b.trusted, b.installed("0.1.0")) == Refusal::downgrade));
  auto checked = checkBundle(older, sig, loadTrustedKeys(b.trusted), b.installed("0.2.0", true));
  BOOST_TEST(checked.version == "0.1.0");
}

BOOST_AUTO_TEST_CASE(the_staged_copy_is_private_and_the_install_command_gets_it) {
  Box b;
  auto deb = buildDeb(b.tmp.path, "vigil", "0.2.0");
  auto staged = stageBundle(deb, b.tmp.path / "work");
  BOOST_TEST(staged.filename() == "vigil-update.deb");
  BOOST_TEST(readText(staged) == readText(deb));
  auto perms = fs::status(staged.parent_path()).permissions();
  BOOST_TEST(((perms & (fs::perms::group_all | fs::perms::others_all)) == fs::perms::none));
  auto out = b.tmp.path / "installed.deb";
  BOOST_TEST(runInstallCommand("cp {deb} " + out.string(), staged) == 0);
  BOOST_TEST(readText(out) == readText(deb));
  BOOST_TEST(runInstallCommand("false", staged) == 1);
  BOOST_TEST(runInstallCommand("/nonexistent/installer {deb}", staged) == 127);
}

BOOST_AUTO_TEST_SUITE_END()
