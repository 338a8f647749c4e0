#pragma once
// THE list of encrypted fields: every column holding PHI or a secret is here, with its
// category, and whether a blind index makes it searchable by exact value. Repositories call
// fieldFor() for the columns they write, so a column missing from this list fails loudly in
// tests instead of being stored in clear. docs/security.md mirrors this table; a test checks
// that every entry appears there.

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::store {
class Connection;
}

namespace vigil::security {

/// Why a field is encrypted.
enum class FieldCategory { identifier, contact, freeText, document, image, recording, secret };
std::string_view toString(FieldCategory category);

/// One encrypted column.
struct EncryptedField {
  std::string_view table;
  std::string_view column;
  FieldCategory category;
  bool blindIndexed;  // a "<column>_bidx" column holds BlindIndex::compute("<table>.<column>")
  std::string_view idColumn = "id";  // the row id in the AAD; stored in column <column>_enc
};

/// Every encrypted column.
std::span<const EncryptedField> encryptedFields();
/// The entry for table.column; nullptr if the column is not encrypted.
const EncryptedField* findEncryptedField(std::string_view table, std::string_view column);
/// The entry for table.column; asserts it is listed.
const EncryptedField& encryptedField(std::string_view table, std::string_view column);

/// "table.column" for every listed field whose <column>_enc or id column the schema lacks.
std::vector<std::string> missingEncryptedColumns(store::Connection& c);
/// Throws StoreError naming them when missingEncryptedColumns() is not empty (start-up).
void checkEncryptedFieldsExist(store::Connection& c);

}  // namespace vigil::security
