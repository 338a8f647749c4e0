#pragma once
// Device firmware (issue 27; docs/device-protocol.md, "Firmware"): the catalog of images an
// admin registered, each verified (purpose `firmware`) against the box's trusted firmware keys,
// and the offers the box publishes to each device of the image's model on its config topic.
//
// The catalog is a directory (update.firmware_dir, default <data.dir>/firmware), not a table:
//   <dir>/<model>/<version>/image.bin        the image's bytes as registered
//   <dir>/<model>/<version>/image.bin.sig    its detached signature (vigil/crypto/signed_artefact)
// An image is checked when it is registered and again every time it is offered, so an image
// changed on disk, or one whose key is no longer trusted, is never offered. The latest version
// of a model (Debian version order) is the one offered.
//
// The offer (retained, QoS 1) on vigil/v1/devices/<uid>/config:
//   {"v":1,"firmware":{"model":…,"version":…,"name":…,"size":…,"sha256":…,"key_id":…,
//    "signature":"<the .sig file's text>","chunk_size":65536,"chunks":N,
//    "chunk_topic":"vigil/v1/devices/<uid>/config/firmware/<sha256 first 16>/"}}
// The bytes, retained, QoS 1, on chunk_topic + "0" … chunk_topic + "N-1" (published before the
// offer). A device verifies the signature with its own trusted key before it installs anything.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "vigil/crypto/signed_artefact.hpp"
#include "vigil/update/bundle.hpp"

namespace vigil::store {
class Database;
}

namespace vigil::update {

/// One registered image.
struct FirmwareImage {
  std::string model;
  std::string version;
  std::string name;  // the name it was signed under
  std::uint64_t size = 0;
  std::string sha256;  // hex
  std::string keyId;
  std::string signatureText;
  std::filesystem::path path;
};

/// Model names and versions are path components: [A-Za-z0-9._+~-]{1,64}, not "." or "..".
bool validCatalogName(std::string_view s);

class FirmwareCatalog {
 public:
  FirmwareCatalog(std::filesystem::path dir, std::filesystem::path trustedKeysDir)
      : dir_(std::move(dir)), trustedKeysDir_(std::move(trustedKeysDir)) {}

  /// Verifies `file` against `signatureText` (purpose firmware, the trusted firmware keys) and
  /// copies both into the catalog. Throws UpdateRefused (the signature's refusals),
  /// ValidationError (bad model or version; that model and version already registered),
  /// FileMissing.
  FirmwareImage add(const std::filesystem::path& file, const std::string& signatureText,
                    const std::string& model, const std::string& version);
  /// Every registered image, by model then version (whether or not it still verifies).
  std::vector<FirmwareImage> list() const;
  /// The newest image of `model` that verifies now; nullopt when none does (each that does not
  /// is logged and skipped).
  std::optional<FirmwareImage> offerFor(const std::string& model) const;

 private:
  std::filesystem::path dir_;
  std::filesystem::path trustedKeysDir_;
};

/// The offer's JSON for one device.
std::string offerJson(const FirmwareImage& image, const std::string& chunkTopic,
                      std::size_t chunkSize);
/// The config topic of a device, and the chunk topic prefix of an image on it.
std::string configTopic(const std::string& uid);
std::string chunkTopicPrefix(const std::string& uid, const FirmwareImage& image);

/// Publishes offers: for every device not retired whose model has an image that verifies, the
/// chunks and then the offer, once per (device, image) while the box runs (the broker keeps them
/// retained). publish returns false when the message could not be queued (not connected): the
/// device is tried again on the next round.
class FirmwareOffers {
 public:
  using Publish =
      std::function<bool(const std::string& topic, const std::string& payload, bool retain)>;
  FirmwareOffers(store::Database& db, const FirmwareCatalog& catalog, Publish publish,
                 std::size_t chunkSize = 65536)
      : db_(db), catalog_(catalog), publish_(std::move(publish)), chunkSize_(chunkSize) {}
  /// One round; returns how many offers were published.
  std::size_t publishDue();

 private:
  store::Database& db_;
  const FirmwareCatalog& catalog_;
  Publish publish_;
  std::size_t chunkSize_;
  std::mutex mutex_;
  std::map<std::string, std::string> published_;  // device uid -> image sha256
};

}  // namespace vigil::update
