#pragma once
// The one exception family of Vigil. C return codes (SQLITE_*, MOSQ_ERR_*, OpenSSL, GError)
// become one of these at the boundary. Messages never carry PHI: they name keys, ids and
// reasons, never values a patient typed or a device measured.

#include <stdexcept>
#include <string>

namespace vigil {

/// Base of every error Vigil throws on purpose.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A configuration file or value is wrong; the message names the key.
class ConfigError : public Error {
 public:
  using Error::Error;
};

/// The store could not do what was asked (SQLite error, schema too new, disk full).
class StoreError : public Error {
 public:
  using Error::Error;
};

/// Encryption, decryption, signing or key handling failed (including tampered data).
class CryptoError : public Error {
 public:
  using Error::Error;
};

/// Authentication failed or a credential is malformed.
class AuthError : public Error {
 public:
  using Error::Error;
};

/// An authenticated actor asked for something the access policy refuses.
class AccessDenied : public Error {
 public:
  using Error::Error;
};

/// The MQTT broker or libmosquitto refused or failed.
class MqttError : public Error {
 public:
  using Error::Error;
};

/// Input from outside (HTTP body, device payload) is malformed; the message names the field.
class ValidationError : public Error {
 public:
  using Error::Error;
};

/// A requested object does not exist (or is not visible to the caller).
class NotFound : public Error {
 public:
  using Error::Error;
};

/// A file the caller named does not exist.
class FileMissing : public Error {
 public:
  using Error::Error;
};

}  // namespace vigil
