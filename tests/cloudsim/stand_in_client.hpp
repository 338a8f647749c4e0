#pragma once
// A small client of the cloud contract for the stand-in's tests (not the box's client, which is
// daemon/sync's): the stand-in run as a real `vigil-devtool cloud serve` process, a box identity
// (P-256 key and CSR made here with OpenSSL, Ed25519 and X25519 keys), enrolment, HTTPS requests
// with or without a client certificate, envelopes sealed and opened with vigil::sync.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "vigil/crypto/ed25519.hpp"
#include "vigil/crypto/hpke.hpp"
#include "vigil/sync/envelope.hpp"
#include "vigil/testsupport/process.hpp"

namespace vigil::cloudtest {

/// The request got no answer: the connection was refused, reset or closed, or TLS failed.
class NoAnswer : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Response {
  int status = 0;
  std::string body;
  bool keepAlive = false;  // the server keeps the connection open after this answer
};

/// `vigil-devtool cloud serve --dir DIR --port 0 <extra>` as a child process.
class StandIn {
 public:
  StandIn(const std::filesystem::path& dir, std::vector<std::string> extra = {});
  ~StandIn();
  /// The URL from DIR/url and "listening <url>" on stdout (waited for, bounded).
  const std::string& url() const { return url_; }
  int port() const { return port_; }
  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path caFile() const { return dir_ / "ca.crt"; }
  /// Sends `sig` (SIGTERM by default) and waits up to 10 s; returns the exit status (-1: still
  /// running, then killed by the destructor).
  int stop(int sig = 15);

 private:
  std::filesystem::path dir_;
  std::filesystem::path out_;
  std::unique_ptr<testsupport::Process> process_;
  std::string url_;
  int port_ = 0;
};

/// A service's public keys from the enrolment answer.
struct ServiceKeys {
  std::string encKid;
  crypto::Bytes encKey;
  std::string sigKid;
  crypto::Bytes sigKey;
};

/// A box's keys and certificate request, made here.
struct BoxIdentity {
  BoxIdentity();
  std::string keyPem;  // P-256, for TLS
  std::string csrPem;
  crypto::Ed25519Signer sig;
  crypto::hpke::X25519KeyPair enc;
  std::string sigKid = "box-sig-1";
  std::string encKid = "box-enc-1";
  /// The enrolment request body for `code`.
  std::string enrolBody(const std::string& code) const;
};

/// HTTPS to the stand-in, with or without a client certificate (files).
class Client {
 public:
  Client(int port, std::filesystem::path caFile, std::filesystem::path certFile = {},
         std::filesystem::path keyFile = {});
  /// Throws NoAnswer when no HTTP answer arrives.
  Response request(const std::string& method, const std::string& path,
                   const std::string& body = {});
  /// Keeps one session (HTTP keep-alive) for the requests that follow, as a box's sender
  /// does; by default each request has a connection of its own.
  void keepAlive(bool on);

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

/// An enrolled box: its id, certificate files, the services' keys, and a client using them.
struct EnrolledBox {
  BoxIdentity identity;
  std::string boxId;
  std::string certPem;
  std::map<std::string, ServiceKeys> services;
  std::filesystem::path certFile;
  std::filesystem::path keyFile;

  /// Enrols with `code` (REQUIREs 201) and writes the certificate and key under `files`.
  static EnrolledBox enrol(const StandIn& standIn, const std::string& code,
                           const std::filesystem::path& files);
  /// The box an enrolment answer (201 body) describes, without certificate files.
  static EnrolledBox fromAnswer(const BoxIdentity& identity, const std::string& answer);
  Client client(const StandIn& standIn) const;
  /// An envelope from this box, sealed to `service`'s key and signed with the box's key.
  sync::Envelope seal(const std::string& service, const std::string& kind,
                      const std::string& payload, const std::string& stream, std::int64_t seq,
                      const std::string& id = {}) const;
  /// Opens a message from the inbox as the box does: signature by the `from` service's key,
  /// addressed to this box, opened with its X25519 key. Throws sync::EnvelopeRefused.
  std::string open(const sync::Envelope& envelope) const;
};

/// The current code in DIR/enrolment-code (without its newline).
std::string currentCode(const std::filesystem::path& dir);

/// The messages of an inbox page, parsed; and its cursor.
struct InboxPage {
  std::vector<sync::Envelope> messages;
  std::string cursor;
};
InboxPage parseInbox(const std::string& body);

/// A JSON member of an answer as text (strings unquoted), "" when absent.
std::string member(const std::string& json, const std::string& name);

}  // namespace vigil::cloudtest
