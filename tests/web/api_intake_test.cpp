// Intake through the real server (issue 21): the patient uploads a photo of their insurance card
// with EXIF/GPS in it and gets back the picture without them, the front desk sees it and marks the
// intake complete, a file that is not a picture is 422 and stores nothing, an unknown coverage or
// side is 404, another patient's card is 403, and the canary in the EXIF reaches no log line.
// Expected values written by hand.

#include <Poco/JSON/Parser.h>

#include <boost/test/unit_test.hpp>
#include <fstream>
#include <iterator>
#include <mutex>

#include "api_fixture.hpp"
#include "vigil/core/log.hpp"
#include "vigil/crypto/bytes.hpp"

using namespace vigil;
using namespace vigil::web;
using namespace vigil::web::test;

namespace {

Poco::JSON::Object::Ptr parse(const std::string& body) {
  Poco::JSON::Parser p;
  return p.parse(body).extract<Poco::JSON::Object::Ptr>();
}

std::string testJpeg() {
  std::ifstream in(std::string(VIGIL_SOURCE_DIR) + "/tests/patients/data/card.jpg",
                   std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

constexpr const char* kCanary = "GPS-CANARY-5512";

/// The test JPEG with an EXIF segment (holding the canary) right after its SOI.
std::string jpegWithExif() {
  auto jpeg = testJpeg();
  std::string exif = std::string("Exif\0\0", 6) + "MM\0*" + kCanary;
  std::string app1 = "\xFF\xE1";
  app1 += static_cast<char>(((exif.size() + 2) >> 8) & 0xFF);
  app1 += static_cast<char>((exif.size() + 2) & 0xFF);
  return jpeg.substr(0, 2) + app1 + exif + jpeg.substr(2);
}

std::string uploadBody(const std::string& bytes) {
  return R"({"contentBase64":")" + crypto::toBase64(crypto::asBytes(bytes)) + "\"}";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ApiIntake)

BOOST_AUTO_TEST_CASE(card_photo_round_trip_without_metadata_and_intake_completion) {
  std::mutex m;
  std::string logged;
  log::setSink([&](std::string_view line) {
    std::lock_guard lock(m);
    logged.append(line).append("\n");
  });
  {
    ApiFixture f;
    const auto base = "/api/v1/patients/" + std::to_string(f.patientA);
    auto patient = f.signIn(f.patientUserId);
    auto put = f.request("PUT", base + "/insurance-cards/primary/front", &patient,
                         uploadBody(jpegWithExif()));
    BOOST_REQUIRE_MESSAGE(put.status == 200, put.body);
    auto info = parse(put.body);
    BOOST_TEST(info->getValue<std::string>("mediaType") == "image/jpeg");
    BOOST_TEST(info->getValue<int>("width") == 64);
    BOOST_TEST(info->getValue<int>("height") == 40);
    BOOST_TEST(info->getValue<std::string>("href") == base + "/insurance-cards/primary/front");

    auto desk = f.signIn(f.frontDeskId);
    auto got = f.request("GET", base + "/insurance-cards/primary/front", &desk);
    BOOST_REQUIRE(got.status == 200);
    BOOST_TEST(got.headers["Content-Type"].rfind("image/jpeg", 0) == 0u);
    BOOST_TEST(got.headers["Cache-Control"] == "no-store");
    BOOST_TEST(got.body == testJpeg());  // the EXIF segment is gone, every image byte kept

    auto before = parse(f.request("GET", base + "/intake", &patient).body);
    BOOST_TEST(!before->getValue<bool>("completed"));
    BOOST_TEST(before->getArray("cards")->size() == 1u);
    auto done = f.request("POST", base + "/intake/complete", &desk, "{}");
    BOOST_REQUIRE_MESSAGE(done.status == 200, done.body);
    auto after = parse(f.request("GET", base + "/intake", &patient).body);
    BOOST_TEST(after->getValue<bool>("completed"));
    BOOST_TEST(after->getValue<std::string>("completedByRole") == "front_desk");

    // Not a picture: 422 naming the problem, nothing stored.
    auto bad = f.request("PUT", base + "/insurance-cards/secondary/front", &patient,
                         uploadBody(std::string("%PDF-1.7 ") + kCanary));
    BOOST_TEST(bad.status == 422);
    BOOST_TEST(bad.body.find("image:") != std::string::npos);
    BOOST_TEST(bad.body.find(kCanary) == std::string::npos);
    BOOST_TEST(f.request("GET", base + "/insurance-cards/secondary/front", &patient).status == 404);
    BOOST_TEST(f.request("PUT", base + "/insurance-cards/primary/front", &patient,
                         R"({"contentBase64":"not base64!"})")
                   .status == 400);
    BOOST_TEST(f.request("GET", base + "/insurance-cards/tertiary/front", &patient).status == 404);
    BOOST_TEST(f.request("GET", base + "/insurance-cards/primary/left", &patient).status == 404);

    // Another patient's card: refused.
    auto other = "/api/v1/patients/" + std::to_string(f.patientB);
    BOOST_TEST(f.request("GET", other + "/insurance-cards/primary/front", &patient).status == 403);
    BOOST_TEST(
        f.request("PUT", other + "/insurance-cards/primary/front", &patient, uploadBody(testJpeg()))
            .status == 403);

    auto removed = f.request("DELETE", base + "/insurance-cards/primary/front", &patient);
    BOOST_TEST(removed.status == 204);
    BOOST_TEST(f.request("GET", base + "/insurance-cards/primary/front", &desk).status == 404);
  }
  log::setSink(nullptr);
  BOOST_TEST(logged.find(kCanary) == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
