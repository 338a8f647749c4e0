#pragma once
// The box's key hierarchy at run time, and the key commands.
//
// Keys::open() loads (or, at first start, creates) the master key file, makes the first data
// key if the store has none, and loads every wrapped data key into the ring. It also derives
// the blind-index key, the audit-signing (Ed25519) key and the audit chain key from the master
// key.
//
// Rotation (`vigild keys rotate`): a new data key is stored wrapped and made active in one
// write job (audited); the in-memory ring switches to it only after that commit, so no row is
// ever written under a key the store does not hold. Old keys stay: old rows remain readable.
// Re-encryption (`vigild keys reencrypt`) walks every column of encryptedFields() that exists
// in the schema, in batches of one write job each, and rewrites ciphertexts made with an older
// key under the active one (same row, same AAD apart from the key id), reporting progress.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>

#include "vigil/core/clock.hpp"
#include "vigil/crypto/blind_index.hpp"
#include "vigil/crypto/ed25519.hpp"
#include "vigil/crypto/field_cipher.hpp"
#include "vigil/crypto/key_ring.hpp"

namespace vigil::store {
class Connection;
class Database;
}  // namespace vigil::store

namespace vigil::security {

class AuditLog;
struct Actor;

/// Purpose labels of the keys derived from the master key.
inline constexpr std::string_view kAuditSigningPurpose = "vigil.audit-signing.v1";
inline constexpr std::string_view kAuditChainPurpose = "vigil.audit-chain.v2";

/// Master key, data-key ring, field cipher, blind index and audit signer of one box.
class Keys {
 public:
  /// Loads or creates the master key at masterKeyPath and the data keys in the store.
  static std::unique_ptr<Keys> open(store::Database& db, const std::filesystem::path& masterKeyPath,
                                    Clock& clock);
  /// For tests: a given master key, no file.
  static std::unique_ptr<Keys> openWith(store::Database& db, crypto::MasterKey master,
                                        Clock& clock);

  /// Re-reads the data keys from the store (after `vigild keys rotate` ran in another process:
  /// call on SIGHUP, or when a decrypt reports UnknownKeyError) and switches to the stored
  /// active key.
  void reload(store::Database& db);

  const crypto::MasterKey& master() const { return master_; }
  crypto::KeyRing& ring() { return ring_; }
  const crypto::FieldCipher& cipher() const { return cipher_; }
  const crypto::BlindIndex& blindIndex() const { return index_; }
  const crypto::Ed25519Signer& auditSigner() const { return signer_; }
  /// Keys the audit entries' hash chain (audit_entry.hpp, version 2).
  const crypto::Key256& auditChainKey() const { return chainKey_; }

  // --- SQL, for composing inside a write job ---
  /// Stores a new wrapped key and makes it the active one in the table; returns its id.
  static std::uint32_t insertActiveKeyIn(store::Connection& c, const crypto::WrappedDataKey& key,
                                         TimePoint now);
  static std::vector<crypto::WrappedDataKey> loadIn(store::Connection& c, std::uint32_t& activeId);

 private:
  explicit Keys(crypto::MasterKey master);
  void loadFrom(store::Database& db, Clock& clock);

  crypto::MasterKey master_;
  crypto::KeyRing ring_;
  crypto::FieldCipher cipher_{ring_};
  crypto::BlindIndex index_;
  crypto::Ed25519Signer signer_;
  crypto::Key256 chainKey_;
};

/// Progress of a long key operation: rows done, rows in total.
using KeyProgress = std::function<void(std::uint64_t done, std::uint64_t total)>;

/// Result of a re-encryption run.
struct ReencryptResult {
  std::uint64_t rewritten = 0;
  std::uint32_t activeKeyId = 0;
};

/// Creates a new data key, makes it active (stored, audited, then in memory); returns its id.
std::uint32_t rotateDataKey(store::Database& db, Keys& keys, AuditLog& audit, const Actor& actor,
                            Clock& clock);
/// Rewrites every ciphertext made with an older key under the active key, `batchSize` rows per
/// write job; audited once at the end with the count.
ReencryptResult reencryptAll(store::Database& db, Keys& keys, AuditLog& audit, const Actor& actor,
                             const KeyProgress& progress = {}, std::size_t batchSize = 500);

}  // namespace vigil::security
