// Slot search, booking (claims in the booking's write job), reschedule, cancel, no-show.
#include <algorithm>

#include "booking_impl.hpp"
#include "service_impl.hpp"
#include "slots.hpp"
#include "vigil/core/time.hpp"
#include "vigil/crypto/field_cipher.hpp"
#include "vigil/registry/registry.hpp"
#include "vigil/security/encrypted_fields.hpp"
#include "vigil/store/database.hpp"
#include "vigil/video/visit.hpp"

namespace vigil::scheduling {

using core::fromMillis;
using core::toMillis;
using security::Actor;
using security::operation;
using security::Role;
using store::Connection;
using namespace std::chrono;

namespace detail {

year_month_day localDateOf(const core::TimeZone& zone, TimePoint t) {
  const auto local = zone.toLocal(
      floor<seconds>(sys_time<milliseconds>(duration_cast<milliseconds>(t.time_since_epoch()))));
  return year_month_day{floor<days>(local)};
}

std::optional<std::string> Eligibility::refusalIn(Connection& c, std::int64_t providerUserId,
                                                  std::int64_t patientId, TimePoint at) const {
  if (!check) return std::nullopt;
  const auto where = registry::PatientRepository::locationIn(c, patientId);
  if (!where) throw NotFound("patient not found");
  const auto zone = zoneIn(c, providerUserId);
  return check->refusalIn(c, providerUserId, where->state, localDateOf(*zone, at));
}

namespace {

void insertClaims(Connection& c, std::string_view table, std::string_view keyColumn,
                  std::int64_t key, std::int64_t appointmentId, TimePoint from, TimePoint to,
                  bool provider) {
  const std::string sql = "INSERT INTO " + std::string(table) + " (" + std::string(keyColumn) +
                          ", minute_granule, appointment_id) VALUES (?1, ?2, ?3)";
  for (auto g : granules(from, to)) {
    try {
      c.execute(sql, key, g, appointmentId);
    } catch (const store::DbError& e) {
      if (!e.isConstraint()) throw;
      if (provider) throw SlotTaken("slot_taken: the provider is booked at that time");
      throw PatientBusy("patient_busy: the patient has a booking at that time");
    }
  }
}

}  // namespace

void releaseClaimsIn(Connection& c, std::int64_t appointmentId, std::int64_t fromGranule) {
  c.execute("DELETE FROM appointment_claims WHERE appointment_id = ?1 AND minute_granule >= ?2",
            appointmentId, fromGranule);
  c.execute(
      "DELETE FROM appointment_patient_claims WHERE appointment_id = ?1 AND minute_granule >= ?2",
      appointmentId, fromGranule);
}

Appointment bookIn(Connection& c, const Actor& actor, const BookingRequest& r, TimePoint now,
                   const Eligibility& eligibility, const BookingLink& link) {
  const auto type = typeIn(c, r.typeId);
  if (!type || !type->active) throw ValidationError("type_id: not an active appointment type");
  if (!registry::PatientRepository::existsIn(c, r.patientId)) throw NotFound("patient not found");
  const auto settings = settingsIn(c, r.providerUserId);
  if (!settings) throw ValidationError("provider_user_id: the provider takes no bookings");
  if (!security::SqliteCareTeam(c).isAssigned(r.providerUserId, r.patientId))
    throw ValidationError("provider_user_id: not on the patient's care team");
  if (r.startsAt < now) throw ValidationError("starts_at: in the past");
  if (auto why = eligibility.refusalIn(c, r.providerUserId, r.patientId, r.startsAt))
    throw NotEligible(*why);
  const auto zone = core::TimeZone::locate(settings->timeZone);
  const auto day = localDateOf(*zone, r.startsAt);
  const auto candidates =
      candidateSlots(*zone, day, day, templateIn(c, r.providerUserId),
                     exceptionsIn(c, r.providerUserId), *type, r.providerUserId);
  if (std::none_of(candidates.begin(), candidates.end(),
                   [&](const Slot& s) { return s.startsAt == r.startsAt; }))
    throw ValidationError("starts_at: not a slot of this provider and type");
  const auto endsAt = r.startsAt + minutes(type->durationMinutes);
  c.execute(
      "INSERT INTO appointments (provider_user_id, patient_id, type_id, starts_at, ends_at, "
      "booked_by, booked_at, rescheduled_from) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
      r.providerUserId, r.patientId, r.typeId, toMillis(r.startsAt), toMillis(endsAt), actor.id,
      toMillis(now), link.rescheduledFrom);
  const auto id = c.lastInsertRowid();
  insertClaims(c, "appointment_claims", "provider_user_id", r.providerUserId, id, r.startsAt,
               endsAt + minutes(settings->bufferMinutes), true);
  insertClaims(c, "appointment_patient_claims", "patient_id", r.patientId, id, r.startsAt, endsAt,
               false);
  std::optional<std::int64_t> visitId;
  if (type->modality == Modality::video) {
    if (link.visitId) {
      video::VisitService::moveScheduledIn(c, *link.visitId, r.startsAt, endsAt);
      visitId = link.visitId;
    } else {
      visitId = video::VisitService::scheduleIn(
          c, actor, {r.patientId, r.providerUserId, 0, r.startsAt, endsAt}, now);
    }
    c.execute("UPDATE appointments SET visit_id = ?2 WHERE id = ?1", id, *visitId);
  } else if (link.visitId) {
    video::VisitService::cancelScheduledIn(c, *link.visitId);
  }
  return *appointmentIn(c, id);
}

std::int64_t granuleAtOrAfter(TimePoint t) {
  const auto g = duration_cast<milliseconds>(kGranule).count();
  return (toMillis(t) + g - 1) / g;
}

}  // namespace detail

namespace {

/// The patient a stored appointment is about (for authorising), NotFound if none.
std::int64_t patientOf(store::Database& db, std::int64_t appointmentId) {
  auto a = db.read([&](Connection& c) { return detail::appointmentIn(c, appointmentId); });
  if (!a) throw NotFound("appointment not found");
  return a->patientId;
}

crypto::FieldRef noteRef(std::int64_t id) {
  const auto& f = security::encryptedField("appointments", "cancel_note");
  return {std::string(f.table), std::string(f.column), std::to_string(id)};
}

Appointment requireBooked(Connection& c, std::int64_t id) {
  auto a = detail::appointmentIn(c, id);
  if (!a) throw NotFound("appointment not found");
  if (a->state != AppointmentState::booked)
    throw ValidationError("appointment: not booked (" + std::string(toString(a->state)) + ")");
  return *a;
}

}  // namespace

void SchedulingService::Impl::refuseIneligible(const Actor& actor, std::string_view op,
                                               std::int64_t providerUserId, std::int64_t patientId,
                                               TimePoint at) const {
  const detail::Eligibility e{eligibility};
  auto why = db.read([&](Connection& c) { return e.refusalIn(c, providerUserId, patientId, at); });
  if (!why) return;
  try {
    deny(actor, op, patientId, {"provider", std::to_string(providerUserId)}, *why);
  } catch (const AccessDenied&) {
    throw NotEligible(*why);
  }
}

SlotSearch SchedulingService::slots(const Actor& actor, const SlotQuery& q) const {
  auto query = q;
  if (actor.role == Role::patient) query.patientId = actor.patientId.value_or(-1);
  const auto span = (sys_days{query.to} - sys_days{query.from}).count();
  if (!query.from.ok() || !query.to.ok() || span < 0 || span >= kMaxSearchDays)
    throw ValidationError("from/to: dates, at most 92 days");
  const auto now = impl_->clock.now();
  const detail::Eligibility eligibility{impl_->eligibility};
  auto result = impl_->guard().read(
      actor, operation("schedule.slots"), std::nullopt,
      {"appointment_type", std::to_string(query.typeId)}, [&](Connection& c) {
        SlotSearch out;
        const auto type = detail::typeIn(c, query.typeId);
        if (!type || !type->active) throw ValidationError("type_id: not an active type");
        for (auto provider : detail::providersFor(c, query)) {
          auto free =
              detail::freeSlotsIn(c, provider, *type, query.from, query.to, now, query.patientId);
          if (query.patientId && !free.empty()) {
            // Eligibility per date of service (a license may lapse inside the range).
            std::optional<std::string> why;
            std::erase_if(free, [&](const Slot& s) {
              auto r = eligibility.refusalIn(c, provider, *query.patientId, s.startsAt);
              if (r) why = r;
              return r.has_value();
            });
            if (why) out.refused.push_back({provider, *why});
          }
          out.slots.insert(out.slots.end(), free.begin(), free.end());
        }
        std::stable_sort(out.slots.begin(), out.slots.end(),
                         [](const Slot& a, const Slot& b) { return a.startsAt < b.startsAt; });
        return out;
      });
  for (const auto& r : result.refused)
    impl_->audit.record(impl_->db,
                        security::auditEventFor(actor, "schedule.slots", "provider",
                                                std::to_string(r.providerUserId), query.patientId,
                                                security::AuditOutcome::denied, r.reason));
  return result;
}

Appointment SchedulingService::book(const Actor& actor, const BookingRequest& r,
                                    std::string_view breakGlass) {
  const auto now = impl_->clock.now();
  impl_->refuseIneligible(actor, "appointment.book", r.providerUserId, r.patientId, r.startsAt);
  const detail::Eligibility eligibility{impl_->eligibility};
  return impl_->guard().write(
      actor, operation("appointment.book"), r.patientId, {"appointment", ""},
      [&](Connection& c) { return detail::bookIn(c, actor, r, now, eligibility, {}); }, breakGlass);
}

Appointment SchedulingService::reschedule(const Actor& actor, std::int64_t appointmentId,
                                          TimePoint newStartsAt, std::string_view breakGlass) {
  const auto now = impl_->clock.now();
  const auto patientId = patientOf(impl_->db, appointmentId);
  const auto old = get(actor, appointmentId, breakGlass);
  impl_->refuseIneligible(actor, "appointment.reschedule", old.providerUserId, patientId,
                          newStartsAt);
  const detail::Eligibility eligibility{impl_->eligibility};
  return impl_->guard().write(
      actor, operation("appointment.reschedule"), patientId,
      {"appointment", std::to_string(appointmentId)},
      [&](Connection& c) {
        const auto a = requireBooked(c, appointmentId);
        detail::releaseClaimsIn(c, a.id, 0);
        c.execute(
            "UPDATE appointments SET state = 'rescheduled', changed_by = ?2, changed_at = ?3 "
            "WHERE id = ?1",
            a.id, actor.id, toMillis(now));
        auto moved =
            detail::bookIn(c, actor, {a.patientId, a.providerUserId, a.typeId, newStartsAt}, now,
                           eligibility, {a.id, a.visitId});
        impl_->notifyOfferIn(c, detail::offerFreedIn(c, a, now), now);
        return moved;
      },
      breakGlass);
}

void SchedulingService::cancel(const Actor& actor, std::int64_t appointmentId, CancelReason reason,
                               std::string_view note, std::string_view breakGlass) {
  if (note.size() > 500) throw ValidationError("note: at most 500 characters");
  if (reason == CancelReason::other && note.empty())
    throw ValidationError("note: required when the reason is other");
  const auto now = impl_->clock.now();
  const auto patientId = patientOf(impl_->db, appointmentId);
  impl_->guard().write(
      actor, operation("appointment.cancel"), patientId,
      {"appointment", std::to_string(appointmentId)},
      [&](Connection& c) {
        const auto a = requireBooked(c, appointmentId);
        c.execute(
            "UPDATE appointments SET state = 'cancelled', cancel_reason = ?2, changed_by = ?3, "
            "changed_at = ?4 WHERE id = ?1",
            a.id, toString(reason), actor.id, toMillis(now));
        if (!note.empty()) {
          auto enc = impl_->cipher.encrypt(noteRef(a.id), note);
          c.execute("UPDATE appointments SET cancel_note_enc = ?2 WHERE id = ?1", a.id,
                    store::BlobView{enc.data(), enc.size()});
        }
        detail::releaseClaimsIn(c, a.id, 0);
        if (a.visitId) video::VisitService::cancelScheduledIn(c, *a.visitId);
        impl_->notifyOfferIn(c, detail::offerFreedIn(c, a, now), now);
      },
      breakGlass);
}

void SchedulingService::markNoShow(const Actor& actor, std::int64_t appointmentId,
                                   std::string_view breakGlass) {
  const auto now = impl_->clock.now();
  const auto patientId = patientOf(impl_->db, appointmentId);
  impl_->guard().write(
      actor, operation("appointment.no_show"), patientId,
      {"appointment", std::to_string(appointmentId)},
      [&](Connection& c) {
        const auto a = requireBooked(c, appointmentId);
        if (now < a.startsAt) throw ValidationError("appointment: not started yet");
        c.execute(
            "UPDATE appointments SET state = 'no_show', changed_by = ?2, changed_at = ?3 "
            "WHERE id = ?1",
            a.id, actor.id, toMillis(now));
        detail::releaseClaimsIn(c, a.id, detail::granuleAtOrAfter(now));
        if (a.visitId) video::VisitService::cancelScheduledIn(c, *a.visitId);
      },
      breakGlass);
}

Appointment SchedulingService::get(const Actor& actor, std::int64_t appointmentId,
                                   std::string_view breakGlass) const {
  const auto patientId = patientOf(impl_->db, appointmentId);
  return impl_->guard().read(
      actor, operation("appointment.list"), patientId,
      {"appointment", std::to_string(appointmentId)},
      [&](Connection& c) {
        auto a = *detail::appointmentIn(c, appointmentId);
        auto enc = c.queryValue<store::Blob>(
            "SELECT cancel_note_enc FROM appointments WHERE id = ?1 AND "
            "cancel_note_enc IS NOT NULL",
            appointmentId);
        if (enc)
          a.cancelNote =
              impl_->cipher.decryptText(noteRef(a.id), crypto::ByteView(enc->data(), enc->size()));
        return a;
      },
      breakGlass);
}

std::vector<Appointment> SchedulingService::forPatient(const Actor& actor, std::int64_t patientId,
                                                       TimePoint since,
                                                       std::string_view breakGlass) const {
  return impl_->guard().read(
      actor, operation("appointment.list"), patientId, {"appointment", ""},
      [&](Connection& c) {
        return detail::appointmentsIn(c, "patient_id", patientId, toMillis(since),
                                      std::numeric_limits<std::int64_t>::max());
      },
      breakGlass);
}

std::vector<Appointment> SchedulingService::forProvider(const Actor& actor,
                                                        std::int64_t providerUserId, TimePoint from,
                                                        TimePoint to) const {
  if (to <= from || to - from > days(kMaxSearchDays))
    throw ValidationError("from/to: at most 92 days");
  if (actor.role == Role::provider && actor.id != providerUserId)
    impl_->deny(actor, "schedule.provider_list", std::nullopt,
                {"provider", std::to_string(providerUserId)}, "not_own_schedule");
  return impl_->guard().read(actor, operation("schedule.provider_list"), std::nullopt,
                             {"provider", std::to_string(providerUserId)}, [&](Connection& c) {
                               return detail::appointmentsIn(c, "provider_user_id", providerUserId,
                                                             toMillis(from), toMillis(to));
                             });
}

}  // namespace vigil::scheduling
