// Clinical notes through the real server (issue 23): a provider writes a note from the RPM
// review template, a stale save answers 409 note_changed, signing locks it (409 note_state on
// a later save), an addendum is signed by its author, a nurse's note waits in the provider's
// co-sign queue, a referral letter is HTML with every value escaped, and the patient reads the
// assessment and plan of their signed notes only (never a draft, never the subjective or
// objective). Expected values written by hand.

#include <Poco/JSON/Parser.h>

#include <boost/test/unit_test.hpp>

#include "api_fixture.hpp"

using namespace vigil;
using namespace vigil::web;
using namespace vigil::web::test;

namespace {

Poco::JSON::Object::Ptr parse(const std::string& body) {
  Poco::JSON::Parser p;
  return p.parse(body).extract<Poco::JSON::Object::Ptr>();
}

std::int64_t rpmTemplate(ApiFixture& f, const Client& c) {
  auto r = f.request("GET", "/api/v1/note-templates", &c);
  BOOST_REQUIRE_MESSAGE(r.status == 200, r.body);
  auto items = parse(r.body)->getArray("items");
  for (std::size_t i = 0; i < items->size(); ++i) {
    auto t = items->getObject(static_cast<unsigned>(i));
    if (t->getValue<std::string>("key") == "rpm_review") return t->getValue<std::int64_t>("id");
  }
  BOOST_FAIL("no rpm_review template");
  return 0;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ApiNotes)

BOOST_AUTO_TEST_CASE(a_provider_writes_signs_and_amends_and_the_patient_reads_the_summary) {
  ApiFixture f;
  auto provider = f.signIn(f.providerId);
  auto patient = f.signIn(f.patientUserId);
  const auto base = "/api/v1/patients/" + std::to_string(f.patientA) + "/notes";

  auto created =
      f.request("POST", base, &provider,
                R"({"encounterKind":"rpm_review","encounterRef":"2026-11","templateId":)" +
                    std::to_string(rpmTemplate(f, provider)) + "}");
  BOOST_REQUIRE_MESSAGE(created.status == 201, created.body);
  auto note = parse(created.body);
  const auto id = std::to_string(note->getValue<std::int64_t>("id"));
  BOOST_TEST(note->getValue<std::string>("state") == "draft");
  BOOST_TEST(note->getObject("template")->getValue<std::string>("key") == "rpm_review");
  BOOST_TEST(note->getValue<int>("version") == 1);

  auto bad = f.request("POST", base, &provider,
                       R"({"encounterKind":"rpm_review","encounterRef":"Nov","templateId":1})");
  BOOST_TEST(bad.status == 422);
  BOOST_TEST(bad.body.find("encounter.ref") != std::string::npos, bad.body);

  auto saved = f.request("PUT", base + "/" + id, &provider,
                         R"({"baseVersion":1,"soap":{"subjective":"Feels well, walks daily.",)"
                         R"("objective":"BP avg 128/80 over 24 days.","assessment":)"
                         R"("Hypertension, controlled.","plan":"Continue lisinopril."}})");
  BOOST_REQUIRE_MESSAGE(saved.status == 200, saved.body);
  BOOST_TEST(parse(saved.body)->getValue<int>("version") == 2);
  auto stale = f.request("PUT", base + "/" + id, &provider,
                         R"({"baseVersion":1,"soap":{"subjective":"other tab"}})");
  BOOST_TEST(stale.status == 409);
  BOOST_TEST(jsonField(stale.body, "error") == "note_changed");

  // Nothing for the patient while it is a draft.
  auto none = f.request("GET", "/api/v1/me/visit-summaries", &patient);
  BOOST_REQUIRE_EQUAL(none.status, 200);
  BOOST_TEST(parse(none.body)->getArray("items")->size() == 0u);

  auto signedNote = f.request("POST", base + "/" + id + "/sign", &provider, R"({"baseVersion":2})");
  BOOST_REQUIRE_MESSAGE(signedNote.status == 200, signedNote.body);
  BOOST_TEST(jsonField(signedNote.body, "state") == "signed");
  BOOST_TEST(jsonField(signedNote.body, "sha256").size() == 64u);
  auto locked = f.request("PUT", base + "/" + id, &provider,
                          R"({"baseVersion":2,"soap":{"subjective":"changed"}})");
  BOOST_TEST(locked.status == 409);
  BOOST_TEST(jsonField(locked.body, "error") == "note_state");

  auto addendum = f.request("POST", base + "/" + id + "/addenda", &provider,
                            R"({"text":"Correction: 26 days transmitted."})");
  BOOST_REQUIRE_MESSAGE(addendum.status == 201, addendum.body);
  auto read = parse(f.request("GET", base + "/" + id, &provider).body);
  BOOST_TEST(read->getArray("addenda")->size() == 1u);
  BOOST_TEST(read->getObject("soap")->getValue<std::string>("plan") == "Continue lisinopril.");
  auto versions = f.request("GET", base + "/" + id + "/versions", &provider);
  BOOST_TEST(parse(versions.body)->getArray("items")->size() == 2u);

  auto mine = f.request("GET", "/api/v1/me/visit-summaries", &patient);
  BOOST_REQUIRE_EQUAL(mine.status, 200);
  auto items = parse(mine.body)->getArray("items");
  BOOST_REQUIRE_EQUAL(items->size(), 1u);
  auto summary = items->getObject(0);
  BOOST_TEST(summary->getValue<std::string>("assessment") == "Hypertension, controlled.");
  BOOST_TEST(summary->getValue<std::string>("plan") == "Continue lisinopril.");
  BOOST_TEST(summary->getValue<std::string>("signedByName") == "Dr. Lee");
  BOOST_TEST(mine.body.find("walks daily") == std::string::npos);  // no subjective
  BOOST_TEST(mine.body.find("128/80") == std::string::npos);       // no objective
  BOOST_TEST(mine.body.find("26 days transmitted") != std::string::npos);
  // The note itself is not the patient's to read.
  BOOST_TEST(f.request("GET", base + "/" + id, &patient).status == 403);
}

BOOST_AUTO_TEST_CASE(a_nurse_note_is_cosigned_from_the_providers_queue) {
  ApiFixture f;
  auto provider = f.signIn(f.providerId);
  auto nurse = f.signIn(f.nurseId);
  const auto base = "/api/v1/patients/" + std::to_string(f.patientA) + "/notes";
  auto created =
      f.request("POST", base, &nurse,
                R"({"encounterKind":"phone_call","encounterRef":"2026-11-30","templateId":1})");
  BOOST_REQUIRE_MESSAGE(created.status == 201, created.body);
  const auto id = jsonField(created.body, "id");
  BOOST_TEST(f.request("POST", base + "/" + id + "/sign", &nurse, R"({"baseVersion":1})").status ==
             403);
  auto submitted = f.request("POST", base + "/" + id + "/submit", &nurse, R"({"baseVersion":1})");
  BOOST_REQUIRE_MESSAGE(submitted.status == 200, submitted.body);
  BOOST_TEST(jsonField(submitted.body, "state") == "cosign_pending");
  auto queue = f.request("GET", "/api/v1/cosign-queue", &provider);
  BOOST_REQUIRE_EQUAL(queue.status, 200);
  BOOST_TEST(parse(queue.body)->getArray("items")->size() == 1u);
  auto cosigned = f.request("POST", base + "/" + id + "/cosign", &provider, "{}");
  BOOST_REQUIRE_MESSAGE(cosigned.status == 200, cosigned.body);
  BOOST_TEST(jsonField(cosigned.body, "state") == "signed");
  // The portal shows who wrote, signed and co-signed by name (staff names, not PHI).
  BOOST_TEST(jsonField(cosigned.body, "authorName") == "Nurse Kim");
  BOOST_TEST(jsonField(cosigned.body, "signedByName") == "Nurse Kim");
  BOOST_TEST(jsonField(cosigned.body, "cosignedByName") == "Dr. Lee");
  BOOST_TEST(f.request("POST", base + "/" + id + "/cosign", &provider, "{}").status == 409);
  BOOST_TEST(
      parse(f.request("GET", "/api/v1/cosign-queue", &provider).body)->getArray("items")->size() ==
      0u);
}

BOOST_AUTO_TEST_CASE(the_referral_letter_is_escaped_html) {
  ApiFixture f;
  auto provider = f.signIn(f.providerId);
  const auto base = "/api/v1/patients/" + std::to_string(f.patientA);
  auto created = f.request(
      "POST", base + "/notes", &provider,
      R"({"encounterKind":"in_person_visit","encounterRef":"2026-11-30","templateId":1})");
  const auto id = jsonField(created.body, "id");
  f.request("PUT", base + "/notes/" + id, &provider,
            R"({"baseVersion":1,"soap":{"assessment":"<b>CKD 3</b>","plan":"Refer"}})");
  BOOST_REQUIRE_EQUAL(
      f.request("POST", base + "/notes/" + id + "/sign", &provider, R"({"baseVersion":2})").status,
      200);
  auto ref = f.request("POST", base + "/notes/" + id + "/referrals", &provider,
                       R"({"specialistName":"Dr <script>x()</script>","specialty":"Nephrology",)"
                       R"("contact":"Fax 555-0100","reason":"eGFR falling & proteinuria"})");
  BOOST_REQUIRE_MESSAGE(ref.status == 201, ref.body);
  auto letter =
      f.request("GET", base + "/referrals/" + jsonField(ref.body, "id") + "/letter", &provider);
  BOOST_REQUIRE_EQUAL(letter.status, 200);
  BOOST_TEST(letter.headers["Content-Type"].find("text/html") == 0u);
  BOOST_TEST(letter.body.find("<script") == std::string::npos);
  BOOST_TEST(letter.body.find("<b>") == std::string::npos);
  BOOST_TEST(letter.body.find("Dr &lt;script&gt;x()&lt;/script&gt;") != std::string::npos);
  BOOST_TEST(letter.body.find("eGFR falling &amp; proteinuria") != std::string::npos);
  BOOST_TEST(letter.body.find("Dr. Lee") != std::string::npos);  // the referrer, signing
  auto list = f.request("GET", base + "/referrals", &provider);
  BOOST_TEST(parse(list.body)->getArray("items")->size() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
