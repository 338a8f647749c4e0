// The record download (issue 21, HIPAA right of access; docs/patients.md): the patient's own
// record under /api/v1/me, and a patient's for the practice under /api/v1/patients/{id}, as a
// FHIR R4 Bundle (?format=fhir: $everything's resources, fullUrls under the API's base) or a
// readable HTML page (?format=html). The gate authorises patient_record.export on the patient and
// audits the request; fhir::RecordExportService authorises again, reads the record in one snapshot
// and audits the export with its format. The file name carries the patient's id and the date only
// (no name: no PHI in what a browser keeps in its download list).

#include "common.hpp"
#include "vigil/core/time.hpp"
#include "vigil/fhir/record_export.hpp"

namespace vigil::web::api {
namespace {

std::string yyyymmdd(TimePoint t) {
  // formatUtc: "YYYY-MM-DDT..."; the date's digits.
  const auto text = core::formatUtc(t, core::Fraction::millis);
  return text.substr(0, 4) + text.substr(5, 2) + text.substr(8, 2);
}

fhir::ExportFormat formatOf(const Request& req) {
  auto it = req.query.find("format");
  if (it == req.query.end()) throw BadRequest("format: required, fhir or html");
  auto format = fhir::parseExportFormat(it->second);
  if (!format) throw BadRequest("format: must be fhir or html");
  return *format;
}

/// The FHIR API's base URL, as fhir_routes.cpp's baseOf: the download's entries are the
/// API's resources and carry its URLs (issue 26).
std::string fhirBaseOf(const ApiServices& s, const Request& req) {
  if (!s.publicUrl.empty()) return s.publicUrl + "/fhir";
  auto host = req.header("host");
  return std::string(s.secureCookies ? "https://" : "http://") +
         (host.empty() ? std::string("localhost") : host) + "/fhir";
}

Response exportRecord(const ApiServices& s, Request& req, std::int64_t patientId) {
  const auto format = formatOf(req);
  auto out = s.recordExport->exportRecord(*req.actor, patientId, format,
                                          req.header("x-break-glass-reason").substr(0, 200),
                                          fhirBaseOf(s, req));
  Response r;
  r.status = 200;
  r.contentType = out.contentType;
  r.body = std::move(out.body);
  const auto name = "vigil-record-" + std::to_string(patientId) + "-" + yyyymmdd(out.generatedAt) +
                    (format == fhir::ExportFormat::fhir ? ".json" : ".html");
  r.headers.emplace_back("Content-Disposition", "attachment; filename=\"" + name + "\"");
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

}  // namespace

void addRecordExportRoutes(Router& r, const ApiServices& s) {
  r.add(
      {"GET", "/api/v1/patients/{id}/record/export", Access::authenticated, "patient_record.export",
       guarded([&s](Request& req) { return exportRecord(s, req, pathId(req, "id")); }), "", "id"});
  // The patient's own record: the gate lets only an actor with a patient record through.
  r.add({"GET", "/api/v1/me/record/export", Access::authenticated, "patient_record.export",
         guarded([&s](Request& req) { return exportRecord(s, req, *req.actor->patientId); }), "",
         kPatientSelf});
}

}  // namespace vigil::web::api
