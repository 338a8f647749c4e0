#pragma once
// Portal users against a real vigild (plain HTTP on loopback, as BoxFixture runs it): accounts
// seeded into the box's data with the product's own code before it starts, then a client that
// signs in through the API as a browser would (password, then TOTP computed from the enrolled
// secret as an authenticator app would), sends requests with the session cookie and CSRF token,
// and reads the live event stream (/api/v1/events WebSocket). Used by integration tests and the
// live-alert benchmark.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "vigil/security/access.hpp"
#include "vigil/store/database.hpp"

namespace Poco::Net {
class WebSocket;
}

namespace vigil::testsupport {

/// The password seedPortalUsers gives every account.
inline constexpr const char* kPortalPassword = "Vigil-test-passphrase-2026";

/// One account to create; staff are put on the care team of each patient in `careTeam`.
struct PortalUser {
  security::Role role = security::Role::provider;
  std::string email;
  std::string displayName;
  std::optional<std::int64_t> patientId;  // required for patients
  std::vector<std::int64_t> careTeam;
  /// Patients: signs the clinic's telehealth consent (published once by the admin) through the
  /// consent service, with the name on their record, so they may join video visits (issue 21).
  bool telehealthConsent = false;
};

/// Creates the accounts (an admin first, bootstrapped, if `users` has none) in the database at
/// `dbPath` with the master key where vigild looks for it (<dataDir>-keys/master.key). Call it
/// while vigild is stopped. Returns the ids of `users` in order.
std::vector<std::int64_t> seedPortalUsers(const std::filesystem::path& dataDir,
                                          const std::filesystem::path& dbPath,
                                          const std::vector<PortalUser>& users);
/// The same on any store (PostgreSQL: BoxFixture::storeOptions()).
std::vector<std::int64_t> seedPortalUsers(const std::filesystem::path& dataDir,
                                          store::Options store,
                                          const std::vector<PortalUser>& users);

/// An open /api/v1/events stream; the server's hello has been read.
class EventStream {
 public:
  explicit EventStream(std::unique_ptr<Poco::Net::WebSocket> ws);
  ~EventStream();
  EventStream(const EventStream&) = delete;
  EventStream& operator=(const EventStream&) = delete;
  /// The next event (a JSON text frame; pings skipped), or nullopt when none arrives within
  /// `timeout` or the server closed the stream.
  std::optional<std::string> next(std::chrono::milliseconds timeout);
  bool closed() const { return closed_; }

 private:
  std::unique_ptr<Poco::Net::WebSocket> ws_;
  bool closed_ = false;
};

/// One signed-in browser session.
class PortalClient {
 public:
  struct Reply {
    int status = 0;
    std::string body;
  };

  explicit PortalClient(int port);
  /// Signs in (enrolling TOTP on a staff account's first sign-in, else answering the second
  /// step); throws std::runtime_error with the server's answer when it fails.
  void signIn(const std::string& email, const std::string& password = kPortalPassword);
  /// A request with the session cookie (and the CSRF token on state-changing methods); a JSON
  /// body when `body` is not empty or the method is POST/PUT. A Set-Cookie of the answer
  /// replaces the session cookie (a cleared one ends it).
  Reply request(const std::string& method, const std::string& path, const std::string& body = "");
  /// Opens the live event stream with the CSRF token and this origin; throws on refusal.
  std::unique_ptr<EventStream> openEvents() const;

  const std::string& csrf() const { return csrf_; }
  const std::string& cookie() const { return cookie_; }
  /// The base32 TOTP secret enrolled at the first sign-in (empty for patients).
  const std::string& totpSecret() const { return secret_; }
  /// The same browser session talking to another vigild node (sessions are rows in the shared
  /// database: valid on every node).
  PortalClient onPort(int port) const {
    PortalClient other = *this;
    other.port_ = port;
    return other;
  }

 private:
  int port_;
  std::string cookie_;
  std::string csrf_;
  std::string secret_;
};

/// A string member of a JSON object text ("" if absent or not an object).
std::string jsonString(const std::string& json, const std::string& key);
/// An integer member of a JSON object text (nullopt if absent).
std::optional<std::int64_t> jsonInt(const std::string& json, const std::string& key);

}  // namespace vigil::testsupport
