#include "vigil/pki/certificate_authority.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <map>
#include <sstream>

#include "file_util.hpp"
#include "openssl_util.hpp"
#include "vigil/core/error.hpp"
#include "vigil/core/log.hpp"
#include "vigil/pki/device_id.hpp"

namespace vigil::pki {

using detail::check;
using detail::checkPtr;
using detail::Owned;
namespace fs = std::filesystem;

std::string_view toString(CertKind kind) {
  switch (kind) {
    case CertKind::device:
      return "device";
    case CertKind::service:
      return "service";
    case CertKind::server:
      return "server";
  }
  return "device";
}

CertKind parseCertKind(std::string_view name) {
  if (name == "device") return CertKind::device;
  if (name == "service") return CertKind::service;
  if (name == "server") return CertKind::server;
  throw ValidationError("kind: must be device, service or server");
}

namespace {

constexpr std::int64_t kBackdateSeconds = 3600;  // tolerate device clocks a little behind
constexpr std::int64_t kSecondsPerDay = 86'400;
constexpr std::size_t kMaxRequestPem = 64 * 1024;

std::int64_t epochSeconds(const Clock& clock) {
  return std::chrono::duration_cast<std::chrono::seconds>(clock.now().time_since_epoch()).count();
}

Owned<ASN1_TIME> asn1Time(std::int64_t t) {
  return Owned<ASN1_TIME>(checkPtr(ASN1_TIME_set(nullptr, static_cast<time_t>(t)), "time"));
}

void setName(X509_NAME* name, std::string_view commonName) {
  std::string cn(commonName);
  check(X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>("Vigil"), -1, -1, 0),
        "subject O");
  check(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0),
        "subject CN");
}

void addExtension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  Owned<X509_EXTENSION> ext(
      checkPtr(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()), "certificate extension"));
  check(X509_add_ext(cert, ext.get(), -1), "add certificate extension");
}

bool isDnsName(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.';
  });
}

bool isIpText(std::string_view ip) {
  if (ip.empty() || ip.size() > 45) return false;
  return std::all_of(ip.begin(), ip.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == '.' ||
           c == ':';
  });
}

/// The parsed index: issue records by serial, in issue order.
struct Index {
  std::vector<CertRecord> records;
  std::map<std::string, std::size_t, std::less<>> bySerial;
};

Index parseIndex(const std::string& text) {
  Index index;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> f;
    std::size_t start = 0;
    for (;;) {
      auto tab = line.find('\t', start);
      f.push_back(line.substr(start, tab - start));
      if (tab == std::string::npos) break;
      start = tab + 1;
    }
    try {
      if (f[0] == "issue" && f.size() == 6) {
        CertRecord r;
        r.serial = f[1];
        r.kind = parseCertKind(f[2]);
        r.commonName = f[3];
        r.notBefore = std::stoll(f[4]);
        r.notAfter = std::stoll(f[5]);
        index.bySerial[r.serial] = index.records.size();
        index.records.push_back(std::move(r));
      } else if (f[0] == "revoke" && f.size() == 3) {
        auto it = index.bySerial.find(f[1]);
        if (it != index.bySerial.end()) index.records[it->second].revokedAt = std::stoll(f[2]);
      } else {
        throw CryptoError("pki: malformed index line");
      }
    } catch (const std::logic_error&) {
      throw CryptoError("pki: malformed index line");
    }
  }
  return index;
}

}  // namespace

struct CertificateAuthority::Impl {
  fs::path dir;
  const Clock* clock = nullptr;
  CaOptions options;
  Owned<X509> caCert;
  Owned<EVP_PKEY> caKey;
  std::string caPem;

  fs::path keyPath() const { return dir / "ca.key"; }
  fs::path certPath() const { return dir / "ca.pem"; }
  fs::path crlPath() const { return dir / "crl.pem"; }
  fs::path indexPath() const { return dir / "index.log"; }
  fs::path crlNumberPath() const { return dir / "crlnumber"; }
  fs::path lockPath() const { return dir / "lock"; }
  fs::path issuedPath(const std::string& serial) const { return dir / "certs" / (serial + ".pem"); }

  Index loadIndex() const {
    if (!fs::exists(indexPath())) return {};
    return parseIndex(detail::readFile(indexPath()));
  }

  // Issues a certificate for `subjectKey` (the holder keeps its private key: keyPem stays
  // empty), or for a fresh P-256 key returned with it when `subjectKey` is null.
  IssuedCertificate issue(std::string_view commonName, CertKind kind,
                          const std::string& subjectAltNames, EVP_PKEY* subjectKey = nullptr) {
    Owned<EVP_PKEY> fresh;
    if (subjectKey == nullptr) fresh = detail::generateP256Key();
    EVP_PKEY* key = subjectKey != nullptr ? subjectKey : fresh.get();
    Owned<X509> cert(checkPtr(X509_new(), "new certificate"));
    check(X509_set_version(cert.get(), 2), "certificate version");
    std::string serial = detail::randomSerialHex();
    auto serialInt = detail::serialFromHex(serial);
    check(X509_set_serialNumber(cert.get(), serialInt.get()), "certificate serial");
    std::int64_t now = epochSeconds(*clock);
    int days = kind == CertKind::server ? options.serverValidityDays : options.leafValidityDays;
    std::int64_t notBefore = now - kBackdateSeconds;
    std::int64_t notAfter = now + days * kSecondsPerDay;
    check(X509_set1_notBefore(cert.get(), asn1Time(notBefore).get()), "notBefore");
    check(X509_set1_notAfter(cert.get(), asn1Time(notAfter).get()), "notAfter");
    setName(X509_get_subject_name(cert.get()), commonName);
    check(X509_set_issuer_name(cert.get(), X509_get_subject_name(caCert.get())), "issuer");
    check(X509_set_pubkey(cert.get(), key), "public key");
    addExtension(cert.get(), caCert.get(), NID_basic_constraints, "critical,CA:FALSE");
    addExtension(cert.get(), caCert.get(), NID_key_usage, "critical,digitalSignature");
    addExtension(cert.get(), caCert.get(), NID_ext_key_usage,
                 kind == CertKind::server ? "serverAuth" : "clientAuth");
    addExtension(cert.get(), caCert.get(), NID_subject_key_identifier, "hash");
    addExtension(cert.get(), caCert.get(), NID_authority_key_identifier, "keyid:always");
    if (!subjectAltNames.empty()) {
      addExtension(cert.get(), caCert.get(), NID_subject_alt_name, subjectAltNames);
    }
    if (X509_sign(cert.get(), caKey.get(), EVP_sha256()) <= 0) detail::throwCrypto("sign");

    IssuedCertificate out;
    out.record = {serial, kind, std::string(commonName), notBefore, notAfter, 0};
    out.certPem = detail::certToPem(cert.get());
    if (fresh) out.keyPem = detail::privateKeyToPem(fresh.get());

    detail::DirLock lock(lockPath());
    detail::writeFileAtomic(issuedPath(serial), out.certPem, 0644);
    std::ostringstream line;
    line << "issue\t" << serial << '\t' << toString(kind) << '\t' << commonName << '\t' << notBefore
         << '\t' << notAfter << '\n';
    detail::appendFile(indexPath(), line.str(), 0640);
    log::info("pki.issued", {{"kind", toString(kind)}, {"serial", serial}});
    return out;
  }

  // Caller holds the lock.
  void writeCrlLocked(const Index& index) {
    Owned<X509_CRL> crl(checkPtr(X509_CRL_new(), "new CRL"));
    check(X509_CRL_set_version(crl.get(), 1), "CRL version");
    check(X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(caCert.get())), "CRL issuer");
    std::int64_t now = epochSeconds(*clock);
    check(X509_CRL_set1_lastUpdate(crl.get(), asn1Time(now).get()), "CRL lastUpdate");
    check(X509_CRL_set1_nextUpdate(crl.get(),
                                   asn1Time(now + options.crlValidityDays * kSecondsPerDay).get()),
          "CRL nextUpdate");
    for (const auto& r : index.records) {
      if (!r.revoked()) continue;
      Owned<X509_REVOKED> revoked(checkPtr(X509_REVOKED_new(), "new revoked entry"));
      auto serial = detail::serialFromHex(r.serial);
      check(X509_REVOKED_set_serialNumber(revoked.get(), serial.get()), "revoked serial");
      check(X509_REVOKED_set_revocationDate(revoked.get(), asn1Time(r.revokedAt).get()),
            "revocation date");
      check(X509_CRL_add0_revoked(crl.get(), revoked.get()), "add revoked entry");
      revoked.release();  // owned by the CRL now
    }
    check(X509_CRL_sort(crl.get()), "sort CRL");

    long number = 1;
    if (fs::exists(crlNumberPath())) {
      try {
        number = std::stol(detail::readFile(crlNumberPath())) + 1;
      } catch (const std::logic_error&) {
        throw CryptoError("pki: malformed crlnumber");
      }
    }
    Owned<ASN1_INTEGER> crlNumber(checkPtr(ASN1_INTEGER_new(), "CRL number"));
    check(ASN1_INTEGER_set(crlNumber.get(), number), "CRL number");
    check(X509_CRL_add1_ext_i2d(crl.get(), NID_crl_number, crlNumber.get(), 0, 0), "CRL number");
    if (X509_CRL_sign(crl.get(), caKey.get(), EVP_sha256()) <= 0) detail::throwCrypto("sign CRL");
    detail::writeFileAtomic(crlNumberPath(), std::to_string(number) + "\n", 0644);
    detail::writeFileAtomic(crlPath(), detail::crlToPem(crl.get()), 0644);
    log::info("pki.crl_written", {{"crl_number", static_cast<std::int64_t>(number)}});
  }
};

CertificateAuthority::CertificateAuthority(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CertificateAuthority::CertificateAuthority(CertificateAuthority&&) noexcept = default;
CertificateAuthority& CertificateAuthority::operator=(CertificateAuthority&&) noexcept = default;
CertificateAuthority::~CertificateAuthority() = default;

bool CertificateAuthority::exists(const fs::path& dir) {
  return fs::exists(dir / "ca.key") && fs::exists(dir / "ca.pem");
}

CertificateAuthority CertificateAuthority::create(const fs::path& dir, const CaOptions& options,
                                                  const Clock& clock) {
  if (exists(dir)) throw Error("pki: a CA already exists in " + dir.string());
  detail::makeDir(dir, 0700);
  detail::makeDir(dir / "certs", 0755);
  auto impl = std::make_unique<Impl>();
  impl->dir = dir;
  impl->clock = &clock;
  impl->options = options;
  detail::DirLock lock(impl->lockPath());

  auto key = detail::generateP256Key();
  Owned<X509> cert(checkPtr(X509_new(), "new CA certificate"));
  X509* c = cert.get();
  check(X509_set_version(c, 2), "CA version");
  auto serial = detail::serialFromHex(detail::randomSerialHex());
  check(X509_set_serialNumber(c, serial.get()), "CA serial");
  std::int64_t now = epochSeconds(clock);
  check(X509_set1_notBefore(c, asn1Time(now - kBackdateSeconds).get()), "CA notBefore");
  check(X509_set1_notAfter(c, asn1Time(now + options.caValidityDays * kSecondsPerDay).get()),
        "CA notAfter");
  setName(X509_get_subject_name(c), options.commonName);
  check(X509_set_issuer_name(c, X509_get_subject_name(c)), "CA issuer");
  check(X509_set_pubkey(c, key.get()), "CA public key");
  addExtension(c, c, NID_basic_constraints, "critical,CA:TRUE,pathlen:0");
  addExtension(c, c, NID_key_usage, "critical,keyCertSign,cRLSign");
  addExtension(c, c, NID_subject_key_identifier, "hash");
  addExtension(c, c, NID_authority_key_identifier, "keyid:always");
  if (X509_sign(c, key.get(), EVP_sha256()) <= 0) detail::throwCrypto("self-sign CA");

  detail::writeFileAtomic(impl->keyPath(), detail::privateKeyToPem(key.get()), 0600);
  impl->caPem = detail::certToPem(c);
  detail::writeFileAtomic(impl->certPath(), impl->caPem, 0644);
  impl->caCert = std::move(cert);
  impl->caKey = std::move(key);
  impl->writeCrlLocked(Index{});
  log::info("pki.ca_created", {{"dir", dir.string()}});
  return CertificateAuthority(std::move(impl));
}

CertificateAuthority CertificateAuthority::open(const fs::path& dir, const Clock& clock) {
  auto impl = std::make_unique<Impl>();
  impl->dir = dir;
  impl->clock = &clock;
  if (!exists(dir)) throw FileMissing("pki: no CA in " + dir.string());
  if ((detail::fileMode(impl->keyPath()) & 077) != 0) {
    throw CryptoError("pki: " + impl->keyPath().string() +
                      " is readable by group or others; chmod 600 it");
  }
  impl->caPem = detail::readFile(impl->certPath());
  impl->caCert = detail::certFromPem(impl->caPem);
  impl->caKey = detail::privateKeyFromPem(detail::readFile(impl->keyPath()));
  if (X509_check_private_key(impl->caCert.get(), impl->caKey.get()) != 1) {
    detail::throwCrypto("ca.key does not match ca.pem");
  }
  detail::makeDir(dir / "certs", 0755);
  CertificateAuthority ca(std::move(impl));
  if (!fs::exists(ca.crlPath())) ca.writeCrl();
  return ca;
}

CertificateAuthority CertificateAuthority::openOrCreate(const fs::path& dir,
                                                        const CaOptions& options,
                                                        const Clock& clock) {
  if (exists(dir)) {
    auto ca = open(dir, clock);
    ca.impl_->options = options;
    return ca;
  }
  return create(dir, options, clock);
}

const fs::path& CertificateAuthority::dir() const {
  return impl_->dir;
}
fs::path CertificateAuthority::caCertPath() const {
  return impl_->certPath();
}
fs::path CertificateAuthority::crlPath() const {
  return impl_->crlPath();
}
std::string CertificateAuthority::caCertPem() const {
  return impl_->caPem;
}

IssuedCertificate CertificateAuthority::issueServer(std::string_view commonName,
                                                    const std::vector<std::string>& dnsNames,
                                                    const std::vector<std::string>& ipAddresses) {
  if (!isDnsName(commonName)) throw ValidationError("common_name: not a host name");
  std::string san;
  for (const auto& dns : dnsNames) {
    if (!isDnsName(dns)) throw ValidationError("dns_name: not a host name");
    san += (san.empty() ? "DNS:" : ",DNS:") + dns;
  }
  for (const auto& ip : ipAddresses) {
    if (!isIpText(ip)) throw ValidationError("ip_address: not an IP address");
    san += (san.empty() ? "IP:" : ",IP:") + ip;
  }
  return impl_->issue(commonName, CertKind::server, san);
}

IssuedCertificate CertificateAuthority::issueClient(std::string_view commonName, CertKind kind) {
  if (kind == CertKind::server)
    throw ValidationError("kind: a client certificate cannot be server");
  validateDeviceId(commonName);
  return impl_->issue(commonName, kind, {});
}

IssuedCertificate CertificateAuthority::signClientRequest(std::string_view csrPem,
                                                          std::string_view commonName,
                                                          CertKind kind) {
  if (kind == CertKind::server)
    throw ValidationError("kind: a client certificate cannot be server");
  validateDeviceId(commonName);
  if (csrPem.size() > kMaxRequestPem) throw ValidationError("csr: too large");
  Owned<BIO> bio(checkPtr(BIO_new_mem_buf(csrPem.data(), static_cast<int>(csrPem.size())), "BIO"));
  std::unique_ptr<X509_REQ, decltype(&X509_REQ_free)> req(
      PEM_read_bio_X509_REQ(bio.get(), nullptr, nullptr, nullptr), &X509_REQ_free);
  if (!req) {
    ERR_clear_error();
    throw ValidationError("csr: not a PEM certificate request");
  }
  EVP_PKEY* key = X509_REQ_get0_pubkey(req.get());
  if (key == nullptr || X509_REQ_verify(req.get(), key) != 1) {
    ERR_clear_error();
    throw ValidationError("csr: its signature does not verify");
  }
  if (!EVP_PKEY_is_a(key, "EC") || EVP_PKEY_get_bits(key) != 256) {
    throw ValidationError("csr: the key must be EC P-256");
  }
  char group[64] = {};
  std::size_t groupLen = 0;
  if (EVP_PKEY_get_utf8_string_param(key, "group", group, sizeof group, &groupLen) != 1 ||
      std::string_view(group, groupLen) != "prime256v1") {
    ERR_clear_error();
    throw ValidationError("csr: the key must be EC P-256");
  }
  return impl_->issue(commonName, kind, {}, key);
}

bool CertificateAuthority::revoke(std::string_view serial) {
  detail::DirLock lock(impl_->lockPath());
  auto index = impl_->loadIndex();
  auto it = index.bySerial.find(serial);
  if (it == index.bySerial.end()) throw NotFound("pki: no certificate with that serial");
  auto& record = index.records[it->second];
  if (record.revoked()) return false;
  record.revokedAt = epochSeconds(*impl_->clock);
  std::ostringstream line;
  line << "revoke\t" << record.serial << '\t' << record.revokedAt << '\n';
  detail::appendFile(impl_->indexPath(), line.str(), 0640);
  impl_->writeCrlLocked(index);
  log::info("pki.revoked", {{"kind", toString(record.kind)}, {"serial", record.serial}});
  return true;
}

std::vector<CertRecord> CertificateAuthority::revokeAll(std::string_view commonName, CertKind kind,
                                                        std::string_view keepSerial) {
  detail::DirLock lock(impl_->lockPath());
  auto index = impl_->loadIndex();
  std::int64_t now = epochSeconds(*impl_->clock);
  std::vector<CertRecord> revoked;
  std::string lines;
  for (auto& r : index.records) {
    if (r.revoked() || r.kind != kind || r.commonName != commonName) continue;
    if (r.serial == keepSerial) continue;
    r.revokedAt = now;
    lines += "revoke\t" + r.serial + '\t' + std::to_string(now) + '\n';
    revoked.push_back(r);
  }
  if (!revoked.empty()) {
    detail::appendFile(impl_->indexPath(), lines, 0640);
    impl_->writeCrlLocked(index);
    log::info("pki.revoked", {{"kind", toString(kind)}, {"count", revoked.size()}});
  }
  return revoked;
}

void CertificateAuthority::writeCrl() {
  detail::DirLock lock(impl_->lockPath());
  impl_->writeCrlLocked(impl_->loadIndex());
}

bool CertificateAuthority::refreshCrlIfDue() {
  detail::DirLock lock(impl_->lockPath());
  bool due = true;
  if (fs::exists(impl_->crlPath())) {
    auto crl = detail::crlFromPem(detail::readFile(impl_->crlPath()));
    const ASN1_TIME* last = X509_CRL_get0_lastUpdate(crl.get());
    const ASN1_TIME* next = X509_CRL_get0_nextUpdate(crl.get());
    if (last != nullptr && next != nullptr) {
      int days = 0;
      int seconds = 0;
      check(ASN1_TIME_diff(&days, &seconds, last, next), "CRL validity");
      std::int64_t half = (std::int64_t{days} * kSecondsPerDay + seconds) / 2;
      auto now = asn1Time(epochSeconds(*impl_->clock));
      check(ASN1_TIME_diff(&days, &seconds, last, now.get()), "CRL age");
      due = std::int64_t{days} * kSecondsPerDay + seconds >= half;
    }
  }
  if (due) impl_->writeCrlLocked(impl_->loadIndex());
  return due;
}

std::vector<CertRecord> CertificateAuthority::list() const {
  detail::DirLock lock(impl_->lockPath());
  return impl_->loadIndex().records;
}

std::optional<CertRecord> CertificateAuthority::find(std::string_view serial) const {
  auto index = list();
  for (auto& r : index) {
    if (r.serial == serial) return r;
  }
  return std::nullopt;
}

std::vector<CertRecord> CertificateAuthority::active(CertKind kind) const {
  std::int64_t now = epochSeconds(*impl_->clock);
  std::vector<CertRecord> out;
  for (auto& r : list()) {
    if (r.kind == kind && !r.revoked() && r.notAfter > now) out.push_back(std::move(r));
  }
  return out;
}

Verification CertificateAuthority::verify(std::string_view certPem) const {
  auto cert = detail::certFromPem(certPem);
  auto crl = detail::crlFromPem(detail::readFile(impl_->crlPath()));
  Owned<X509_STORE> store(checkPtr(X509_STORE_new(), "new X509 store"));
  check(X509_STORE_add_cert(store.get(), impl_->caCert.get()), "store CA");
  check(X509_STORE_add_crl(store.get(), crl.get()), "store CRL");
  check(X509_STORE_set_flags(store.get(), X509_V_FLAG_CRL_CHECK), "CRL check flag");
  Owned<X509_STORE_CTX> ctx(checkPtr(X509_STORE_CTX_new(), "new verify context"));
  check(X509_STORE_CTX_init(ctx.get(), store.get(), cert.get(), nullptr), "verify context");
  X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx.get()),
                             static_cast<time_t>(epochSeconds(*impl_->clock)));
  Verification result;
  result.ok = X509_verify_cert(ctx.get()) == 1;
  if (!result.ok) {
    result.reason = X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get()));
  }
  ERR_clear_error();
  return result;
}

}  // namespace vigil::pki
