// Appointment reminders (issue 22): the due moments (24 and 1 real hours before, across both
// DST changes, instants written by hand), each reminder once (the table's primary key),
// cancelled / no-show / rescheduled-away appointments none, a rescheduled one its own, a
// booking inside 24 h only the 1 h one, the patient's settings (channel, detail, none, no
// address), the minimal and detailed texts written by hand (no PHI in the minimal one), the
// waitlist offer's notice. The clock is a ManualClock: nothing here waits.
#include "vigil/scheduling/reminders.hpp"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <boost/test/unit_test.hpp>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "scheduling_fixture.hpp"
#include "vigil/core/log.hpp"
#include "vigil/patients/patient_record.hpp"
#include "vigil/store/database.hpp"

using namespace vigil::scheduling;
using namespace vigil::scheduling::test;
using namespace std::chrono;
using vigil::AccessDenied;

namespace {

/// Records what would go to the cloud link's outbox, in the caller's write job.
class RecordingOutbox final : public vigil::sync::NotificationOutbox {
 public:
  struct Sent {
    std::string stream;
    std::string payload;
  };
  bool enrolled = true;
  /// Set: enqueueIn refuses with this reason (and a message that must not reach the log).
  std::optional<vigil::sync::EnqueueFailure> refuse;
  bool available() const override { return enrolled; }
  std::string enqueueIn(vigil::store::Connection&, std::string_view stream,
                        std::string_view payload) override {
    if (refuse) throw vigil::sync::EnqueueError(*refuse, "free text of the refusal");
    std::lock_guard lock(m_);
    sent_.push_back({std::string(stream), std::string(payload)});
    return "entry-" + std::to_string(sent_.size());
  }
  std::vector<Sent> sent() const {
    std::lock_guard lock(m_);
    return sent_;
  }

 private:
  mutable std::mutex m_;
  std::vector<Sent> sent_;
};

Poco::JSON::Object::Ptr parse(const std::string& json) {
  return Poco::JSON::Parser().parse(json).extract<Poco::JSON::Object::Ptr>();
}

struct ReminderFixture : SchedulingFixture {
  vigil::patients::PatientRecordService recordService{*db, *audit, keys->cipher(), records, clock};
  std::shared_ptr<RecordingOutbox> outbox = std::make_shared<RecordingOutbox>();
  ReminderService reminders{*db,
                            *audit,
                            keys->cipher(),
                            recordService,
                            outbox,
                            clock,
                            {"Riverside Clinic", "https://vigil.clinic.example/"}};

  ReminderFixture() {
    service.setReminders(&reminders);
    weekly(provider.id, 1, 9 * 60, 12 * 60);  // Mondays 09:00-12:00 New York
    weekly(provider.id, 7, 8 * 60, 12 * 60);  // Sundays 08:00-12:00 New York
    contact(patientId, "sam@home.example", "+1 555 010 0199");
  }

  void contact(std::int64_t who, const std::string& email, const std::string& phone) {
    vigil::patients::RecordUpdate u;
    vigil::patients::Contact c;
    c.email = email;
    c.phone = phone;
    u.contact = c;
    recordService.update(admin, who, u);
  }

  std::vector<std::string> kinds(std::int64_t appointmentId, const std::string& outcome) {
    std::vector<std::string> out;
    for (const auto& r : reminders.recordsFor(appointmentId))
      if (r.outcome == outcome) out.push_back(std::string(toString(r.kind)));
    return out;
  }

  ReminderRun runAt(const std::string& instant) {
    clock.set(at(instant));
    return reminders.runDue();
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(ReminderTimes)

BOOST_AUTO_TEST_CASE(due_moments_are_24_and_1_real_hours_before_across_both_dst_changes) {
  // Spring forward: Sunday 2026-03-08 09:00 EDT is 13:00Z; 24 real hours before is Saturday
  // 13:00Z, which in New York is 08:00 EST (not 09:00: the clocks moved in between).
  const auto spring = at("2026-03-08T13:00:00Z");
  BOOST_TEST(vigil::core::formatUtc(reminderDueAt(spring, ReminderKind::dayBefore),
                                    vigil::core::Fraction::millis) == "2026-03-07T13:00:00.000Z");
  BOOST_TEST(humanTime(reminderDueAt(spring, ReminderKind::dayBefore), "America/New_York") ==
             "Saturday 7 March 2026, 08:00 (America/New_York)");
  BOOST_TEST(humanTime(reminderDueAt(spring, ReminderKind::hourBefore), "America/New_York") ==
             "Sunday 8 March 2026, 08:00 (America/New_York)");
  // Fall back: Sunday 2026-11-01 09:00 EST is 14:00Z; 24 real hours before is Saturday 14:00Z,
  // 10:00 EDT.
  const auto fall = at("2026-11-01T14:00:00Z");
  BOOST_TEST(vigil::core::formatUtc(reminderDueAt(fall, ReminderKind::dayBefore),
                                    vigil::core::Fraction::millis) == "2026-10-31T14:00:00.000Z");
  BOOST_TEST(humanTime(reminderDueAt(fall, ReminderKind::dayBefore), "America/New_York") ==
             "Saturday 31 October 2026, 10:00 (America/New_York)");
  BOOST_TEST(humanTime(reminderDueAt(fall, ReminderKind::hourBefore), "America/New_York") ==
             "Sunday 1 November 2026, 08:00 (America/New_York)");
  // An unknown zone reads as UTC.
  BOOST_TEST(humanTime(fall, "Not/A_Zone") == "Sunday 1 November 2026, 14:00 (UTC)");
}

BOOST_AUTO_TEST_CASE(the_decision_table_written_by_hand) {
  const auto start = at("2026-03-02T14:00:00Z");
  using D = ReminderDecision;
  const auto d24 = [&](const char* booked, const char* now) {
    return decideReminder(ReminderKind::dayBefore, start, at(booked), at(now));
  };
  const auto d1 = [&](const char* booked, const char* now) {
    return decideReminder(ReminderKind::hourBefore, start, at(booked), at(now));
  };
  BOOST_TEST((d24("2026-02-01T12:00:00Z", "2026-03-01T13:59:59Z") == D::notYet));
  BOOST_TEST((d24("2026-02-01T12:00:00Z", "2026-03-01T14:00:00Z") == D::send));
  BOOST_TEST((d24("2026-02-01T12:00:00Z", "2026-03-02T12:59:59Z") == D::send));  // late, still
  BOOST_TEST((d24("2026-02-01T12:00:00Z", "2026-03-02T13:00:00Z") == D::skipSuperseded));
  BOOST_TEST((d24("2026-03-01T14:00:00Z", "2026-03-01T14:00:00Z") == D::send));  // at the moment
  BOOST_TEST((d24("2026-03-01T20:00:00Z", "2026-03-01T20:00:00Z") == D::skipBookedLate));
  BOOST_TEST((d1("2026-02-01T12:00:00Z", "2026-03-02T12:59:59Z") == D::notYet));
  BOOST_TEST((d1("2026-02-01T12:00:00Z", "2026-03-02T13:00:00Z") == D::send));
  BOOST_TEST(
      (d1("2026-03-02T13:40:00Z", "2026-03-02T13:40:00Z") == D::send));  // booked 20 min ahead
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(Reminders, ReminderFixture)

BOOST_AUTO_TEST_CASE(each_reminder_leaves_once_at_its_moment) {
  auto a = service.book(patient, {patientId, provider.id, video30.id, at("2026-03-02T14:00:00Z")});
  BOOST_TEST(runAt("2026-03-01T13:59:59Z").sent == 0);
  BOOST_TEST(runAt("2026-03-01T14:00:00Z").sent == 1);
  BOOST_TEST(runAt("2026-03-01T14:01:00Z").sent == 0);  // once
  BOOST_TEST(runAt("2026-03-02T12:59:59Z").sent == 0);
  BOOST_TEST(runAt("2026-03-02T13:00:00Z").sent == 1);
  BOOST_TEST(runAt("2026-03-02T13:30:00Z").sent == 0);
  BOOST_TEST(runAt("2026-03-02T14:30:00Z").sent == 0);  // started: nothing more
  BOOST_TEST(kinds(a.id, "sent") == (std::vector<std::string>{"24h", "1h"}));
  const auto sent = outbox->sent();
  BOOST_REQUIRE_EQUAL(sent.size(), 2u);
  BOOST_TEST(sent[0].stream == "reminder/" + std::to_string(patientId));
  BOOST_TEST(parse(sent[0].payload)->getObject("params")->getValue<std::string>("kind") == "24h");
  BOOST_TEST(parse(sent[1].payload)->getObject("params")->getValue<std::string>("kind") == "1h");
  // Each send audited as the system's, on the patient.
  auto audited = db->read([&](vigil::store::Connection& c) {
    return c
        .queryValue<std::int64_t>(
            "SELECT count(*) FROM audit_log WHERE action = 'appointment.remind' AND "
            "patient_id = ?1 AND actor_role = 'system'",
            patientId)
        .value_or(-1);
  });
  BOOST_TEST(audited == 2);
}

BOOST_AUTO_TEST_CASE(the_primary_key_refuses_a_second_row_for_one_reminder) {
  auto a = service.book(patient, {patientId, provider.id, video30.id, at("2026-03-02T14:00:00Z")});
  runAt("2026-03-02T13:00:00Z");
  BOOST_CHECK_THROW(db->writeSync([&](vigil::store::Connection& c) {
    c.execute(
        "INSERT INTO appointment_reminders (appointment_id, kind, due_at, outcome, recorded_at) "
        "VALUES (?1, '1h', 0, 'sent', 0)",
        a.id);
  }),
                    vigil::store::DbError);
}

BOOST_AUTO_TEST_CASE(cancelled_and_no_show_appointments_get_none) {
  auto cancelled =
      service.book(patient, {patientId, provider.id, video30.id, at("2026-03-02T14:00:00Z")});
  auto noShow =
      service.book(patient, {patientId, provider.id, person30.id, at("2026-03-02T15:00:00Z")});
  service.cancel(patient, cancelled.id, CancelReason::patientRequest, "");
  runAt("2026-03-01T15:00:00Z");
  clock.set(at("2026-03-02T15:01:00Z"));
  service.markNoShow(desk, noShow.id);
  // Its 24 h reminder went before the no-show (it was booked then); nothing after.
  BOOST_TEST(kinds(noShow.id, "sent") == (std::vector<std::string>{"24h"}));
  runAt("2026-03-02T15:02:00Z");
  BOOST_TEST(reminders.recordsFor(cancelled.id).empty());
  BOOST_TEST(kinds(noShow.id, "sent") == (std::vector<std::string>{"24h"}));
  BOOST_TEST(outbox->sent().size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_rescheduled_appointment_gets_its_own_reminders_for_the_new_time) {
  auto a = service.book(patient, {patientId, provider.id, video30.id, at("2026-03-02T14:00:00Z")});
  BOOST_TEST(runAt("2026-03-01T14:00:00Z").sent == 1);  // the old time's 24 h reminder
  auto moved = service.reschedule(patient, a.id, at("2026-03-09T13:00:00Z"));  // Monday 09:00 EDT
  BOOST_TEST(runAt("2026-03-02T13:00:00Z").sent == 0);  // the old time: nothing
  BOOST_TEST(reminders.recordsFor(a.id).size() == 1u);
  BOOST_TEST(runAt("2026-03-08T13:00:00Z").sent == 1);
  BOOST_TEST(runAt("2026-03-09T12:00:00Z").sent == 1);
  BOOST_TEST(kinds(moved.id, "sent") == (std::vector<std::string>{"24h", "1h"}));
  const auto last = parse(outbox->sent().back().payload)->getObject("params");
  BOOST_TEST(last->getValue<std::string>("startsAt") == "2026-03-09T06:00:00-07:00");
}

BOOST_AUTO_TEST_CASE(a_booking_inside_24_hours_sends_only_the_1_hour_reminder) {
  clock.set(at("2026-03-01T20:00:00Z"));  // 18 h before
  auto a = service.book(patient, {patientId, provider.id, video30.id, at("2026-03-02T14:00:00Z")});
  BOOST_TEST(runAt("2026-03-01T20:00:30Z").skipped == 1);
  BOOST_TEST(runAt("2026-03-02T13:00:00Z").sent == 1);
  BOOST_TEST(kinds(a.id, "sent") == (std::vector<std::string>{"1h"}));
  BOOST_TEST(reminders.recordsFor(a.id).front().reason == "booked_late");
  // Booked 20 minutes ahead: the 1 h reminder goes at once.
  clock.set(at("2026-03-02T14:40:00Z"));
  auto soon =
      service.book(patient, {patientId, provider.id, person30.id, at("2026-03-02T15:00:00Z")});
  BOOST_TEST(runAt("2026-03-02T14:40:10Z").sent == 1);
  BOOST_TEST(kinds(soon.id, "sent") == (std::vector<std::string>{"1h"}));
}

BOOST_AUTO_TEST_CASE(a_box_off_at_the_24_hour_moment_never_sends_it_after_the_1_hour_one) {
  auto a = service.book(patient, {patientId, provider.id, video30.id, at("2026-03-02T14:00:00Z")});
  auto run = runAt("2026-03-02T13:10:00Z");  // first run since long before the 24 h moment
  BOOST_TEST(run.sent == 1);
  BOOST_TEST(run.skipped == 1);
  BOOST_TEST(kinds(a.id, "sent") == (std::vector<std::string>{"1h"}));
  BOOST_TEST(kinds(a.id, "skipped") == (std::vector<std::string>{"24h"}));
}

BOOST_AUTO_TEST_CASE(the_minimal_message_names_the_clinic_and_time_and_nothing_else) {
  auto a = service.book(patient, {patientId, provider.id, video30.id, at("2026-03-02T14:00:00Z")});
  runAt("2026-03-02T13:00:00Z");
  BOOST_REQUIRE_EQUAL(outbox->sent().size(), 1u);
  const auto payload = outbox->sent()[0].payload;
  auto m = parse(payload);
  BOOST_TEST(m->getValue<std::string>("channel") == "email");
  BOOST_TEST(m->getValue<std::string>("to") == "sam@home.example");
  BOOST_TEST(m->getValue<std::string>("template") == "appointment_reminder");
  const auto link = "https://vigil.clinic.example/#/visits/" + std::to_string(*a.visitId);
  BOOST_TEST(m->getObject("params")->getValue<std::string>("text") ==
             "Reminder: you have a visit with Riverside Clinic on Monday 2 March 2026, 06:00 "
             "(America/Los_Angeles). Join the video visit: " +
                 link);
  BOOST_TEST(m->getObject("params")->getValue<std::string>("joinLink") == link);
  BOOST_TEST(!m->getObject("params")->has("provider"));
  BOOST_TEST(!m->getObject("params")->has("type"));
  // No name, MRN, birth date, provider or visit type anywhere in what leaves the box.
  for (const char* phi : {"Sam", "MRN-S1", "1980", "Test User", "Video follow-up", "follow"})
    BOOST_TEST(payload.find(phi) == std::string::npos, phi);
}

BOOST_AUTO_TEST_CASE(details_add_the_provider_and_type_and_in_person_says_come_to_the_clinic) {
  auto lee = user(vigil::security::Role::provider, "lee@clinic.example", "lee passphrase 2026",
                  std::nullopt, "Dr. Ada Lee");
  service.saveSettings(admin, {lee, "America/New_York", 0});
  weekly(lee, 1, 9 * 60, 12 * 60);
  db->writeSync([&](vigil::store::Connection& c) {
    vigil::security::SqliteCareTeam::assignIn(c, lee, patientId, admin.id, clock.now());
  });
  reminders.saveSettings(patient, {patientId, ReminderChannel::sms, ReminderDetail::detailed});
  service.book(patient, {patientId, lee, person30.id, at("2026-03-02T15:00:00Z")});
  runAt("2026-03-02T14:00:00Z");
  BOOST_REQUIRE_EQUAL(outbox->sent().size(), 1u);
  auto m = parse(outbox->sent()[0].payload);
  BOOST_TEST(m->getValue<std::string>("channel") == "sms");
  BOOST_TEST(m->getValue<std::string>("to") == "+1 555 010 0199");
  BOOST_TEST(m->getObject("params")->getValue<std::string>("text") ==
             "Reminder: you have a visit with Riverside Clinic on Monday 2 March 2026, 07:00 "
             "(America/Los_Angeles): Clinic visit with Dr. Ada Lee. Please come to the clinic.");
  BOOST_TEST(!m->getObject("params")->has("joinLink"));
}

BOOST_AUTO_TEST_CASE(settings_default_to_email_minimal_and_are_the_patients_own) {
  auto s = reminders.settings(patient, patientId);
  BOOST_TEST(!s.stored);
  BOOST_TEST(toString(s.channel) == "email");
  BOOST_TEST(toString(s.detail) == "minimal");
  s = reminders.saveSettings(patient, {patientId, ReminderChannel::none, ReminderDetail::minimal});
  BOOST_TEST(s.stored);
  BOOST_TEST(toString(reminders.settings(desk, patientId).channel) == "none");
  // Another patient's settings: denied, and the denial is on record.
  auto other = newPatient("MRN-S2", "");
  BOOST_CHECK_THROW(reminders.settings(patient, other), AccessDenied);
  BOOST_CHECK_THROW(
      reminders.saveSettings(patient, {other, ReminderChannel::sms, ReminderDetail::detailed}),
      AccessDenied);
  auto changes = db->read([&](vigil::store::Connection& c) {
    return c
        .queryValue<std::int64_t>(
            "SELECT count(*) FROM audit_log WHERE action = 'reminder_settings.update' AND "
            "outcome = 'success' AND patient_id = ?1",
            patientId)
        .value_or(-1);
  });
  BOOST_TEST(changes == 1);
  // Channel none: the reminder is decided (skipped) and nothing leaves.
  auto a = service.book(patient, {patientId, provider.id, video30.id, at("2026-03-02T14:00:00Z")});
  runAt("2026-03-02T13:00:00Z");
  BOOST_TEST(outbox->sent().empty());
  BOOST_TEST(reminders.recordsFor(a.id).back().reason == "channel_none");
}

BOOST_AUTO_TEST_CASE(no_address_or_no_cloud_link_skips_and_records_why) {
  reminders.saveSettings(desk, {patientId, ReminderChannel::sms, ReminderDetail::minimal});
  contact(patientId, "sam@home.example", "");
  auto a = service.book(patient, {patientId, provider.id, video30.id, at("2026-03-02T14:00:00Z")});
  runAt("2026-03-01T14:00:00Z");
  BOOST_TEST(reminders.recordsFor(a.id).back().reason == "no_address");
  reminders.saveSettings(desk, {patientId, ReminderChannel::email, ReminderDetail::minimal});
  outbox->enrolled = false;
  runAt("2026-03-02T13:00:00Z");
  BOOST_TEST(reminders.recordsFor(a.id).back().reason == "no_cloud_link");
  BOOST_TEST(outbox->sent().empty());
}

BOOST_AUTO_TEST_CASE(an_outbox_refusal_is_logged_by_its_word_and_the_reminder_tried_again) {
  auto a = service.book(patient, {patientId, provider.id, video30.id, at("2026-03-02T14:00:00Z")});
  std::vector<std::string> lines;
  vigil::log::setSink([&](std::string_view line) { lines.emplace_back(line); });
  outbox->refuse = vigil::sync::EnqueueFailure::unknownService;
  const auto run = runAt("2026-03-01T14:00:00Z");
  vigil::log::setSink(nullptr);
  BOOST_TEST(run.sent == 0);
  BOOST_TEST(reminders.recordsFor(a.id).empty());  // nothing of it committed
  std::vector<std::string> failed;
  for (const auto& l : lines)
    if (l.find("event=reminder.failed") != std::string::npos) failed.push_back(l);
  BOOST_REQUIRE_EQUAL(failed.size(), 1u);
  BOOST_TEST(failed[0].find("reason=unknown_service") != std::string::npos);
  BOOST_TEST(failed[0].find("free text") == std::string::npos);
  outbox->refuse.reset();
  BOOST_TEST(runAt("2026-03-01T14:01:00Z").sent == 1);
}

BOOST_AUTO_TEST_CASE(a_waitlist_offer_notifies_the_waiting_patient_under_their_settings) {
  auto waiting = newPatient("MRN-W1", "");
  contact(waiting, "wren@home.example", "");
  auto a = service.book(desk, {patientId, provider.id, person30.id, at("2026-03-02T14:00:00Z")});
  service.joinWaitlist(desk, {waiting, std::nullopt, person30.id, at("2026-03-02T00:00:00Z"),
                              at("2026-03-03T00:00:00Z")});
  clock.set(at("2026-03-01T12:00:00Z"));
  service.cancel(desk, a.id, CancelReason::other, "car broke down");
  const auto sent = outbox->sent();
  BOOST_REQUIRE_EQUAL(sent.size(), 1u);
  auto m = parse(sent[0].payload);
  BOOST_TEST(m->getValue<std::string>("to") == "wren@home.example");
  BOOST_TEST(m->getValue<std::string>("template") == "waitlist_offer");
  BOOST_TEST(m->getObject("params")->getValue<std::string>("text") ==
             "A time has opened for you with Riverside Clinic on Monday 2 March 2026, 06:00 "
             "(America/Los_Angeles). It is offered to you until Monday 2 March 2026, 04:00 "
             "(America/Los_Angeles). Accept it in the portal: "
             "https://vigil.clinic.example/#/schedule");
  BOOST_TEST(sent[0].payload.find("car broke") == std::string::npos);
  BOOST_TEST(sent[0].payload.find("Sam") == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
