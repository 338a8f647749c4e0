#pragma once
// The patient record as JSON: one shape for the API (docs/api.md) and for the two encrypted
// documents a record version stores (administrative and clinical sections), so what a reader
// gets is exactly what was kept. Parsing refuses wrong types and unknown keys with a
// ValidationError naming the field by its JSON path ("insurance.primary.memberId",
// "problems[2].code"), never quoting a value.

#include <Poco/JSON/Object.h>

#include <string>
#include <string_view>

#include "vigil/patients/patient_record.hpp"

namespace vigil::patients {

/// The record as its reader may see it (clinical lists only when clinicalIncluded).
Poco::JSON::Object::Ptr recordToJson(const PatientRecord& record);
/// An update from the API body: each section key present replaces that section; "baseVersion"
/// optional. Types and known keys are checked here, values by validate().
RecordUpdate recordUpdateFromJson(const Poco::JSON::Object::Ptr& body);

/// The stored documents (compact JSON) and back. Reading fills only that document's sections.
std::string administrativeDocument(const PatientRecord& record);
std::string clinicalDocument(const PatientRecord& record);
void readAdministrativeDocument(std::string_view json, PatientRecord& into);
void readClinicalDocument(std::string_view json, PatientRecord& into);

}  // namespace vigil::patients
