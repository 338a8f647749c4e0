#pragma once
// The drug list prescriptions are written from (issue 25).
//
// Two sources share one table (rx_drugs):
// - the bundled STARTER LIST (starterDrugs(): a few dozen common drugs, some controlled), for
//   the demo and the tests, loaded at start-up when the table holds none of it. Every entry has
//   its RxNorm ingredient concept (RXCUI, TTY IN); the clinical drug's concept (TTY SCD) where
//   it was checked against RxNorm, else none (NewRx then names the drug by text only). Source:
//   RxNorm, U.S. National Library of Medicine (docs/prescribing.md lists each code).
// - the NLM's RXTERMS file (RxTermsYYYYMM.txt, pipe-delimited with a header row: RXCUI |
//   GENERIC_RXCUI | TTY | FULL_NAME | RXN_DOSE_FORM | FULL_GENERIC_NAME | BRAND_NAME |
//   DISPLAY_NAME | ROUTE | NEW_DOSE_FORM | STRENGTH | SUPPRESS_FOR | DISPLAY_NAME_SYNONYM |
//   IS_RETIRED | SXDG_RXCUI | SXDG_TTY | SXDG_NAME | PSN), which a clinic downloads from NLM
//   and loads with `vigild rx import-rxterms FILE`. Columns are found by their header names, so
//   an added column does not break the import. Retired and suppressed rows are skipped; a row
//   whose RXCUI is present already is updated. RxTerms carries no DEA schedule: an imported
//   drug's schedule comes from its ingredient (controlledIngredients(), hand-kept from 21 CFR
//   1308.12-15 for the ingredients the product knows; others are imported as not controlled and
//   the admin is told so in docs/prescribing.md).

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::store {
class Connection;
class Database;
}  // namespace vigil::store

namespace vigil::rx {

/// One drug of the list.
struct Drug {
  std::int64_t id = 0;
  std::string rxcui;            // SCD/SBD concept, empty when not known
  std::string ingredientRxcui;  // IN concept
  std::string name;             // what the prescriber picks, e.g. "lisinopril 10 MG Oral Tablet"
  std::string generic;          // the ingredient, e.g. "lisinopril"
  std::string strength;         // "10 mg"
  std::string form;             // "Tab", "Cap", "Inhal"
  std::string route;            // "Oral", "Inhalant"
  int schedule = 0;             // 0, or 2..5 for C-II..C-V
  std::string source;           // "starter" or "rxterms"
};

/// The bundled starter list (source stated in the file comment).
const std::vector<Drug>& starterDrugs();
/// The DEA schedule of an ingredient by name (lower case), 0 when not listed as controlled.
int scheduleOfIngredient(std::string_view generic);

/// What an import did.
struct ImportResult {
  std::int64_t rows = 0;      // data rows read
  std::int64_t imported = 0;  // inserted or updated
  std::int64_t skipped = 0;   // retired, suppressed, or without the needed fields
};

/// The drug list.
class DrugCatalog {
 public:
  explicit DrugCatalog(store::Database& db) : db_(db) {}

  /// Loads the starter list when none of it is there (idempotent); returns rows added.
  int loadStarterList();
  /// Drugs whose name or ingredient contains every word of `query` (case-insensitive), the
  /// starter list's first, then by name; at most `limit` (1..50). Not PHI: not audited.
  std::vector<Drug> search(std::string_view query, int limit = 20);
  static std::vector<Drug> searchIn(store::Connection& c, std::string_view query, int limit);
  static std::optional<Drug> getIn(store::Connection& c, std::int64_t id);

  /// Imports an RxTerms file; `progress(done, total)` is called as lines are read (bytes).
  /// Throws ValidationError for a file without the RxTerms header (naming the missing column)
  /// and IoError when it cannot be read. One transaction per 2000 rows.
  ImportResult importRxTerms(const std::filesystem::path& file,
                             const std::function<void(std::uint64_t, std::uint64_t)>& progress);

 private:
  store::Database& db_;
};

}  // namespace vigil::rx
