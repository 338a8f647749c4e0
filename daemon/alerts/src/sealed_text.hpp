#pragma once
// Free text a person types next to an alert or an on-call cover (notes, reasons) is PHI: it is
// stored only field-encrypted, in <column>_enc (security/encrypted_fields.cpp lists each), with
// the row id in the AAD; the plaintext column of an older schema is written empty.

#include <cstdint>
#include <optional>
#include <string>

#include "vigil/crypto/field_cipher.hpp"
#include "vigil/store/sqlite.hpp"

namespace vigil::alerts::detail {

/// The ciphertext of `text` for table.column of row `id`; nullopt for empty text.
inline std::optional<store::Blob> sealText(const crypto::FieldCipher& cipher, const char* table,
                                           const char* column, std::int64_t id,
                                           const std::string& text) {
  if (text.empty()) return std::nullopt;
  auto ct = cipher.encrypt({table, column, std::to_string(id)}, text);
  return store::Blob(ct.begin(), ct.end());
}

/// The text of column `col` of `st` (a <column>_enc blob or NULL).
inline std::string openText(const crypto::FieldCipher& cipher, const char* table,
                            const char* column, std::int64_t id, const store::Statement& st,
                            int col) {
  if (st.isNull(col)) return {};
  auto ct = st.getBlob(col);
  return cipher.decryptText({table, column, std::to_string(id)}, ct);
}

/// Sets <column>_enc of row `id` to the sealed text (inside the caller's write job).
inline void storeSealed(store::Connection& c, const crypto::FieldCipher& cipher, const char* table,
                        const char* column, const char* idColumn, std::int64_t id,
                        const std::string& text) {
  c.execute(
      std::string("UPDATE ") + table + " SET " + column + "_enc = ?1 WHERE " + idColumn + " = ?2",
      sealText(cipher, table, column, id, text), id);
}

/// Seals what an older version left in the plaintext column (start-up, once per column):
/// returns how many rows it moved.
inline std::int64_t sealLegacyColumn(store::Connection& c, const crypto::FieldCipher& cipher,
                                     const char* table, const char* column, const char* idColumn) {
  auto sel = c.prepare(std::string("SELECT ") + idColumn + ", " + column + " FROM " + table +
                       " WHERE " + column + " <> ''");
  std::vector<std::pair<std::int64_t, std::string>> rows;
  while (sel.step()) rows.emplace_back(sel.get<std::int64_t>(0), sel.get<std::string>(1));
  for (const auto& [id, text] : rows) {
    c.execute(std::string("UPDATE ") + table + " SET " + column + "_enc = ?1, " + column +
                  " = '' WHERE " + idColumn + " = ?2",
              sealText(cipher, table, column, id, text), id);
  }
  return static_cast<std::int64_t>(rows.size());
}

}  // namespace vigil::alerts::detail
