// Consent e-signature through the real server (issue 21): an admin publishes, the patient reads
// the text and its hash, signs with the typed name and the box, a clinician on the care team
// reads the signature (without the address), the patient withdraws. Expected hashes were
// computed by hand with `printf %s '<text>' | sha256sum`.

#include <Poco/JSON/Parser.h>

#include <boost/test/unit_test.hpp>

#include "api_fixture.hpp"

using namespace vigil;
using namespace vigil::web;
using namespace vigil::web::test;

namespace {

// The fixture's telehealth consent: "I agree to receive care by video from this clinic."
constexpr const char* kTelehealthSha =
    "ef9c09cb8c31c6c6e129008749161984fb7bd042f545f9dbf7719f36ca4b0c45";
// "How we use and share your health information."
constexpr const char* kNoticeSha =
    "b143c5a5375c2396e32bedc36b39884a2a769ad4843686b8300f001dd01cbf20";

Poco::JSON::Object::Ptr parse(const std::string& body) {
  Poco::JSON::Parser p;
  return p.parse(body).extract<Poco::JSON::Object::Ptr>();
}

std::string signBody(std::int64_t documentId, const std::string& sha, const std::string& name,
                     bool agreed = true) {
  return R"({"documentId":)" + std::to_string(documentId) + R"(,"documentSha256":")" + sha +
         R"(","typedName":")" + name + R"(","agreed":)" + (agreed ? "true" : "false") + "}";
}

Poco::JSON::Object::Ptr kindOf(const Poco::JSON::Object::Ptr& consents, const std::string& kind) {
  auto kinds = consents->getArray("kinds");
  for (std::size_t i = 0; i < kinds->size(); ++i) {
    auto k = kinds->getObject(static_cast<unsigned>(i));
    if (k->getValue<std::string>("kind") == kind) return k;
  }
  return nullptr;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ApiConsent)

BOOST_AUTO_TEST_CASE(an_admin_publishes_and_everyone_reads_the_exact_text_and_its_hash) {
  ApiFixture f;
  auto admin = f.signIn(f.adminActor.id);
  auto patient = f.signIn(f.patientUserId);
  auto published = f.request("POST", "/api/v1/consent-documents", &admin,
                             R"({"kind":"privacy_notice","title":"Notice of privacy practices",)"
                             R"("body":"How we use and share your health information."})");
  BOOST_REQUIRE_MESSAGE(published.status == 201, published.body);
  auto doc = parse(published.body);
  BOOST_TEST(doc->getValue<int>("version") == 1);
  BOOST_TEST(doc->getValue<std::string>("sha256") == kNoticeSha);
  BOOST_TEST(doc->getValue<bool>("requiresResign") == false);

  auto list = f.request("GET", "/api/v1/consent-documents", &patient);
  BOOST_REQUIRE(list.status == 200);
  auto docs = parse(list.body)->getArray("documents");
  BOOST_TEST(docs->size() == 2u);  // the fixture's telehealth consent and the notice
  BOOST_TEST(!docs->getObject(0)->has("body"));
  auto one =
      f.request("GET", "/api/v1/consent-documents/" + std::to_string(f.telehealth.id), &patient);
  BOOST_REQUIRE(one.status == 200);
  BOOST_TEST(parse(one.body)->getValue<std::string>("body") ==
             "I agree to receive care by video from this clinic.");
  BOOST_TEST(parse(one.body)->getValue<std::string>("sha256") == kTelehealthSha);

  // Bad input: a clear error, nothing stored.
  BOOST_TEST(f.request("POST", "/api/v1/consent-documents", &admin,
                       R"({"kind":"marketing","title":"T","body":"B"})")
                 .status == 400);
  BOOST_TEST(f.request("POST", "/api/v1/consent-documents", &admin,
                       R"({"kind":"rpm","title":"T","body":"   "})")
                 .status == 422);
  BOOST_TEST(f.request("GET", "/api/v1/consent-documents/99999", &patient).status == 404);
  BOOST_TEST(parse(f.request("GET", "/api/v1/consent-documents", &patient).body)
                 ->getArray("documents")
                 ->size() == 2u);
}

BOOST_AUTO_TEST_CASE(the_patient_signs_the_care_team_reads_the_patient_withdraws) {
  ApiFixture f;
  auto patient = f.signIn(f.patientUserId);
  auto provider = f.signIn(f.providerId);
  auto admin = f.signIn(f.adminActor.id);
  const auto path = "/api/v1/patients/" + std::to_string(f.patientA) + "/consents";

  // Refused: the box unticked, another name, another text's hash.
  BOOST_TEST(f.request("POST", path, &patient,
                       signBody(f.telehealth.id, kTelehealthSha, "Ana Silva", false))
                 .status == 422);
  auto mismatch =
      f.request("POST", path, &patient, signBody(f.telehealth.id, kTelehealthSha, "Ben Okoro"));
  BOOST_TEST(mismatch.status == 422);
  BOOST_TEST(mismatch.body.find("Ben") == std::string::npos, mismatch.body);
  auto changed =
      f.request("POST", path, &patient, signBody(f.telehealth.id, kNoticeSha, "Ana Silva"));
  BOOST_TEST(changed.status == 409);
  BOOST_TEST(jsonField(changed.body, "error") == "document_changed");

  auto signed_ =
      f.request("POST", path, &patient, signBody(f.telehealth.id, kTelehealthSha, "ANA SILVA"));
  BOOST_REQUIRE_MESSAGE(signed_.status == 201, signed_.body);
  auto sig = parse(signed_.body);
  BOOST_TEST(sig->getValue<int>("version") == 1);
  BOOST_TEST(sig->getValue<std::string>("documentSha256") == kTelehealthSha);
  BOOST_TEST(sig->getValue<std::string>("typedName") == "ANA SILVA");
  BOOST_TEST(sig->getValue<std::string>("signerIp") == "127.0.0.1");  // the connection's
  BOOST_TEST(sig->isNull("withdrawnAt"));
  auto again =
      f.request("POST", path, &patient, signBody(f.telehealth.id, kTelehealthSha, "Ana Silva"));
  BOOST_TEST(again.status == 409);
  BOOST_TEST(jsonField(again.body, "error") == "already_signed");

  // The care team reads it, without the address; the admin with it.
  auto read = f.request("GET", path, &provider);
  BOOST_REQUIRE(read.status == 200);
  auto consents = parse(read.body);
  BOOST_TEST(kindOf(consents, "telehealth")->getValue<bool>("active"));
  BOOST_TEST(!kindOf(consents, "rpm")->getValue<bool>("active"));
  BOOST_TEST(kindOf(consents, "rpm")->isNull("current"));
  auto first = consents->getArray("signatures")->getObject(0);
  BOOST_TEST(first->getValue<std::string>("typedName") == "ANA SILVA");
  BOOST_TEST(!first->has("signerIp"));
  auto byAdmin = parse(f.request("GET", path, &admin).body);
  BOOST_TEST(byAdmin->getArray("signatures")->getObject(0)->getValue<std::string>("signerIp") ==
             "127.0.0.1");

  // A new version that requires re-signing sets the signature aside.
  auto v2 = f.request("POST", "/api/v1/consent-documents", &admin,
                      R"({"kind":"telehealth","title":"Telehealth consent","body":"Version 2.",)"
                      R"("requiresResign":true})");
  BOOST_REQUIRE(v2.status == 201);
  BOOST_TEST(parse(v2.body)->getValue<int>("version") == 2);
  auto afterV2 = parse(f.request("GET", path, &patient).body);
  BOOST_TEST(!kindOf(afterV2, "telehealth")->getValue<bool>("active"));
  BOOST_TEST(kindOf(afterV2, "telehealth")->getValue<bool>("resignRequired"));
  auto stale =
      f.request("POST", path, &patient, signBody(f.telehealth.id, kTelehealthSha, "Ana Silva"));
  BOOST_TEST(jsonField(stale.body, "error") == "document_superseded");
  const auto v2Id = parse(v2.body)->getValue<std::int64_t>("id");
  const auto v2Sha = parse(v2.body)->getValue<std::string>("sha256");
  BOOST_TEST(f.request("POST", path, &patient, signBody(v2Id, v2Sha, "Ana Silva")).status == 201);
  BOOST_TEST(f.consents->hasActiveConsent(f.patientA, patients::ConsentKind::telehealth));

  // Withdrawal: recorded on every signature in force of the kind; a second one is refused.
  auto withdrawn = f.request("POST", path + "/telehealth/withdraw", &patient, "{}");
  BOOST_REQUIRE(withdrawn.status == 200);
  BOOST_TEST(jsonField(withdrawn.body, "withdrawn") == "2");
  BOOST_TEST(!f.consents->hasActiveConsent(f.patientA, patients::ConsentKind::telehealth));
  auto twice = f.request("POST", path + "/telehealth/withdraw", &patient, "{}");
  BOOST_TEST(twice.status == 409);
  BOOST_TEST(jsonField(twice.body, "error") == "not_signed");
  BOOST_TEST(f.request("POST", path + "/marketing/withdraw", &patient, "{}").status == 400);
  auto history = parse(f.request("GET", path, &patient).body)->getArray("signatures");
  BOOST_TEST(history->size() == 2u);
  for (std::size_t i = 0; i < history->size(); ++i)
    BOOST_TEST(!history->getObject(static_cast<unsigned>(i))->isNull("withdrawnAt"));

  // Every signature and withdrawal is in the audit chain with the service's own entry.
  auto audited = [&](const std::string& action) {
    return f.db
        ->read([&](store::Connection& c) {
          return c.queryValue<std::int64_t>(
              "SELECT count(*) FROM audit_log WHERE action = ?1 AND object_type LIKE 'consent%' "
              "AND outcome = 'success' AND patient_id = ?2",
              action, f.patientA);
        })
        .value_or(0);
  };
  BOOST_TEST(audited("consent.sign") == 2);
  BOOST_TEST(audited("consent.withdraw") == 2);  // the second found nothing, still audited
  BOOST_TEST(audited("consent.list") >= 4);
  BOOST_TEST(f.audit->verify(*f.db).ok);
}

BOOST_AUTO_TEST_SUITE_END()
