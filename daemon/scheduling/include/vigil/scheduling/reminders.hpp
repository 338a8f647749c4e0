#pragma once
// Appointment reminders and waitlist-offer notices (issue 22), through the cloud link's
// notification service (notify.send). See docs/scheduling.md, "Reminders".
//
// Two reminders per booked appointment: 24 h and 1 h before its start, in real time (a UTC
// instant minus 24 hours: across a DST change that is 24 real hours, not the same wall-clock
// time the day before). Each is decided once: one appointment_reminders row per (appointment,
// kind), PRIMARY KEY, inserted in the write job that enqueues its notify.send in the cloud
// link's outbox (both commit or neither does). A second attempt violates the key and sends
// nothing. Only booked appointments get reminders; a rescheduled appointment is a new row and
// gets its own; the old one (state rescheduled) none.
//
// Decisions, for an appointment starting at S booked at B, checked at `now` (< S):
// - 1 h: due from S - 1 h until S; sent even when booked within the hour (it carries the join
//   link).
// - 24 h: skipped ("booked_late") when B > S - 24 h (the moment had passed at booking: the
//   patient just booked); skipped ("superseded") once S - 1 h has come (a box that was off at
//   S - 24 h never sends the 24 h reminder after, or with, the 1 h one); else due from S - 24 h.
// The periodic task (vigild's "reminders") calls runDue(); its clock is injected.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/core/clock.hpp"
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

namespace vigil::scheduling {

enum class ReminderChannel { email, sms, none };
/// How much a message may say: minimal (the clinic and the time) or detailed (also the
/// provider's name and the visit type). Never a diagnosis, a note or a reason for the visit.
enum class ReminderDetail { minimal, detailed };
enum class ReminderKind { dayBefore, hourBefore };

std::string_view toString(ReminderChannel c);
std::string_view toString(ReminderDetail d);
/// "24h", "1h".
std::string_view toString(ReminderKind k);
std::optional<ReminderChannel> parseReminderChannel(std::string_view s);
std::optional<ReminderDetail> parseReminderDetail(std::string_view s);

/// A patient's reminder settings; without a stored row: e-mail, minimal.
struct ReminderSettings {
  std::int64_t patientId = 0;
  ReminderChannel channel = ReminderChannel::email;
  ReminderDetail detail = ReminderDetail::minimal;
  bool stored = false;  // false: the defaults
};

/// The patient's reminder settings read on `c` (the defaults without a stored row); no access
/// check and no audit: for a write job that decides a message to the patient (issue 30: a visit's
/// satisfaction survey goes by the channel the patient chose, and not at all with none).
ReminderSettings reminderSettingsIn(store::Connection& c, std::int64_t patientId);

/// The instant a reminder is due: 24 or 1 real hours before the start.
TimePoint reminderDueAt(TimePoint startsAt, ReminderKind kind);

enum class ReminderDecision { notYet, send, skipBookedLate, skipSuperseded };
/// What to do now with a reminder of `kind` (see the file comment). `now` before `startsAt`.
ReminderDecision decideReminder(ReminderKind kind, TimePoint startsAt, TimePoint bookedAt,
                                TimePoint now);

/// What a message says, as plain facts (no PHI but the time, and the provider and type when
/// the patient allows details).
struct MessageFacts {
  std::string clinicName;
  std::string when;  // the start in the patient's zone, e.g. "Monday 2 March 2026, 06:00
                     // (America/Los_Angeles)"
  bool video = true;
  std::string joinLink;  // video: <portal>/#/visits/<visit id> (empty: no portal URL configured)
  std::string providerName;  // used only with ReminderDetail::detailed
  std::string typeName;      // used only with ReminderDetail::detailed
};
/// The reminder's text.
std::string reminderText(ReminderDetail detail, const MessageFacts& facts);
/// The waitlist offer's text; `until` the offer's expiry as `when` reads; `bookLink` the
/// portal's booking page (empty: none configured).
std::string offerText(ReminderDetail detail, const MessageFacts& facts, std::string_view until,
                      std::string_view bookLink);
/// "Monday 2 March 2026, 06:00 (America/Los_Angeles)"; an unknown zone reads as UTC.
std::string humanTime(TimePoint t, std::string_view zoneName);

struct ReminderOptions {
  std::string clinicName = "your clinic";
  /// The portal's public origin (web.public_url, no trailing slash); empty: no links.
  std::string portalUrl;
};

/// One recorded reminder (no PHI).
struct ReminderRecord {
  std::int64_t appointmentId = 0;
  ReminderKind kind = ReminderKind::dayBefore;
  TimePoint dueAt;
  std::string outcome;  // sent, skipped
  std::string reason;   // skipped: channel_none, no_address, no_cloud_link, booked_late, superseded
  std::string channel;  // sent: email, sms
  std::string outboxEntry;
  TimePoint recordedAt;
};

/// What one run did.
struct ReminderRun {
  int sent = 0;
  int skipped = 0;
};

/// Reminders and notices, and the patients' settings (reminder_settings.get / .update, audited).
class ReminderService {
 public:
  /// `outbox` nullptr: no cloud link (every reminder is skipped, no_cloud_link); vigild gives a
  /// sync::LinkNotificationOutbox.
  ReminderService(store::Database& db, security::AuditLog& audit, const crypto::FieldCipher& cipher,
                  patients::PatientRecordService& records,
                  std::shared_ptr<sync::NotificationOutbox> outbox, Clock& clock,
                  ReminderOptions options);

  ReminderSettings settings(const security::Actor& actor, std::int64_t patientId,
                            std::string_view breakGlassReason = {}) const;
  ReminderSettings saveSettings(const security::Actor& actor, const ReminderSettings& settings,
                                std::string_view breakGlassReason = {});

  /// Decides every reminder due now (booked appointments starting within 24 h): sends or skips
  /// each once. One write job per appointment; each send audited (appointment.remind, system).
  ReminderRun runDue();

  /// Inside the write job that made waitlist offer `offerId`: notifies its patient under their
  /// settings, once (waitlist_offer_notices). Never throws for a channel problem (the offer
  /// stands; the notice is recorded as skipped).
  void notifyOfferIn(store::Connection& c, std::int64_t offerId, TimePoint now) const;

  /// The reminders recorded for an appointment (no PHI; for tests and the portal).
  std::vector<ReminderRecord> recordsFor(std::int64_t appointmentId) const;

 private:
  bool remindIn(store::Connection& c, std::int64_t appointmentId, TimePoint now,
                ReminderRun& run) const;

  store::Database& db_;
  security::AuditLog& audit_;
  const crypto::FieldCipher& cipher_;
  patients::PatientRecordService& records_;
  std::shared_ptr<sync::NotificationOutbox> outbox_;
  Clock& clock_;
  ReminderOptions options_;
};

}  // namespace vigil::scheduling
