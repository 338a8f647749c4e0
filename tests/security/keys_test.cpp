#include "vigil/security/keys.hpp"

#include <sys/stat.h>

#include <boost/test/unit_test.hpp>
#include <sstream>

#include "security_fixture.hpp"
#include "vigil/crypto/aead.hpp"
#include "vigil/security/cli.hpp"

using namespace vigil;
using namespace vigil::security;
using vigil::security::test::SecurityFixture;

namespace {

struct KeysFixture : SecurityFixture {
  std::int64_t alice = 0;
  KeysFixture() {
    alice = user(Role::patient, "alice@example.org", "purple otters sing at dawn", 100);
  }

  std::vector<std::uint32_t> keyIdsOf(const std::string& table, const std::string& column) {
    return db->read([&](store::Connection& c) {
      std::vector<std::uint32_t> ids;
      auto st = c.prepare("SELECT " + column + " FROM " + table + " WHERE " + column +
                          " IS NOT NULL ORDER BY 1");
      while (st.step()) ids.push_back(crypto::FieldCipher::keyIdOf(st.getBlob(0)));
      return ids;
    });
  }
  // A registry patient row with an identifier encrypted under the current key.
  void patientWithMrn(std::int64_t id, const std::string& mrn) {
    auto ct = keys->cipher().encrypt({"patients", "mrn", std::to_string(id)}, mrn);
    db->writeSync([&](store::Connection& c) {
      c.execute("INSERT INTO patients (id, mrn_enc, created_at) VALUES (?1, ?2, 0)", id,
                store::Blob(ct.begin(), ct.end()));
    });
  }
  std::string mrnOf(std::int64_t id) {
    auto ct = db->read([&](store::Connection& c) {
      return *c.queryValue<store::Blob>("SELECT mrn_enc FROM patients WHERE id = ?1", id);
    });
    return keys->cipher().decryptText({"patients", "mrn", std::to_string(id)}, ct);
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(Keys_, KeysFixture)

BOOST_AUTO_TEST_CASE(first_start_creates_a_0600_master_key_and_data_key_1) {
  struct stat st {};
  BOOST_REQUIRE(::stat((dir / "keys" / "master.key").c_str(), &st) == 0);
  BOOST_TEST((st.st_mode & 0777) == 0600u);
  BOOST_TEST(keys->ring().activeId() == 1u);
  BOOST_TEST((keyIdsOf("users", "email_enc") == std::vector<std::uint32_t>{1, 1}));
}

BOOST_AUTO_TEST_CASE(restart_with_the_same_key_file_reads_the_data) {
  auto again = Keys::open(*db, dir / "keys" / "master.key", clock);
  AccountService other(*db, *again, *audit, clock, testConfig());
  BOOST_TEST(other.findUser(alice)->email == "alice@example.org");
  BOOST_TEST((again->auditSigner().publicKey() == keys->auditSigner().publicKey()));
}

BOOST_AUTO_TEST_CASE(a_different_master_key_is_refused) {
  BOOST_CHECK_THROW(Keys::openWith(*db, crypto::MasterKey{crypto::randomKey()}, clock),
                    crypto::IntegrityError);
}

BOOST_AUTO_TEST_CASE(rotation_makes_new_writes_use_the_new_key_and_keeps_old_rows_readable) {
  patientWithMrn(100, "MRN-0001");
  auto id = rotateDataKey(*db, *keys, *audit, admin, clock);
  BOOST_TEST(id == 2u);
  BOOST_TEST(keys->ring().activeId() == 2u);
  auto bob = user(Role::patient, "bob@example.org", "green ferns in winter light", 101);
  BOOST_TEST(accounts->findUser(alice)->email == "alice@example.org");
  BOOST_TEST(accounts->findUser(bob)->email == "bob@example.org");
  BOOST_TEST((keyIdsOf("users", "email_enc") == std::vector<std::uint32_t>{1, 1, 2}));
  BOOST_TEST(mrnOf(100) == "MRN-0001");
  BOOST_TEST(lastAudit("keys.rotate")->event.objectId == "2");
  // Persisted: a restart finds key 2 active.
  auto again = Keys::open(*db, dir / "keys" / "master.key", clock);
  BOOST_TEST(again->ring().activeId() == 2u);
}

BOOST_AUTO_TEST_CASE(a_running_process_picks_up_a_rotation_made_elsewhere_by_reload) {
  // `vigild keys rotate` + `reencrypt` in another process: simulated by a second Keys object.
  auto cli = Keys::open(*db, dir / "keys" / "master.key", clock);
  rotateDataKey(*db, *cli, *audit, admin, clock);
  reencryptAll(*db, *cli, *audit, admin);
  BOOST_CHECK_THROW(accounts->findUser(alice), crypto::UnknownKeyError);
  keys->reload(*db);
  BOOST_TEST(keys->ring().activeId() == 2u);
  BOOST_TEST(accounts->findUser(alice)->email == "alice@example.org");
}

BOOST_AUTO_TEST_CASE(reencrypt_moves_every_old_row_with_progress) {
  patientWithMrn(100, "MRN-0001");
  patientWithMrn(101, "MRN-0002");
  for (int i = 0; i < 7; ++i)
    user(Role::patient, "p" + std::to_string(i) + "@example.org", "green ferns in winter light",
         200 + i);
  rotateDataKey(*db, *keys, *audit, admin, clock);
  std::vector<std::pair<std::uint64_t, std::uint64_t>> progress;
  auto r = reencryptAll(
      *db, *keys, *audit, admin,
      [&](std::uint64_t d, std::uint64_t t) { progress.emplace_back(d, t); }, 3);
  // users: 9 emails + 9 display names; patients: 2 MRNs.
  BOOST_TEST(r.rewritten == 20u);
  BOOST_TEST(r.activeKeyId == 2u);
  BOOST_REQUIRE(!progress.empty());
  BOOST_TEST(progress.back().first == 20u);
  BOOST_TEST(progress.back().second == 20u);
  for (std::size_t i = 1; i < progress.size(); ++i)
    BOOST_TEST(progress[i].first >= progress[i - 1].first);
  for (auto k : keyIdsOf("users", "email_enc")) BOOST_TEST(k == 2u);
  for (auto k : keyIdsOf("users", "display_name_enc")) BOOST_TEST(k == 2u);
  for (auto k : keyIdsOf("patients", "mrn_enc")) BOOST_TEST(k == 2u);
  BOOST_TEST(accounts->findUser(alice)->email == "alice@example.org");
  BOOST_TEST(mrnOf(101) == "MRN-0002");
  BOOST_TEST(lastAudit("keys.reencrypt")->event.reason == "rewritten=20");
  BOOST_TEST(reencryptAll(*db, *keys, *audit, admin).rewritten == 0u);
  BOOST_TEST(audit->verify(*db).ok);
}

BOOST_AUTO_TEST_CASE(cli_rotate_and_reencrypt_print_what_they_did) {
  std::ostringstream out;
  BOOST_TEST(runKeysRotate(*db, *keys, *audit, clock, out) == 2u);
  BOOST_TEST(out.str().find("data key 2 is now active") != std::string::npos);
  std::ostringstream out2;
  auto r = runKeysReencrypt(*db, *keys, *audit, out2, nullptr);
  BOOST_TEST(out2.str() ==
             "re-encrypted " + std::to_string(r.rewritten) + " fields under data key 2\n");
  BOOST_TEST(lastAudit("keys.reencrypt")->event.actorRole == "admin");
}

BOOST_AUTO_TEST_SUITE_END()
