#pragma once
// The archive's chunked AEAD (age's STREAM construction with AES-256-GCM): the content is cut
// into chunks of a fixed size (the last one shorter, possibly empty only when it is the first);
// chunk i is sealed with nonce = base XOR (i as 8 bytes big-endian at bytes 3..10, final flag at
// byte 11) and additional data = SHA-256(header) || i (8 bytes big-endian) || final flag (1 byte).
// A reader learns which chunk is final only from the file's end, so a chunk that was cut off,
// moved or dropped, or one followed by added bytes, fails its tag.

#include <array>
#include <cstdint>
#include <cstdio>
#include <vector>

#include "vigil/crypto/bytes.hpp"
#include "vigil/crypto/hash.hpp"

namespace vigil::backup::detail {

/// What both sides of a stream share: its key, nonce base, header hash and chunk size.
struct ChunkParams {
  crypto::Key256 key;
  std::array<std::uint8_t, 12> nonceBase{};
  crypto::Digest256 headerHash{};
  std::size_t chunkSize = 65536;
};

/// Seals content written to it into chunks appended to `out`.
class ChunkWriter {
 public:
  ChunkWriter(std::FILE* out, ChunkParams params);
  void write(const std::uint8_t* data, std::size_t size);
  /// Seals what is buffered as the final chunk.
  void finish();

 private:
  void seal(bool final);

  std::FILE* out_;
  ChunkParams params_;
  std::vector<std::uint8_t> buffer_;
  std::uint64_t index_ = 0;
};

/// Opens chunks read from `in` and hands out their plaintext.
class ChunkReader {
 public:
  ChunkReader(std::FILE* in, ChunkParams params);
  /// Reads exactly `size` bytes; throws ArchiveDamagedError if the content ends first.
  void readExact(std::uint8_t* out, std::size_t size);
  /// True when the final chunk was opened and all of it handed out.
  bool atEnd();

 private:
  void openNext();

  std::FILE* in_;
  ChunkParams params_;
  std::vector<std::uint8_t> plain_;
  std::size_t pos_ = 0;
  std::uint64_t index_ = 0;
  bool final_ = false;
};

}  // namespace vigil::backup::detail
