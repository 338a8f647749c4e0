// The recording file format (daemon/video/include/vigil/video/recording.hpp) without
// GStreamer: chunks sealed with the recording's id and number, the last one end-marked, so a
// file cut short or altered is found (issue 18).

#include <boost/test/unit_test.hpp>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "temp_dir.hpp"
#include "vigil/core/error.hpp"
#include "vigil/crypto/field_cipher.hpp"
#include "vigil/crypto/key_ring.hpp"
#include "vigil/crypto/random.hpp"
#include "vigil/video/recording.hpp"

namespace fs = std::filesystem;
using vigil::CryptoError;
using vigil::video::decryptRecording;
using vigil::video::RecordingReader;
using vigil::video::RecordingWriter;

namespace {

constexpr std::size_t kChunk = 256 * 1024;  // the format's chunk size, from its description
constexpr std::size_t kOverhead = vigil::crypto::FieldCipher::kOverhead;

struct RecordingFileFixture {
  vigil::store::test::TempDir dir;
  vigil::crypto::KeyRing ring;
  std::unique_ptr<vigil::crypto::FieldCipher> cipher;

  RecordingFileFixture() {
    ring.add(1, vigil::crypto::randomKey());
    ring.setActive(1);
    cipher = std::make_unique<vigil::crypto::FieldCipher>(ring);
  }

  /// `size` bytes that differ from chunk to chunk.
  static std::string media(std::size_t size) {
    std::string s(size, '\0');
    for (std::size_t i = 0; i < size; ++i) s[i] = static_cast<char>((i * 2654435761u) >> 11);
    return s;
  }

  fs::path write(const std::string& name, const std::string& plain, bool finish = true,
                 std::size_t piece = 10'000) {
    const auto path = dir.path() / name;
    RecordingWriter w(name, path, *cipher);
    for (std::size_t at = 0; at < plain.size(); at += piece) w.append(plain.substr(at, piece));
    if (finish) w.finish();
    return path;
  }

  /// The file's chunks as (offset of the length field, sealed length).
  static std::vector<std::pair<std::uint64_t, std::uint32_t>> chunks(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::vector<std::pair<std::uint64_t, std::uint32_t>> out;
    std::uint64_t at = 0;
    unsigned char h[4];
    while (in.read(reinterpret_cast<char*>(h), 4)) {
      const std::uint32_t len = (std::uint32_t{h[0]} << 24) | (std::uint32_t{h[1]} << 16) |
                                (std::uint32_t{h[2]} << 8) | std::uint32_t{h[3]};
      out.emplace_back(at, len);
      at += 4 + len;
      in.seekg(static_cast<std::streamoff>(at));
    }
    return out;
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(RecordingFile, RecordingFileFixture)

BOOST_AUTO_TEST_CASE(a_finished_recording_is_complete_and_reads_back_whole) {
  // Exactly two full chunks of media: the second is the end-marked one (no empty third).
  const auto plain = media(2 * kChunk);
  const auto path = write("rec-a", plain);
  const auto c = chunks(path);
  BOOST_REQUIRE(c.size() == 2u);
  BOOST_TEST(c[1].second == kChunk + kOverhead);
  bool complete = false;
  BOOST_TEST((decryptRecording(path, "rec-a", *cipher, &complete) == plain));
  BOOST_TEST(complete);
  BOOST_TEST((decryptRecording(path, "rec-a", *cipher) == plain));
  RecordingReader reader(path, "rec-a", *cipher);
  BOOST_TEST(reader.complete());
  BOOST_TEST(reader.size() == plain.size());
  BOOST_TEST((reader.read(kChunk - 10, 20) == plain.substr(kChunk - 10, 20)));
  BOOST_TEST((reader.read(2 * kChunk - 5, 100) == plain.substr(2 * kChunk - 5)));
  // Another id opens nothing.
  BOOST_CHECK_THROW(decryptRecording(path, "rec-b", *cipher), CryptoError);
}

BOOST_AUTO_TEST_CASE(an_empty_recording_is_complete) {
  const auto path = write("rec-empty", "");
  BOOST_TEST(chunks(path).size() == 1u);  // the end mark alone
  bool complete = false;
  BOOST_TEST(decryptRecording(path, "rec-empty", *cipher, &complete).empty());
  BOOST_TEST(complete);
  BOOST_TEST(RecordingReader(path, "rec-empty", *cipher).complete());
}

BOOST_AUTO_TEST_CASE(a_file_cut_at_a_chunk_boundary_fails_to_verify_but_plays_as_incomplete) {
  const auto plain = media(3 * kChunk + 1000);
  const auto path = write("rec-cut", plain);
  const auto c = chunks(path);
  BOOST_REQUIRE(c.size() == 4u);
  // Remove the last chunk (the end mark): what is left is a run of valid chunks.
  fs::resize_file(path, c[3].first);
  BOOST_CHECK_THROW(decryptRecording(path, "rec-cut", *cipher), CryptoError);
  bool complete = true;
  BOOST_TEST(
      (decryptRecording(path, "rec-cut", *cipher, &complete) == plain.substr(0, 3 * kChunk)));
  BOOST_TEST(!complete);
  RecordingReader reader(path, "rec-cut", *cipher);
  BOOST_TEST(!reader.complete());
  BOOST_TEST(reader.size() == 3 * kChunk);
  BOOST_TEST((reader.read(3 * kChunk - 10, 100) == plain.substr(3 * kChunk - 10, 10)));
}

BOOST_AUTO_TEST_CASE(a_recording_never_finished_is_incomplete) {
  // The daemon stopped mid-visit: the full chunks are on disk, the last was never sealed.
  const auto plain = media(2 * kChunk + 5000);
  const auto path = write("rec-open", plain, /*finish=*/false);
  BOOST_TEST(chunks(path).size() == 2u);
  BOOST_CHECK_THROW(decryptRecording(path, "rec-open", *cipher), CryptoError);
  RecordingReader reader(path, "rec-open", *cipher);
  BOOST_TEST(!reader.complete());
  BOOST_TEST((reader.read(0, 2 * kChunk) == plain.substr(0, 2 * kChunk)));
}

BOOST_AUTO_TEST_CASE(chunks_appended_after_the_end_or_moved_fail) {
  const auto plain = media(kChunk + 1000);
  const auto path = write("rec-x", plain);
  const auto c = chunks(path);
  BOOST_REQUIRE(c.size() == 2u);
  std::string bytes;
  {
    std::ifstream in(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  // The end-marked chunk copied in the middle (a second copy of the first chunk appended
  // after it would need the key to be numbered 2).
  const std::string first = bytes.substr(0, c[1].first);
  const std::string last = bytes.substr(c[1].first);
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << first << last << last;
  }
  BOOST_CHECK_THROW(decryptRecording(path, "rec-x", *cipher), CryptoError);
  bool complete = false;
  BOOST_CHECK_THROW(decryptRecording(path, "rec-x", *cipher, &complete), CryptoError);
  // The chunks swapped: numbers in the AAD refuse them.
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << last << first;
  }
  BOOST_CHECK_THROW(decryptRecording(path, "rec-x", *cipher, &complete), CryptoError);
  BOOST_CHECK_THROW(RecordingReader(path, "rec-x", *cipher).read(0, 10), CryptoError);
}

BOOST_AUTO_TEST_SUITE_END()
