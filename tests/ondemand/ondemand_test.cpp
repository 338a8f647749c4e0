// The on-demand queue (issue 22): matching to an on-duty provider licensed in the state the
// patient confirms (not one licensed elsewhere, not one off duty), the pool and its assignment
// when an eligible provider goes on duty, the handover when one goes off duty (first come, first
// served by request time), the ordering rule (shortest queue, then longest idle), the wait
// estimate, one open request per patient, the start that creates the visit, and two providers
// starting one request at once. Real SQLite, the real licensing check, a manual clock. Every
// expected provider, position and wait below is worked out by hand from the rule in
// docs/scheduling.md ("On-demand care"), not read from the code.
#define BOOST_TEST_MODULE ondemand
#include "vigil/ondemand/ondemand.hpp"

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <thread>

#include "security_fixture.hpp"
#include "vigil/core/time.hpp"
#include "vigil/events/event_bus.hpp"
#include "vigil/licensing/licenses.hpp"
#include "vigil/patients/consent.hpp"
#include "vigil/registry/registry.hpp"
#include "vigil/security/access_guard.hpp"
#include "vigil/testsupport/deadline.hpp"

using namespace std::chrono_literals;
using namespace vigil;
using ondemand::Candidate;
using ondemand::OnDemandService;
using ondemand::Reason;
using security::Actor;
using security::Role;
using store::Connection;

namespace {

TimePoint at(const std::string& text) {
  auto t = core::parseRfc3339(text);
  BOOST_REQUIRE_MESSAGE(t, "bad instant in the test: " + text);
  return *t;
}

licensing::LicenseInput license(std::string state, const char* expires) {
  licensing::LicenseInput in;
  in.state = std::move(state);
  in.type = "MD";
  in.number = "MD-" + in.state;
  in.expiresOn = *licensing::parseDate(expires);
  return in;
}

struct OnDemandFixture : security::test::SecurityFixture {
  registry::PatientRepository records{*db, keys->cipher(), keys->blindIndex(), clock};
  licensing::LicenseService licenses{*db, *audit, nullptr, clock};
  patients::ConsentService consents{*db, *audit, keys->cipher(), records, clock};
  events::EventBus bus;
  OnDemandService service{*db, *audit, clock, &bus, ondemand::Policy{15min, 60min}};
  patients::ConsentDocument telehealth;
  // Dr. Illinois and Dr. Illinois-two hold IL licenses, Dr. Texas a TX license only, Dr. Lapsed
  // an IL license that expired the day before (2027-01-14).
  Actor drIl{0, Role::provider, std::nullopt};
  Actor drIl2{0, Role::provider, std::nullopt};
  Actor drTx{0, Role::provider, std::nullopt};
  Actor drLapsed{0, Role::provider, std::nullopt};

  OnDemandFixture() {
    clock.set(at("2027-01-15T15:00:00Z"));  // 09:00 in Chicago
    drIl.id = user(Role::provider, "il@clinic.example", "provider passphrase 2026 il");
    drIl2.id = user(Role::provider, "il2@clinic.example", "provider passphrase 2026 il2");
    drTx.id = user(Role::provider, "tx@clinic.example", "provider passphrase 2026 tx");
    drLapsed.id = user(Role::provider, "old@clinic.example", "provider passphrase 2026 old");
    licenses.add(admin, drIl.id, license("IL", "2028-06-30"));
    licenses.add(admin, drIl2.id, license("IL", "2028-06-30"));
    licenses.add(admin, drTx.id, license("TX", "2028-06-30"));
    licenses.add(admin, drLapsed.id, license("IL", "2027-01-14"));
    telehealth = consents.publish(admin, {patients::ConsentKind::telehealth, "Telehealth consent",
                                          "I agree to receive care by video.", false});
  }

  /// A patient living in Chicago (IL) with a portal account and the telehealth consent signed.
  Actor patient(const std::string& tag, bool consented = true) {
    auto id = records.create(
        {0, "MRN-" + tag, "Pat", "Tag" + tag, "1970-01-01", "America/Chicago", "IL", {}, true});
    Actor p{user(Role::patient, tag + "@home.example", "patient passphrase 2026 " + tag, id),
            Role::patient, id};
    if (consented)
      consents.sign(p, id, {telehealth.id, telehealth.sha256, "Pat Tag" + tag, true, "127.0.0.1"});
    return p;
  }

  ondemand::Request ask(const Actor& p, std::string state = "IL") {
    return service.request(p, *p.patientId, Reason::newSymptoms, state);
  }
  ondemand::Request now(const Actor& p) { return *service.current(p, *p.patientId); }
  std::vector<std::int64_t> queueIds(const Actor& provider) {
    std::vector<std::int64_t> out;
    for (const auto& r : service.queue(provider)) out.push_back(r.id);
    return out;
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(Matching)

BOOST_AUTO_TEST_CASE(the_rule_is_shortest_queue_then_longest_idle_then_lowest_id) {
  const auto t0 = at("2027-01-15T15:00:00Z");
  BOOST_TEST(!ondemand::choose({}).has_value());
  // 7 has the shorter queue although 5 has been idle longer.
  BOOST_TEST(*ondemand::choose({{5, 2, t0}, {7, 1, t0 + 5min}}) == 7);
  // Equal queues: 7 has been idle since earlier.
  BOOST_TEST(*ondemand::choose({{5, 1, t0 + 1min}, {7, 1, t0}}) == 7);
  // Equal queues and idle times: the lower id.
  BOOST_TEST(*ondemand::choose({{9, 0, t0}, {4, 0, t0}}) == 4);
}

BOOST_AUTO_TEST_CASE(the_estimated_wait_is_position_times_the_average_visit) {
  BOOST_TEST(ondemand::estimatedWait(1, 15min).count() == 15);
  BOOST_TEST(ondemand::estimatedWait(3, 15min).count() == 45);
  BOOST_TEST(ondemand::estimatedWait(2, 20min).count() == 40);
}

BOOST_AUTO_TEST_CASE(reasons_are_a_fixed_list_of_words) {
  BOOST_TEST(ondemand::toString(Reason::testResults) == "test_results");
  BOOST_TEST(ondemand::parseReason("medication").has_value());
  BOOST_TEST(!ondemand::parseReason("chest pain since Tuesday").has_value());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(OnDemandQueue, OnDemandFixture)

BOOST_AUTO_TEST_CASE(goes_to_the_on_duty_provider_licensed_in_the_confirmed_state) {
  service.setDuty(drTx, true);
  service.setDuty(drIl, true);
  auto p = patient("a");
  auto r = ask(p);
  BOOST_TEST(r.providerUserId.value_or(0) ==
             drIl.id);  // Dr. Texas is on duty but not licensed in IL
  BOOST_TEST(r.position == 1);
  BOOST_REQUIRE(r.estimatedWait.has_value());
  BOOST_TEST(r.estimatedWait->count() == 15);
  BOOST_TEST(queueIds(drIl) == std::vector<std::int64_t>{r.id});
  BOOST_TEST(queueIds(drTx).empty());
}

BOOST_AUTO_TEST_CASE(a_travelling_patient_is_matched_by_the_state_they_confirm) {
  service.setDuty(drIl, true);
  service.setDuty(drTx, true);
  auto p = patient("t");  // lives in IL, is in Texas today
  auto r = ask(p, "TX");
  BOOST_TEST(r.providerUserId.value_or(0) == drTx.id);
  BOOST_TEST(r.patientState == "TX");
}

BOOST_AUTO_TEST_CASE(nobody_eligible_on_duty_keeps_the_request_in_the_pool) {
  service.setDuty(drTx, true);      // wrong state
  service.setDuty(drLapsed, true);  // IL license expired yesterday
  // Dr. Illinois is licensed but off duty (never went on duty).
  auto r = ask(patient("p"));
  BOOST_TEST(r.providerUserId.value_or(0) == 0);
  BOOST_TEST(r.position == 1);
  BOOST_TEST(!r.estimatedWait.has_value());
}

BOOST_AUTO_TEST_CASE(the_pool_is_assigned_in_request_order_when_someone_eligible_goes_on_duty) {
  auto p1 = patient("p1");
  auto p2 = patient("p2");
  auto r1 = ask(p1);
  clock.advance(2min);
  auto r2 = ask(p2);
  BOOST_TEST(now(p2).position == 2);  // second in the pool
  service.setDuty(drTx, true);        // not eligible: nothing moves
  BOOST_TEST(now(p1).providerUserId.value_or(0) == 0);
  clock.advance(1min);
  auto d = service.setDuty(drIl, true);
  BOOST_TEST(d.queueLength == 2);
  BOOST_TEST(queueIds(drIl) == (std::vector<std::int64_t>{r1.id, r2.id}));
  auto n1 = now(p1);
  auto n2 = now(p2);
  BOOST_TEST(n1.providerUserId.value_or(0) == drIl.id);
  BOOST_TEST(n1.position == 1);
  BOOST_TEST(n1.estimatedWait->count() == 15);
  BOOST_TEST(n2.position == 2);
  BOOST_TEST(n2.estimatedWait->count() == 30);
  auto e = lastAudit("ondemand.assign");
  BOOST_REQUIRE(e.has_value());
  BOOST_TEST(e->event.reason == "from_pool");
}

BOOST_AUTO_TEST_CASE(shortest_queue_first_then_longest_idle) {
  service.setDuty(drIl, true);  // idle since 15:00
  clock.advance(1min);
  service.setDuty(drIl2, true);  // idle since 15:01
  clock.advance(1min);
  // A: both queues empty; Dr. Illinois idle longer -> drIl.
  auto a = ask(patient("a"));
  // B: drIl has 1, drIl2 has 0 -> drIl2.
  auto b = ask(patient("b"));
  // C: 1 and 1; drIl idle since 15:00, drIl2 since 15:01 -> drIl.
  auto c = ask(patient("c"));
  BOOST_TEST(a.providerUserId.value_or(0) == drIl.id);
  BOOST_TEST(b.providerUserId.value_or(0) == drIl2.id);
  BOOST_TEST(c.providerUserId.value_or(0) == drIl.id);
  BOOST_TEST(c.position == 2);
  BOOST_TEST(c.estimatedWait->count() == 30);
}

BOOST_AUTO_TEST_CASE(going_off_duty_hands_the_queue_over_keeping_its_place_in_time) {
  service.setDuty(drIl, true);
  clock.advance(1min);
  service.setDuty(drIl2, true);
  service.setDuty(drTx, true);
  auto pa = patient("a"), pb = patient("b"), pc = patient("c");
  auto a = ask(pa);  // 15:01 -> drIl (idle longer)
  clock.advance(1min);
  auto b = ask(pb);  // 15:02 -> drIl2 (shorter queue)
  clock.advance(1min);
  auto c = ask(pc);  // 15:03 -> drIl (1 and 1, idle longer)
  BOOST_TEST(queueIds(drIl) == (std::vector<std::int64_t>{a.id, c.id}));
  auto d = service.setDuty(drIl, false);
  BOOST_TEST(!d.onDuty);
  BOOST_TEST(d.queueLength == 0);
  // Both go to Dr. Illinois-two (Dr. Texas is not licensed in IL), ordered by request time:
  // a (15:01), b (15:02), c (15:03).
  BOOST_TEST(queueIds(drIl2) == (std::vector<std::int64_t>{a.id, b.id, c.id}));
  BOOST_TEST(now(pa).position == 1);
  BOOST_TEST(now(pb).position == 2);
  BOOST_TEST(now(pc).position == 3);
  BOOST_TEST(now(pc).estimatedWait->count() == 45);
  BOOST_TEST(queueIds(drTx).empty());
  auto e = lastAudit("ondemand.assign");
  BOOST_REQUIRE(e.has_value());
  BOOST_TEST(e->event.reason == "handover");
  BOOST_TEST(e->event.actorId == drIl.id);
}

BOOST_AUTO_TEST_CASE(the_last_eligible_provider_off_duty_returns_the_queue_to_the_pool) {
  auto early = patient("e");
  auto er = ask(early);  // 15:00, pool (nobody on duty)
  service.setDuty(drIl, true);
  clock.advance(1min);
  auto late = patient("l");
  auto lr = ask(late);
  BOOST_TEST(queueIds(drIl) == (std::vector<std::int64_t>{er.id, lr.id}));
  service.setDuty(drIl, false);
  BOOST_TEST(now(early).providerUserId.value_or(0) == 0);
  BOOST_TEST(now(early).position == 1);
  BOOST_TEST(now(late).position == 2);
  auto e = lastAudit("ondemand.assign");
  BOOST_REQUIRE(e.has_value());
  BOOST_TEST(e->event.reason == "handover_to_pool");
}

BOOST_AUTO_TEST_CASE(one_open_request_per_patient_and_cancel_frees_it) {
  auto p = patient("o");
  auto r = ask(p);
  BOOST_CHECK_THROW(ask(p), ondemand::RequestOpen);
  service.cancel(p, r.id);
  BOOST_TEST(ondemand::toString(now(p).state) == "cancelled");
  BOOST_CHECK_THROW(service.cancel(p, r.id), ondemand::NotWaiting);
  auto again = ask(p);
  BOOST_TEST(again.id != r.id);
  // The database itself refuses a second open request, whatever path writes it.
  BOOST_CHECK_THROW(db->writeSync([&](Connection& c) {
    c.execute(
        "INSERT INTO ondemand_requests (patient_id, reason, patient_state, requested_by, "
        "requested_at) VALUES (?1, 'other', 'IL', ?2, 0)",
        *p.patientId, p.id);
  }),
                    store::DbError);
}

BOOST_AUTO_TEST_CASE(without_telehealth_consent_or_a_state_there_is_no_request) {
  auto p = patient("n", false);
  BOOST_CHECK_THROW(ask(p), ondemand::ConsentRequired);
  auto q = patient("s");
  BOOST_CHECK_THROW(ask(q, "ZZ"), ValidationError);
  BOOST_CHECK_THROW(ask(q, "il"), ValidationError);
  // Another patient's record: refused and audited.
  BOOST_CHECK_THROW(service.request(q, *p.patientId, Reason::other, "IL"), AccessDenied);
}

BOOST_AUTO_TEST_CASE(start_creates_the_visit_with_the_confirmed_state_and_opens_the_record) {
  service.setDuty(drTx, true);
  auto p = patient("v");
  auto r = ask(p, "TX");
  BOOST_TEST(!db->read([&](Connection& c) {
    return security::SqliteCareTeam(c).isAssigned(drTx.id, *p.patientId);
  }));
  clock.advance(4min);
  auto visit = service.start(drTx, r.id);
  auto stored = db->read([&](Connection& c) {
    auto st = c.prepare(
        "SELECT provider_user_id, patient_id, patient_state, starts_at, ends_at FROM visits "
        "WHERE id = ?1");
    st.bindAll(visit);
    BOOST_REQUIRE(st.step());
    return std::make_tuple(st.get<std::int64_t>(0), st.get<std::int64_t>(1), st.get<std::string>(2),
                           st.get<std::int64_t>(3), st.get<std::int64_t>(4));
  });
  BOOST_TEST(std::get<0>(stored) == drTx.id);
  BOOST_TEST(std::get<1>(stored) == *p.patientId);
  BOOST_TEST(std::get<2>(stored) == "TX");
  BOOST_TEST(std::get<3>(stored) == core::toMillis(at("2027-01-15T15:04:00Z")));
  BOOST_TEST(std::get<4>(stored) == core::toMillis(at("2027-01-15T16:04:00Z")));
  auto n = now(p);
  BOOST_TEST(ondemand::toString(n.state) == "started");
  BOOST_TEST(n.visitId.value_or(0) == visit);
  BOOST_TEST(queueIds(drTx).empty());
  BOOST_TEST(db->read([&](Connection& c) {
    return security::SqliteCareTeam(c).isAssigned(drTx.id, *p.patientId);
  }));
  auto e = lastAudit("ondemand.start");
  BOOST_REQUIRE(e.has_value());
  BOOST_TEST(e->event.patientId.value_or(0) == *p.patientId);
}

BOOST_AUTO_TEST_CASE(start_needs_duty_and_a_license_for_where_the_patient_is) {
  service.setDuty(drIl, true);
  auto p = patient("x");
  auto r = ask(p);
  BOOST_CHECK_THROW(service.start(drIl2, r.id), ondemand::NotOnDuty);  // off duty
  service.setDuty(drTx, true);
  try {
    service.start(drTx, r.id);
    BOOST_FAIL("an unlicensed provider started the visit");
  } catch (const ondemand::NotLicensed& e) {
    BOOST_TEST(std::string(e.what()) == "no_license_for_state");
  }
  BOOST_TEST(ondemand::toString(now(p).state) == "waiting");
  // A colleague on duty and licensed may take it from Dr. Illinois's queue.
  service.setDuty(drIl2, true);
  service.start(drIl2, r.id);
  BOOST_CHECK_THROW(service.start(drIl, r.id), ondemand::NotWaiting);
  BOOST_CHECK_THROW(service.cancel(p, r.id), ondemand::NotWaiting);
}

BOOST_AUTO_TEST_CASE(two_providers_starting_one_request_make_exactly_one_visit) {
  service.setDuty(drIl, true);
  service.setDuty(drIl2, true);
  for (int round = 0; round < 5; ++round) {
    auto p = patient("race" + std::to_string(round));
    auto r = ask(p);
    std::atomic<int> won{0}, lost{0};
    auto run = [&](const Actor& who) {
      try {
        service.start(who, r.id);
        ++won;
      } catch (const ondemand::NotWaiting&) {
        ++lost;
      }
    };
    std::thread t1(run, drIl), t2(run, drIl2);
    testsupport::joinWithin(t1, 60s, "the first start");
    testsupport::joinWithin(t2, 60s, "the second start");
    BOOST_TEST(won.load() == 1);
    BOOST_TEST(lost.load() == 1);
    auto visits = db->read([&](Connection& c) {
      return c.queryValue<std::int64_t>("SELECT count(*) FROM visits WHERE patient_id = ?1",
                                        *p.patientId);
    });
    BOOST_TEST(visits.value_or(0) == 1);
  }
}

BOOST_AUTO_TEST_CASE(changes_are_published_for_the_patient_and_the_providers) {
  auto sub = bus.subscribe("test", 64);
  service.setDuty(drIl, true);
  auto p = patient("ev");
  auto q = patient("ev2");
  auto r = ask(p);
  auto r2 = ask(q);
  auto first = sub->tryNext();
  BOOST_REQUIRE(first.has_value());
  auto e = std::get<events::OnDemandChanged>(first->event);
  BOOST_TEST(e.requestId == r.id);
  BOOST_TEST(e.providerUserId.value_or(0) == drIl.id);
  while (sub->tryNext()) {
  }
  // The first patient cancels: their event names the queue it left, and the second patient,
  // now first, hears that their place changed.
  service.cancel(p, r.id);
  std::vector<events::OnDemandChanged> got;
  while (auto env = sub->tryNext()) got.push_back(std::get<events::OnDemandChanged>(env->event));
  BOOST_REQUIRE(got.size() == 2u);
  BOOST_TEST(got[0].requestId == r.id);
  BOOST_TEST(got[0].state == "cancelled");
  BOOST_TEST(got[0].previousProviderUserId.value_or(0) == drIl.id);
  BOOST_TEST(got[1].requestId == r2.id);
  BOOST_TEST(got[1].patientId == *q.patientId);
  BOOST_TEST(now(q).position == 1);
}

BOOST_AUTO_TEST_CASE(only_providers_serve_and_only_the_patient_asks) {
  Actor nurse{user(Role::nurse, "rn@clinic.example", "nurse passphrase 2026"), Role::nurse,
              std::nullopt};
  BOOST_CHECK_THROW(service.setDuty(nurse, true), AccessDenied);
  BOOST_CHECK_THROW(service.setDuty(admin, true), AccessDenied);
  auto p = patient("only");
  BOOST_CHECK_THROW(service.request(drIl, *p.patientId, Reason::other, "IL"), AccessDenied);
  BOOST_CHECK_THROW(service.setDuty(p, true), AccessDenied);
}

BOOST_AUTO_TEST_SUITE_END()
