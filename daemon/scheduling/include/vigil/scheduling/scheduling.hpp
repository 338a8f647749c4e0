#pragma once
// Scheduling (issue 22): providers' availability, appointment types, bookings without
// double-booking, reschedule, cancel, no-show and the waitlist. See docs/scheduling.md.
//
// Availability is local: a provider's weekly template says "Mondays 08:00-12:00" in the
// provider's IANA zone (schedule_settings.time_zone) and stays 08:00-12:00 on the wall clock
// across DST changes. Slots are computed in real time between the block's first local start
// instant and its last local end instant, every kSlotStep: on a spring-forward day a block
// spanning 02:00-03:00 has one hour of slots less; on a fall-back day the repeated hour is
// offered twice, at two distinct UTC instants (the provider is there for the real time that
// passes). Slots are UTC instants; the portal shows them in the viewer's zone.
//
// A booking holds one appointment_claims row per 5-minute granule of [start, end + buffer) with
// PRIMARY KEY (provider, granule), inserted in the booking's write job: two bookings touching
// one granule cannot both commit, whatever the concurrency (the loser answers SlotTaken). The
// patient holds appointment_patient_claims over [start, end) the same way (PatientBusy).

#include <chrono>
#include <cstdint>
#include <memory>
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
namespace vigil::crypto {
class FieldCipher;
}

namespace vigil::scheduling {

class ReminderService;

/// The provider's time is already held by another booking (the API's 409 slot_taken).
class SlotTaken : public Error {
 public:
  using Error::Error;
};
/// The patient already has a booking at an overlapping time (409 patient_busy).
class PatientBusy : public Error {
 public:
  using Error::Error;
};
/// The provider may not see this patient on that date (licensing); what() says why (403).
class NotEligible : public Error {
 public:
  using Error::Error;
};

/// Whether a provider may be booked for a patient located in a state on a date (licensing,
/// wired by the application; scheduling only asks). nullopt: eligible; otherwise a stable,
/// PHI-free reason ("no_active_license", "license_expired", ...), shown and audited.
class ProviderEligibility {
 public:
  virtual ~ProviderEligibility() = default;
  virtual std::optional<std::string> refusalIn(store::Connection& c, std::int64_t providerUserId,
                                               std::string_view patientState,
                                               std::chrono::year_month_day dateOfService) const = 0;
};

/// Slots start every kSlotStep from a template block's start.
inline constexpr std::chrono::minutes kSlotStep{15};
/// Claims are kept per granule of this many minutes; starts and lengths are multiples of it.
inline constexpr std::chrono::minutes kGranule{5};
/// How long a waitlist offer stays open.
inline constexpr std::chrono::hours kOfferValidity{24};
/// The longest range a slot search covers.
inline constexpr int kMaxSearchDays = 92;

enum class Modality { video, inPerson };
enum class VisitKind { newPatient, followUp };
enum class ExceptionKind { leave, holiday, other };
enum class AppointmentState { booked, cancelled, rescheduled, noShow, completed };
enum class CancelReason { patientRequest, providerUnavailable, clinicClosed, other };
std::string_view toString(Modality m);
std::string_view toString(VisitKind k);
std::string_view toString(ExceptionKind k);
std::string_view toString(AppointmentState s);
std::string_view toString(CancelReason r);
std::optional<Modality> parseModality(std::string_view s);
std::optional<VisitKind> parseVisitKind(std::string_view s);
std::optional<ExceptionKind> parseExceptionKind(std::string_view s);
std::optional<AppointmentState> parseAppointmentState(std::string_view s);
std::optional<CancelReason> parseCancelReason(std::string_view s);

/// An instant as RFC 3339 local time with its offset in an IANA zone
/// ("2026-03-02T06:00:00-08:00"): how a slot reads for a patient in their own zone.
std::string formatInZone(TimePoint t, std::string_view zoneName);

struct AppointmentType {
  std::int64_t id = 0;
  std::string name;
  int durationMinutes = 30;
  Modality modality = Modality::video;
  VisitKind kind = VisitKind::followUp;
  bool active = true;
};

struct ScheduleSettings {
  std::int64_t providerUserId = 0;
  std::string timeZone = "UTC";
  int bufferMinutes = 0;
};

/// One weekly block: ISO weekday (1 Monday .. 7 Sunday), local minutes of the day.
struct TemplateBlock {
  std::int64_t id = 0;
  std::int64_t providerUserId = 0;
  int weekday = 1;
  int startMinute = 0;
  int endMinute = 0;
  std::vector<std::int64_t> typeIds;  // empty: every active type
};

/// Time off, local to the provider's zone: [startsLocal, endsLocal).
struct ScheduleException {
  std::int64_t id = 0;
  std::int64_t providerUserId = 0;
  std::chrono::local_seconds startsLocal;
  std::chrono::local_seconds endsLocal;
  ExceptionKind kind = ExceptionKind::leave;
};

/// A bookable time.
struct Slot {
  std::int64_t providerUserId = 0;
  std::int64_t typeId = 0;
  TimePoint startsAt;
  TimePoint endsAt;
};

/// What a slot search asks: a type, one provider or (nullopt) every provider the patient may
/// book (their care team) or, without a patient, every provider with a schedule; local dates
/// [from, to] in each provider's zone.
struct SlotQuery {
  std::int64_t typeId = 0;
  std::optional<std::int64_t> providerUserId;
  std::optional<std::int64_t> patientId;
  std::chrono::year_month_day from;
  std::chrono::year_month_day to;
};

/// A provider left out of a search, and why (licensing).
struct Refusal {
  std::int64_t providerUserId = 0;
  std::string reason;
};

struct SlotSearch {
  std::vector<Slot> slots;  // by start, then provider
  std::vector<Refusal> refused;
};

struct BookingRequest {
  std::int64_t patientId = 0;
  std::int64_t providerUserId = 0;
  std::int64_t typeId = 0;
  TimePoint startsAt;
};

struct Appointment {
  std::int64_t id = 0;
  std::int64_t providerUserId = 0;
  std::int64_t patientId = 0;
  std::int64_t typeId = 0;
  TimePoint startsAt;
  TimePoint endsAt;
  AppointmentState state = AppointmentState::booked;
  std::optional<CancelReason> cancelReason;
  std::optional<std::string> cancelNote;  // decrypted only for staff and the patient
  std::int64_t bookedBy = 0;
  std::optional<std::int64_t> visitId;
  std::optional<std::int64_t> rescheduledFrom;
};

struct WaitlistRequest {
  std::int64_t patientId = 0;
  std::optional<std::int64_t> providerUserId;  // nullopt: any provider
  std::int64_t typeId = 0;
  TimePoint earliestAt;
  TimePoint latestAt;
};

struct WaitlistOffer {
  std::int64_t id = 0;
  std::int64_t entryId = 0;
  std::int64_t patientId = 0;
  std::int64_t providerUserId = 0;
  std::int64_t typeId = 0;
  TimePoint startsAt;
  TimePoint endsAt;
  TimePoint expiresAt;
  std::string state;
};

/// The scheduling service. Every call is authorised and audited through security::AccessGuard
/// (operations schedule.*, appointment.*, waitlist.*).
class SchedulingService {
 public:
  /// A video booking creates its visit through video::VisitService::scheduleIn in the
  /// booking's write job. `eligibility` (licensing, wired by the application) nullptr: every
  /// provider is eligible.
  SchedulingService(store::Database& db, security::AuditLog& audit,
                    const crypto::FieldCipher& cipher, Clock& clock,
                    std::shared_ptr<const ProviderEligibility> eligibility = nullptr);
  /// Replaces the eligibility check (the application wires licensing after start-up).
  void setEligibility(std::shared_ptr<const ProviderEligibility> eligibility);
  /// Notifies waitlist offers through `reminders` (ReminderService::notifyOfferIn, in the
  /// offer's write job); nullptr: offers are only shown in the portal. Before serving.
  void setReminders(const ReminderService* reminders);

  // --- set-up (schedule.setup: admins for anyone, providers for themselves) ---
  std::vector<AppointmentType> types(const security::Actor& actor, bool activeOnly = true) const;
  /// Creates (id 0) or changes a type. Admins only.
  AppointmentType saveType(const security::Actor& actor, const AppointmentType& type);
  void saveSettings(const security::Actor& actor, const ScheduleSettings& settings);
  std::optional<ScheduleSettings> settings(const security::Actor& actor,
                                           std::int64_t providerUserId) const;
  /// Replaces the provider's whole weekly template.
  void setTemplate(const security::Actor& actor, std::int64_t providerUserId,
                   const std::vector<TemplateBlock>& blocks);
  std::vector<TemplateBlock> templateOf(const security::Actor& actor,
                                        std::int64_t providerUserId) const;
  std::int64_t addException(const security::Actor& actor, const ScheduleException& e);
  void removeException(const security::Actor& actor, std::int64_t providerUserId,
                       std::int64_t exceptionId);
  std::vector<ScheduleException> exceptions(const security::Actor& actor,
                                            std::int64_t providerUserId) const;

  // --- slots and bookings ---
  // `breakGlassReason`: a clinician's emergency access outside the care team (audited as
  // break-glass), as the API passes it on.
  /// The providers with a schedule the actor may book with (a patient: their care team's), and
  /// their zones (schedule.slots).
  std::vector<ScheduleSettings> bookableProviders(const security::Actor& actor) const;
  /// Free slots (schedule.slots). A patient actor searches for themself.
  SlotSearch slots(const security::Actor& actor, const SlotQuery& query) const;
  /// Books a free slot (appointment.book) and, for a video type, its visit in the same write
  /// job. Throws SlotTaken, PatientBusy, NotEligible, ValidationError (not a slot, type,
  /// provider not on the patient's care team), AccessDenied.
  Appointment book(const security::Actor& actor, const BookingRequest& request,
                   std::string_view breakGlassReason = {});
  /// Moves a booked appointment to a new free slot in one write job: the old claims released
  /// and the new ones taken together (the old appointment becomes cancelled, reason other, and
  /// the new one names it in rescheduledFrom; the old becomes rescheduled; a video visit moves
  /// with it). Same errors as book().
  Appointment reschedule(const security::Actor& actor, std::int64_t appointmentId,
                         TimePoint newStartsAt, std::string_view breakGlassReason = {});
  /// Cancels a booked appointment (its claims released, its visit cancelled) and offers the
  /// freed time to the first matching waitlist entry. `note` (other): free text, encrypted.
  void cancel(const security::Actor& actor, std::int64_t appointmentId, CancelReason reason,
              std::string_view note, std::string_view breakGlassReason = {});
  /// Staff mark a booked appointment as a no-show once it has started; its claims from now on
  /// are released (the provider's rest of the hour is free again).
  void markNoShow(const security::Actor& actor, std::int64_t appointmentId,
                  std::string_view breakGlassReason = {});
  Appointment get(const security::Actor& actor, std::int64_t appointmentId,
                  std::string_view breakGlassReason = {}) const;
  /// A patient's appointments starting at or after `since` (appointment.list).
  std::vector<Appointment> forPatient(const security::Actor& actor, std::int64_t patientId,
                                      TimePoint since,
                                      std::string_view breakGlassReason = {}) const;
  /// A provider's appointments in [from, to) (schedule.provider_list: providers their own,
  /// nurses, front desk and admins any provider's). Audited once per listing.
  std::vector<Appointment> forProvider(const security::Actor& actor, std::int64_t providerUserId,
                                       TimePoint from, TimePoint to) const;

  // --- waitlist ---
  std::int64_t joinWaitlist(const security::Actor& actor, const WaitlistRequest& request,
                            std::string_view breakGlassReason = {});
  /// A patient's open offers (not expired).
  std::vector<WaitlistOffer> offers(const security::Actor& actor, std::int64_t patientId,
                                    std::string_view breakGlassReason = {}) const;
  /// Books the offered slot (as book()); the offer and its entry are closed.
  Appointment acceptOffer(const security::Actor& actor, std::int64_t offerId,
                          std::string_view breakGlassReason = {});

  /// The provider's zone (UTC when the provider has no settings row).
  static std::string zoneOfIn(store::Connection& c, std::int64_t providerUserId);
  /// A patient's appointments (all states, by start) read on `c`: no check, no audit (the FHIR
  /// API authorises and audits its reads itself, issue 26).
  static std::vector<Appointment> forPatientIn(store::Connection& c, std::int64_t patientId);
  /// An appointment type by id, read on `c`.
  static std::optional<AppointmentType> typeIn(store::Connection& c, std::int64_t typeId);
  /// The provider's free slots of `type` over local dates [from, to] (at most 92 days), starting
  /// at or after `notBefore`, read on `c`: no check, no audit (free times are not PHI; the FHIR
  /// API's Slot search authorises and audits itself, issue 26). Empty for an inactive type.
  static std::vector<Slot> freeSlotsIn(store::Connection& c, std::int64_t providerUserId,
                                       const AppointmentType& type,
                                       std::chrono::year_month_day from,
                                       std::chrono::year_month_day to, TimePoint notBefore);

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace vigil::scheduling
