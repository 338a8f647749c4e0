#include "vigil/update/firmware.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <fstream>

#include "vigil/core/files.hpp"
#include "vigil/core/json_text.hpp"
#include "vigil/core/log.hpp"
#include "vigil/registry/registry.hpp"
#include "vigil/store/database.hpp"

namespace fs = std::filesystem;

namespace vigil::update {
namespace {

using core::jsonString;

constexpr const char* kImage = "image.bin";
constexpr const char* kSignature = "image.bin.sig";

/// The image at `dir` (a <model>/<version> directory), from its signature file's fields.
std::optional<FirmwareImage> readEntry(const fs::path& dir, const std::string& model,
                                       const std::string& version) {
  try {
    FirmwareImage image;
    image.model = model;
    image.version = version;
    image.path = dir / kImage;
    image.signatureText = files::readFile(dir / kSignature);
    auto sig = crypto::parseSignature(image.signatureText);
    image.name = sig.name;
    image.size = sig.size;
    image.sha256 = crypto::toHex(sig.sha256);
    image.keyId = sig.keyId;
    return image;
  } catch (const vigil::Error& e) {
    log::warn("firmware.entry_unreadable",
              {{"model", model}, {"version", version}, {"error", e.what()}});
    return std::nullopt;
  }
}

}  // namespace

bool validCatalogName(std::string_view s) {
  if (s.empty() || s.size() > 64 || s == "." || s == "..") return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '+' || c == '~' || c == '-';
  });
}

FirmwareImage FirmwareCatalog::add(const fs::path& file, const std::string& signatureText,
                                   const std::string& model, const std::string& version) {
  if (!validCatalogName(model)) throw ValidationError("model: expected [A-Za-z0-9._+~-]{1,64}");
  if (!validCatalogName(version)) throw ValidationError("version: expected [A-Za-z0-9._+~-]{1,64}");
  if (!fs::is_regular_file(file)) throw FileMissing(file.string() + ": no such file");
  const auto target = dir_ / model / version;
  if (fs::exists(target))
    throw ValidationError("firmware " + model + " " + version + " is already registered");
  // Copy first, verify the copy: the bytes checked are the bytes kept.
  const auto staging = dir_ / model / ("." + version + ".new");
  fs::remove_all(staging);
  fs::create_directories(staging);
  try {
    fs::copy_file(file, staging / kImage);
    files::writeFileAtomic(staging / kSignature, signatureText, 0644);
    auto trusted = loadTrustedKeys(trustedKeysDir_);
    verifySigned(staging / kImage, signatureText, "firmware", trusted);
    // Not secret, and read by the running box whoever registered it (root under umask 077).
    const auto readable = fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                          fs::perms::others_read;
    fs::permissions(staging / kImage, readable, fs::perm_options::replace);
    fs::permissions(staging / kSignature, readable, fs::perm_options::replace);
    for (const auto& dir : {dir_, dir_ / model, staging})
      fs::permissions(
          dir, readable | fs::perms::owner_exec | fs::perms::group_exec | fs::perms::others_exec,
          fs::perm_options::replace);
    fs::rename(staging, target);
  } catch (...) {
    std::error_code ec;
    fs::remove_all(staging, ec);
    throw;
  }
  auto image = readEntry(target, model, version);
  if (!image) throw Error("firmware " + model + " " + version + ": cannot be read back");
  return *image;
}

std::vector<FirmwareImage> FirmwareCatalog::list() const {
  std::vector<FirmwareImage> out;
  std::error_code ec;
  if (!fs::is_directory(dir_, ec)) return out;
  for (const auto& m : fs::directory_iterator(dir_, ec)) {
    const auto model = m.path().filename().string();
    if (!m.is_directory() || !validCatalogName(model)) continue;
    for (const auto& v : fs::directory_iterator(m.path(), ec)) {
      const auto version = v.path().filename().string();
      if (!v.is_directory() || !validCatalogName(version) || version.starts_with(".")) continue;
      if (auto image = readEntry(v.path(), model, version)) out.push_back(std::move(*image));
    }
  }
  std::sort(out.begin(), out.end(), [](const FirmwareImage& a, const FirmwareImage& b) {
    if (a.model != b.model) return a.model < b.model;
    return compareDebianVersions(a.version, b.version) < 0;
  });
  return out;
}

std::optional<FirmwareImage> FirmwareCatalog::offerFor(const std::string& model) const {
  auto all = list();
  auto trusted = loadTrustedKeys(trustedKeysDir_);
  for (auto it = all.rbegin(); it != all.rend(); ++it) {
    if (it->model != model) continue;
    try {
      verifySigned(it->path, it->signatureText, "firmware", trusted);
      return *it;
    } catch (const UpdateRefused& e) {
      log::warn("firmware.not_offered", {{"model", it->model},
                                         {"version", it->version},
                                         {"reason", std::string(toString(e.reason))}});
    } catch (const vigil::Error& e) {
      log::warn("firmware.not_offered",
                {{"model", it->model}, {"version", it->version}, {"error", e.what()}});
    }
  }
  return std::nullopt;
}

std::string configTopic(const std::string& uid) {
  return "vigil/v1/devices/" + uid + "/config";
}

std::string chunkTopicPrefix(const std::string& uid, const FirmwareImage& image) {
  return configTopic(uid) + "/firmware/" + image.sha256.substr(0, 16) + "/";
}

std::string offerJson(const FirmwareImage& image, const std::string& chunkTopic,
                      std::size_t chunkSize) {
  const auto chunks = (image.size + chunkSize - 1) / chunkSize;
  return "{\"v\":1,\"firmware\":{\"model\":" + jsonString(image.model) +
         ",\"version\":" + jsonString(image.version) + ",\"name\":" + jsonString(image.name) +
         ",\"size\":" + std::to_string(image.size) + ",\"sha256\":" + jsonString(image.sha256) +
         ",\"key_id\":" + jsonString(image.keyId) +
         ",\"signature\":" + jsonString(image.signatureText) +
         ",\"chunk_size\":" + std::to_string(chunkSize) + ",\"chunks\":" + std::to_string(chunks) +
         ",\"chunk_topic\":" + jsonString(chunkTopic) + "}}";
}

std::size_t FirmwareOffers::publishDue() {
  std::lock_guard lock(mutex_);
  auto devices = db_.read([](store::Connection& c) { return registry::DeviceRegistry::listIn(c); });
  std::map<std::string, std::optional<FirmwareImage>> byModel;
  std::size_t offered = 0;
  for (const auto& d : devices) {
    if (d.retired || d.model.empty()) continue;
    auto [it, fresh] = byModel.try_emplace(d.model);
    if (fresh) it->second = catalog_.offerFor(d.model);
    const auto& image = it->second;
    if (!image) continue;
    auto done = published_.find(d.uid);
    if (done != published_.end() && done->second == image->sha256) continue;
    // Read the bytes once per device and check them again against the signed digest: the file
    // published is the file verified.
    std::string bytes = files::readFile(image->path);
    crypto::Sha256Stream sha;
    sha.update(crypto::ByteView(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
    if (crypto::toHex(sha.finish()) != image->sha256 || bytes.size() != image->size) {
      log::warn("firmware.not_offered",
                {{"model", image->model}, {"version", image->version}, {"reason", "changed"}});
      continue;
    }
    const auto prefix = chunkTopicPrefix(d.uid, *image);
    bool ok = true;
    for (std::size_t i = 0, n = 0; ok && i < bytes.size(); i += chunkSize_, ++n)
      ok = publish_(prefix + std::to_string(n), bytes.substr(i, chunkSize_), true);
    ok = ok && publish_(configTopic(d.uid), offerJson(*image, prefix, chunkSize_), true);
    if (!ok) continue;
    published_[d.uid] = image->sha256;
    ++offered;
    log::info("firmware.offered",
              {{"device", d.uid}, {"model", image->model}, {"version", image->version}});
  }
  return offered;
}

}  // namespace vigil::update
