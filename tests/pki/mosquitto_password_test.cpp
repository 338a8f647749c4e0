#include "vigil/pki/mosquitto_password.hpp"

#include <boost/test/unit_test.hpp>
#include <set>

#include "vigil/testsupport/process.hpp"

using vigil::testsupport::Process;
using vigil::testsupport::TempDir;

BOOST_AUTO_TEST_SUITE(MosquittoPassword)

BOOST_AUTO_TEST_CASE(hash_has_mosquitto_pbkdf2_sha512_format_and_verifies) {
  auto hash = vigil::pki::hashMosquittoPassword("s3cret-pass", 1000);
  BOOST_TEST(hash.rfind("$7$1000$", 0) == 0u);
  BOOST_TEST(vigil::pki::verifyMosquittoPassword("s3cret-pass", hash));
  BOOST_TEST(!vigil::pki::verifyMosquittoPassword("s3cret-pasS", hash));
  BOOST_TEST(hash != vigil::pki::hashMosquittoPassword("s3cret-pass", 1000));  // salted
}

BOOST_AUTO_TEST_CASE(verifies_a_hash_written_by_mosquitto_passwd) {
  TempDir tmp;
  auto file = tmp.path() / "passwd";
  Process tool("/usr/bin/mosquitto_passwd",
               {{"-c", "-b", file.string(), "hub-7", "correct horse"}, {}, {}, {}});
  BOOST_REQUIRE(tool.wait(std::chrono::seconds(20)) == 0);
  std::string line = vigil::testsupport::readText(file);
  auto colon = line.find(':');
  BOOST_REQUIRE(colon != std::string::npos);
  std::string hash = line.substr(colon + 1);
  while (!hash.empty() && hash.back() == '\n') hash.pop_back();
  BOOST_TEST(vigil::pki::verifyMosquittoPassword("correct horse", hash));
  BOOST_TEST(!vigil::pki::verifyMosquittoPassword("correct horsE", hash));
}

BOOST_AUTO_TEST_CASE(refuses_malformed_hashes) {
  for (const char* bad : {"", "$6$abc$def", "$7$$AAAA$AAAA", "$7$10$!!!!$AAAA", "$7$10$AAAA"}) {
    BOOST_TEST(!vigil::pki::verifyMosquittoPassword("x", bad), bad);
  }
}

BOOST_AUTO_TEST_CASE(generated_passwords_are_long_random_and_file_safe) {
  std::set<std::string> seen;
  for (int i = 0; i < 50; ++i) {
    auto p = vigil::pki::generateDevicePassword();
    BOOST_TEST(p.size() == 24u);
    BOOST_TEST(
        p.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
        std::string::npos);
    seen.insert(p);
  }
  BOOST_TEST(seen.size() == 50u);
}

BOOST_AUTO_TEST_SUITE_END()
