// Verification through the cloud link, against the cloud stand-in as a real process over real
// TLS: an admin's verify queues one license.lookup per license in the provider's stream (in the
// same transaction that marks them looked up), the stand-in's licensing service looks each up in
// its registry (docs/cloud-api.md, "The license registry") and replies license.verification,
// and fetching the inbox applies the replies to the licenses: verified with the registry's
// status, a mismatch, not_found, and an expired license the registry knows as expired.
#define BOOST_TEST_MODULE licensing_link
#include <boost/test/unit_test.hpp>
#include <chrono>

#include "security_fixture.hpp"
#include "standin.hpp"
#include "vigil/core/metrics.hpp"
#include "vigil/licensing/licenses.hpp"
#include "vigil/sync/link.hpp"
#include "vigil/sync/outbox.hpp"
#include "vigil/testsupport/deadline.hpp"

using namespace std::chrono_literals;
using namespace vigil;
using licensing::LicenseInput;
using licensing::LicenseService;
using security::Role;

namespace {

LicenseInput license(std::string state, std::string type, std::string number, const char* expires) {
  LicenseInput in;
  in.state = std::move(state);
  in.type = std::move(type);
  in.number = std::move(number);
  in.expiresOn = *licensing::parseDate(expires);
  return in;
}

struct LinkedFixture : security::test::SecurityFixture {
  Metrics metrics;
  sync::test::StandIn cloud{dir / "cloud"};
  std::unique_ptr<sync::Outbox> outbox;
  std::unique_ptr<sync::Link> link;
  std::unique_ptr<LicenseService> licenses;

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
    // As vigild does: the handler is registered before anything is fetched.
    link->onInbound("license.verification", licensing::verificationHandler(*audit, clock));
    link->enrol(admin, cloud.code(), "Riverside Clinic");
    licenses = std::make_unique<LicenseService>(*db, *audit, link.get(), clock);
  }

  void drain() {
    testsupport::Deadline deadline("the outbox to drain", 60s);
    while (outbox->status().backlog > 0) {
      link->sendDue();
      clock.advance(2s);
    }
  }

  /// Fetches until `n` verifications are applied (the replies are queued as the lookups land).
  void fetchUntilVerified(std::int64_t providerUserId, std::size_t n) {
    testsupport::Deadline deadline("the verifications to arrive", 60s);
    for (;;) {
      link->fetchInbox();
      std::size_t done = 0;
      for (const auto& l : licenses->licenses(admin, providerUserId).licenses)
        if (l.verification != "unverified") ++done;
      if (done >= n) return;
    }
  }

  licensing::License in(std::int64_t providerUserId, const char* state) {
    for (const auto& l : licenses->licenses(admin, providerUserId).licenses)
      if (l.state == state) return l;
    BOOST_FAIL("no license in " << state);
    return {};
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(licensing_link, LinkedFixture)

BOOST_AUTO_TEST_CASE(verify_looks_each_license_up_and_the_replies_update_the_rows) {
  auto physician = user(Role::provider, "md@clinic.example", "physician passphrase 2026");
  licenses->setNpi(admin, physician, "1234567893");
  // CA: the registry's own number (A123456) with another expiry; NV: a number the registry does
  // not have (PA98765 is the registry's); WA: not in the registry.
  licenses->add(admin, physician, license("CA", "MD", "A123456", "2026-06-30"));
  licenses->add(admin, physician, license("NV", "MD", "PA11111", "2027-01-31"));
  licenses->add(admin, physician, license("WA", "MD", "MD60001", "2028-01-31"));
  auto backlogBefore = outbox->status().backlog;  // the enrolment's license.check
  BOOST_TEST(licenses->verify(admin, physician) == 3);
  BOOST_TEST(outbox->status().backlog == backlogBefore + 3);
  BOOST_TEST(in(physician, "CA").lookupRequestedAt.has_value());
  drain();

  int lookups = 0;
  for (const auto& r : cloud.recorded())
    if (r.kind == "license.lookup") {
      ++lookups;
      BOOST_TEST(r.stream == licensing::lookupStream(physician));
    }
  BOOST_TEST(lookups == 3);

  fetchUntilVerified(physician, 3);
  auto ca = in(physician, "CA");
  BOOST_TEST(ca.verification == "verified");
  BOOST_TEST(ca.verifiedBy == "registry");
  BOOST_TEST(licensing::formatDate(ca.expiresOn) == "2027-06-30");  // the registry's expiry
  BOOST_TEST(ca.status == "active");
  auto nv = in(physician, "NV");
  BOOST_TEST(nv.verification == "mismatch");
  BOOST_TEST(nv.number == "PA11111");
  BOOST_TEST(nv.registryNumber == "PA98765");
  BOOST_TEST(in(physician, "WA").verification == "not_found");
}

BOOST_AUTO_TEST_CASE(the_registry_marks_an_expired_license_expired_and_the_check_refuses) {
  auto physician = user(Role::provider, "md2@clinic.example", "physician passphrase 2026 b");
  licenses->setNpi(admin, physician, "1245319599");
  // The clinic believes OK active until 2028; the registry says expired 2025-09-30.
  licenses->add(admin, physician, license("OK", "MD", "44120", "2028-09-30"));
  auto today = licensing::utcDate(clock.now());
  db->read([&](store::Connection& c) {
    BOOST_TEST(LicenseService::eligibilityIn(c, physician, "OK", today).eligible);
  });
  // The daily refresh queues what was never looked up.
  BOOST_TEST(licenses->refreshAll() == 1);
  BOOST_TEST(licenses->refreshAll() == 0);  // looked up just now
  drain();
  fetchUntilVerified(physician, 1);
  auto ok = in(physician, "OK");
  BOOST_TEST(ok.verification == "verified");
  BOOST_TEST(ok.status == "expired");
  BOOST_TEST(licensing::formatDate(ok.expiresOn) == "2025-09-30");
  db->read([&](store::Connection& c) {
    BOOST_TEST(LicenseService::eligibilityIn(c, physician, "OK", today).reason ==
               "license_expired");
  });
}

BOOST_AUTO_TEST_SUITE_END()
