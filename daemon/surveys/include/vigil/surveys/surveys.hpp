#pragma once
// Patient satisfaction (issue 30, docs/reports.md "Patient satisfaction"): a short survey after
// each video visit, sent through the portal and the cloud link's notifications.
//
// The due rule: a survey is due to the patient of every video visit that ended (state ended)
// with the patient admitted to the room at least once, for kSurveyWindow (14 days) from the
// visit's end, until answered. One answer per visit and patient: a rating 1-5, how likely the
// patient is to recommend the practice 0-10 (net promoter), an optional comment (at most
// kMaxCommentChars characters, encrypted with the box's FieldCipher bound to its row). Refusals
// are typed: SurveyNotDue (visit not ended, patient never joined, window passed),
// SurveyAlreadyAnswered, SurveyValueError (a value out of range), AccessDenied (not the visit's
// patient, audited as denied), NotFound (no such visit). Every answer and every listing is one
// audit entry (survey.answer, survey.list_pending), in the job that reads or writes.
//
// The notice: a periodic step (vigild's "survey_notices") looks at the visits ended since its
// last run (at most kSurveyWindow back) and, for each one the patient joined, queues one
// notify.send with the portal's link to the survey (<portal>/#/surveys/<visit id>) in the cloud
// link's outbox, or records why it did not ("channel_none", "no_address", "no_cloud_link",
// "answered"), in one write job with the row that makes it once-only (visit_survey_notices'
// primary key). The message says the clinic's name and carries the link: no more PHI than a
// reminder (no provider, no time, no reason for the visit).

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/core/clock.hpp"
#include "vigil/core/error.hpp"
#include "vigil/security/access.hpp"
#include "vigil/sync/notification_outbox.hpp"

namespace vigil::store {
class Connection;
class Database;
}  // namespace vigil::store
namespace vigil::security {
class AuditLog;
}
namespace vigil::crypto {
class FieldCipher;
}
namespace vigil::patients {
class PatientRecordService;
}

namespace vigil::surveys {

/// How long after the visit's end its survey may be answered.
inline constexpr std::chrono::days kSurveyWindow{14};
/// The longest comment, in characters (Unicode code points).
inline constexpr std::size_t kMaxCommentChars = 2000;

/// A survey due to the patient: the visit, when it ended, its provider, until when it may be
/// answered.
struct PendingSurvey {
  std::int64_t visitId = 0;
  TimePoint endedAt;
  std::int64_t providerUserId = 0;
  std::string providerName;  // the provider's display name ("" if the account is gone)
  TimePoint answerBy;        // endedAt + kSurveyWindow
};

/// What the patient answers.
struct SurveyAnswer {
  int rating = 0;     // 1..5
  int recommend = 0;  // 0..10
  std::string comment;
};

/// A stored answer (the comment is not read back: it is PHI and nothing shows it yet).
struct StoredAnswer {
  std::int64_t id = 0;
  std::int64_t visitId = 0;
  std::int64_t patientId = 0;
  std::int64_t providerUserId = 0;
  int rating = 0;
  int recommend = 0;
  bool hasComment = false;
  TimePoint answeredAt;
};

/// The survey is not (or no longer) open for the visit.
class SurveyNotDue : public Error {
 public:
  enum class Reason { notEnded, notJoined, expired };
  SurveyNotDue(Reason reason, const std::string& message) : Error(message), reason_(reason) {}
  Reason reason() const { return reason_; }
  /// "visit_not_ended", "patient_not_joined", "survey_expired".
  std::string_view code() const;

 private:
  Reason reason_;
};

/// The visit's survey was answered already (one answer per visit and patient).
class SurveyAlreadyAnswered : public Error {
 public:
  using Error::Error;
};

/// A value of the answer is out of range (the message names the field).
class SurveyValueError : public ValidationError {
 public:
  using ValidationError::ValidationError;
};

/// The channel the patient wants messages by, read in the notice's write job: "email", "sms",
/// or nullopt for none (the app reads scheduling's reminder settings). Unset: "email".
using NoticeChannel =
    std::function<std::optional<std::string>(store::Connection& c, std::int64_t patientId)>;

struct SurveyOptions {
  std::string clinicName = "your clinic";
  /// The portal's public origin (web.public_url, no trailing slash); empty: no link.
  std::string portalUrl;
};

/// One recorded notice (no PHI).
struct NoticeRecord {
  std::int64_t visitId = 0;
  std::int64_t patientId = 0;
  std::string outcome;  // sent, skipped
  std::string reason;   // skipped: channel_none, no_address, no_cloud_link, answered
  std::string channel;  // sent: email, sms
  std::string outboxEntry;
  TimePoint recordedAt;
};

/// What one notice run did.
struct NoticeRun {
  int sent = 0;
  int skipped = 0;
};

/// The visits' satisfaction surveys: what is due, the answers, the notices.
class SurveyService {
 public:
  SurveyService(store::Database& db, security::AuditLog& audit, const crypto::FieldCipher& cipher,
                const patients::PatientRecordService& records, Clock& clock,
                SurveyOptions options = {});

  /// Sets where notices go and by which channel (before the notice task runs). `outbox`
  /// nullptr: no cloud link (every notice is skipped, no_cloud_link); vigild gives a
  /// sync::LinkNotificationOutbox.
  void setNotices(std::shared_ptr<sync::NotificationOutbox> outbox, NoticeChannel channel = {});

  /// The surveys due to the actor's own patient record, oldest visit first
  /// (survey.list_pending, audited). Throws AccessDenied (staff, a patient without a record).
  std::vector<PendingSurvey> pending(const security::Actor& actor) const;

  /// The patient answers the survey of one of their visits (survey.answer, audited: allowed,
  /// denied or failed). Throws SurveyValueError, NotFound, AccessDenied, SurveyNotDue,
  /// SurveyAlreadyAnswered.
  StoredAnswer answer(const security::Actor& actor, std::int64_t visitId,
                      const SurveyAnswer& answer);

  /// The notice step: for each visit ended since the last run (the first run: within
  /// kSurveyWindow) that has no notice yet, one write job that records it and queues it (or
  /// records why not). A visit's failure is logged and retried on the next run.
  NoticeRun sendDueNotices();

  /// The notice recorded for a visit's patient (nullopt: none yet).
  std::optional<NoticeRecord> noticeFor(std::int64_t visitId) const;

 private:
  bool noticeIn(store::Connection& c, std::int64_t visitId, std::int64_t patientId, TimePoint now,
                NoticeRun& run) const;

  store::Database& db_;
  security::AuditLog& audit_;
  const crypto::FieldCipher& cipher_;
  const patients::PatientRecordService& records_;
  Clock& clock_;
  SurveyOptions options_;
  std::shared_ptr<sync::NotificationOutbox> outbox_;
  NoticeChannel channel_;
  std::optional<TimePoint> lastRun_;
};

/// Checks an answer's values (rating 1..5, recommend 0..10, comment at most kMaxCommentChars
/// characters); throws SurveyValueError naming the field.
void checkAnswer(const SurveyAnswer& answer);

}  // namespace vigil::surveys
