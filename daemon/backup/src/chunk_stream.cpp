#include "chunk_stream.hpp"

#include <algorithm>
#include <string>

#include "vigil/backup/archive.hpp"
#include "vigil/crypto/aead.hpp"

namespace vigil::backup::detail {
namespace {

std::array<std::uint8_t, 12> nonceFor(const ChunkParams& p, std::uint64_t index, bool final) {
  auto n = p.nonceBase;
  for (int i = 0; i < 8; ++i)
    n[static_cast<std::size_t>(3 + i)] ^= static_cast<std::uint8_t>(index >> (56 - 8 * i));
  if (final) n[11] ^= 0x01;
  return n;
}

crypto::Bytes aadFor(const ChunkParams& p, std::uint64_t index, bool final) {
  crypto::Bytes aad(p.headerHash.begin(), p.headerHash.end());
  for (int i = 0; i < 8; ++i) aad.push_back(static_cast<std::uint8_t>(index >> (56 - 8 * i)));
  aad.push_back(final ? 1 : 0);
  return aad;
}

}  // namespace

ChunkWriter::ChunkWriter(std::FILE* out, ChunkParams params)
    : out_(out), params_(std::move(params)) {
  buffer_.reserve(params_.chunkSize);
}

void ChunkWriter::write(const std::uint8_t* data, std::size_t size) {
  while (size > 0) {
    // A full buffer becomes a non-final chunk only once more content arrives.
    if (buffer_.size() == params_.chunkSize) seal(false);
    auto n = std::min(size, params_.chunkSize - buffer_.size());
    buffer_.insert(buffer_.end(), data, data + n);
    data += n;
    size -= n;
  }
}

void ChunkWriter::finish() {
  seal(true);
}

void ChunkWriter::seal(bool final) {
  auto nonce = nonceFor(params_, index_, final);
  auto sealed = crypto::aes256GcmSeal(params_.key, nonce, aadFor(params_, index_, final), buffer_);
  if (std::fwrite(sealed.data(), 1, sealed.size(), out_) != sealed.size())
    throw BackupError("backup: cannot write the archive");
  crypto::secureWipe(buffer_.data(), buffer_.size());
  buffer_.clear();
  ++index_;
}

ChunkReader::ChunkReader(std::FILE* in, ChunkParams params) : in_(in), params_(std::move(params)) {}

void ChunkReader::openNext() {
  if (final_) throw ArchiveDamagedError("backup: the archive's content ends inside a record");
  const std::size_t want = params_.chunkSize + crypto::kGcmTagSize;
  crypto::Bytes sealed(want);
  std::size_t got = std::fread(sealed.data(), 1, want, in_);
  if (std::ferror(in_)) throw BackupError("backup: cannot read the archive");
  sealed.resize(got);
  bool final = got < want;
  if (!final) {
    int c = std::fgetc(in_);
    if (c == EOF) {
      final = true;
    } else {
      std::ungetc(c, in_);
    }
  }
  if (got < crypto::kGcmTagSize)
    throw ArchiveDamagedError("backup: the archive is truncated (chunk " + std::to_string(index_) +
                              ")");
  auto nonce = nonceFor(params_, index_, final);
  try {
    plain_ = crypto::aes256GcmOpen(params_.key, nonce, aadFor(params_, index_, final), sealed);
  } catch (const crypto::IntegrityError&) {
    throw ArchiveDamagedError("backup: chunk " + std::to_string(index_) +
                              " fails authentication: the archive was changed, truncated, "
                              "reordered or has bytes added");
  }
  if (final && plain_.empty() && index_ != 0)
    throw ArchiveDamagedError("backup: an empty final chunk after chunk " +
                              std::to_string(index_ - 1));
  pos_ = 0;
  final_ = final;
  ++index_;
}

void ChunkReader::readExact(std::uint8_t* out, std::size_t size) {
  while (size > 0) {
    if (pos_ == plain_.size()) openNext();
    auto n = std::min(size, plain_.size() - pos_);
    std::copy_n(plain_.data() + pos_, n, out);
    pos_ += n;
    out += n;
    size -= n;
  }
}

bool ChunkReader::atEnd() {
  while (pos_ == plain_.size()) {
    if (final_) return true;
    openNext();
  }
  return false;
}

}  // namespace vigil::backup::detail
