// vigil::cloudsim::Cloud without the transport, on an injected clock: what depends on time
// (codes expire after 24 h, the pharmacy dispenses 2 s after receiving) and enrolment's
// all-or-nothing (a refused request uses no code).
#define BOOST_TEST_MODULE vigil_cloudsim_unit
#include "vigil/cloudsim/cloud.hpp"

#include <boost/test/unit_test.hpp>
#include <chrono>

#include "stand_in_client.hpp"
#include "vigil/testsupport/manual_clock.hpp"
#include "vigil/testsupport/process.hpp"

using vigil::cloudsim::Cloud;
using vigil::cloudtest::BoxIdentity;
using vigil::cloudtest::member;
using vigil::testsupport::ManualClock;
using vigil::testsupport::TempDir;

BOOST_AUTO_TEST_SUITE(CloudOnAClock)

BOOST_AUTO_TEST_CASE(a_code_expires_24_hours_after_it_was_made) {
  TempDir tmp("vigil-cloudsim");
  ManualClock clock;
  Cloud cloud(tmp.path() / "cloud", {}, clock);
  std::string code = cloud.newCode();
  clock.advance(std::chrono::hours(24) + std::chrono::seconds(1));
  BoxIdentity box;
  auto answer = cloud.enrol(box.enrolBody(code));
  BOOST_TEST(answer.status == 403);
  BOOST_TEST(member(answer.body, "reason") == "bad_code");
  std::string fresh = cloud.newCode();
  clock.advance(std::chrono::hours(23));
  BOOST_TEST(cloud.enrol(box.enrolBody(fresh)).status == 201);
}

BOOST_AUTO_TEST_CASE(a_refused_enrolment_uses_no_code) {
  TempDir tmp("vigil-cloudsim");
  ManualClock clock;
  Cloud cloud(tmp.path() / "cloud", {}, clock);
  std::string code = cloud.ensureCode();
  BoxIdentity box;
  std::string body = box.enrolBody(code);
  std::string broken = body;
  broken.replace(broken.find("BEGIN CERTIFICATE REQUEST-----") + 32, 4, "AAAA");
  auto refused = cloud.enrol(broken);
  BOOST_TEST(refused.status == 400);
  BOOST_TEST(member(refused.body, "field") == "csr");
  BOOST_TEST(cloud.ensureCode() == code);  // still the current, unused code
  BOOST_TEST(cloud.enrol(body).status == 201);
  BOOST_TEST(cloud.ensureCode() != code);
}

BOOST_AUTO_TEST_CASE(the_pharmacy_dispenses_at_the_first_fetch_two_seconds_after_receiving) {
  TempDir tmp("vigil-cloudsim");
  ManualClock clock;
  Cloud cloud(tmp.path() / "cloud", {}, clock);
  BoxIdentity identity;
  auto enrolled = cloud.enrol(identity.enrolBody(cloud.ensureCode()));
  BOOST_REQUIRE(enrolled.status == 201);
  vigil::cloudtest::EnrolledBox box =
      vigil::cloudtest::EnrolledBox::fromAnswer(identity, enrolled.body);
  auto env = box.seal("pharmacy", "rx.submit",
                      R"({"prescriptionId":"rx-7","patient":{},"prescriber":{},"medication":{},)"
                      R"("pharmacyId":"PH-0002"})",
                      "rx/rx-7", 1);
  BOOST_TEST(cloud.outbox(box.boxId, env.toJson()).status == 202);
  auto first = vigil::cloudtest::parseInbox(cloud.inbox(box.boxId, "", "", false, false).body);
  BOOST_REQUIRE(first.messages.size() == 1u);
  BOOST_TEST(member(box.open(first.messages[0]), "status") == "received");
  clock.advance(std::chrono::milliseconds(1999));
  BOOST_TEST(
      vigil::cloudtest::parseInbox(cloud.inbox(box.boxId, first.cursor, "", false, false).body)
          .messages.empty());
  clock.advance(std::chrono::milliseconds(1));
  auto later =
      vigil::cloudtest::parseInbox(cloud.inbox(box.boxId, first.cursor, "", false, false).body);
  BOOST_REQUIRE(later.messages.size() == 1u);
  BOOST_TEST(member(box.open(later.messages[0]), "status") == "filled");
  BOOST_TEST(member(box.open(later.messages[0]), "prescriptionId") == "rx-7");
}

BOOST_AUTO_TEST_SUITE_END()
