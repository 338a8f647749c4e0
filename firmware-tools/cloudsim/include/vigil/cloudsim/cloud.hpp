#pragma once
// vigil::cloudsim: the cloud stand-in (docs/cloud-api.md, "The stand-in"). Cloud is the four
// services of the contract without the transport: enrolment, the key list, the outbox (strict
// envelope checks, idempotency by entry id, order per (box, stream), each entry applied once in
// the transaction that records its id) and the inbox (messages the services queued for a box,
// paged by cursor). CloudServer (cloud_server.hpp) puts it behind HTTPS with mutual TLS and the
// fault injection; `vigil-devtool cloud` drives both.
//
// Every method is safe to call from several threads: one mutex serialises them on the one
// SQLite connection. The stand-in is a test and demo tool: simplicity over throughput.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "vigil/cloudsim/cloud_dir.hpp"
#include "vigil/core/clock.hpp"

namespace vigil::cloudsim {

/// What the stand-in answers to a request: an HTTP status and a JSON body.
struct Answer {
  int status = 200;
  std::string body;
  /// True for an entry accepted now for the first time (the one case --drop-responses may drop).
  bool firstAcceptance = false;
};

/// How `cloud send` spoils a message, for tests of the box's inbound checks.
enum class Tamper {
  none,
  ct,      // one ciphertext byte flipped, then signed by the service: the box sees does_not_open
  sig,     // one signature byte flipped: bad_signature
  header,  // createdAt changed after signing: bad_signature
};

struct SendOptions {
  Tamper tamper = Tamper::none;
  /// Signed by a fresh key under a key id the box was never given: unknown_key.
  bool wrongKey = false;
};

/// How long an enrolment code stays usable.
inline constexpr std::int64_t kCodeValidityMs = 24LL * 3600 * 1000;

class Cloud {
 public:
  /// Opens (on first use: creates) the stand-in's state in `dir`. A non-empty `recordFile` gets
  /// one line "id stream seq kind" per first acceptance, flushed per line.
  explicit Cloud(const std::filesystem::path& dir, const std::filesystem::path& recordFile = {},
                 const Clock& clock = SystemClock::instance());
  ~Cloud();
  Cloud(const Cloud&) = delete;
  Cloud& operator=(const Cloud&) = delete;

  const CloudDir& dir() const;

  /// A fresh one-time enrolment code ("7KQM-2HXD-9PLA"), valid kCodeValidityMs, also written to
  /// DIR/enrolment-code.
  std::string newCode();
  /// The code in DIR/enrolment-code while it is unused and unexpired; a new one otherwise.
  std::string ensureCode();

  /// POST /v1/boxes/enrol.
  Answer enrol(std::string_view body);
  /// GET /v1/keys.
  Answer keys();
  /// True if `boxId` (a client certificate's CN) is an enrolled box.
  bool knownBox(const std::string& boxId);
  /// POST /v1/outbox from the box `boxId`.
  Answer outbox(const std::string& boxId, std::string_view body);
  /// GET /v1/inbox?after=&limit= for the box `boxId`; `duplicate` also returns the message
  /// delivered last before `after`, `reorder` returns the page newest first.
  Answer inbox(const std::string& boxId, const std::string& after, const std::string& limit,
               bool duplicate, bool reorder);

  /// `cloud send`: queues a message of `kind` from the service that sends that kind to the box's
  /// inbox; returns its id. Throws vigil::NotFound for an unknown box, vigil::ValidationError
  /// for a kind no service sends.
  std::string send(const std::string& boxId, const std::string& kind, const std::string& payload,
                   const SendOptions& options = {});

  /// `cloud show`: boxes, accepted entries per stream, inbox messages, notifications.
  std::string show(bool json);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigil::cloudsim
