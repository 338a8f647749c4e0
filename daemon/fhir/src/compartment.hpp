#pragma once
// A patient's compartment as the FHIR API serves it (issue 26), shared by the API's reads,
// searches and $everything (server.cpp) and the patient's record download (record_export.cpp),
// so the download carries the same resources with the same ids as $everything.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "server_internal.hpp"
#include "vigil/fhir/bundle.hpp"
#include "vigil/security/access.hpp"

namespace vigil::registry {
class PatientRepository;
}

namespace vigil::fhir::server {

/// Where the compartment's resources are read from. `patients` (the MRN on the Patient) may be
/// null: the Patient then carries no identifier.
struct CompartmentSources {
  const RecordExportService& records;
  const crypto::FieldCipher& cipher;
  registry::PatientRepository* patients = nullptr;
};

/// The patient's resources of `type` as `view` may see them: a record type (Encounter, Consent,
/// DocumentReference, Condition, MedicationStatement, AllergyIntolerance, Coverage,
/// MedicationRequest, Flag, Appointment), "Device" (the devices assigned now), or "" for every
/// record type `view` may read (not Patient, Device nor Observation).
std::vector<FhirServer::Item> compartmentIn(store::Connection& c, const CompartmentSources& s,
                                            std::string_view type, std::int64_t patientId,
                                            security::Role view);

/// $everything: the Patient first, the record types, the Devices, then the Observations of
/// `data` (the record read by readIn with its readings, on `c`).
std::vector<FhirServer::Item> everythingIn(store::Connection& c, const CompartmentSources& s,
                                           std::int64_t patientId, security::Role view,
                                           const PatientRecordData& data);

}  // namespace vigil::fhir::server
