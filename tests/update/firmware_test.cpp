// Device firmware (issue 27): the catalog registers an image only when a trusted firmware key
// signed it for `firmware` (each refusal named), and the offers go only to the devices of the
// image's model, chunks first, the offer last, once; an image changed on disk after it was
// registered, or whose key is no longer trusted, is never offered.
#include "vigil/update/firmware.hpp"

#include <boost/test/unit_test.hpp>

#include "update_fixture.hpp"
#include "vigil/registry/registry.hpp"
#include "vigil/store/database.hpp"
#include "vigil/testsupport/manual_clock.hpp"
#include "vigil/testsupport/test_store.hpp"

using namespace vigil;
using namespace vigil::update;
using namespace vigil::testing;

namespace {

struct Fixture {
  TempDir tmp;
  SigningKey vendor;
  fs::path keys = tmp.path / "firmware-keys";
  fs::path dir = tmp.path / "firmware";
  FirmwareCatalog catalog{dir, keys};
  Fixture() { vendor.trustIn(keys, "vendor"); }

  /// An image of `size` bytes (a known pattern) and its signature by `key` for `purpose`.
  std::pair<fs::path, std::string> image(const std::string& name, std::size_t size,
                                         const SigningKey& key,
                                         const std::string& purpose = "firmware") {
    std::string bytes(size, '\0');
    for (std::size_t i = 0; i < size; ++i) bytes[i] = static_cast<char>(i * 7 + 3);
    auto path = tmp.path / name;
    writeText(path, bytes);
    return {path, key.sign(path, purpose)};
  }

  Refusal refusalOf(const fs::path& file, const std::string& sig, const std::string& version) {
    try {
      catalog.add(file, sig, "cuff-x1", version);
    } catch (const UpdateRefused& e) {
      return e.reason;
    }
    BOOST_FAIL("the image was registered");
    return Refusal::malformedSignature;
  }
};

struct Published {
  std::string topic, payload;
  bool retain;
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(Firmware, Fixture)

BOOST_AUTO_TEST_CASE(a_signed_image_is_registered_and_listed) {
  auto [file, sig] = image("cuff-1.4.3.bin", 1000, vendor);
  auto added = catalog.add(file, sig, "cuff-x1", "1.4.3");
  BOOST_TEST(added.size == 1000u);
  BOOST_TEST(added.keyId == vendor.id());
  BOOST_TEST(added.name == "cuff-1.4.3.bin");
  BOOST_TEST(readText(dir / "cuff-x1" / "1.4.3" / "image.bin") == readText(file));
  // Readable by the running box whoever registered it (not secret).
  const auto others = fs::perms::others_read;
  BOOST_TEST(
      ((fs::status(dir / "cuff-x1" / "1.4.3" / "image.bin").permissions() & others) == others));
  BOOST_TEST(((fs::status(dir / "cuff-x1" / "1.4.3").permissions() & fs::perms::others_exec) ==
              fs::perms::others_exec));
  auto all = catalog.list();
  BOOST_REQUIRE(all.size() == 1u);
  BOOST_TEST(all[0].version == "1.4.3");
  BOOST_TEST(catalog.offerFor("cuff-x1").has_value());
  BOOST_TEST(!catalog.offerFor("scale-s2").has_value());
}

BOOST_AUTO_TEST_CASE(each_bad_image_is_refused_and_nothing_is_kept) {
  SigningKey stranger;
  auto [file, sig] = image("cuff.bin", 300, vendor);
  BOOST_TEST((refusalOf(file, stranger.sign(file, "firmware"), "1.0") == Refusal::untrustedKey));
  BOOST_TEST((refusalOf(file, vendor.sign(file, "release"), "1.0") == Refusal::wrongPurpose));
  BOOST_TEST((refusalOf(file, "", "1.0") == Refusal::malformedSignature));
  flipByte(file, 100);
  BOOST_TEST((refusalOf(file, sig, "1.0") == Refusal::digestMismatch));
  BOOST_TEST(catalog.list().empty());
  BOOST_CHECK_THROW(catalog.add(file, sig, "../etc", "1.0"), ValidationError);
  BOOST_CHECK_THROW(catalog.add(file, sig, "cuff-x1", ".."), ValidationError);
}

BOOST_AUTO_TEST_CASE(the_same_version_twice_is_refused) {
  auto [file, sig] = image("cuff.bin", 10, vendor);
  catalog.add(file, sig, "cuff-x1", "2.0");
  BOOST_CHECK_THROW(catalog.add(file, sig, "cuff-x1", "2.0"), ValidationError);
}

BOOST_AUTO_TEST_CASE(offers_go_to_the_models_devices_once_chunks_first) {
  auto o = testsupport::testStoreOptions(tmp.path / "vigil.db");
  auto db = store::Database::open(o);
  testsupport::ManualClock clock;
  registry::DeviceRegistry devices(*db, clock);
  devices.add({"cuff-a", registry::DeviceKind::blood_pressure, "cuff-x1", "S1", "1.0"});
  auto retired =
      devices.add({"cuff-b", registry::DeviceKind::blood_pressure, "cuff-x1", "S2", "1.0"});
  devices.retire(retired.id);
  devices.add({"scale-a", registry::DeviceKind::weight_scale, "scale-s2", "S3", "3.0"});

  auto [old, oldSig] = image("cuff-1.9.bin", 50, vendor);
  catalog.add(old, oldSig, "cuff-x1", "1.9");
  auto [file, sig] = image("cuff-1.10.bin", 150, vendor);
  catalog.add(file, sig, "cuff-x1", "1.10");  // newer than 1.9 in Debian order

  std::vector<Published> sent;
  FirmwareOffers offers(
      *db, catalog,
      [&](const std::string& t, const std::string& p, bool r) {
        sent.push_back({t, p, r});
        return true;
      },
      64);
  BOOST_TEST(offers.publishDue() == 1u);
  // 150 bytes in chunks of 64: 3 chunks, then the offer; only to cuff-a.
  BOOST_REQUIRE(sent.size() == 4u);
  const std::string prefix = "vigil/v1/devices/cuff-a/config/firmware/";
  for (std::size_t i = 0; i < 3; ++i) {
    BOOST_TEST(sent[i].topic.starts_with(prefix));
    BOOST_TEST(sent[i].topic.ends_with("/" + std::to_string(i)));
    BOOST_TEST(sent[i].retain);
  }
  BOOST_TEST(sent[0].payload + sent[1].payload + sent[2].payload == readText(file));
  BOOST_TEST(sent[3].topic == "vigil/v1/devices/cuff-a/config");
  BOOST_TEST(sent[3].retain);
  BOOST_TEST(sent[3].payload.find("\"version\":\"1.10\"") != std::string::npos);
  BOOST_TEST(sent[3].payload.find("\"size\":150") != std::string::npos);
  BOOST_TEST(sent[3].payload.find("\"chunks\":3") != std::string::npos);
  BOOST_TEST(sent[3].payload.find("\"key_id\":\"" + vendor.id() + "\"") != std::string::npos);
  // Once: the next round publishes nothing.
  BOOST_TEST(offers.publishDue() == 0u);
  BOOST_TEST(sent.size() == 4u);
}

BOOST_AUTO_TEST_CASE(an_image_changed_on_disk_or_no_longer_trusted_is_not_offered) {
  auto o = testsupport::testStoreOptions(tmp.path / "vigil.db");
  auto db = store::Database::open(o);
  testsupport::ManualClock clock;
  registry::DeviceRegistry devices(*db, clock);
  devices.add({"cuff-a", registry::DeviceKind::blood_pressure, "cuff-x1", "S1", "1.0"});
  auto [file, sig] = image("cuff.bin", 100, vendor);
  auto added = catalog.add(file, sig, "cuff-x1", "2.0");
  flipByte(added.path, 5);  // tampered after registration
  std::size_t count = 0;
  FirmwareOffers offers(*db, catalog, [&](const std::string&, const std::string&, bool) {
    ++count;
    return true;
  });
  BOOST_TEST(offers.publishDue() == 0u);
  BOOST_TEST(count == 0u);
  // Restored bytes, but the vendor key is no longer trusted.
  flipByte(added.path, 5);
  fs::remove(keys / "vendor.pub");
  BOOST_TEST(offers.publishDue() == 0u);
  BOOST_TEST(count == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
