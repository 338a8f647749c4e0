#pragma once
// Video visits: the room model and who may be in it (issue 9).
//
// A visit has a patient, a provider (who runs it), a scheduled window and participants:
// the provider, the patient's user and, optionally, a caregiver or interpreter the provider
// invites. Access is by participation, not by the care team: only a participant of THIS visit
// whose role has visit.join may join, and only from `joinEarly` before the start until
// `joinLate` after the scheduled end, and not once the visit has ended. The provider's join opens
// the visit and admits them; everyone else waits in the waiting room until the provider admits
// them (once admitted, a participant who drops rejoins without waiting again).
//
// Every join (allowed or refused), admit, leave and end is one audit entry, appended in the same
// write job as the state change it records (a refusal commits only its audit entry and then
// throws AccessDenied), so the log and the state cannot disagree.

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/core/clock.hpp"
#include "vigil/security/access.hpp"

namespace vigil::store {
class Connection;
class Database;
}  // namespace vigil::store

namespace vigil::security {
class AuditLog;
class AccessGuard;
}  // namespace vigil::security
namespace vigil::crypto {
class FieldCipher;
}

namespace vigil::video {

/// What a participant is in a visit.
enum class ParticipantRole { provider, patient, caregiver, interpreter };
std::string_view toString(ParticipantRole role);
std::optional<ParticipantRole> parseParticipantRole(std::string_view name);

/// Where a visit is in its life.
enum class VisitState { scheduled, inProgress, ended, cancelled };
std::string_view toString(VisitState state);

/// One participant of a visit.
struct Participant {
  std::int64_t userId = 0;
  ParticipantRole role = ParticipantRole::patient;
  std::optional<TimePoint> admittedAt;
  std::optional<TimePoint> waitingSince;
  std::optional<TimePoint> recordingConsentAt;
};

/// A stored visit with its participants.
struct Visit {
  std::int64_t id = 0;
  std::int64_t patientId = 0;
  std::int64_t providerUserId = 0;
  TimePoint startsAt;
  TimePoint endsAt;
  VisitState state = VisitState::scheduled;
  std::optional<TimePoint> endedAt;
  /// Where the patient said they are at check-in (two letters); nullopt: not confirmed (the
  /// registry's state of residence applies).
  std::optional<std::string> patientState;
  std::optional<TimePoint> checkedInAt;
  std::vector<Participant> participants;

  const Participant* participant(std::int64_t userId) const;
};

/// A visit that ended, as the practice reports and the survey notices read it (issue 30).
struct EndedVisit {
  std::int64_t id = 0;
  std::int64_t patientId = 0;
  std::int64_t providerUserId = 0;
  TimePoint endedAt;
  /// The visit's patient participant was admitted to the room at least once.
  bool patientJoined = false;
};

/// What schedule() needs.
struct NewVisit {
  std::int64_t patientId = 0;
  std::int64_t providerUserId = 0;  // a provider or nurse user
  std::int64_t patientUserId = 0;   // the patient's own user; 0: their (first) active account
  TimePoint startsAt;
  TimePoint endsAt;
};

/// When participants may join (config video.join_early_minutes, video.join_late_minutes).
struct VisitPolicy {
  std::chrono::minutes joinEarly{15};
  std::chrono::minutes joinLate{30};
};

/// One chat message of a visit (the text is PHI: only for the visit's participants).
struct ChatMessage {
  std::int64_t id = 0;
  std::int64_t visitId = 0;
  std::int64_t senderUserId = 0;
  TimePoint sentAt;
  std::string text;
};

/// A document shared into a visit. `content` is filled only by document().
struct VisitDocument {
  std::int64_t id = 0;
  std::int64_t visitId = 0;
  std::int64_t uploaderUserId = 0;
  TimePoint uploadedAt;
  std::string mediaType;  // application/pdf, image/png, image/jpeg
  std::string fileName;
  std::int64_t sizeBytes = 0;
  std::string content;
};

/// A participant's call quality over a visit (averages of the relay's samples).
struct QualitySummary {
  std::int64_t userId = 0;
  std::int64_t samples = 0;
  std::optional<double> rttMsAvg;
  double jitterMsAvg = 0;
  double lossPctMax = 0;
  double kbpsAvg = 0;
};

/// Largest document shared into a visit (its base64 JSON body must also fit web.max_body_bytes).
inline constexpr std::size_t kMaxVisitDocumentBytes = 700 * 1024;
/// The media type of a PDF, PNG or JPEG from its first bytes; nullopt for anything else.
std::optional<std::string> documentMediaType(std::string_view content);

/// What the list of visits for admins and providers asks for (GET /api/v1/visits/archive).
struct VisitArchiveQuery {
  std::optional<TimePoint> from;  // visits starting at or after this
  std::optional<TimePoint> to;    // visits starting before this
  int page = 1;                   // from 1
  int pageSize = 50;              // 1..200
  /// Keeps only the visits for which it returns true (e.g. "has recordings"); empty: all.
  std::function<bool(std::int64_t visitId)> keep;
};

/// One page of that list, newest first, and how many visits match in all.
struct VisitArchivePage {
  std::vector<Visit> items;
  std::int64_t total = 0;
};

/// The refusal reason of a patient's join without an active telehealth consent (issue 21): the
/// portal shows the current telehealth consent to sign, then joins again.
inline constexpr std::string_view kConsentRequired = "consent_required";

/// A check the visit's provider must pass to start or join it, and that a patient's check-in
/// re-runs (issue 22: state licensing, wired by the app; video cannot include licensing, a
/// library of its own layer). Runs INSIDE the write job of the join or check-in, on its
/// connection, with the visit as stored (check-in: with the state just given); returns the
/// refusal's reason (a stable PHI-free word, audited and answered) or nullopt to allow.
using JoinCheck = std::function<std::optional<std::string>(store::Connection& c, const Visit& visit,
                                                           const security::Actor& actor)>;

/// The outcome of a join.
enum class JoinStatus { admitted, waiting };
std::string_view toString(JoinStatus status);

/// Schedules visits and decides who may be in them, with every step audited.
class VisitService {
 public:
  /// `cipher` encrypts the chat; without one, chat is refused.
  VisitService(store::Database& db, security::AuditLog& audit, Clock& clock,
               VisitPolicy policy = {}, const crypto::FieldCipher* cipher = nullptr);

  /// Schedules a visit (operation visit.schedule on the patient: care team or admin, audited).
  /// Throws ValidationError (window, users of the wrong role or patient), AccessDenied.
  std::int64_t schedule(const security::Actor& actor, const NewVisit& visit);
  /// schedule() inside a write job the caller authorised and audits (scheduling's booking:
  /// the visit commits with the booking's claims). Same checks (window, provider on the care
  /// team, the patient's user); throws ValidationError.
  static std::int64_t scheduleIn(store::Connection& c, const security::Actor& actor,
                                 const NewVisit& visit, TimePoint now);
  /// Where the patient said they are, recorded on a visit the caller just created in its write
  /// job (the on-demand queue: the patient confirmed the state with the request), as a check-in
  /// would record it; the provider's join check then uses it.
  static void recordLocationIn(store::Connection& c, std::int64_t visitId, std::string_view state,
                               TimePoint now);
  /// A booking cancelled: its visit, if still scheduled, becomes cancelled (nobody may join).
  static void cancelScheduledIn(store::Connection& c, std::int64_t visitId);
  /// A booking rescheduled: its scheduled visit moves with it (ValidationError otherwise).
  static void moveScheduledIn(store::Connection& c, std::int64_t visitId, TimePoint startsAt,
                              TimePoint endsAt);
  /// The visit's provider invites a caregiver or interpreter (an active user). Audited. The
  /// invitee has not consented to recording: the caller stops a running recording (see
  /// docs/video.md, "Recording").
  void invite(const security::Actor& actor, std::int64_t visitId, std::int64_t userId,
              ParticipantRole role);
  /// A participant joins: the provider is admitted (and the visit is in progress), others wait
  /// unless admitted before. The visit's patient needs an active telehealth consent
  /// (patients::ConsentService; refused with reason kConsentRequired). Refusals are audited,
  /// then throw AccessDenied (reason in what()).
  JoinStatus join(const security::Actor& actor, std::int64_t visitId);
  /// Sets the join check (before the service is used): run at the visit's provider's every
  /// join, and at the patient's check-in. Empty: no check.
  void setJoinCheck(JoinCheck check) { joinCheck_ = std::move(check); }
  /// The visit's patient confirms where they are (`state`: two capital letters) before the
  /// visit (visit.check_in, audited). The state is kept on the visit (the provider's join then
  /// checks it instead of the registry's state of residence) and the join check runs with it
  /// now: when it refuses, the location is still kept (it is a fact; the provider's join is
  /// refused too), the entry is audited as denied with the reason and AccessDenied carries the
  /// reason. Throws ValidationError (state), AccessDenied ("not_visit_patient", "visit_ended",
  /// or the check's reason), NotFound.
  void checkIn(const security::Actor& actor, std::int64_t visitId, std::string_view state);
  /// The visit's provider admits a waiting participant. Audited.
  void admit(const security::Actor& actor, std::int64_t visitId, std::int64_t userId);
  /// A participant leaves (or drops); they may rejoin. Audited.
  void leave(const security::Actor& actor, std::int64_t visitId);
  /// The visit's provider ends the visit; nobody may join afterwards. Audited.
  void end(const security::Actor& actor, std::int64_t visitId);

  /// Records in the audit chain that the visit's running recording was stopped and why
  /// (visit.recording_stop: "provider", "consent_withdrawn", "participant_invited").
  void recordingStopped(const security::Actor& actor, std::int64_t visitId,
                        std::string_view reason);

  /// The visits an admin (all) or a provider or nurse (only the visits they run) may look
  /// through to find recordings: filtered by start time, newest first, paginated. One audit
  /// entry per call (visit.archive, allowed or refused; ids and counts only). Others (a
  /// patient): AccessDenied.
  VisitArchivePage archive(const security::Actor& actor, const VisitArchiveQuery& query) const;

  /// A participant gives (true) or withdraws (false) consent to recording this visit.
  /// Audited. Throws AccessDenied for non-participants.
  void setRecordingConsent(const security::Actor& actor, std::int64_t visitId, bool consent);
  /// The visit's provider asks to record: allowed only while the visit is in progress and
  /// every participant's consent for this visit is on record. Audited either way; throws
  /// AccessDenied ("consent_missing", "not_visit_provider", ...) when refused.
  void requireRecordingAllowed(const security::Actor& actor, std::int64_t visitId);
  /// Only the visit's provider stops its recording by hand (participants stop it by withdrawing
  /// their consent). Refused: audited (visit.recording_stop, denied) and AccessDenied.
  void requireRecordingStop(const security::Actor& actor, std::int64_t visitId);
  /// Held while a recording decision and what follows from it happen as one step: a consent
  /// change and the stop it causes, an invitation and the stop it causes, the consent check
  /// and the recording's start. Without it a withdrawal could land between a start's check
  /// and the start, and the recording would run without that consent (issue 18).
  [[nodiscard]] std::unique_lock<std::mutex> recordingDecision() {
    return std::unique_lock<std::mutex>(recordingMutex_);
  }

  /// A participant who may be in the room posts a chat message (1..2000 characters), stored
  /// encrypted with the visit and audited (ids only). Throws ValidationError, AccessDenied.
  ChatMessage postMessage(const security::Actor& actor, std::int64_t visitId,
                          std::string_view text);
  /// The visit's chat, for its participants (audited read). Throws AccessDenied, NotFound.
  std::vector<ChatMessage> messages(const security::Actor& actor, std::int64_t visitId);

  /// A participant who may be in the room shares a PDF, PNG or JPEG (type from the magic
  /// bytes, at most kMaxVisitDocumentBytes), stored encrypted with the visit, audited.
  /// Throws ValidationError (type, size, name), AccessDenied.
  VisitDocument shareDocument(const security::Actor& actor, std::int64_t visitId,
                              std::string_view fileName, std::string_view content);
  /// The visit's documents without their content, for its participants (audited).
  std::vector<VisitDocument> documents(const security::Actor& actor, std::int64_t visitId);
  /// One document with its content, for the visit's participants (audited). NotFound if the
  /// document is not in this visit.
  VisitDocument document(const security::Actor& actor, std::int64_t visitId,
                         std::int64_t documentId);

  /// An admin asks to read a past visit's chat and documents (a complaint, a legal request),
  /// giving the reason (1..500 characters, stored encrypted as the entry's justification).
  /// Allowed to admins once the visit no longer runs; the audit entry (visit.record_access) is
  /// the grant: for security::kEmergencyAccessWindow the admin reads the visit's chat and
  /// documents, each read audited with reason "admin_request". Returns until when. Throws
  /// ValidationError (no reason), AccessDenied ("not_admin", "visit_running"), NotFound.
  TimePoint requestRecordAccess(const security::Actor& actor, std::int64_t visitId,
                                std::string_view reason);

  /// Decides whether the actor may list (`recordingId` empty) or play one of the visit's
  /// recordings: the visit's provider, or an admin. Every decision is audited
  /// (visit.recordings_list / visit.recording_play: a playback is a PHI read). Throws
  /// AccessDenied ("not_visit_provider"), NotFound.
  void authorizeRecordingAccess(const security::Actor& actor, std::int64_t visitId,
                                std::string_view recordingId);

  /// Keeps one quality sample of a participant's session with the visit (queued write; a
  /// sample that does not fit the store's queue is dropped and counted).
  void recordQuality(std::int64_t visitId, std::int64_t userId, double rttMs, double jitterMs,
                     double lossPct, double kbpsIn);
  /// Per participant quality over the visit.
  std::vector<QualitySummary> quality(std::int64_t visitId) const;

  /// The visit, for one of its participants (others: AccessDenied). NotFound if none. Every
  /// call is audited (visit.get: it names the participants), a refusal as denied.
  Visit get(const security::Actor& actor, std::int64_t visitId) const;
  /// The visits the user takes part in that end after `since`, by start time.
  std::vector<Visit> forUser(std::int64_t userId, TimePoint since) const;
  /// The visit without an access check (for the room's own bookkeeping). nullopt if none.
  std::optional<Visit> find(std::int64_t visitId) const;
  /// True when the actor is a participant who may be in the room now: admitted, visit not
  /// ended, inside the join window (what the media relay asks before connecting anyone).
  bool mayBeInRoom(const security::Actor& actor, std::int64_t visitId) const;

  /// Reads a visit on a connection (nullopt if none).
  static std::optional<Visit> findIn(store::Connection& c, std::int64_t visitId);
  /// Every visit of a patient (any state), by start time, on `c`; no access check and no audit:
  /// for a service that authorises and audits its own read (fhir::RecordExportService).
  static std::vector<Visit> forPatientIn(store::Connection& c, std::int64_t patientId);
  /// Whether `ref` (a visit id in decimal, as a clinical note names its encounter) is a visit of
  /// the patient, on `c`. False for a malformed id, a missing visit and another patient's.
  static bool isVisitOfIn(store::Connection& c, std::string_view ref, std::int64_t patientId);
  /// The visits `userId` takes part in that start in [from, to), by start time, on `c`; no
  /// access check and no audit (the worklist authorises and audits its own read).
  static std::vector<Visit> forUserIn(store::Connection& c, std::int64_t userId, TimePoint from,
                                      TimePoint to);
  /// The visits that ended (state ended) with ended_at in [from, to), by end time, on `c`; no
  /// access check and no audit (billing authorises and audits its own read).
  static std::vector<Visit> endedBetweenIn(store::Connection& c, TimePoint from, TimePoint to);
  /// The ids among `visitIds` of the visits that ended (state ended), ascending, on `c`, by
  /// primary key; no access check and no audit (scheduling's visit report: which bookings were
  /// completed).
  static std::vector<std::int64_t> endedAmongIn(store::Connection& c,
                                                const std::vector<std::int64_t>& visitIds);
  /// The same visits as endedBetweenIn, in one query (index visits_ended_by_time, migration
  /// 0043) without their participants: whether the patient joined, the provider, the end. No
  /// access check and no audit (the survey notices and the satisfaction report).
  static std::vector<EndedVisit> endedSummariesIn(store::Connection& c, TimePoint from,
                                                  TimePoint to);

 private:
  static void checkWindow(const NewVisit& visit);
  /// Writes a row into the visit's room (a chat message, a document) and returns its id.
  using RoomInsert = std::function<std::int64_t(store::Connection& c, TimePoint now)>;
  /// Runs `insert` if the actor may be in the room now (else AccessDenied), auditing `action`
  /// on the new row or, refused, on the visit, in the same write.
  void postIntoRoom(const security::Actor& actor, std::int64_t visitId, std::string_view action,
                    std::string_view objectType, const RoomInsert& insert);

  store::Database& db_;
  security::AuditLog& audit_;
  Clock& clock_;
  VisitPolicy policy_;
  const crypto::FieldCipher* cipher_;
  JoinCheck joinCheck_;
  std::mutex recordingMutex_;
};

}  // namespace vigil::video
