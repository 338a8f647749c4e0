#pragma once
// The cloud link's moving part (docs/cloud-api.md): enrolment, the sender that delivers the
// outbox, and the fetcher that applies the inbox. One thread does both, so there is one sender
// (the outbox's rule) and nothing about the link ever runs on a thread the box needs for
// monitoring, alerts, visits or the portal: with the WAN down for days they never wait on it.
//
// Sending: each round takes the due stream heads (Outbox::nextDue) and posts each envelope,
// unchanged, to POST /v1/outbox. 202/200 → delivered; 409 out_of_order → the stream goes again
// from the seq the service expects; 408, 429, 5xx, a timeout or a lost answer → back-off (the
// same id goes again, so the service applies it once); another 4xx → refused, the stream stops
// until an admin retries or cancels. When the link is down (connect or TLS failed) the round
// ends at once: one failed connection, not one per stream.
//
// Receiving: GET /v1/inbox?after=cursor pages; each message is checked (the service's own
// signing key, the signature, addressed to this box, opens with the box's key, not older than
// the inbox's memory of applied ids) and applied once by its kind's handler in the same write
// job that records its id and moves the cursor. A message that fails a check is not applied:
// it is recorded in sync_inbox_refused (no payload), counted by reason and shown to admins.
//
// Time: decisions (back-off, staleness, retention) use the injected Clock, so a test can pass
// three days of WAN outage in a moment; the thread's sleeps are real (a second at most).

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "vigil/core/clock.hpp"
#include "vigil/core/metrics.hpp"
#include "vigil/security/access.hpp"
#include "vigil/sync/envelope.hpp"
#include "vigil/sync/identity.hpp"
#include "vigil/sync/inbox.hpp"
#include "vigil/sync/outbox.hpp"

namespace vigil::store {
class Connection;
class Database;
}  // namespace vigil::store

namespace vigil::security {
class AuditLog;
}

namespace vigil::sync {

class HttpsTransport;

struct LinkOptions {
  std::string url;     // sync.url: https://host[:port]; empty: the link is off
  std::string caFile;  // sync.ca_file: the CA of the cloud's server certificate at enrolment
  std::filesystem::path keysDir;  // <data.dir>-keys
  std::chrono::milliseconds requestTimeout{30'000};
  std::chrono::seconds inboxInterval{60};
  std::chrono::hours retention{24 * 30};  // delivered entries and applied ids kept this long
  std::size_t batch = 64;                 // entries per sending round
};

/// An inbound message the box would not apply (no payload: it did not open or was not trusted).
struct RefusedInbound {
  std::int64_t seq = 0;
  std::string messageId;
  std::string kind;
  std::string sender;
  std::string reason;
  TimePoint receivedAt;
};

/// The link at one moment: the outbox's status plus enrolment and the inbox's refusals.
struct LinkStatus {
  bool configured = false;  // sync.url set
  bool enrolled = false;
  std::string boxId;
  std::string boxName;
  std::string url;
  std::optional<std::string> license;  // the last license.status payload (JSON), if any
  OutboxStatus outbox;
  std::vector<RefusedInbound> refusedInbound;  // the latest first, at most 50
  std::int64_t refusedInboundTotal = 0;
};

/// Applies an inbound message's change inside the write job that records it.
using InboundHandler =
    std::function<void(store::Connection& c, const Header& header, std::string_view payload)>;

class Link {
 public:
  /// `metrics` nullptr: Metrics::global(). Throws vigil::CryptoError for unreadable keys.
  Link(store::Database& db, security::AuditLog& audit, Outbox& outbox, Clock& clock,
       LinkOptions options, Metrics* metrics = nullptr);
  ~Link();
  Link(const Link&) = delete;
  Link& operator=(const Link&) = delete;

  /// Starts the sending and fetching thread (nothing happens until the box is enrolled).
  void start();
  /// Stops it; an exchange in flight ends within the request timeout.
  void stop();
  /// Makes the thread look at the outbox now (after a domain change wrote an entry).
  void wake();

  /// Enrols the box with a one-time code (sync.enrol: admins; audited). Creates the mutual-TLS
  /// key, sends the request, stores the answer, and queues a license.check. Throws AccessDenied,
  /// ValidationError (bad code format, no sync.url), TransportError (the cloud could not be
  /// reached), SyncRefused (the cloud said no: its reason word).
  Enrolment enrol(const security::Actor& actor, std::string_view code, std::string_view boxName);

  /// Inside the caller's write job: seals `payloadJson` to `service` and adds it to the outbox
  /// in `stream`; returns the entry id. Throws EnqueueError (a ValidationError) when the box is
  /// not enrolled (not_enrolled), the service is unknown (unknown_service) or the outbox rejects
  /// the entry (rejected); the domain change then fails too: nothing is half-done.
  std::string enqueueIn(store::Connection& c, std::string_view stream, std::string_view kind,
                        std::string_view service, std::string_view payloadJson);

  /// Registers what a kind of inbound message changes (before start()).
  void onInbound(std::string kind, InboundHandler handler);

  /// One sending round: delivers what is due now. Returns the entries delivered.
  int sendDue();
  /// Fetches and applies inbox pages until one is empty (at most `maxPages`). Returns the
  /// messages applied now.
  int fetchInbox(int maxPages = 20);
  /// Forgets delivered and cancelled entries, applied ids and refusals older than the retention.
  int prune();

  LinkStatus status();
  bool enrolled();

  /// The payload of the daily license.check (seats in use, version); without one none is sent.
  void setLicenseCheck(std::function<std::string()> payload);
  /// Queues a license.check when none was queued in the last 24 hours (the thread calls it).
  void checkLicenseIfDue();

 private:
  void run();
  HttpsTransport* transport();
  bool sendOne(HttpsTransport& transport, const OutboxEntry& entry, bool& linkDown);
  void applyPage(const std::vector<std::string>& messages, const std::string& cursor, int& applied);
  void refuseInbound(store::Connection& c, const Envelope* envelope, std::string_view reason);
  std::string sealSkip(const OutboxEntry& cancelled, std::string_view newId);

  store::Database& db_;
  security::AuditLog& audit_;
  Outbox& outbox_;
  Clock& clock_;
  LinkOptions options_;
  Metrics& metrics_;
  Inbox inbox_;

  std::mutex mutex_;  // identity_, transport_, handlers_
  BoxIdentity identity_;
  std::unique_ptr<HttpsTransport> transport_;
  std::map<std::string, InboundHandler, std::less<>> handlers_;
  std::function<std::string()> licenseCheck_;

  std::mutex wakeMutex_;
  std::condition_variable wakeCv_;
  bool woken_ = false;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> linkWasDown_{false};  // logs the link going down and up once each
  std::thread thread_;
};

/// The cloud said no (a 4xx with a reason word), e.g. enrolment with a used code.
class SyncRefused : public vigil::ValidationError {
 public:
  SyncRefused(int status, std::string reason)
      : vigil::ValidationError("the cloud refused: " + reason),
        status_(status),
        reason_(std::move(reason)) {}
  int status() const { return status_; }
  const std::string& reason() const { return reason_; }

 private:
  int status_;
  std::string reason_;
};

}  // namespace vigil::sync
