#include "vigil/security/encrypted_fields.hpp"

#include <cassert>

namespace vigil::security {
namespace {

using C = FieldCategory;

// Tables that later features create are listed now, so their columns are encrypted from the
// first row. Add new PHI columns here (and to docs/security.md).
constexpr EncryptedField kFields[] = {
    // Accounts (this issue)
    {"users", "email", C::contact, true},
    {"users", "display_name", C::identifier, false},
    {"users", "phone", C::contact, false},
    {"user_mfa", "totp_secret", C::secret, false, "user_id"},
    // Patients
    {"patients", "mrn", C::identifier, true},
    {"patients", "given_name", C::identifier, false},
    {"patients", "family_name", C::identifier, false},
    {"patients", "birth_date", C::identifier, false},
    {"patients", "email", C::contact, true},
    {"patients", "phone", C::contact, false},
    {"patients", "address", C::contact, false},
    {"patients", "insurance_id", C::identifier, false},
    // Clinical free text
    {"notes", "body", C::freeText, false},
    {"messages", "body", C::freeText, false},
    {"alerts", "comment", C::freeText, false},
    {"prescriptions", "instructions", C::freeText, false},
    {"visits", "reason", C::freeText, false},
    {"visit_messages", "text", C::freeText, false},
    {"visit_documents", "content", C::document, false},
    {"visit_documents", "file_name", C::freeText, false},
    // Documents, images, recordings (content and original file name)
    {"documents", "content", C::document, false},
    {"documents", "file_name", C::freeText, false},
    {"images", "content", C::image, false},
    {"recordings", "content", C::recording, false},
    // Break-glass justifications (typed by clinicians) next to their audit entries
    {"audit_justifications", "text", C::freeText, false, "seq"},
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

const EncryptedField& encryptedField(std::string_view table, std::string_view column) {
  const EncryptedField* f = findEncryptedField(table, column);
  assert(f != nullptr && "column missing from encrypted_fields.cpp");
  return *f;
}

}  // namespace vigil::security
