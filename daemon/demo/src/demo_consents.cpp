// The demo clinic's consent documents (issue 21): the four kinds, published once by the demo
// admin, and the demo patient's signatures of the telehealth and RPM consents (as the patient,
// through patients::ConsentService like the portal's sign form), so the README demo's video
// visit opens without asking. Short, plain texts a small practice could start from; they are
// examples, not legal advice.

#include "demo_consents.hpp"

#include "vigil/core/clock.hpp"
#include "vigil/patients/consent.hpp"
#include "vigil/registry/registry.hpp"
#include "vigil/security/accounts.hpp"
#include "vigil/security/keys.hpp"

namespace vigil::demo {
namespace {

using patients::ConsentKind;

struct DemoDocument {
  ConsentKind kind;
  const char* title;
  const char* body;
};

constexpr DemoDocument kDocuments[] = {
    {ConsentKind::telehealth, "Consent to telehealth visits",
     "# Consent to telehealth visits\n\n"
     "I agree to receive care from this clinic by live video and audio (a telehealth visit).\n\n"
     "- The visit runs on the clinic's own server; video and audio are encrypted in transit "
     "and do not pass through an outside video company.\n"
     "- My provider may decide that a telehealth visit is not right for my problem and ask me "
     "to come in person.\n"
     "- If the connection fails, the clinic will try to reach me by phone.\n"
     "- Telehealth visits are billed like office visits; my insurance may apply its usual "
     "co-payment.\n"
     "- A visit is recorded only if every participant agrees at the start of that visit "
     "(see the recording policy).\n"
     "- In an emergency I call 911 rather than use telehealth.\n\n"
     "I can withdraw this consent at any time in the portal; this does not affect care "
     "already given.\n"},
    {ConsentKind::rpm, "Consent to remote patient monitoring",
     "# Consent to remote patient monitoring (RPM)\n\n"
     "I agree that the devices the clinic gives me (such as a blood-pressure cuff, scale or "
     "pulse oximeter) send my readings to the clinic automatically.\n\n"
     "- My care team reviews readings during office hours. RPM is not an emergency service: "
     "if I feel very unwell I call 911.\n"
     "- Only one practitioner may bill RPM for me in a 30-day period, and my insurance may "
     "charge a co-payment for RPM services.\n"
     "- I keep the devices in working order and return them when monitoring ends.\n\n"
     "I can withdraw this consent at any time in the portal; monitoring and billing for it "
     "then stop.\n"},
    {ConsentKind::privacyNotice, "Notice of privacy practices (summary)",
     "# Notice of privacy practices (summary)\n\n"
     "This summarises how the clinic may use and share your health information under HIPAA. "
     "Ask the front desk for the full notice.\n\n"
     "- **Treatment, payment and operations:** we use and share your information to treat "
     "you, to be paid for your care and to run the practice.\n"
     "- **When the law requires it:** for example public-health reporting, abuse reporting, "
     "or a court order.\n"
     "- **Your rights:** to see and get a copy of your record, to ask for corrections, to ask "
     "us to limit what we share, to get a list of certain disclosures, to choose how we "
     "contact you, and to get a paper copy of this notice.\n"
     "- **Our duties:** we keep your information private and secure, tell you promptly if a "
     "breach affects you, and follow this notice.\n"
     "- **Complaints:** you may complain to the clinic's privacy officer or to the U.S. "
     "Department of Health and Human Services; we will not retaliate.\n"},
    {ConsentKind::recording, "Visit recording policy",
     "# Visit recording policy\n\n"
     "- The clinic records a video visit only when every participant agrees in that visit; "
     "anyone may withdraw during the visit and the recording stops.\n"
     "- Recordings are encrypted on the clinic's server, kept for the period the clinic sets, "
     "and played only by the visit's provider and the practice administrator, each playback "
     "logged.\n"
     "- Participants may not record a visit themselves without everyone's agreement.\n"},
};

}  // namespace

void ensureDemoConsents(const DemoServices& services, const security::Actor& admin,
                        const std::string& patientEmail) {
  auto& clock = SystemClock::instance();
  registry::PatientRepository records(services.db, services.keys.cipher(),
                                      services.keys.blindIndex(), clock);
  patients::ConsentService consents(services.db, services.audit, services.keys.cipher(), records,
                                    clock);
  const auto published = consents.documents(admin);
  for (const auto& d : kDocuments) {
    bool have = false;
    for (const auto& p : published) have = have || p.kind == d.kind;
    if (!have) consents.publish(admin, {d.kind, d.title, d.body, false});
  }
  auto user = services.accounts.findUserByEmail(patientEmail);
  if (!user || !user->patientId) return;
  auto record = records.get(*user->patientId);
  if (!record) return;
  const security::Actor patient{user->id, security::Role::patient, user->patientId};
  for (auto kind : {ConsentKind::telehealth, ConsentKind::rpm}) {
    if (consents.hasActiveConsent(*user->patientId, kind)) continue;
    const auto doc = consents.documents(patient);
    for (const auto& d : doc) {
      if (d.kind != kind) continue;  // newest version of the kind comes first
      consents.sign(
          patient, *user->patientId,
          {d.id, d.sha256, record->givenName + " " + record->familyName, true, "127.0.0.1"});
      break;
    }
  }
}

}  // namespace vigil::demo
