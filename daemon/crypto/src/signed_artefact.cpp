#include "vigil/crypto/signed_artefact.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <charconv>
#include <map>

namespace vigil::crypto {
namespace {

constexpr std::string_view kSignatureHeader = "vigil-signature v1";
constexpr std::string_view kKeyHeader = "vigil-signing-key v1";
constexpr std::string_view kPubHeader = "vigil-signing-pub v1";

[[noreturn]] void malformed(const std::string& what) {
  throw SignatureError(SignatureRefusal::malformed, what);
}

/// "header\nname: value\n…" → fields; the header must match.
std::map<std::string, std::string> fields(std::string_view text, std::string_view header,
                                          std::string_view what) {
  std::map<std::string, std::string> out;
  std::size_t i = 0;
  bool first = true;
  while (i < text.size()) {
    auto j = text.find('\n', i);
    if (j == std::string_view::npos) j = text.size();
    auto line = text.substr(i, j - i);
    i = j + 1;
    if (line.empty()) continue;
    if (first) {
      if (line != header) malformed(std::string(what) + ": not a " + std::string(header) + " file");
      first = false;
      continue;
    }
    auto colon = line.find(": ");
    if (colon == std::string_view::npos)
      malformed(std::string(what) + ": a line is not 'name: value'");
    auto [it, fresh] =
        out.emplace(std::string(line.substr(0, colon)), std::string(line.substr(colon + 2)));
    if (!fresh) malformed(std::string(what) + ": " + it->first + " given twice");
  }
  if (first) malformed(std::string(what) + ": empty");
  return out;
}

const std::string& field(const std::map<std::string, std::string>& f, const char* name,
                         std::string_view what) {
  auto it = f.find(name);
  if (it == f.end() || it->second.empty()) malformed(std::string(what) + ": " + name + " missing");
  return it->second;
}

Bytes base64Field(const std::map<std::string, std::string>& f, const char* name,
                  std::string_view what, std::size_t size) {
  Bytes b;
  try {
    b = fromBase64(field(f, name, what));
  } catch (const CryptoError&) {
    malformed(std::string(what) + ": " + name + " is not base64");
  }
  if (b.size() != size) malformed(std::string(what) + ": " + name + " has the wrong length");
  return b;
}

bool validWord(std::string_view s) {
  return !s.empty() && s.size() <= 255 &&
         std::all_of(s.begin(), s.end(), [](char c) { return c > ' ' && c != 0x7f; });
}

Bytes message(std::string_view keyId, std::string_view purpose, std::string_view name,
              std::uint64_t size, const Digest256& sha256) {
  std::string m = "vigil.artefact.v1\n";
  m.append(keyId).append("\n").append(purpose).append("\n").append(name).append("\n");
  m.append(std::to_string(size)).append("\n").append(toHex(sha256));
  return Bytes(m.begin(), m.end());
}

}  // namespace

std::string_view toString(SignatureRefusal refusal) {
  switch (refusal) {
    case SignatureRefusal::malformed:
      return "malformed";
    case SignatureRefusal::untrustedKey:
      return "untrusted_key";
    case SignatureRefusal::wrongPurpose:
      return "wrong_purpose";
    case SignatureRefusal::badSignature:
      return "bad_signature";
    case SignatureRefusal::digestMismatch:
      return "digest_mismatch";
  }
  return "malformed";
}

std::string keyIdOf(ByteView publicKey) {
  auto d = sha256(publicKey);
  return toHex(ByteView(d.data(), 8));
}

std::string formatSigningKey(const Key256& seed) {
  Ed25519Signer signer(seed);
  return std::string(kKeyHeader) + "\nid: " + keyIdOf(signer.publicKey()) +
         "\nseed: " + toBase64(seed.view()) + "\n";
}

std::string formatPublicKey(ByteView publicKey) {
  return std::string(kPubHeader) + "\nid: " + keyIdOf(publicKey) + "\nkey: " + toBase64(publicKey) +
         "\n";
}

Key256 parseSigningKey(std::string_view text) {
  auto f = fields(text, kKeyHeader, "signing key");
  auto seed = base64Field(f, "seed", "signing key", Key256::kSize);
  Key256 key(seed);
  secureWipe(seed.data(), seed.size());
  if (keyIdOf(Ed25519Signer(key).publicKey()) != field(f, "id", "signing key"))
    malformed("signing key: id is not the key's");
  return key;
}

TrustedKey parsePublicKey(std::string_view text) {
  auto f = fields(text, kPubHeader, "public key");
  TrustedKey k;
  k.publicKey = base64Field(f, "key", "public key", Ed25519Signer::kPublicKeySize);
  k.id = field(f, "id", "public key");
  if (k.id != keyIdOf(k.publicKey)) malformed("public key: id is not the key's");
  return k;
}

Sha256Stream::Sha256Stream() : ctx_(EVP_MD_CTX_new()) {
  if (!ctx_ || EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(ctx_), EVP_sha256(), nullptr) != 1)
    throw CryptoError("sha256: init failed");
}

Sha256Stream::~Sha256Stream() {
  EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_));
}

void Sha256Stream::update(ByteView data) {
  if (EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), data.data(), data.size()) != 1)
    throw CryptoError("sha256: update failed");
  size_ += data.size();
}

Digest256 Sha256Stream::finish() {
  Digest256 d{};
  unsigned int n = 0;
  if (EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(ctx_), d.data(), &n) != 1 || n != d.size())
    throw CryptoError("sha256: final failed");
  return d;
}

ArtefactSignature signArtefact(const Ed25519Signer& signer, std::string_view purpose,
                               std::string_view name, std::uint64_t size, const Digest256& sha256) {
  if (!validWord(purpose) || !validWord(name))
    throw SignatureError(SignatureRefusal::malformed,
                         "purpose and name: 1 to 255 printable characters without spaces");
  ArtefactSignature s;
  s.keyId = keyIdOf(signer.publicKey());
  s.purpose = std::string(purpose);
  s.name = std::string(name);
  s.size = size;
  s.sha256 = sha256;
  s.signature = signer.sign(message(s.keyId, purpose, name, size, sha256));
  return s;
}

std::string formatSignature(const ArtefactSignature& s) {
  return std::string(kSignatureHeader) + "\nkey-id: " + s.keyId + "\npurpose: " + s.purpose +
         "\nname: " + s.name + "\nsize: " + std::to_string(s.size) +
         "\nsha256: " + toHex(s.sha256) + "\nsignature: " + toBase64(s.signature) + "\n";
}

ArtefactSignature parseSignature(std::string_view text) {
  constexpr std::string_view what = "signature";
  auto f = fields(text, kSignatureHeader, what);
  ArtefactSignature s;
  s.keyId = field(f, "key-id", what);
  s.purpose = field(f, "purpose", what);
  s.name = field(f, "name", what);
  const auto& size = field(f, "size", what);
  auto [end, ec] = std::from_chars(size.data(), size.data() + size.size(), s.size);
  if (ec != std::errc() || end != size.data() + size.size())
    malformed("signature: size is not a number");
  const auto& hex = field(f, "sha256", what);
  Bytes digest;
  try {
    digest = fromHex(hex);
  } catch (const CryptoError&) {
    malformed("signature: sha256 is not hex");
  }
  if (digest.size() != s.sha256.size()) malformed("signature: sha256 has the wrong length");
  std::copy(digest.begin(), digest.end(), s.sha256.begin());
  s.signature = base64Field(f, "signature", what, Ed25519Signer::kSignatureSize);
  if (f.size() != 6) malformed("signature: unknown fields");
  return s;
}

const TrustedKey& verifyArtefact(const ArtefactSignature& s, std::string_view purpose,
                                 std::uint64_t size, const Digest256& sha256,
                                 std::span<const TrustedKey> trusted) {
  auto key = std::find_if(trusted.begin(), trusted.end(),
                          [&](const TrustedKey& k) { return k.id == s.keyId; });
  if (key == trusted.end())
    throw SignatureError(SignatureRefusal::untrustedKey,
                         "signed by key " + s.keyId + ", which is not trusted");
  if (!ed25519Verify(key->publicKey, message(s.keyId, s.purpose, s.name, s.size, s.sha256),
                     s.signature))
    throw SignatureError(SignatureRefusal::badSignature,
                         "the signature does not verify under key " + s.keyId);
  if (s.purpose != purpose)
    throw SignatureError(SignatureRefusal::wrongPurpose,
                         "signed as " + s.purpose + ", not as " + std::string(purpose));
  if (s.size != size || !constantTimeEqual(s.sha256, sha256))
    throw SignatureError(SignatureRefusal::digestMismatch,
                         "the file is not the one that was signed (size or SHA-256 differ)");
  return *key;
}

}  // namespace vigil::crypto
