// The demo patients' intake (issue 21): contact details, language, emergency contact,
// insurance, pharmacy, and their history (problems with real ICD-10-CM codes, medications with
// real RxNorm RXCUIs where the seed names an exact product, free text otherwise, allergies),
// written through patients::PatientRecordService as the clinic would: the demo admin (front
// desk) enters the administrative sections, Dr. Lee (care team) the history, and Rosa Alvarez
// reports her own allergy in the portal. People, addresses, phone numbers (555-01xx), member ids
// and pharmacies are fictional.

#include "demo_records.hpp"

#include "vigil/core/clock.hpp"
#include "vigil/patients/patient_record.hpp"
#include "vigil/registry/registry.hpp"
#include "vigil/security/accounts.hpp"
#include "vigil/security/keys.hpp"

namespace vigil::demo {
namespace {

using patients::AllergySeverity;
using patients::Insurance;
using patients::MedicationStatus;
using patients::ProblemStatus;
using patients::SubscriberRelationship;

struct DemoIntake {
  const char* mrn;
  const char* email;
  const char* phone;
  const char* street;
  const char* city;
  const char* region;
  const char* postalCode;
  const char* language;
  patients::EmergencyContact emergency;
  const char* memberId;  // Medicare Beneficiary Identifier format (fictional)
  bool supplement;       // a Medigap plan as secondary
  std::vector<patients::Problem> problems;
  std::vector<patients::Medication> medications;
  std::vector<patients::Allergy> allergies;
};

patients::Problem problem(const char* code, const char* description, const char* onset) {
  return {0, code, description, ProblemStatus::active, onset, patients::EntrySource::clinician};
}

patients::Medication medication(const char* rxcui, const char* name, const char* instructions) {
  return {0, rxcui, name, instructions, MedicationStatus::active, patients::EntrySource::clinician};
}

patients::Allergy allergy(const char* substance, const char* reaction, AllergySeverity s) {
  return {0, substance, reaction, s, patients::EntrySource::clinician};
}

const std::vector<DemoIntake>& intakes() {
  static const std::vector<DemoIntake> list = {
      {"DEMO-1001",
       "rosa.alvarez@demo.vigil",
       "+1 (312) 555-0142",
       "2418 W Cermak Rd",
       "Chicago",
       "IL",
       "60608",
       "es-US",
       {"Lucia Alvarez", "daughter", "+1 (312) 555-0177"},
       "1EG4-TE5-MK72",
       true,
       {problem("I10", "Essential (primary) hypertension", "2009-04-01"),
        problem("E78.5", "Hyperlipidemia, unspecified", "2012-10-15")},
       {medication("314076", "lisinopril 10 MG Oral Tablet", "1 tablet by mouth once daily"),
        medication("617310", "atorvastatin 20 MG Oral Tablet", "1 tablet by mouth at bedtime")},
       {}},
      {"DEMO-1002",
       "walter.nguyen@demo.vigil",
       "+1 (773) 555-0118",
       "5120 N Broadway",
       "Chicago",
       "IL",
       "60640",
       "vi",
       {"Thanh Nguyen", "spouse", "+1 (773) 555-0119"},
       "2HJ7-RK3-PW18",
       false,
       {problem("I50.9", "Heart failure, unspecified", "2021-02-10"),
        problem("I10", "Essential (primary) hypertension", "2004-06-01")},
       {medication("313988", "furosemide 40 MG Oral Tablet", "1 tablet by mouth every morning"),
        medication("", "carvedilol 6.25 mg tablet", "1 tablet by mouth twice daily with food")},
       {allergy("Lisinopril", "Angioedema", AllergySeverity::severe)}},
      {"DEMO-1003",
       "agnes.okafor@demo.vigil",
       "+1 (414) 555-0163",
       "817 E Brady St",
       "Milwaukee",
       "WI",
       "53202",
       "en-US",
       {"Chinedu Okafor", "son", "+1 (414) 555-0164"},
       "3KP2-XN8-AD45",
       true,
       {problem("J44.9", "Chronic obstructive pulmonary disease, unspecified", "2015-09-01")},
       {medication("", "albuterol inhaler 90 mcg/actuation",
                   "2 puffs every 4 to 6 hours as needed for shortness of breath"),
        medication("", "tiotropium inhalation powder 18 mcg", "inhale 1 capsule once daily")},
       {allergy("Sulfamethoxazole", "Rash", AllergySeverity::mild)}},
      {"DEMO-1004",
       "samuel.bergstrom@demo.vigil",
       "+1 (630) 555-0125",
       "44 S Washington St",
       "Naperville",
       "IL",
       "60540",
       "en-US",
       {"Karin Bergstrom", "spouse", "+1 (630) 555-0126"},
       "4TW9-QM2-EV63",
       false,
       {problem("E11.9", "Type 2 diabetes mellitus without complications", "2016-03-20"),
        problem("I10", "Essential (primary) hypertension", "2018-08-01")},
       {medication("861007", "metformin hydrochloride 500 MG Oral Tablet",
                   "1 tablet by mouth twice daily with meals"),
        medication("314076", "lisinopril 10 MG Oral Tablet", "1 tablet by mouth once daily")},
       {}},
      {"DEMO-1005",
       "mei.tanaka@demo.vigil",
       "+1 (317) 555-0190",
       "1402 N Meridian St",
       "Indianapolis",
       "IN",
       "46202",
       "ja",
       {"Kenji Tanaka", "brother", "+1 (317) 555-0191"},
       "5CF3-BV7-NY20",
       false,
       {problem("R03.0", "Elevated blood-pressure reading, without diagnosis of hypertension",
                "2025-11-04")},
       {},
       {allergy("Shellfish", "Hives", AllergySeverity::moderate)}},
      {"DEMO-1006",
       "frank.delgado@demo.vigil",
       "+1 (708) 555-0137",
       "9 Oak Park Ave",
       "Oak Park",
       "IL",
       "60302",
       "es",
       {"Elena Delgado", "daughter", "+1 (708) 555-0138"},
       "6DN8-HU4-GT91",
       true,
       {problem("I10", "Essential (primary) hypertension", "1998-01-01"),
        problem("N18.30", "Chronic kidney disease, stage 3 unspecified", "2022-05-12")},
       {medication("197361", "amlodipine 5 MG Oral Tablet", "1 tablet by mouth once daily"),
        medication("310798", "hydrochlorothiazide 25 MG Oral Tablet",
                   "1 tablet by mouth every morning")},
       {allergy("Codeine", "Nausea and vomiting", AllergySeverity::mild)}},
  };
  return list;
}

Insurance medicare(const char* memberId, const registry::Patient& p) {
  return {"Medicare",  "Original Medicare Part B",  memberId, "", p.givenName + " " + p.familyName,
          p.birthDate, SubscriberRelationship::self};
}

}  // namespace

void ensureDemoRecords(const DemoServices& services, const security::Actor& admin) {
  auto& clock = SystemClock::instance();
  registry::PatientRepository registry(services.db, services.keys.cipher(),
                                       services.keys.blindIndex(), clock);
  patients::PatientRecordService records(services.db, services.audit, services.keys.cipher(),
                                         registry, clock);
  auto doctor = services.accounts.findUserByEmail("dr.lee@demo.vigil");
  if (!doctor) return;
  const security::Actor provider{doctor->id, security::Role::provider, {}};
  for (const auto& in : intakes()) {
    auto id = registry.findByMrn(in.mrn);
    if (!id) continue;
    if (records.get(admin, *id).version > 0) continue;  // filled in already
    auto p = *registry.get(*id);
    patients::RecordUpdate front;  // the front desk, at registration
    front.contact = patients::Contact{
        in.email, in.phone, {in.street, "", in.city, in.region, in.postalCode, "US"}};
    front.language = in.language;
    front.emergencyContact = in.emergency;
    patients::InsuranceCoverage coverage;
    coverage.primary = medicare(in.memberId, p);
    if (in.supplement)
      coverage.secondary = Insurance{"AARP Medicare Supplement (UnitedHealthcare)",
                                     "Plan G",
                                     std::string("AARP") + (in.mrn + 5),
                                     "MS-44120",
                                     p.givenName + " " + p.familyName,
                                     p.birthDate,
                                     SubscriberRelationship::self};
    front.insurance = coverage;
    front.pharmacy = patients::Pharmacy{"Lakeview Community Pharmacy",
                                        "1000001",
                                        "+1 (312) 555-0101",
                                        {"3100 N Clark St", "", "Chicago", "IL", "60657", "US"}};
    records.update(admin, *id, front);
    patients::RecordUpdate history;  // the provider, at the first visit
    history.problems = in.problems;
    history.medications = in.medications;
    history.allergies = in.allergies;
    records.update(provider, *id, history);
  }
  // Rosa reports her own allergy in the portal: a patient-reported entry.
  auto rosa = services.accounts.findUserByEmail("rosa.alvarez@demo.vigil");
  if (!rosa || !rosa->patientId) return;
  const security::Actor patient{rosa->id, security::Role::patient, rosa->patientId};
  auto current = records.get(patient, *rosa->patientId);
  if (!current.allergies.empty()) return;
  patients::RecordUpdate reported;
  reported.allergies =
      std::vector<patients::Allergy>{allergy("Penicillin", "Hives", AllergySeverity::moderate)};
  records.update(patient, *rosa->patientId, reported);
}

}  // namespace vigil::demo
