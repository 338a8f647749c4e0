#include "vigil/patients/record_json.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

#include <algorithm>
#include <initializer_list>
#include <sstream>

#include "vigil/core/error.hpp"
#include "vigil/core/time.hpp"

namespace vigil::patients {
namespace {

using Obj = Poco::JSON::Object::Ptr;
using Arr = Poco::JSON::Array::Ptr;
using Var = Poco::Dynamic::Var;

Obj object() {
  return new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
}

// ---------------------------------------------------------------- reading

[[noreturn]] void bad(const std::string& path, const std::string& what) {
  throw ValidationError(path + ": " + what);
}

void onlyKeys(const Obj& o, const std::string& path, std::initializer_list<const char*> keys) {
  for (const auto& member : *o) {
    const std::string& key = member.first;
    if (std::none_of(keys.begin(), keys.end(), [&](const char* k) { return key == k; }))
      bad(path.empty() ? key : path + "." + key, "unknown field");
  }
}

std::string at(const std::string& path, const char* key) {
  return path.empty() ? std::string(key) : path + "." + key;
}

std::string text(const Obj& o, const std::string& path, const char* key) {
  if (!o->has(key)) return {};
  const Var& v = o->get(key);
  if (v.isEmpty()) return {};
  if (!v.isString()) bad(at(path, key), "must be a string");
  return v.convert<std::string>();
}

Obj child(const Obj& o, const std::string& path, const char* key) {
  if (!o->has(key) || o->get(key).isEmpty()) return nullptr;
  const Var& v = o->get(key);
  if (v.type() != typeid(Obj)) bad(at(path, key), "must be an object");
  return v.extract<Obj>();
}

Arr list(const Obj& o, const char* key) {
  const Var& v = o->get(key);
  if (v.isEmpty()) return new Poco::JSON::Array();
  if (v.type() != typeid(Arr)) bad(key, "must be an array");
  auto a = v.extract<Arr>();
  if (a->size() > kMaxRecordEntries) bad(key, "at most 200 entries");
  return a;
}

Obj entry(const Arr& a, std::size_t i, const std::string& path) {
  const Var v = a->get(static_cast<unsigned>(i));
  if (v.type() != typeid(Obj)) bad(path, "must be an object");
  return v.extract<Obj>();
}

std::int64_t entryId(const Obj& o, const std::string& path) {
  if (!o->has("id") || o->get("id").isEmpty()) return 0;
  const Var& v = o->get("id");
  if (!v.isInteger()) bad(at(path, "id"), "must be an integer");
  auto id = v.convert<std::int64_t>();
  if (id < 0) bad(at(path, "id"), "must not be negative");
  return id;
}

template <class E>
E choice(const Obj& o, const std::string& path, const char* key,
         std::initializer_list<std::pair<const char*, E>> options, E fallback,
         const char* expected) {
  auto value = text(o, path, key);
  if (value.empty()) return fallback;
  for (const auto& [name, e] : options)
    if (value == name) return e;
  bad(at(path, key), std::string("must be ") + expected);
}

EntrySource sourceOf(const Obj& o, const std::string& path) {
  return choice<EntrySource>(
      o, path, "source", {{"patient", EntrySource::patient}, {"clinician", EntrySource::clinician}},
      EntrySource::clinician, "patient or clinician");
}

Address addressFrom(const Obj& o, const std::string& path) {
  Address a;
  if (!o) return a;
  onlyKeys(o, path, {"line1", "line2", "city", "region", "postalCode", "country"});
  a.line1 = text(o, path, "line1");
  a.line2 = text(o, path, "line2");
  a.city = text(o, path, "city");
  a.region = text(o, path, "region");
  a.postalCode = text(o, path, "postalCode");
  a.country = text(o, path, "country");
  return a;
}

Demographics demographicsFrom(const Obj& o) {
  const std::string p = "demographics";
  onlyKeys(o, p, {"givenName", "familyName", "birthDate", "timeZone", "state"});
  Demographics d;
  d.givenName = text(o, p, "givenName");
  d.familyName = text(o, p, "familyName");
  d.birthDate = text(o, p, "birthDate");
  d.timeZone = text(o, p, "timeZone");
  if (d.timeZone.empty()) d.timeZone = "UTC";
  d.state = text(o, p, "state");
  return d;
}

Contact contactFrom(const Obj& o) {
  const std::string p = "contact";
  onlyKeys(o, p, {"email", "phone", "address"});
  Contact c;
  c.email = text(o, p, "email");
  c.phone = text(o, p, "phone");
  c.address = addressFrom(child(o, p, "address"), "contact.address");
  return c;
}

EmergencyContact emergencyFrom(const Obj& o) {
  const std::string p = "emergencyContact";
  onlyKeys(o, p, {"name", "relationship", "phone"});
  return {text(o, p, "name"), text(o, p, "relationship"), text(o, p, "phone")};
}

std::optional<Insurance> insuranceFrom(const Obj& o, const std::string& p) {
  if (!o) return std::nullopt;
  onlyKeys(o, p,
           {"payer", "plan", "memberId", "groupNumber", "subscriberName", "subscriberBirthDate",
            "relationship"});
  Insurance i;
  i.payer = text(o, p, "payer");
  i.plan = text(o, p, "plan");
  i.memberId = text(o, p, "memberId");
  i.groupNumber = text(o, p, "groupNumber");
  i.subscriberName = text(o, p, "subscriberName");
  i.subscriberBirthDate = text(o, p, "subscriberBirthDate");
  using R = SubscriberRelationship;
  i.relationship = choice<R>(
      o, p, "relationship",
      {{"self", R::self}, {"spouse", R::spouse}, {"child", R::child}, {"other", R::other}}, R::self,
      "self, spouse, child or other");
  return i;
}

InsuranceCoverage coverageFrom(const Obj& o) {
  onlyKeys(o, "insurance", {"primary", "secondary"});
  return {insuranceFrom(child(o, "insurance", "primary"), "insurance.primary"),
          insuranceFrom(child(o, "insurance", "secondary"), "insurance.secondary")};
}

Pharmacy pharmacyFrom(const Obj& o) {
  const std::string p = "pharmacy";
  onlyKeys(o, p, {"name", "ncpdpId", "phone", "address"});
  Pharmacy ph;
  ph.name = text(o, p, "name");
  ph.ncpdpId = text(o, p, "ncpdpId");
  ph.phone = text(o, p, "phone");
  ph.address = addressFrom(child(o, p, "address"), "pharmacy.address");
  return ph;
}

std::vector<Problem> problemsFrom(const Arr& a) {
  std::vector<Problem> out;
  for (std::size_t i = 0; i < a->size(); ++i) {
    const auto p = "problems[" + std::to_string(i) + "]";
    auto o = entry(a, i, p);
    onlyKeys(o, p, {"id", "code", "description", "status", "onsetDate", "source"});
    Problem x;
    x.id = entryId(o, p);
    x.code = text(o, p, "code");
    x.description = text(o, p, "description");
    x.status = choice<ProblemStatus>(
        o, p, "status", {{"active", ProblemStatus::active}, {"resolved", ProblemStatus::resolved}},
        ProblemStatus::active, "active or resolved");
    x.onsetDate = text(o, p, "onsetDate");
    x.source = sourceOf(o, p);
    out.push_back(std::move(x));
  }
  return out;
}

std::vector<Medication> medicationsFrom(const Arr& a) {
  std::vector<Medication> out;
  for (std::size_t i = 0; i < a->size(); ++i) {
    const auto p = "medications[" + std::to_string(i) + "]";
    auto o = entry(a, i, p);
    onlyKeys(o, p, {"id", "rxcui", "name", "instructions", "status", "source"});
    Medication x;
    x.id = entryId(o, p);
    x.rxcui = text(o, p, "rxcui");
    x.name = text(o, p, "name");
    x.instructions = text(o, p, "instructions");
    x.status = choice<MedicationStatus>(
        o, p, "status",
        {{"active", MedicationStatus::active}, {"stopped", MedicationStatus::stopped}},
        MedicationStatus::active, "active or stopped");
    x.source = sourceOf(o, p);
    out.push_back(std::move(x));
  }
  return out;
}

std::vector<Allergy> allergiesFrom(const Arr& a) {
  std::vector<Allergy> out;
  for (std::size_t i = 0; i < a->size(); ++i) {
    const auto p = "allergies[" + std::to_string(i) + "]";
    auto o = entry(a, i, p);
    onlyKeys(o, p, {"id", "substance", "reaction", "severity", "source"});
    Allergy x;
    x.id = entryId(o, p);
    x.substance = text(o, p, "substance");
    x.reaction = text(o, p, "reaction");
    using S = AllergySeverity;
    x.severity = choice<S>(o, p, "severity",
                           {{"mild", S::mild},
                            {"moderate", S::moderate},
                            {"severe", S::severe},
                            {"unknown", S::unknown}},
                           S::unknown, "mild, moderate, severe or unknown");
    x.source = sourceOf(o, p);
    out.push_back(std::move(x));
  }
  return out;
}

// ---------------------------------------------------------------- writing

const char* name(ProblemStatus s) {
  return s == ProblemStatus::active ? "active" : "resolved";
}
const char* name(MedicationStatus s) {
  return s == MedicationStatus::active ? "active" : "stopped";
}
const char* name(AllergySeverity s) {
  switch (s) {
    case AllergySeverity::mild:
      return "mild";
    case AllergySeverity::moderate:
      return "moderate";
    case AllergySeverity::severe:
      return "severe";
    case AllergySeverity::unknown:
      return "unknown";
  }
  return "unknown";
}

Obj addressJson(const Address& a) {
  auto o = object();
  o->set("line1", a.line1);
  o->set("line2", a.line2);
  o->set("city", a.city);
  o->set("region", a.region);
  o->set("postalCode", a.postalCode);
  o->set("country", a.country);
  return o;
}

Var insuranceJson(const std::optional<Insurance>& i) {
  if (!i) return Var();
  auto o = object();
  o->set("payer", i->payer);
  o->set("plan", i->plan);
  o->set("memberId", i->memberId);
  o->set("groupNumber", i->groupNumber);
  o->set("subscriberName", i->subscriberName);
  o->set("subscriberBirthDate", i->subscriberBirthDate);
  o->set("relationship", std::string(toString(i->relationship)));
  return o;
}

void setAdministrative(Obj o, const PatientRecord& r) {
  auto d = object();
  d->set("givenName", r.demographics.givenName);
  d->set("familyName", r.demographics.familyName);
  d->set("birthDate", r.demographics.birthDate);
  d->set("timeZone", r.demographics.timeZone);
  d->set("state", r.demographics.state);
  o->set("demographics", d);
  auto c = object();
  c->set("email", r.contact.email);
  c->set("phone", r.contact.phone);
  c->set("address", addressJson(r.contact.address));
  o->set("contact", c);
  o->set("language", r.language);
  auto e = object();
  e->set("name", r.emergencyContact.name);
  e->set("relationship", r.emergencyContact.relationship);
  e->set("phone", r.emergencyContact.phone);
  o->set("emergencyContact", e);
  auto ins = object();
  ins->set("primary", insuranceJson(r.insurance.primary));
  ins->set("secondary", insuranceJson(r.insurance.secondary));
  o->set("insurance", ins);
  auto ph = object();
  ph->set("name", r.pharmacy.name);
  ph->set("ncpdpId", r.pharmacy.ncpdpId);
  ph->set("phone", r.pharmacy.phone);
  ph->set("address", addressJson(r.pharmacy.address));
  o->set("pharmacy", ph);
}

void setClinical(Obj o, const PatientRecord& r) {
  Arr problems = new Poco::JSON::Array();
  for (const auto& x : r.problems) {
    auto e = object();
    e->set("id", x.id);
    e->set("code", x.code);
    e->set("description", x.description);
    e->set("status", std::string(name(x.status)));
    e->set("onsetDate", x.onsetDate);
    e->set("source", std::string(toString(x.source)));
    problems->add(e);
  }
  Arr meds = new Poco::JSON::Array();
  for (const auto& x : r.medications) {
    auto e = object();
    e->set("id", x.id);
    e->set("rxcui", x.rxcui);
    e->set("name", x.name);
    e->set("instructions", x.instructions);
    e->set("status", std::string(name(x.status)));
    e->set("source", std::string(toString(x.source)));
    meds->add(e);
  }
  Arr allergies = new Poco::JSON::Array();
  for (const auto& x : r.allergies) {
    auto e = object();
    e->set("id", x.id);
    e->set("substance", x.substance);
    e->set("reaction", x.reaction);
    e->set("severity", std::string(name(x.severity)));
    e->set("source", std::string(toString(x.source)));
    allergies->add(e);
  }
  o->set("problems", problems);
  o->set("medications", meds);
  o->set("allergies", allergies);
}

std::string stringify(const Obj& o) {
  std::ostringstream out;
  Poco::JSON::Stringifier::stringify(o, out);
  return out.str();
}

Obj parseDocument(std::string_view json) {
  try {
    Poco::JSON::Parser parser;
    auto v = parser.parse(std::string(json));
    if (v.type() != typeid(Obj)) throw StoreError("patient record: a stored document is damaged");
    return v.extract<Obj>();
  } catch (const Poco::Exception&) {
    throw StoreError("patient record: a stored document is damaged");
  }
}

}  // namespace

Obj recordToJson(const PatientRecord& record) {
  auto o = object();
  o->set("patientId", record.patientId);
  o->set("version", record.version);
  o->set("updatedAt", record.updatedAt
                          ? Var(core::formatUtc(*record.updatedAt, core::Fraction::millis))
                          : Var());
  o->set("updatedBy", record.updatedBy ? Var(*record.updatedBy) : Var());
  setAdministrative(o, record);
  o->set("clinicalIncluded", record.clinicalIncluded);
  if (record.clinicalIncluded) setClinical(o, record);
  return o;
}

RecordUpdate recordUpdateFromJson(const Obj& body) {
  onlyKeys(body, "",
           {"baseVersion", "demographics", "contact", "language", "emergencyContact", "insurance",
            "pharmacy", "problems", "medications", "allergies"});
  RecordUpdate u;
  if (body->has("baseVersion") && !body->get("baseVersion").isEmpty()) {
    const Var& v = body->get("baseVersion");
    if (!v.isInteger()) bad("baseVersion", "must be an integer");
    auto n = v.convert<std::int64_t>();
    if (n < 0 || n > 1'000'000'000) bad("baseVersion", "out of range");
    u.baseVersion = static_cast<int>(n);
  }
  auto section = [&](const char* key) { return child(body, "", key); };
  if (auto o = section("demographics")) u.demographics = demographicsFrom(o);
  if (auto o = section("contact")) u.contact = contactFrom(o);
  if (body->has("language")) u.language = text(body, "", "language");
  if (auto o = section("emergencyContact")) u.emergencyContact = emergencyFrom(o);
  if (auto o = section("insurance")) u.insurance = coverageFrom(o);
  if (auto o = section("pharmacy")) u.pharmacy = pharmacyFrom(o);
  if (body->has("problems")) u.problems = problemsFrom(list(body, "problems"));
  if (body->has("medications")) u.medications = medicationsFrom(list(body, "medications"));
  if (body->has("allergies")) u.allergies = allergiesFrom(list(body, "allergies"));
  return u;
}

std::string administrativeDocument(const PatientRecord& record) {
  auto o = object();
  setAdministrative(o, record);
  return stringify(o);
}

std::string clinicalDocument(const PatientRecord& record) {
  auto o = object();
  o->set("nextEntryId", record.nextEntryId);
  setClinical(o, record);
  return stringify(o);
}

void readAdministrativeDocument(std::string_view json, PatientRecord& into) {
  auto o = parseDocument(json);
  if (auto d = child(o, "", "demographics")) into.demographics = demographicsFrom(d);
  if (auto c = child(o, "", "contact")) into.contact = contactFrom(c);
  into.language = text(o, "", "language");
  if (auto e = child(o, "", "emergencyContact")) into.emergencyContact = emergencyFrom(e);
  if (auto i = child(o, "", "insurance")) into.insurance = coverageFrom(i);
  if (auto p = child(o, "", "pharmacy")) into.pharmacy = pharmacyFrom(p);
}

void readClinicalDocument(std::string_view json, PatientRecord& into) {
  auto o = parseDocument(json);
  if (o->has("nextEntryId")) into.nextEntryId = o->getValue<std::int64_t>("nextEntryId");
  into.problems = problemsFrom(list(o, "problems"));
  into.medications = medicationsFrom(list(o, "medications"));
  into.allergies = allergiesFrom(list(o, "allergies"));
}

}  // namespace vigil::patients
