// The demo's prescription (issue 25). The clinical content is fictional: Rosa Alvarez's
// lisinopril, which her record lists and her visit note continues, renewed for 90 days to her
// pharmacy (the stand-in's NCPDP 1000001). The renewal raises the duplicate-therapy warning (the
// same drug is on her medication list); Dr. Lee's acknowledgement is part of the entry, as in
// the portal.

#include "vigil/demo/demo_rx.hpp"

#include <string>

#include "vigil/core/clock.hpp"
#include "vigil/core/log.hpp"
#include "vigil/patients/patient_record.hpp"
#include "vigil/registry/registry.hpp"
#include "vigil/rx/drugs.hpp"
#include "vigil/rx/prescriptions.hpp"
#include "vigil/security/accounts.hpp"
#include "vigil/security/keys.hpp"
#include "vigil/sync/link.hpp"

namespace vigil::demo {

bool ensureDemoPrescription(const DemoServices& services, sync::Link& link) {
  if (!link.enrolled()) return false;
  auto doctor = services.accounts.findUserByEmail("dr.lee@demo.vigil");
  auto rosa = services.accounts.findUserByEmail("rosa.alvarez@demo.vigil");
  if (!doctor || !rosa || !rosa->patientId) return false;
  const auto patientId = *rosa->patientId;
  const security::Actor provider{doctor->id, security::Role::provider, {}};
  auto& clock = SystemClock::instance();
  registry::PatientRepository registry(services.db, services.keys.cipher(),
                                       services.keys.blindIndex(), clock);
  patients::PatientRecordService records(services.db, services.audit, services.keys.cipher(),
                                         registry, clock);
  rx::PrescriptionService prescriptions(services.db, services.audit, services.keys.cipher(),
                                        records, services.accounts, &link, clock);
  if (!prescriptions.list(provider, patientId).empty()) return true;  // seeded already

  rx::DrugCatalog drugs(services.db);
  drugs.loadStarterList();
  std::int64_t drugId = 0;
  for (const auto& d : drugs.search("lisinopril 20"))
    if (d.name == "lisinopril 20 MG Oral Tablet") drugId = d.id;
  if (drugId == 0) throw ValidationError("demo: lisinopril 20 mg is not on the starter list");

  rx::PrescriptionInput in;
  in.drugId = drugId;
  in.sig = "Take 1 tablet by mouth once daily.";
  in.quantity = "90";
  in.quantityUnit = "tablet";
  in.daysSupply = 90;
  in.refills = 1;
  in.note = "Renewal; dose unchanged since the last visit.";
  for (const auto& w : prescriptions.warnings(provider, patientId, in))
    in.acknowledged.push_back(w.kind);
  auto draft = prescriptions.create(provider, patientId, in);
  auto signedRx = prescriptions.sign(provider, draft.id, std::nullopt);
  log::info("demo.prescription_sent", {{"prescription", signedRx.id}});
  return true;
}

}  // namespace vigil::demo
