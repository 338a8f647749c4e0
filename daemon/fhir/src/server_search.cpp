// The FHIR API's searches (issue 26): Observation over the readings table (keyset pages,
// Bundle.total, _include of the Patient and the Device), Patient by id or MRN, Practitioner by
// id, and the record compartment's types (filtered and paged in memory: a patient has tens of
// visits, notes and consents, not thousands).

#include <Poco/JSON/Array.h>

#include <algorithm>
#include <set>

#include "server_internal.hpp"
#include "vigil/fhir/record_export.hpp"
#include "vigil/fhir/resources.hpp"
#include "vigil/licensing/licenses.hpp"
#include "vigil/readings/reading_query.hpp"
#include "vigil/registry/registry.hpp"
#include "vigil/security/accounts.hpp"
#include "vigil/store/database.hpp"

namespace vigil::fhir {
namespace {

using namespace server;

/// The patient a compartment search is about: `patient` or `subject` (Patient/<id>), required.
std::int64_t patientParam(std::string_view type, const SearchParams& params) {
  std::optional<std::string> id;
  for (const auto& [k, v] : params) {
    if (k != "patient" && k != "subject") continue;
    auto one = referenceId(k, v, "Patient");
    if (id && *id != one) throw FhirError(400, "invalid", "patient: give one patient");
    id = one;
  }
  if (!id)
    throw FhirError(400, "invalid",
                    std::string(type) + " search: the patient parameter is required");
  return *numericId(*id);
}

/// LOINC codes of `code` values ("8867-4", "http://loinc.org|8867-4", comma-separated = OR);
/// codes of another system match nothing.
std::vector<std::string> loincCodes(const SearchParams& params, bool& any) {
  std::vector<std::string> codes;
  any = true;
  for (const auto& value : valuesOf(params, "code")) {
    any = false;
    std::size_t i = 0;
    while (i <= value.size()) {
      auto j = value.find(',', i);
      if (j == std::string::npos) j = value.size();
      std::string token = value.substr(i, j - i);
      auto bar = token.find('|');
      if (bar == std::string::npos) {
        codes.push_back(token);
      } else if (token.substr(0, bar) == kLoincSystem || bar == 0) {
        codes.push_back(token.substr(bar + 1));
      }
      i = j + 1;
    }
  }
  return codes;
}

std::string deviceRef(const readings::ReceivedReading& r) {
  return r.deviceId ? "Device/" + std::to_string(*r.deviceId) : std::string();
}

}  // namespace

FhirResponse FhirServer::search(const FhirCaller& caller, std::string_view type,
                                const SearchParams& params, const std::string& base) {
  auto known = resourceTypes();
  if (std::find(known.begin(), known.end(), type) == known.end())
    throw FhirError(404, "not-supported", "this server does not serve that resource type");
  if (caller.client && !caller.client->allows(type, Interaction::search))
    require(caller, type, Interaction::search, std::nullopt, std::string(type));
  if (type == "Observation") return searchObservations(caller, params, base);
  if (type == "Patient") return searchPatients(caller, params, base);
  if (type == "Practitioner") return searchPractitioners(caller, params, base, false);
  if (type == "Schedule") return searchSchedules(caller, params, base, false);
  if (type == "Slot") return searchSlots(caller, params, base);
  return searchCompartment(caller, type, params, base);
}

FhirResponse FhirServer::searchObservations(const FhirCaller& caller, const SearchParams& params,
                                            const std::string& base) {
  checkParams("Observation", params, {"patient", "subject", "code", "date", "_include"});
  readings::ObservationSearch q;
  q.patientId = patientParam("Observation", params);
  bool anyCode = true;
  q.codes = loincCodes(params, anyCode);
  const auto now = clock_.now();
  for (const auto& v : valuesOf(params, "date"))
    q.dateClauses.push_back(intervalsOf(parseDateParam("date", v), now));
  q.newestFirst = newestFirstOf(params);
  const auto count = std::min(countOf(params), options_.maxCount);
  q.limit = count + 1;
  if (auto page = valuesOf(params, "_page"); !page.empty()) {
    q.after = parseKeysetToken(page.back());
    if (!q.after) throw FhirError(400, "invalid", "_page: not a page of this search");
  }
  bool includePatient = false, includeDevice = false;
  for (const auto& v : valuesOf(params, "_include")) {
    if (v == "Observation:patient" || v == "Observation:subject")
      includePatient = true;
    else if (v == "Observation:device")
      includeDevice = true;
    else
      throw FhirError(400, "not-supported", "_include: Observation:patient or Observation:device");
  }
  const auto objectId = std::string("Observation?patient=") + std::to_string(q.patientId);
  auto d = require(caller, "Observation", Interaction::search, q.patientId, objectId);
  if (includePatient) {
    auto p = decide(caller, "Patient", Interaction::read, q.patientId);
    if (!p.allowed) require(caller, "Patient", Interaction::read, q.patientId, objectId);
  }
  const bool nothing = !anyCode && q.codes.empty();  // only codes of other systems
  struct Found {
    bool exists = false;
    std::vector<readings::ReceivedReading> rows;
    std::int64_t total = 0;
    std::vector<Item> included;
  };
  auto found = db_.read([&](store::Connection& c) {
    Found f;
    f.exists = registry::PatientRepository::existsIn(c, q.patientId);
    if (!f.exists || nothing) return f;
    if (count > 0) f.rows = readings::ReadingQuery::observationsIn(c, q);
    f.total = readings::ReadingQuery::countObservationsIn(c, q);
    if (includePatient)
      if (auto p = readOneIn(c, "Patient", std::to_string(q.patientId), viewOf(caller), base))
        f.included.push_back(std::move(*p));
    if (includeDevice) {
      std::set<std::int64_t> devices;
      for (std::size_t i = 0; i < f.rows.size() && i < count; ++i)
        if (f.rows[i].deviceId) devices.insert(*f.rows[i].deviceId);
      for (auto id : devices)
        if (auto item = readOneIn(c, "Device", std::to_string(id), viewOf(caller), base))
          f.included.push_back(std::move(*item));
    }
    return f;
  });
  if (!found.exists) {
    audit(caller, d, objectId, std::nullopt, security::AuditOutcome::failure, "not_found");
    throw FhirError(404, "not-found", "no such patient");
  }
  audit(caller, d, objectId, q.patientId, security::AuditOutcome::success);
  std::vector<Item> items;
  std::string next;
  const auto ref = patientRef(q.patientId);
  for (std::size_t i = 0; i < found.rows.size() && i < count; ++i) {
    const auto& row = found.rows[i];
    auto r = observationResource(row, std::to_string(row.readingId), ref, deviceRef(row));
    setMeta(r, row.receivedAt);
    items.push_back(
        {"Observation", std::to_string(row.readingId), readings::effectiveTime(row), r});
  }
  if (found.rows.size() > count && count > 0) {
    const auto& last = found.rows[count - 1];
    next = searchUrl(base, "Observation", params,
                     keysetToken(readings::effectiveTime(last), last.readingId));
  }
  auto pageToken = valuesOf(params, "_page");
  auto bundle = searchset(
      items, base,
      searchUrl(base, "Observation", params, pageToken.empty() ? std::string() : pageToken.back()),
      next, found.total);
  auto entries = bundle->getArray("entry");
  for (const auto& inc : found.included) {
    Poco::JSON::Object::Ptr e = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    e->set("fullUrl", base + "/" + inc.type + "/" + inc.id);
    e->set("resource", inc.resource);
    Poco::JSON::Object::Ptr mode = new Poco::JSON::Object();
    mode->set("mode", std::string("include"));
    e->set("search", mode);
    entries->add(e);
  }
  FhirResponse r;
  r.body = bundle;
  return r;
}

FhirResponse FhirServer::searchPatients(const FhirCaller& caller, const SearchParams& params,
                                        const std::string& base) {
  checkParams("Patient", params, {"_id", "identifier"});
  auto ids = valuesOf(params, "_id");
  auto identifiers = valuesOf(params, "identifier");
  if (ids.empty() && identifiers.empty()) {
    if (!caller.user)
      throw FhirError(400, "invalid", "Patient search: give _id or identifier (the MRN)");
    ids.push_back(std::to_string(caller.user->patientId.value_or(0)));  // the patient's own
  }
  std::set<std::int64_t> found;
  bool first = true;
  auto narrow = [&](const std::set<std::int64_t>& these) {
    if (first) {
      found = these;
      first = false;
      return;
    }
    std::set<std::int64_t> both;
    std::set_intersection(found.begin(), found.end(), these.begin(), these.end(),
                          std::inserter(both, both.begin()));
    found = std::move(both);
  };
  db_.read([&](store::Connection& c) {
    for (const auto& v : ids) {
      std::set<std::int64_t> one;
      if (auto id = numericId(v); id && registry::PatientRepository::existsIn(c, *id))
        one.insert(*id);
      narrow(one);
    }
    for (const auto& v : identifiers) {
      std::set<std::int64_t> one;
      auto bar = v.find('|');
      std::string system = bar == std::string::npos ? std::string() : v.substr(0, bar);
      std::string value = bar == std::string::npos ? v : v.substr(bar + 1);
      if ((system.empty() || system == kMrnSystem) && !value.empty())
        if (auto id = patients_.findByMrnIn(c, value)) one.insert(*id);
      narrow(one);
    }
    return 0;
  });
  // A patient in the portal finds only themself; nothing about others, not even that they exist.
  if (caller.user) {
    const auto own = caller.user->patientId.value_or(0);
    found.erase(found.begin(), found.lower_bound(own));
    found.erase(found.upper_bound(own), found.end());
  }
  auto d = require(caller, "Patient", Interaction::search,
                   found.size() == 1 ? std::optional(*found.begin()) : std::nullopt, "Patient");
  std::vector<Item> items;
  db_.read([&](store::Connection& c) {
    for (auto id : found)
      if (auto item = readOneIn(c, "Patient", std::to_string(id), viewOf(caller), base))
        items.push_back(std::move(*item));
    return 0;
  });
  // One entry per patient returned (who was looked up is on record, like the portal's search).
  if (items.empty())
    audit(caller, d, "Patient?search", std::nullopt, security::AuditOutcome::success);
  for (const auto& item : items)
    audit(caller, d, "Patient/" + item.id, numericId(item.id), security::AuditOutcome::success);
  FhirResponse r;
  r.body = searchset(items, base, searchUrl(base, "Patient", params), "",
                     static_cast<std::int64_t>(items.size()));
  return r;
}

FhirResponse FhirServer::searchPractitioners(const FhirCaller& caller, const SearchParams& params,
                                             const std::string& base, bool singleRead) {
  checkParams("Practitioner", params, {"_id"});
  auto ids = valuesOf(params, "_id");
  if (ids.empty()) throw FhirError(400, "invalid", "Practitioner search: give _id");
  auto d = require(caller, "Practitioner", singleRead ? Interaction::read : Interaction::search,
                   std::nullopt, "Practitioner");
  std::vector<Item> items;
  db_.read([&](store::Connection& c) {
    for (const auto& v : ids) {
      auto id = numericId(v);
      if (!id) continue;
      auto user = security::AccountService::findUserIn(c, cipher_, *id);
      if (!user || (user->role != security::Role::provider && user->role != security::Role::nurse))
        continue;
      auto npi = licensing::LicenseService::npiIn(c, *id);
      auto r = practitionerResource(*user, npi.value_or(""), v);
      setMeta(r, std::nullopt);
      items.push_back({"Practitioner", v, std::nullopt, r});
    }
    return 0;
  });
  audit(caller, d, "Practitioner", std::nullopt, security::AuditOutcome::success);
  return oneOrSearchset(items, singleRead, base, "Practitioner", params);
}

FhirResponse FhirServer::searchCompartment(const FhirCaller& caller, std::string_view type,
                                           const SearchParams& params, const std::string& base) {
  // The date each type's `date` compares (Item::date): MedicationRequest calls it authoredon
  // (R4's name), Flag and Appointment date (period start, start).
  const bool dated = type == "Encounter" || type == "Consent" || type == "DocumentReference" ||
                     type == "Device" || type == "Flag" || type == "Appointment";
  const std::string_view dateName = type == "MedicationRequest" ? "authoredon" : "date";
  if (dated || type == "MedicationRequest")
    checkParams(type, params, {"patient", "subject", dateName});
  else
    checkParams(type, params, {"patient", "subject"});
  const auto patientId = patientParam(type, params);
  std::vector<DateParam> dates;
  for (const auto& v : valuesOf(params, std::string(dateName)))
    dates.push_back(parseDateParam(std::string(dateName), v));
  const bool newestFirst = newestFirstOf(params);
  const auto count = std::min(countOf(params), options_.maxCount);
  const auto offset = pageOffset(params);
  const auto objectId = std::string(type) + "?patient=" + std::to_string(patientId);
  auto d = require(caller, type, Interaction::search, patientId, objectId);
  auto items = db_.read([&](store::Connection& c) -> std::optional<std::vector<Item>> {
    if (!registry::PatientRepository::existsIn(c, patientId)) return std::nullopt;
    return compartmentIn(c, type, patientId, viewOf(caller), base);
  });
  if (!items) {
    audit(caller, d, objectId, std::nullopt, security::AuditOutcome::failure, "not_found");
    throw FhirError(404, "not-found", "no such patient");
  }
  audit(caller, d, objectId, patientId, security::AuditOutcome::success);
  const auto now = clock_.now();
  std::erase_if(*items, [&](const Item& item) {
    for (const auto& p : dates)
      if (!item.date || !matches(p, *item.date, now)) return true;
    return false;
  });
  std::stable_sort(items->begin(), items->end(), [&](const Item& a, const Item& b) {
    if (a.date && b.date && *a.date != *b.date)
      return newestFirst ? *a.date > *b.date : *a.date < *b.date;
    return a.date.has_value() && !b.date.has_value();  // undated last
  });
  FhirResponse r;
  r.body = offsetPage(*items, offset, count, base, type, params);
  return r;
}

}  // namespace vigil::fhir
