#pragma once
// The on-demand queue (issue 22, docs/scheduling.md "On-demand care"): a patient asks to be seen
// now; the box hands the request to an eligible provider who is on duty, or keeps it in a pool
// until one goes on duty; the provider starts it as a video visit; a provider going off duty
// hands their queue over.
//
// Matching, one rule everywhere (a new request, the pool when a provider goes on duty, a
// handover): the candidates are the providers on duty (other than one going off duty) who hold
// an active license for the state the patient confirmed, on the patient's local date
// (licensing::LicenseService::eligibilityForVisitIn); among them the SHORTEST QUEUE (waiting
// requests assigned), then the LONGEST IDLE (earliest idle_since: going on duty or starting the
// last on-demand visit), then the lowest user id (so the choice is deterministic). Nobody: the
// pool. A queue and the pool are served first come, first served by request time, so a request
// handed over keeps its place in time.
//
// The estimated wait is position x the clinic's average on-demand visit length (a setting,
// ondemand.average_visit_minutes): position 1 waits one average visit at most. A moving average
// of real visit lengths would follow the clinic better but needs visits' end times, which video
// does not keep yet; the setting is what a clinic knows on day one.
//
// Concurrency: the store has one writer, and each change is one write job; on top of that the
// database says "one open request per patient" (a partial unique index) and a start is a
// conditional update (state = 'waiting'), so of two providers starting one request exactly one
// creates the visit; the other gets NotWaiting and its job (visit included) rolls back.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/core/clock.hpp"
#include "vigil/core/error.hpp"
#include "vigil/security/access.hpp"

namespace vigil::store {
class Connection;
class Database;
}  // namespace vigil::store
namespace vigil::security {
class AuditLog;
}
namespace vigil::events {
class EventBus;
}

namespace vigil::ondemand {

/// The patient already has an open request (409 request_open).
class RequestOpen : public Error {
 public:
  using Error::Error;
};
/// The request is no longer waiting: started by someone else or cancelled (409 not_waiting).
class NotWaiting : public Error {
 public:
  using Error::Error;
};
/// The provider must be on duty to start a request (409 not_on_duty).
class NotOnDuty : public Error {
 public:
  using Error::Error;
};
/// The patient has not signed the telehealth consent (409 consent_required).
class ConsentRequired : public Error {
 public:
  using Error::Error;
};
/// The provider may not see the patient where they are (licensing); what() is the reason (403
/// not_licensed).
class NotLicensed : public Error {
 public:
  using Error::Error;
};

/// Why the patient asks (a word from a fixed list: no free text, so no PHI beyond the category).
enum class Reason { newSymptoms, ongoingCondition, medication, testResults, other };
std::string_view toString(Reason r);
std::optional<Reason> parseReason(std::string_view s);

enum class RequestState { waiting, started, cancelled };
std::string_view toString(RequestState s);
std::optional<RequestState> parseRequestState(std::string_view s);

/// One provider the matching may choose.
struct Candidate {
  std::int64_t providerUserId = 0;
  int queueLength = 0;  // waiting requests assigned to them
  TimePoint idleSince;  // went on duty, or started their last on-demand visit
};

/// The matching rule: shortest queue, then longest idle, then lowest id; nullopt when empty.
std::optional<std::int64_t> choose(const std::vector<Candidate>& candidates);

/// The estimated wait in a queue: position (1 = next) x the average visit length.
std::chrono::minutes estimatedWait(int position, std::chrono::minutes averageVisit);

struct Policy {
  std::chrono::minutes averageVisit{15};  // ondemand.average_visit_minutes
  std::chrono::minutes visitWindow{60};   // the video visit's scheduled window from its start
};

struct Request {
  std::int64_t id = 0;
  std::int64_t patientId = 0;
  Reason reason = Reason::other;
  std::string patientState;  // where the patient said they are
  TimePoint requestedAt;
  RequestState state = RequestState::waiting;
  std::optional<std::int64_t> providerUserId;  // nullopt while waiting: in the pool
  std::optional<TimePoint> assignedAt;
  std::optional<std::int64_t> visitId;  // started
  int position = 0;                     // waiting: 1 = next in the queue (or the pool)
  std::optional<std::chrono::minutes> estimatedWait;  // waiting in a queue (not the pool)
};

struct Duty {
  std::int64_t providerUserId = 0;
  bool onDuty = false;
  std::optional<TimePoint> changedAt;
  int queueLength = 0;
};

/// The on-demand queue. Each call is authorised and audited through security::AccessGuard in
/// the transaction of what it reads or writes (operations ondemand.*); a reassignment the box
/// makes (pool, handover) is one more audit entry (ondemand.assign) in the same transaction.
/// Changes are published on the event bus (ids and words only) after they commit.
class OnDemandService {
 public:
  OnDemandService(store::Database& db, security::AuditLog& audit, Clock& clock,
                  events::EventBus* bus = nullptr, Policy policy = {});

  // --- providers (ondemand.duty, ondemand.queue, ondemand.start: providers only) ---
  /// Goes on duty (the pool's requests the provider may take come to them, oldest first, by the
  /// matching rule) or off duty (their waiting requests go, oldest first, to another eligible
  /// provider on duty by the same rule, or back to the pool).
  Duty setDuty(const security::Actor& actor, bool onDuty);
  Duty duty(const security::Actor& actor) const;
  /// The provider's own queue, oldest first, with positions and estimated waits.
  std::vector<Request> queue(const security::Actor& actor) const;
  /// Starts a waiting request (the provider's own, or one they take from a colleague's queue or
  /// the pool): on duty, licensed where the patient is; in one write job the provider joins the
  /// patient's care team (when not on it), the video visit is created (video::VisitService::
  /// scheduleIn, the patient's confirmed state recorded as their check-in) and the request
  /// becomes started. Returns the visit id. Throws NotOnDuty, NotWaiting, NotLicensed, NotFound.
  std::int64_t start(const security::Actor& actor, std::int64_t requestId);

  // --- patients (ondemand.request, ondemand.status, ondemand.cancel: the patient's own) ---
  /// A request to be seen now, from `patientState` (two capital letters, a US state code).
  /// Throws ConsentRequired (telehealth), RequestOpen, ValidationError, AccessDenied.
  Request request(const security::Actor& actor, std::int64_t patientId, Reason reason,
                  std::string_view patientState);
  /// The patient's latest request of the last 12 hours (waiting, started or cancelled).
  std::optional<Request> current(const security::Actor& actor, std::int64_t patientId) const;
  /// Cancels a waiting request. Throws NotWaiting, NotFound, AccessDenied.
  void cancel(const security::Actor& actor, std::int64_t requestId);

  const Policy& policy() const { return policy_; }

 private:
  store::Database& db_;
  security::AuditLog& audit_;
  Clock& clock_;
  events::EventBus* bus_;
  Policy policy_;
};

}  // namespace vigil::ondemand
