#include "openssl_util.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include <array>
#include <cctype>

#include "vigil/core/error.hpp"

namespace vigil::pki::detail {

void throwCrypto(std::string_view what) {
  std::string message = "pki: " + std::string(what);
  unsigned long code = ERR_get_error();
  if (code != 0) {
    std::array<char, 256> buf{};
    ERR_error_string_n(code, buf.data(), buf.size());
    message += ": ";
    message += buf.data();
  }
  ERR_clear_error();
  throw CryptoError(message);
}

Owned<EVP_PKEY> generateP256Key() {
  Owned<EVP_PKEY_CTX> ctx(
      checkPtr(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr), "EC context"));
  check(EVP_PKEY_keygen_init(ctx.get()), "EC keygen init");
  if (EVP_PKEY_CTX_set_group_name(ctx.get(), "P-256") <= 0) throwCrypto("EC group P-256");
  EVP_PKEY* key = nullptr;
  if (EVP_PKEY_generate(ctx.get(), &key) <= 0) throwCrypto("EC key generation");
  return Owned<EVP_PKEY>(key);
}

std::string drain(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  if (len < 0) throwCrypto("read memory BIO");
  return std::string(data, static_cast<std::size_t>(len));
}

Owned<BIO> memBio() {
  return Owned<BIO>(checkPtr(BIO_new(BIO_s_mem()), "memory BIO"));
}

Owned<BIO> readBio(std::string_view pem) {
  if (pem.size() > static_cast<std::size_t>(INT32_MAX)) throw CryptoError("pki: PEM too large");
  return Owned<BIO>(
      checkPtr(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), "memory BIO"));
}

std::string privateKeyToPem(EVP_PKEY* key) {
  auto bio = memBio();
  check(PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr),
        "write private key");
  return drain(bio.get());
}

std::string certToPem(X509* cert) {
  auto bio = memBio();
  check(PEM_write_bio_X509(bio.get(), cert), "write certificate");
  return drain(bio.get());
}

std::string crlToPem(X509_CRL* crl) {
  auto bio = memBio();
  check(PEM_write_bio_X509_CRL(bio.get(), crl), "write CRL");
  return drain(bio.get());
}

Owned<EVP_PKEY> privateKeyFromPem(std::string_view pem) {
  auto bio = readBio(pem);
  return Owned<EVP_PKEY>(
      checkPtr(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr), "parse private key"));
}

Owned<X509> certFromPem(std::string_view pem) {
  auto bio = readBio(pem);
  return Owned<X509>(
      checkPtr(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), "parse certificate"));
}

Owned<X509_CRL> crlFromPem(std::string_view pem) {
  auto bio = readBio(pem);
  return Owned<X509_CRL>(
      checkPtr(PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr), "parse CRL"));
}

Owned<ASN1_INTEGER> serialFromHex(std::string_view hex) {
  if (hex.empty() || hex.size() > 64) throw CryptoError("pki: malformed serial");
  for (char c : hex) {
    if (std::isxdigit(static_cast<unsigned char>(c)) == 0)
      throw CryptoError("pki: malformed serial");
  }
  std::string text(hex);
  BIGNUM* raw = nullptr;
  if (BN_hex2bn(&raw, text.c_str()) == 0) throwCrypto("parse serial");
  Owned<BIGNUM> bn(raw);
  return Owned<ASN1_INTEGER>(checkPtr(BN_to_ASN1_INTEGER(bn.get(), nullptr), "serial"));
}

std::string serialToHex(const ASN1_INTEGER* serial) {
  Owned<BIGNUM> bn(checkPtr(ASN1_INTEGER_to_BN(serial, nullptr), "serial to number"));
  Owned<char> hex(checkPtr(BN_bn2hex(bn.get()), "serial to hex"));
  return std::string(hex.get());
}

std::string randomBytes(std::size_t n) {
  std::string out(n, '\0');
  if (n > static_cast<std::size_t>(INT32_MAX)) throw CryptoError("pki: too many random bytes");
  check(RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)),
        "random bytes");
  return out;
}

std::string randomSerialHex() {
  std::string bytes = randomBytes(16);
  bytes[0] = static_cast<char>((static_cast<unsigned char>(bytes[0]) & 0x7F) | 0x40);
  Owned<BIGNUM> bn(checkPtr(
      BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()), 16, nullptr), "serial"));
  Owned<char> hex(checkPtr(BN_bn2hex(bn.get()), "serial to hex"));
  return std::string(hex.get());
}

std::string hexEncode(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) {
    auto b = static_cast<unsigned char>(c);
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0x0F]);
  }
  return out;
}

std::string base64Encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  if (n < 0) throwCrypto("base64 encode");
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::string base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) throw CryptoError("pki: malformed base64");
  std::string out(3 * text.size() / 4 + 1, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  if (n < 0) throw CryptoError("pki: malformed base64");
  std::size_t len = static_cast<std::size_t>(n);
  // EVP_DecodeBlock keeps the zero bytes the padding stands for.
  if (!text.empty() && text.back() == '=') --len;
  if (text.size() >= 2 && text[text.size() - 2] == '=') --len;
  out.resize(len);
  return out;
}

}  // namespace vigil::pki::detail
