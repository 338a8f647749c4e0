// The scheduling tables read (names of enums, the shared store reads, free slots).
#include <algorithm>
#include <cstdio>

#include "service_impl.hpp"
#include "slots.hpp"
#include "vigil/core/time.hpp"
#include "vigil/store/database.hpp"

namespace vigil::scheduling {

using core::fromMillis;
using core::toMillis;
using store::Connection;
using namespace std::chrono;

namespace {

template <class E, std::size_t N>
std::optional<E> parseOf(std::string_view s, const E (&all)[N]) {
  for (E e : all)
    if (toString(e) == s) return e;
  return std::nullopt;
}

}  // namespace

std::string_view toString(Modality m) {
  return m == Modality::video ? "video" : "in_person";
}
std::string_view toString(VisitKind k) {
  return k == VisitKind::newPatient ? "new" : "follow_up";
}
std::string_view toString(ExceptionKind k) {
  switch (k) {
    case ExceptionKind::leave:
      return "leave";
    case ExceptionKind::holiday:
      return "holiday";
    case ExceptionKind::other:
      return "other";
  }
  return "other";
}
std::string_view toString(AppointmentState s) {
  switch (s) {
    case AppointmentState::booked:
      return "booked";
    case AppointmentState::cancelled:
      return "cancelled";
    case AppointmentState::rescheduled:
      return "rescheduled";
    case AppointmentState::noShow:
      return "no_show";
    case AppointmentState::completed:
      return "completed";
  }
  return "booked";
}
std::string_view toString(CancelReason r) {
  switch (r) {
    case CancelReason::patientRequest:
      return "patient_request";
    case CancelReason::providerUnavailable:
      return "provider_unavailable";
    case CancelReason::clinicClosed:
      return "clinic_closed";
    case CancelReason::other:
      return "other";
  }
  return "other";
}
std::optional<Modality> parseModality(std::string_view s) {
  constexpr Modality all[] = {Modality::video, Modality::inPerson};
  return parseOf(s, all);
}
std::optional<VisitKind> parseVisitKind(std::string_view s) {
  constexpr VisitKind all[] = {VisitKind::newPatient, VisitKind::followUp};
  return parseOf(s, all);
}
std::optional<ExceptionKind> parseExceptionKind(std::string_view s) {
  constexpr ExceptionKind all[] = {ExceptionKind::leave, ExceptionKind::holiday,
                                   ExceptionKind::other};
  return parseOf(s, all);
}
std::optional<AppointmentState> parseAppointmentState(std::string_view s) {
  constexpr AppointmentState all[] = {AppointmentState::booked, AppointmentState::cancelled,
                                      AppointmentState::rescheduled, AppointmentState::noShow,
                                      AppointmentState::completed};
  return parseOf(s, all);
}
std::optional<CancelReason> parseCancelReason(std::string_view s) {
  constexpr CancelReason all[] = {CancelReason::patientRequest, CancelReason::providerUnavailable,
                                  CancelReason::clinicClosed, CancelReason::other};
  return parseOf(s, all);
}

std::string formatInZone(TimePoint t, std::string_view zoneName) {
  const auto zone = core::TimeZone::locate(zoneName);
  const auto instant =
      floor<seconds>(sys_time<milliseconds>(duration_cast<milliseconds>(t.time_since_epoch())));
  const auto local = zone->toLocal(instant);
  const auto day = floor<days>(local);
  const year_month_day ymd{day};
  const hh_mm_ss time{local - day};
  const auto offset = zone->offsetAt(instant).count();
  const auto abs = offset < 0 ? -offset : offset;
  char out[40];
  std::snprintf(out, sizeof out, "%04d-%02u-%02uT%02d:%02d:%02d%c%02d:%02d",
                static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()), static_cast<int>(time.hours().count()),
                static_cast<int>(time.minutes().count()), static_cast<int>(time.seconds().count()),
                offset < 0 ? '-' : '+', static_cast<int>(abs / 3600),
                static_cast<int>(abs % 3600 / 60));
  return out;
}

namespace detail {

std::optional<AppointmentType> typeIn(Connection& c, std::int64_t id) {
  auto st = c.prepare(
      "SELECT id, name, duration_minutes, modality, visit_kind, active FROM appointment_types "
      "WHERE id = ?1");
  st.bind(1, id);
  if (!st.step()) return std::nullopt;
  AppointmentType t;
  t.id = st.getInt64(0);
  t.name = st.getText(1);
  t.durationMinutes = static_cast<int>(st.getInt64(2));
  t.modality = parseModality(st.getText(3)).value_or(Modality::video);
  t.kind = parseVisitKind(st.getText(4)).value_or(VisitKind::followUp);
  t.active = st.getInt64(5) != 0;
  return t;
}

std::optional<ScheduleSettings> settingsIn(Connection& c, std::int64_t providerUserId) {
  auto st = c.prepare(
      "SELECT time_zone, buffer_minutes FROM schedule_settings WHERE provider_user_id = ?1");
  st.bind(1, providerUserId);
  if (!st.step()) return std::nullopt;
  return ScheduleSettings{providerUserId, st.getText(0), static_cast<int>(st.getInt64(1))};
}

std::vector<TemplateBlock> templateIn(Connection& c, std::int64_t providerUserId) {
  std::vector<TemplateBlock> out;
  auto st = c.prepare(
      "SELECT id, weekday, start_minute, end_minute FROM schedule_templates "
      "WHERE provider_user_id = ?1 ORDER BY weekday, start_minute, id");
  st.bind(1, providerUserId);
  while (st.step())
    out.push_back({st.getInt64(0),
                   providerUserId,
                   static_cast<int>(st.getInt64(1)),
                   static_cast<int>(st.getInt64(2)),
                   static_cast<int>(st.getInt64(3)),
                   {}});
  auto types = c.prepare(
      "SELECT type_id FROM schedule_template_types WHERE template_id = ?1 ORDER BY type_id");
  for (auto& b : out) {
    types.reset();
    types.bind(1, b.id);
    while (types.step()) b.typeIds.push_back(types.getInt64(0));
  }
  return out;
}

std::vector<ScheduleException> exceptionsIn(Connection& c, std::int64_t providerUserId) {
  std::vector<ScheduleException> out;
  auto st = c.prepare(
      "SELECT id, starts_local_min, ends_local_min, kind FROM schedule_exceptions "
      "WHERE provider_user_id = ?1 ORDER BY starts_local_min, id");
  st.bind(1, providerUserId);
  while (st.step())
    out.push_back({st.getInt64(0), providerUserId, local_seconds(minutes(st.getInt64(1))),
                   local_seconds(minutes(st.getInt64(2))),
                   parseExceptionKind(st.getText(3)).value_or(ExceptionKind::other)});
  return out;
}

namespace {

std::int64_t granuleOf(TimePoint t) {
  return toMillis(t) / duration_cast<milliseconds>(kGranule).count();
}

std::set<std::int64_t> held(Connection& c, std::string_view sql, std::int64_t key, TimePoint from,
                            TimePoint to) {
  std::set<std::int64_t> out;
  auto st = c.prepare(sql);
  st.bind(1, key);
  st.bind(2, granuleOf(from));
  st.bind(3, granuleOf(to) + 1);
  while (st.step()) out.insert(st.getInt64(0));
  return out;
}

}  // namespace

std::set<std::int64_t> heldIn(Connection& c, std::int64_t providerUserId, TimePoint from,
                              TimePoint to) {
  return held(c,
              "SELECT minute_granule FROM appointment_claims WHERE provider_user_id = ?1 AND "
              "minute_granule >= ?2 AND minute_granule < ?3",
              providerUserId, from, to);
}

std::set<std::int64_t> patientHeldIn(Connection& c, std::int64_t patientId, TimePoint from,
                                     TimePoint to) {
  return held(c,
              "SELECT minute_granule FROM appointment_patient_claims WHERE patient_id = ?1 AND "
              "minute_granule >= ?2 AND minute_granule < ?3",
              patientId, from, to);
}

namespace {

constexpr std::string_view kAppointmentColumns =
    "SELECT id, provider_user_id, patient_id, type_id, starts_at, ends_at, state, "
    "cancel_reason, booked_by, visit_id, rescheduled_from FROM appointments ";

Appointment readAppointment(store::Statement& st) {
  Appointment a;
  a.id = st.getInt64(0);
  a.providerUserId = st.getInt64(1);
  a.patientId = st.getInt64(2);
  a.typeId = st.getInt64(3);
  a.startsAt = fromMillis(st.getInt64(4));
  a.endsAt = fromMillis(st.getInt64(5));
  a.state = parseAppointmentState(st.getText(6)).value_or(AppointmentState::booked);
  if (!st.isNull(7)) a.cancelReason = parseCancelReason(st.getText(7));
  a.bookedBy = st.getInt64(8);
  a.visitId = st.get<std::optional<std::int64_t>>(9);
  a.rescheduledFrom = st.get<std::optional<std::int64_t>>(10);
  return a;
}

}  // namespace

std::optional<Appointment> appointmentIn(Connection& c, std::int64_t id) {
  auto st = c.prepare(std::string(kAppointmentColumns) + "WHERE id = ?1");
  st.bind(1, id);
  if (!st.step()) return std::nullopt;
  return readAppointment(st);
}

std::vector<Appointment> appointmentsIn(Connection& c, std::string_view where, std::int64_t key,
                                        std::int64_t from, std::int64_t to) {
  // `where` is one of our own column names (patient_id, provider_user_id), never input.
  auto st = c.prepare(std::string(kAppointmentColumns) + "WHERE " + std::string(where) +
                      " = ?1 AND starts_at >= ?2 AND starts_at < ?3 ORDER BY starts_at, id");
  st.bind(1, key);
  st.bind(2, from);
  st.bind(3, to);
  std::vector<Appointment> out;
  while (st.step()) out.push_back(readAppointment(st));
  return out;
}

std::shared_ptr<const core::TimeZone> zoneIn(Connection& c, std::int64_t providerUserId) {
  auto s = settingsIn(c, providerUserId);
  return s ? core::TimeZone::locate(s->timeZone) : core::TimeZone::utc();
}

std::vector<Slot> freeSlotsIn(Connection& c, std::int64_t providerUserId,
                              const AppointmentType& type, year_month_day from, year_month_day to,
                              TimePoint notBefore, std::optional<std::int64_t> patientId) {
  const auto settings = settingsIn(c, providerUserId);
  if (!settings) return {};
  const auto zone = core::TimeZone::locate(settings->timeZone);
  auto candidates = candidateSlots(*zone, from, to, templateIn(c, providerUserId),
                                   exceptionsIn(c, providerUserId), type, providerUserId);
  if (candidates.empty()) return {};
  const auto buffer = minutes(settings->bufferMinutes);
  const auto first = candidates.front().startsAt;
  const auto last = candidates.back().endsAt + buffer;
  const auto providerHeld = heldIn(c, providerUserId, first, last);
  std::set<std::int64_t> mine;
  if (patientId) mine = patientHeldIn(c, *patientId, first, last);
  std::vector<Slot> out;
  for (const auto& s : candidates) {
    if (s.startsAt < notBefore) continue;
    if (!isFree(providerHeld, s.startsAt, s.endsAt + buffer)) continue;
    if (patientId && !isFree(mine, s.startsAt, s.endsAt)) continue;
    out.push_back(s);
  }
  return out;
}

}  // namespace detail
}  // namespace vigil::scheduling
