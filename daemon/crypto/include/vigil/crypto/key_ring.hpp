#pragma once
// Key hierarchy: one master key per box, kept in a file (mode 0600, owned by the service user,
// its path in config); data-encryption keys (DEKs) are random, wrapped by the master key with
// AES-256-GCM and stored in the database; each field ciphertext names the DEK id it was made
// with. Rotation adds a DEK and makes it active for new writes; old DEKs stay to read old rows
// until a re-encrypt moves them. Keys derived for other purposes (blind index, audit signing)
// come from the master key through HKDF with a purpose label, so there is one secret to back up.

#include <cstdint>
#include <filesystem>
#include <map>
#include <shared_mutex>
#include <string_view>
#include <vector>

#include "vigil/crypto/bytes.hpp"

namespace vigil::crypto {

/// A data key as stored: its id and its bytes wrapped by the master key.
struct WrappedDataKey {
  std::uint32_t id = 0;
  Bytes wrapped;
};

/// The box's master key. Loaded from (or created in) a 0600 file owned by the service user.
class MasterKey {
 public:
  explicit MasterKey(Key256 key) : key_(std::move(key)) {}

  /// Loads the key file; throws vigil::CryptoError if it is missing, malformed, readable by
  /// group or others, or owned by another user.
  static MasterKey load(const std::filesystem::path& path);
  /// Loads the key file, or creates it (with a fresh random key, mode 0600) if it does not exist.
  /// Sets *created when it did.
  static MasterKey loadOrCreate(const std::filesystem::path& path, bool* created = nullptr);

  /// A key for one purpose ("vigil.blind-index.v1", "vigil.audit-signing.v1"), by HKDF-SHA256.
  Key256 derive(std::string_view purpose) const;
  /// Wraps a data key under this master key (AES-256-GCM, id in the additional data).
  WrappedDataKey wrap(std::uint32_t id, const Key256& dataKey) const;
  /// Unwraps; throws IntegrityError if the blob was changed or wrapped by another master key.
  Key256 unwrap(const WrappedDataKey& wrapped) const;

 private:
  Key256 key_;
};

/// The data keys in memory, by id, with the one that new writes use. Thread-safe.
class KeyRing {
 public:
  KeyRing() = default;
  KeyRing(const KeyRing&) = delete;
  KeyRing& operator=(const KeyRing&) = delete;

  /// Unwraps every stored key into the ring and makes `activeId` the active one.
  void load(const MasterKey& master, const std::vector<WrappedDataKey>& keys,
            std::uint32_t activeId);
  /// Adds (or replaces) a key.
  void add(std::uint32_t id, const Key256& key);
  /// Makes `id` the key for new writes; throws UnknownKeyError if absent.
  void setActive(std::uint32_t id);

  /// Id of the key for new writes; throws UnknownKeyError if the ring is empty.
  std::uint32_t activeId() const;
  /// The key with this id; throws UnknownKeyError if absent.
  Key256 key(std::uint32_t id) const;
  bool contains(std::uint32_t id) const;
  std::vector<std::uint32_t> ids() const;

 private:
  mutable std::shared_mutex mutex_;
  std::map<std::uint32_t, Key256> keys_;
  std::uint32_t active_ = 0;
  bool hasActive_ = false;
};

}  // namespace vigil::crypto
