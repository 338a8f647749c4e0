// SMART backend services through SmartClientService on a real SQLite store: registration, the
// token endpoint (RFC 7523 assertions, RS384 and ES384) and the bearer-token check. Keys and
// signatures are made by the test (vigil::testsupport::TestJwsKey, OpenSSL); every expected
// answer is written by hand from the SMART backend-services page and RFC 7523 section 3.
#include "vigil/fhir/smart_clients.hpp"

#include <boost/test/unit_test.hpp>

#include "security_fixture.hpp"
#include "vigil/core/error.hpp"
#include "vigil/crypto/bytes.hpp"
#include "vigil/testsupport/jws_signer.hpp"

using namespace vigil;
using namespace vigil::fhir;
using security::AuditOutcome;
using security::Role;
using testsupport::TestJwsKey;

namespace {

const std::string kTokenUrl = "https://box.clinic.example/fhir/auth/token";
constexpr std::int64_t kNow = 1'800'000'000;  // ManualClock's start, in seconds

struct SmartFixture : security::test::SecurityFixture {
  SmartClientService smart{*db, *audit, clock, kTokenUrl};
  TestJwsKey rsa = TestJwsKey::rsa();
  TestJwsKey ec = TestJwsKey::ecP384();

  FhirClient registerWith(const std::string& jwks,
                          const std::string& scopes = "system/Observation.rs system/Patient.r") {
    FhirClientRegistration r;
    r.name = "Acme EHR";
    r.jwks = jwks;
    r.scopes = scopes;
    return smart.registerClient(admin, r);
  }

  static std::string claims(const std::string& clientId, std::int64_t exp, const std::string& jti,
                            const std::string& aud = kTokenUrl) {
    return R"({"iss":")" + clientId + R"(","sub":")" + clientId + R"(","aud":")" + aud +
           R"(","exp":)" + std::to_string(exp) + R"(,"jti":")" + jti + R"("})";
  }

  static TokenForm form(const std::string& assertion,
                        const std::string& scope = "system/Observation.rs") {
    return {{"grant_type", "client_credentials"},
            {"client_assertion_type", std::string(kClientAssertionType)},
            {"client_assertion", assertion},
            {"scope", scope}};
  }

  /// The refusal's audit entry: the latest fhir.token entry, denied, with this reason.
  void expectRefusalAudited(const std::string& reason, std::int64_t actorId) {
    auto e = lastAudit("fhir.token");
    BOOST_REQUIRE(e.has_value());
    BOOST_TEST(e->event.actorRole == "fhir_client");
    BOOST_TEST(e->event.actorId == actorId);
    BOOST_TEST((e->event.outcome == AuditOutcome::denied));
    BOOST_TEST(e->event.reason == reason);
  }

  void expectInvalidClient(const TokenResult& r, const std::string& reason, std::int64_t actorId) {
    BOOST_TEST(!r.ok());
    BOOST_TEST(r.error == "invalid_client");
    BOOST_TEST(r.httpStatus == 401);
    BOOST_TEST(r.accessToken.empty());
    expectRefusalAudited(reason, actorId);
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(SmartClients, SmartFixture)

BOOST_AUTO_TEST_CASE(good_rs384_assertion_gets_a_token_that_authenticates) {
  auto client = registerWith(rsa.jwkJson("rsa-1"));
  BOOST_TEST(client.clientId.size() == 36u);  // a random UUID
  BOOST_TEST(client.scopes == "system/Observation.rs system/Patient.r");
  BOOST_TEST(client.keyIds == std::vector<std::string>{"rsa-1"});
  auto r = smart.issueToken(form(rsa.compact(claims(client.clientId, kNow + 240, "j-1"), "rsa-1")));
  BOOST_REQUIRE_MESSAGE(r.ok(), r.error + ": " + r.errorDescription);
  BOOST_TEST(r.httpStatus == 200);
  BOOST_TEST(r.tokenType == "bearer");
  BOOST_TEST(r.expiresIn == 300);
  BOOST_TEST(r.scope == "system/Observation.rs");
  BOOST_TEST(r.accessToken.size() == 43u);  // 32 bytes, base64url without padding
  auto e = lastAudit("fhir.token");
  BOOST_REQUIRE(e.has_value());
  BOOST_TEST((e->event.outcome == AuditOutcome::success));
  BOOST_TEST(e->event.actorRole == "fhir_client");
  BOOST_TEST(e->event.actorId == client.id);
  BOOST_TEST(e->event.reason == "issued");

  auto grant = smart.authenticate(r.accessToken);
  BOOST_REQUIRE(grant.has_value());
  BOOST_TEST(grant->clientId == client.id);
  BOOST_TEST(grant->scopeText() == "system/Observation.rs");
  BOOST_TEST(grant->allows("Observation", Interaction::search));
  BOOST_TEST(!grant->allows("Patient", Interaction::read));  // registered but not asked
  BOOST_TEST(!smart.authenticate("not-a-token").has_value());
  auto other = r.accessToken;
  other[0] = other[0] == 'A' ? 'B' : 'A';
  BOOST_TEST(!smart.authenticate(other).has_value());
}

BOOST_AUTO_TEST_CASE(good_es384_assertion_with_a_key_from_a_pasted_jwks) {
  auto client =
      registerWith(R"({"keys":[)" + rsa.jwkJson("rsa-1") + "," + ec.jwkJson("ec-1") + "]}");
  BOOST_TEST((client.keyIds == std::vector<std::string>{"rsa-1", "ec-1"}));
  auto r = smart.issueToken(
      form(ec.compact(claims(client.clientId, kNow + 60, "j-ec"), "ec-1"), "system/Patient.read"));
  BOOST_REQUIRE_MESSAGE(r.ok(), r.error + ": " + r.errorDescription);
  BOOST_TEST(r.scope == "system/Patient.r");
  auto grant = smart.authenticate(r.accessToken);
  BOOST_REQUIRE(grant.has_value());
  BOOST_TEST(grant->allows("Patient", Interaction::read));
}

BOOST_AUTO_TEST_CASE(an_expired_assertion_is_refused) {
  auto client = registerWith(rsa.jwkJson("k"));
  expectInvalidClient(
      smart.issueToken(form(rsa.compact(claims(client.clientId, kNow - 1, "a"), "k"))), "expired",
      client.id);
  // exp equal to now is no longer in the future.
  expectInvalidClient(smart.issueToken(form(rsa.compact(claims(client.clientId, kNow, "b"), "k"))),
                      "expired", client.id);
}

BOOST_AUTO_TEST_CASE(an_exp_more_than_five_minutes_ahead_is_refused) {
  auto client = registerWith(rsa.jwkJson("k"));
  expectInvalidClient(
      smart.issueToken(form(rsa.compact(claims(client.clientId, kNow + 301, "a"), "k"))),
      "exp_too_far", client.id);
  BOOST_TEST(
      smart.issueToken(form(rsa.compact(claims(client.clientId, kNow + 300, "b"), "k"))).ok());
}

BOOST_AUTO_TEST_CASE(a_wrong_audience_is_refused) {
  auto client = registerWith(rsa.jwkJson("k"));
  for (const std::string& aud : std::vector<std::string>{
           kTokenUrl + "/", "https://box.clinic.example/fhir",
           "http://box.clinic.example/fhir/auth/token", "https://other.example/fhir/auth/token"})
    expectInvalidClient(smart.issueToken(form(
                            rsa.compact(claims(client.clientId, kNow + 60, "j" + aud, aud), "k"))),
                        "wrong_audience", client.id);
  // An array of audiences holding the token URL is the same audience (RFC 7519 section 4.1.3).
  const std::string arrayAud = R"({"iss":")" + client.clientId + R"(","sub":")" + client.clientId +
                               R"(","aud":["x",")" + kTokenUrl + R"("],"exp":)" +
                               std::to_string(kNow + 60) + R"(,"jti":"arr"})";
  BOOST_TEST(smart.issueToken(form(rsa.compact(arrayAud, "k"))).ok());
}

BOOST_AUTO_TEST_CASE(a_replayed_jti_is_refused_for_the_same_client_only) {
  auto a = registerWith(rsa.jwkJson("k"));
  auto b = registerWith(ec.jwkJson("k"));
  auto assertion = rsa.compact(claims(a.clientId, kNow + 120, "same-jti"), "k");
  BOOST_TEST(smart.issueToken(form(assertion)).ok());
  expectInvalidClient(smart.issueToken(form(assertion)), "replayed_jti", a.id);
  // A fresh assertion with the used jti, a minute later: still refused until its exp.
  clock.advance(std::chrono::seconds(60));
  expectInvalidClient(
      smart.issueToken(form(rsa.compact(claims(a.clientId, kNow + 170, "same-jti"), "k"))),
      "replayed_jti", a.id);
  // Another client's jti space is its own.
  BOOST_TEST(
      smart.issueToken(form(ec.compact(claims(b.clientId, kNow + 120, "same-jti"), "k"))).ok());
}

BOOST_AUTO_TEST_CASE(a_signature_by_another_key_with_the_registered_kid_is_refused) {
  auto client = registerWith(rsa.jwkJson("k"));
  auto impostor = TestJwsKey::rsa();
  expectInvalidClient(
      smart.issueToken(form(impostor.compact(claims(client.clientId, kNow + 60, "x"), "k"))),
      "bad_signature", client.id);
  // A flipped byte in the claims after signing.
  auto good = rsa.compact(claims(client.clientId, kNow + 60, "y"), "k");
  auto dot = good.find('.');
  good[dot + 3] = good[dot + 3] == 'A' ? 'B' : 'A';
  auto r = smart.issueToken(form(good));
  BOOST_TEST(r.error == "invalid_client");
}

BOOST_AUTO_TEST_CASE(an_unknown_kid_is_refused) {
  auto client = registerWith(rsa.jwkJson("k"));
  expectInvalidClient(
      smart.issueToken(form(rsa.compact(claims(client.clientId, kNow + 60, "x"), "other"))),
      "unknown_kid", client.id);
}

BOOST_AUTO_TEST_CASE(an_unknown_client_is_refused_and_audited_without_an_actor) {
  registerWith(rsa.jwkJson("k"));
  expectInvalidClient(
      smart.issueToken(form(rsa.compact(claims("no-such-client", kNow + 60, "x"), "k"))),
      "unknown_client", 0);
  auto e = lastAudit("fhir.token");
  BOOST_TEST(e->event.objectId == "");  // the claimed id is not recorded
}

BOOST_AUTO_TEST_CASE(a_disabled_client_gets_no_token_and_its_tokens_stop_working) {
  auto client = registerWith(rsa.jwkJson("k"));
  auto r = smart.issueToken(form(rsa.compact(claims(client.clientId, kNow + 60, "1"), "k")));
  BOOST_REQUIRE(r.ok());
  BOOST_REQUIRE(smart.authenticate(r.accessToken).has_value());
  auto disabled = smart.disable(admin, client.id);
  BOOST_TEST(disabled.disabledAt.has_value());
  BOOST_TEST(!smart.authenticate(r.accessToken).has_value());
  expectInvalidClient(
      smart.issueToken(form(rsa.compact(claims(client.clientId, kNow + 60, "2"), "k"))),
      "client_disabled", client.id);
  BOOST_CHECK_THROW(smart.disable(admin, client.id + 100), NotFound);
}

BOOST_AUTO_TEST_CASE(alg_none_and_hmac_are_refused) {
  auto client = registerWith(rsa.jwkJson("k"));
  const auto payload =
      crypto::toBase64Url(crypto::asBytes(claims(client.clientId, kNow + 60, "n")));
  for (const std::string& header :
       std::vector<std::string>{R"({"alg":"none","kid":"k"})", R"({"alg":"HS384","kid":"k"})",
                                R"({"alg":"RS256","kid":"k"})"}) {
    const auto h = crypto::toBase64Url(crypto::asBytes(header));
    expectInvalidClient(smart.issueToken(form(h + "." + payload + ".")), "alg_refused", 0);
    // Signed, too: the algorithm is refused before any key is looked at.
    expectInvalidClient(
        smart.issueToken(form(rsa.compact(claims(client.clientId, kNow + 60, "m"), "k", header))),
        "alg_refused", 0);
  }
}

BOOST_AUTO_TEST_CASE(scopes_are_narrowed_to_the_registration) {
  auto client = registerWith(rsa.jwkJson("k"), "system/Observation.rs");
  auto r = smart.issueToken(
      form(rsa.compact(claims(client.clientId, kNow + 60, "1"), "k"), "system/*.cruds"));
  BOOST_REQUIRE(r.ok());
  BOOST_TEST(r.scope == "system/Observation.rs");
  auto none = smart.issueToken(
      form(rsa.compact(claims(client.clientId, kNow + 60, "2"), "k"), "system/Patient.rs"));
  BOOST_TEST(none.error == "invalid_scope");
  BOOST_TEST(none.httpStatus == 400);
  expectRefusalAudited("no_scope", client.id);
  auto empty =
      smart.issueToken(form(rsa.compact(claims(client.clientId, kNow + 60, "3"), "k"), ""));
  BOOST_TEST(empty.error == "invalid_scope");
}

BOOST_AUTO_TEST_CASE(a_token_expires_after_five_minutes) {
  auto client = registerWith(rsa.jwkJson("k"));
  auto r = smart.issueToken(form(rsa.compact(claims(client.clientId, kNow + 60, "1"), "k")));
  BOOST_REQUIRE(r.ok());
  clock.advance(std::chrono::seconds(299));
  BOOST_TEST(smart.authenticate(r.accessToken).has_value());
  clock.advance(std::chrono::seconds(1));
  BOOST_TEST(!smart.authenticate(r.accessToken).has_value());
}

BOOST_AUTO_TEST_CASE(malformed_requests_get_their_oauth_errors) {
  auto client = registerWith(rsa.jwkJson("k"));
  const auto assertion = rsa.compact(claims(client.clientId, kNow + 60, "1"), "k");
  auto f = form(assertion);
  f.erase("grant_type");
  BOOST_TEST(smart.issueToken(f).error == "invalid_request");
  f["grant_type"] = "authorization_code";
  auto r = smart.issueToken(f);
  BOOST_TEST(r.error == "unsupported_grant_type");
  BOOST_TEST(r.httpStatus == 400);
  f = form(assertion);
  f["client_assertion_type"] = "urn:ietf:params:oauth:client-assertion-type:saml2-bearer";
  BOOST_TEST(smart.issueToken(f).error == "invalid_request");
  f = form(assertion);
  f.erase("client_assertion");
  BOOST_TEST(smart.issueToken(f).error == "invalid_request");
  BOOST_TEST(smart.issueToken(form("a.b")).error == "invalid_client");
  BOOST_TEST(smart.issueToken(form("a.b.c.d")).error == "invalid_client");
  BOOST_TEST(smart.issueToken(form("!!.??.**")).error == "invalid_client");
  expectRefusalAudited("malformed_assertion", 0);
  // sub must equal iss.
  const std::string wrongSub = R"({"iss":")" + client.clientId +
                               R"(","sub":"someone-else","aud":")" + kTokenUrl + R"(","exp":)" +
                               std::to_string(kNow + 60) + R"(,"jti":"s"})";
  expectInvalidClient(smart.issueToken(form(rsa.compact(wrongSub, "k"))), "iss_sub_mismatch",
                      client.id);
  // The description never echoes the assertion.
  auto refused = smart.issueToken(form(rsa.compact(claims(client.clientId, kNow - 5, "e"), "k")));
  BOOST_TEST(refused.errorDescription.find(client.clientId) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(registration_checks_keys_scopes_and_the_role) {
  auto expectInvalid = [&](FhirClientRegistration r) {
    BOOST_CHECK_THROW(smart.registerClient(admin, r), ValidationError);
  };
  FhirClientRegistration ok;
  ok.name = "Acme EHR";
  ok.jwks = rsa.jwkJson("k");
  ok.scopes = "system/Observation.read";
  auto bad = ok;
  bad.jwks = R"({"kty":"RSA","kid":"k","n":"AQAB","e":"AQAB","d":"AQAB"})";  // a private key
  expectInvalid(bad);
  bad = ok;
  bad.jwks = TestJwsKey::rsa(1024).jwkJson("small");
  expectInvalid(bad);
  bad = ok;
  bad.jwks = R"({"kty":"oct","kid":"k","k":"c2VjcmV0"})";
  expectInvalid(bad);
  bad = ok;
  bad.jwks = R"({"keys":[)" + rsa.jwkJson("same") + "," + ec.jwkJson("same") + "]}";
  expectInvalid(bad);
  bad = ok;
  bad.jwks = "not json";
  expectInvalid(bad);
  bad = ok;
  bad.jwks = R"({"kty":"RSA","n":")" + crypto::toBase64Url(rsa.n()) + R"(","e":"AQAB"})";  // no kid
  expectInvalid(bad);
  bad = ok;
  bad.scopes = "patient/Observation.rs";
  expectInvalid(bad);
  bad = ok;
  bad.scopes = "";
  expectInvalid(bad);
  bad = ok;
  bad.jwksUrl = "https://ehr.example/jwks";  // both
  expectInvalid(bad);
  bad = ok;
  bad.jwks.clear();
  bad.jwksUrl = "http://ehr.example/jwks";
  expectInvalid(bad);
  bad = ok;
  bad.name = "";
  expectInvalid(bad);

  auto client = smart.registerClient(admin, ok);
  BOOST_TEST(client.scopes == "system/Observation.rs");  // stored in v2 form
  auto listed = smart.list(admin);
  BOOST_REQUIRE_EQUAL(listed.size(), 1u);
  BOOST_TEST(listed[0].clientId == client.clientId);
  BOOST_TEST(listed[0].name == "Acme EHR");

  auto provider = user(Role::provider, "dr@clinic.example", "provider passphrase 1");
  security::Actor p{provider, Role::provider, std::nullopt};
  BOOST_CHECK_THROW(smart.registerClient(p, ok), AccessDenied);
  BOOST_CHECK_THROW(smart.list(p), AccessDenied);
  BOOST_CHECK_THROW(smart.disable(p, client.id), AccessDenied);
}

BOOST_AUTO_TEST_CASE(a_jwks_url_is_fetched_cached_and_fetched_again_once_for_a_new_kid) {
  int fetches = 0;
  std::string published = R"({"keys":[)" + rsa.jwkJson("old") + "]}";
  smart.setJwksFetcher([&](const std::string& url) -> std::optional<std::string> {
    BOOST_TEST(url == "https://ehr.example/.well-known/jwks.json");
    ++fetches;
    return published;
  });
  FhirClientRegistration reg;
  reg.name = "Remote keys";
  reg.jwksUrl = "https://ehr.example/.well-known/jwks.json";
  reg.scopes = "system/Observation.rs";
  auto client = smart.registerClient(admin, reg);
  BOOST_TEST(
      smart.issueToken(form(rsa.compact(claims(client.clientId, kNow + 60, "1"), "old"))).ok());
  BOOST_TEST(
      smart.issueToken(form(rsa.compact(claims(client.clientId, kNow + 60, "2"), "old"))).ok());
  BOOST_TEST(fetches == 1);  // cached
  // The client rotates to an EC key: the first assertion naming it, after the refetch interval,
  // fetches the set again.
  published = R"({"keys":[)" + ec.jwkJson("new") + "]}";
  clock.advance(std::chrono::seconds(61));
  BOOST_TEST(
      smart.issueToken(form(ec.compact(claims(client.clientId, kNow + 120, "3"), "new"))).ok());
  BOOST_TEST(fetches == 2);
  // An unknown kid right after: at most one fetch per interval.
  expectInvalidClient(
      smart.issueToken(form(ec.compact(claims(client.clientId, kNow + 120, "4"), "nope"))),
      "unknown_kid", client.id);
  BOOST_TEST(fetches == 2);
}

BOOST_AUTO_TEST_CASE(the_https_fetcher_refuses_plain_http_and_gives_up_on_an_unreachable_host) {
  auto fetch = httpsJwksFetcher();
  BOOST_TEST(!fetch("http://127.0.0.1:1/jwks.json").has_value());   // not https: never fetched
  BOOST_TEST(!fetch("https://127.0.0.1:1/jwks.json").has_value());  // refused at once
  BOOST_TEST(!fetch("not a url").has_value());
}

BOOST_AUTO_TEST_SUITE_END()
