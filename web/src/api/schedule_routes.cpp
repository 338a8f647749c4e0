// Scheduling (issue 22, docs/scheduling.md): appointment types, providers' schedules (zone,
// buffer, weekly template, exceptions), free slots, booking, reschedule, cancel, no-show, the
// waitlist and its offers, a provider's day or week, a patient's appointments. The gate checks
// each route's operation (on the patient in the path, or the role when the patient comes from
// the appointment) and audits the request; scheduling::SchedulingService authorises again on
// the patient it finds and audits in the transaction of what it reads or writes, as the RPM
// routes do. Times go out as UTC instants (startsAt) and as wall-clock time with its offset in
// the viewer's zone (startsLocal: the patient's own zone for a patient, else the provider's).
// Built with video (a video booking creates its visit).

#include <cstdio>
#include <map>

#include "common.hpp"
#include "vigil/core/error.hpp"
#include "vigil/registry/registry.hpp"
#include "vigil/scheduling/scheduling.hpp"
#include "vigil/security/accounts.hpp"
#include "vigil/store/database.hpp"

namespace vigil::web::api {
namespace {

using namespace std::chrono;
using scheduling::Appointment;
using scheduling::SchedulingService;
using scheduling::Slot;
using security::Role;

std::string breakGlass(const Request& req) {
  return req.header("x-break-glass-reason").substr(0, 200);
}

/// api::guarded plus scheduling's own refusals: the provider's time is taken, the patient is
/// busy (409), the provider is not eligible (403 not_eligible with the reason).
Handler scheduleGuarded(Handler h) {
  return guarded([h = std::move(h)](Request& req) -> Response {
    try {
      return h(req);
    } catch (const scheduling::SlotTaken&) {
      return Response::error(409, "slot_taken", "this time is no longer free");
    } catch (const scheduling::PatientBusy&) {
      return Response::error(409, "patient_busy", "the patient has a booking at that time");
    } catch (const scheduling::NotEligible& e) {
      return Response::error(403, "not_eligible", e.what());
    }
  });
}

year_month_day parseDay(const std::string& text, const char* field) {
  int y = 0;
  unsigned m = 0, d = 0;
  char tail = 0;
  if (text.size() != 10 || std::sscanf(text.c_str(), "%4d-%2u-%2u%c", &y, &m, &d, &tail) != 3)
    throw BadRequest(std::string(field) + ": a date YYYY-MM-DD");
  year_month_day day{year{y}, month{m}, std::chrono::day{d}};
  if (!day.ok()) throw BadRequest(std::string(field) + ": not a calendar date");
  return day;
}

TimePoint requireTime(const JsonObject& o, const std::string& key) {
  auto t = parseTime(requireString(o, key, 64));
  if (!t) throw BadRequest(key + ": an RFC 3339 time");
  return *t;
}

std::string providerName(const ApiServices& s, std::int64_t id) {
  auto u = s.accounts->findUser(id);
  return u ? u->displayName : std::string();
}

std::string zoneOfProvider(const ApiServices& s, std::int64_t providerUserId) {
  return s.db->read(
      [&](store::Connection& c) { return SchedulingService::zoneOfIn(c, providerUserId); });
}

std::string zoneOfPatient(const ApiServices& s, std::int64_t patientId) {
  auto where = s.db->read(
      [&](store::Connection& c) { return registry::PatientRepository::locationIn(c, patientId); });
  return where ? where->timeZone : "UTC";
}

/// The names of the types, by id (one read per answer).
std::map<std::int64_t, scheduling::AppointmentType> typesById(const ApiServices& s,
                                                              const security::Actor& actor) {
  std::map<std::int64_t, scheduling::AppointmentType> out;
  for (auto& t : s.scheduling->types(actor, false)) out[t.id] = t;
  return out;
}

JsonObject typeJson(const scheduling::AppointmentType& t) {
  auto o = object();
  o->set("id", t.id);
  o->set("name", t.name);
  o->set("durationMinutes", t.durationMinutes);
  o->set("modality", std::string(toString(t.modality)));
  o->set("kind", std::string(toString(t.kind)));
  o->set("active", t.active);
  return o;
}

JsonObject appointmentJson(const ApiServices& s, const Appointment& a, const std::string& zone,
                           const std::map<std::int64_t, scheduling::AppointmentType>& types) {
  auto o = object();
  o->set("id", a.id);
  o->set("providerUserId", a.providerUserId);
  o->set("providerName", providerName(s, a.providerUserId));
  o->set("patientId", a.patientId);
  o->set("typeId", a.typeId);
  if (auto t = types.find(a.typeId); t != types.end()) {
    o->set("typeName", t->second.name);
    o->set("modality", std::string(toString(t->second.modality)));
  }
  o->set("startsAt", iso(a.startsAt));
  o->set("endsAt", iso(a.endsAt));
  o->set("zone", zone);
  o->set("startsLocal", scheduling::formatInZone(a.startsAt, zone));
  o->set("endsLocal", scheduling::formatInZone(a.endsAt, zone));
  o->set("state", std::string(toString(a.state)));
  o->set("cancelReason", a.cancelReason ? Poco::Dynamic::Var(std::string(toString(*a.cancelReason)))
                                        : Poco::Dynamic::Var());
  if (a.cancelNote) o->set("cancelNote", *a.cancelNote);
  o->set("visitId", a.visitId ? Poco::Dynamic::Var(*a.visitId) : Poco::Dynamic::Var());
  o->set("rescheduledFrom",
         a.rescheduledFrom ? Poco::Dynamic::Var(*a.rescheduledFrom) : Poco::Dynamic::Var());
  return o;
}

/// The zone an appointment is shown in: the patient's for a patient, else the provider's.
std::string viewerZone(const ApiServices& s, const security::Actor& actor, const Appointment& a) {
  return actor.role == Role::patient ? zoneOfPatient(s, a.patientId)
                                     : zoneOfProvider(s, a.providerUserId);
}

Response appointmentResponse(const ApiServices& s, const Request& req, const Appointment& a,
                             int status) {
  return jsonResponse(
      status, appointmentJson(s, a, viewerZone(s, *req.actor, a), typesById(s, *req.actor)));
}

scheduling::AppointmentType typeFrom(const JsonObject& o, std::int64_t id) {
  scheduling::AppointmentType t;
  t.id = id;
  t.name = requireString(o, "name", 80);
  t.durationMinutes = static_cast<int>(requireInt(o, "durationMinutes"));
  auto modality = scheduling::parseModality(requireString(o, "modality", 20));
  auto kind = scheduling::parseVisitKind(requireString(o, "kind", 20));
  if (!modality) throw BadRequest("modality: video or in_person");
  if (!kind) throw BadRequest("kind: new or follow_up");
  t.modality = *modality;
  t.kind = *kind;
  t.active = !o->has("active") || o->getValue<bool>("active");
  return t;
}

void addTypeRoutes(Router& r, const ApiServices& s) {
  r.add({"GET", "/api/v1/appointment-types", Access::authenticated, "appointment_type.list",
         guarded([&s](Request& req) {
           const bool all = req.query["all"] == "1" && req.actor->role == Role::admin;
           auto items = array();
           for (const auto& t : s.scheduling->types(*req.actor, !all)) items->add(typeJson(t));
           auto o = object();
           o->set("items", items);
           return jsonResponse(200, o);
         })});
  r.add({"POST", "/api/v1/appointment-types", Access::authenticated, "appointment_type.save",
         guarded([&s](Request& req) {
           auto t = s.scheduling->saveType(*req.actor, typeFrom(parseBody(req), 0));
           return jsonResponse(201, typeJson(t));
         })});
  r.add({"PUT", "/api/v1/appointment-types/{id}", Access::authenticated, "appointment_type.save",
         guarded([&s](Request& req) {
           auto t = s.scheduling->saveType(*req.actor, typeFrom(parseBody(req), pathId(req, "id")));
           return jsonResponse(200, typeJson(t));
         })});
}

JsonObject scheduleJson(const ApiServices& s, const security::Actor& actor, std::int64_t id) {
  auto o = object();
  auto settings = s.scheduling->settings(actor, id);
  o->set("providerUserId", id);
  o->set("providerName", providerName(s, id));
  o->set("timeZone", settings ? settings->timeZone : std::string("UTC"));
  o->set("bufferMinutes", settings ? settings->bufferMinutes : 0);
  o->set("takesBookings", settings.has_value());
  auto blocks = array();
  for (const auto& b : s.scheduling->templateOf(actor, id)) {
    auto j = object();
    j->set("weekday", b.weekday);
    j->set("startMinute", b.startMinute);
    j->set("endMinute", b.endMinute);
    auto types = array();
    for (auto t : b.typeIds) types->add(t);
    j->set("typeIds", types);
    blocks->add(j);
  }
  o->set("blocks", blocks);
  auto exceptions = array();
  for (const auto& e : s.scheduling->exceptions(actor, id)) {
    auto j = object();
    j->set("id", e.id);
    j->set("startsLocalMinute",
           static_cast<std::int64_t>(
               duration_cast<minutes>(e.startsLocal.time_since_epoch()).count()));
    j->set("endsLocalMinute", static_cast<std::int64_t>(
                                  duration_cast<minutes>(e.endsLocal.time_since_epoch()).count()));
    j->set("kind", std::string(toString(e.kind)));
    exceptions->add(j);
  }
  o->set("exceptions", exceptions);
  return o;
}

std::vector<scheduling::TemplateBlock> blocksFrom(const JsonObject& o, std::int64_t provider) {
  std::vector<scheduling::TemplateBlock> out;
  auto list = o->getArray("blocks");
  if (!list) throw BadRequest("blocks: an array");
  for (std::size_t i = 0; i < list->size(); ++i) {
    auto b = list->getObject(static_cast<unsigned>(i));
    if (!b) throw BadRequest("blocks: objects");
    scheduling::TemplateBlock block{0,
                                    provider,
                                    static_cast<int>(requireInt(b, "weekday")),
                                    static_cast<int>(requireInt(b, "startMinute")),
                                    static_cast<int>(requireInt(b, "endMinute")),
                                    {}};
    if (auto types = b->getArray("typeIds"))
      for (std::size_t t = 0; t < types->size(); ++t)
        block.typeIds.push_back(types->getElement<std::int64_t>(static_cast<unsigned>(t)));
    out.push_back(block);
  }
  return out;
}

/// A local time "YYYY-MM-DDTHH:MM" (or a date, its 00:00) as local_seconds.
local_seconds parseLocal(const std::string& text, const char* field) {
  const auto day = parseDay(text.substr(0, 10), field);
  unsigned h = 0, m = 0;
  if (text.size() == 10) return local_days{day};
  char tail = 0;
  if (text.size() != 16 || text[10] != 'T' ||
      std::sscanf(text.c_str() + 11, "%2u:%2u%c", &h, &m, &tail) != 2 || h > 23 || m > 59)
    throw BadRequest(std::string(field) + ": YYYY-MM-DD or YYYY-MM-DDTHH:MM");
  return local_days{day} + hours(h) + minutes(m);
}

void addProviderScheduleRoutes(Router& r, const ApiServices& s) {
  r.add({"GET", "/api/v1/schedule/providers", Access::authenticated, "schedule.slots",
         guarded([&s](Request& req) {
           // The providers one may book: a patient's care team, else everyone with a schedule.
           auto items = array();
           for (const auto& p : s.scheduling->bookableProviders(*req.actor)) {
             auto o = object();
             o->set("userId", p.providerUserId);
             o->set("displayName", providerName(s, p.providerUserId));
             o->set("timeZone", p.timeZone);
             o->set("bufferMinutes", p.bufferMinutes);
             items->add(o);
           }
           auto o = object();
           o->set("items", items);
           return jsonResponse(200, o);
         })});
  r.add({"GET", "/api/v1/providers/{id}/schedule", Access::authenticated, "schedule.get",
         guarded([&s](Request& req) {
           return jsonResponse(200, scheduleJson(s, *req.actor, pathId(req, "id")));
         })});
  r.add({"PUT", "/api/v1/providers/{id}/schedule", Access::authenticated, "schedule.setup",
         guarded([&s](Request& req) {
           const auto id = pathId(req, "id");
           auto body = parseBody(req);
           s.scheduling->saveSettings(
               *req.actor, {id, requireString(body, "timeZone", 64),
                            static_cast<int>(optionalInt(body, "bufferMinutes").value_or(0))});
           if (body->has("blocks")) s.scheduling->setTemplate(*req.actor, id, blocksFrom(body, id));
           return jsonResponse(200, scheduleJson(s, *req.actor, id));
         })});
  r.add({"POST", "/api/v1/providers/{id}/schedule/exceptions", Access::authenticated,
         "schedule.setup", guarded([&s](Request& req) {
           const auto id = pathId(req, "id");
           auto body = parseBody(req);
           auto kind = scheduling::parseExceptionKind(requireString(body, "kind", 20));
           if (!kind) throw BadRequest("kind: leave, holiday or other");
           auto starts = parseLocal(requireString(body, "starts", 16), "starts");
           auto endsText = requireString(body, "ends", 16);
           auto ends = parseLocal(endsText, "ends");
           if (endsText.size() == 10) ends += days(1);  // a date range includes its last day
           auto exceptionId = s.scheduling->addException(*req.actor, {0, id, starts, ends, *kind});
           auto o = object();
           o->set("id", exceptionId);
           return jsonResponse(201, o);
         })});
  r.add({"DELETE", "/api/v1/providers/{id}/schedule/exceptions/{exceptionId}",
         Access::authenticated, "schedule.setup", guarded([&s](Request& req) {
           s.scheduling->removeException(*req.actor, pathId(req, "id"), pathId(req, "exceptionId"));
           return noContent();
         })});
  r.add({"GET", "/api/v1/providers/{id}/appointments", Access::authenticated,
         "schedule.provider_list", guarded([&s](Request& req) {
           const auto id = pathId(req, "id");
           auto from = parseTime(req.query["from"]);
           auto to = parseTime(req.query["to"]);
           if (!from || !to) throw BadRequest("from, to: RFC 3339 times");
           auto list = s.scheduling->forProvider(*req.actor, id, *from, *to);
           std::vector<std::int64_t> patients;
           for (const auto& a : list) patients.push_back(a.patientId);
           auto names = s.patients->displayNames(patients);  // names only, nothing else
           const auto zone = zoneOfProvider(s, id);
           const auto types = typesById(s, *req.actor);
           auto items = array();
           for (const auto& a : list) {
             auto o = appointmentJson(s, a, zone, types);
             o->set("patientName", names[a.patientId]);
             items->add(o);
           }
           auto o = object();
           o->set("providerUserId", id);
           o->set("zone", zone);
           o->set("items", items);
           return jsonResponse(200, o);
         })});
}

void addSlotRoutes(Router& r, const ApiServices& s) {
  r.add({"GET", "/api/v1/slots", Access::authenticated, "schedule.slots",
         scheduleGuarded([&s](Request& req) {
           scheduling::SlotQuery q;
           q.typeId = queryInt(req, "type", 0, 1, INT64_MAX);
           if (!req.query["provider"].empty())
             q.providerUserId = queryInt(req, "provider", 0, 1, INT64_MAX);
           q.from = parseDay(req.query["from"], "from");
           q.to = parseDay(req.query["to"], "to");
           // Staff searching for a patient (their care team, licensing, their zone): the
           // patient is authorised and audited as a read of their appointments.
           if (!req.query["patient"].empty() && req.actor->role != Role::patient) {
             q.patientId = queryInt(req, "patient", 0, 1, INT64_MAX);
             authorizePatient(s, req, "appointment.list", *q.patientId, "patient",
                              std::to_string(*q.patientId));
           }
           if (req.actor->role == Role::patient) q.patientId = req.actor->patientId;
           auto found = s.scheduling->slots(*req.actor, q);
           const auto patientZone = q.patientId
                                        ? std::optional<std::string>(zoneOfPatient(s, *q.patientId))
                                        : std::nullopt;
           std::map<std::int64_t, std::pair<std::string, std::string>> providers;
           auto items = array();
           for (const auto& slot : found.slots) {
             auto& p = providers[slot.providerUserId];
             if (p.first.empty())
               p = {providerName(s, slot.providerUserId), zoneOfProvider(s, slot.providerUserId)};
             const auto& zone = patientZone ? *patientZone : p.second;
             auto o = object();
             o->set("providerUserId", slot.providerUserId);
             o->set("providerName", p.first);
             o->set("typeId", slot.typeId);
             o->set("startsAt", iso(slot.startsAt));
             o->set("endsAt", iso(slot.endsAt));
             o->set("startsLocal", scheduling::formatInZone(slot.startsAt, zone));
             o->set("endsLocal", scheduling::formatInZone(slot.endsAt, zone));
             o->set("zone", zone);
             items->add(o);
           }
           auto refused = array();
           for (const auto& x : found.refused) {
             auto o = object();
             o->set("providerUserId", x.providerUserId);
             o->set("providerName", providerName(s, x.providerUserId));
             o->set("reason", x.reason);
             refused->add(o);
           }
           auto o = object();
           o->set("items", items);
           o->set("refused", refused);
           o->set("zone", patientZone ? Poco::Dynamic::Var(*patientZone) : Poco::Dynamic::Var());
           return jsonResponse(200, o);
         })});
}

void addBookingRoutes(Router& r, const ApiServices& s) {
  r.add({"POST", "/api/v1/patients/{id}/appointments", Access::authenticated, "appointment.book",
         scheduleGuarded([&s](Request& req) {
           auto body = parseBody(req);
           auto a = s.scheduling->book(*req.actor,
                                       {pathId(req, "id"), requireInt(body, "providerUserId"),
                                        requireInt(body, "typeId"), requireTime(body, "startsAt")},
                                       breakGlass(req));
           return appointmentResponse(s, req, a, 201);
         }),
         "", "id"});
  r.add({"GET", "/api/v1/patients/{id}/appointments", Access::authenticated, "appointment.list",
         scheduleGuarded([&s](Request& req) {
           const auto id = pathId(req, "id");
           auto since = req.query["since"].empty() ? std::optional<TimePoint>(TimePoint{})
                                                   : parseTime(req.query["since"]);
           if (!since) throw BadRequest("since: an RFC 3339 time");
           auto list = s.scheduling->forPatient(*req.actor, id, *since, breakGlass(req));
           const auto types = typesById(s, *req.actor);
           const auto zone = zoneOfPatient(s, id);
           auto items = array();
           for (const auto& a : list) items->add(appointmentJson(s, a, zone, types));
           auto o = object();
           o->set("patientId", id);
           o->set("zone", zone);
           o->set("items", items);
           return jsonResponse(200, o);
         }),
         "", "id"});
  r.add({"POST", "/api/v1/appointments/{id}/reschedule", Access::authenticated,
         "appointment.reschedule", scheduleGuarded([&s](Request& req) {
           auto body = parseBody(req);
           auto a = s.scheduling->reschedule(*req.actor, pathId(req, "id"),
                                             requireTime(body, "startsAt"), breakGlass(req));
           return appointmentResponse(s, req, a, 200);
         })});
  r.add({"POST", "/api/v1/appointments/{id}/cancel", Access::authenticated, "appointment.cancel",
         scheduleGuarded([&s](Request& req) {
           auto body = parseBody(req);
           auto reason = scheduling::parseCancelReason(requireString(body, "reason", 40));
           if (!reason)
             throw BadRequest(
                 "reason: patient_request, provider_unavailable, clinic_closed or other");
           const auto id = pathId(req, "id");
           s.scheduling->cancel(*req.actor, id, *reason, optionalString(body, "note", 500),
                                breakGlass(req));
           return appointmentResponse(s, req, s.scheduling->get(*req.actor, id, breakGlass(req)),
                                      200);
         })});
  r.add({"POST", "/api/v1/appointments/{id}/no-show", Access::authenticated, "appointment.no_show",
         scheduleGuarded([&s](Request& req) {
           const auto id = pathId(req, "id");
           s.scheduling->markNoShow(*req.actor, id, breakGlass(req));
           return appointmentResponse(s, req, s.scheduling->get(*req.actor, id, breakGlass(req)),
                                      200);
         })});
}

JsonObject offerJson(const ApiServices& s, const scheduling::WaitlistOffer& offer,
                     const std::string& zone) {
  auto o = object();
  o->set("id", offer.id);
  o->set("providerUserId", offer.providerUserId);
  o->set("providerName", providerName(s, offer.providerUserId));
  o->set("typeId", offer.typeId);
  o->set("startsAt", iso(offer.startsAt));
  o->set("endsAt", iso(offer.endsAt));
  o->set("startsLocal", scheduling::formatInZone(offer.startsAt, zone));
  o->set("expiresAt", iso(offer.expiresAt));
  return o;
}

void addWaitlistRoutes(Router& r, const ApiServices& s) {
  r.add({"POST", "/api/v1/patients/{id}/waitlist", Access::authenticated, "waitlist.join",
         scheduleGuarded([&s](Request& req) {
           auto body = parseBody(req);
           scheduling::WaitlistRequest w;
           w.patientId = pathId(req, "id");
           w.providerUserId = optionalInt(body, "providerUserId");
           w.typeId = requireInt(body, "typeId");
           w.earliestAt = requireTime(body, "earliestAt");
           w.latestAt = requireTime(body, "latestAt");
           auto entry = s.scheduling->joinWaitlist(*req.actor, w, breakGlass(req));
           auto o = object();
           o->set("id", entry);
           return jsonResponse(201, o);
         }),
         "", "id"});
  r.add({"GET", "/api/v1/patients/{id}/waitlist-offers", Access::authenticated, "appointment.list",
         scheduleGuarded([&s](Request& req) {
           const auto id = pathId(req, "id");
           const auto zone = zoneOfPatient(s, id);
           auto items = array();
           for (const auto& offer : s.scheduling->offers(*req.actor, id, breakGlass(req)))
             items->add(offerJson(s, offer, zone));
           auto o = object();
           o->set("items", items);
           return jsonResponse(200, o);
         }),
         "", "id"});
  r.add({"POST", "/api/v1/waitlist-offers/{id}/accept", Access::authenticated, "appointment.book",
         scheduleGuarded([&s](Request& req) {
           auto a = s.scheduling->acceptOffer(*req.actor, pathId(req, "id"), breakGlass(req));
           return appointmentResponse(s, req, a, 201);
         })});
}

}  // namespace

void addScheduleRoutes(Router& r, const ApiServices& s) {
  addTypeRoutes(r, s);
  addProviderScheduleRoutes(r, s);
  addSlotRoutes(r, s);
  addBookingRoutes(r, s);
  addWaitlistRoutes(r, s);
}

}  // namespace vigil::web::api
