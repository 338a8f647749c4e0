#define BOOST_TEST_MODULE vigil_backup
// The backup archive (vigil/backup/archive.hpp): round trips with a passphrase and to a
// recipient key, the header's documented layout and sizes (worked out by hand below), and each
// refusal: a wrong passphrase or key, a flipped byte in the header, body or tag, a truncation at
// several points, two chunks swapped, bytes appended.
#include "vigil/backup/archive.hpp"

#include <stdlib.h>
#include <sys/stat.h>

#include <boost/test/unit_test.hpp>
#include <fstream>
#include <iterator>

#include "vigil/crypto/hpke.hpp"
#include "vigil/crypto/random.hpp"

namespace fs = std::filesystem;
using namespace vigil;
using namespace vigil::backup;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "vigil-backup-XXXXXX").string();
    BOOST_REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
  }
  ~TempDir() { fs::remove_all(path); }
};

std::string readAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

void writeAll(const fs::path& p, const std::string& s) {
  std::ofstream(p, std::ios::binary | std::ios::trunc) << s;
}

mode_t modeOf(const fs::path& p) {
  struct stat st {};
  BOOST_REQUIRE(::stat(p.c_str(), &st) == 0);
  return st.st_mode & 0777;
}

// The cheapest scrypt the format accepts, so the refusal tests run fast.
const ScryptCost kFast{10, 8, 1};
const std::string kPassphrase = "correct horse battery staple";

// Sizes by hand (archive.hpp's layout): the fixed header is 8 (magic) + 1 (version) + 1 (kind)
// + 1 (chunk log2) + 1 (reserved) + 12 (nonce base) = 24 bytes; a passphrase header adds
// 3 (log2 N, r, p) + 16 (salt) + 48 (32-byte key + 16-byte tag) = 91; a recipient header adds
// 32 (enc) + 48 = 104. Each chunk carries a 16-byte tag.
constexpr std::size_t kPassphraseHeader = 91;
constexpr std::size_t kRecipientHeader = 104;

// A 3000-byte file "big" with chunks of 2^10: its record is 1 (type) + 2 (path length) + 3
// ("big") + 4 (mode) + 8 (size) + 3000 = 3018 bytes, and the end record 1: 3019 bytes of content
// in chunks of 1024, 1024 and 971 bytes, i.e. 1040 + 1040 + 987 on disk.
constexpr std::size_t kChunkOnDisk = 1040;
constexpr std::size_t kBigArchiveSize = kPassphraseHeader + 1040 + 1040 + 987;

std::string bigContent() {
  std::string s;
  for (int i = 0; i < 3000; ++i) s.push_back(static_cast<char>('a' + i % 26));
  return s;
}

fs::path writeBig(const TempDir& dir) {
  auto file = dir.path / "big.vbk";
  ArchiveWriter w(file, Lock::withPassphrase(kPassphrase, kFast), 10);
  w.addBytes("big", bigContent(), 0600);
  w.finish();
  return file;
}

// Extracts into a fresh staging directory under `dir`.
std::vector<Entry> extract(const TempDir& dir, const fs::path& file, const Unlock& unlock) {
  static int n = 0;
  auto staging = dir.path / ("staging-" + std::to_string(++n));
  fs::create_directory(staging);
  return extractArchive(file, unlock, staging);
}

template <typename E>
void refused(const TempDir& dir, const fs::path& file, const Unlock& unlock) {
  BOOST_CHECK_THROW(extract(dir, file, unlock), E);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(Archive)

BOOST_AUTO_TEST_CASE(round_trip_with_a_passphrase_keeps_files_directories_and_modes) {
  TempDir dir;
  auto source = dir.path / "recording.enc";
  std::string binary("\x00\x01\xff\x7f rec", 8);
  writeAll(source, binary);
  auto file = dir.path / "box.vbk";
  {
    ArchiveWriter w(file, Lock::withPassphrase(kPassphrase, kFast), 10);
    w.addDirectory("data/recordings", 0750);
    w.addFile("data/recordings/visit-1.enc", source, 0640);
    w.addBytes("keys/master.key", std::string(32, 'k'), 0600);
    w.addBytes("data/empty", "", 0644);
    w.addBytes("data/big", bigContent(), 0600);
    w.finish();
  }
  auto staging = dir.path / "out";
  fs::create_directory(staging);
  auto entries = extractArchive(file, Unlock::withPassphrase(kPassphrase), staging);
  BOOST_REQUIRE_EQUAL(entries.size(), 5u);
  BOOST_TEST(entries[0].type == 'D');
  BOOST_TEST(entries[0].path == "data/recordings");
  BOOST_TEST(entries[1].path == "data/recordings/visit-1.enc");
  BOOST_TEST(entries[1].size == 8u);
  BOOST_TEST(readAll(staging / "data/recordings/visit-1.enc") == binary);
  BOOST_TEST(modeOf(staging / "data/recordings/visit-1.enc") == 0640u);
  BOOST_TEST(readAll(staging / "keys/master.key") == std::string(32, 'k'));
  BOOST_TEST(modeOf(staging / "keys/master.key") == 0600u);
  BOOST_TEST(readAll(staging / "data/empty").empty());
  BOOST_TEST(readAll(staging / "data/big") == bigContent());
  BOOST_TEST(modeOf(file) == 0600u);
}

BOOST_AUTO_TEST_CASE(round_trip_to_a_recipient_key) {
  TempDir dir;
  auto me = crypto::hpke::X25519KeyPair::generate();
  auto file = dir.path / "box.vbk";
  {
    ArchiveWriter w(file, Lock::toRecipient(me.publicKey()));
    w.addBytes("a", "hello", 0600);
    w.finish();
  }
  // 104 + (1 + 2 + 1 + 4 + 8 + 5 + 1 (end) = 22 bytes of content + 16 tag).
  BOOST_TEST(fs::file_size(file) == kRecipientHeader + 22 + 16);
  auto entries = extract(dir, file, Unlock::withIdentity(me.privateKey()));
  BOOST_REQUIRE_EQUAL(entries.size(), 1u);
  BOOST_TEST(entries[0].path == "a");
  BOOST_TEST(entries[0].size == 5u);
}

BOOST_AUTO_TEST_CASE(the_header_is_as_documented) {
  TempDir dir;
  auto file = writeBig(dir);
  auto bytes = readAll(file);
  BOOST_TEST(bytes.size() == kBigArchiveSize);
  BOOST_TEST(bytes.substr(0, 8) == "VIGILBK1");
  BOOST_TEST(bytes[8] == 1);    // version
  BOOST_TEST(bytes[9] == 1);    // passphrase
  BOOST_TEST(bytes[10] == 10);  // chunks of 2^10
  BOOST_TEST(bytes[11] == 0);
  BOOST_TEST(bytes[24] == 10);  // scrypt log2 N
  BOOST_TEST(bytes[25] == 8);   // r
  BOOST_TEST(bytes[26] == 1);   // p
  // Nothing of the content is in the clear.
  BOOST_TEST(bytes.find("abcdefghij") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_default_scrypt_cost_is_two_to_the_seventeen) {
  TempDir dir;
  auto file = dir.path / "default.vbk";
  {
    ArchiveWriter w(file, Lock::withPassphrase(kPassphrase));
    w.addBytes("a", "hello", 0600);
    w.finish();
  }
  auto bytes = readAll(file);
  BOOST_TEST(bytes[10] == 16);  // 64 KiB chunks
  BOOST_TEST(bytes[24] == 17);
  BOOST_TEST(extract(dir, file, Unlock::withPassphrase(kPassphrase)).size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_wrong_passphrase_or_key_is_refused_as_a_key_error) {
  TempDir dir;
  auto file = writeBig(dir);
  refused<ArchiveKeyError>(dir, file, Unlock::withPassphrase("correct horse battery stapler"));
  refused<ArchiveKeyError>(dir, file, Unlock::withIdentity(crypto::randomKey()));

  auto me = crypto::hpke::X25519KeyPair::generate();
  auto other = crypto::hpke::X25519KeyPair::generate();
  auto sealed = dir.path / "sealed.vbk";
  {
    ArchiveWriter w(sealed, Lock::toRecipient(me.publicKey()));
    w.addBytes("a", "hello", 0600);
    w.finish();
  }
  refused<ArchiveKeyError>(dir, sealed, Unlock::withIdentity(other.privateKey()));
  refused<ArchiveKeyError>(dir, sealed, Unlock::withPassphrase(kPassphrase));
}

BOOST_AUTO_TEST_CASE(a_flipped_byte_anywhere_is_refused) {
  TempDir dir;
  auto file = writeBig(dir);
  const auto good = readAll(file);
  auto flipped = [&](std::size_t at) {
    auto bad = good;
    bad[at] = static_cast<char>(bad[at] ^ 0x01);
    auto f = dir.path / ("flip-" + std::to_string(at) + ".vbk");
    writeAll(f, bad);
    return f;
  };
  const auto pass = Unlock::withPassphrase(kPassphrase);
  refused<ArchiveDamagedError>(dir, flipped(0), pass);  // magic
  refused<ArchiveDamagedError>(dir, flipped(8), pass);  // version
  refused<ArchiveKeyError>(dir, flipped(15), pass);     // nonce base: the key wrap's AAD
  refused<ArchiveKeyError>(dir, flipped(30), pass);     // salt
  refused<ArchiveKeyError>(dir, flipped(90), pass);     // wrapped key's tag
  refused<ArchiveDamagedError>(dir, flipped(kPassphraseHeader + 3), pass);     // chunk 0's body
  refused<ArchiveDamagedError>(dir, flipped(kPassphraseHeader + 1039), pass);  // chunk 0's tag
  refused<ArchiveDamagedError>(dir, flipped(kPassphraseHeader + 1040 + 500), pass);  // chunk 1
  refused<ArchiveDamagedError>(dir, flipped(good.size() - 1), pass);  // the final chunk's tag
}

BOOST_AUTO_TEST_CASE(a_truncated_archive_is_refused_at_every_cut) {
  TempDir dir;
  auto file = writeBig(dir);
  const auto good = readAll(file);
  const auto pass = Unlock::withPassphrase(kPassphrase);
  // In the header, right after it, inside chunk 0, at the boundary after chunk 0 and after
  // chunk 1 (a cut there leaves whole chunks that were not sealed as final), one byte short.
  for (std::size_t cut :
       {std::size_t{50}, kPassphraseHeader, kPassphraseHeader + 10,
        kPassphraseHeader + kChunkOnDisk, kPassphraseHeader + 2 * kChunkOnDisk, good.size() - 1}) {
    auto f = dir.path / ("cut-" + std::to_string(cut) + ".vbk");
    writeAll(f, good.substr(0, cut));
    BOOST_TEST_CONTEXT("cut at " << cut) {
      refused<ArchiveDamagedError>(dir, f, pass);
    }
  }
}

BOOST_AUTO_TEST_CASE(two_chunks_swapped_are_refused) {
  TempDir dir;
  auto file = writeBig(dir);
  const auto good = readAll(file);
  auto bad = good.substr(0, kPassphraseHeader) +
             good.substr(kPassphraseHeader + kChunkOnDisk, kChunkOnDisk) +
             good.substr(kPassphraseHeader, kChunkOnDisk) +
             good.substr(kPassphraseHeader + 2 * kChunkOnDisk);
  BOOST_REQUIRE_EQUAL(bad.size(), good.size());
  writeAll(dir.path / "swapped.vbk", bad);
  refused<ArchiveDamagedError>(dir, dir.path / "swapped.vbk", Unlock::withPassphrase(kPassphrase));
  // And a chunk dropped (chunk 1 missing: chunk 2 is read as chunk 1).
  writeAll(dir.path / "dropped.vbk", good.substr(0, kPassphraseHeader + kChunkOnDisk) +
                                         good.substr(kPassphraseHeader + 2 * kChunkOnDisk));
  refused<ArchiveDamagedError>(dir, dir.path / "dropped.vbk", Unlock::withPassphrase(kPassphrase));
}

BOOST_AUTO_TEST_CASE(bytes_appended_after_the_final_chunk_are_refused) {
  TempDir dir;
  auto file = writeBig(dir);
  const auto good = readAll(file);
  const auto pass = Unlock::withPassphrase(kPassphrase);
  writeAll(dir.path / "one.vbk", good + "x");
  refused<ArchiveDamagedError>(dir, dir.path / "one.vbk", pass);
  // A whole valid-looking chunk appended (a copy of chunk 0).
  writeAll(dir.path / "chunk.vbk", good + good.substr(kPassphraseHeader, kChunkOnDisk));
  refused<ArchiveDamagedError>(dir, dir.path / "chunk.vbk", pass);
  // Two archives concatenated.
  writeAll(dir.path / "two.vbk", good + good);
  refused<ArchiveDamagedError>(dir, dir.path / "two.vbk", pass);
}

BOOST_AUTO_TEST_CASE(a_header_asking_for_more_than_a_gibibyte_of_scrypt_is_refused) {
  TempDir dir;
  auto good = readAll(writeBig(dir));
  // log2 N = 21 with r = 8: 128 * 8 * 2^21 = 2 GiB, refused before any work is done.
  auto bad = good;
  bad[24] = 21;
  writeAll(dir.path / "costly.vbk", bad);
  refused<ArchiveDamagedError>(dir, dir.path / "costly.vbk", Unlock::withPassphrase(kPassphrase));
  BOOST_CHECK_THROW(
      ArchiveWriter(dir.path / "w.vbk", Lock::withPassphrase(kPassphrase, {21, 8, 1})),
      ArchiveDamagedError);
}

BOOST_AUTO_TEST_CASE(a_file_that_is_not_an_archive_is_refused) {
  TempDir dir;
  writeAll(dir.path / "plain.db", "SQLite format 3");
  refused<ArchiveDamagedError>(dir, dir.path / "plain.db", Unlock::withPassphrase(kPassphrase));
  writeAll(dir.path / "empty", "");
  refused<ArchiveDamagedError>(dir, dir.path / "empty", Unlock::withPassphrase(kPassphrase));
}

BOOST_AUTO_TEST_CASE(record_paths_must_stay_inside_the_target) {
  for (const char* bad : {"", "/etc/passwd", "../x", "a/../../x", "a//b", "a/./b", "a/", "."})
    BOOST_CHECK_THROW(checkArchivePath(bad), ArchiveDamagedError);
  BOOST_CHECK_NO_THROW(checkArchivePath("data/recordings/visit-1.enc"));
  TempDir dir;
  ArchiveWriter w(dir.path / "x.vbk", Lock::withPassphrase(kPassphrase, kFast));
  BOOST_CHECK_THROW(w.addBytes("../escape", "x", 0600), ArchiveDamagedError);
}

BOOST_AUTO_TEST_CASE(an_unfinished_archive_leaves_no_file) {
  TempDir dir;
  {
    ArchiveWriter w(dir.path / "x.vbk", Lock::withPassphrase(kPassphrase, kFast));
    w.addBytes("a", "hello", 0600);
  }
  BOOST_TEST(fs::is_empty(dir.path));
}

BOOST_AUTO_TEST_SUITE_END()
