#include "vigil/sync/identity.hpp"

#include <Poco/Dynamic/Var.h>
#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <sstream>
#include <system_error>
#include <typeinfo>

#include "vigil/core/error.hpp"
#include "vigil/core/files.hpp"
#include "vigil/core/json_text.hpp"
#include "vigil/crypto/hash.hpp"
#include "vigil/crypto/random.hpp"

namespace vigil::sync {

namespace {

using Poco::JSON::Object;

constexpr std::string_view kSigningFile = "sync-signing.key";
constexpr std::string_view kEncryptionFile = "sync-encryption.key";

// A 32-byte key kept as one line of base64; created (0600) when missing.
crypto::Key256 loadOrCreateKey(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    crypto::Bytes fresh = crypto::randomBytes(crypto::Key256::kSize);
    crypto::Key256 key(fresh);
    std::string text = crypto::toBase64(fresh) + "\n";
    crypto::secureWipe(fresh.data(), fresh.size());
    files::writeFileAtomic(path, text, 0600);
    crypto::secureWipe(text.data(), text.size());
    return key;
  }
  if ((files::fileMode(path) & 077) != 0)
    throw CryptoError("sync: " + path.string() + " is readable by group or others (want 0600)");
  std::string text = files::readFile(path);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  crypto::Bytes bytes;
  try {
    bytes = crypto::fromBase64(text);
  } catch (const CryptoError&) {
    throw CryptoError("sync: " + path.string() + " does not hold a key");
  }
  crypto::secureWipe(text.data(), text.size());
  if (bytes.size() != crypto::Key256::kSize)
    throw CryptoError("sync: " + path.string() + " does not hold a 32-byte key");
  crypto::Key256 key(bytes);
  crypto::secureWipe(bytes.data(), bytes.size());
  return key;
}

Object::Ptr parseObject(std::string_view json, std::string_view what) {
  try {
    Poco::JSON::Parser parser;
    Poco::Dynamic::Var parsed = parser.parse(std::string(json));
    if (parsed.type() == typeid(Object::Ptr)) return parsed.extract<Object::Ptr>();
  } catch (const Poco::Exception&) {
  }
  throw ValidationError(std::string(what) + ": not a JSON object");
}

std::string text(const Object& obj, const std::string& field, std::string_view what) {
  if (!obj.has(field) || !obj.get(field).isString())
    throw ValidationError(std::string(what) + ": " + field + " missing");
  return obj.getValue<std::string>(field);
}

PublicKey publicKeyFrom(const Object& obj, const std::string& field, std::size_t size) {
  auto inner = obj.getObject(field);
  if (!inner) throw ValidationError("services: " + field + " missing");
  PublicKey key{text(*inner, "kid", "services"), {}};
  try {
    key.key = crypto::fromBase64(text(*inner, "key", "services"));
  } catch (const CryptoError&) {
    throw ValidationError("services: " + field + ".key is not base64");
  }
  if (key.kid.empty() || key.kid.size() > 64 || key.key.size() != size)
    throw ValidationError("services: " + field + " is not a key");
  return key;
}

std::vector<ServiceKeys> servicesFrom(const Object& obj) {
  auto list = obj.getArray("services");
  if (!list) throw ValidationError("services: missing");
  std::vector<ServiceKeys> out;
  for (std::size_t i = 0; i < list->size(); ++i) {
    auto item = list->getObject(static_cast<unsigned>(i));
    if (!item) throw ValidationError("services: not an object");
    out.push_back({text(*item, "name", "services"), publicKeyFrom(*item, "encryptionKey", 32),
                   publicKeyFrom(*item, "signingKey", crypto::Ed25519Signer::kPublicKeySize)});
  }
  return out;
}

void appendKey(std::string& out, std::string_view field, const PublicKey& key) {
  out += '"';
  out += field;
  out += "\":{\"kid\":";
  core::appendJsonString(out, key.kid);
  out += ",\"key\":\"" + crypto::toBase64(key.key) + "\"}";
}

}  // namespace

const ServiceKeys* Enrolment::service(std::string_view name) const {
  for (const auto& s : services)
    if (s.name == name) return &s;
  return nullptr;
}

std::string keyIdFor(std::string_view prefix, crypto::ByteView publicKey) {
  auto digest = crypto::sha256(publicKey);
  return std::string(prefix) + "-" + crypto::toHex(crypto::ByteView(digest.data(), 8));
}

BoxIdentity::BoxIdentity(std::filesystem::path dir, crypto::Key256 signingSeed,
                         crypto::Key256 encryption)
    : dir_(std::move(dir)),
      signer_(signingSeed),
      signingKid_(keyIdFor("sig", signer_.publicKey())),
      encryption_(encryption),
      encryptionKid_(keyIdFor("enc", encryption_.publicKey())) {}

BoxIdentity BoxIdentity::loadOrCreate(const std::filesystem::path& dir) {
  files::makeDir(dir, 0700);
  BoxIdentity identity(dir, loadOrCreateKey(dir / kSigningFile),
                       loadOrCreateKey(dir / kEncryptionFile));
  identity.loadEnrolment();
  return identity;
}

void BoxIdentity::loadEnrolment() {
  std::error_code ec;
  auto written = std::filesystem::last_write_time(enrolmentPath(), ec);
  if (ec) {
    enrolment_.reset();
    enrolmentWritten_ = {};
    return;
  }
  enrolment_ = enrolmentFromJson(files::readFile(enrolmentPath()));
  enrolmentWritten_ = written;
}

bool BoxIdentity::reloadIfChanged() {
  std::error_code ec;
  auto written = std::filesystem::last_write_time(enrolmentPath(), ec);
  if (ec ? !enrolment_.has_value() : (enrolment_ && written == enrolmentWritten_)) return false;
  loadEnrolment();
  return true;
}

void BoxIdentity::saveEnrolment(const Enrolment& enrolment, std::string_view clientKeyPem,
                                std::string_view clientCertPem, std::string_view cloudCaPem) {
  files::writeFileAtomic(clientKeyPath(), clientKeyPem, 0600);
  files::writeFileAtomic(clientCertPath(), clientCertPem, 0644);
  files::writeFileAtomic(cloudCaPath(), cloudCaPem, 0644);
  files::writeFileAtomic(enrolmentPath(), enrolmentToJson(enrolment), 0600);
  loadEnrolment();
}

std::optional<crypto::Bytes> BoxIdentity::serviceSigningKey(std::string_view from,
                                                            std::string_view kid) const {
  if (!enrolment_) return std::nullopt;
  const ServiceKeys* s = enrolment_->service(from);
  if (s == nullptr || s->signingKey.kid != kid) return std::nullopt;
  return s->signingKey.key;
}

std::string enrolmentToJson(const Enrolment& e) {
  std::string out = "{\"boxId\":";
  core::appendJsonString(out, e.boxId);
  out += ",\"boxName\":";
  core::appendJsonString(out, e.boxName);
  out += ",\"url\":";
  core::appendJsonString(out, e.url);
  out += ",\"enrolledAt\":";
  core::appendJsonString(out, e.enrolledAt);
  out += ",\"services\":[";
  for (std::size_t i = 0; i < e.services.size(); ++i) {
    if (i > 0) out += ',';
    out += "{\"name\":";
    core::appendJsonString(out, e.services[i].name);
    out += ',';
    appendKey(out, "encryptionKey", e.services[i].encryptionKey);
    out += ',';
    appendKey(out, "signingKey", e.services[i].signingKey);
    out += '}';
  }
  out += "]}\n";
  return out;
}

Enrolment enrolmentFromJson(std::string_view json) {
  auto obj = parseObject(json, "enrolment");
  Enrolment e;
  e.boxId = text(*obj, "boxId", "enrolment");
  e.boxName = obj->has("boxName") ? obj->getValue<std::string>("boxName") : "";
  e.url = obj->has("url") ? obj->getValue<std::string>("url") : "";
  e.enrolledAt = obj->has("enrolledAt") ? obj->getValue<std::string>("enrolledAt") : "";
  e.services = servicesFrom(*obj);
  if (e.boxId.empty() || e.boxId.size() > 64) throw ValidationError("enrolment: boxId");
  return e;
}

std::vector<ServiceKeys> servicesFromJson(std::string_view json) {
  return servicesFrom(*parseObject(json, "services"));
}

}  // namespace vigil::sync
