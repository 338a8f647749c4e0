#include "vigil/security/encrypted_fields.hpp"

#include <cassert>

#include "vigil/core/error.hpp"
#include "vigil/store/sqlite.hpp"

namespace vigil::security {
namespace {

using C = FieldCategory;

// Only columns that exist: start-up refuses a listed column the schema lacks
// (checkEncryptedFieldsExist), so a feature adds its rows here in the commit that creates its
// table. Add new PHI columns here (and to docs/security.md).
constexpr EncryptedField kFields[] = {
    // Accounts
    {"users", "email", C::contact, true},
    {"users", "display_name", C::identifier, false},
    {"user_mfa", "totp_secret", C::secret, false, "user_id"},
    // Patients
    {"patients", "mrn", C::identifier, true},
    {"patients", "given_name", C::identifier, true},
    {"patients", "family_name", C::identifier, true},
    {"patients", "birth_date", C::identifier, true},
    // The patient record (issue 21): each version's administrative sections (contact, language,
    // emergency contact, insurance, pharmacy, demographics) and clinical ones (problems,
    // medications, allergies), one JSON document each
    {"patient_record_versions", "administrative", C::identifier, false},
    {"patient_record_versions", "clinical", C::freeText, false},
    // Clinical free text typed next to alerts and on-call covers
    {"alerts", "resolution_note", C::freeText, false},
    {"alert_events", "note", C::freeText, false},
    {"alert_suppressions", "reason", C::freeText, false},
    {"alert_rules", "reason", C::freeText, false, "version"},
    {"oncall_coverage", "note", C::freeText, false},
    // Video visits: chat and shared documents (content and original file name)
    {"visit_messages", "text", C::freeText, false},
    {"visit_documents", "content", C::document, false},
    {"visit_documents", "file_name", C::freeText, false},
    // Break-glass justifications (typed by clinicians) next to their audit entries
    {"audit_justifications", "text", C::freeText, false, "seq"},
    // Consent signatures (issue 21): the name the patient typed and the signer's IP address
    {"consents", "typed_name", C::identifier, false},
    {"consents", "signer_ip", C::identifier, false},
    // RPM enrolment (issue 21): the condition's description as the provider typed it
    {"rpm_enrolments", "description", C::freeText, false},
    {"patient_invitations", "email", C::contact, false},
    // Insurance card photos (issue 21, intake), metadata stripped before encryption
    {"insurance_card_images", "image", C::document, false},
    // Async care (issue 23): each message's text, each photo (metadata stripped first)
    {"case_messages", "text", C::freeText, false},
    {"case_photos", "image", C::image, false},
    // Patient satisfaction (issue 30): the optional comment of a visit's survey answer
    {"visit_surveys", "comment", C::freeText, false},
    // Scheduling (issue 22): the free text typed with a cancellation
    {"appointments", "cancel_note", C::freeText, false},
    // Clinical notes (issue 23): the SOAP document of each note and of each saved draft
    // version, each addendum's text, each referral (specialist, contact, reason)
    {"notes", "soap", C::freeText, false},
    {"note_versions", "soap", C::freeText, false},
    {"note_addenda", "text", C::freeText, false},
    {"referrals", "letter", C::freeText, false},
    // Device input refused by ingest may hold PHI
    {"quarantine", "payload", C::freeText, false},
};

}  // namespace

std::string_view toString(FieldCategory category) {
  switch (category) {
    case C::identifier:
      return "identifier";
    case C::contact:
      return "contact";
    case C::freeText:
      return "free text";
    case C::document:
      return "document";
    case C::image:
      return "image";
    case C::recording:
      return "recording";
    case C::secret:
      return "secret";
  }
  return "unknown";
}

std::span<const EncryptedField> encryptedFields() {
  return kFields;
}

const EncryptedField* findEncryptedField(std::string_view table, std::string_view column) {
  for (const auto& f : kFields)
    if (f.table == table && f.column == column) return &f;
  return nullptr;
}

std::vector<std::string> missingEncryptedColumns(store::Connection& c) {
  std::vector<std::string> missing;
  for (const auto& f : kFields) {
    for (const auto& column : {std::string(f.column) + "_enc", std::string(f.idColumn)}) {
      auto& q = c.cached("SELECT count(*) FROM pragma_table_info(?1) WHERE name = ?2");
      q.bindAll(std::string(f.table), column);
      q.step();
      const bool present = q.get<std::int64_t>(0) > 0;
      q.reset();
      if (!present) missing.push_back(std::string(f.table) + "." + column);
    }
  }
  return missing;
}

void checkEncryptedFieldsExist(store::Connection& c) {
  auto missing = missingEncryptedColumns(c);
  if (missing.empty()) return;
  std::string list;
  for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
  throw StoreError("encrypted fields: the schema lacks " + list +
                   " (security/encrypted_fields.cpp lists a column no migration creates)");
}

const EncryptedField& encryptedField(std::string_view table, std::string_view column) {
  const EncryptedField* f = findEncryptedField(table, column);
  assert(f != nullptr && "column missing from encrypted_fields.cpp");
  return *f;
}

}  // namespace vigil::security
