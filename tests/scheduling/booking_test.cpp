// Booking: one slot taken once by 50 threads on the real store writer, overlapping types,
// a patient never in two places, cancel and the waitlist offer, reschedule in one step,
// no-show, the video visit in the booking's transaction, eligibility refusals.
#include <boost/test/unit_test.hpp>
#include <latch>
#include <mutex>
#include <thread>

#include "scheduling_fixture.hpp"
#include "vigil/crypto/random.hpp"
#include "vigil/testsupport/deadline.hpp"
#include "vigil/video/visit.hpp"

using namespace vigil::scheduling;
using namespace vigil::scheduling::test;
using namespace std::chrono;
using vigil::AccessDenied;
using vigil::ValidationError;

namespace {

/// Refuses one provider ("no_active_license") and remembers what it was asked.
class RefuseProvider final : public ProviderEligibility {
 public:
  explicit RefuseProvider(std::int64_t refused) : refused_(refused) {}
  std::optional<std::string> refusalIn(vigil::store::Connection&, std::int64_t providerUserId,
                                       std::string_view state, year_month_day) const override {
    std::lock_guard lock(m_);
    lastState_ = std::string(state);
    if (providerUserId == refused_) return "no_active_license";
    return std::nullopt;
  }
  std::string lastState() const {
    std::lock_guard lock(m_);
    return lastState_;
  }

 private:
  std::int64_t refused_;
  mutable std::mutex m_;
  mutable std::string lastState_;
};

struct BookingFixture : SchedulingFixture {
  BookingFixture() {
    weekly(provider.id, 1, 9 * 60, 12 * 60);  // Mondays 09:00-12:00 New York
    weekly(provider2.id, 1, 9 * 60, 12 * 60);
  }
  std::int64_t countOf(const std::string& sql) {
    return db->read(
        [&](vigil::store::Connection& c) { return c.queryValue<std::int64_t>(sql).value_or(-1); });
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(Booking, BookingFixture)

BOOST_AUTO_TEST_CASE(fifty_threads_booking_one_slot_make_one_booking_and_49_slot_taken) {
  constexpr int kThreads = 50;
  std::vector<std::int64_t> patients;
  for (int i = 0; i < kThreads; ++i)
    patients.push_back(newPatient("MRN-T" + std::to_string(i), ""));
  const auto slot = at("2026-03-02T14:00:00Z");  // Monday 09:00 EST
  std::latch start(kThreads);
  std::mutex m;
  int booked = 0, taken = 0, other = 0;
  std::vector<std::thread> desks;
  for (int i = 0; i < kThreads; ++i) {
    desks.emplace_back([&, i] {
      start.arrive_and_wait();
      try {
        service.book(desk, {patients[static_cast<std::size_t>(i)], provider.id, person30.id, slot});
        std::lock_guard lock(m);
        ++booked;
      } catch (const SlotTaken&) {
        std::lock_guard lock(m);
        ++taken;
      } catch (...) {
        std::lock_guard lock(m);
        ++other;
      }
    });
  }
  for (auto& t : desks) vigil::testsupport::joinWithin(t, 60s, "joining the 50 booking threads");
  BOOST_TEST(booked == 1);
  BOOST_TEST(taken == kThreads - 1);
  BOOST_TEST(other == 0);
  BOOST_TEST(countOf("SELECT count(*) FROM appointments") == 1);
  // 30 minutes, no buffer: six 5-minute claims.
  BOOST_TEST(countOf("SELECT count(*) FROM appointment_claims") == 6);
}

BOOST_AUTO_TEST_CASE(a_30_minute_visit_at_9_clashes_with_a_15_minute_one_at_9_15) {
  auto other = newPatient("MRN-O1", "");
  service.book(desk, {patientId, provider.id, person30.id, at("2026-03-02T14:00:00Z")});
  BOOST_CHECK_THROW(
      service.book(desk, {other, provider.id, person15.id, at("2026-03-02T14:15:00Z")}), SlotTaken);
  auto a = service.book(desk, {other, provider.id, person15.id, at("2026-03-02T14:30:00Z")});
  BOOST_TEST(vigil::core::formatUtc(a.endsAt, vigil::core::Fraction::millis) ==
             "2026-03-02T14:45:00.000Z");
  // The refusal is on record (the booking attempt, not completed).
  auto e = lastAudit("appointment.book");
  BOOST_REQUIRE(e);
}

BOOST_AUTO_TEST_CASE(a_patient_is_never_booked_twice_at_overlapping_times) {
  service.book(patient, {patientId, provider.id, person30.id, at("2026-03-02T14:00:00Z")});
  BOOST_CHECK_THROW(
      service.book(patient, {patientId, provider2.id, person15.id, at("2026-03-02T14:15:00Z")}),
      PatientBusy);
  // The patient's own search leaves out times they are busy.
  auto mine = service.slots(
      patient, {person15.id, provider2.id, std::nullopt, 2026y / March / 2d, 2026y / March / 2d});
  BOOST_TEST(instants(mine.slots).front() == "2026-03-02T14:30:00.000Z");
}

BOOST_AUTO_TEST_CASE(only_slots_of_the_template_and_only_for_oneself_or_the_care_team) {
  // 08:00 is outside the template; 09:07 is not a slot start.
  BOOST_CHECK_THROW(
      service.book(desk, {patientId, provider.id, person30.id, at("2026-03-02T13:00:00Z")}),
      ValidationError);
  BOOST_CHECK_THROW(
      service.book(desk, {patientId, provider.id, person30.id, at("2026-03-02T14:07:00Z")}),
      ValidationError);
  auto stranger =
      records.create({0, "MRN-X", "Xen", "Other", "1990-01-01", "America/Chicago", "IL", {}, true});
  BOOST_CHECK_THROW(
      service.book(patient, {stranger, provider.id, person30.id, at("2026-03-02T14:00:00Z")}),
      AccessDenied);
  // A provider not on the patient's care team is not offered and cannot be booked.
  auto third = user(vigil::security::Role::provider, "far@clinic.example", "far passphrase 2026");
  service.saveSettings(admin, {third, "America/New_York", 0});
  weekly(third, 1, 9 * 60, 12 * 60);
  auto search = service.slots(
      patient, {person30.id, third, std::nullopt, 2026y / March / 2d, 2026y / March / 2d});
  BOOST_TEST(search.slots.empty());
  BOOST_CHECK_THROW(
      service.book(patient, {patientId, third, person30.id, at("2026-03-02T14:00:00Z")}),
      ValidationError);
}

BOOST_AUTO_TEST_CASE(a_video_booking_creates_its_visit_and_an_in_person_one_none) {
  auto v = service.book(patient, {patientId, provider.id, video30.id, at("2026-03-02T14:00:00Z")});
  BOOST_REQUIRE(v.visitId);
  auto visit = db->read([&](vigil::store::Connection& c) {
    return vigil::video::VisitService::findIn(c, *v.visitId);
  });
  BOOST_REQUIRE(visit);
  BOOST_TEST(visit->providerUserId == provider.id);
  BOOST_TEST(visit->patientId == patientId);
  BOOST_TEST(vigil::core::toMillis(visit->startsAt) == vigil::core::toMillis(v.startsAt));
  BOOST_TEST(visit->participants.size() == 2u);
  auto p = service.book(patient, {patientId, provider.id, person30.id, at("2026-03-02T15:00:00Z")});
  BOOST_TEST(!p.visitId);
  BOOST_TEST(countOf("SELECT count(*) FROM visits") == 1);
  // Cancelling the video booking cancels its visit.
  service.cancel(patient, v.id, CancelReason::patientRequest, "");
  visit = db->read([&](vigil::store::Connection& c) {
    return vigil::video::VisitService::findIn(c, *v.visitId);
  });
  BOOST_TEST(toString(visit->state) == "cancelled");
}

BOOST_AUTO_TEST_CASE(a_cancel_frees_the_slot_and_offers_it_to_the_first_on_the_waitlist) {
  const auto slot = at("2026-03-02T14:00:00Z");
  auto waiting = newPatient("MRN-W1", "");
  auto later = newPatient("MRN-W2", "");
  auto a = service.book(desk, {patientId, provider.id, person30.id, slot});
  service.joinWaitlist(desk, {waiting, std::nullopt, person30.id, at("2026-03-02T00:00:00Z"),
                              at("2026-03-03T00:00:00Z")});
  clock.advance(1min);
  service.joinWaitlist(desk, {later, provider.id, person30.id, at("2026-03-02T00:00:00Z"),
                              at("2026-03-03T00:00:00Z")});
  service.cancel(desk, a.id, CancelReason::other, "car broke down");
  BOOST_TEST(countOf("SELECT count(*) FROM appointment_claims") == 0);
  auto stored = service.get(desk, a.id);
  BOOST_TEST(toString(stored.state) == "cancelled");
  BOOST_TEST(stored.cancelNote.value_or("") == "car broke down");
  BOOST_TEST(countOf("SELECT count(*) FROM appointments WHERE CAST(cancel_note_enc AS TEXT) "
                     "LIKE '%car broke%'") == 0);
  auto offers = service.offers(desk, waiting);
  BOOST_REQUIRE_EQUAL(offers.size(), 1u);
  BOOST_TEST(vigil::core::toMillis(offers[0].startsAt) == vigil::core::toMillis(slot));
  BOOST_TEST(service.offers(desk, later).empty());
  auto booked = service.acceptOffer(desk, offers[0].id);
  BOOST_TEST(booked.patientId == waiting);
  BOOST_TEST(service.offers(desk, waiting).empty());
  BOOST_CHECK_THROW(service.acceptOffer(desk, offers[0].id), ValidationError);
}

BOOST_AUTO_TEST_CASE(a_reschedule_moves_the_claims_in_one_step_or_not_at_all) {
  auto other = newPatient("MRN-R1", "");
  auto a = service.book(patient, {patientId, provider.id, video30.id, at("2026-03-02T14:00:00Z")});
  service.book(desk, {other, provider.id, person30.id, at("2026-03-02T15:00:00Z")});
  // Onto a taken time: refused, the old booking and its claims untouched.
  BOOST_CHECK_THROW(service.reschedule(patient, a.id, at("2026-03-02T15:00:00Z")), SlotTaken);
  BOOST_TEST(toString(service.get(patient, a.id).state) == "booked");
  BOOST_TEST(countOf("SELECT count(*) FROM appointment_claims") == 12);
  // Onto an overlapping time of its own (09:15): allowed, the old claims released first.
  auto moved = service.reschedule(patient, a.id, at("2026-03-02T14:15:00Z"));
  BOOST_TEST(moved.rescheduledFrom.value_or(0) == a.id);
  BOOST_TEST(moved.visitId.value_or(0) == a.visitId.value_or(-1));
  BOOST_TEST(toString(service.get(patient, a.id).state) == "rescheduled");
  BOOST_TEST(countOf("SELECT count(*) FROM appointment_claims") == 12);
  auto visit = db->read([&](vigil::store::Connection& c) {
    return vigil::video::VisitService::findIn(c, *moved.visitId);
  });
  BOOST_TEST(vigil::core::formatUtc(visit->startsAt, vigil::core::Fraction::millis) ==
             "2026-03-02T14:15:00.000Z");
}

BOOST_AUTO_TEST_CASE(no_show_is_marked_by_staff_after_the_start) {
  auto a = service.book(patient, {patientId, provider.id, person60.id, at("2026-03-02T14:00:00Z")});
  BOOST_CHECK_THROW(service.markNoShow(desk, a.id), ValidationError);
  BOOST_CHECK_THROW(service.markNoShow(patient, a.id), AccessDenied);
  clock.set(at("2026-03-02T14:20:00Z"));
  service.markNoShow(desk, a.id);
  BOOST_TEST(toString(service.get(desk, a.id).state) == "no_show");
  // The rest of the hour is free again: 09:20-10:00 (claims from 14:20Z on released).
  BOOST_TEST(countOf("SELECT count(*) FROM appointment_claims") == 4);
  auto other = newPatient("MRN-N1", "");
  service.book(desk, {other, provider.id, person15.id, at("2026-03-02T14:30:00Z")});
}

BOOST_AUTO_TEST_CASE(an_ineligible_provider_is_not_offered_and_cannot_be_booked) {
  service.setEligibility(std::make_shared<RefuseProvider>(provider2.id));
  auto search = service.slots(
      patient, {person30.id, std::nullopt, std::nullopt, 2026y / March / 2d, 2026y / March / 2d});
  BOOST_REQUIRE(!search.slots.empty());
  for (const auto& s : search.slots) BOOST_TEST(s.providerUserId == provider.id);
  BOOST_REQUIRE_EQUAL(search.refused.size(), 1u);
  BOOST_TEST(search.refused[0].reason == "no_active_license");
  try {
    service.book(patient, {patientId, provider2.id, person30.id, at("2026-03-02T14:00:00Z")});
    BOOST_FAIL("an ineligible provider was booked");
  } catch (const NotEligible& e) {
    BOOST_TEST(std::string(e.what()) == "no_active_license");
  }
  auto e = lastAudit("appointment.book");
  BOOST_REQUIRE(e);
  BOOST_TEST(e->event.reason == "no_active_license");
  BOOST_TEST(toString(e->event.outcome) == "denied");
  BOOST_TEST(countOf("SELECT count(*) FROM appointments") == 0);
}

BOOST_AUTO_TEST_CASE(lists_for_the_patient_and_the_provider) {
  service.book(patient, {patientId, provider.id, person30.id, at("2026-03-02T14:00:00Z")});
  service.book(patient, {patientId, provider2.id, person30.id, at("2026-03-02T15:00:00Z")});
  BOOST_TEST(service.forPatient(patient, patientId, clock.now()).size() == 2u);
  BOOST_TEST(service
                 .forProvider(provider, provider.id, at("2026-03-02T00:00:00Z"),
                              at("2026-03-03T00:00:00Z"))
                 .size() == 1u);
  BOOST_CHECK_THROW(service.forProvider(provider, provider2.id, at("2026-03-02T00:00:00Z"),
                                        at("2026-03-03T00:00:00Z")),
                    AccessDenied);
  BOOST_TEST(
      service
          .forProvider(desk, provider2.id, at("2026-03-02T00:00:00Z"), at("2026-03-03T00:00:00Z"))
          .size() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
