#include "vigil/fhir/record_export.hpp"

#include <Poco/JSON/Stringifier.h>

#include <map>
#include <sstream>

#include "compartment.hpp"
#include "vigil/fhir/record_html.hpp"
#include "vigil/patients/consent.hpp"
#include "vigil/patients/patient_record.hpp"
#include "vigil/readings/reading_query.hpp"
#include "vigil/security/access_guard.hpp"
#include "vigil/security/accounts.hpp"
#include "vigil/store/database.hpp"

namespace vigil::fhir {

std::string_view toString(ExportFormat format) {
  return format == ExportFormat::fhir ? "fhir" : "html";
}

std::optional<ExportFormat> parseExportFormat(std::string_view name) {
  if (name == "fhir") return ExportFormat::fhir;
  if (name == "html") return ExportFormat::html;
  return std::nullopt;
}

RecordExportService::RecordExportService(store::Database& db, security::AuditLog& audit,
                                         const patients::PatientRecordService& records,
                                         const patients::ConsentService& consents,
                                         const crypto::FieldCipher& cipher, Clock& clock,
                                         registry::PatientRepository* patients)
    : db_(db),
      audit_(audit),
      records_(records),
      consents_(consents),
      cipher_(cipher),
      clock_(clock),
      patients_(patients) {}

PatientRecordData RecordExportService::readIn(store::Connection& c, security::Role role,
                                              std::int64_t patientId, bool withReadings) const {
  using security::Permission;
  PatientRecordData data;
  data.record =
      records_.currentIn(c, patientId, security::roleHas(role, Permission::recordClinicalRead));
  data.readingsIncluded = withReadings && security::roleHas(role, Permission::readingRead);
  if (data.readingsIncluded) {
    // One more than the cap tells whether there were more.
    data.readings = readings::ReadingQuery::patientReadingsIn(c, patientId, kMaxExportReadings + 1);
    if (data.readings.size() > kMaxExportReadings) {
      data.readingsTruncated = true;
      data.readings.erase(data.readings.begin());  // the oldest
    }
  }
  data.consentsIncluded = security::roleHas(role, Permission::consentRead);
  if (data.consentsIncluded) {
    data.signatures = consents_.signaturesIn(c, patientId);
    for (const auto& s : data.signatures)
      if (!data.documents.count(s.documentId))
        if (auto doc = patients::ConsentService::documentIn(c, s.documentId))
          data.documents.emplace(s.documentId, std::move(*doc));
  }
  data.visitsIncluded = security::roleHas(role, Permission::visitRead);
  if (data.visitsIncluded) {
    std::map<std::int64_t, std::string> names;  // one decryption per clinician
    for (auto& v : video::VisitService::forPatientIn(c, patientId)) {
      auto [it, fresh] = names.try_emplace(v.providerUserId);
      if (fresh)
        if (auto u = security::AccountService::findUserIn(c, cipher_, v.providerUserId))
          it->second = u->displayName;
      data.visits.push_back({std::move(v), it->second});
    }
  }
  // Signed notes: clinicians read the whole note (noteRead); the patient reads what the portal's
  // visit summaries show (visitSummaryRead: assessment, plan, addenda); admins read no note.
  const bool fullNotes = security::roleHas(role, Permission::noteRead);
  data.notesIncluded = fullNotes || security::roleHas(role, Permission::visitSummaryRead);
  if (data.notesIncluded) {
    std::map<std::int64_t, std::string> names;  // one decryption per clinician
    auto nameOf = [&](std::int64_t id) {
      auto [it, fresh] = names.try_emplace(id);
      if (fresh)
        if (auto u = security::AccountService::findUserIn(c, cipher_, id))
          it->second = u->displayName;
      return it->second;
    };
    for (auto& n : notes::NoteService::signedNotesIn(c, cipher_, patientId)) {
      NoteData d;
      d.signerName = n.signedBy ? nameOf(*n.signedBy) : std::string();
      d.cosignerName = n.cosignedBy ? nameOf(*n.cosignedBy) : std::string();
      for (const auto& a : n.addenda) d.addendumAuthors.push_back(nameOf(a.authorId));
      d.summaryOnly = !fullNotes;
      if (d.summaryOnly) n.soap.subjective.clear(), n.soap.objective.clear();
      d.note = std::move(n);
      data.notes.push_back(std::move(d));
    }
  }
  return data;
}

RecordExport RecordExportService::exportRecord(const security::Actor& actor, std::int64_t patientId,
                                               ExportFormat format,
                                               std::string_view breakGlassReason,
                                               std::string_view fhirBase) {
  const auto now = clock_.now();
  const auto reason = db_.read([&](store::Connection& c) {
    return security::AccessGuard::breakGlassReasonIn(c, actor, patientId, breakGlassReason, now);
  });
  security::AccessGuard guard(db_, audit_);
  struct Read {
    PatientRecordData data;
    std::vector<FhirServer::Item> items;  // fhir: $everything's resources
  };
  auto read = guard.read(
      actor, security::operation("patient_record.export"), patientId,
      {"patient_record_export", std::string(toString(format))},
      [&](store::Connection& c) {
        Read r;
        r.data = readIn(c, actor.role, patientId);
        if (format == ExportFormat::fhir)
          r.items =
              server::everythingIn(c, {*this, cipher_, patients_}, patientId, actor.role, r.data);
        return r;
      },
      reason);
  RecordExport out;
  out.format = format;
  out.generatedAt = now;
  if (format == ExportFormat::fhir) {
    std::ostringstream s;
    std::vector<BundleEntry> entries;
    for (const auto& item : read.items)
      entries.push_back({fhirBase.empty() ? "urn:uuid:" + newUuid()
                                          : std::string(fhirBase) + "/" + item.type + "/" + item.id,
                         item.resource});
    Poco::JSON::Stringifier::stringify(collectionBundle(newUuid(), now, entries), s);
    out.body = s.str();
    out.contentType = "application/fhir+json";
  } else {
    out.body = recordHtml(read.data, now);
    out.contentType = "text/html; charset=utf-8";
  }
  return out;
}

}  // namespace vigil::fhir
