#define BOOST_TEST_MODULE vigil_firmware_integration
// Firmware over MQTT through real processes (issue 27): a real Mosquitto with the ACL the
// provisioner renders, a real vigild offering what `vigild firmware add` registered, and
// `vigil-devtool firmware fetch` as the devices. A device receives only an image signed by a
// key the box trusts, gets its bytes, verifies them with its own trusted key and reports the
// version, which the registry then shows. An untrusted or tampered image is refused at
// registration and never offered; an image changed on disk after registration is not offered
// either; a device that does not trust the signing key installs nothing.
#include <boost/test/unit_test.hpp>
#include <chrono>

#include "update_fixture.hpp"
#include "vigil/store/sqlite.hpp"
#include "vigil/testsupport/box_fixture.hpp"
#include "vigil/testsupport/process.hpp"

using namespace vigil;
using namespace vigil::testing;
using namespace std::chrono_literals;
namespace ts = vigil::testsupport;

namespace {

struct Run {
  int rc = -1;
  std::string out;
};

/// `vigil-devtool firmware fetch` as the device `uid` of the box, bounded by `timeoutS` (its own
/// --timeout) plus a margin.
Run fetch(const ts::BoxFixture& box, const std::string& uid, const fs::path& trusted,
          const fs::path& out, int timeoutS) {
  auto log = box.dataDir() / ("fetch-" + uid + "-" + out.filename().string() + ".log");
  ts::Process p(DEVTOOL_PATH,
                {{"firmware", "fetch", "--bundle", box.bundle(uid).string(), "--trusted",
                  trusted.string(), "--out", out.string(), "--timeout", std::to_string(timeoutS)},
                 {},
                 log,
                 log});
  auto rc = p.wait(std::chrono::seconds(timeoutS + 20));
  return {rc ? *rc : -1, ts::readText(log)};
}

std::string firmwareOf(const ts::BoxFixture& box, const std::string& uid) {
  store::Connection c(box.databasePath(), store::Connection::Mode::readOnly);
  auto s = c.prepare("SELECT firmware FROM devices WHERE uid = ?");
  s.bindAll(uid);
  return s.step() ? s.get<std::string>(0) : std::string("<no device>");
}

}  // namespace

BOOST_AUTO_TEST_CASE(devices_get_only_firmware_signed_by_a_trusted_key) {
  TempDir tmp;
  SigningKey vendor, stranger;
  const auto boxKeys = tmp.path / "firmware-keys";
  vendor.trustIn(boxKeys, "vendor");
  vendor.trustIn(tmp.path / "device-trust", "vendor");
  stranger.trustIn(tmp.path / "stranger-trust", "stranger");
  const auto vendorPub = tmp.path / "device-trust" / "vendor.pub";
  const auto strangerPub = tmp.path / "stranger-trust" / "stranger.pub";

  ts::BoxFixture box(
      {.deviceUids = {"cuff-a", "cuff-b", "scale-c", "hub-d"},
       .settings = {"update.firmware_keys_dir=" + boxKeys.string(),
                    "update.firmware_offer_interval_s=1",
                    "update.trusted_keys_dir=" + (tmp.path / "release-keys").string(),
                    "update.install_command=true {deb}"},
       .deviceModels = {{"cuff-a", "cuff-x1"}, {"cuff-b", "cuff-y2"}, {"scale-c", "scale-s3"}},
       .start = false});

  // Images: 200 KiB for cuff-x1 (several 64 KiB chunks), a known byte pattern.
  auto makeImage = [&](const std::string& name, std::size_t size) {
    std::string bytes(size, '\0');
    for (std::size_t i = 0; i < size; ++i) bytes[i] = static_cast<char>((i * 31 + 7) & 0xff);
    auto path = tmp.path / name;
    writeText(path, bytes);
    return path;
  };
  auto good = makeImage("cuff-x1-2.1.0.bin", 200 * 1024);
  writeText(good.string() + ".sig", vendor.sign(good, "firmware"));
  std::string out;
  BOOST_TEST(box.runCommand({"firmware", "add", "cuff-x1", "2.1.0", good.string()}, &out) == 0,
             out);

  // cuff-y2: signed by a key the box does not trust (exit 80), then a vendor-signed image with
  // a flipped byte (exit 83): neither is registered.
  auto untrusted = makeImage("cuff-y2-1.0.bin", 5000);
  writeText(untrusted.string() + ".sig", stranger.sign(untrusted, "firmware"));
  BOOST_TEST(box.runCommand({"firmware", "add", "cuff-y2", "1.0", untrusted.string()}, &out) == 80,
             out);
  auto tampered = makeImage("cuff-y2-1.1.bin", 5000);
  writeText(tampered.string() + ".sig", vendor.sign(tampered, "firmware"));
  flipByte(tampered, 1234);
  BOOST_TEST(box.runCommand({"firmware", "add", "cuff-y2", "1.1", tampered.string()}, &out) == 83,
             out);
  // A release signature is not a firmware signature (exit 82).
  writeText(untrusted.string() + ".sig", vendor.sign(untrusted, "release"));
  BOOST_TEST(box.runCommand({"firmware", "add", "cuff-y2", "1.2", untrusted.string()}, &out) == 82,
             out);

  // scale-s3: registered, then changed on disk before the box starts: never offered.
  auto scale = makeImage("scale-s3-3.0.bin", 3000);
  writeText(scale.string() + ".sig", vendor.sign(scale, "firmware"));
  BOOST_TEST(box.runCommand({"firmware", "add", "scale-s3", "3.0", scale.string()}, &out) == 0,
             out);
  flipByte(box.dataDir() / "firmware" / "scale-s3" / "3.0" / "image.bin", 10);

  BOOST_TEST(box.runCommand({"firmware", "list"}, &out) == 0);
  BOOST_TEST(out.find("cuff-x1 2.1.0 204800 bytes") != std::string::npos, out);
  BOOST_TEST(out.find("cuff-y2") == std::string::npos, out);

  // A release bundle through `vigild update` on this box: a tampered one refused, the signed
  // one handed to the install command (`true` here); both on record in the audit log.
  SigningKey release;
  release.trustIn(tmp.path / "release-keys", "release");
  auto deb = buildDeb(tmp.path, "vigil", "99.0.0");
  writeText(deb.string() + ".sig", release.sign(deb, "release"));
  auto bad = tmp.path / "tampered.deb";
  fs::copy_file(deb, bad);
  flipByte(bad, -30);
  BOOST_TEST(
      box.runCommand({"update", bad.string(), "--signature", deb.string() + ".sig"}, &out) == 83,
      out);
  BOOST_TEST(box.runCommand({"update", deb.string()}, &out) == 0, out);

  BOOST_TEST(box.runCommand({"audit", "export", "2000-01-01", "2100-01-01"}, &out) == 0, out);
  auto count = [&](const std::string& needle) {
    std::size_t n = 0;
    for (auto p = out.find(needle); p != std::string::npos; p = out.find(needle, p + 1)) ++n;
    return n;
  };
  BOOST_TEST(count("\"firmware.add\"") == 5u, out);  // 2 registered, 3 refused
  BOOST_TEST(count("\"box.update\"") == 2u, out);
  BOOST_TEST(count("digest_mismatch") == 2u, out);  // the tampered image and bundle
  BOOST_TEST(count("untrusted_key") == 1u, out);

  box.start();

  // The device of cuff-x1 gets the image, checks it with its own key, installs and reports.
  auto installed = tmp.path / "cuff-a.bin";
  auto r = fetch(box, "cuff-a", vendorPub, installed, 60);
  BOOST_TEST(r.rc == 0, r.out);
  BOOST_TEST(r.out.find("installed: cuff-x1 2.1.0") != std::string::npos, r.out);
  BOOST_TEST((readText(installed) == readText(good)));
  BOOST_TEST(firmwareOf(box, "cuff-a") == "2.1.0");

  // A device that trusts only another key refuses the same offer and installs nothing.
  auto refused = tmp.path / "cuff-a-refused.bin";
  r = fetch(box, "cuff-a", strangerPub, refused, 30);
  BOOST_TEST(r.rc == 1, r.out);
  BOOST_TEST(r.out.find("refused (untrusted_key)") != std::string::npos, r.out);
  BOOST_TEST(!fs::exists(refused));

  // Nothing offered for the model whose images were refused, nor for the tampered one, nor for a
  // device without a model (each waits 5 s: the box offers every second).
  for (const auto& uid : {"cuff-b", "scale-c", "hub-d"}) {
    r = fetch(box, uid, vendorPub, tmp.path / (std::string(uid) + ".bin"), 5);
    BOOST_TEST(r.rc == 1, uid << ": " << r.out);
    BOOST_TEST(r.out.find("no firmware offered") != std::string::npos, uid << ": " << r.out);
  }
  BOOST_TEST(firmwareOf(box, "cuff-b") == "");
  BOOST_TEST(firmwareOf(box, "scale-c") == "");
  BOOST_TEST(box.stop() == 0);
}
