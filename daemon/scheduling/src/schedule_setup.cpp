// Scheduling set-up: appointment types, providers' settings, weekly templates, exceptions.
#include <limits>

#include "service_impl.hpp"
#include "vigil/core/time.hpp"
#include "vigil/scheduling/reminders.hpp"
#include "vigil/security/account_lookup.hpp"
#include "vigil/store/database.hpp"

namespace vigil::scheduling {

using core::toMillis;
using security::Actor;
using security::operation;
using security::Role;
using store::Connection;
using namespace std::chrono;

SchedulingService::SchedulingService(store::Database& db, security::AuditLog& audit,
                                     const crypto::FieldCipher& cipher, Clock& clock,
                                     std::shared_ptr<const ProviderEligibility> eligibility)
    : impl_(
          std::make_shared<Impl>(Impl{db, audit, cipher, clock, std::move(eligibility), nullptr})) {
}

void SchedulingService::setEligibility(std::shared_ptr<const ProviderEligibility> eligibility) {
  impl_->eligibility = std::move(eligibility);
}

void SchedulingService::setReminders(const ReminderService* reminders) {
  impl_->reminders = reminders;
}

void SchedulingService::Impl::notifyOfferIn(store::Connection& c,
                                            std::optional<std::int64_t> offerId,
                                            TimePoint now) const {
  if (offerId && reminders != nullptr) reminders->notifyOfferIn(c, *offerId, now);
}

void SchedulingService::Impl::deny(const Actor& actor, std::string_view op,
                                   std::optional<std::int64_t> patientId,
                                   const security::AuditObject& object,
                                   std::string_view reason) const {
  auto g = guard();
  g.enforce(security::AccessGuard::pending(actor, operation(op), patientId, object,
                                           {false, false, reason}, {}));
  throw AccessDenied("access denied: " + std::string(op) + " (" + std::string(reason) + ")");
}

void SchedulingService::Impl::requireOwnSchedule(const Actor& actor, std::string_view op,
                                                 std::int64_t providerUserId) const {
  if ((actor.role == Role::provider || actor.role == Role::nurse) && actor.id != providerUserId)
    deny(actor, op, std::nullopt, {"provider", std::to_string(providerUserId)}, "not_own_schedule");
}

namespace {

void requireSchedulable(Connection& c, std::int64_t providerUserId) {
  const auto a = security::activeAccountIn(c, providerUserId);
  if (!a || (a->role != Role::provider && a->role != Role::nurse))
    throw ValidationError("provider_user_id: not an active provider or nurse");
}

void validateType(const AppointmentType& t) {
  if (t.name.empty() || t.name.size() > 80) throw ValidationError("name: 1..80 characters");
  if (t.durationMinutes < 5 || t.durationMinutes > 480 || t.durationMinutes % 5 != 0)
    throw ValidationError("duration_minutes: a multiple of 5 from 5 to 480");
}

void validateBlock(const TemplateBlock& b) {
  if (b.weekday < 1 || b.weekday > 7) throw ValidationError("weekday: 1 (Monday) to 7 (Sunday)");
  if (b.startMinute < 0 || b.endMinute > 1440 || b.endMinute <= b.startMinute ||
      b.startMinute % 5 != 0 || b.endMinute % 5 != 0)
    throw ValidationError("start/end: local times on 5-minute boundaries, end after start");
}

}  // namespace

std::vector<AppointmentType> SchedulingService::types(const Actor& actor, bool activeOnly) const {
  return impl_->guard().read(actor, operation("appointment_type.list"), std::nullopt,
                             {"appointment_type", ""}, [&](Connection& c) {
                               std::vector<AppointmentType> out;
                               auto st =
                                   c.prepare("SELECT id FROM appointment_types ORDER BY name, id");
                               while (st.step()) {
                                 auto t = detail::typeIn(c, st.getInt64(0));
                                 if (t && (t->active || !activeOnly)) out.push_back(*t);
                               }
                               return out;
                             });
}

AppointmentType SchedulingService::saveType(const Actor& actor, const AppointmentType& type) {
  validateType(type);
  const auto now = toMillis(impl_->clock.now());
  auto id = impl_->guard().write(
      actor, operation("appointment_type.save"), std::nullopt,
      {"appointment_type", type.id == 0 ? "" : std::to_string(type.id)}, [&](Connection& c) {
        if (type.id == 0) {
          if (c.queryValue<std::int64_t>("SELECT id FROM appointment_types WHERE name = ?1",
                                         type.name))
            throw ValidationError("name: a type with this name exists");
          c.execute(
              "INSERT INTO appointment_types (name, duration_minutes, modality, visit_kind, "
              "active, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
              type.name, type.durationMinutes, toString(type.modality), toString(type.kind),
              type.active ? 1 : 0, now);
          return c.lastInsertRowid();
        }
        c.execute(
            "UPDATE appointment_types SET name = ?2, duration_minutes = ?3, modality = ?4, "
            "visit_kind = ?5, active = ?6, updated_at = ?7 WHERE id = ?1",
            type.id, type.name, type.durationMinutes, toString(type.modality), toString(type.kind),
            type.active ? 1 : 0, now);
        if (c.changes() != 1) throw NotFound("appointment type not found");
        return type.id;
      });
  auto saved = type;
  saved.id = id;
  return saved;
}

void SchedulingService::saveSettings(const Actor& actor, const ScheduleSettings& s) {
  if (!core::isValidZoneName(s.timeZone)) throw ValidationError("time_zone: not an IANA zone");
  if (s.bufferMinutes < 0 || s.bufferMinutes > 120 || s.bufferMinutes % 5 != 0)
    throw ValidationError("buffer_minutes: a multiple of 5 from 0 to 120");
  impl_->requireOwnSchedule(actor, "schedule.setup", s.providerUserId);
  const auto now = toMillis(impl_->clock.now());
  impl_->guard().write(actor, operation("schedule.setup"), std::nullopt,
                       {"provider", std::to_string(s.providerUserId)}, [&](Connection& c) {
                         requireSchedulable(c, s.providerUserId);
                         c.execute(
                             "INSERT INTO schedule_settings (provider_user_id, time_zone, "
                             "buffer_minutes, updated_by, updated_at) VALUES (?1, ?2, ?3, ?4, ?5) "
                             "ON CONFLICT (provider_user_id) DO UPDATE SET time_zone = ?2, "
                             "buffer_minutes = ?3, updated_by = ?4, updated_at = ?5",
                             s.providerUserId, s.timeZone, s.bufferMinutes, actor.id, now);
                       });
}

std::optional<ScheduleSettings> SchedulingService::settings(const Actor& actor,
                                                            std::int64_t providerUserId) const {
  return impl_->guard().read(actor, operation("schedule.get"), std::nullopt,
                             {"provider", std::to_string(providerUserId)},
                             [&](Connection& c) { return detail::settingsIn(c, providerUserId); });
}

void SchedulingService::setTemplate(const Actor& actor, std::int64_t providerUserId,
                                    const std::vector<TemplateBlock>& blocks) {
  if (blocks.size() > 70) throw ValidationError("blocks: at most 70");
  for (const auto& b : blocks) validateBlock(b);
  impl_->requireOwnSchedule(actor, "schedule.setup", providerUserId);
  impl_->guard().write(
      actor, operation("schedule.setup"), std::nullopt,
      {"provider", std::to_string(providerUserId)}, [&](Connection& c) {
        requireSchedulable(c, providerUserId);
        c.execute(
            "DELETE FROM schedule_template_types WHERE template_id IN (SELECT id FROM "
            "schedule_templates WHERE provider_user_id = ?1)",
            providerUserId);
        c.execute("DELETE FROM schedule_templates WHERE provider_user_id = ?1", providerUserId);
        for (const auto& b : blocks) {
          c.execute(
              "INSERT INTO schedule_templates (provider_user_id, weekday, start_minute, "
              "end_minute) VALUES (?1, ?2, ?3, ?4)",
              providerUserId, b.weekday, b.startMinute, b.endMinute);
          const auto id = c.lastInsertRowid();
          for (auto t : b.typeIds) {
            if (!detail::typeIn(c, t)) throw ValidationError("type_ids: unknown type");
            c.execute(
                "INSERT INTO schedule_template_types (template_id, type_id) "
                "VALUES (?1, ?2) ON CONFLICT DO NOTHING",
                id, t);
          }
        }
      });
}

std::vector<TemplateBlock> SchedulingService::templateOf(const Actor& actor,
                                                         std::int64_t providerUserId) const {
  return impl_->guard().read(actor, operation("schedule.get"), std::nullopt,
                             {"provider", std::to_string(providerUserId)},
                             [&](Connection& c) { return detail::templateIn(c, providerUserId); });
}

std::int64_t SchedulingService::addException(const Actor& actor, const ScheduleException& e) {
  if (e.endsLocal <= e.startsLocal) throw ValidationError("ends: must be after starts");
  if (e.endsLocal - e.startsLocal > days(366)) throw ValidationError("ends: at most a year");
  impl_->requireOwnSchedule(actor, "schedule.setup", e.providerUserId);
  const auto now = toMillis(impl_->clock.now());
  return impl_->guard().write(
      actor, operation("schedule.setup"), std::nullopt,
      {"provider", std::to_string(e.providerUserId)}, [&](Connection& c) {
        requireSchedulable(c, e.providerUserId);
        c.execute(
            "INSERT INTO schedule_exceptions (provider_user_id, starts_local_min, "
            "ends_local_min, kind, created_by, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            e.providerUserId,
            static_cast<std::int64_t>(
                duration_cast<minutes>(e.startsLocal.time_since_epoch()).count()),
            static_cast<std::int64_t>(
                duration_cast<minutes>(e.endsLocal.time_since_epoch()).count()),
            toString(e.kind), actor.id, now);
        return c.lastInsertRowid();
      });
}

void SchedulingService::removeException(const Actor& actor, std::int64_t providerUserId,
                                        std::int64_t exceptionId) {
  impl_->requireOwnSchedule(actor, "schedule.setup", providerUserId);
  impl_->guard().write(actor, operation("schedule.setup"), std::nullopt,
                       {"schedule_exception", std::to_string(exceptionId)}, [&](Connection& c) {
                         c.execute(
                             "DELETE FROM schedule_exceptions WHERE id = ?1 AND "
                             "provider_user_id = ?2",
                             exceptionId, providerUserId);
                         if (c.changes() != 1) throw NotFound("exception not found");
                       });
}

std::vector<ScheduleException> SchedulingService::exceptions(const Actor& actor,
                                                             std::int64_t providerUserId) const {
  return impl_->guard().read(
      actor, operation("schedule.get"), std::nullopt, {"provider", std::to_string(providerUserId)},
      [&](Connection& c) { return detail::exceptionsIn(c, providerUserId); });
}

std::string SchedulingService::zoneOfIn(Connection& c, std::int64_t providerUserId) {
  auto s = detail::settingsIn(c, providerUserId);
  return s ? s->timeZone : "UTC";
}

std::vector<Appointment> SchedulingService::forPatientIn(Connection& c, std::int64_t patientId) {
  return detail::appointmentsIn(c, "patient_id", patientId,
                                std::numeric_limits<std::int64_t>::min(),
                                std::numeric_limits<std::int64_t>::max());
}

std::optional<AppointmentType> SchedulingService::typeIn(Connection& c, std::int64_t typeId) {
  return detail::typeIn(c, typeId);
}

std::vector<Slot> SchedulingService::freeSlotsIn(Connection& c, std::int64_t providerUserId,
                                                 const AppointmentType& type,
                                                 std::chrono::year_month_day from,
                                                 std::chrono::year_month_day to,
                                                 TimePoint notBefore) {
  if (!type.active) return {};
  return detail::freeSlotsIn(c, providerUserId, type, from, to, notBefore, std::nullopt);
}

}  // namespace vigil::scheduling
