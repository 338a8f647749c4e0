#pragma once
// What the scheduling service's source files share: its state and the store reads.

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "vigil/core/time_zone.hpp"
#include "vigil/scheduling/scheduling.hpp"
#include "vigil/security/access_guard.hpp"

namespace vigil::scheduling {

struct SchedulingService::Impl {
  store::Database& db;
  security::AuditLog& audit;
  const crypto::FieldCipher& cipher;
  Clock& clock;
  std::shared_ptr<const ProviderEligibility> eligibility;
  const ReminderService* reminders = nullptr;  // waitlist offers' notices (may be null)

  security::AccessGuard guard() const { return {db, audit}; }
  /// A freed time was offered (offerFreedIn's answer): tells the patient, in the same job.
  void notifyOfferIn(store::Connection& c, std::optional<std::int64_t> offerId,
                     TimePoint now) const;
  /// Writes the denial (reason) of `op` and throws AccessDenied.
  void deny(const security::Actor& actor, std::string_view op,
            std::optional<std::int64_t> patientId, const security::AuditObject& object,
            std::string_view reason) const;
  /// Providers change only their own schedule; admins anyone's (others never get here).
  /// Asks the eligibility check outside the write job; a refusal is audited as a denial with
  /// its reason and thrown as NotEligible.
  void refuseIneligible(const security::Actor& actor, std::string_view op,
                        std::int64_t providerUserId, std::int64_t patientId, TimePoint at) const;
  void requireOwnSchedule(const security::Actor& actor, std::string_view op,
                          std::int64_t providerUserId) const;
};

namespace detail {

std::optional<AppointmentType> typeIn(store::Connection& c, std::int64_t id);
std::optional<ScheduleSettings> settingsIn(store::Connection& c, std::int64_t providerUserId);
std::vector<TemplateBlock> templateIn(store::Connection& c, std::int64_t providerUserId);
std::vector<ScheduleException> exceptionsIn(store::Connection& c, std::int64_t providerUserId);
/// Granules held by the provider's (or patient's) booked appointments in [from, to).
std::set<std::int64_t> heldIn(store::Connection& c, std::int64_t providerUserId, TimePoint from,
                              TimePoint to);
std::set<std::int64_t> patientHeldIn(store::Connection& c, std::int64_t patientId, TimePoint from,
                                     TimePoint to);
std::optional<Appointment> appointmentIn(store::Connection& c, std::int64_t id);
std::vector<Appointment> appointmentsIn(store::Connection& c, std::string_view where,
                                        std::int64_t key, std::int64_t from, std::int64_t to);
/// The zone of a provider (UTC without settings).
std::shared_ptr<const core::TimeZone> zoneIn(store::Connection& c, std::int64_t providerUserId);
/// Every free slot of `type` with the provider over local dates [from, to], starting at or
/// after `notBefore`; without `patientId`'s own bookings overlapping when given.
std::vector<Slot> freeSlotsIn(store::Connection& c, std::int64_t providerUserId,
                              const AppointmentType& type, std::chrono::year_month_day from,
                              std::chrono::year_month_day to, TimePoint notBefore,
                              std::optional<std::int64_t> patientId);

}  // namespace detail
}  // namespace vigil::scheduling
