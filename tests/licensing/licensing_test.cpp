// State licensing (issue 22): THE CHECK from a table written by hand from the requirement, the
// NPI check digit, admins' edits (audited), who reads which licenses, the 60-day expiring list,
// and how the registry's answers (license.verification) change a license. The cloud link's
// round trip is licensing_link_test.cpp.
#define BOOST_TEST_MODULE licensing
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "security_fixture.hpp"
#include "vigil/licensing/licenses.hpp"
#include "vigil/registry/registry.hpp"
#include "vigil/sync/envelope.hpp"

using namespace std::chrono;
using namespace std::chrono_literals;
using vigil::AccessDenied;
using vigil::NotFound;
using vigil::ValidationError;
using vigil::licensing::Date;
using vigil::licensing::LicenseInput;
using vigil::licensing::LicenseService;
using vigil::licensing::parseDate;
using vigil::security::Actor;
using vigil::security::Role;
using vigil::store::Connection;

namespace {

Date d(const char* text) {
  auto date = parseDate(text);
  BOOST_REQUIRE_MESSAGE(date.has_value(), text);
  return *date;
}

LicenseInput license(std::string state, std::string type, std::string number, const char* expires,
                     std::string status = "active", const char* issued = nullptr) {
  LicenseInput in;
  in.state = std::move(state);
  in.type = std::move(type);
  in.number = std::move(number);
  in.expiresOn = d(expires);
  in.status = std::move(status);
  if (issued != nullptr) in.issuedOn = d(issued);
  return in;
}

struct LicensingFixture : vigil::security::test::SecurityFixture {
  vigil::registry::PatientRepository records{*db, keys->cipher(), keys->blindIndex(), clock};
  LicenseService service{*db, *audit, nullptr, clock};
  Actor physician{0, Role::provider, std::nullopt};
  Actor nurse{0, Role::nurse, std::nullopt};
  Actor nyNurse{0, Role::nurse, std::nullopt};
  Actor frontDesk{0, Role::front_desk, std::nullopt};
  std::int64_t californian = 0;  // a patient living in CA

  LicensingFixture() {
    physician.id = user(Role::provider, "md@clinic.example", "physician passphrase 2026");
    nurse.id = user(Role::nurse, "rn@clinic.example", "nurse passphrase 2026 tx");
    nyNurse.id = user(Role::nurse, "rn-ny@clinic.example", "nurse passphrase 2026 ny");
    frontDesk.id = user(Role::front_desk, "desk@clinic.example", "front desk passphrase 2026");
    californian =
        records.create({0, "MRN-L1", "Ana", "Silva", "1956-03-02", "UTC", "CA", {}, true});
    // The physician: CA and NV (active), TX past its expiry, NY suspended, FL revoked, OR not yet
    // valid (issued 2027-03-01), CO through the IMLC.
    service.add(admin, physician.id,
                license("CA", "MD", "A123456", "2027-06-30", "active", "2019-07-01"));
    service.add(admin, physician.id, license("NV", "MD", "PA98765", "2027-01-31"));
    service.add(admin, physician.id, license("TX", "MD", "R4821", "2026-12-31"));
    service.add(admin, physician.id, license("NY", "MD", "298761", "2028-03-31", "suspended"));
    service.add(admin, physician.id, license("FL", "MD", "ME1001", "2028-01-31", "revoked"));
    service.add(admin, physician.id,
                license("OR", "MD", "MD2001", "2029-02-28", "active", "2027-03-01"));
    service.add(admin, physician.id, license("CO", "IMLC", "DR.0061234", "2028-12-31"));
    // The nurse: an NLC multistate license from TX (an NLC home state), and an RN license in CA
    // (not an NLC member).
    service.add(admin, nurse.id, license("TX", "NLC", "RN778899", "2027-12-31"));
    service.add(admin, nurse.id, license("CA", "RN", "RN95001", "2027-08-31"));
    // A nurse whose "NLC" row is in NY: NY is not an NLC member, so it covers NY alone.
    service.add(admin, nyNurse.id, license("NY", "NLC", "RN600001", "2028-05-31"));
  }

  std::string check(std::int64_t provider, const char* state, const char* day) {
    return db->read([&](Connection& c) {
      auto e = LicenseService::eligibilityIn(c, provider, state, d(day));
      return e.eligible ? std::string("eligible") : e.reason;
    });
  }

  std::int64_t count(const std::string& sql) {
    return db->read([&](Connection& c) { return c.queryValue<std::int64_t>(sql).value_or(-1); });
  }

  void applyVerification(const std::string& payload) {
    auto handler = vigil::licensing::verificationHandler(*audit, clock);
    vigil::sync::Header h;
    h.id = "msg-1";
    h.kind = "license.verification";
    db->writeSync([&](Connection& c) { handler(c, h, payload); });
  }

  vigil::licensing::License only(std::int64_t provider, const char* state) {
    for (const auto& l : service.licenses(admin, provider).licenses)
      if (l.state == state) return l;
    BOOST_FAIL("no license in " << state);
    return {};
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(eligibility, LicensingFixture)

// The expected results, by hand from issue 22: a license covers its state from its issue date
// through its expiry date; NLC covers every NLC member state from an NLC home state; IMLC is a
// per-state license; suspended and revoked never count.
BOOST_AUTO_TEST_CASE(the_check_answers_the_table_written_by_hand) {
  struct Row {
    std::int64_t provider;
    const char* state;
    const char* day;
    const char* expected;
  };
  const std::vector<Row> table = {
      {physician.id, "CA", "2027-01-15", "eligible"},
      {physician.id, "CA", "2027-06-30", "eligible"},  // the expiry day itself is covered
      {physician.id, "CA", "2027-07-01", "license_expired"},
      {physician.id, "CA", "2019-06-30", "license_not_yet_valid"},
      {physician.id, "NV", "2027-01-31", "eligible"},
      {physician.id, "NV", "2027-02-01", "license_expired"},
      {physician.id, "TX", "2026-12-31", "eligible"},
      {physician.id, "TX", "2027-01-15", "license_expired"},
      {physician.id, "NY", "2027-01-15", "license_suspended"},
      {physician.id, "FL", "2027-01-15", "license_revoked"},
      {physician.id, "OR", "2027-02-28", "license_not_yet_valid"},
      {physician.id, "OR", "2027-03-01", "eligible"},
      {physician.id, "CO", "2027-01-15", "eligible"},              // IMLC: a CO license
      {physician.id, "AZ", "2027-01-15", "no_license_for_state"},  // IMLC covers CO only
      {physician.id, "WA", "2027-01-15", "no_license_for_state"},  // wrong state
      {physician.id, "", "2027-01-15", "patient_state_unknown"},
      {physician.id, "ZZ", "2027-01-15", "patient_state_unknown"},
      {nurse.id, "TX", "2027-01-15", "eligible"},  // the NLC home state
      {nurse.id, "AZ", "2027-01-15", "eligible"},  // compact: another member state
      {nurse.id, "FL", "2027-01-15", "eligible"},
      {nurse.id, "AZ", "2028-01-01", "license_expired"},       // the multistate license ended
      {nurse.id, "CA", "2027-01-15", "eligible"},              // her own CA RN license
      {nurse.id, "NY", "2027-01-15", "no_license_for_state"},  // NY is not in the compact
      {nurse.id, "CT", "2027-01-15", "no_license_for_state"},  // enacted, not implemented
      {nyNurse.id, "NY", "2027-01-15", "eligible"},
      {nyNurse.id, "NJ", "2027-01-15", "no_license_for_state"},  // no multistate from NY
      {frontDesk.id, "CA", "2027-01-15", "no_license_for_state"},
  };
  for (const auto& row : table)
    BOOST_CHECK_MESSAGE(check(row.provider, row.state, row.day) == row.expected,
                        row.state << " " << row.day << " for user " << row.provider << ": got "
                                  << check(row.provider, row.state, row.day) << ", want "
                                  << row.expected);
}

BOOST_AUTO_TEST_CASE(a_travelling_patient_is_checked_where_they_confirmed_they_are) {
  db->read([&](Connection& c) {
    auto home = LicenseService::eligibilityForPatientIn(c, physician.id, californian, std::nullopt,
                                                        d("2027-01-15"));
    BOOST_TEST(home.eligible);
    BOOST_TEST(home.state == "CA");  // the registry's state of residence
    auto inNv = LicenseService::eligibilityForPatientIn(c, physician.id, californian,
                                                        std::string("NV"), d("2027-01-15"));
    BOOST_TEST(inNv.eligible);
    auto inWa = LicenseService::eligibilityForPatientIn(c, physician.id, californian,
                                                        std::string("WA"), d("2027-01-15"));
    BOOST_TEST(!inWa.eligible);
    BOOST_TEST(inWa.reason == "no_license_for_state");
    BOOST_TEST(inWa.state == "WA");
    // Only the eligible are offered.
    auto offered = LicenseService::eligibleProvidersIn(c, {physician.id, nurse.id, nyNurse.id},
                                                       californian, std::nullopt, d("2027-01-15"));
    BOOST_TEST(offered == (std::vector<std::int64_t>{physician.id, nurse.id}));
  });
}

BOOST_AUTO_TEST_CASE(a_patient_without_a_state_is_refused_as_unknown) {
  auto nowhere = records.create({0, "MRN-L2", "Ben", "Okoro", "1961-07-19", "UTC", "", {}, true});
  db->read([&](Connection& c) {
    auto e = LicenseService::eligibilityForPatientIn(c, physician.id, nowhere, std::nullopt,
                                                     d("2027-01-15"));
    BOOST_TEST(e.reason == "patient_state_unknown");
  });
}

BOOST_AUTO_TEST_CASE(a_visit_near_midnight_utc_counts_on_the_patients_own_date) {
  // NV expires 2027-01-31, OR begins 2027-03-01 (written by hand; Los Angeles is UTC-8 then).
  auto westerner = records.create(
      {0, "MRN-L3", "Rosa", "Lind", "1950-05-05", "America/Los_Angeles", "CA", {}, true});
  db->read([&](Connection& c) {
    // 2027-02-01T03:00Z is 19:00 on January 31 for her: the license's last day, allowed.
    auto start = sys_days(d("2027-02-01")) + 3h;
    BOOST_TEST(
        LicenseService::eligibilityForVisitIn(c, physician.id, westerner, std::string("NV"), start)
            .eligible);
    // 2027-02-01T09:00Z is 01:00 on February 1: expired.
    BOOST_TEST(LicenseService::eligibilityForVisitIn(c, physician.id, westerner, std::string("NV"),
                                                     start + 6h)
                   .reason == "license_expired");
    // 2027-03-01T05:00Z is still February 28 for her: the OR license is not valid yet.
    auto orStart = sys_days(d("2027-03-01")) + 5h;
    BOOST_TEST(LicenseService::eligibilityForVisitIn(c, physician.id, westerner, std::string("OR"),
                                                     orStart)
                   .reason == "license_not_yet_valid");
    // For a patient whose zone is UTC the same instant is March 1: valid.
    BOOST_TEST(LicenseService::eligibilityForVisitIn(c, physician.id, californian,
                                                     std::string("OR"), orStart)
                   .eligible);
  });
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(npi)

BOOST_AUTO_TEST_CASE(the_check_digit_is_luhn_over_80840) {
  // The stand-in registry's NPIs (docs/cloud-api.md) and CMS's worked example 1234567893.
  for (const char* good : {"1234567893", "1245319599", "1306849450"})
    BOOST_CHECK_MESSAGE(vigil::licensing::validNpi(good), good);
  for (const char* bad : {"1234567890", "1245319590", "123456789", "12345678931", "12345678a3", ""})
    BOOST_CHECK_MESSAGE(!vigil::licensing::validNpi(bad), bad);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(service, LicensingFixture)

BOOST_AUTO_TEST_CASE(admins_set_npis_and_edit_licenses_and_every_change_is_audited) {
  service.setNpi(admin, physician.id, "1234567893");
  BOOST_CHECK_THROW(service.setNpi(admin, nurse.id, "1234567893"), ValidationError);  // taken
  BOOST_CHECK_THROW(service.setNpi(admin, nurse.id, "1234567890"), ValidationError);  // digit
  BOOST_CHECK_THROW(service.setNpi(admin, frontDesk.id, "1245319599"), ValidationError);
  BOOST_TEST(service.licenses(admin, physician.id).npi.value_or("") == "1234567893");

  auto ca = only(physician.id, "CA");
  auto edited = license("CA", "MD", "A123456", "2029-06-30");
  edited.verifiedByHand = true;
  auto after = service.edit(admin, physician.id, ca.id, edited);
  BOOST_TEST(after.verification == "verified");
  BOOST_TEST(after.verifiedBy == "admin");
  BOOST_TEST(vigil::licensing::formatDate(after.expiresOn) == "2029-06-30");
  // Changing the number makes it unverified again.
  after = service.edit(admin, physician.id, ca.id, license("CA", "MD", "A999999", "2029-06-30"));
  BOOST_TEST(after.verification == "unverified");
  // A second MD license in CA is refused; another provider's license is not this provider's.
  BOOST_CHECK_THROW(service.add(admin, physician.id, license("CA", "MD", "X1", "2029-01-01")),
                    ValidationError);
  BOOST_CHECK_THROW(service.edit(admin, nurse.id, ca.id, edited), NotFound);
  BOOST_CHECK_THROW(service.add(admin, physician.id, license("ZZ", "MD", "X1", "2029-01-01")),
                    ValidationError);
  BOOST_CHECK_THROW(service.add(admin, physician.id, license("WA", "XX", "X1", "2029-01-01")),
                    ValidationError);
  service.remove(admin, physician.id, ca.id);
  BOOST_CHECK_THROW(service.remove(admin, physician.id, ca.id), NotFound);
  BOOST_TEST(check(physician.id, "CA", "2027-01-15") == "no_license_for_state");
  // 10 adds in the fixture + NPI set + 2 edits + remove: success entries of license.manage.
  BOOST_TEST(count("SELECT count(*) FROM audit_log WHERE action = 'license.manage' AND "
                   "outcome = 'success'") == 14);
  // Providers and nurses change nothing.
  BOOST_CHECK_THROW(service.add(physician, physician.id, license("WA", "MD", "1", "2029-01-01")),
                    AccessDenied);
  BOOST_CHECK_THROW(service.setNpi(nurse, nurse.id, "1245319599"), AccessDenied);
  BOOST_TEST(count("SELECT count(*) FROM audit_log WHERE action = 'license.manage' AND "
                   "outcome = 'denied'") == 2);
}

BOOST_AUTO_TEST_CASE(providers_read_their_own_licenses_only) {
  BOOST_TEST(service.licenses(physician, physician.id).licenses.size() == 7u);
  BOOST_TEST(service.licenses(nurse, nurse.id).licenses.size() == 2u);
  BOOST_CHECK_THROW(service.licenses(physician, nurse.id), AccessDenied);
  BOOST_CHECK_THROW(service.licenses(frontDesk, physician.id), AccessDenied);
  BOOST_TEST(service.licenses(admin, nurse.id).licenses.size() == 2u);
  BOOST_TEST(count("SELECT count(*) FROM audit_log WHERE action = 'license.read' AND "
                   "outcome = 'denied'") == 2);
  BOOST_TEST(count("SELECT count(*) FROM audit_log WHERE action = 'license.read' AND "
                   "outcome = 'success'") == 3);
}

BOOST_AUTO_TEST_CASE(admins_see_the_active_licenses_expiring_within_60_days) {
  // Today (the clock) is 2027-01-15; 60 days on is 2027-03-16. Active ones in that window: NV
  // (2027-01-31, 16 days). TX (2026-12-31) is already past; NY (suspended) is not listed.
  auto list = service.expiringWithin(admin, 60);
  BOOST_REQUIRE_EQUAL(list.size(), 1u);
  BOOST_TEST(list[0].license.state == "NV");
  BOOST_TEST(list[0].daysLeft == 16);
  // On 2026-12-01: TX (30 days) then NV (61 days: outside) — only TX.
  auto december = service.expiringWithin(admin, 60, d("2026-12-01"));
  BOOST_REQUIRE_EQUAL(december.size(), 1u);
  BOOST_TEST(december[0].license.state == "TX");
  BOOST_TEST(december[0].daysLeft == 30);
  // The expiry day itself is in the list with 0 days left.
  auto lastDay = service.expiringWithin(admin, 60, d("2027-01-31"));
  BOOST_REQUIRE_GE(lastDay.size(), 1u);
  BOOST_TEST(lastDay[0].daysLeft == 0);
  BOOST_CHECK_THROW(service.expiringWithin(physician, 60), AccessDenied);
}

BOOST_AUTO_TEST_CASE(verify_needs_an_enrolled_cloud_link) {
  service.setNpi(admin, physician.id, "1234567893");
  BOOST_CHECK_THROW(service.verify(admin, physician.id), ValidationError);
  BOOST_TEST(service.refreshAll() == 0);
}

BOOST_AUTO_TEST_CASE(the_registrys_answers_change_the_license_and_are_audited) {
  service.setNpi(admin, physician.id, "1234567893");
  service.setNpi(admin, nurse.id, "1245319599");
  // The same number: verified; the registry's expiry and status are taken.
  applyVerification(R"({"npi":"1234567893","state":"CA","status":"active",)"
                    R"("licenseNumber":"A123456","expires":"2027-06-30"})");
  auto ca = only(physician.id, "CA");
  BOOST_TEST(ca.verification == "verified");
  BOOST_TEST(ca.verifiedBy == "registry");
  BOOST_TEST(ca.verifiedAt.has_value());
  // Another number: mismatch, our number kept, the registry's shown; active not taken.
  applyVerification(R"({"npi":"1234567893","state":"NV","status":"active",)"
                    R"("licenseNumber":"PA00000","expires":"2030-01-31"})");
  auto nv = only(physician.id, "NV");
  BOOST_TEST(nv.verification == "mismatch");
  BOOST_TEST(nv.number == "PA98765");
  BOOST_TEST(nv.registryNumber == "PA00000");
  BOOST_TEST(vigil::licensing::formatDate(nv.expiresOn) == "2027-01-31");
  // The registry says suspended with our number: the license is suspended, the check refuses.
  applyVerification(R"({"npi":"1234567893","state":"OR","status":"suspended",)"
                    R"("licenseNumber":"MD2001","expires":"2029-02-28"})");
  BOOST_TEST(only(physician.id, "OR").status == "suspended");
  BOOST_TEST(check(physician.id, "OR", "2027-06-01") == "license_suspended");
  // Not in the registry.
  applyVerification(R"({"npi":"1234567893","state":"CO","status":"not_found"})");
  BOOST_TEST(only(physician.id, "CO").verification == "not_found");
  // An NPI the box does not know changes nothing.
  applyVerification(R"({"npi":"1306849450","state":"NY","status":"suspended",)"
                    R"("licenseNumber":"298761","expires":"2027-03-31"})");
  BOOST_TEST(only(physician.id, "NY").verification == "unverified");
  BOOST_TEST(count("SELECT count(*) FROM audit_log WHERE action = 'license.verification' AND "
                   "actor_role = 'system'") == 4);
  // An editor's later change of the number makes the license unverified again.
  auto edited =
      service.edit(admin, physician.id, ca.id, license("CA", "MD", "A123457", "2027-06-30"));
  BOOST_TEST(edited.verification == "unverified");
}

BOOST_AUTO_TEST_SUITE_END()
