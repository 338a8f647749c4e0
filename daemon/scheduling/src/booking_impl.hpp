#pragma once
// Booking's steps inside a write job, shared by booking.cpp and waitlist.cpp.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "service_impl.hpp"

namespace vigil::scheduling::detail {

/// The injected eligibility check (none: everyone eligible), asked with the patient's state and
/// the date of service in the provider's zone.
struct Eligibility {
  std::shared_ptr<const ProviderEligibility> check;
  std::optional<std::string> refusalIn(store::Connection& c, std::int64_t providerUserId,
                                       std::int64_t patientId, TimePoint at) const;
};

/// What a booking continues: the appointment it reschedules and that one's visit.
struct BookingLink {
  std::optional<std::int64_t> rescheduledFrom;
  std::optional<std::int64_t> visitId;
};

/// The local date of an instant in a zone.
std::chrono::year_month_day localDateOf(const core::TimeZone& zone, TimePoint t);

/// Validates and books: the appointment row, its provider and patient claims (SlotTaken,
/// PatientBusy on a clash), its video visit (created, or moved when `link` names one).
Appointment bookIn(store::Connection& c, const security::Actor& actor, const BookingRequest& r,
                   TimePoint now, const Eligibility& eligibility, const BookingLink& link);
/// Drops an appointment's claims from granule `fromGranule` on (0: all).
void releaseClaimsIn(store::Connection& c, std::int64_t appointmentId, std::int64_t fromGranule);
/// The first granule at or after t.
std::int64_t granuleAtOrAfter(TimePoint t);
/// The providers a slot search looks at: the one asked for (a patient: only on their care
/// team), else the patient's care team with a schedule, else every provider with a schedule.
std::vector<std::int64_t> providersFor(store::Connection& c, const SlotQuery& q);
/// A booked appointment's time was freed: the first waiting entry that matches it (type,
/// provider or any, its window holds the slot, the provider on the entry patient's care team)
/// gets an offer open until kOfferValidity or the slot's start. Returns the offer id, if any.
std::optional<std::int64_t> offerFreedIn(store::Connection& c, const Appointment& freed,
                                         TimePoint now);

}  // namespace vigil::scheduling::detail
