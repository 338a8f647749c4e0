// Schedule and Slot (issue 26): a provider's free time as FHIR, for an EHR that books through
// the portal's scheduling. No PHI: a Schedule is one per provider (id the provider's user id),
// a Slot one free slot of an appointment type computed by the scheduling library from the
// provider's weekly template, exceptions, buffers and bookings (SchedulingService::freeSlotsIn,
// the same computation the portal's slot search uses, without a patient). Slot ids are
// "<provider>-<type>-<start ms>" so a read recomputes the slot's day and finds it or answers 404.
// Searches are bounded: `Slot?schedule=Schedule/<id>&service-type=<type id>&start=ge…&start=lt…`
// over at most 31 days. Every access is audited as schedule.slots (no patient).

#include <chrono>

#include "server_internal.hpp"
#include "vigil/core/time.hpp"
#include "vigil/fhir/resources.hpp"
#include "vigil/security/account_lookup.hpp"
#include "vigil/store/database.hpp"
#ifdef VIGIL_WITH_SCHEDULING
#include "vigil/scheduling/scheduling.hpp"
#endif

namespace vigil::fhir {

using namespace server;

#ifdef VIGIL_WITH_SCHEDULING
namespace {

using namespace std::chrono;

constexpr int kMaxSlotDays = 31;

/// An active provider or nurse account with this id (a Schedule's actor).
bool isClinicianIn(store::Connection& c, std::int64_t userId) {
  auto account = security::activeAccountIn(c, userId);
  return account &&
         (account->role == security::Role::provider || account->role == security::Role::nurse);
}

year_month_day dayOf(TimePoint t) {
  return year_month_day{floor<days>(t)};
}

std::string slotId(const scheduling::Slot& s) {
  return std::to_string(s.providerUserId) + "-" + std::to_string(s.typeId) + "-" +
         std::to_string(core::toMillis(s.startsAt));
}

}  // namespace

FhirResponse FhirServer::searchSchedules(const FhirCaller& caller, const SearchParams& params,
                                         const std::string& base, bool singleRead) {
  checkParams("Schedule", params, {"_id", "actor"});
  std::vector<std::string> ids = valuesOf(params, "_id");
  for (const auto& v : valuesOf(params, "actor"))
    ids.push_back(referenceId("actor", v, "Practitioner"));
  if (ids.empty()) throw FhirError(400, "invalid", "Schedule search: give _id or actor");
  auto d = require(caller, "Schedule", singleRead ? Interaction::read : Interaction::search,
                   std::nullopt, "Schedule");
  std::vector<Item> items;
  db_.read([&](store::Connection& c) {
    for (const auto& v : ids)
      if (auto id = numericId(v); id && isClinicianIn(c, *id)) {
        auto r = scheduleResource(v, "Practitioner/" + v);
        setMeta(r, std::nullopt);
        items.push_back({"Schedule", v, std::nullopt, r});
      }
    return 0;
  });
  audit(caller, d, singleRead ? "Schedule/" + ids.front() : std::string("Schedule?search"),
        std::nullopt,
        items.empty() && singleRead ? security::AuditOutcome::failure
                                    : security::AuditOutcome::success,
        items.empty() && singleRead ? "not_found" : "");
  return oneOrSearchset(items, singleRead, base, "Schedule", params);
}

FhirResponse FhirServer::searchSlots(const FhirCaller& caller, const SearchParams& params,
                                     const std::string& base) {
  checkParams("Slot", params, {"schedule", "service-type", "start"});
  auto schedules = valuesOf(params, "schedule");
  auto types = valuesOf(params, "service-type");
  if (schedules.size() != 1 || types.size() != 1)
    throw FhirError(400, "invalid",
                    "Slot search: give one schedule (Schedule/<provider>) and one service-type "
                    "(an appointment type id)");
  const auto provider = *numericId(referenceId("schedule", schedules[0], "Schedule"));
  auto typeText = types[0];
  if (auto bar = typeText.find('|'); bar != std::string::npos) {
    if (typeText.substr(0, bar) != kAppointmentTypeSystem)
      throw FhirError(400, "invalid",
                      "service-type: a code of " + std::string(kAppointmentTypeSystem));
    typeText = typeText.substr(bar + 1);
  }
  auto typeId = numericId(typeText);
  if (!typeId) throw FhirError(400, "invalid", "service-type: an appointment type id");
  const auto now = clock_.now();
  std::vector<DateParam> starts;
  std::optional<TimePoint> lo, hi;
  for (const auto& v : valuesOf(params, "start")) {
    starts.push_back(parseDateParam("start", v));
    for (const auto& i : intervalsOf(starts.back(), now)) {
      if (i.from && (!lo || *i.from > *lo)) lo = i.from;
      if (i.to && (!hi || *i.to < *hi)) hi = i.to;
    }
  }
  if (!lo || !hi || *hi <= *lo || *hi - *lo > days(kMaxSlotDays))
    throw FhirError(400, "invalid", "start: give a range of at most 31 days (start=ge…&start=lt…)");
  const auto objectId = "Slot?schedule=Schedule/" + std::to_string(provider);
  auto d = require(caller, "Slot", Interaction::search, std::nullopt, objectId);
  const auto count = std::min(countOf(params), options_.maxCount);
  const auto offset = pageOffset(params);
  std::vector<Item> items;
  db_.read([&](store::Connection& c) {
    auto type = scheduling::SchedulingService::typeIn(c, *typeId);
    if (!type || !isClinicianIn(c, provider)) return 0;
    // Local dates around the instants (zones differ from UTC by less than a day).
    auto free = scheduling::SchedulingService::freeSlotsIn(c, provider, *type, dayOf(*lo - days(1)),
                                                           dayOf(*hi + days(1)), now);
    for (const auto& s : free) {
      bool all = true;
      for (const auto& p : starts) all = all && matches(p, s.startsAt, now);
      if (!all) continue;
      auto r = slotResource(s, *type, slotId(s), "Schedule/" + std::to_string(provider));
      setMeta(r, std::nullopt);
      items.push_back({"Slot", slotId(s), s.startsAt, r});
    }
    return 0;
  });
  audit(caller, d, objectId, std::nullopt, security::AuditOutcome::success);
  FhirResponse r;
  r.body = offsetPage(items, offset, count, base, "Slot", params);
  return r;
}

FhirResponse FhirServer::readSlot(const FhirCaller& caller, std::string_view id,
                                  const std::string& base) {
  // "<provider>-<type>-<start ms>"
  auto first = id.find('-');
  auto second = first == std::string_view::npos ? first : id.find('-', first + 1);
  std::optional<std::int64_t> provider, typeId, startMs;
  if (second != std::string_view::npos) {
    provider = numericId(id.substr(0, first));
    typeId = numericId(id.substr(first + 1, second - first - 1));
    startMs = numericId(id.substr(second + 1));
  }
  const auto objectId = "Slot/" + std::string(id);
  auto d = require(caller, "Slot", Interaction::read, std::nullopt, objectId);
  std::optional<Item> found;
  if (provider && typeId && startMs) {
    const auto at = core::fromMillis(*startMs);
    const auto now = clock_.now();
    db_.read([&](store::Connection& c) {
      auto type = scheduling::SchedulingService::typeIn(c, *typeId);
      if (!type || !isClinicianIn(c, *provider)) return 0;
      for (const auto& s : scheduling::SchedulingService::freeSlotsIn(
               c, *provider, *type, dayOf(at - days(1)), dayOf(at + days(1)), now))
        if (s.startsAt == at) {
          auto r = slotResource(s, *type, std::string(id), "Schedule/" + std::to_string(*provider));
          setMeta(r, std::nullopt);
          found = Item{"Slot", std::string(id), s.startsAt, r};
        }
      return 0;
    });
  }
  audit(caller, d, objectId, std::nullopt,
        found ? security::AuditOutcome::success : security::AuditOutcome::failure,
        found ? "" : "not_found");
  // A slot taken since (or never free) is gone: 404, as a deleted resource would be.
  if (!found) throw FhirError(404, "not-found", "no such free slot");
  FhirResponse r;
  r.body = found->resource;
  r.etag = "W/\"1\"";
  (void)base;
  return r;
}

#else

FhirResponse FhirServer::searchSchedules(const FhirCaller&, const SearchParams&, const std::string&,
                                         bool) {
  throw FhirError(404, "not-supported", "this server does not serve that resource type");
}
FhirResponse FhirServer::searchSlots(const FhirCaller&, const SearchParams&, const std::string&) {
  throw FhirError(404, "not-supported", "this server does not serve that resource type");
}
FhirResponse FhirServer::readSlot(const FhirCaller&, std::string_view, const std::string&) {
  throw FhirError(404, "not-supported", "this server does not serve that resource type");
}

#endif

}  // namespace vigil::fhir
