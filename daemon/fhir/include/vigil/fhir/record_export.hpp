#pragma once
// The patient's own record download (issue 21, HIPAA right of access): the whole record of one
// patient read in ONE reader snapshot, authorised and audited through security::AccessGuard
// (operation patient_record.export: the patient for their own record; providers on the care
// team, others by break-glass; admins), rendered as a FHIR R4 collection Bundle or a readable
// HTML page. The FHIR download is the FHIR API's $everything (issue 26): the same resources
// with the same ids and references (Patient/<id>, "<patient>-<row>" for the record's
// resources), as the reader's role may see them; its entries' fullUrl is
// `<base>/<Type>/<id>` when the caller knows the API's base URL (the portal's route does),
// else a fresh urn:uuid (the references inside stay the API's relative ones). One audit entry per
// export, its object the format ("patient_record_export", "fhir" or "html"). What a role may not
// read is left out, not refused: the clinical lists only with recordClinicalRead, readings with
// readingRead, signatures with consentRead.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "vigil/core/clock.hpp"
#include "vigil/fhir/bundle.hpp"
#include "vigil/security/access.hpp"

namespace vigil::store {
class Database;
class Connection;
}  // namespace vigil::store
namespace vigil::crypto {
class FieldCipher;
}  // namespace vigil::crypto
namespace vigil::security {
class AuditLog;
}
namespace vigil::registry {
class PatientRepository;
}
namespace vigil::patients {
class PatientRecordService;
class ConsentService;
}  // namespace vigil::patients

namespace vigil::fhir {

enum class ExportFormat { fhir, html };
/// "fhir", "html".
std::string_view toString(ExportFormat format);
std::optional<ExportFormat> parseExportFormat(std::string_view name);

/// The most readings one export carries (the newest ones; the page and the docs say so).
inline constexpr std::size_t kMaxExportReadings = 100000;

/// A rendered export.
struct RecordExport {
  ExportFormat format = ExportFormat::fhir;
  std::string body;
  std::string contentType;  // application/fhir+json, text/html; charset=utf-8
  TimePoint generatedAt;
};

/// Reads, authorises, audits and renders one patient's record.
class RecordExportService {
 public:
  /// `cipher` opens the names of the clinicians who ran the patient's visits.
  RecordExportService(store::Database& db, security::AuditLog& audit,
                      const patients::PatientRecordService& records,
                      const patients::ConsentService& consents, const crypto::FieldCipher& cipher,
                      Clock& clock, registry::PatientRepository* patients = nullptr);

  /// Throws AccessDenied (audited), NotFound (no such patient). `fhirBase`: the FHIR API's
  /// base URL ("https://box.example/fhir") for the entries' fullUrls; empty: urn:uuid.
  RecordExport exportRecord(const security::Actor& actor, std::int64_t patientId,
                            ExportFormat format, std::string_view breakGlassReason = {},
                            std::string_view fhirBase = {});

  /// The record as `role` may see it, read on `c` (no check, no audit); without the readings
  /// when `withReadings` is false (the FHIR API's searches of other resource types).
  PatientRecordData readIn(store::Connection& c, security::Role role, std::int64_t patientId,
                           bool withReadings = true) const;

 private:
  store::Database& db_;
  security::AuditLog& audit_;
  const patients::PatientRecordService& records_;
  const patients::ConsentService& consents_;
  const crypto::FieldCipher& cipher_;
  Clock& clock_;
  registry::PatientRepository* patients_;  // the MRN on the Patient; may be null
};

}  // namespace vigil::fhir
