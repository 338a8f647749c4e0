// Async care through the real server (issue 23): the patient opens a case and adds a photo that
// carries EXIF in the upload and none when served (never cached), the nurse finds it in the
// care team's queue with its due time, asks for more photos, the patient answers, the provider
// closes it with a note (a draft of kind async_case), and the limits answer 413 / 400 with the
// error named. Expected values written by hand from docs/cases.md.

#include <Poco/JSON/Parser.h>

#include <boost/test/unit_test.hpp>
#include <fstream>
#include <iterator>

#include "api_fixture.hpp"
#include "vigil/crypto/bytes.hpp"

using namespace vigil;
using namespace vigil::web;
using namespace vigil::web::test;

namespace {

Poco::JSON::Object::Ptr parse(const std::string& body) {
  Poco::JSON::Parser p;
  return p.parse(body).extract<Poco::JSON::Object::Ptr>();
}

std::string cardJpeg() {
  std::ifstream in(std::string(VIGIL_SOURCE_DIR) + "/tests/patients/data/card.jpg",
                   std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string be16(std::size_t v) {
  return {static_cast<char>((v >> 8) & 0xFF), static_cast<char>(v & 0xFF)};
}

/// card.jpg with an APP1 "Exif" segment (a TIFF header and a GPS text) after its APP0.
std::string jpegWithExif() {
  auto jpeg = cardJpeg();
  const std::size_t app0End = 4 + std::size_t{static_cast<unsigned char>(jpeg[4])} * 256 +
                              std::size_t{static_cast<unsigned char>(jpeg[5])};
  const std::string exif = std::string("Exif\0\0", 6) + "II*\0" + "GPS 41.8789N 87.6359W";
  return jpeg.substr(0, app0End) + "\xFF\xE1" + be16(exif.size() + 2) + exif + jpeg.substr(app0End);
}

std::string photoBody(const std::string& bytes) {
  return R"({"contentBase64":")" + crypto::toBase64(crypto::asBytes(bytes)) + R"("})";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ApiCases)

BOOST_AUTO_TEST_CASE(a_patient_asks_with_a_photo_and_the_care_team_answers_and_closes) {
  ApiFixture f;
  auto patient = f.signIn(f.patientUserId);
  auto nurse = f.signIn(f.nurseId);
  auto provider = f.signIn(f.providerId);

  auto opened = f.request("POST", "/api/v1/me/cases", &patient,
                          R"({"category":"skin","question":"A red rash on my forearm."})");
  BOOST_REQUIRE_MESSAGE(opened.status == 201, opened.body);
  auto k = parse(opened.body);
  const auto id = std::to_string(k->getValue<std::int64_t>("id"));
  BOOST_TEST(k->getValue<std::string>("state") == "open");
  BOOST_TEST(k->getValue<bool>("waitingForCareTeam"));
  // The case goes to the care team's provider.
  BOOST_TEST(k->getValue<std::int64_t>("assignee") == f.providerId);

  const auto upload = jpegWithExif();
  BOOST_REQUIRE(upload.find("Exif") != std::string::npos);
  auto added = f.request("POST", "/api/v1/cases/" + id + "/photos", &patient, photoBody(upload));
  BOOST_REQUIRE_MESSAGE(added.status == 201, added.body);
  const auto href = parse(added.body)->getValue<std::string>("href");
  BOOST_TEST(href.find("/api/v1/cases/" + id + "/photos/") == 0u);

  auto queue = f.request("GET", "/api/v1/cases", &nurse);
  BOOST_REQUIRE_MESSAGE(queue.status == 200, queue.body);
  auto items = parse(queue.body)->getArray("items");
  BOOST_REQUIRE_EQUAL(items->size(), 1u);
  BOOST_TEST(items->getObject(0)->getValue<std::string>("patientName") == "Ana Silva");
  BOOST_TEST(items->getObject(0)->getValue<std::int64_t>("photoCount") == 1);
  BOOST_TEST(!items->getObject(0)->getValue<std::string>("dueAt").empty());

  auto photo = f.request("GET", href, &nurse);
  BOOST_REQUIRE_EQUAL(photo.status, 200);
  BOOST_TEST(photo.headers["Content-Type"] == "image/jpeg");
  BOOST_TEST(photo.headers["Cache-Control"].find("no-store") != std::string::npos);
  BOOST_TEST(photo.body == cardJpeg());  // the image without its EXIF segment
  BOOST_TEST(photo.body.find("GPS") == std::string::npos);

  auto asked = f.request("POST", "/api/v1/cases/" + id + "/request-photos", &nurse,
                         R"({"text":"A photo in daylight next to a coin, please."})");
  BOOST_REQUIRE_MESSAGE(asked.status == 200, asked.body);
  BOOST_TEST(parse(asked.body)->getValue<std::string>("state") == "awaiting_patient");

  auto counts = f.request("GET", "/api/v1/case-counts", &provider);
  BOOST_REQUIRE_MESSAGE(counts.status == 200, counts.body);
  BOOST_TEST(parse(counts.body)->getValue<std::int64_t>("open") == 1);
  BOOST_TEST(parse(counts.body)->getValue<std::int64_t>("waiting") == 0);

  auto again =
      f.request("POST", "/api/v1/cases/" + id + "/photos", &patient, photoBody(cardJpeg()));
  BOOST_REQUIRE_MESSAGE(again.status == 201, again.body);
  auto mine = f.request("GET", "/api/v1/cases/" + id, &patient);
  BOOST_REQUIRE_EQUAL(mine.status, 200);
  auto seen = parse(mine.body);
  BOOST_TEST(seen->getValue<std::string>("state") == "open");
  auto messages = seen->getArray("messages");
  BOOST_REQUIRE_EQUAL(messages->size(), 2u);
  BOOST_TEST(messages->getObject(1)->getValue<std::string>("kind") == "request_photos");
  BOOST_TEST(messages->getObject(1)->getValue<std::string>("authorName") == "Nurse Kim");

  auto closed = f.request("POST", "/api/v1/cases/" + id + "/close", &provider,
                          R"({"note":"Contact dermatitis. Hydrocortisone 1 % for a week."})");
  BOOST_REQUIRE_MESSAGE(closed.status == 200, closed.body);
  auto c = parse(closed.body);
  BOOST_TEST(c->getValue<std::string>("state") == "closed");
  const auto noteId = c->getValue<std::int64_t>("noteId");
  auto note = f.request(
      "GET", "/api/v1/patients/" + std::to_string(f.patientA) + "/notes/" + std::to_string(noteId),
      &provider);
  BOOST_REQUIRE_MESSAGE(note.status == 200, note.body);
  BOOST_TEST(parse(note.body)->getObject("encounter")->getValue<std::string>("kind") ==
             "async_case");
  BOOST_TEST(parse(note.body)->getObject("encounter")->getValue<std::string>("ref") == id);

  auto late =
      f.request("POST", "/api/v1/cases/" + id + "/messages", &patient, R"({"text":"Thank you!"})");
  BOOST_TEST(late.status == 409);

  // Every read and write is in the audit log, by case id only.
  auto audited = f.db->read([&](store::Connection& conn) {
    return conn
        .queryValue<std::int64_t>(
            "SELECT count(*) FROM audit_log WHERE object_type IN ('case', 'case_photo') AND "
            "action IN ('case.open', 'case.photo_add', 'case.photo_get', 'case.request_photos', "
            "'case.get', 'case.close')")
        .value_or(0);
  });
  BOOST_TEST(audited >= 7);
}

BOOST_AUTO_TEST_CASE(limits_answer_413_and_400_with_the_error_named) {
  ApiFixture f;
  auto patient = f.signIn(f.patientUserId);
  auto opened = f.request("POST", "/api/v1/me/cases", &patient,
                          R"({"category":"wound","question":"Is this healing?"})");
  BOOST_REQUIRE_EQUAL(opened.status, 201);
  const auto id = std::to_string(parse(opened.body)->getValue<std::int64_t>("id"));
  const auto photos = "/api/v1/cases/" + id + "/photos";

  // 710 KiB: over the 700 KiB photo limit, under the 1 MiB body limit as base64.
  auto big = f.request("POST", photos, &patient, photoBody(std::string(710 * 1024, 'x')));
  BOOST_TEST(big.status == 413);
  BOOST_TEST(jsonField(big.body, "error") == "photo_too_large");

  auto notImage = f.request("POST", photos, &patient, photoBody("GIF89a not what we take"));
  BOOST_TEST(notImage.status == 400);
  BOOST_TEST(jsonField(notImage.body, "error") == "bad_image");

  for (int i = 0; i < 5; ++i)
    BOOST_REQUIRE_EQUAL(f.request("POST", photos, &patient, photoBody(cardJpeg())).status, 201);
  auto sixth = f.request("POST", photos, &patient, photoBody(cardJpeg()));
  BOOST_TEST(sixth.status == 400);
  BOOST_TEST(jsonField(sixth.body, "error") == "too_many_photos");

  auto longText = f.request("POST", "/api/v1/cases/" + id + "/messages", &patient,
                            R"({"text":")" + std::string(4001, 'a') + R"("})");
  BOOST_TEST(longText.status == 400);
  BOOST_TEST(longText.body.find("4000") != std::string::npos);

  auto badCategory = f.request("POST", "/api/v1/me/cases", &patient,
                               R"({"category":"gossip","question":"Hello"})");
  BOOST_TEST(badCategory.status == 422);
}

BOOST_AUTO_TEST_SUITE_END()
