// The role x endpoint matrix, walked over the router's list of routes: every authenticated
// route is called by every role (patient, provider, nurse, admin, front desk) about their own
// patient (A: the patient's record, on the provider's and nurse's care team) and another
// patient (B), with
// and without an emergency-access (break-glass) reason, on the real server with real sessions,
// and must allow or deny exactly as kExpected below says. kExpected is written by hand from the
// mission (who may do what), not derived from security::authorize: a policy change that lets a
// role do something the mission does not give it fails here. A route without an entry in
// kExpected, or without a request recipe, fails the test: a new endpoint cannot ship unchecked.

#include <boost/test/unit_test.hpp>
#include <fstream>
#include <functional>
#include <iterator>
#include <set>

#include "api_fixture.hpp"
#include "vigil/core/time.hpp"
#include "vigil/crypto/bytes.hpp"
#include "vigil/security/access_guard.hpp"

using namespace vigil;
using namespace vigil::web;
using namespace vigil::web::test;
using security::Role;

namespace {

struct Ctx {
  std::int64_t patient = 0;
  // For emergency access: the own patient, or a fresh patient outside every care team (a grant
  // on patient B would open B to the later calls of the walk).
  std::int64_t emergencyPatient = 0;
  std::int64_t alert = 0;
  std::int64_t device = 0;
  std::int64_t spareUser = 0;
  std::int64_t clinician = 0;        // another active clinician (covers the spare nurse)
  std::int64_t coverage = 0;         // a current on-call cover
  std::string syncEntry;             // a cloud-link entry the service refused (blocks its stream)
  std::string until;                 // a future time
  std::int64_t consentDocument = 0;  // the published telehealth consent
  std::string consentSha;            // its SHA-256
  std::int64_t enrolment = 0;        // an active RPM enrolment of the patient (end route only)
  std::int64_t provider = 0;         // a provider user (licensing routes)
  std::int64_t license = 0;          // a license of that provider (edit and delete routes)
  std::int64_t note = 0;             // a draft (the caller's when a clinician; notesFor)
  std::int64_t signedNote = 0;       // a signed note
  std::int64_t pendingNote = 0;      // a nurse's note waiting for a co-signature
  std::int64_t referral = 0;         // a referral from the signed note
  std::int64_t kase = 0;             // an open case of the patient with one photo (casesFor)
  std::int64_t casePhoto = 0;        // that photo
  int serial = 0;                    // unique per call (MRNs, uids)
  // Scheduling (issue 22): a booked appointment and an open waitlist offer of the patient
  // (fresh per call), a schedule exception of the clinician, the clinic's appointment type.
  std::int64_t appointment = 0;
  std::int64_t offer = 0;
  std::int64_t exception = 0;
  std::int64_t appointmentType = 0;
  std::int64_t visit = 0;            // a video visit of the patient (survey routes)
  std::int64_t onDemandRequest = 0;  // a waiting on-demand request of the patient (fresh)
  // E-prescribing (issue 25): a drug of the starter list (not controlled), a fresh draft of it
  // for the patient written by the provider (by emergency access outside the care team), and a
  // second provider whose EPCS access is approved and revoked (nobody approves their own).
  std::int64_t rxDrug = 0;
  std::int64_t prescription = 0;
  std::int64_t rxColleague = 0;
  std::int64_t fhirClient = 0;   // a fresh EHR client (issue 26), for the disable route
  std::int64_t staffGroup = 0;   // a fresh clinic group (issue 30) ...
  std::int64_t groupMember = 0;  // ... with this nurse in it (the spare nurse may be disabled)
};

struct Call {
  std::string path;
  std::string body;
};

using Recipe = std::function<Call(const Ctx&)>;

/// The test PNG (tests/patients/data/card.png), and as base64 for the uploads.
std::string cardPng() {
  std::ifstream in(std::string(VIGIL_SOURCE_DIR) + "/tests/patients/data/card.png",
                   std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}
std::string cardPngBase64() {
  return crypto::toBase64(crypto::asBytes(cardPng()));
}

std::string id(std::int64_t v) {
  return std::to_string(v);
}

/// A state per call, so the admins' adds and edits never collide (one type per state).
std::string licenseState(int serial) {
  static const char* kStates[] = {"AL", "AK", "AZ", "AR", "CO", "CT", "DE", "FL", "GA", "HI",
                                  "ID", "IL", "IN", "IA", "KS", "KY", "LA", "ME", "MD", "MA"};
  return kStates[static_cast<std::size_t>(serial) % std::size(kStates)];
}

/// A 30-minute slot of its own per serial, from 2027-01-20T00:00Z (the providers take bookings
/// all day, every day, in UTC).
std::string slotAt(int serial) {
  const auto t = TimePoint{std::chrono::seconds{1'800'403'200}} + std::chrono::minutes(30) * serial;
  return core::formatUtc(t, core::Fraction::millis);
}

/// How to call each route about a given patient. A new route needs a line here.
const std::map<std::string, Recipe>& recipes() {
  static const std::map<std::string, Recipe> r = {
      // State licensing (issue 22): the provider's licenses, the admins' edits.
      {"GET /api/v1/providers/{id}/licenses",
       [](const Ctx& c) {
         return Call{"/api/v1/providers/" + id(c.provider) + "/licenses", ""};
       }},
      {"GET /api/v1/me/licenses",
       [](const Ctx&) {
         return Call{"/api/v1/me/licenses", ""};
       }},
      {"POST /api/v1/providers/{id}/licenses",
       [](const Ctx& c) {
         return Call{"/api/v1/providers/" + id(c.provider) + "/licenses",
                     R"({"state":")" + licenseState(c.serial) + R"(","type":"MD","number":"M)" +
                         id(c.serial) + R"(","expiresOn":"2028-01-31"})"};
       }},
      {"PUT /api/v1/providers/{id}/licenses/{licenseId}",
       [](const Ctx& c) {
         return Call{"/api/v1/providers/" + id(c.provider) + "/licenses/" + id(c.license),
                     R"({"state":")" + licenseState(c.serial) + R"(","type":"DO","number":"D)" +
                         id(c.serial) + R"(","expiresOn":"2029-01-31"})"};
       }},
      {"DELETE /api/v1/providers/{id}/licenses/{licenseId}",
       [](const Ctx& c) {
         return Call{"/api/v1/providers/" + id(c.provider) + "/licenses/" + id(c.license), ""};
       }},
      {"PUT /api/v1/providers/{id}/npi",
       [](const Ctx& c) {
         return Call{"/api/v1/providers/" + id(c.provider) + "/npi", R"({"npi":"1234567893"})"};
       }},
      {"POST /api/v1/providers/{id}/licenses/verify",
       [](const Ctx& c) {
         // No cloud link in the fixture: an admin's verify is refused 422, not denied.
         return Call{"/api/v1/providers/" + id(c.provider) + "/licenses/verify", "{}"};
       }},
      {"GET /api/v1/licenses/expiring",
       [](const Ctx&) {
         return Call{"/api/v1/licenses/expiring?days=60", ""};
       }},
      {"GET /api/v1/session",
       [](const Ctx&) {
         return Call{"/api/v1/session", ""};
       }},
      {"POST /api/v1/session/refresh",
       [](const Ctx&) {
         return Call{"/api/v1/session/refresh", "{}"};
       }},
      {"POST /api/v1/auth/mfa/enrol",
       [](const Ctx&) {
         return Call{"/api/v1/auth/mfa/enrol", "{}"};
       }},
      {"POST /api/v1/auth/mfa/confirm",
       [](const Ctx&) {
         return Call{"/api/v1/auth/mfa/confirm", R"({"code":"000000"})"};
       }},
      {"POST /api/v1/auth/logout",
       [](const Ctx&) {
         return Call{"/api/v1/auth/logout", "{}"};
       }},
      {"POST /api/v1/auth/password",
       [](const Ctx&) {
         return Call{"/api/v1/auth/password", R"({"current":"wrong","next":"x"})"};
       }},
      {"POST /api/v1/auth/reauth",
       [](const Ctx&) {
         // The right password without a code: a patient steps up (204); staff are asked for
         // their code (401 reauth_failed, not counted towards the lock-out).
         return Call{"/api/v1/auth/reauth",
                     std::string(R"({"password":")") + ApiFixture::kPassword + "\"}"};
       }},
      {"GET /api/v1/sessions",
       [](const Ctx&) {
         return Call{"/api/v1/sessions", ""};
       }},
      {"DELETE /api/v1/sessions/{id}",
       [](const Ctx&) {
         return Call{"/api/v1/sessions/999999", ""};  // nobody's: 404, not a denial
       }},
      {"GET /api/v1/admin/ble/devices",
       [](const Ctx&) {
         return Call{"/api/v1/admin/ble/devices", ""};
       }},
      {"POST /api/v1/admin/ble/pair",
       [](const Ctx&) {
         return Call{"/api/v1/admin/ble/pair", R"({"address":"C4:7C:8D:6A:12:34"})"};
       }},
      {"GET /api/v1/consent-documents",
       [](const Ctx&) {
         return Call{"/api/v1/consent-documents", ""};
       }},
      {"GET /api/v1/consent-documents/{id}",
       [](const Ctx& c) {
         return Call{"/api/v1/consent-documents/" + id(c.consentDocument), ""};
       }},
      {"POST /api/v1/consent-documents",
       [](const Ctx&) {
         return Call{"/api/v1/consent-documents",
                     R"({"kind":"privacy_notice","title":"Notice","body":"How we use data."})"};
       }},
      {"GET /api/v1/patients/{id}/consents",
       [](const Ctx& c) {
         return Call{"/api/v1/patients/" + id(c.patient) + "/consents", ""};
       }},
      {"POST /api/v1/patients/{id}/consents",
       [](const Ctx& c) {
         // Signed once (201), then already signed (409): allowed either way, never a denial.
         return Call{"/api/v1/patients/" + id(c.patient) + "/consents",
                     R"({"documentId":)" + id(c.consentDocument) + R"(,"documentSha256":")" +
                         c.consentSha + R"(","typedName":"Ana Silva","agreed":true})"};
       }},
      {"GET /api/v1/patients/{id}/rpm-enrolments",
       [](const Ctx& c) {
         return Call{"/api/v1/patients/" + id(c.patient) + "/rpm-enrolments", ""};
       }},
      // Without an RPM consent the allowed answer is 409 consent_required (not a denial).
      {"POST /api/v1/patients/{id}/rpm-enrolments",
       [](const Ctx& c) {
         return Call{"/api/v1/patients/" + id(c.patient) + "/rpm-enrolments",
                     R"({"conditionCode":"I10","conditionDescription":"Essential hypertension",)"
                     R"("deviceIds":[)" +
                         id(c.device) + R"(],"startDate":"2027-01-15"})"};
       }},
      {"POST /api/v1/patients/{id}/rpm-enrolments/{enrolmentId}/end",
       [](const Ctx& c) {
         return Call{
             "/api/v1/patients/" + id(c.patient) + "/rpm-enrolments/" + id(c.enrolment) + "/end",
             R"({"endDate":"2027-01-15","reason":"completed"})"};
       }},
      {"POST /api/v1/patients/{id}/consents/{kind}/withdraw",
       [](const Ctx& c) {
         return Call{"/api/v1/patients/" + id(c.patient) + "/consents/telehealth/withdraw", "{}"};
       }},
      // The patient record (issue 21): an administrative change, which admins may make too.
      {"GET /api/v1/patients/{id}/record",
       [](const Ctx& c) {
         return Call{"/api/v1/patients/" + id(c.patient) + "/record", ""};
       }},
      {"PUT /api/v1/patients/{id}/record",
       [](const Ctx& c) {
         return Call{"/api/v1/patients/" + id(c.patient) + "/record",
                     R"({"language":")" + std::string(c.serial % 2 ? "en-US" : "es") + "\"}"};
       }},
      {"GET /api/v1/patients/{id}/record/history",
       [](const Ctx& c) {
         return Call{"/api/v1/patients/" + id(c.patient) + "/record/history", ""};
       }},
      {"GET /api/v1/me/record",
       [](const Ctx&) {
         return Call{"/api/v1/me/record", ""};
       }},
      {"PUT /api/v1/me/record",
       [](const Ctx& c) {
         return Call{"/api/v1/me/record",
                     R"({"language":")" + std::string(c.serial % 2 ? "pt-BR" : "fr") + "\"}"};
       }},
      {"GET /api/v1/me/record/history",
       [](const Ctx&) {
         return Call{"/api/v1/me/record/history", ""};
       }},
      // Intake (issue 21): its completion and the insurance card photos.
      {"GET /api/v1/patients/{id}/intake",
       [](const Ctx& c) {
         return Call{"/api/v1/patients/" + id(c.patient) + "/intake", ""};
       }},
      {"POST /api/v1/patients/{id}/intake/complete",
       [](const Ctx& c) {
         return Call{"/api/v1/patients/" + id(c.patient) + "/intake/complete", "{}"};
       }},
      {"PUT /api/v1/patients/{id}/insurance-cards/{coverage}/{side}",
       [](const Ctx& c) {
         return Call{"/api/v1/patients/" + id(c.patient) + "/insurance-cards/primary/front",
                     R"({"contentBase64":")" + cardPngBase64() + "\"}"};
       }},
      {"GET /api/v1/patients/{id}/insurance-cards/{coverage}/{side}",
       [](const Ctx& c) {
         return Call{"/api/v1/patients/" + id(c.patient) + "/insurance-cards/primary/front", ""};
       }},
      {"DELETE /api/v1/patients/{id}/insurance-cards/{coverage}/{side}",
       [](const Ctx& c) {
         return Call{"/api/v1/patients/" + id(c.patient) + "/insurance-cards/secondary/back", ""};
       }},
      // The record download (issue 21, right of access).
      {"GET /api/v1/patients/{id}/record/export",
       [](const Ctx& c) {
         return Call{"/api/v1/patients/" + id(c.patient) + "/record/export?format=fhir", ""};
       }},
      {"GET /api/v1/me/record/export",
       [](const Ctx&) {
         return Call{"/api/v1/me/record/export?format=html", ""};
       }},
      {"GET /api/v1/patients",
       [](const Ctx&) {
         return Call{"/api/v1/patients", ""};
       }},
      {"POST /api/v1/patients",
       [](const Ctx& c) {
         // A new person per call (letters for the serial's digits: names keep only letters
         // when compared), so duplicate detection does not answer 409 possible_duplicate.
         std::string family = "Reg";
         for (char d : std::to_string(c.serial))
           family.push_back(static_cast<char>('a' + (d - '0')));
         return Call{"/api/v1/patients", R"({"mrn":"NEW-)" + std::to_string(c.serial) +
                                             R"(","givenName":"N","familyName":")" + family +
                                             R"(","birthDate":"1950-01-01"})"};
       }},
      {"GET /api/v1/patients/{id}",
       [](const Ctx& c) {
         return Call{"/api/v1/patients/" + id(c.patient), ""};
       }},
      {"GET /api/v1/me",
       [](const Ctx&) {
         return Call{"/api/v1/me", ""};
       }},
      {"GET /api/v1/patients/{id}/readings",
       [](const Ctx& c) {
         return Call{"/api/v1/patients/" + id(c.patient) + "/readings?code=85354-9", ""};
       }},
      {"POST /api/v1/patients/{id}/invitations",
       [](const Ctx& c) {
         return Call{"/api/v1/patients/" + id(c.patient) + "/invitations",
                     R"({"email":"invitee)" + std::to_string(c.serial) + R"(@home.example"})"};
       }},
      {"GET /api/v1/patients/{id}/invitations",
       [](const Ctx& c) {
         return Call{"/api/v1/patients/" + id(c.patient) + "/invitations", ""};
       }},
      {"POST /api/v1/patients/{id}/invitations/{invitationId}/revoke",
       [](const Ctx& c) {
         return Call{"/api/v1/patients/" + id(c.patient) + "/invitations/1/revoke", "{}"};
       }},
      {"POST /api/v1/patients/{id}/emergency-access",
       [](const Ctx& c) {
         return Call{"/api/v1/patients/" + id(c.emergencyPatient) + "/emergency-access",
                     R"({"reason":"matrix"})"};
       }},
      {"GET /api/v1/patients/{id}/devices",
       [](const Ctx& c) {
         return Call{"/api/v1/patients/" + id(c.patient) + "/devices", ""};
       }},
      {"GET /api/v1/patients/{id}/care-team",
       [](const Ctx& c) {
         return Call{"/api/v1/patients/" + id(c.patient) + "/care-team", ""};
       }},
      {"GET /api/v1/reports/alert-response",
       [](const Ctx&) {
         return Call{"/api/v1/reports/alert-response", ""};
       }},
      // The practice reports (issue 30) of the calling provider (f.providerId): theirs to see.
      {"GET /api/v1/reports/practice",
       [](const Ctx& c) {
         return Call{"/api/v1/reports/practice?scope=provider&id=" + id(c.provider), ""};
       }},
      {"GET /api/v1/reports/practice/export",
       [](const Ctx& c) {
         return Call{
             "/api/v1/reports/practice/export?section=alerts&scope=provider&id=" + id(c.provider),
             ""};
       }},
      {"GET /api/v1/patients/{id}/thresholds",
       [](const Ctx& c) {
         return Call{"/api/v1/patients/" + id(c.patient) + "/thresholds", ""};
       }},
      {"PUT /api/v1/patients/{id}/thresholds",
       [](const Ctx& c) {
         return Call{
             "/api/v1/patients/" + id(c.patient) + "/thresholds",
             R"({"reason":"matrix","rules":[{"key":"bp.systolic.high","tiers":[{"limit":170},{"limit":185}]}]})"};
       }},
      {"GET /api/v1/patients/{id}/alerts",
       [](const Ctx& c) {
         return Call{"/api/v1/patients/" + id(c.patient) + "/alerts", ""};
       }},
      {"GET /api/v1/alerts",
       [](const Ctx&) {
         return Call{"/api/v1/alerts", ""};
       }},
      {"GET /api/v1/alerts/{id}",
       [](const Ctx& c) {
         return Call{"/api/v1/alerts/" + id(c.alert), ""};
       }},
      {"POST /api/v1/alerts/{id}/claim",
       [](const Ctx& c) {
         return Call{"/api/v1/alerts/" + id(c.alert) + "/claim", "{}"};
       }},
      {"POST /api/v1/alerts/{id}/acknowledge",
       [](const Ctx& c) {
         return Call{"/api/v1/alerts/" + id(c.alert) + "/acknowledge", "{}"};
       }},
      {"POST /api/v1/alerts/{id}/resolve",
       [](const Ctx& c) {
         return Call{"/api/v1/alerts/" + id(c.alert) + "/resolve", R"({"note":"called"})"};
       }},
      {"POST /api/v1/alerts/{id}/escalate",
       [](const Ctx& c) {
         return Call{"/api/v1/alerts/" + id(c.alert) + "/escalate", R"({"note":"up"})"};
       }},
      {"POST /api/v1/alerts/{id}/snooze",
       [](const Ctx& c) {
         return Call{"/api/v1/alerts/" + id(c.alert) + "/snooze",
                     R"({"reason":"travel","until":")" + c.until + "\"}"};
       }},
      {"GET /api/v1/admin/users",
       [](const Ctx&) {
         return Call{"/api/v1/admin/users", ""};
       }},
      {"POST /api/v1/admin/users",
       [](const Ctx& c) {
         return Call{
             "/api/v1/admin/users",
             R"({"role":"nurse","email":"n)" + std::to_string(c.serial) +
                 R"(@clinic.example","displayName":"N","password":"a long enough passphrase here"})"};
       }},
      {"POST /api/v1/admin/users/{id}/unlock",
       [](const Ctx& c) {
         return Call{"/api/v1/admin/users/" + id(c.spareUser) + "/unlock", "{}"};
       }},
      {"POST /api/v1/admin/users/{id}/mfa-reset",
       [](const Ctx& c) {
         return Call{"/api/v1/admin/users/" + id(c.spareUser) + "/mfa-reset", "{}"};
       }},
      {"POST /api/v1/admin/users/{id}/disable",
       [](const Ctx& c) {
         return Call{"/api/v1/admin/users/" + id(c.spareUser) + "/disable", "{}"};
       }},
      {"POST /api/v1/admin/users/{id}/revoke-sessions",
       [](const Ctx& c) {
         return Call{"/api/v1/admin/users/" + id(c.spareUser) + "/revoke-sessions", "{}"};
       }},
      {"GET /api/v1/admin/roles",
       [](const Ctx&) {
         return Call{"/api/v1/admin/roles", ""};
       }},
      {"POST /api/v1/admin/care-teams",
       [](const Ctx& c) {
         return Call{"/api/v1/admin/care-teams", R"({"staffUserId":)" + id(c.spareUser) +
                                                     R"(,"patientId":)" + id(c.patient) + "}"};
       }},
      {"GET /api/v1/admin/care-teams",
       [](const Ctx& c) {
         return Call{"/api/v1/admin/care-teams?patientId=" + id(c.patient), ""};
       }},
      {"DELETE /api/v1/admin/care-teams/{staffUserId}/{patientId}",
       [](const Ctx& c) {
         return Call{"/api/v1/admin/care-teams/" + id(c.spareUser) + "/" + id(c.patient), ""};
       }},
      {"GET /api/v1/admin/devices",
       [](const Ctx&) {
         return Call{"/api/v1/admin/devices", ""};
       }},
      {"POST /api/v1/admin/devices",
       [](const Ctx& c) {
         return Call{"/api/v1/admin/devices", R"({"uid":"dev-)" + std::to_string(c.serial) +
                                                  R"(","kind":"blood_pressure"})"};
       }},
      {"POST /api/v1/admin/devices/{id}/assign",
       [](const Ctx& c) {
         return Call{"/api/v1/admin/devices/" + id(c.device) + "/assign",
                     R"({"patientId":)" + id(c.patient) + "}"};
       }},
      {"POST /api/v1/admin/devices/{id}/unassign",
       [](const Ctx& c) {
         return Call{"/api/v1/admin/devices/" + id(c.device) + "/unassign", "{}"};
       }},
      {"POST /api/v1/admin/devices/{id}/retire",
       [](const Ctx& c) {
         return Call{"/api/v1/admin/devices/" + id(c.device) + "/retire", "{}"};
       }},
      {"POST /api/v1/admin/devices/{id}/bundle",
       [](const Ctx& c) {
         return Call{"/api/v1/admin/devices/" + id(c.device) + "/bundle", "{}"};
       }},
      {"POST /api/v1/admin/devices/{id}/revoke",
       [](const Ctx& c) {
         return Call{"/api/v1/admin/devices/" + id(c.device) + "/revoke", "{}"};
       }},
      {"GET /api/v1/alert-rules",
       [](const Ctx&) {
         return Call{"/api/v1/alert-rules", ""};
       }},
      {"PUT /api/v1/alert-rules",
       [](const Ctx&) {
         return Call{
             "/api/v1/alert-rules",
             R"({"reason":"matrix","rules":[{"key":"bp.systolic.high","tiers":[{"limit":165},{"limit":180}]}]})"};
       }},
      {"GET /api/v1/escalation",
       [](const Ctx&) {
         return Call{"/api/v1/escalation", ""};
       }},
      {"PUT /api/v1/escalation/chain",
       [](const Ctx& c) {
         return Call{"/api/v1/escalation/chain", R"({"users":[)" + id(c.spareUser) + "]}"};
       }},
      {"POST /api/v1/escalation/coverage",
       [](const Ctx& c) {
         return Call{"/api/v1/escalation/coverage",
                     R"({"userId":)" + id(c.spareUser) + R"(,"coveredBy":)" + id(c.clinician) +
                         R"(,"from":"2029-12-31T00:00:00Z","until":")" + c.until + "\"}"};
       }},
      {"DELETE /api/v1/escalation/coverage/{id}",
       [](const Ctx& c) {
         return Call{"/api/v1/escalation/coverage/" + id(c.coverage), ""};
       }},
      {"GET /api/v1/patients/{id}/escalation",
       [](const Ctx& c) {
         return Call{"/api/v1/patients/" + id(c.patient) + "/escalation", ""};
       }},
      {"PUT /api/v1/patients/{id}/escalation",
       [](const Ctx& c) {
         return Call{"/api/v1/patients/" + id(c.patient) + "/escalation",
                     R"({"users":[)" + id(c.spareUser) + "]}"};
       }},
      {"GET /api/v1/admin/audit",
       [](const Ctx&) {
         return Call{"/api/v1/admin/audit?action=patient.get", ""};
       }},
      {"GET /api/v1/admin/audit/verify",
       [](const Ctx&) {
         return Call{"/api/v1/admin/audit/verify", ""};
       }},
      {"GET /api/v1/sync/status",
       [](const Ctx&) {
         return Call{"/api/v1/sync/status", ""};
       }},
      {"GET /api/v1/sync/entries/{id}",
       [](const Ctx& c) {
         return Call{"/api/v1/sync/entries/" + c.syncEntry, ""};
       }},
      {"POST /api/v1/sync/entries/{id}/retry",
       [](const Ctx& c) {
         return Call{"/api/v1/sync/entries/" + c.syncEntry + "/retry", "{}"};
       }},
      {"POST /api/v1/sync/entries/{id}/cancel",
       [](const Ctx& c) {
         return Call{"/api/v1/sync/entries/" + c.syncEntry + "/cancel", "{}"};
       }},
      {"GET /api/v1/sync/link",
       [](const Ctx&) {
         return Call{"/api/v1/sync/link", ""};
       }},
      {"POST /api/v1/sync/enrol",
       [](const Ctx&) {
         return Call{"/api/v1/sync/enrol", R"({"code":"7KQM-2HXD-9PLA","boxName":"Test"})"};
       }},
      // EHR connections (issue 26): a client with a JWKS URL (nothing is fetched to register).
      {"GET /api/v1/fhir-clients",
       [](const Ctx&) {
         return Call{"/api/v1/fhir-clients", ""};
       }},
      {"POST /api/v1/fhir-clients",
       [](const Ctx& c) {
         return Call{
             "/api/v1/fhir-clients",
             R"({"name":"EHR )" + id(c.serial) +
                 R"(","jwksUrl":"https://ehr.example/jwks.json","scopes":"system/Observation.rs"})"};
       }},
      {"POST /api/v1/fhir-clients/{id}/disable",
       [](const Ctx& c) {
         return Call{"/api/v1/fhir-clients/" + id(c.fhirClient) + "/disable", "{}"};
       }},
      // Clinic groups (issue 30): the spare nurse is put in, the group's nurse taken out.
      {"GET /api/v1/groups",
       [](const Ctx&) {
         return Call{"/api/v1/groups", ""};
       }},
      {"POST /api/v1/groups",
       [](const Ctx& c) {
         return Call{"/api/v1/groups", R"({"name":"Group )" + id(c.serial) + R"("})"};
       }},
      {"PUT /api/v1/groups/{id}",
       [](const Ctx& c) {
         return Call{"/api/v1/groups/" + id(c.staffGroup),
                     R"({"name":"Renamed )" + id(c.serial) + R"("})"};
       }},
      {"DELETE /api/v1/groups/{id}",
       [](const Ctx& c) {
         return Call{"/api/v1/groups/" + id(c.staffGroup), ""};
       }},
      {"PUT /api/v1/groups/{id}/members/{userId}",
       [](const Ctx& c) {
         return Call{"/api/v1/groups/" + id(c.staffGroup) + "/members/" + id(c.spareUser), "{}"};
       }},
      {"DELETE /api/v1/groups/{id}/members/{userId}",
       [](const Ctx& c) {
         return Call{"/api/v1/groups/" + id(c.staffGroup) + "/members/" + id(c.groupMember), ""};
       }},
      // Scheduling (issue 22)
      {"GET /api/v1/appointment-types",
       [](const Ctx&) {
         return Call{"/api/v1/appointment-types", ""};
       }},
      {"POST /api/v1/appointment-types",
       [](const Ctx& c) {
         return Call{"/api/v1/appointment-types",
                     R"({"name":"Type )" + std::to_string(c.serial) +
                         R"(","durationMinutes":20,"modality":"video","kind":"new"})"};
       }},
      {"PUT /api/v1/appointment-types/{id}",
       [](const Ctx& c) {
         return Call{"/api/v1/appointment-types/" + id(c.appointmentType),
                     R"({"name":"Clinic visit","durationMinutes":30,"modality":"in_person",)"
                     R"("kind":"follow_up"})"};
       }},
      {"GET /api/v1/schedule/providers",
       [](const Ctx&) {
         return Call{"/api/v1/schedule/providers", ""};
       }},
      {"GET /api/v1/providers/{id}/schedule",
       [](const Ctx& c) {
         return Call{"/api/v1/providers/" + id(c.clinician) + "/schedule", ""};
       }},
      {"PUT /api/v1/providers/{id}/schedule",
       [](const Ctx& c) {
         std::string blocks;
         for (int d = 1; d <= 7; ++d)
           blocks += std::string(d > 1 ? "," : "") + R"({"weekday":)" + std::to_string(d) +
                     R"(,"startMinute":0,"endMinute":1440})";
         return Call{"/api/v1/providers/" + id(c.clinician) + "/schedule",
                     R"({"timeZone":"UTC","bufferMinutes":0,"blocks":[)" + blocks + "]}"};
       }},
      {"POST /api/v1/providers/{id}/schedule/exceptions",
       [](const Ctx& c) {
         return Call{"/api/v1/providers/" + id(c.clinician) + "/schedule/exceptions",
                     R"({"starts":"2031-01-01","ends":"2031-01-02","kind":"holiday"})"};
       }},
      {"DELETE /api/v1/providers/{id}/schedule/exceptions/{exceptionId}",
       [](const Ctx& c) {
         return Call{
             "/api/v1/providers/" + id(c.clinician) + "/schedule/exceptions/" + id(c.exception),
             ""};
       }},
      // A provider's calendar feed (issue 22): its state, a new secret URL, revoking it, the
      // names opt-in (the clinician's own feed for a provider).
      {"GET /api/v1/providers/{id}/calendar-feed",
       [](const Ctx& c) {
         return Call{"/api/v1/providers/" + id(c.clinician) + "/calendar-feed", ""};
       }},
      {"POST /api/v1/providers/{id}/calendar-feed",
       [](const Ctx& c) {
         return Call{"/api/v1/providers/" + id(c.clinician) + "/calendar-feed", "{}"};
       }},
      {"DELETE /api/v1/providers/{id}/calendar-feed",
       [](const Ctx& c) {
         return Call{"/api/v1/providers/" + id(c.clinician) + "/calendar-feed", ""};
       }},
      {"PUT /api/v1/providers/{id}/calendar-feed/settings",
       [](const Ctx& c) {
         return Call{"/api/v1/providers/" + id(c.clinician) + "/calendar-feed/settings",
                     R"({"includeNames":false})"};
       }},
      {"GET /api/v1/providers/{id}/appointments",
       [](const Ctx& c) {
         return Call{"/api/v1/providers/" + id(c.clinician) +
                         "/appointments?from=2027-01-15T00:00:00Z&to=2027-02-15T00:00:00Z",
                     ""};
       }},
      {"GET /api/v1/slots",
       [](const Ctx& c) {
         return Call{
             "/api/v1/slots?type=" + id(c.appointmentType) + "&from=2027-01-20&to=2027-01-20", ""};
       }},
      {"POST /api/v1/patients/{id}/appointments",
       [](const Ctx& c) {
         return Call{"/api/v1/patients/" + id(c.patient) + "/appointments",
                     R"({"providerUserId":)" + id(c.clinician) + R"(,"typeId":)" +
                         id(c.appointmentType) + R"(,"startsAt":")" + slotAt(c.serial) + R"("})"};
       }},
      {"GET /api/v1/patients/{id}/appointments",
       [](const Ctx& c) {
         return Call{"/api/v1/patients/" + id(c.patient) + "/appointments", ""};
       }},
      {"POST /api/v1/appointments/{id}/reschedule",
       [](const Ctx& c) {
         return Call{"/api/v1/appointments/" + id(c.appointment) + "/reschedule",
                     R"({"startsAt":")" + slotAt(c.serial) + R"("})"};
       }},
      {"POST /api/v1/appointments/{id}/cancel",
       [](const Ctx& c) {
         return Call{"/api/v1/appointments/" + id(c.appointment) + "/cancel",
                     R"({"reason":"patient_request"})"};
       }},
      {"POST /api/v1/appointments/{id}/no-show",
       [](const Ctx& c) {
         return Call{"/api/v1/appointments/" + id(c.appointment) + "/no-show", "{}"};
       }},
      {"POST /api/v1/patients/{id}/waitlist",
       [](const Ctx& c) {
         return Call{
             "/api/v1/patients/" + id(c.patient) + "/waitlist",
             R"({"typeId":)" + id(c.appointmentType) +
                 R"(,"earliestAt":"2027-01-20T00:00:00Z","latestAt":"2027-01-27T00:00:00Z"})"};
       }},
      {"GET /api/v1/patients/{id}/waitlist-offers",
       [](const Ctx& c) {
         return Call{"/api/v1/patients/" + id(c.patient) + "/waitlist-offers", ""};
       }},
      {"POST /api/v1/waitlist-offers/{id}/accept",
       [](const Ctx& c) {
         return Call{"/api/v1/waitlist-offers/" + id(c.offer) + "/accept", "{}"};
       }},
      // Reminder settings (issue 22).
      {"GET /api/v1/patients/{id}/reminder-settings",
       [](const Ctx& c) {
         return Call{"/api/v1/patients/" + id(c.patient) + "/reminder-settings", ""};
       }},
      {"PUT /api/v1/patients/{id}/reminder-settings",
       [](const Ctx& c) {
         return Call{"/api/v1/patients/" + id(c.patient) + "/reminder-settings",
                     R"({"channel":"sms","detail":"detailed"})"};
       }},
      // The on-demand queue (issue 22). The duty route turns the caller OFF duty, so a
      // provider's start of the patient's request answers 409 not_on_duty (allowed, not denied).
      {"GET /api/v1/me/duty",
       [](const Ctx&) {
         return Call{"/api/v1/me/duty", ""};
       }},
      {"PUT /api/v1/me/duty",
       [](const Ctx&) {
         return Call{"/api/v1/me/duty", R"({"onDuty":false})"};
       }},
      {"GET /api/v1/me/ondemand-queue",
       [](const Ctx&) {
         return Call{"/api/v1/me/ondemand-queue", ""};
       }},
      {"POST /api/v1/ondemand-requests/{id}/start",
       [](const Ctx& c) {
         return Call{"/api/v1/ondemand-requests/" + id(c.onDemandRequest) + "/start", "{}"};
       }},
      {"POST /api/v1/patients/{id}/ondemand-requests",
       [](const Ctx& c) {
         // Patient A has not signed the telehealth consent: their own call answers 409.
         return Call{"/api/v1/patients/" + id(c.patient) + "/ondemand-requests",
                     R"({"reason":"new_symptoms","state":"IL"})"};
       }},
      {"GET /api/v1/patients/{id}/ondemand-requests/current",
       [](const Ctx& c) {
         return Call{"/api/v1/patients/" + id(c.patient) + "/ondemand-requests/current", ""};
       }},
      {"POST /api/v1/ondemand-requests/{id}/cancel",
       [](const Ctx& c) {
         return Call{"/api/v1/ondemand-requests/" + id(c.onDemandRequest) + "/cancel", "{}"};
       }},
      // Clinical notes (issue 23).
      {"GET /api/v1/note-templates",
       [](const Ctx&) {
         return Call{"/api/v1/note-templates", ""};
       }},
      {"POST /api/v1/note-templates",
       [](const Ctx&) {
         return Call{"/api/v1/note-templates",
                     R"({"key":"general","title":"General SOAP note","prompts":{"subjective":)"
                     R"("S","objective":"O","assessment":"A","plan":"P"}})"};
       }},
      {"GET /api/v1/cosign-queue",
       [](const Ctx&) {
         return Call{"/api/v1/cosign-queue", ""};
       }},
      {"GET /api/v1/worklist",
       [](const Ctx&) {
         return Call{"/api/v1/worklist?tz=America/New_York", ""};
       }},
      {"GET /api/v1/worklist/counts",
       [](const Ctx&) {
         return Call{"/api/v1/worklist/counts", ""};
       }},
      {"GET /api/v1/patients/{id}/notes",
       [](const Ctx& c) {
         return Call{"/api/v1/patients/" + id(c.patient) + "/notes", ""};
       }},
      {"POST /api/v1/patients/{id}/notes",
       [](const Ctx& c) {
         return Call{"/api/v1/patients/" + id(c.patient) + "/notes",
                     R"({"encounterKind":"rpm_review","encounterRef":"2026-11","templateId":1})"};
       }},
      {"GET /api/v1/patients/{id}/notes/{noteId}",
       [](const Ctx& c) {
         return Call{"/api/v1/patients/" + id(c.patient) + "/notes/" + id(c.signedNote), ""};
       }},
      {"GET /api/v1/patients/{id}/notes/{noteId}/versions",
       [](const Ctx& c) {
         return Call{"/api/v1/patients/" + id(c.patient) + "/notes/" + id(c.note) + "/versions",
                     ""};
       }},
      {"PUT /api/v1/patients/{id}/notes/{noteId}",
       [](const Ctx& c) {
         return Call{"/api/v1/patients/" + id(c.patient) + "/notes/" + id(c.note),
                     R"({"baseVersion":1,"soap":{"subjective":"Feels well."}})"};
       }},
      {"POST /api/v1/patients/{id}/notes/{noteId}/sign",
       [](const Ctx& c) {
         return Call{"/api/v1/patients/" + id(c.patient) + "/notes/" + id(c.note) + "/sign",
                     R"({"baseVersion":1})"};
       }},
      {"POST /api/v1/patients/{id}/notes/{noteId}/submit",
       [](const Ctx& c) {
         return Call{"/api/v1/patients/" + id(c.patient) + "/notes/" + id(c.note) + "/submit",
                     R"({"baseVersion":1})"};
       }},
      {"POST /api/v1/patients/{id}/notes/{noteId}/cosign",
       [](const Ctx& c) {
         return Call{
             "/api/v1/patients/" + id(c.patient) + "/notes/" + id(c.pendingNote) + "/cosign", "{}"};
       }},
      {"POST /api/v1/patients/{id}/notes/{noteId}/addenda",
       [](const Ctx& c) {
         return Call{
             "/api/v1/patients/" + id(c.patient) + "/notes/" + id(c.signedNote) + "/addenda",
             R"({"text":"Late entry."})"};
       }},
      {"POST /api/v1/patients/{id}/notes/{noteId}/referrals",
       [](const Ctx& c) {
         return Call{
             "/api/v1/patients/" + id(c.patient) + "/notes/" + id(c.signedNote) + "/referrals",
             R"({"specialistName":"Dr Rao","specialty":"Cardiology","reason":"Resistant BP"})"};
       }},
      {"GET /api/v1/patients/{id}/referrals",
       [](const Ctx& c) {
         return Call{"/api/v1/patients/" + id(c.patient) + "/referrals", ""};
       }},
      {"GET /api/v1/patients/{id}/referrals/{referralId}/letter",
       [](const Ctx& c) {
         return Call{
             "/api/v1/patients/" + id(c.patient) + "/referrals/" + id(c.referral) + "/letter", ""};
       }},
      // Async care (issue 23).
      {"GET /api/v1/me/cases",
       [](const Ctx&) {
         return Call{"/api/v1/me/cases", ""};
       }},
      {"POST /api/v1/me/cases",
       [](const Ctx&) {
         return Call{"/api/v1/me/cases", R"({"category":"skin","question":"A rash."})"};
       }},
      {"GET /api/v1/patients/{id}/cases",
       [](const Ctx& c) {
         return Call{"/api/v1/patients/" + id(c.patient) + "/cases", ""};
       }},
      // Patient satisfaction (issue 30).
      {"GET /api/v1/surveys/pending",
       [](const Ctx&) {
         return Call{"/api/v1/surveys/pending", ""};
       }},
      {"POST /api/v1/visits/{id}/survey",
       [](const Ctx& c) {
         return Call{"/api/v1/visits/" + id(c.visit) + "/survey",
                     R"({"rating":5,"recommend":10,"comment":"Thank you."})"};
       }},
      {"GET /api/v1/cases",
       [](const Ctx&) {
         return Call{"/api/v1/cases", ""};
       }},
      {"GET /api/v1/case-counts",
       [](const Ctx&) {
         return Call{"/api/v1/case-counts", ""};
       }},
      {"GET /api/v1/cases/{caseId}",
       [](const Ctx& c) {
         return Call{"/api/v1/cases/" + id(c.kase), ""};
       }},
      {"POST /api/v1/cases/{caseId}/photos",
       [](const Ctx& c) {
         return Call{"/api/v1/cases/" + id(c.kase) + "/photos",
                     R"({"contentBase64":")" + cardPngBase64() + R"("})"};
       }},
      {"GET /api/v1/cases/{caseId}/photos/{photoId}",
       [](const Ctx& c) {
         return Call{"/api/v1/cases/" + id(c.kase) + "/photos/" + id(c.casePhoto), ""};
       }},
      {"POST /api/v1/cases/{caseId}/messages",
       [](const Ctx& c) {
         return Call{"/api/v1/cases/" + id(c.kase) + "/messages", R"({"text":"More detail."})"};
       }},
      {"POST /api/v1/cases/{caseId}/request-photos",
       [](const Ctx& c) {
         return Call{"/api/v1/cases/" + id(c.kase) + "/request-photos",
                     R"({"text":"A closer photo, please."})"};
       }},
      {"POST /api/v1/cases/{caseId}/book-visit",
       [](const Ctx& c) {
         return Call{"/api/v1/cases/" + id(c.kase) + "/book-visit",
                     R"({"text":"Please book a visit."})"};
       }},
      {"POST /api/v1/cases/{caseId}/close",
       [](const Ctx& c) {
         return Call{"/api/v1/cases/" + id(c.kase) + "/close", R"({"note":"Resolved."})"};
       }},
      // RPM billing (issue 24): an entry that does not exist answers 404 once allowed.
      {"GET /api/v1/patients/{id}/billing-time",
       [](const Ctx& c) {
         return Call{"/api/v1/patients/" + id(c.patient) + "/billing-time?month=2026-11", ""};
       }},
      {"POST /api/v1/patients/{id}/billing-time/timer/start",
       [](const Ctx& c) {
         return Call{"/api/v1/patients/" + id(c.patient) + "/billing-time/timer/start", "{}"};
       }},
      {"POST /api/v1/patients/{id}/billing-time/timer/stop",
       [](const Ctx& c) {
         return Call{"/api/v1/patients/" + id(c.patient) + "/billing-time/timer/stop", "{}"};
       }},
      {"POST /api/v1/patients/{id}/billing-time",
       [](const Ctx& c) {
         return Call{"/api/v1/patients/" + id(c.patient) + "/billing-time",
                     R"({"startedAt":"2020-01-01T10:00:00Z","endedAt":"2020-01-01T10:)" +
                         std::to_string(10 + c.serial % 40) +
                         R"(:00Z","reason":"data_review","interactive":true})"};
       }},
      {"PUT /api/v1/patients/{id}/billing-time/{entryId}",
       [](const Ctx& c) {
         return Call{"/api/v1/patients/" + id(c.patient) + "/billing-time/999999",
                     R"({"startedAt":"2020-01-02T10:00:00Z","endedAt":"2020-01-02T10:20:00Z"})"};
       }},
      {"DELETE /api/v1/patients/{id}/billing-time/{entryId}",
       [](const Ctx& c) {
         return Call{"/api/v1/patients/" + id(c.patient) + "/billing-time/999999", ""};
       }},
      {"GET /api/v1/billing/review",
       [](const Ctx&) {
         return Call{"/api/v1/billing/review?month=2026-11", ""};
       }},
      {"POST /api/v1/billing/patients/{id}/approve",
       [](const Ctx& c) {
         return Call{"/api/v1/billing/patients/" + id(c.patient) + "/approve",
                     R"({"month":"2026-11"})"};
       }},
      {"POST /api/v1/billing/visits/{visitId}/approve",
       [](const Ctx&) {
         return Call{"/api/v1/billing/visits/999999/approve", R"({"emCode":"99213"})"};
       }},
      {"GET /api/v1/billing/claims",
       [](const Ctx&) {
         return Call{"/api/v1/billing/claims", ""};
       }},
      {"GET /api/v1/billing/claims/{id}",
       [](const Ctx&) {
         return Call{"/api/v1/billing/claims/999999", ""};
       }},
      {"POST /api/v1/billing/claims/submit",
       [](const Ctx&) {
         return Call{"/api/v1/billing/claims/submit", "{}"};
       }},
      {"GET /api/v1/billing/reports/claims",
       [](const Ctx&) {
         return Call{"/api/v1/billing/reports/claims", ""};
       }},
      {"GET /api/v1/billing/fee-schedule",
       [](const Ctx&) {
         return Call{"/api/v1/billing/fee-schedule", ""};
       }},
      {"PUT /api/v1/billing/fee-schedule/{code}",
       [](const Ctx&) {
         return Call{"/api/v1/billing/fee-schedule/99213", R"({"chargeCents":11000})"};
       }},
      {"GET /api/v1/patients/{id}/visit-summaries",
       [](const Ctx& c) {
         return Call{"/api/v1/patients/" + id(c.patient) + "/visit-summaries", ""};
       }},
      {"GET /api/v1/me/visit-summaries",
       [](const Ctx&) {
         return Call{"/api/v1/me/visit-summaries", ""};
       }},
      // E-prescribing (issue 25). No cloud link in the fixture: the prescriber's sign and
      // cancel answer 422 (allowed, not denied); the patient's read of a draft answers 404.
      {"GET /api/v1/drugs",
       [](const Ctx&) {
         return Call{"/api/v1/drugs?q=lisinopril", ""};
       }},
      {"GET /api/v1/me/prescriptions",
       [](const Ctx&) {
         return Call{"/api/v1/me/prescriptions", ""};
       }},
      {"GET /api/v1/patients/{id}/prescriptions",
       [](const Ctx& c) {
         return Call{"/api/v1/patients/" + id(c.patient) + "/prescriptions", ""};
       }},
      {"GET /api/v1/patients/{id}/prescriptions/precheck",
       [](const Ctx& c) {
         return Call{
             "/api/v1/patients/" + id(c.patient) + "/prescriptions/precheck?drugId=" + id(c.rxDrug),
             ""};
       }},
      {"POST /api/v1/patients/{id}/prescriptions/warnings",
       [](const Ctx& c) {
         return Call{"/api/v1/patients/" + id(c.patient) + "/prescriptions/warnings",
                     R"({"drugId":)" + id(c.rxDrug) + "}"};
       }},
      {"POST /api/v1/patients/{id}/prescriptions",
       [](const Ctx& c) {
         return Call{"/api/v1/patients/" + id(c.patient) + "/prescriptions",
                     R"({"drugId":)" + id(c.rxDrug) +
                         R"(,"sig":"Take 1 tablet by mouth daily","quantity":"30",)"
                         R"("quantityUnit":"tablet","daysSupply":30,"refills":0,)"
                         R"("acknowledged":["duplicate"]})"};
       }},
      {"GET /api/v1/prescriptions/{rxId}",
       [](const Ctx& c) {
         return Call{"/api/v1/prescriptions/" + id(c.prescription), ""};
       }},
      {"DELETE /api/v1/prescriptions/{rxId}",
       [](const Ctx& c) {
         return Call{"/api/v1/prescriptions/" + id(c.prescription), ""};
       }},
      {"POST /api/v1/prescriptions/{rxId}/sign",
       [](const Ctx& c) {
         return Call{"/api/v1/prescriptions/" + id(c.prescription) + "/sign", "{}"};
       }},
      {"POST /api/v1/prescriptions/{rxId}/cancel",
       [](const Ctx& c) {
         return Call{"/api/v1/prescriptions/" + id(c.prescription) + "/cancel",
                     R"({"reason":"wrong strength"})"};
       }},
      {"GET /api/v1/me/signing-log",
       [](const Ctx&) {
         return Call{"/api/v1/me/signing-log", ""};
       }},
      {"GET /api/v1/rx-rules",
       [](const Ctx&) {
         return Call{"/api/v1/rx-rules", ""};
       }},
      {"PUT /api/v1/rx-rules/{state}/{schedule}",
       [](const Ctx&) {
         return Call{"/api/v1/rx-rules/NY/5",
                     R"({"epcsRequired":true,"inPersonRequired":true,)"
                     R"("ruleText":"Every controlled-substance prescription is electronic.",)"
                     R"("source":"NY Public Health Law 281"})"};
       }},
      {"GET /api/v1/providers/{id}/dea",
       [](const Ctx& c) {
         return Call{"/api/v1/providers/" + id(c.provider) + "/dea", ""};
       }},
      {"PUT /api/v1/providers/{id}/dea/{state}",
       [](const Ctx& c) {
         // AB1234563: 1+3+5 + 2*(2+4+6) = 33, check digit 3.
         return Call{"/api/v1/providers/" + id(c.provider) + "/dea/" + licenseState(c.serial),
                     R"({"number":"AB1234563","expiresOn":"2028-06-30"})"};
       }},
      {"DELETE /api/v1/providers/{id}/dea/{state}",
       [](const Ctx& c) {
         // A registration that may not exist: 404 once allowed.
         return Call{"/api/v1/providers/" + id(c.provider) + "/dea/" + licenseState(c.serial), ""};
       }},
      {"GET /api/v1/providers/{id}/epcs",
       [](const Ctx& c) {
         return Call{"/api/v1/providers/" + id(c.provider) + "/epcs", ""};
       }},
      {"POST /api/v1/providers/{id}/epcs/approve",
       [](const Ctx& c) {
         // A colleague's access (200, then 422 for an approver who approved already).
         return Call{"/api/v1/providers/" + id(c.rxColleague) + "/epcs/approve", "{}"};
       }},
      {"DELETE /api/v1/providers/{id}/epcs",
       [](const Ctx& c) {
         return Call{"/api/v1/providers/" + id(c.rxColleague) + "/epcs", ""};
       }},
  };
  return r;
}

// Who may do what, by hand from the mission (MISSION.md "Who uses it", "HIPAA technical
// safeguards"; issue 17 for alert limits; issue 21 for the front desk). Per role (patient,
// provider, nurse, admin, front desk) two letters: own patient / other patient. For the patient
// "own" is their record; for providers and nurses it is a patient on their care team; admins
// and the front desk see every patient. The front desk (issue 21: "registers, schedules, no
// clinical data") finds, registers and reads the demographics of every patient and reads the
// clinic's consent texts; it reads no readings, alerts, limits, escalation, consents signed,
// and does nothing under /admin. A = allowed,
// D = denied (also with a break-glass reason), G = denied, but allowed with a break-glass
// reason (emergency access, audited). Routes about no patient use the same letter twice.
// clang-format off
const std::map<std::string, std::string> kExpected = {
    //                                                          pa pr nu ad fd
    // Own session: everyone signed in.
    {"GET /api/v1/session",                                    "AA AA AA AA AA"},
    {"POST /api/v1/session/refresh",                           "AA AA AA AA AA"},
    {"POST /api/v1/auth/mfa/enrol",                            "AA AA AA AA AA"},
    {"POST /api/v1/auth/mfa/confirm",                          "AA AA AA AA AA"},
    {"POST /api/v1/auth/logout",                               "AA AA AA AA AA"},
    {"POST /api/v1/auth/password",                             "AA AA AA AA AA"},
    {"POST /api/v1/auth/reauth",                               "AA AA AA AA AA"},
    {"GET /api/v1/sessions",                                   "AA AA AA AA AA"},
    {"DELETE /api/v1/sessions/{id}",                           "AA AA AA AA AA"},
    // Patients: a patient their own record only; clinicians their care team (others in an
    // emergency); admins every patient (registration, scheduling, devices).
    {"GET /api/v1/patients",                                   "DD AA AA AA AA"},
    {"POST /api/v1/patients",                                  "DD AA AA AA AA"},
    {"GET /api/v1/patients/{id}",                              "AD AG AG AA AA"},
    {"GET /api/v1/me",                                         "AA DD DD DD DD"},
    {"GET /api/v1/patients/{id}/readings",                     "AD AG AG AA DD"},
    {"GET /api/v1/patients/{id}/devices",                      "AD AG AG AA AA"},
    // Who is on a patient's care team (names and roles): whom to book a visit with.
    {"GET /api/v1/patients/{id}/care-team",                    "AD AG AG AA AA"},
    // Consent e-signature (issue 21): everyone reads the clinic's consent documents, only
    // admins publish them; a patient signs and withdraws only their own consent (no clinician
    // or admin signs for them, not even in an emergency); the patient, the care team (others in
    // an emergency) and admins read a patient's signatures.
    {"GET /api/v1/consent-documents",                          "AA AA AA AA AA"},
    {"GET /api/v1/consent-documents/{id}",                     "AA AA AA AA AA"},
    {"POST /api/v1/consent-documents",                         "DD DD DD AA DD"},
    {"GET /api/v1/patients/{id}/consents",                     "AD AG AG AA DD"},
    {"POST /api/v1/patients/{id}/consents",                    "AD DD DD DD DD"},
    {"POST /api/v1/patients/{id}/consents/{kind}/withdraw",    "AD DD DD DD DD"},
    // RPM enrolment (issue 21, docs/patients.md): enrolling a patient in remote monitoring and
    // ending the episode are a provider's clinical orders (care team; others in an emergency);
    // nurses on the care team and admins (billing, compliance) read, as does the patient their
    // own. The front desk gets none of these.
    {"GET /api/v1/patients/{id}/rpm-enrolments",               "AD AG AG AA DD"},
    {"POST /api/v1/patients/{id}/rpm-enrolments",              "DD AG DD DD DD"},
    {"POST /api/v1/patients/{id}/rpm-enrolments/{enrolmentId}/end", "DD AG DD DD DD"},
    // The patient record (issue 21, docs/patients.md): the patient reads and changes their own;
    // the care team reads and changes it (others only with break-glass); admins and the front
    // desk read it and change the administrative sections (the recipe changes the language);
    // /me is the patient's own record, which staff do not have.
    {"GET /api/v1/patients/{id}/record",                       "AD AG AG AA AA"},
    {"PUT /api/v1/patients/{id}/record",                       "AD AG AG AA AA"},
    {"GET /api/v1/patients/{id}/record/history",               "AD AG AG AA AA"},
    {"GET /api/v1/me/record",                                  "AA DD DD DD DD"},
    {"PUT /api/v1/me/record",                                  "AA DD DD DD DD"},
    {"GET /api/v1/me/record/history",                          "AA DD DD DD DD"},
    // The record download (issue 21, HIPAA right of access): the patient their own; for the
    // practice answering a request, providers (care team; others by emergency access) and
    // admins. Nurses and the front desk do not export records (docs/patients.md).
    // Intake (issue 21): read and changed like the record's administrative sections: the
    // patient their own, the care team (others in an emergency), admins and the front desk.
    {"GET /api/v1/patients/{id}/intake",                       "AD AG AG AA AA"},
    {"POST /api/v1/patients/{id}/intake/complete",             "AD AG AG AA AA"},
    {"PUT /api/v1/patients/{id}/insurance-cards/{coverage}/{side}", "AD AG AG AA AA"},
    {"GET /api/v1/patients/{id}/insurance-cards/{coverage}/{side}", "AD AG AG AA AA"},
    {"DELETE /api/v1/patients/{id}/insurance-cards/{coverage}/{side}", "AD AG AG AA AA"},
    {"GET /api/v1/patients/{id}/record/export",                "AD AG DD AA DD"},
    {"GET /api/v1/me/record/export",                           "AA DD DD DD DD"},
    // Emergency access (break-glass) is the clinicians' way into a record outside their care
    // team, with a reason; a patient never opens another's record. (Where access is already
    // held the answer is 409 not_needed, not a denial.)
    {"POST /api/v1/patients/{id}/emergency-access",            "AD AA AA AA AA"},
    // Onboarding (issue 21): whoever registers patients invites them to the portal and sees
    // and withdraws their invitations: admins and the front desk for every patient, providers
    // and nurses for their care team (others in an emergency); never a patient.
    {"POST /api/v1/patients/{id}/invitations",                 "DD AG AG AA AA"},
    {"GET /api/v1/patients/{id}/invitations",                  "DD AG AG AA AA"},
    {"POST /api/v1/patients/{id}/invitations/{invitationId}/revoke", "DD AG AG AA AA"},
    // Alert limits: patients read their own; only clinicians on the care team change them
    // (issue 17: not the patient, not the admin, who is not clinical).
    {"GET /api/v1/patients/{id}/thresholds",                   "AD AG AG AA DD"},
    {"PUT /api/v1/patients/{id}/thresholds",                   "DD AG AG DD DD"},
    // Clinic default alert rules: clinicians and admins read them, only providers change them.
    {"GET /api/v1/alert-rules",                                "DD AA AA AA DD"},
    {"PUT /api/v1/alert-rules",                                "DD AA DD DD DD"},
    // The alert queue: clinicians work it; admins see it (reports), never act on it.
    {"GET /api/v1/alerts",                                     "DD AA AA AA DD"},
    {"GET /api/v1/alerts/{id}",                                "DD AG AG AA DD"},
    {"GET /api/v1/patients/{id}/alerts",                       "DD AG AG AA DD"},
    {"POST /api/v1/alerts/{id}/claim",                         "DD AG AG DD DD"},
    {"POST /api/v1/alerts/{id}/acknowledge",                   "DD AG AG DD DD"},
    {"POST /api/v1/alerts/{id}/resolve",                       "DD AG AG DD DD"},
    {"POST /api/v1/alerts/{id}/escalate",                      "DD AG AG DD DD"},
    {"POST /api/v1/alerts/{id}/snooze",                        "DD AG AG DD DD"},
    {"GET /api/v1/reports/alert-response",                     "DD AA AA AA DD"},
    // Practice reports (issue 30): providers their own figures, admins any; nobody else.
    {"GET /api/v1/reports/practice",                           "DD AA DD AA DD"},
    {"GET /api/v1/reports/practice/export",                    "DD AA DD AA DD"},
    // Escalation (issue 17): staff read who alerts go to; admins set the clinic's chain and
    // on-call coverage (staffing, not a clinical order); a provider on the care team may give a
    // patient a chain of their own (others in an emergency). Nurses and patients change neither.
    {"GET /api/v1/escalation",                                 "DD AA AA AA DD"},
    {"PUT /api/v1/escalation/chain",                           "DD DD DD AA DD"},
    {"POST /api/v1/escalation/coverage",                       "DD DD DD AA DD"},
    {"DELETE /api/v1/escalation/coverage/{id}",                "DD DD DD AA DD"},
    {"GET /api/v1/patients/{id}/escalation",                   "DD AG AG AA DD"},
    {"PUT /api/v1/patients/{id}/escalation",                   "DD AG DD DD DD"},
    // Administration: admins only.
    {"GET /api/v1/admin/users",                                "DD DD DD AA DD"},
    {"POST /api/v1/admin/users",                               "DD DD DD AA DD"},
    {"POST /api/v1/admin/users/{id}/unlock",                   "DD DD DD AA DD"},
    {"POST /api/v1/admin/users/{id}/mfa-reset",                "DD DD DD AA DD"},
    {"POST /api/v1/admin/users/{id}/disable",                  "DD DD DD AA DD"},
    {"POST /api/v1/admin/users/{id}/revoke-sessions",          "DD DD DD AA DD"},
    {"GET /api/v1/admin/roles",                                "DD DD DD AA DD"},
    {"POST /api/v1/admin/care-teams",                          "DD DD DD AA DD"},
    {"DELETE /api/v1/admin/care-teams/{staffUserId}/{patientId}", "DD DD DD AA DD"},
    {"GET /api/v1/admin/care-teams",                           "DD DD DD AA DD"},
    {"GET /api/v1/admin/devices",                              "DD DD DD AA DD"},
    {"POST /api/v1/admin/devices",                             "DD DD DD AA DD"},
    {"POST /api/v1/admin/devices/{id}/assign",                 "DD DD DD AA DD"},
    {"POST /api/v1/admin/devices/{id}/unassign",               "DD DD DD AA DD"},
    {"POST /api/v1/admin/devices/{id}/retire",                 "DD DD DD AA DD"},
    {"POST /api/v1/admin/devices/{id}/bundle",                 "DD DD DD AA DD"},
    {"POST /api/v1/admin/devices/{id}/revoke",                 "DD DD DD AA DD"},
    {"GET /api/v1/admin/ble/devices",                          "DD DD DD AA DD"},
    {"POST /api/v1/admin/ble/pair",                            "DD DD DD AA DD"},
    {"GET /api/v1/admin/audit",                                "DD DD DD AA DD"},
    {"GET /api/v1/admin/audit/verify",                         "DD DD DD AA DD"},
    // The cloud link (issue 20): the clinic's IT and admins configure it (MISSION.md "Who uses
    // it"); its status and the answer to a refused entry (retry, cancel) are theirs alone.
    {"GET /api/v1/sync/status",                                "DD DD DD AA DD"},
    {"GET /api/v1/sync/entries/{id}",                          "DD DD DD AA DD"},
    {"POST /api/v1/sync/entries/{id}/retry",                   "DD DD DD AA DD"},
    {"POST /api/v1/sync/entries/{id}/cancel",                  "DD DD DD AA DD"},
    {"GET /api/v1/sync/link",                                  "DD DD DD AA DD"},
    {"POST /api/v1/sync/enrol",                                "DD DD DD AA DD"},
    // EHR connections (issue 26): which outside systems may read the box's FHIR API is the
    // practice's administration (MISSION.md: admins manage the box), no patient.
    {"GET /api/v1/fhir-clients",                               "DD DD DD AA DD"},
    {"POST /api/v1/fhir-clients",                              "DD DD DD AA DD"},
    {"POST /api/v1/fhir-clients/{id}/disable",                 "DD DD DD AA DD"},
    // Clinic groups (issue 30): admins make and change them (staffing, like care teams);
    // providers and nurses read the list to choose a group in the reports; the front desk and
    // patients take no part. No patient: own and other are the same.
    {"GET /api/v1/groups",                                     "DD AA AA AA DD"},
    {"POST /api/v1/groups",                                    "DD DD DD AA DD"},
    {"PUT /api/v1/groups/{id}",                                "DD DD DD AA DD"},
    {"DELETE /api/v1/groups/{id}",                             "DD DD DD AA DD"},
    {"PUT /api/v1/groups/{id}/members/{userId}",               "DD DD DD AA DD"},
    {"DELETE /api/v1/groups/{id}/members/{userId}",            "DD DD DD AA DD"},
    // State licensing (issue 22): no patient, so own and other are the same. Admins keep every
    // provider's NPI and licenses, verify them and list those expiring; a provider reads their
    // own licenses (the recipe asks for the fixture's provider: the nurse asking for them is
    // refused) and providers and nurses read their own at /me; patients and the front desk
    // none (the front desk books through scheduling, which runs the check itself).
    {"GET /api/v1/providers/{id}/licenses",                    "DD AA DD AA DD"},
    {"GET /api/v1/me/licenses",                                "DD AA AA AA DD"},
    {"POST /api/v1/providers/{id}/licenses",                   "DD DD DD AA DD"},
    {"PUT /api/v1/providers/{id}/licenses/{licenseId}",        "DD DD DD AA DD"},
    {"DELETE /api/v1/providers/{id}/licenses/{licenseId}",     "DD DD DD AA DD"},
    {"PUT /api/v1/providers/{id}/npi",                         "DD DD DD AA DD"},
    {"POST /api/v1/providers/{id}/licenses/verify",            "DD DD DD AA DD"},
    {"GET /api/v1/licenses/expiring",                          "DD DD DD AA DD"},
    // Scheduling (issue 22, docs/scheduling.md): appointment types and free slots are no PHI,
    // read by everyone signed in; admins edit the types. A provider sets up their own schedule
    // (zone, buffer, weekly hours, exceptions), admins anyone's; staff read schedules and a
    // provider's day (with patient names: a provider their own). A patient books, moves,
    // cancels and wait-lists for themself; clinicians for their care team (others in an
    // emergency); the front desk and admins for every patient. No-shows are marked by staff.
    {"GET /api/v1/appointment-types",                          "AA AA AA AA AA"},
    {"POST /api/v1/appointment-types",                         "DD DD DD AA DD"},
    {"PUT /api/v1/appointment-types/{id}",                     "DD DD DD AA DD"},
    {"GET /api/v1/schedule/providers",                         "AA AA AA AA AA"},
    {"GET /api/v1/slots",                                      "AA AA AA AA AA"},
    {"GET /api/v1/providers/{id}/schedule",                    "DD AA AA AA AA"},
    {"PUT /api/v1/providers/{id}/schedule",                    "DD AA DD AA DD"},
    {"POST /api/v1/providers/{id}/schedule/exceptions",        "DD AA DD AA DD"},
    {"DELETE /api/v1/providers/{id}/schedule/exceptions/{exceptionId}", "DD AA DD AA DD"},
    {"GET /api/v1/providers/{id}/appointments",                "DD AA AA AA AA"},
    // A provider's calendar feed (its secret URL and the names opt-in): the provider their own,
    // admins for them, as the schedule's set-up; nobody else.
    {"GET /api/v1/providers/{id}/calendar-feed",               "DD AA DD AA DD"},
    {"POST /api/v1/providers/{id}/calendar-feed",              "DD AA DD AA DD"},
    {"DELETE /api/v1/providers/{id}/calendar-feed",            "DD AA DD AA DD"},
    {"PUT /api/v1/providers/{id}/calendar-feed/settings",      "DD AA DD AA DD"},
    {"POST /api/v1/patients/{id}/appointments",                "AD AG AG AA AA"},
    {"GET /api/v1/patients/{id}/appointments",                 "AD AG AG AA AA"},
    {"POST /api/v1/appointments/{id}/reschedule",              "AD AG AG AA AA"},
    {"POST /api/v1/appointments/{id}/cancel",                  "AD AG AG AA AA"},
    {"POST /api/v1/appointments/{id}/no-show",                 "DD AG AG AA AA"},
    {"POST /api/v1/patients/{id}/waitlist",                    "AD AG AG AA AA"},
    {"GET /api/v1/patients/{id}/waitlist-offers",              "AD AG AG AA AA"},
    {"POST /api/v1/waitlist-offers/{id}/accept",               "AD AG AG AA AA"},
    // Reminder settings: the patient their own; clinicians their care team's (others in an
    // emergency); the front desk and admins every patient's (they book for them).
    {"GET /api/v1/patients/{id}/reminder-settings",            "AD AG AG AA AA"},
    {"PUT /api/v1/patients/{id}/reminder-settings",            "AD AG AG AA AA"},
    // The on-demand queue (issue 22): only the patient asks to be seen now, follows and
    // cancels their own request (no break-glass: nobody else waits in their place); only
    // providers (who hold the licenses) go on duty, read their queue and start a request,
    // whoever's care team the patient is on (the service checks duty and license).
    {"GET /api/v1/me/duty",                                    "DD AA DD DD DD"},
    {"PUT /api/v1/me/duty",                                    "DD AA DD DD DD"},
    {"GET /api/v1/me/ondemand-queue",                          "DD AA DD DD DD"},
    {"POST /api/v1/ondemand-requests/{id}/start",              "DD AA DD DD DD"},
    {"POST /api/v1/patients/{id}/ondemand-requests",           "AD DD DD DD DD"},
    {"GET /api/v1/patients/{id}/ondemand-requests/current",    "AD DD DD DD DD"},
    {"POST /api/v1/ondemand-requests/{id}/cancel",             "AD DD DD DD DD"},
    // Clinical notes (issue 23): clinicians on the care team (others in an emergency) read,
    // write and amend; providers sign and refer, nurses submit for co-signature (a provider's
    // submit is a workflow error, 409, not a denial); co-signing needs a provider of the care
    // team, emergency access or not. Admins edit the templates and read no note; patients read
    // only the visit summaries of their own signed notes; the front desk nothing clinical.
    {"GET /api/v1/note-templates",                             "DD AA AA AA DD"},
    {"POST /api/v1/note-templates",                            "DD DD DD AA DD"},
    {"GET /api/v1/cosign-queue",                               "DD AA DD DD DD"},
    // The worklist (issue 23): a provider's or nurse's own work; nobody else has one.
    {"GET /api/v1/worklist",                                   "DD AA AA DD DD"},
    {"GET /api/v1/worklist/counts",                            "DD AA AA DD DD"},
    {"GET /api/v1/patients/{id}/notes",                        "DD AG AG DD DD"},
    {"POST /api/v1/patients/{id}/notes",                       "DD AG AG DD DD"},
    {"GET /api/v1/patients/{id}/notes/{noteId}",               "DD AG AG DD DD"},
    {"GET /api/v1/patients/{id}/notes/{noteId}/versions",      "DD AG AG DD DD"},
    {"PUT /api/v1/patients/{id}/notes/{noteId}",               "DD AG AG DD DD"},
    {"POST /api/v1/patients/{id}/notes/{noteId}/sign",         "DD AG DD DD DD"},
    {"POST /api/v1/patients/{id}/notes/{noteId}/submit",       "DD AG AG DD DD"},
    {"POST /api/v1/patients/{id}/notes/{noteId}/cosign",       "DD AD DD DD DD"},
    {"POST /api/v1/patients/{id}/notes/{noteId}/addenda",      "DD AG AG DD DD"},
    {"POST /api/v1/patients/{id}/notes/{noteId}/referrals",    "DD AG DD DD DD"},
    // Async care (issue 23): the patient opens cases about themself (/me) and adds photos to
    // their own; the patient and the care team (others in an emergency) read a case, its
    // photos, and write messages; clinicians ask for photos or a visit and close it; the queue
    // and counts are the clinicians' own (their care team). Admins and the front desk: nothing.
    // "own" below is a case of patient A, "other" one of patient B.
    {"GET /api/v1/me/cases",                                   "AA DD DD DD DD"},
    // Patient satisfaction (issue 30): only the patient lists the surveys due to them and
    // answers one about their own visit ("own": a visit of patient A, "other": of patient B;
    // the visit has not ended, so the patient's own answer is refused by the due rule, 409,
    // after the access is allowed). Staff, admins and the front desk: nothing.
    {"GET /api/v1/surveys/pending",                            "AA DD DD DD DD"},
    {"POST /api/v1/visits/{id}/survey",                        "AD DD DD DD DD"},
    {"POST /api/v1/me/cases",                                  "AA DD DD DD DD"},
    {"GET /api/v1/patients/{id}/cases",                        "AD AG AG DD DD"},
    {"GET /api/v1/cases",                                      "DD AA AA DD DD"},
    {"GET /api/v1/case-counts",                                "DD AA AA DD DD"},
    {"GET /api/v1/cases/{caseId}",                             "AD AG AG DD DD"},
    {"POST /api/v1/cases/{caseId}/photos",                     "AD DD DD DD DD"},
    {"GET /api/v1/cases/{caseId}/photos/{photoId}",            "AD AG AG DD DD"},
    {"POST /api/v1/cases/{caseId}/messages",                   "AD AG AG DD DD"},
    {"POST /api/v1/cases/{caseId}/request-photos",             "DD AG AG DD DD"},
    {"POST /api/v1/cases/{caseId}/book-visit",                 "DD AG AG DD DD"},
    {"POST /api/v1/cases/{caseId}/close",                      "DD AG AG DD DD"},
    {"GET /api/v1/patients/{id}/referrals",                    "DD AG AG DD DD"},
    {"GET /api/v1/patients/{id}/referrals/{referralId}/letter", "DD AG AG DD DD"},
    {"GET /api/v1/patients/{id}/visit-summaries",              "AD AG AG DD DD"},
    {"GET /api/v1/me/visit-summaries",                         "AA DD DD DD DD"},
    // RPM billing (issue 24): the care team's providers and nurses keep the minutes ledger
    // (others in an emergency); providers and admins read the month's review, the claims and
    // the fee schedule (providers: their care team's patients); providers approve (care team,
    // step-up; a visit's patient is checked by the service); admins set the fees.
    {"GET /api/v1/patients/{id}/billing-time",                 "DD AG AG DD DD"},
    {"POST /api/v1/patients/{id}/billing-time/timer/start",    "DD AG AG DD DD"},
    {"POST /api/v1/patients/{id}/billing-time/timer/stop",     "DD AG AG DD DD"},
    {"POST /api/v1/patients/{id}/billing-time",                "DD AG AG DD DD"},
    {"PUT /api/v1/patients/{id}/billing-time/{entryId}",       "DD AG AG DD DD"},
    {"DELETE /api/v1/patients/{id}/billing-time/{entryId}",    "DD AG AG DD DD"},
    {"GET /api/v1/billing/review",                             "DD AA DD AA DD"},
    {"POST /api/v1/billing/patients/{id}/approve",             "DD AG DD DD DD"},
    {"POST /api/v1/billing/visits/{visitId}/approve",          "DD AA DD DD DD"},
    {"GET /api/v1/billing/claims",                             "DD AA DD AA DD"},
    {"GET /api/v1/billing/claims/{id}",                        "DD AA DD AA DD"},
    {"POST /api/v1/billing/claims/submit",                     "DD DD DD AA DD"},
    {"GET /api/v1/billing/reports/claims",                     "DD AA DD AA DD"},
    {"GET /api/v1/billing/fee-schedule",                       "DD AA DD AA DD"},
    {"PUT /api/v1/billing/fee-schedule/{code}",                "DD DD DD AA DD"},
    // E-prescribing (issue 25, docs/prescribing.md; MISSION.md: providers prescribe, patients
    // read their own prescriptions). Providers on the care team (others in an emergency, as
    // for the other clinical writes) open the entry's pre-checks and warnings, write, discard,
    // sign and cancel (only their own prescription: the fixture's drafts are the provider's);
    // nurses read the care team's prescriptions (others in an emergency); admins read every
    // patient's (MISSION: admins all) but prescribe nothing; the patient reads their own
    // (their drafts are hidden: 404) and /me is theirs alone; the front desk nothing. The
    // signing log is the prescriber's own. The drug list and the state rules are no PHI: read
    // by whoever reads prescriptions; admins change the rules, keep DEA registrations and
    // revoke EPCS access. EPCS access is approved by two people, one an admin: admins and
    // providers (a colleague's, never their own); a provider reads their own DEA registrations
    // and EPCS access (the recipe asks for the fixture's provider), admins anyone's.
    {"GET /api/v1/drugs",                                      "AA AA AA AA DD"},
    {"GET /api/v1/me/prescriptions",                           "AA DD DD DD DD"},
    {"GET /api/v1/patients/{id}/prescriptions",                "AD AG AG AA DD"},
    {"GET /api/v1/patients/{id}/prescriptions/precheck",       "DD AG DD DD DD"},
    {"POST /api/v1/patients/{id}/prescriptions/warnings",      "DD AG DD DD DD"},
    {"POST /api/v1/patients/{id}/prescriptions",               "DD AG DD DD DD"},
    {"GET /api/v1/prescriptions/{rxId}",                       "AD AG AG AA DD"},
    {"DELETE /api/v1/prescriptions/{rxId}",                    "DD AG DD DD DD"},
    {"POST /api/v1/prescriptions/{rxId}/sign",                 "DD AG DD DD DD"},
    {"POST /api/v1/prescriptions/{rxId}/cancel",               "DD AG DD DD DD"},
    {"GET /api/v1/me/signing-log",                             "DD AA DD DD DD"},
    {"GET /api/v1/rx-rules",                                   "AA AA AA AA DD"},
    {"PUT /api/v1/rx-rules/{state}/{schedule}",                "DD DD DD AA DD"},
    {"GET /api/v1/providers/{id}/dea",                         "DD AA DD AA DD"},
    {"PUT /api/v1/providers/{id}/dea/{state}",                 "DD DD DD AA DD"},
    {"DELETE /api/v1/providers/{id}/dea/{state}",              "DD DD DD AA DD"},
    {"GET /api/v1/providers/{id}/epcs",                        "DD AA DD AA DD"},
    {"POST /api/v1/providers/{id}/epcs/approve",               "DD AA DD AA DD"},
    {"DELETE /api/v1/providers/{id}/epcs",                     "DD DD DD AA DD"},
};
// clang-format on

/// An active RPM enrolment of the patient, made through the services as the portal would: the
/// patient signs the RPM consent (once), a device is assigned, a provider enrols (by
/// break-glass outside the care team) for a condition of its own per call.
std::int64_t enrolFresh(ApiFixture& f, patients::ConsentDocument& doc, std::int64_t patient,
                        int serial) {
  if (doc.id == 0)
    doc = f.consents->publish(f.adminActor, {patients::ConsentKind::rpm, "RPM consent",
                                             "I agree to remote monitoring.", false});
  if (!f.consents->hasActiveConsent(patient, patients::ConsentKind::rpm)) {
    auto rec = f.patients->get(patient);
    auto uid = patient == f.patientA
                   ? f.patientUserId
                   : f.user(security::Role::patient,
                            "rpm" + std::to_string(serial) + "@example.org", "Patient", patient);
    f.consents->sign(
        {uid, security::Role::patient, patient}, patient,
        {doc.id, doc.sha256, rec->givenName + " " + rec->familyName, true, "192.0.2.7"});
  }
  auto device =
      f.devices
          ->add({"rpm-" + std::to_string(serial), registry::DeviceKind::blood_pressure, "", "", ""})
          .id;
  f.devices->assign(device, patient);
  auto code = "Z99." + std::to_string(serial % 10000);
  return f.rpm
      ->enrol({f.providerId, security::Role::provider, std::nullopt}, patient,
              {code, "Dependence on enabling machines", {device}, "2027-01-15"}, "matrix set-up")
      .id;
}

// The patient a scheduling object belongs to: patient A (on the provider's care team), or for
// "other" a fresh patient on the care team of a second provider who takes bookings (patient B
// has no care team, so nobody can be booked for B).
#ifdef VIGIL_WITH_SCHEDULING
struct Scheduled {
  std::int64_t patient = 0;
  std::int64_t provider = 0;
};

Scheduled scheduledPatient(ApiFixture& f, bool own, int serial) {
  if (own) return {f.patientA, f.providerId};
  auto& cal = f.secondScheduler;
  if (cal == 0) {
    cal = f.user(security::Role::provider, "dr.cal@clinic.example", "Dr. Cal");
    f.takeBookingsAllWeek(cal);
  }
  auto p = f.patients->create(
      {0, "MRN-S" + std::to_string(serial), "Sol", "Other", "1970-01-01", "UTC", "", {}, true});
  f.accounts->assignCareTeam(f.adminActor, cal, p);
  return {p, cal};
}

/// A fresh waiting on-demand request of the patient (the one before it cancelled). Written in
/// SQL here: asking through the service needs the patient's own signed telehealth consent,
/// which would change what the visit routes answer for patient A.
std::int64_t waitingOnDemandRequest(ApiFixture& f, std::int64_t patient, int serial) {
  return f.db->writeSync([&](store::Connection& c) {
    c.execute(
        "UPDATE ondemand_requests SET state = 'cancelled' WHERE patient_id = ?1 AND "
        "state = 'waiting'",
        patient);
    c.execute(
        "INSERT INTO ondemand_requests (patient_id, reason, patient_state, requested_by, "
        "requested_at) VALUES (?1, 'other', 'IL', ?2, ?3)",
        patient, f.adminActor.id, serial);
    return c.lastInsertRowid();
  });
}

/// Fills the scheduling objects a route's call needs, through the service as the portal would.
void scheduleContext(ApiFixture& f, const std::string& key, bool own, Ctx& ctx, int& serial) {
  ctx.appointmentType = f.visitType.id;
  auto when = [](int n) { return *core::parseRfc3339(slotAt(n)); };
  if (key.find("/api/v1/appointments/{id}") != std::string::npos) {
    auto who = scheduledPatient(f, own, ++serial);
    ctx.appointment =
        f.scheduling
            ->book(f.adminActor, {who.patient, who.provider, f.visitType.id, when(++serial)})
            .id;
  }
  if (key.find("/waitlist-offers/{id}") != std::string::npos) {
    auto who = scheduledPatient(f, own, ++serial);
    // Somebody else's booking is cancelled; the patient waiting for that time gets the offer.
    auto other = f.patients->create(
        {0, "MRN-W" + std::to_string(++serial), "Wes", "Wait", "1970-01-01", "UTC", "", {}, true});
    f.accounts->assignCareTeam(f.adminActor, who.provider, other);
    const auto t = when(++serial);
    auto booked = f.scheduling->book(f.adminActor, {other, who.provider, f.visitType.id, t});
    f.scheduling->joinWaitlist(
        f.adminActor, {who.patient, who.provider, f.visitType.id, t, t + std::chrono::minutes(30)});
    f.scheduling->cancel(f.adminActor, booked.id, scheduling::CancelReason::clinicClosed, "");
    for (const auto& o : f.scheduling->offers(f.adminActor, who.patient))
      if (o.startsAt == t) ctx.offer = o.id;
  }
  if (key.find("{exceptionId}") != std::string::npos) {
    const auto day = std::chrono::local_days{std::chrono::year{2032} / 1 / 1} +
                     std::chrono::days(++serial % 300);
    ctx.exception = f.scheduling->addException(
        f.adminActor,
        {0, f.providerId, std::chrono::local_seconds{day},
         std::chrono::local_seconds{day + std::chrono::days(1)}, scheduling::ExceptionKind::leave});
  }
}
#endif

/// The patient's notes for the note routes, made through the service (by emergency access
/// outside the care team): a draft written by the caller when a clinician (only the author
/// edits, signs or submits it), else by the provider; a signed note; a nurse's note waiting for
/// a co-signature; a referral from the signed note.
void notesFor(ApiFixture& f, Ctx& ctx, Role role, std::int64_t uid) {
  const std::string why = "matrix set-up";
  const security::Actor provider{f.providerId, Role::provider, std::nullopt};
  const security::Actor nurse{f.nurseId, Role::nurse, std::nullopt};
  const bool clinician = role == Role::provider || role == Role::nurse;
  const security::Actor author = clinician ? security::Actor{uid, role, std::nullopt} : provider;
  const auto tpl = f.notes->templates(provider).at(0).id;
  const notes::Encounter e{notes::EncounterKind::phone_call, "2026-11-30"};
  ctx.note = f.notes->create(author, ctx.patient, e, tpl, why).id;
  auto s = f.notes->create(provider, ctx.patient, e, tpl, why);
  s = f.notes->update(provider, ctx.patient, s.id, s.version, {"S", "O", "A", "P"}, why);
  ctx.signedNote = f.notes->sign(provider, ctx.patient, s.id, s.version, why).id;
  auto n = f.notes->create(nurse, ctx.patient, e, tpl, why);
  ctx.pendingNote = f.notes->submit(nurse, ctx.patient, n.id, n.version, why).id;
  ctx.referral =
      f.notes->refer(provider, ctx.patient, ctx.signedNote, {"Dr Rao", "Cardiology", "", "BP"}, why)
          .id;
}

/// What the pre-checks ask before the provider may prescribe (docs/prescribing.md), made as an
/// admin would: the provider's NPI and an active license in OR (a state no licensing recipe
/// uses), and on patients A and B the state OR, an address and a preferred pharmacy.
void rxSetUp(ApiFixture& f) {
  f.licenses->setNpi(f.adminActor, f.providerId, "1234567893");
  licensing::LicenseInput in;
  in.state = "OR";
  in.type = "MD";
  in.number = "MD12345";
  in.expiresOn = *licensing::parseDate("2028-06-30");
  f.licenses->add(f.adminActor, f.providerId, in);
  for (auto patient : {f.patientA, f.patientB}) {
    auto rec = f.records->get(f.adminActor, patient);
    patients::RecordUpdate u;
    u.demographics = rec.demographics;
    u.demographics->state = "OR";
    u.contact = rec.contact;
    u.contact->address = {"12 Elm Street", "", "Portland", "OR", "97201", "US"};
    patients::Pharmacy pharmacy;
    pharmacy.name = "Lakeview Community Pharmacy";
    pharmacy.ncpdpId = "1000001";
    u.pharmacy = pharmacy;
    f.records->update(f.adminActor, patient, u);
  }
}

/// A fresh draft of `drug` for the patient, written by the provider through the service (by
/// emergency access outside the care team); the open ones before it are acknowledged.
std::int64_t rxDraft(ApiFixture& f, std::int64_t patient, std::int64_t drug) {
  const security::Actor provider{f.providerId, Role::provider, std::nullopt};
  rx::PrescriptionInput in;
  in.drugId = drug;
  in.sig = "Take 1 tablet by mouth daily";
  in.quantity = "30";
  in.quantityUnit = "tablet";
  in.daysSupply = 30;
  in.acknowledged = {"duplicate"};
  return f.prescriptions->create(provider, patient, in, "matrix set-up").id;
}

// The patient's browser before they have an account: the invitation's token is the credential;
// a calendar client subscribed to a provider's feed: the feed URL's token is.
const std::set<std::string> kPublicRoutes = {
    "POST /api/v1/auth/login", "POST /api/v1/auth/mfa", "POST /api/v1/invitations/check",
    "POST /api/v1/invitations/accept",
    // A calendar client: the feed's secret token.
    "GET /ical/{feed}",
    // SMART backend services (issue 26): an EHR's
    // token request (its signed assertion is the
    // credential) and SMART discovery (no PHI).
    "POST /fhir/auth/token", "GET /fhir/.well-known/smart-configuration"};

}  // namespace

BOOST_AUTO_TEST_SUITE(ApiAccessMatrix)

BOOST_AUTO_TEST_CASE(every_route_declares_a_policy_and_has_a_recipe) {
  ApiFixture f;
  BOOST_REQUIRE(!f.router->routes().empty());
  for (const auto& r : f.router->routes()) {
    auto key = r.method + " " + r.pattern;
    if (r.access == Access::public_endpoint) {
      BOOST_CHECK_MESSAGE(kPublicRoutes.count(key), key << " is public but not on the list");
      continue;
    }
    BOOST_CHECK_MESSAGE(isDeclaredPermission(r.permission),
                        key << " names no declared permission: " << r.permission);
    if (r.upgrade) continue;  // the WebSocket route is covered by api_session_test
    BOOST_CHECK_MESSAGE(kExpected.count(key), key << " has no expected row in kExpected");
    BOOST_CHECK_MESSAGE(recipes().count(key), key << " has no recipe in the matrix");
    if (!r.patientParam.empty() && r.patientParam != kPatientSelf)
      BOOST_CHECK_MESSAGE(r.pattern.find("{" + r.patientParam + "}") != std::string::npos,
                          key << " names a patient parameter it does not have");
  }
}

BOOST_AUTO_TEST_CASE(router_refuses_an_authenticated_route_without_permission) {
  Router r;
  BOOST_CHECK_THROW(r.add({"GET", "/api/v1/new", Access::authenticated, "",
                           [](Request&) { return Response::text(200, ""); }}),
                    std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(every_role_is_allowed_or_denied_as_the_mission_says) {
  ApiFixture f;
  const std::vector<std::pair<Role, std::int64_t>> users = {{Role::patient, f.patientUserId},
                                                            {Role::provider, f.providerId},
                                                            {Role::nurse, f.nurseId},
                                                            {Role::admin, f.adminActor.id},
                                                            {Role::front_desk, f.frontDeskId}};
  std::map<Role, Client> clients;
  for (const auto& [role, uid] : users) clients[role] = f.signIn(uid);
  auto breakGlassEntries = [&] {
    return f.db
        ->read([](store::Connection& c) {
          return c.queryValue<std::int64_t>("SELECT count(*) FROM audit_log WHERE break_glass = 1");
        })
        .value_or(0);
  };

  int serial = 0, checked = 0;
  patients::ConsentDocument rpmConsent;      // published by the first enrolFresh
  std::int64_t rxDrug = 0, rxColleague = 0;  // made by the first e-prescribing route
  for (const auto& route : f.router->routes()) {
    if (route.access != Access::authenticated || route.upgrade) continue;
    auto key = route.method + " " + route.pattern;
    auto recipe = recipes().find(key);
    BOOST_REQUIRE_MESSAGE(recipe != recipes().end(), "no recipe for " << key);
    auto expected = kExpected.find(key);
    BOOST_REQUIRE_MESSAGE(expected != kExpected.end(), "no expected row in kExpected for " << key);
    BOOST_REQUIRE_EQUAL(expected->second.size(), 14u);
    for (std::size_t r = 0; r < users.size(); ++r) {
      auto [role, uid] = users[r];
      for (bool own : {true, false}) {
        char want = expected->second[r * 3 + (own ? 0 : 1)];
        BOOST_REQUIRE_MESSAGE(want == 'A' || want == 'D' || want == 'G', key << ": bad letter");
        for (bool breakGlass : {false, true}) {
          // Every call gets fresh objects so earlier calls (resolve, retire) do not change it.
          Ctx ctx;
          ctx.patient = own ? f.patientA : f.patientB;
          ctx.emergencyPatient = own || key != "POST /api/v1/patients/{id}/emergency-access"
                                     ? ctx.patient
                                     : f.patients->create({0,
                                                           "MRN-E" + std::to_string(serial),
                                                           "Eve",
                                                           "Other",
                                                           "1950-01-01",
                                                           "UTC",
                                                           "",
                                                           {},
                                                           true});
          ctx.alert = f.raise(ctx.patient, 190 + serial % 7);
          ctx.device = f.devices
                           ->add({"m-" + std::to_string(++serial), registry::DeviceKind::heart_rate,
                                  "", "", ""})
                           .id;
          ctx.spareUser = f.spareNurseId;
          ctx.clinician = f.providerId;
          if (key == "DELETE /api/v1/escalation/coverage/{id}") {
            alerts::Coverage cover;
            cover.userId = f.spareNurseId;
            cover.coveredBy = f.nurseId;
            cover.from = f.clock.now();
            cover.until = f.clock.now() + std::chrono::hours(8);
            cover.createdBy = f.adminActor.id;
            ctx.coverage = f.escalation->addCoverage(cover).id;
          }
          if (key.find("/api/v1/sync/") != std::string::npos)
            ctx.syncEntry =
                f.refusedSyncEntry("claims/matrix-" + std::to_string(serial), "invalid_payload");
          ctx.until = "2030-01-01T00:00:00Z";
          ctx.consentDocument = f.telehealth.id;
          ctx.consentSha = f.telehealth.sha256;
          if (key.find("/rpm-enrolments/{enrolmentId}") != std::string::npos)
            ctx.enrolment = enrolFresh(f, rpmConsent, ctx.patient, ++serial);
#ifdef VIGIL_WITH_SCHEDULING
          scheduleContext(f, key, own, ctx, serial);
          if (key.find("/ondemand-requests/{id}") != std::string::npos)
            ctx.onDemandRequest = waitingOnDemandRequest(f, ctx.patient, serial);
#endif
          if (key.find("/notes/") != std::string::npos ||
              key.find("/referrals/") != std::string::npos)
            notesFor(f, ctx, role, uid);
          if (key.find("/api/v1/cases/{caseId}") != std::string::npos) {
            // A fresh case of the patient (opened as that patient) with one photo.
            const security::Actor owner{own ? f.patientUserId : 900000 + serial,
                                        security::Role::patient, ctx.patient};
            ctx.kase = f.cases->open(owner, ctx.patient, "skin", "A rash on my arm.").id;
            ctx.casePhoto = f.cases->addPhoto(owner, ctx.kase, cardPng()).id;
          }
          if (key == "POST /api/v1/visits/{id}/survey") {
            // A video visit of the patient with the provider, scheduled (not ended).
            ctx.visit = f.db->writeSync([&](store::Connection& c) {
              const auto t = core::toMillis(f.clock.now() + std::chrono::hours(1));
              c.execute(
                  "INSERT INTO visits (patient_id, provider_user_id, starts_at, ends_at, "
                  "created_by, created_at) VALUES (?1, ?2, ?3, ?4, ?2, ?3)",
                  ctx.patient, f.providerId, t, t + 1800000);
              return c.lastInsertRowid();
            });
          }
          if (key.find("prescriptions") != std::string::npos && rxDrug == 0) {
            rxSetUp(f);
            rxDrug = f.drugs->search("lisinopril 10", 1).at(0).id;
          }
          ctx.rxDrug = rxDrug;
          if (key.find("{rxId}") != std::string::npos)
            ctx.prescription = rxDraft(f, ctx.patient, rxDrug);
          if (key.find("/epcs") != std::string::npos && rxColleague == 0)
            rxColleague = f.user(Role::provider, "dr.rx@clinic.example", "Dr. Rx");
          ctx.rxColleague = rxColleague;
          if (key.find("/fhir-clients/{id}") != std::string::npos) {
            fhir::FhirClientRegistration reg;
            reg.name = "Matrix EHR";
            reg.jwksUrl = "https://ehr.example/jwks.json";
            reg.scopes = "system/Observation.rs";
            ctx.fhirClient = f.smartClients->registerClient(f.adminActor, reg).id;
          }
          ctx.serial = ++serial;
          if (key.find("/groups/{id}") != std::string::npos) {
            ctx.staffGroup = f.groups->create(f.adminActor, "Matrix group " + id(serial));
            ctx.groupMember = f.nurseId;
            f.groups->addMember(f.adminActor, ctx.staffGroup, ctx.groupMember);
          }
          ctx.provider = f.providerId;
          if (key.find("/licenses/{licenseId}") != std::string::npos) {
            // A fresh WY license per call; what earlier calls made (WY, edited DOs) goes first.
            for (const auto& l : f.licenses->licenses(f.adminActor, f.providerId).licenses)
              if (l.state == "WY" || l.type == "DO")
                f.licenses->remove(f.adminActor, f.providerId, l.id);
            licensing::LicenseInput in;
            in.state = "WY";
            in.type = "MD";
            in.number = "W" + std::to_string(serial);
            in.expiresOn = *licensing::parseDate("2028-06-30");
            ctx.license = f.licenses->add(f.adminActor, f.providerId, in);
          }
          auto call = recipe->second(ctx);
          bool expectAllowed = want == 'A' || (want == 'G' && breakGlass);

          // Routes that end the session get a throwaway one.
          bool endsSession =
              key == "POST /api/v1/auth/logout" || key == "POST /api/v1/auth/password";
          Client client = endsSession ? f.signIn(uid) : clients[role];
          // A sensitive action: the user has just entered their password (and code) again,
          // as the portal asks them to (step-up is tested on its own in api_step_up_test).
          if (const auto* op = security::findOperation(route.permission); op && op->stepUp)
            f.stepUp(client, uid);
          std::map<std::string, std::string> headers;
          if (breakGlass) headers["X-Break-Glass-Reason"] = "patient unresponsive on a call";
          auto glassBefore = breakGlassEntries();
          auto reply = f.request(route.method, call.path, &client, call.body, headers);
          bool denied = reply.status == 403 || reply.status == 401;
          // An own-session route may legitimately answer 401 for a wrong current password.
          if (key == "POST /api/v1/auth/password" && reply.status == 401)
            denied = jsonField(reply.body, "error") != "signin_failed";
          if (key == "POST /api/v1/auth/reauth" && reply.status == 401)
            denied = jsonField(reply.body, "error") != "reauth_failed";
          BOOST_CHECK_MESSAGE(denied != expectAllowed,
                              key << " as " << security::toString(role) << " about "
                                  << (own ? "own" : "other") << " patient"
                                  << (breakGlass ? " with break-glass" : "") << ": got "
                                  << reply.status << " " << reply.body << ", expected "
                                  << (expectAllowed ? "allow" : "deny"));
          BOOST_CHECK_MESSAGE(reply.status < 500, key << " as " << security::toString(role)
                                                      << (breakGlass ? " with break-glass" : "")
                                                      << ": server error " << reply.status);
          if (!expectAllowed)
            BOOST_CHECK_MESSAGE(jsonField(reply.body, "error") == "forbidden",
                                key << " denial answers " << reply.body);
          if (want == 'G' && breakGlass)
            BOOST_CHECK_MESSAGE(
                breakGlassEntries() > glassBefore,
                key << " as " << security::toString(role)
                    << ": emergency access left no break_glass = 1 audit entry (answer "
                    << reply.status << " " << reply.body << ")");
          ++checked;
        }
      }
    }
  }
  BOOST_TEST(checked >= 40 * 16);
}

BOOST_AUTO_TEST_CASE(denials_are_in_the_audit_chain) {
  ApiFixture f;
  auto patient = f.signIn(f.patientUserId);
  auto reply = f.request("GET", "/api/v1/patients/" + std::to_string(f.patientB), &patient);
  BOOST_TEST(reply.status == 403);
  auto found = f.db->read([&](store::Connection& c) {
    return c.queryValue<std::int64_t>(
        "SELECT count(*) FROM audit_log WHERE action = 'patient.get' AND outcome = 'denied' "
        "AND actor_id = ?1 AND patient_id = ?2",
        f.patientUserId, f.patientB);
  });
  BOOST_TEST(found.value_or(0) == 1);
  BOOST_TEST(f.audit->verify(*f.db).ok);
}

BOOST_AUTO_TEST_SUITE_END()
