#define BOOST_TEST_MODULE vigil_registry
#include "vigil/registry/registry.hpp"

#include <boost/test/unit_test.hpp>

#include "temp_dir.hpp"
#include "vigil/core/error.hpp"
#include "vigil/crypto/blind_index.hpp"
#include "vigil/crypto/field_cipher.hpp"
#include "vigil/crypto/key_ring.hpp"
#include "vigil/store/database.hpp"
#include "vigil/store/sqlite.hpp"
#include "vigil/testsupport/manual_clock.hpp"
#include "vigil/testsupport/test_store.hpp"

using namespace vigil;
using namespace vigil::registry;
using namespace std::chrono_literals;

namespace {

crypto::Key256 fixedKey(std::uint8_t fill) {
  std::vector<std::uint8_t> b(32, fill);
  return crypto::Key256(crypto::ByteView(b));
}

struct Fixture {
  store::test::TempDir dir;
  std::unique_ptr<store::Database> db;
  testsupport::ManualClock clock;
  crypto::KeyRing ring;
  std::unique_ptr<crypto::FieldCipher> cipher;
  std::unique_ptr<crypto::BlindIndex> index;
  std::unique_ptr<DeviceRegistry> devices;
  std::unique_ptr<PatientRepository> patients;

  Fixture() {
    auto o = testsupport::testStoreOptions(dir / "vigil.db");
    db = store::Database::open(o);
    ring.add(1, fixedKey(7));
    ring.setActive(1);
    cipher = std::make_unique<crypto::FieldCipher>(ring);
    index = std::make_unique<crypto::BlindIndex>(fixedKey(9));
    devices = std::make_unique<DeviceRegistry>(*db, clock);
    patients = std::make_unique<PatientRepository>(*db, *cipher, *index, clock);
  }
  std::int64_t patient(const std::string& mrn) {
    Patient p;
    p.mrn = mrn;
    p.givenName = "Canary";
    p.familyName = "Zebrafinch";
    p.birthDate = "1950-02-03";
    p.timeZone = "America/Chicago";
    p.state = "IL";
    return patients->create(p);
  }
  Device device(const std::string& uid, DeviceKind kind = DeviceKind::blood_pressure) {
    NewDevice d;
    d.uid = uid;
    d.kind = kind;
    d.model = "BP-7";
    d.serial = "SN1";
    return devices->add(d);
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(DeviceRegistryBehaviour, Fixture)

BOOST_AUTO_TEST_CASE(adds_and_finds_devices_by_uid) {
  auto d = device("cuff-001");
  BOOST_TEST(d.id > 0);
  auto found = devices->findByUid("cuff-001");
  BOOST_REQUIRE(found);
  BOOST_TEST(found->model == "BP-7");
  BOOST_TEST(!found->retired);
  BOOST_TEST(!devices->findByUid("cuff-002"));
}

BOOST_AUTO_TEST_CASE(refuses_bad_and_duplicate_uids) {
  device("cuff-001");
  BOOST_CHECK_THROW(device("cuff-001"), StoreError);
  BOOST_CHECK_THROW(device("bad/uid"), ValidationError);
  BOOST_CHECK_THROW(device(""), ValidationError);
  BOOST_CHECK_THROW(device(std::string(65, 'a')), ValidationError);
}

BOOST_AUTO_TEST_CASE(reassignment_keeps_history_and_attributes_by_measurement_time) {
  auto alice = patient("MRN-1");
  auto bob = patient("MRN-2");
  auto d = device("cuff-001");
  auto t0 = clock.now();
  devices->assign(d.id, alice);
  clock.advance(24h);
  auto t1 = clock.now();
  devices->assign(d.id, bob);
  auto h = devices->history(d.id);
  BOOST_REQUIRE_EQUAL(h.size(), 2u);
  BOOST_TEST(h[0].patientId == alice);
  BOOST_TEST((h[0].validUntil == t1));
  BOOST_TEST(!h[1].validUntil);
  BOOST_TEST(*devices->patientAt(d.id, t0 + 1h) == alice);
  BOOST_TEST(*devices->patientAt(d.id, t1 - 1ms) == alice);
  BOOST_TEST(*devices->patientAt(d.id, t1) == bob);
  BOOST_TEST(!devices->patientAt(d.id, t0 - 1ms));
}

BOOST_AUTO_TEST_CASE(retired_device_cannot_be_assigned_and_loses_its_patient) {
  auto alice = patient("MRN-1");
  auto d = device("cuff-001");
  devices->assign(d.id, alice);
  clock.advance(1h);
  devices->retire(d.id);
  BOOST_TEST(devices->find(d.id)->retired);
  BOOST_TEST(!devices->patientAt(d.id, clock.now()));
  BOOST_CHECK_THROW(devices->assign(d.id, alice), ValidationError);
}

BOOST_AUTO_TEST_CASE(assigning_to_an_unknown_patient_is_refused) {
  auto d = device("cuff-001");
  BOOST_CHECK_THROW(devices->assign(d.id, 999), NotFound);
  BOOST_TEST(devices->history(d.id).empty());
}

BOOST_AUTO_TEST_CASE(last_seen_never_moves_backwards) {
  auto d = device("cuff-001");
  auto t = clock.now();
  db->writeSync([&](store::Connection& c) { DeviceRegistry::touchIn(c, d.id, t, 80); });
  db->writeSync([&](store::Connection& c) { DeviceRegistry::touchIn(c, d.id, t - 1h, {}); });
  auto again = devices->find(d.id);
  BOOST_TEST((again->lastSeen == t));
  BOOST_TEST(*again->batteryPct == 80);
}

BOOST_AUTO_TEST_CASE(the_reported_firmware_version_replaces_the_registered_one) {
  // issue 27: a device reports its installed firmware; the registry shows it.
  auto d = device("cuff-002");
  db->writeSync([&](store::Connection& c) { DeviceRegistry::setFirmwareIn(c, d.id, "2.1.0"); });
  BOOST_TEST(devices->find(d.id)->firmware == "2.1.0");
  auto other = device("cuff-003");
  BOOST_TEST(devices->find(other.id)->firmware != "2.1.0");  // only that device
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(PatientRepositoryBehaviour, Fixture)

BOOST_AUTO_TEST_CASE(stores_identifiers_only_encrypted_and_reads_them_back) {
  auto id = patient("MRN-42");
  auto p = patients->get(id);
  BOOST_REQUIRE(p);
  BOOST_TEST(p->givenName == "Canary");
  BOOST_TEST(p->familyName == "Zebrafinch");
  BOOST_TEST(p->birthDate == "1950-02-03");
  BOOST_TEST(p->timeZone == "America/Chicago");
  db->close();
  auto raw = store::test::readFile(dir / "vigil.db") + store::test::readFile(dir / "vigil.db-wal");
  BOOST_TEST(raw.find("Zebrafinch") == std::string::npos);
  BOOST_TEST(raw.find("MRN-42") == std::string::npos);
  BOOST_TEST(raw.find("1950-02-03") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(finds_patients_by_mrn_through_the_blind_index) {
  auto id = patient("MRN-42");
  BOOST_TEST(*patients->findByMrn("mrn-42 ") == id);
  BOOST_TEST(!patients->findByMrn("MRN-43"));
  BOOST_CHECK_THROW(patient("MRN-42"), MrnTaken);  // a conflict of its own (API 409 mrn_taken)
}

BOOST_AUTO_TEST_CASE(a_ciphertext_moved_to_another_patient_does_not_decrypt) {
  auto a = patient("MRN-1");
  auto b = patient("MRN-2");
  db->writeSync([&](store::Connection& c) {
    auto s = c.prepare(
        "UPDATE patients SET family_name_enc = (SELECT family_name_enc FROM patients WHERE id = ?) "
        "WHERE id = ?");
    s.bindAll(a, b);
    s.run();
  });
  BOOST_CHECK_THROW(patients->get(b), CryptoError);
  BOOST_TEST(patients->get(a)->familyName == "Zebrafinch");
}

BOOST_AUTO_TEST_CASE(display_names_decrypt_only_the_name_fields_of_the_listed_patients) {
  auto a = patient("MRN-1");
  auto b = patient("MRN-2");
  auto unnamed = db->writeSync([](store::Connection& c) {
    c.execute("INSERT INTO patients (created_at) VALUES (0)");
    return c.lastInsertRowid();
  });
  // b's MRN and birth date no longer decrypt: a list that shows names must not need them.
  db->writeSync([&](store::Connection& c) {
    c.execute("UPDATE patients SET mrn_enc = ?2, birth_date_enc = ?2 WHERE id = ?1", b,
              store::Blob{0});
  });
  BOOST_CHECK_THROW(patients->get(b), CryptoError);
  auto names = patients->displayNames({b, a, 9999, unnamed, a});
  BOOST_TEST(names.size() == 3u);
  BOOST_TEST(names[a] == "Canary Zebrafinch");
  BOOST_TEST(names[b] == "Canary Zebrafinch");
  BOOST_TEST(names[unnamed] == "");
  BOOST_TEST(!names.count(9999));
  BOOST_TEST(patients->displayNames({}).empty());
}

BOOST_AUTO_TEST_CASE(refuses_bad_zone_and_state) {
  Patient p;
  p.timeZone = "Mars; DROP";
  BOOST_CHECK_THROW(patients->create(p), ValidationError);
  p.timeZone = "UTC";
  p.state = "Illinois";
  BOOST_CHECK_THROW(patients->create(p), ValidationError);
}

BOOST_AUTO_TEST_SUITE_END()
