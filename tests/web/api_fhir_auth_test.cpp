// SMART backend services over HTTP (issue 26): the token endpoint takes a form post on the real
// server and router, SMART discovery, and the admins' EHR connections (step-up to register).
// Expected answers written by hand from the SMART backend-services page and RFC 6749 section 5.
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/URI.h>

#include <boost/test/unit_test.hpp>

#include "api_fixture.hpp"
#include "vigil/testsupport/jws_signer.hpp"

using namespace vigil;
using namespace vigil::web::test;

namespace {

Poco::JSON::Object::Ptr parse(const std::string& body) {
  return Poco::JSON::Parser().parse(body).extract<Poco::JSON::Object::Ptr>();
}

std::string urlEncode(const std::string& s) {
  std::string out;
  Poco::URI::encode(s, "!#$&'()*+,/:;=?@[]", out);
  return out;
}

const std::map<std::string, std::string> kForm = {
    {"Content-Type", "application/x-www-form-urlencoded"}};

}  // namespace

BOOST_AUTO_TEST_SUITE(ApiFhirAuth)

BOOST_AUTO_TEST_CASE(smart_configuration_announces_the_token_endpoint_and_its_methods) {
  ApiFixture f;
  auto r = f.request("GET", "/fhir/.well-known/smart-configuration", nullptr);
  BOOST_REQUIRE_EQUAL(r.status, 200);
  auto o = parse(r.body);
  BOOST_TEST(o->getValue<std::string>("token_endpoint") == "https://box.test/fhir/auth/token");
  auto methods = o->getArray("token_endpoint_auth_methods_supported");
  BOOST_REQUIRE_EQUAL(methods->size(), 1u);
  BOOST_TEST(methods->getElement<std::string>(0) == "private_key_jwt");
  auto algs = o->getArray("token_endpoint_auth_signing_alg_values_supported");
  BOOST_REQUIRE_EQUAL(algs->size(), 2u);
  BOOST_TEST(algs->getElement<std::string>(0) == "RS384");
  BOOST_TEST(algs->getElement<std::string>(1) == "ES384");
  BOOST_TEST(o->getArray("grant_types_supported")->getElement<std::string>(0) ==
             "client_credentials");
  BOOST_TEST(o->getArray("capabilities")->getElement<std::string>(0) ==
             "client-confidential-asymmetric");
  BOOST_TEST(o->getArray("scopes_supported")->size() > 0u);
}

BOOST_AUTO_TEST_CASE(a_form_post_with_a_good_assertion_gets_a_bearer_token) {
  ApiFixture f;
  auto key = testsupport::TestJwsKey::ecP384();
  fhir::FhirClientRegistration reg;
  reg.name = "Acme EHR";
  reg.jwks = R"({"keys":[)" + key.jwkJson("ec-1") + "]}";
  reg.scopes = "system/Observation.rs";
  auto client = f.smartClients->registerClient(f.adminActor, reg);
  const auto exp = std::chrono::duration_cast<std::chrono::seconds>(
                       f.clock.now().time_since_epoch() + std::chrono::minutes(4))
                       .count();
  auto assertion = key.compact(R"({"iss":")" + client.clientId + R"(","sub":")" + client.clientId +
                                   R"(","aud":"https://box.test/fhir/auth/token",)"
                                   R"("exp":)" +
                                   std::to_string(exp) + R"(,"jti":"http-1"})",
                               "ec-1");
  const std::string body =
      "grant_type=client_credentials&scope=" + urlEncode("system/Observation.rs") +
      "&client_assertion_type=" +
      urlEncode("urn:ietf:params:oauth:client-assertion-type:jwt-bearer") +
      "&client_assertion=" + assertion;
  auto r = f.request("POST", "/fhir/auth/token", nullptr, body, kForm);
  BOOST_REQUIRE_MESSAGE(r.status == 200, r.body);
  BOOST_TEST(r.headers["Cache-Control"] == "no-store");
  BOOST_TEST(r.headers["Pragma"] == "no-cache");
  auto o = parse(r.body);
  BOOST_TEST(o->getValue<std::string>("token_type") == "bearer");
  BOOST_TEST(o->getValue<int>("expires_in") == 300);
  BOOST_TEST(o->getValue<std::string>("scope") == "system/Observation.rs");
  auto grant = f.smartClients->authenticate(o->getValue<std::string>("access_token"));
  BOOST_REQUIRE(grant.has_value());
  BOOST_TEST(grant->clientId == client.id);

  // The same assertion again: a replay, refused as invalid_client (401), nothing echoed.
  auto again = f.request("POST", "/fhir/auth/token", nullptr, body, kForm);
  BOOST_TEST(again.status == 401);
  BOOST_TEST(jsonField(again.body, "error") == "invalid_client");
  BOOST_TEST(again.body.find(assertion.substr(0, 20)) == std::string::npos);
  BOOST_TEST(again.headers["Cache-Control"] == "no-store");
}

BOOST_AUTO_TEST_CASE(a_request_that_is_not_a_form_is_refused_as_oauth_says) {
  ApiFixture f;
  auto json =
      f.request("POST", "/fhir/auth/token", nullptr, R"({"grant_type":"client_credentials"})");
  BOOST_TEST(json.status == 400);
  BOOST_TEST(jsonField(json.body, "error") == "invalid_request");
  auto twice = f.request("POST", "/fhir/auth/token", nullptr,
                         "grant_type=client_credentials&grant_type=client_credentials", kForm);
  BOOST_TEST(twice.status == 400);
  BOOST_TEST(jsonField(twice.body, "error") == "invalid_request");
  auto other = f.request("POST", "/fhir/auth/token", nullptr, "grant_type=password", kForm);
  BOOST_TEST(other.status == 400);
  BOOST_TEST(jsonField(other.body, "error") == "unsupported_grant_type");
  auto garbage = f.request("POST", "/fhir/auth/token", nullptr,
                           "grant_type=client_credentials&client_assertion_type=" +
                               urlEncode("urn:ietf:params:oauth:client-assertion-type:jwt-bearer") +
                               "&client_assertion=abc.def.ghi",
                           kForm);
  BOOST_TEST(garbage.status == 401);
  BOOST_TEST(jsonField(garbage.body, "error") == "invalid_client");
}

BOOST_AUTO_TEST_CASE(an_admin_registers_lists_and_disables_an_ehr_client) {
  ApiFixture f;
  auto admin = f.signIn(f.adminActor.id);
  auto key = testsupport::TestJwsKey::rsa();
  Poco::JSON::Object req;
  req.set("name", "Acme EHR");
  req.set("jwks", key.jwkJson("rsa-1"));
  req.set("scopes", "system/Observation.rs system/Patient.rs");
  std::ostringstream body;
  req.stringify(body);
  // Registering needs the password again (step-up): signing in counts for a few minutes.
  f.clock.advance(std::chrono::minutes(6));
  auto first = f.request("POST", "/api/v1/fhir-clients", &admin, body.str());
  BOOST_TEST(first.status == 403);
  BOOST_TEST(jsonField(first.body, "error") == "reauth_required");
  f.stepUp(admin, f.adminActor.id);
  auto made = f.request("POST", "/api/v1/fhir-clients", &admin, body.str());
  BOOST_REQUIRE_MESSAGE(made.status == 201, made.body);
  auto client = parse(made.body);
  BOOST_TEST(client->getValue<std::string>("clientId").size() == 36u);
  BOOST_TEST(client->getValue<std::string>("scopes") == "system/Observation.rs system/Patient.rs");
  BOOST_TEST(client->getArray("keyIds")->getElement<std::string>(0) == "rsa-1");
  const auto id = client->getValue<std::int64_t>("id");

  auto listed = f.request("GET", "/api/v1/fhir-clients", &admin);
  BOOST_REQUIRE_EQUAL(listed.status, 200);
  auto all = parse(listed.body);
  BOOST_TEST(all->getValue<std::string>("tokenUrl") == "https://box.test/fhir/auth/token");
  BOOST_TEST(all->getArray("clients")->size() == 1u);

  // A private key pasted by mistake is refused, naming the field, not the key.
  Poco::JSON::Object bad;
  bad.set("name", "Oops");
  bad.set("jwks", R"({"kty":"RSA","kid":"x","n":"AQAB","e":"AQAB","d":"c2VjcmV0"})");
  bad.set("scopes", "system/Observation.rs");
  std::ostringstream badBody;
  bad.stringify(badBody);
  auto refused = f.request("POST", "/api/v1/fhir-clients", &admin, badBody.str());
  BOOST_TEST(refused.status == 422);
  BOOST_TEST(refused.body.find("c2VjcmV0") == std::string::npos);

  auto off =
      f.request("POST", "/api/v1/fhir-clients/" + std::to_string(id) + "/disable", &admin, "{}");
  BOOST_REQUIRE_EQUAL(off.status, 200);
  BOOST_TEST(!parse(off.body)->isNull("disabledAt"));
  auto missing = f.request("POST", "/api/v1/fhir-clients/99999/disable", &admin, "{}");
  BOOST_TEST(missing.status == 404);
}

BOOST_AUTO_TEST_SUITE_END()
