#include "vigil/security/encrypted_fields.hpp"

#include <boost/test/unit_test.hpp>
#include <fstream>
#include <iterator>
#include <set>
#include <string>

#include "temp_dir.hpp"
#include "vigil/core/error.hpp"
#include "vigil/store/database.hpp"
#include "vigil/store/sqlite.hpp"
#include "vigil/testsupport/test_store.hpp"

using namespace vigil::security;

BOOST_AUTO_TEST_SUITE(EncryptedFields)

BOOST_AUTO_TEST_CASE(every_encrypted_field_is_listed_in_docs_security_md) {
  std::ifstream in(std::string(VIGIL_SOURCE_DIR) + "/docs/security.md");
  BOOST_REQUIRE(in.good());
  std::string doc(std::istreambuf_iterator<char>(in), {});
  for (const auto& f : encryptedFields()) {
    std::string name = "`" + std::string(f.table) + "." + std::string(f.column) + "`";
    BOOST_TEST(doc.find(name) != std::string::npos, name << " missing from docs/security.md");
  }
}

BOOST_AUTO_TEST_CASE(every_listed_field_exists_in_the_migrated_schema) {
  vigil::store::test::TempDir dir;
  auto db = vigil::store::Database::open(vigil::testsupport::testStoreOptions(dir / "vigil.db"));
  auto missing = db->read([](vigil::store::Connection& c) { return missingEncryptedColumns(c); });
  BOOST_TEST(missing.empty(), missing.size()
                                  << " missing, first "
                                  << (missing.empty() ? std::string() : missing.front()));
  db->read([](vigil::store::Connection& c) { checkEncryptedFieldsExist(c); });
}

BOOST_AUTO_TEST_CASE(a_listed_column_the_schema_lacks_stops_start_up_naming_it) {
  vigil::store::test::TempDir dir;
  auto db = vigil::store::Database::open(vigil::testsupport::testStoreOptions(dir / "vigil.db"));
  db->writeSync([](vigil::store::Connection& c) {
    c.exec("ALTER TABLE oncall_coverage DROP COLUMN note_enc");
  });
  try {
    db->read([](vigil::store::Connection& c) { checkEncryptedFieldsExist(c); });
    BOOST_FAIL("a missing encrypted column was accepted");
  } catch (const vigil::StoreError& e) {
    BOOST_TEST(std::string(e.what()).find("oncall_coverage.note_enc") != std::string::npos,
               e.what());
  }
}

BOOST_AUTO_TEST_CASE(covers_identifiers_contact_free_text_documents_and_secrets) {
  std::set<FieldCategory> seen;
  std::set<std::string> names;
  for (const auto& f : encryptedFields()) {
    seen.insert(f.category);
    BOOST_TEST(names.insert(std::string(f.table) + "." + std::string(f.column)).second);
  }
  // Images and recordings come with the features that store them (their tables do not exist).
  for (auto c : {FieldCategory::identifier, FieldCategory::contact, FieldCategory::freeText,
                 FieldCategory::document, FieldCategory::secret})
    BOOST_TEST(seen.count(c) == 1u, toString(c));
  BOOST_TEST(findEncryptedField("users", "email")->blindIndexed);
  BOOST_TEST(findEncryptedField("patients", "mrn")->blindIndexed);
  BOOST_TEST(findEncryptedField("readings", "value") == nullptr);
}

BOOST_AUTO_TEST_SUITE_END()
