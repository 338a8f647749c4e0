#include "vigil/security/totp.hpp"

#include <boost/test/unit_test.hpp>
#include <set>

#include "vigil/core/error.hpp"

using namespace vigil::security;
using std::chrono::seconds;
using vigil::crypto::asBytes;

namespace {
vigil::TimePoint at(long long unixSeconds) {
  return vigil::TimePoint{seconds{unixSeconds}};
}
}  // namespace

BOOST_AUTO_TEST_SUITE(Totp)

BOOST_AUTO_TEST_CASE(hotp_matches_rfc4226_appendix_d) {
  const unsigned expected[] = {755224, 287082, 359152, 969429, 338314,
                               254676, 287922, 162583, 399871, 520489};
  auto key = asBytes("12345678901234567890");
  for (std::uint64_t c = 0; c < 10; ++c) BOOST_TEST(hotp(key, c) == expected[c]);
}

BOOST_AUTO_TEST_CASE(totp_matches_rfc6238_appendix_b) {
  struct Row {
    long long time;
    const char* sha1;
    const char* sha256;
    const char* sha512;
  };
  const Row rows[] = {
      {59, "94287082", "46119246", "90693936"},
      {1111111109, "07081804", "68084774", "25091201"},
      {1111111111, "14050471", "67062674", "99943326"},
      {1234567890, "89005924", "91819424", "93441116"},
      {2000000000, "69279037", "90698825", "38618901"},
  };
  auto k1 = asBytes("12345678901234567890");
  auto k256 = asBytes("12345678901234567890123456789012");
  auto k512 = asBytes("1234567890123456789012345678901234567890123456789012345678901234");
  for (const auto& r : rows) {
    TotpParams p;
    p.digits = 8;
    BOOST_TEST(totpCode(k1, at(r.time), p) == r.sha1);
    p.algorithm = OtpAlgorithm::sha256;
    BOOST_TEST(totpCode(k256, at(r.time), p) == r.sha256);
    p.algorithm = OtpAlgorithm::sha512;
    BOOST_TEST(totpCode(k512, at(r.time), p) == r.sha512);
  }
  // T = 20000000000 s is past what a nanosecond TimePoint holds; check its step (666666666)
  // through HOTP, which is what TOTP is.
  BOOST_TEST(hotp(k1, 20000000000ull / 30, 8) == 65353130u);
  BOOST_TEST(hotp(k256, 20000000000ull / 30, 8, OtpAlgorithm::sha256) == 77737706u);
  BOOST_TEST(hotp(k512, 20000000000ull / 30, 8, OtpAlgorithm::sha512) == 47863826u);
}

BOOST_AUTO_TEST_CASE(accepts_one_step_either_side_and_nothing_further) {
  auto key = newTotpSecret();
  auto now = at(1'800'000'015);
  for (int d : {-1, 0, 1}) {
    auto code = totpCode(key, now + seconds{30 * d});
    auto step = verifyTotp(key, code, now, std::nullopt);
    BOOST_REQUIRE(step.has_value());
    BOOST_TEST(*step == totpStep(now) + static_cast<std::uint64_t>(static_cast<std::int64_t>(d)));
  }
  BOOST_TEST(!verifyTotp(key, totpCode(key, now + seconds{60}), now, std::nullopt));
  BOOST_TEST(!verifyTotp(key, totpCode(key, now - seconds{60}), now, std::nullopt));
}

BOOST_AUTO_TEST_CASE(accepts_a_code_only_once) {
  auto key = newTotpSecret();
  auto now = at(1'800'000'015);
  auto code = totpCode(key, now);
  auto step = verifyTotp(key, code, now, std::nullopt);
  BOOST_REQUIRE(step);
  BOOST_TEST(!verifyTotp(key, code, now, step));
  BOOST_TEST(!verifyTotp(key, code, now + seconds{20}, step));
  // An older code (previous step) is also refused once a newer one was used.
  BOOST_TEST(!verifyTotp(key, totpCode(key, now - seconds{30}), now, step));
  // The next step's code is still fine.
  BOOST_TEST(
      verifyTotp(key, totpCode(key, now + seconds{30}), now + seconds{30}, step).has_value());
}

BOOST_AUTO_TEST_CASE(refuses_malformed_codes) {
  auto key = newTotpSecret();
  auto now = at(1'800'000'000);
  BOOST_TEST(!verifyTotp(key, "", now, std::nullopt));
  BOOST_TEST(!verifyTotp(key, "12345", now, std::nullopt));
  BOOST_TEST(!verifyTotp(key, "12a456", now, std::nullopt));
}

BOOST_AUTO_TEST_CASE(base32_matches_rfc4648_vectors) {
  BOOST_TEST(base32Encode(asBytes("")) == "");
  BOOST_TEST(base32Encode(asBytes("f")) == "MY");
  BOOST_TEST(base32Encode(asBytes("fo")) == "MZXQ");
  BOOST_TEST(base32Encode(asBytes("foo")) == "MZXW6");
  BOOST_TEST(base32Encode(asBytes("foob")) == "MZXW6YQ");
  BOOST_TEST(base32Encode(asBytes("fooba")) == "MZXW6YTB");
  BOOST_TEST(base32Encode(asBytes("foobar")) == "MZXW6YTBOI");
  BOOST_TEST(vigil::crypto::toString(base32Decode("mzxw6ytboi======")) == "foobar");
  BOOST_CHECK_THROW(base32Decode("MZ1"), vigil::AuthError);
}

BOOST_AUTO_TEST_CASE(builds_otpauth_enrolment_uri) {
  auto secret = asBytes("12345678901234567890");
  auto uri = otpauthUri("Vigil Clinic", "dr.house@clinic.example", secret);
  BOOST_TEST(uri ==
             "otpauth://totp/Vigil%20Clinic:dr.house@clinic.example?secret="
             "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Vigil%20Clinic&algorithm=SHA1&digits=6&"
             "period=30");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(RecoveryCodes_)

BOOST_AUTO_TEST_CASE(generates_ten_distinct_codes_stored_only_as_hashes) {
  auto rc = RecoveryCodes::generate();
  BOOST_TEST(rc.codes.size() == 10u);
  BOOST_TEST(rc.hashes.size() == 10u);
  std::set<std::string> unique(rc.codes.begin(), rc.codes.end());
  BOOST_TEST(unique.size() == 10u);
  for (std::size_t i = 0; i < rc.codes.size(); ++i) {
    BOOST_TEST(rc.codes[i].size() == 19u);  // xxxx-xxxx-xxxx-xxxx
    BOOST_TEST(rc.hashes[i].size() == 64u);
    BOOST_TEST(rc.hashes[i].find(rc.codes[i]) == std::string::npos);
    BOOST_TEST(RecoveryCodes::hash(rc.codes[i]) == rc.hashes[i]);
  }
}

BOOST_AUTO_TEST_CASE(hash_ignores_case_spaces_and_dashes) {
  BOOST_TEST(RecoveryCodes::hash("abcd-efgh-ijkl-mnop") ==
             RecoveryCodes::hash("ABCD EFGH IJKL MNOP"));
  BOOST_TEST(RecoveryCodes::hash("abcd-efgh-ijkl-mnop") !=
             RecoveryCodes::hash("abcd-efgh-ijkl-mnoq"));
}

BOOST_AUTO_TEST_SUITE_END()
