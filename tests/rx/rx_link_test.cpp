// E-prescribing through the cloud link, against the cloud stand-in as a real process over real
// TLS (issue 25): signing queues an NCPDP NewRx (rx.submit) in the prescription's stream; the
// stand-in's pharmacy answers rx.status received, then filled (or, at the out-of-stock pharmacy
// 1000009, not_filled: docs/cloud-api.md); the box applies each answer once. EPCS signing is
// refused with a missing, wrong, stale or reused factor. A CancelRx before the fill is answered
// cancelled and the prescription is replaced. Under faults (503s and dropped answers) every
// prescription still arrives exactly once and is filled. The NewRx the pharmacy received is
// checked with xmllint against the schema of the required elements.
#define BOOST_TEST_MODULE rx_link
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cstdlib>
#include <thread>

#include "rx_fixture.hpp"
#include "standin.hpp"
#include "vigil/core/metrics.hpp"
#include "vigil/rx/ncpdp.hpp"
#include "vigil/sync/link.hpp"
#include "vigil/sync/outbox.hpp"
#include "vigil/testsupport/deadline.hpp"

using namespace std::chrono_literals;
using namespace vigil;
using namespace vigil::rx;
using rx::test::kProviderPassword;

namespace {

const std::string kXsd =
    std::string(VIGIL_SOURCE_DIR) + "/tests/rx/data/ncpdp_script_2017071_required.xsd";

struct LinkedFixture : rx::test::RxFixture {
  Metrics metrics;
  sync::test::StandIn cloud{dir / "cloud"};
  std::unique_ptr<sync::Outbox> outbox;
  std::unique_ptr<sync::Link> link;
  std::unique_ptr<PrescriptionService> service;

  // The stand-in dates by the real clock, so the box's clock starts at it.
  explicit LinkedFixture(const std::vector<std::string>& faults = {})
      : RxFixture(std::chrono::system_clock::now()) {
    cloud.start(faults);
    sync::LinkOptions o;
    o.url = "https://127.0.0.1:" + std::to_string(cloud.port());
    o.caFile = cloud.caFile();
    o.keysDir = dir / "keys-sync";
    o.requestTimeout = 5s;
    outbox =
        std::make_unique<sync::Outbox>(*db, *audit, clock, sync::BackoffPolicy{50ms, 2s}, &metrics);
    link = std::make_unique<sync::Link>(*db, *audit, *outbox, clock, o, &metrics);
    link->onInbound("rx.status", statusHandler(*audit, clock));
    {
      testsupport::Deadline deadline("enrolment", 60s);
      for (int attempt = 0;; ++attempt) {
        try {
          link->enrol(admin, cloud.code(), "Riverside Clinic");
          break;
        } catch (const std::exception&) {
          if (attempt > 20) throw;  // only a fault-injected 503 is expected here
        }
      }
    }
    service = std::make_unique<PrescriptionService>(*db, *audit, keys->cipher(), records, *accounts,
                                                    link.get(), clock);
  }

  void drain() {
    testsupport::Deadline deadline("the outbox to drain", 60s);
    while (outbox->status().backlog > 0) {
      try {
        link->sendDue();
      } catch (const std::exception&) {  // a fault: the entry waits for its back-off
      }
      clock.advance(2s);
    }
  }

  /// Fetches the inbox until prescription `id` has `status` (the pharmacy fills 2 s after it
  /// received, by the real clock).
  Prescription fetchUntil(std::int64_t id, const std::string& status) {
    testsupport::Deadline deadline("prescription " + std::to_string(id) + " to be " + status, 60s);
    for (;;) {
      try {
        link->fetchInbox();
      } catch (const std::exception&) {
      }
      auto p = service->get(provider, id);
      if (p.status == status) return p;
      std::this_thread::sleep_for(200ms);
    }
  }

  int events(std::int64_t id, const std::string& kind) {
    return static_cast<int>(db->read([&](store::Connection& c) {
      return c
          .queryValue<std::int64_t>(
              "SELECT count(*) FROM prescription_events WHERE prescription_id = ?1 AND kind = ?2",
              id, kind)
          .value_or(-1);
    }));
  }

  int xmllint(const std::filesystem::path& file) {
    const std::string cmd = "xmllint --noout --schema '" + kXsd + "' '" + file.string() + "' 2>'" +
                            (dir / "xmllint.err").string() + "'";
    const int rc = std::system(cmd.c_str());
    if (rc != 0) BOOST_TEST_MESSAGE("xmllint: " << testsupport::readText(dir / "xmllint.err"));
    return rc;
  }
};

struct FaultyFixture : LinkedFixture {
  FaultyFixture() : LinkedFixture({"--fail-rate", "0.3", "--drop-responses", "--seed", "25"}) {}
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(rx_link, LinkedFixture)

BOOST_AUTO_TEST_CASE(a_signed_prescription_is_received_then_filled_and_the_patient_sees_it) {
  auto p = service->create(provider, patientId, input(drug("amlodipine 5 MG Oral Tablet")));
  auto s = service->sign(provider, p.id, std::nullopt);  // not controlled: the session signs
  BOOST_TEST(s.status == "signed");
  BOOST_TEST(s.signedWith == "session");
  BOOST_TEST(lastAudit("prescription.sign").has_value());
  drain();
  int submits = 0;
  for (const auto& r : cloud.recorded())
    if (r.kind == "rx.submit") {
      ++submits;
      BOOST_TEST(r.stream == prescriptionStream(p.uuid));
    }
  BOOST_TEST(submits == 1);
  // What the pharmacy received is a valid NewRx with the prescription's order number.
  const auto xml = cloud.dir() / "rx" / (p.uuid + "-NewRx.xml");
  BOOST_REQUIRE(std::filesystem::exists(xml));
  BOOST_TEST(xmllint(xml) == 0);
  const auto text = testsupport::readText(xml);
  BOOST_TEST(text.find("<PrescriberOrderNumber>" + scriptId(p.uuid) + "</") != std::string::npos);
  BOOST_TEST(text.find("<NCPDPID>1000001</NCPDPID>") != std::string::npos);
  BOOST_TEST(text.find("<SigText>Take 1 tablet by mouth daily</SigText>") != std::string::npos);

  auto filled = fetchUntil(p.id, "filled");
  BOOST_TEST(events(p.id, "received") == 1);
  BOOST_TEST(events(p.id, "filled") == 1);
  auto mine = service->list(patient, patientId);
  BOOST_REQUIRE_EQUAL(mine.size(), 1u);
  BOOST_TEST(mine[0].status == "filled");
  BOOST_TEST(mine[0].drug.name == "amlodipine 5 MG Oral Tablet");
  // Fetching again applies nothing twice.
  link->fetchInbox();
  BOOST_TEST(events(p.id, "filled") == 1);
  // Signed: never changed in place, never signed twice.
  BOOST_CHECK_THROW(service->sign(provider, p.id, std::nullopt), ValidationError);
  BOOST_CHECK_THROW(service->cancel(provider, p.id, "changed my mind"), ValidationError);
  (void)filled;
}

BOOST_AUTO_TEST_CASE(epcs_signing_refuses_a_missing_wrong_stale_or_reused_factor) {
  readyForControlled();
  auto oxy = drug("oxycodone hydrochloride 5 MG Oral Tablet");
  auto p = service->create(provider, patientId, input(oxy, 5, 0));
  // The session is no factor: nothing given is refused.
  BOOST_CHECK_THROW(service->sign(provider, p.id, std::nullopt), AuthError);
  BOOST_CHECK_THROW(service->sign(provider, p.id, SigningFactors{kProviderPassword, ""}),
                    AuthError);
  BOOST_CHECK_THROW(service->sign(provider, p.id, SigningFactors{"", totpNow()}), AuthError);
  BOOST_CHECK_THROW(service->sign(provider, p.id, SigningFactors{"wrong passphrase", totpNow()}),
                    AuthError);
  BOOST_CHECK_THROW(service->sign(provider, p.id, SigningFactors{kProviderPassword, "000000"}),
                    AuthError);
  // A code of five minutes ago is stale (the window is one step either side).
  const auto stale = totpNow();
  clock.advance(5min);
  BOOST_CHECK_THROW(service->sign(provider, p.id, SigningFactors{kProviderPassword, stale}),
                    AuthError);
  // Someone else cannot sign it, even with their own factors.
  BOOST_CHECK_THROW(service->sign(colleague, p.id, SigningFactors{"colleague passphrase 26", "1"}),
                    AccessDenied);
  BOOST_TEST(service->get(provider, p.id).status == "draft");
  clock.advance(30s);  // the failures above are not a lock-out (5 of them)
  const auto code = totpNow();
  auto s = service->sign(provider, p.id, SigningFactors{kProviderPassword, code});
  BOOST_TEST(s.status == "signed");
  BOOST_TEST(s.signedWith == "password+totp");
  // The same code again, on a second prescription: refused (a code signs once).
  auto in = input(oxy, 5, 0);
  in.acknowledged = {"duplicate"};
  auto second = service->create(provider, patientId, in);
  BOOST_CHECK_THROW(service->sign(provider, second.id, SigningFactors{kProviderPassword, code}),
                    AuthError);
  BOOST_TEST(service->get(provider, second.id).status == "draft");
  // The signing log shows the refusals and the signature, newest first.
  auto log = service->signingLog(provider);
  int refused = 0, signedCount = 0;
  for (const auto& e : log) {
    refused += e.kind == "sign_refused";
    signedCount += e.kind == "signed";
  }
  BOOST_TEST(refused >= 6);
  BOOST_TEST(signedCount == 1);
  BOOST_TEST(log.front().kind == "sign_refused");
  drain();
  const auto xml = cloud.dir() / "rx" / (p.uuid + "-NewRx.xml");
  BOOST_REQUIRE(std::filesystem::exists(xml));
  BOOST_TEST(xmllint(xml) == 0);
  const auto text = testsupport::readText(xml);
  BOOST_TEST(text.find("<DEANumber>BC1234563</DEANumber>") != std::string::npos);
  BOOST_TEST(text.find("<DigitalSignatureIndicator>true") != std::string::npos);
  BOOST_TEST(text.find("<Code>C48672</Code>") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(epcs_signing_needs_the_two_person_access) {
  prescribers.setDea(admin, provider.id, "TX", "BC1234563", *licensing::parseDate("2028-06-30"));
  prescribers.approveEpcs(admin, provider.id);  // one approval only
  auto tram = drug("tramadol hydrochloride 50 MG Oral Tablet");
  try {
    service->create(provider, patientId, input(tram, 5, 0));
    BOOST_FAIL("created without EPCS access");
  } catch (const PrecheckFailed& e) {
    BOOST_REQUIRE_EQUAL(e.missing().size(), 1u);
    BOOST_TEST(e.missing()[0].item == "epcs_access");
  }
}

BOOST_AUTO_TEST_CASE(the_out_of_stock_pharmacy_answers_not_filled) {
  patients::RecordUpdate u;
  patients::Pharmacy ph;
  ph.name = "Corner Pharmacy";
  ph.ncpdpId = "1000009";
  u.pharmacy = ph;
  records.update(provider, patientId, u);
  auto p = service->create(provider, patientId, input(drug("atorvastatin 20 MG Oral Tablet")));
  service->sign(provider, p.id, std::nullopt);
  drain();
  auto done = fetchUntil(p.id, "not_filled");
  BOOST_TEST(done.statusReason == "out_of_stock");
}

BOOST_AUTO_TEST_CASE(a_cancel_before_the_fill_is_answered_cancelled_and_then_replaced) {
  auto p =
      service->create(provider, patientId, input(drug("losartan potassium 50 MG Oral Tablet")));
  service->sign(provider, p.id, std::nullopt);
  drain();  // the pharmacy has it, not yet filled (nothing fetched)
  auto c = service->cancel(provider, p.id, "wrong strength");
  BOOST_TEST(c.status == "cancel_requested");
  drain();
  BOOST_TEST(std::filesystem::exists(cloud.dir() / "rx" / (p.uuid + "-CancelRx.xml")));
  BOOST_TEST(xmllint(cloud.dir() / "rx" / (p.uuid + "-CancelRx.xml")) == 0);
  fetchUntil(p.id, "cancelled");
  BOOST_TEST(events(p.id, "received") == 1);  // kept in the history, status not moved back
  auto in = input(drug("losartan potassium 50 MG Oral Tablet"));
  in.replaces = p.id;
  auto r = service->create(provider, patientId, in);
  BOOST_TEST(*r.replacesId == p.id);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(rx_link_faults, FaultyFixture)

BOOST_AUTO_TEST_CASE(under_faults_every_prescription_arrives_once_and_is_filled) {
  std::vector<std::int64_t> ids;
  for (const char* name :
       {"amlodipine 5 MG Oral Tablet", "metformin hydrochloride 500 MG Oral Tablet",
        "sertraline 50 MG Oral Tablet"}) {
    auto p = service->create(provider, patientId, input(drug(name)));
    service->sign(provider, p.id, std::nullopt);
    ids.push_back(p.id);
  }
  drain();
  std::map<std::string, int> submits;
  for (const auto& r : cloud.recorded())
    if (r.kind == "rx.submit") ++submits[r.stream];
  BOOST_TEST(submits.size() == 3u);
  for (const auto& [stream, n] : submits) BOOST_TEST(n == 1, stream);
  for (auto id : ids) {
    fetchUntil(id, "filled");
    BOOST_TEST(events(id, "filled") == 1);
  }
}

BOOST_AUTO_TEST_SUITE_END()
