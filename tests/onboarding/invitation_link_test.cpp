// The invitation e-mail through the cloud link, against the cloud stand-in as a real process over
// real TLS: the invitation and its notify.send commit together (one outbox entry in the
// invitation's own stream, nothing when the invitation is refused), the stand-in's notification
// service receives the link exactly once, and the link it received opens the patient's account.
#define BOOST_TEST_MODULE onboarding_link
#include <boost/test/unit_test.hpp>
#include <chrono>

#include "security_fixture.hpp"
#include "standin.hpp"
#include "vigil/core/metrics.hpp"
#include "vigil/onboarding/invitations.hpp"
#include "vigil/registry/registry.hpp"
#include "vigil/sync/link.hpp"
#include "vigil/sync/outbox.hpp"
#include "vigil/testsupport/deadline.hpp"

using namespace std::chrono_literals;
using namespace vigil;
using onboarding::InvitationService;

namespace {

struct LinkedFixture : security::test::SecurityFixture {
  Metrics metrics;
  sync::test::StandIn cloud{dir / "cloud"};
  registry::PatientRepository records{*db, keys->cipher(), keys->blindIndex(), clock};
  std::unique_ptr<sync::Outbox> outbox;
  std::unique_ptr<sync::Link> link;
  std::unique_ptr<InvitationService> invitations;
  std::int64_t patientId = 0;

  LinkedFixture() {
    clock.set(std::chrono::system_clock::now());  // the stand-in dates by the real clock
    cloud.start();
    sync::LinkOptions o;
    o.url = "https://127.0.0.1:" + std::to_string(cloud.port());
    o.caFile = cloud.caFile();
    o.keysDir = dir / "keys-sync";
    o.requestTimeout = 5s;
    outbox =
        std::make_unique<sync::Outbox>(*db, *audit, clock, sync::BackoffPolicy{50ms, 2s}, &metrics);
    link = std::make_unique<sync::Link>(*db, *audit, *outbox, clock, o, &metrics);
    link->enrol(admin, cloud.code(), "Riverside Clinic");
    invitations = std::make_unique<InvitationService>(*db, *audit, *accounts, keys->cipher(),
                                                      records, link.get(), clock);
    patientId = records.create({0, "MRN-L1", "Rosa", "Diaz", "1950-01-31", "UTC", "", {}, true});
  }

  void drain() {
    testsupport::Deadline deadline("the outbox to drain", 60s);
    while (outbox->status().backlog > 0) {
      link->sendDue();
      clock.advance(2s);
    }
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(invitation_link, LinkedFixture)

BOOST_AUTO_TEST_CASE(the_invitation_email_leaves_through_the_cloud_link_once) {
  auto backlogBefore = outbox->status().backlog;  // the enrolment's license.check
  auto made =
      invitations->invite(admin, patientId, "rosa.diaz@home.example", "https://clinic.example");
  BOOST_TEST(made.invitation.delivery == "email");
  BOOST_TEST(!made.invitation.outboxEntry.empty());
  BOOST_TEST(outbox->status().backlog == backlogBefore + 1);
  // A refused invitation writes no e-mail: the same transaction.
  BOOST_CHECK_THROW(
      invitations->invite(admin, patientId, "not an address", "https://clinic.example"),
      ValidationError);
  BOOST_TEST(outbox->status().backlog == backlogBefore + 1);
  drain();

  int sends = 0;
  for (const auto& r : cloud.recorded())
    if (r.kind == "notify.send") {
      ++sends;
      BOOST_TEST(r.id == made.invitation.outboxEntry);
      BOOST_TEST(r.stream == "invitation/" + std::to_string(made.invitation.id));
    }
  BOOST_TEST(sends == 1);
  // What the notification service would send: the address and the link, no name.
  auto log = testsupport::readText(cloud.dir() / "notifications.log");
  BOOST_TEST(log.find("\"to\":\"rosa.diaz@home.example\"") != std::string::npos);
  BOOST_TEST(log.find("\"template\":\"patient_invitation\"") != std::string::npos);
  BOOST_TEST(log.find(made.link) != std::string::npos);
  BOOST_TEST(log.find("Rosa") == std::string::npos);
  BOOST_TEST(log.find("Diaz") == std::string::npos);

  // The link the patient received opens their account.
  auto token = made.link.substr(made.link.rfind('/') + 1);
  auto userId = invitations->accept(token, "1950-01-31", "a long walk by the river 1950");
  BOOST_TEST(accounts->findUser(userId)->patientId.value_or(0) == patientId);
}

BOOST_AUTO_TEST_SUITE_END()
