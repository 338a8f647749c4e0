// Reminders through the cloud link, against the cloud stand-in as a real process over real TLS:
// a video visit booked to start within the hour gets its 1 h reminder (not the 24 h one: booked
// less than 24 h ahead) as one notify.send in the patient's reminder stream, written in the same
// transaction as its once-only row; the stand-in's notification service writes it to
// notifications.log with the visit's join link, and a second run sends nothing.
#define BOOST_TEST_MODULE reminders_link
#include <boost/test/unit_test.hpp>
#include <chrono>

#include "scheduling_fixture.hpp"
#include "standin.hpp"
#include "vigil/core/metrics.hpp"
#include "vigil/patients/patient_record.hpp"
#include "vigil/scheduling/reminders.hpp"
#include "vigil/sync/link.hpp"
#include "vigil/sync/notification_outbox.hpp"
#include "vigil/sync/outbox.hpp"
#include "vigil/testsupport/deadline.hpp"
#include "vigil/testsupport/process.hpp"

using namespace std::chrono_literals;
using namespace vigil;
using namespace vigil::scheduling;
using namespace vigil::scheduling::test;
using namespace std::chrono;

namespace {

struct LinkedFixture : SchedulingFixture {
  Metrics metrics;
  sync::test::StandIn cloud{dir / "cloud"};
  std::unique_ptr<sync::Outbox> outbox;
  std::unique_ptr<sync::Link> link;
  patients::PatientRecordService recordService{*db, *audit, keys->cipher(), records, clock};
  std::unique_ptr<ReminderService> reminders;

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
    reminders = std::make_unique<ReminderService>(
        *db, *audit, keys->cipher(), recordService,
        std::make_shared<sync::LinkNotificationOutbox>(*link), clock,
        ReminderOptions{"Riverside Clinic", "https://vigil.clinic.example"});
    service.setReminders(reminders.get());
    for (int d = 1; d <= 7; ++d) weekly(provider.id, d, 0, 24 * 60);  // around the clock
    patients::RecordUpdate u;
    u.contact = patients::Contact{"sam@home.example", "", {}};
    recordService.update(admin, patientId, u);
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

BOOST_FIXTURE_TEST_SUITE(reminders_link, LinkedFixture)

BOOST_AUTO_TEST_CASE(the_1_hour_reminder_reaches_the_notification_service_with_the_join_link) {
  // Local dates in New York: from the UTC date's day before (New York's evening is the next UTC
  // day) to the day after.
  const auto today = sys_days{floor<days>(clock.now())};
  auto free =
      service
          .slots(patient, {video30.id, provider.id, std::nullopt, year_month_day{today - days(1)},
                           year_month_day{today + days(1)}})
          .slots;
  BOOST_REQUIRE(!free.empty());
  BOOST_REQUIRE(free.front().startsAt - clock.now() <= 1h);  // every 15 minutes, around the clock
  auto a = service.book(patient, {patientId, provider.id, video30.id, free.front().startsAt});
  BOOST_REQUIRE(a.visitId);
  auto backlogBefore = outbox->status().backlog;  // the enrolment's license.check
  auto run = reminders->runDue();
  BOOST_TEST(run.sent == 1);
  BOOST_TEST(run.skipped == 1);  // the 24 h one: booked less than 24 h ahead
  BOOST_TEST(outbox->status().backlog == backlogBefore + 1);
  BOOST_TEST(reminders->runDue().sent == 0);
  drain();

  const auto decided = reminders->recordsFor(a.id);
  BOOST_REQUIRE_EQUAL(decided.size(), 2u);
  int sends = 0;
  for (const auto& r : cloud.recorded())
    if (r.kind == "notify.send") {
      ++sends;
      BOOST_TEST(r.id == decided.back().outboxEntry);
      BOOST_TEST(r.stream == "reminder/" + std::to_string(patientId));
    }
  BOOST_TEST(sends == 1);
  const auto log = testsupport::readText(cloud.dir() / "notifications.log");
  const auto joinLink = "https://vigil.clinic.example/#/visits/" + std::to_string(*a.visitId);
  BOOST_TEST(log.find("\"to\":\"sam@home.example\"") != std::string::npos);
  BOOST_TEST(log.find("\"template\":\"appointment_reminder\"") != std::string::npos);
  BOOST_TEST(log.find("\"joinLink\":\"" + joinLink + "\"") != std::string::npos);
  BOOST_TEST(log.find("\"kind\":\"1h\"") != std::string::npos);
  BOOST_TEST(log.find("Sam") == std::string::npos);
  BOOST_TEST(log.find("Video follow-up") == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
