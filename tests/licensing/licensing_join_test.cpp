// The join check (issue 22): a provider may start or join a video visit only with an active
// license for the state the patient is in on the date of service: the registry's state of
// residence, or the state the patient confirmed at check-in. VisitService runs the check in
// join's write job (a refusal is audited with its reason, like the consent refusal), and a
// check-in from another state re-checks at once. Wired as vigild wires it (daemon/app).
#define BOOST_TEST_MODULE licensing_join
#include <boost/test/unit_test.hpp>
#include <chrono>

#include "security_fixture.hpp"
#include "vigil/core/time.hpp"
#include "vigil/licensing/licenses.hpp"
#include "vigil/registry/registry.hpp"
#include "vigil/security/access_guard.hpp"
#include "vigil/video/visit.hpp"

using namespace std::chrono_literals;
using vigil::AccessDenied;
using vigil::ValidationError;
using vigil::licensing::LicenseInput;
using vigil::licensing::LicenseService;
using vigil::security::Actor;
using vigil::security::Role;
using vigil::store::Connection;
using vigil::video::JoinStatus;
using vigil::video::VisitService;

namespace {

LicenseInput license(std::string state, const char* expires, std::string status = "active") {
  LicenseInput in;
  in.state = std::move(state);
  in.type = "MD";
  in.number = "MD-" + in.state;
  in.expiresOn = *vigil::licensing::parseDate(expires);
  in.status = std::move(status);
  return in;
}

struct JoinFixture : vigil::security::test::SecurityFixture {
  vigil::registry::PatientRepository records{*db, keys->cipher(), keys->blindIndex(), clock};
  LicenseService licenses{*db, *audit, nullptr, clock};
  VisitService visits{*db, *audit, clock, {}, &keys->cipher()};
  // A patient living in CA (the registry's state); the clock is 2027-01-15T08:00Z.
  std::int64_t patientId =
      records.create({0, "MRN-J1", "Lena", "Park", "1966-04-12", "UTC", "CA", {}, true});
  Actor patient{0, Role::patient, patientId};
  Actor californiaMd{0, Role::provider, std::nullopt};  // licensed in CA
  Actor texasMd{0, Role::provider, std::nullopt};       // licensed in TX only
  Actor lapsedMd{0, Role::provider, std::nullopt};      // CA license expired 2027-01-14

  JoinFixture() {
    patient.id = user(Role::patient, "lena@home.example", "patient passphrase 2026", patientId);
    californiaMd.id = user(Role::provider, "ca@clinic.example", "provider passphrase 2026 ca");
    texasMd.id = user(Role::provider, "tx@clinic.example", "provider passphrase 2026 tx");
    lapsedMd.id = user(Role::provider, "old@clinic.example", "provider passphrase 2026 old");
    db->writeSync([&](Connection& c) {
      for (auto id : {californiaMd.id, texasMd.id, lapsedMd.id})
        vigil::security::SqliteCareTeam::assignIn(c, id, patientId, admin.id, clock.now());
    });
    licenses.add(admin, californiaMd.id, license("CA", "2028-06-30"));
    licenses.add(admin, texasMd.id, license("TX", "2028-06-30"));
    licenses.add(admin, lapsedMd.id, license("CA", "2027-01-14"));
    // As vigild wires it (daemon/app/src/video_subsystem.cpp).
    visits.setJoinCheck([](Connection& c, const vigil::video::Visit& v,
                           const Actor&) -> std::optional<std::string> {
      auto e = LicenseService::eligibilityForVisitIn(c, v.providerUserId, v.patientId,
                                                     v.patientState, v.startsAt);
      if (e.eligible) return std::nullopt;
      return e.reason;
    });
  }

  std::int64_t visitWith(const Actor& provider) {
    vigil::video::NewVisit nv;
    nv.patientId = patientId;
    nv.providerUserId = provider.id;
    nv.startsAt = clock.now() + 10min;
    nv.endsAt = nv.startsAt + 30min;
    return visits.schedule(admin, nv);
  }

  std::string refusal(const std::function<void()>& fn) {
    try {
      fn();
    } catch (const AccessDenied& e) {
      std::string what = e.what();
      return what.substr(what.rfind(": ") + 2);
    }
    return "allowed";
  }

  std::int64_t count(const std::string& sql) {
    return db->read([&](Connection& c) { return c.queryValue<std::int64_t>(sql).value_or(-1); });
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(join_check, JoinFixture)

BOOST_AUTO_TEST_CASE(a_provider_licensed_in_the_patients_state_starts_the_visit) {
  auto id = visitWith(californiaMd);
  BOOST_TEST((visits.join(californiaMd, id) == JoinStatus::admitted));
}

BOOST_AUTO_TEST_CASE(a_provider_without_a_license_there_is_refused_and_it_is_audited) {
  auto id = visitWith(texasMd);
  BOOST_TEST(refusal([&] { visits.join(texasMd, id); }) == "no_license_for_state");
  BOOST_TEST(count("SELECT count(*) FROM audit_log WHERE action = 'visit.join' AND outcome = "
                   "'denied' AND reason = 'no_license_for_state' AND object_id = '" +
                   std::to_string(id) + "'") == 1);
  BOOST_TEST(count("SELECT count(*) FROM visits WHERE state = 'scheduled' AND id = " +
                   std::to_string(id)) == 1);  // nothing started
  auto lapsed = visitWith(lapsedMd);
  BOOST_TEST(refusal([&] { visits.join(lapsedMd, lapsed); }) == "license_expired");
}

BOOST_AUTO_TEST_CASE(a_check_in_from_another_state_re_checks_the_license) {
  auto id = visitWith(californiaMd);
  // The patient is travelling in Texas: the CA physician may not see them there.
  BOOST_TEST(refusal([&] { visits.checkIn(patient, id, "TX"); }) == "no_license_for_state");
  BOOST_TEST(count("SELECT count(*) FROM audit_log WHERE action = 'visit.check_in' AND outcome "
                   "= 'denied' AND reason = 'no_license_for_state'") == 1);
  BOOST_TEST(visits.find(id)->patientState.value_or("") == "TX");  // where they are is kept
  BOOST_TEST(refusal([&] { visits.join(californiaMd, id); }) == "no_license_for_state");
  // Back home in California: allowed, and the join goes ahead.
  BOOST_TEST(refusal([&] { visits.checkIn(patient, id, "CA"); }) == "allowed");
  BOOST_TEST(count("SELECT count(*) FROM audit_log WHERE action = 'visit.check_in' AND outcome "
                   "= 'success'") == 1);
  BOOST_TEST((visits.join(californiaMd, id) == JoinStatus::admitted));
}

BOOST_AUTO_TEST_CASE(a_check_in_in_a_state_the_provider_holds_lets_a_travelling_patient_in) {
  // The TX physician cannot see the Californian at home, but can where she is: Texas.
  auto id = visitWith(texasMd);
  BOOST_TEST(refusal([&] { visits.join(texasMd, id); }) == "no_license_for_state");
  visits.checkIn(patient, id, "TX");
  BOOST_TEST((visits.join(texasMd, id) == JoinStatus::admitted));
}

BOOST_AUTO_TEST_CASE(the_date_of_service_is_the_patients_own_date) {
  // Written by hand: 2027-02-01T05:00Z is 2027-01-31 21:00 in Los Angeles (PST, UTC-8) and
  // 2027-02-01 18:00 in Auckland (NZDT, UTC+13); 2027-01-31T12:00Z is 2027-02-01 01:00 there.
  auto la = records.create(
      {0, "MRN-J2", "Ana", "Reyes", "1970-02-02", "America/Los_Angeles", "CA", {}, true});
  auto nz = records.create(
      {0, "MRN-J3", "Tama", "Ngata", "1971-03-03", "Pacific/Auckland", "CA", {}, true});
  auto md = user(Role::provider, "jan@clinic.example", "provider passphrase 2026 jan");
  licenses.add(admin, md, license("CA", "2027-01-31"));
  auto at = [](const char* t) { return *vigil::core::parseRfc3339(t); };
  auto check = [&](std::int64_t p, const char* t) {
    return db->read([&](Connection& c) {
      return LicenseService::eligibilityForVisitIn(c, md, p, std::nullopt, at(t));
    });
  };
  // The license's last day, evening in California: still that day there.
  BOOST_TEST(check(la, "2027-02-01T05:00:00Z").eligible);
  BOOST_TEST(check(la, "2027-02-01T09:00:00Z").reason == "license_expired");  // 01:00 Feb 1
  // In Auckland it is already 1 February at 2027-01-31T12:00Z: expired there.
  BOOST_TEST(check(nz, "2027-01-31T12:00:00Z").reason == "license_expired");
  BOOST_TEST(check(nz, "2027-01-31T10:00:00Z").eligible);  // 23:00 on 31 January
}

BOOST_AUTO_TEST_CASE(only_the_visits_patient_checks_in_with_a_state_code) {
  auto id = visitWith(californiaMd);
  BOOST_TEST(refusal([&] { visits.checkIn(californiaMd, id, "CA"); }) == "not_visit_patient");
  BOOST_CHECK_THROW(visits.checkIn(patient, id, "texas"), ValidationError);
  BOOST_CHECK_THROW(visits.checkIn(patient, id, "tx"), ValidationError);
}

BOOST_AUTO_TEST_SUITE_END()
