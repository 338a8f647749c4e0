// Patient invitations without the cloud link ("manual" delivery): the single-use, expiring link,
// the birth-date check and its limit, a newer invitation revoking the older, the password policy,
// who may invite, the audit trail, and that neither the token nor the e-mail address is stored
// in clear. The e-mail through the cloud link is invitation_link_test.cpp.
#define BOOST_TEST_MODULE onboarding
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>

#include "security_fixture.hpp"
#include "vigil/onboarding/invitations.hpp"
#include "vigil/registry/registry.hpp"
#include "vigil/security/access_guard.hpp"

using namespace std::chrono_literals;
using vigil::AccessDenied;
using vigil::ValidationError;
using vigil::onboarding::InvitationRefused;
using vigil::onboarding::InvitationService;
using vigil::onboarding::InvitationState;
using vigil::security::Actor;
using vigil::security::Role;

namespace {

constexpr const char* kPortal = "https://clinic.example:8443";
constexpr const char* kEmail = "canary.ana.invite@home.example";
constexpr const char* kGoodPassword = "correct horse battery staple 2026";

struct InvitationFixture : vigil::security::test::SecurityFixture {
  vigil::registry::PatientRepository records{*db, keys->cipher(), keys->blindIndex(), clock};
  InvitationService invitations{*db, *audit, *accounts, keys->cipher(), records, nullptr, clock};
  std::int64_t patientId = 0, otherPatientId = 0;
  Actor provider{0, Role::provider, std::nullopt};
  Actor strangerProvider{0, Role::provider, std::nullopt};

  InvitationFixture() {
    patientId = records.create({0, "MRN-I1", "Ana", "Silva", "1956-03-02", "UTC", "", {}, true});
    otherPatientId =
        records.create({0, "MRN-I2", "Ben", "Okoro", "1961-07-19", "UTC", "", {}, true});
    provider.id = user(Role::provider, "dr@clinic.example", "provider passphrase 2026");
    strangerProvider.id = user(Role::provider, "dr2@clinic.example", "provider2 passphrase 2026");
    db->writeSync([&](vigil::store::Connection& c) {
      vigil::security::SqliteCareTeam::assignIn(c, provider.id, patientId, admin.id, clock.now());
    });
  }

  std::int64_t count(const std::string& sql) {
    return db->read(
        [&](vigil::store::Connection& c) { return c.queryValue<std::int64_t>(sql).value_or(-1); });
  }

  std::string fileBytes(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
  }

  std::string refusal(const std::function<void()>& fn) {
    try {
      fn();
    } catch (const InvitationRefused& e) {
      return e.code();
    }
    return "accepted";
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(invitations, InvitationFixture)

BOOST_AUTO_TEST_CASE(an_invitation_is_used_once_and_makes_the_patients_own_account) {
  auto made = invitations.invite(admin, patientId, "  Canary.Ana.Invite@HOME.example ", kPortal);
  BOOST_TEST(made.invitation.delivery == "manual");  // no cloud link here
  BOOST_TEST(made.invitation.email == kEmail);
  BOOST_TEST(made.token.size() == 43u);
  BOOST_TEST(made.link == std::string(kPortal) + "/#/welcome/" + made.token);
  BOOST_TEST((made.invitation.expiresAt - made.invitation.createdAt == 72h));

  auto check = invitations.check(made.token);
  BOOST_TEST((check.state == InvitationState::open));
  BOOST_TEST(check.needsBirthDate);

  auto userId = invitations.accept(made.token, "1956-03-02", kGoodPassword);
  auto user = accounts->findUser(userId);
  BOOST_REQUIRE(user.has_value());
  BOOST_TEST((user->role == Role::patient));
  BOOST_TEST(user->patientId.value_or(0) == patientId);
  BOOST_TEST(user->email == kEmail);
  auto signIn = accounts->signIn(kEmail, kGoodPassword, "");
  BOOST_TEST((signIn.status == vigil::security::SignInStatus::ok));

  // Single use: the same link again is refused, and says so.
  BOOST_TEST(refusal([&] { invitations.accept(made.token, "1956-03-02", kGoodPassword); }) ==
             "used");
  BOOST_TEST((invitations.check(made.token).state == InvitationState::used));
  // A patient with an account is not invited again.
  BOOST_TEST(refusal([&] { invitations.invite(admin, patientId, kEmail, kPortal); }) ==
             "already_registered");
  BOOST_TEST(count("SELECT count(*) FROM audit_log WHERE action = 'patient.invitation_accept' "
                   "AND outcome = 'success'") == 1);
}

BOOST_AUTO_TEST_CASE(a_link_expires_after_72_hours) {
  auto made = invitations.invite(provider, patientId, kEmail, kPortal);
  clock.advance(71h);
  BOOST_TEST((invitations.check(made.token).state == InvitationState::open));
  clock.advance(1h);
  BOOST_TEST((invitations.check(made.token).state == InvitationState::expired));
  BOOST_TEST(refusal([&] { invitations.accept(made.token, "1956-03-02", kGoodPassword); }) ==
             "expired");
  BOOST_TEST(count("SELECT count(*) FROM users WHERE patient_id IS NOT NULL") == 0);
}

BOOST_AUTO_TEST_CASE(five_wrong_birth_dates_withdraw_the_link) {
  auto made = invitations.invite(admin, patientId, kEmail, kPortal);
  for (int i = 1; i <= 4; ++i)
    BOOST_TEST(refusal([&] { invitations.accept(made.token, "1956-03-03", kGoodPassword); }) ==
               "birth_date_mismatch");
  BOOST_TEST((invitations.check(made.token).state == InvitationState::open));
  BOOST_TEST(refusal([&] { invitations.accept(made.token, "1965-02-03", kGoodPassword); }) ==
             "birth_date_mismatch");
  BOOST_TEST((invitations.check(made.token).state == InvitationState::revoked));
  // The right birth date no longer helps.
  BOOST_TEST(refusal([&] { invitations.accept(made.token, "1956-03-02", kGoodPassword); }) ==
             "revoked");
  BOOST_TEST(count("SELECT count(*) FROM audit_log WHERE action = 'patient.invitation_accept' "
                   "AND outcome = 'denied'") == 5);
}

BOOST_AUTO_TEST_CASE(a_new_invitation_withdraws_the_open_one) {
  auto first = invitations.invite(admin, patientId, kEmail, kPortal);
  auto second = invitations.invite(admin, patientId, "ana.other@home.example", kPortal);
  BOOST_TEST((invitations.check(first.token).state == InvitationState::revoked));
  BOOST_TEST((invitations.check(second.token).state == InvitationState::open));
  auto listed = invitations.list(admin, patientId);
  BOOST_REQUIRE_EQUAL(listed.size(), 2u);
  BOOST_TEST(listed[0].id == second.invitation.id);  // newest first
  BOOST_TEST((listed[1].state == InvitationState::revoked));
  BOOST_TEST(invitations.revoke(admin, patientId, second.invitation.id));
  BOOST_TEST(!invitations.revoke(admin, patientId, second.invitation.id));      // not open any more
  BOOST_TEST(!invitations.revoke(admin, otherPatientId, first.invitation.id));  // not Ben's
}

BOOST_AUTO_TEST_CASE(the_password_follows_the_staff_policy_and_a_refusal_keeps_the_link) {
  auto made = invitations.invite(admin, patientId, kEmail, kPortal);
  BOOST_CHECK_THROW(invitations.accept(made.token, "1956-03-02", "short"), ValidationError);
  BOOST_CHECK_THROW(invitations.accept(made.token, "1956-03-02", "aaaaaaaaaaaa"), ValidationError);
  BOOST_TEST((invitations.check(made.token).state == InvitationState::open));
  BOOST_TEST(invitations.accept(made.token, "1956-03-02", kGoodPassword) > 0);
}

BOOST_AUTO_TEST_CASE(unknown_and_malformed_tokens_are_refused_alike) {
  invitations.invite(admin, patientId, kEmail, kPortal);
  BOOST_TEST(refusal([&] { invitations.check("not-a-token"); }) == "unknown");
  BOOST_TEST(refusal([&] { invitations.check(std::string(43, 'A')); }) == "unknown");
  BOOST_TEST(refusal([&] { invitations.accept(std::string(43, 'A'), "", kGoodPassword); }) ==
             "unknown");
}

BOOST_AUTO_TEST_CASE(bad_addresses_and_portal_urls_are_refused) {
  BOOST_CHECK_THROW(invitations.invite(admin, patientId, "no-at-sign", kPortal), ValidationError);
  BOOST_CHECK_THROW(invitations.invite(admin, patientId, "a@b.example, c@d.example", kPortal),
                    ValidationError);
  BOOST_CHECK_THROW(invitations.invite(admin, patientId, kEmail, "ftp://clinic"), ValidationError);
  BOOST_CHECK_THROW(invitations.invite(admin, patientId, kEmail, "https://evil.example/path?x"),
                    ValidationError);
  BOOST_CHECK_THROW(invitations.invite(admin, 9999, kEmail, kPortal), vigil::NotFound);
  BOOST_TEST(count("SELECT count(*) FROM patient_invitations") == 0);
}

// Who may invite, written from the mission: whoever registers patients (admins; providers and
// nurses for their care team), never a patient, never a clinician outside the care team.
BOOST_AUTO_TEST_CASE(only_staff_who_register_patients_invite) {
  auto patientUser = user(Role::patient, "ben@home.example", "ben passphrase 2026", otherPatientId);
  Actor patient{patientUser, Role::patient, otherPatientId};
  BOOST_CHECK_THROW(invitations.invite(patient, otherPatientId, kEmail, kPortal), AccessDenied);
  BOOST_CHECK_THROW(invitations.invite(strangerProvider, patientId, kEmail, kPortal), AccessDenied);
  BOOST_CHECK_THROW(invitations.list(strangerProvider, patientId), AccessDenied);
  BOOST_TEST(invitations.invite(provider, patientId, kEmail, kPortal).invitation.id > 0);
  BOOST_TEST(invitations.list(provider, patientId).size() == 1u);
  BOOST_TEST(count("SELECT count(*) FROM audit_log WHERE action = 'patient.invite' AND outcome = "
                   "'denied'") == 2);
  BOOST_TEST(count("SELECT count(*) FROM audit_log WHERE action = 'patient.invite' AND outcome = "
                   "'success'") == 1);
}

BOOST_AUTO_TEST_CASE(neither_the_token_nor_the_address_is_stored_in_clear) {
  auto made = invitations.invite(admin, patientId, kEmail, kPortal);
  invitations.accept(made.token, "1956-03-02", kGoodPassword);
  auto bytes = fileBytes(dir / "vigil.db") + fileBytes(dir / "vigil.db-wal");
  BOOST_TEST(bytes.find(made.token) == std::string::npos);
  BOOST_TEST(bytes.find("canary.ana.invite") == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
