#pragma once
// Async (store-and-forward) care (issue 23, docs/cases.md): a patient opens a case (a question
// and up to kMaxPhotos photos), it goes to the patient's care team, a clinician replies, asks for
// more photos, asks the patient to book a visit, or closes it with a note. A response target in
// business hours (business_time.hpp) gives each case a due time; a periodic check escalates a
// case not yet answered once escalatePercent of the target has passed, once, to the assignee's
// covering provider (alerts' on-call coverage), or else to the next clinician of the patient's
// escalation chain.
//
// Storage (migration 0030): cases (no PHI in clear), case_messages (each text a FieldCipher
// ciphertext bound to its row), case_photos (metadata stripped with
// patients::stripImageMetadata, then encrypted). A photo is never re-encoded here: the strict
// container parser keeps the image data and drops every metadata segment or chunk.
//
// Access: every call authorises and audits (operations case.* in security/access.cpp) in the
// transaction that reads or writes, or right after a read on the same snapshot. The clinician
// a case was escalated to may work it even outside the care team (audit reason
// escalation_assignee), as for alerts. Errors name fields, never their values.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/alerts/escalation.hpp"
#include "vigil/cases/business_time.hpp"
#include "vigil/core/clock.hpp"
#include "vigil/core/error.hpp"
#include "vigil/security/access.hpp"

namespace vigil::store {
class Connection;
class Database;
}  // namespace vigil::store
namespace vigil::crypto {
class FieldCipher;
}
namespace vigil::security {
class AuditLog;
struct AuditObject;
}  // namespace vigil::security
namespace vigil::notes {
class NoteService;
}

namespace vigil::cases {

enum class CaseState { open, awaiting_patient, closed };
std::string_view toString(CaseState state);
std::optional<CaseState> parseCaseState(std::string_view name);

enum class MessageKind { question, message, request_photos, book_visit, close };
std::string_view toString(MessageKind kind);
std::optional<MessageKind> parseMessageKind(std::string_view name);

/// Categories a patient picks from (no PHI: a fixed list).
bool isValidCategory(std::string_view category);

/// Limits (docs/cases.md): a photo's bytes as uploaded, photos per case, a message's text.
inline constexpr std::size_t kMaxPhotoBytes = 700 * 1024;
inline constexpr std::size_t kMaxPhotos = 5;
inline constexpr std::size_t kMaxTextBytes = 4000;

struct CaseMessage {
  std::int64_t id = 0;
  MessageKind kind = MessageKind::message;
  std::int64_t authorId = 0;
  std::string authorRole;
  TimePoint createdAt;
  std::string text;
};

struct CasePhoto {
  std::int64_t id = 0;
  std::string mediaType;
  std::size_t sizeBytes = 0;
  std::uint32_t width = 0, height = 0;
  TimePoint uploadedAt;
  std::int64_t uploadedBy = 0;
};

struct Case {
  std::int64_t id = 0;
  std::int64_t patientId = 0;
  std::string category;
  CaseState state = CaseState::open;
  TimePoint openedAt, dueAt, escalateAt, updatedAt;
  std::optional<TimePoint> firstResponseAt;
  std::optional<std::int64_t> assignee;
  std::optional<TimePoint> escalatedAt;
  std::optional<std::int64_t> escalatedTo;
  std::optional<TimePoint> closedAt;
  std::optional<std::int64_t> closedBy;
  std::optional<std::int64_t> noteId;
  std::size_t photoCount = 0;
  std::vector<CaseMessage> messages;  // oldest first; filled by get()
  std::vector<CasePhoto> photos;      // oldest first; filled by get()
};

/// A photo's content (served only to the patient and the care team).
struct PhotoContent {
  CasePhoto info;
  std::string bytes;
};

/// The worklist's counts for one clinician (the lead's provider worklist).
struct CaseCounts {
  std::int64_t open = 0;           // open or awaiting the patient, on the care team's patients
  std::int64_t waiting = 0;        // of those, waiting for the care team (state open)
  std::int64_t dueSoon = 0;        // waiting, past their escalation time (or overdue)
  std::int64_t overdue = 0;        // waiting, past their due time
  std::int64_t escalatedToMe = 0;  // not closed, escalated to this clinician
};

/// A limit of docs/cases.md was passed: the API answers 413 for a photo's bytes, else 400.
class CaseLimitError : public Error {
 public:
  enum class Limit { photoBytes, photoCount, text };
  CaseLimitError(Limit limit, const std::string& message) : Error(message), limit_(limit) {}
  Limit limit() const { return limit_; }
  bool tooLarge() const { return limit_ == Limit::photoBytes; }

 private:
  Limit limit_;
};
/// The case is not in a state that allows the action (a closed case, a photo on a case waiting
/// for the care team ... ).
class CaseStateError : public Error {
 public:
  using Error::Error;
};

/// The async-care service, authorised and audited.
class CaseService {
 public:
  /// The clinic's escalation set-up now (chains and coverage; the alert lifecycle's copy).
  using EscalationSource = std::function<alerts::EscalationSetup()>;

  CaseService(store::Database& db, security::AuditLog& audit, const crypto::FieldCipher& cipher,
              notes::NoteService& notes, Clock& clock, BusinessHours hours,
              EscalationSource escalation);

  const BusinessHours& businessHours() const { return hours_; }

  /// The patient opens a case about themselves (case.open): category from the fixed list, the
  /// question 1..kMaxTextBytes.
  Case open(const security::Actor& actor, std::int64_t patientId, const std::string& category,
            const std::string& question);
  /// Adds a photo (case.photo_add; the patient, while the case is not closed, at most
  /// kMaxPhotos). JPEG or PNG, metadata stripped before it is encrypted. A photo added while
  /// the case waits for the patient moves it back to open.
  CasePhoto addPhoto(const security::Actor& actor, std::int64_t caseId, std::string_view bytes);
  /// A patient's cases, newest first, without messages (case.list).
  std::vector<Case> listForPatient(const security::Actor& actor, std::int64_t patientId,
                                   std::string_view breakGlassReason = {});
  /// Open cases of the actor's care-team patients and those escalated to them, due first
  /// (case.queue); `includeClosed` adds the closed ones (newest first after the others).
  std::vector<Case> queue(const security::Actor& actor, bool includeClosed = false);
  /// The case with its messages and photo list (case.get).
  Case get(const security::Actor& actor, std::int64_t caseId,
           std::string_view breakGlassReason = {});
  /// A photo's bytes (case.photo_get).
  PhotoContent photo(const security::Actor& actor, std::int64_t caseId, std::int64_t photoId,
                     std::string_view breakGlassReason = {});

  /// A message (case.reply): the patient's follow-up (moves awaiting_patient back to open) or a
  /// clinician's reply (the first one stops the escalation clock).
  Case reply(const security::Actor& actor, std::int64_t caseId, const std::string& text,
             std::string_view breakGlassReason = {});
  /// A clinician asks for more photos (case.request_photos): awaiting_patient.
  Case requestPhotos(const security::Actor& actor, std::int64_t caseId, const std::string& text,
                     std::string_view breakGlassReason = {});
  /// A clinician asks the patient to book a visit (case.book_visit); the portal links the
  /// schedule page. The case stays as it is (a reply for the response target).
  Case bookVisit(const security::Actor& actor, std::int64_t caseId, const std::string& text,
                 std::string_view breakGlassReason = {});
  /// A clinician closes the case with a note (case.close): a draft note of encounter kind
  /// async_case (reference: the case id) from the general template, the closing text in its
  /// assessment and plan, for the clinician to sign on the notes page; the text is also the
  /// patient's last message.
  Case close(const security::Actor& actor, std::int64_t caseId, const std::string& note,
             std::string_view breakGlassReason = {});

  /// The counts of the actor's worklist (case.counts).
  CaseCounts counts(const security::Actor& actor);
  /// The cases waiting for a clinician (state open) on the patients of `careTeam` or escalated
  /// to `userId`, by due time, on `c` without a check or an audit: for the worklist, which
  /// authorises and audits its own read (vigil::worklist).
  static std::vector<Case> waitingForIn(store::Connection& c, std::int64_t userId,
                                        const std::vector<std::int64_t>& careTeam);

  /// The periodic check: escalates every case whose escalation time has passed without a
  /// clinician's response, once each; audited as the system (case.escalate). Returns the cases
  /// escalated now.
  std::vector<Case> escalateDue();

 private:
  struct Access;
  Access authorize(const security::Actor& actor, std::string_view op, std::int64_t caseId,
                   std::string_view breakGlassReason);
  Case caseIn(store::Connection& c, std::int64_t caseId, bool content) const;
  Case messageIn(const security::Actor& actor, std::int64_t caseId, MessageKind kind,
                 const std::string& text, std::string_view op, std::string_view breakGlassReason);

  store::Database& db_;
  security::AuditLog& audit_;
  const crypto::FieldCipher& cipher_;
  notes::NoteService& notes_;
  Clock& clock_;
  BusinessHours hours_;
  EscalationSource escalation_;
};

/// Who a case of `patientId` escalates to at `now` when `assignee` has it: whoever covers the
/// assignee then (alerts' coverage), else the patient's escalation chain's next person after
/// the assignee (level 1 when the assignee is not in the chain), after coverage; nullopt when
/// that is nobody or the assignee themself.
std::optional<std::int64_t> escalationTarget(const alerts::EscalationSetup& setup,
                                             std::int64_t patientId,
                                             std::optional<std::int64_t> assignee, TimePoint now);

}  // namespace vigil::cases
