#include "vigil/crypto/key_ring.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>

#include "vigil/core/error.hpp"
#include "vigil/crypto/aead.hpp"
#include "vigil/crypto/random.hpp"

using namespace vigil::crypto;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "vigil-keyring-XXXXXX").string();
    path = ::mkdtemp(tmpl.data());
  }
  ~TempDir() { fs::remove_all(path); }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(MasterKey_)

BOOST_AUTO_TEST_CASE(creates_key_file_with_mode_0600_and_reloads_the_same_key) {
  TempDir dir;
  fs::path file = dir.path / "keys" / "master.key";
  bool created = false;
  MasterKey first = MasterKey::loadOrCreate(file, &created);
  BOOST_TEST(created);
  struct stat st {};
  BOOST_REQUIRE(::stat(file.c_str(), &st) == 0);
  BOOST_TEST((st.st_mode & 0777) == 0600u);
  BOOST_TEST(st.st_uid == ::geteuid());

  MasterKey second = MasterKey::loadOrCreate(file, &created);
  BOOST_TEST(!created);
  Key256 dek = randomKey();
  WrappedDataKey wrapped = first.wrap(7, dek);
  BOOST_TEST((second.unwrap(wrapped).view().size() == 32u));
  BOOST_TEST(constantTimeEqual(second.unwrap(wrapped).view(), dek.view()));
  BOOST_TEST(constantTimeEqual(first.derive("x").view(), second.derive("x").view()));
}

BOOST_AUTO_TEST_CASE(refuses_key_file_readable_by_others_or_malformed) {
  TempDir dir;
  fs::path file = dir.path / "master.key";
  MasterKey::loadOrCreate(file);
  ::chmod(file.c_str(), 0644);
  BOOST_CHECK_THROW(MasterKey::load(file), vigil::CryptoError);
  fs::path junk = dir.path / "junk.key";
  {
    std::ofstream out(junk, std::ios::binary);
    out << std::string(40, 'x');
  }
  ::chmod(junk.c_str(), 0600);
  BOOST_CHECK_THROW(MasterKey::load(junk), vigil::CryptoError);
  BOOST_CHECK_THROW(MasterKey::load(dir.path / "missing.key"), vigil::CryptoError);
}

BOOST_AUTO_TEST_CASE(unwrap_refuses_other_master_changed_blob_or_changed_id) {
  MasterKey a{randomKey()};
  MasterKey b{randomKey()};
  WrappedDataKey w = a.wrap(1, randomKey());
  BOOST_CHECK_THROW(b.unwrap(w), IntegrityError);
  WrappedDataKey moved = w;
  moved.id = 2;
  BOOST_CHECK_THROW(a.unwrap(moved), IntegrityError);
  WrappedDataKey flipped = w;
  flipped.wrapped[20] ^= 4;
  BOOST_CHECK_THROW(a.unwrap(flipped), IntegrityError);
}

BOOST_AUTO_TEST_CASE(derives_different_keys_for_different_purposes) {
  MasterKey m{randomKey()};
  BOOST_TEST(!constantTimeEqual(m.derive("vigil.blind-index.v1").view(),
                                m.derive("vigil.audit-signing.v1").view()));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(KeyRing_)

BOOST_AUTO_TEST_CASE(loads_wrapped_keys_and_tracks_the_active_one) {
  MasterKey m{randomKey()};
  Key256 k1 = randomKey();
  Key256 k2 = randomKey();
  KeyRing ring;
  BOOST_CHECK_THROW(ring.activeId(), UnknownKeyError);
  ring.load(m, {m.wrap(1, k1), m.wrap(2, k2)}, 2);
  BOOST_TEST(ring.activeId() == 2u);
  BOOST_TEST(constantTimeEqual(ring.key(1).view(), k1.view()));
  BOOST_TEST(ring.contains(1));
  BOOST_TEST(!ring.contains(3));
  BOOST_CHECK_THROW(ring.key(3), UnknownKeyError);
  BOOST_CHECK_THROW(ring.setActive(3), UnknownKeyError);
  BOOST_CHECK_THROW(ring.load(m, {m.wrap(1, k1)}, 9), UnknownKeyError);
  BOOST_TEST(ring.ids().size() == 2u);
}

BOOST_AUTO_TEST_SUITE_END()
