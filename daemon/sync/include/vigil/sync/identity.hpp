#pragma once
// The box's identity on the cloud link (docs/cloud-api.md, "Keys" and "Enrolment"): its Ed25519
// signing key, its X25519 encryption key, the mutual-TLS client key and certificate the cloud
// issued at enrolment, the cloud's CA, and the services' public keys. All of it lives in plain
// files in the keys directory beside the data directory (`<data.dir>-keys/`, as the master key
// does), never in the database: a database copy alone cannot speak for the box.
//
// Files (keys 0600, written atomically):
//   sync-signing.key      base64 of the Ed25519 seed (32 bytes)
//   sync-encryption.key   base64 of the X25519 private key (32 bytes)
//   sync-client.key/.crt  the mutual-TLS key (PEM, EC P-256) and the certificate the cloud issued
//   sync-cloud-ca.crt     the CA of the cloud's server and client certificates
//   sync-enrolment.json   box id and name, the URL enrolled with, the services' public keys
// A key id is "sig-" or "enc-" followed by the first 16 hex digits of the SHA-256 of the public
// key, so the same key always has the same id and a new key a new one.

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/core/clock.hpp"
#include "vigil/crypto/bytes.hpp"
#include "vigil/crypto/ed25519.hpp"
#include "vigil/crypto/hpke.hpp"

namespace vigil::sync {

/// A public key with its id.
struct PublicKey {
  std::string kid;
  crypto::Bytes key;
};

/// A cloud service as the enrolment answer (or GET /v1/keys) describes it.
struct ServiceKeys {
  std::string name;  // licensing, pharmacy, clearinghouse, notify
  PublicKey encryptionKey;
  PublicKey signingKey;
};

/// What enrolment gave the box.
struct Enrolment {
  std::string boxId;
  std::string boxName;
  std::string url;
  std::string enrolledAt;  // RFC 3339
  std::vector<ServiceKeys> services;

  const ServiceKeys* service(std::string_view name) const;
};

/// The key id of a public key with the given prefix ("sig" or "enc").
std::string keyIdFor(std::string_view prefix, crypto::ByteView publicKey);

/// The box's keys and enrolment, as files in one directory.
class BoxIdentity {
 public:
  /// Reads the keys in `dir`, creating the signing and encryption keys (and `dir`, 0700) when
  /// missing. Throws vigil::CryptoError for a key file that does not hold a key or is readable
  /// by group or others, vigil::ValidationError for an enrolment file that does not parse.
  static BoxIdentity loadOrCreate(const std::filesystem::path& dir);

  const std::filesystem::path& dir() const { return dir_; }
  const crypto::Ed25519Signer& signer() const { return signer_; }
  const std::string& signingKid() const { return signingKid_; }
  const crypto::hpke::X25519KeyPair& encryptionKey() const { return encryption_; }
  const std::string& encryptionKid() const { return encryptionKid_; }

  /// The enrolment, once the box is enrolled.
  const std::optional<Enrolment>& enrolment() const { return enrolment_; }
  /// Re-reads the enrolment file when it changed on disk (a console `vigild sync enrol` while
  /// the daemon runs). True when it did.
  bool reloadIfChanged();

  std::filesystem::path clientKeyPath() const { return dir_ / "sync-client.key"; }
  std::filesystem::path clientCertPath() const { return dir_ / "sync-client.crt"; }
  std::filesystem::path cloudCaPath() const { return dir_ / "sync-cloud-ca.crt"; }
  std::filesystem::path enrolmentPath() const { return dir_ / "sync-enrolment.json"; }

  /// Stores an enrolment: the client key and certificate, the cloud's CA, then the enrolment
  /// file last (its presence means "enrolled"), each atomically.
  void saveEnrolment(const Enrolment& enrolment, std::string_view clientKeyPem,
                     std::string_view clientCertPem, std::string_view cloudCaPem);

  /// The signing key `kid` of the service `from`, if the enrolment lists it (one service's key
  /// never vouches for another's envelope).
  std::optional<crypto::Bytes> serviceSigningKey(std::string_view from, std::string_view kid) const;

 private:
  BoxIdentity(std::filesystem::path dir, crypto::Key256 signingSeed, crypto::Key256 encryption);
  void loadEnrolment();

  std::filesystem::path dir_;
  crypto::Ed25519Signer signer_;
  std::string signingKid_;
  crypto::hpke::X25519KeyPair encryption_;
  std::string encryptionKid_;
  std::optional<Enrolment> enrolment_;
  std::filesystem::file_time_type enrolmentWritten_{};
};

/// The enrolment file's JSON and back (also the shape of the enrolment answer's "services").
std::string enrolmentToJson(const Enrolment& enrolment);
Enrolment enrolmentFromJson(std::string_view json);
/// Parses the "services" array of an enrolment answer or GET /v1/keys.
std::vector<ServiceKeys> servicesFromJson(std::string_view json);

}  // namespace vigil::sync
