#include "vigil/security/encrypted_fields.hpp"

#include <boost/test/unit_test.hpp>
#include <fstream>
#include <iterator>
#include <set>
#include <string>

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

BOOST_AUTO_TEST_CASE(covers_identifiers_contact_free_text_documents_images_recordings) {
  std::set<FieldCategory> seen;
  std::set<std::string> names;
  for (const auto& f : encryptedFields()) {
    seen.insert(f.category);
    BOOST_TEST(names.insert(std::string(f.table) + "." + std::string(f.column)).second);
  }
  for (auto c : {FieldCategory::identifier, FieldCategory::contact, FieldCategory::freeText,
                 FieldCategory::document, FieldCategory::image, FieldCategory::recording})
    BOOST_TEST(seen.count(c) == 1u, toString(c));
  BOOST_TEST(findEncryptedField("users", "email")->blindIndexed);
  BOOST_TEST(findEncryptedField("patients", "mrn")->blindIndexed);
  BOOST_TEST(findEncryptedField("readings", "value") == nullptr);
}

BOOST_AUTO_TEST_SUITE_END()
