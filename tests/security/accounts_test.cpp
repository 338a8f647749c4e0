#include "vigil/security/accounts.hpp"

#include <boost/test/unit_test.hpp>

#include "security_fixture.hpp"
#include "vigil/core/error.hpp"

using namespace vigil;
using namespace vigil::security;
using namespace std::chrono_literals;
using vigil::security::test::SecurityFixture;

namespace {

const std::string kPatientPassword = "purple otters sing at dawn";
const std::string kStaffPassword = "quiet harbour lanterns glow";

std::int64_t toMillis(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

struct AccountsFixture : SecurityFixture {
  std::int64_t patientUser = 0;
  AccountsFixture() { patientUser = user(Role::patient, "pat@example.org", kPatientPassword, 100); }
  std::string totpNow(const std::string& secretBase32) {
    return totpCode(base32Decode(secretBase32), clock.now());
  }
  /// A provider who has enrolled TOTP; returns the secret.
  std::string enrolledProvider(const std::string& email, std::int64_t* id = nullptr) {
    auto uid = user(Role::provider, email, kStaffPassword);
    if (id) *id = uid;
    auto r = accounts->signIn(email, kStaffPassword);
    BOOST_REQUIRE(r.status == SignInStatus::enrolmentRequired);
    auto enrol = accounts->beginTotpEnrolment(r.token);
    auto codes = accounts->confirmTotpEnrolment(r.token, totpNow(enrol.secretBase32));
    BOOST_REQUIRE_EQUAL(codes.size(), 10u);
    clock.advance(30s);
    return enrol.secretBase32;
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(AccountService_, AccountsFixture)

BOOST_AUTO_TEST_CASE(patient_signs_in_with_the_right_password_only) {
  auto ok = accounts->signIn("PAT@example.org ", kPatientPassword);
  BOOST_TEST(ok.status == SignInStatus::ok);
  BOOST_TEST(ok.userId == patientUser);
  BOOST_TEST(checkCsrf(ok.token, ok.csrf));
  auto s = accounts->authenticate(ok.token);
  BOOST_TEST(s.actor.id == patientUser);
  BOOST_TEST((s.actor.role == Role::patient));
  BOOST_TEST(s.actor.patientId.value_or(0) == 100);

  auto bad = accounts->signIn("pat@example.org", "purple otters sing at dusk");
  BOOST_TEST(bad.status == SignInStatus::failed);
  BOOST_TEST(bad.token.empty());
  BOOST_TEST(lastAudit("signin")->event.reason == "bad_password");
  auto unknown = accounts->signIn("nobody@example.org", kPatientPassword);
  BOOST_TEST(unknown.status == SignInStatus::failed);
  BOOST_TEST(lastAudit("signin")->event.reason == "unknown_account");
}

BOOST_AUTO_TEST_CASE(stores_contact_details_encrypted_and_finds_by_blind_index) {
  auto u = accounts->findUserByEmail("pat@example.org");
  BOOST_REQUIRE(u);
  BOOST_TEST(u->email == "pat@example.org");
  auto raw = db->read([&](store::Connection& c) {
    return c.queryValue<store::Blob>("SELECT email_enc FROM users WHERE id = ?1", patientUser);
  });
  BOOST_REQUIRE(raw);
  std::string bytes(raw->begin(), raw->end());
  BOOST_TEST(bytes.find("pat@example.org") == std::string::npos);
  BOOST_TEST(crypto::FieldCipher::keyIdOf(*raw) == 1u);
}

BOOST_AUTO_TEST_CASE(refuses_common_short_and_contextual_passwords) {
  NewUser u;
  u.role = Role::nurse;
  u.email = "nina@clinic.example";
  for (const char* pw : {"basketball", "short", "nina@clinic", "aaaaaaaaaaaa"}) {
    u.password = pw;
    BOOST_CHECK_THROW(accounts->createUser(admin, u), ValidationError);
  }
  u.password = "nina2024!!";
  BOOST_CHECK_THROW(accounts->createUser(admin, u), ValidationError);
}

BOOST_AUTO_TEST_CASE(only_admins_create_users_and_denials_are_audited) {
  auto r = accounts->signIn("pat@example.org", kPatientPassword);
  auto s = accounts->authenticate(r.token);
  NewUser u;
  u.role = Role::admin;
  u.email = "evil@example.org";
  u.password = kStaffPassword;
  BOOST_CHECK_THROW(accounts->createUser(s.actor, u), AccessDenied);
  auto e = lastAudit("user.create");
  BOOST_REQUIRE(e);
  BOOST_TEST((e->event.outcome == AuditOutcome::denied));
  BOOST_TEST(e->event.actorId == patientUser);
  BOOST_TEST(e->event.reason == "role_lacks_permission");
  u.email = "pat@example.org";
  u.role = Role::nurse;
  BOOST_CHECK_THROW(accounts->createUser(admin, u), ValidationError);  // e-mail taken
}

BOOST_AUTO_TEST_CASE(locks_after_five_failures_in_fifteen_minutes_until_admin_unlock) {
  for (int i = 0; i < 4; ++i) {
    BOOST_TEST(accounts->signIn("pat@example.org", "wrong wrong wrong").status ==
               SignInStatus::failed);
    clock.advance(1min);
  }
  BOOST_TEST(accounts->signIn("pat@example.org", "wrong wrong wrong").status ==
             SignInStatus::locked);
  // The right password does not help while locked.
  BOOST_TEST(accounts->signIn("pat@example.org", kPatientPassword).status == SignInStatus::locked);
  auto lock = lastAudit("user.lock");
  BOOST_REQUIRE(lock);
  BOOST_TEST(lock->event.objectId == std::to_string(patientUser));
  BOOST_TEST(lastAudit("signin")->event.reason == "locked");
  BOOST_TEST(accounts->findUser(patientUser)->lockedUntil.has_value());

  accounts->unlockUser(admin, patientUser);
  BOOST_TEST((lastAudit("user.unlock")->event.outcome == AuditOutcome::success));
  BOOST_TEST(accounts->signIn("pat@example.org", kPatientPassword).status == SignInStatus::ok);
}

BOOST_AUTO_TEST_CASE(an_address_without_an_account_locks_exactly_like_one_with_an_account) {
  // Expected by hand (5 failures in 15 minutes lock for 30 minutes): were the unknown address
  // never "locked", the 423 would tell an attacker which addresses have accounts.
  const std::vector<SignInStatus> expected = {
      SignInStatus::failed, SignInStatus::failed, SignInStatus::failed, SignInStatus::failed,
      SignInStatus::locked, SignInStatus::locked, SignInStatus::locked};
  auto run = [&](const std::string& email) {
    std::vector<SignInStatus> got;
    for (std::size_t i = 0; i < expected.size(); ++i) {
      got.push_back(accounts->signIn(email, "wrong wrong wrong").status);
      clock.advance(1min);
    }
    return got;
  };
  BOOST_TEST(run("pat@example.org") == expected, boost::test_tools::per_element());
  BOOST_TEST(run("nobody.here@example.org") == expected, boost::test_tools::per_element());
  // The addresses are counted apart, case-insensitively, and the lock ends on time.
  BOOST_TEST(accounts->signIn("Someone.Else@example.org", "x").status == SignInStatus::failed);
  BOOST_TEST(accounts->signIn("NOBODY.here@example.org", "x").status == SignInStatus::locked);
  BOOST_TEST(lastAudit("signin")->event.reason == "unknown_account_locked");
  clock.advance(30min);
  BOOST_TEST(accounts->signIn("nobody.here@example.org", "x").status == SignInStatus::failed);
  // No address is stored, only its blind index.
  auto raw = db->read([](store::Connection& c) {
    return c.queryValue<std::int64_t>("SELECT count(*) FROM sign_in_unknown_failures").value_or(0);
  });
  BOOST_TEST(raw > 0);
}

BOOST_AUTO_TEST_CASE(password_change_honours_the_lock_out) {
  // Four wrong current passwords, then the fifth locks (as at sign-in); locked, even the right
  // one is refused, and the password is unchanged.
  for (int i = 0; i < 4; ++i)
    BOOST_CHECK_THROW(
        accounts->changePassword(patientUser, "wrong wrong wrong", "green ferns in winter light"),
        AuthError);
  BOOST_CHECK_THROW(
      accounts->changePassword(patientUser, "wrong wrong wrong", "green ferns in winter light"),
      AccountLocked);
  BOOST_CHECK_THROW(
      accounts->changePassword(patientUser, kPatientPassword, "green ferns in winter light"),
      AccountLocked);
  BOOST_TEST(lastAudit("user.password_change")->event.reason == "locked");
  BOOST_TEST(accounts->signIn("pat@example.org", kPatientPassword).status == SignInStatus::locked);
  clock.advance(30min);
  BOOST_TEST(accounts->signIn("pat@example.org", kPatientPassword).status == SignInStatus::ok);
}

BOOST_AUTO_TEST_CASE(failures_spread_beyond_the_window_do_not_lock) {
  for (int i = 0; i < 8; ++i) {
    BOOST_TEST(accounts->signIn("pat@example.org", "wrong wrong wrong").status ==
               SignInStatus::failed);
    clock.advance(4min);  // at most 4 failures in any 15 minutes
  }
  BOOST_TEST(accounts->signIn("pat@example.org", kPatientPassword).status == SignInStatus::ok);
}

BOOST_AUTO_TEST_CASE(lock_expires_after_the_configured_duration) {
  for (int i = 0; i < 5; ++i) accounts->signIn("pat@example.org", "wrong wrong wrong");
  clock.advance(29min);
  BOOST_TEST(accounts->signIn("pat@example.org", kPatientPassword).status == SignInStatus::locked);
  clock.advance(1min);
  BOOST_TEST(accounts->signIn("pat@example.org", kPatientPassword).status == SignInStatus::ok);
}

BOOST_AUTO_TEST_CASE(upgrades_the_hash_when_parameters_change) {
  auto hashOf = [&] {
    return db->read([&](store::Connection& c) {
      return *c.queryValue<std::string>("SELECT password_hash FROM users WHERE id = ?1",
                                        patientUser);
    });
  };
  BOOST_TEST(PasswordHasher::paramsOf(hashOf()).logN == 10u);
  AccountConfig stronger = testConfig();
  stronger.scrypt.logN = 11;
  AccountService upgraded(*db, *keys, *audit, clock, stronger);
  BOOST_TEST(upgraded.signIn("pat@example.org", kPatientPassword).status == SignInStatus::ok);
  BOOST_TEST(PasswordHasher::paramsOf(hashOf()).logN == 11u);
  BOOST_TEST(lastAudit("signin")->event.reason.find("hash_upgraded") != std::string::npos);
  BOOST_TEST(upgraded.signIn("pat@example.org", kPatientPassword).status == SignInStatus::ok);
}

BOOST_AUTO_TEST_CASE(session_idles_out_exactly_at_the_configured_time) {
  auto r = accounts->signIn("pat@example.org", kPatientPassword);
  clock.advance(15min - 1ms);
  BOOST_CHECK_NO_THROW(accounts->authenticate(r.token));  // moves last_seen
  clock.advance(15min - 1ms);
  BOOST_CHECK_NO_THROW(accounts->authenticate(r.token));
  clock.advance(15min);
  BOOST_CHECK_THROW(accounts->authenticate(r.token), AuthError);
  BOOST_TEST(lastAudit("session.end")->event.reason == "idle_expired");
  BOOST_CHECK_THROW(accounts->authenticate(r.token), AuthError);  // stays ended
}

BOOST_AUTO_TEST_CASE(last_seen_is_written_at_most_once_per_touch_interval) {
  auto r = accounts->signIn("pat@example.org", kPatientPassword);
  auto storedLastSeen = [&] {
    return db->read([&](store::Connection& c) {
      auto s = c.prepare("SELECT last_seen_at FROM sessions WHERE user_id = ?1");
      s.bind(1, patientUser);
      s.step();
      return s.get<std::int64_t>(0);
    });
  };
  auto signedInAt = storedLastSeen();
  clock.advance(10s);
  auto s = accounts->authenticate(r.token);
  BOOST_TEST(storedLastSeen() == signedInAt);  // within the interval: a read, no write
  BOOST_TEST(toMillis(s.lastSeen) == signedInAt);
  clock.advance(20s);  // 30 s since the write: moves
  s = accounts->authenticate(r.token);
  BOOST_TEST(storedLastSeen() == toMillis(clock.now()));
  BOOST_TEST(toMillis(s.lastSeen) == toMillis(clock.now()));
  clock.advance(1s);  // "stay signed in" always moves it
  accounts->authenticate(r.token, AccountService::Touch::always);
  BOOST_TEST(storedLastSeen() == toMillis(clock.now()));
}

BOOST_AUTO_TEST_CASE(a_throttled_session_idles_out_from_its_stored_last_seen_never_later) {
  auto r = accounts->signIn("pat@example.org", kPatientPassword);
  clock.advance(29s);
  BOOST_CHECK_NO_THROW(accounts->authenticate(r.token));  // not written
  clock.advance(15min - 29s);  // 15 min after the last write, 14:31 after the last request
  BOOST_CHECK_THROW(accounts->authenticate(r.token), AuthError);
  BOOST_TEST(lastAudit("session.end")->event.reason == "idle_expired");
}

BOOST_AUTO_TEST_CASE(session_ends_at_the_absolute_lifetime_despite_activity) {
  auto r = accounts->signIn("pat@example.org", kPatientPassword);
  for (int i = 0; i < 71; ++i) {
    clock.advance(10min);
    BOOST_REQUIRE_NO_THROW(accounts->authenticate(r.token));
  }
  clock.advance(10min);  // 12 h after sign-in
  BOOST_CHECK_THROW(accounts->authenticate(r.token), AuthError);
  BOOST_TEST(lastAudit("session.end")->event.reason == "absolute_expired");
}

BOOST_AUTO_TEST_CASE(idle_timeout_is_configurable_between_15_and_30_minutes) {
  AccountConfig c = testConfig();
  c.session.idleTimeout = 30min;
  AccountService svc(*db, *keys, *audit, clock, c);
  auto r = svc.signIn("pat@example.org", kPatientPassword);
  clock.advance(30min - 1ms);
  BOOST_CHECK_NO_THROW(svc.authenticate(r.token));
  clock.advance(30min);
  BOOST_CHECK_THROW(svc.authenticate(r.token), AuthError);
  c.session.idleTimeout = 45min;
  BOOST_CHECK_THROW(AccountService(*db, *keys, *audit, clock, c), ConfigError);
}

BOOST_AUTO_TEST_CASE(sign_out_password_change_and_admin_revoke_end_sessions) {
  auto a = accounts->signIn("pat@example.org", kPatientPassword);
  auto b = accounts->signIn("pat@example.org", kPatientPassword);
  BOOST_TEST(accounts->listSessions(patientUser).size() == 2u);
  accounts->signOut(a.token);
  BOOST_CHECK_THROW(accounts->authenticate(a.token), AuthError);
  BOOST_CHECK_NO_THROW(accounts->authenticate(b.token));

  BOOST_CHECK_THROW(accounts->changePassword(patientUser, "not it at all", "new long passphrase"),
                    AuthError);
  BOOST_CHECK_THROW(accounts->changePassword(patientUser, kPatientPassword, "password1"),
                    ValidationError);
  accounts->changePassword(patientUser, kPatientPassword, "green ferns in winter light");
  BOOST_CHECK_THROW(accounts->authenticate(b.token), AuthError);
  BOOST_TEST(accounts->signIn("pat@example.org", kPatientPassword).status == SignInStatus::failed);
  auto c = accounts->signIn("pat@example.org", "green ferns in winter light");
  BOOST_TEST(c.status == SignInStatus::ok);

  accounts->revokeUserSessions(admin, patientUser);
  BOOST_CHECK_THROW(accounts->authenticate(c.token), AuthError);
  BOOST_TEST(lastAudit("session.revoke_user")->event.reason == "sessions_revoked=1");
  BOOST_CHECK_THROW(accounts->authenticate("not-a-token"), AuthError);
}

BOOST_AUTO_TEST_CASE(user_sees_and_ends_their_other_sessions_only) {
  auto a = accounts->signIn("pat@example.org", kPatientPassword);
  auto b = accounts->signIn("pat@example.org", kPatientPassword);
  auto me = accounts->authenticate(a.token);
  auto sessions = accounts->listSessions(patientUser);
  BOOST_REQUIRE_EQUAL(sessions.size(), 2u);
  auto other = accounts->authenticate(b.token).sessionId;
  auto doc = user(Role::provider, "doc@clinic.example", kStaffPassword);
  BOOST_TEST(!accounts->endOwnSession(Actor{doc, Role::provider, std::nullopt}, other));
  BOOST_TEST((lastAudit("session.end_own")->event.outcome == AuditOutcome::denied));
  BOOST_TEST(accounts->endOwnSession(me.actor, other));
  BOOST_CHECK_THROW(accounts->authenticate(b.token), AuthError);
  BOOST_CHECK_NO_THROW(accounts->authenticate(a.token));
  BOOST_TEST(accounts->listSessions(patientUser).size() == 1u);
}

BOOST_AUTO_TEST_CASE(csrf_token_belongs_to_its_session) {
  auto a = accounts->signIn("pat@example.org", kPatientPassword);
  auto b = accounts->signIn("pat@example.org", kPatientPassword);
  BOOST_TEST(checkCsrf(a.token, a.csrf));
  BOOST_TEST(!checkCsrf(a.token, b.csrf));
  BOOST_TEST(!checkCsrf(a.token, ""));
  BOOST_TEST(AccountService::csrfToken(a.token) == a.csrf);
}

BOOST_AUTO_TEST_CASE(staff_must_enrol_totp_before_a_full_session) {
  user(Role::nurse, "nurse@clinic.example", kStaffPassword);
  auto r = accounts->signIn("nurse@clinic.example", kStaffPassword);
  BOOST_TEST(r.status == SignInStatus::enrolmentRequired);
  auto s = accounts->authenticate(r.token);
  BOOST_TEST((s.stage == SessionStage::mfaEnrolment));
  auto enrol = accounts->beginTotpEnrolment(r.token);
  BOOST_TEST(enrol.uri.rfind("otpauth://totp/Vigil:nurse@clinic.example?secret=", 0) == 0u);
  BOOST_CHECK_THROW(accounts->confirmTotpEnrolment(r.token, "000000"), AuthError);
  auto codes = accounts->confirmTotpEnrolment(r.token, totpNow(enrol.secretBase32));
  BOOST_TEST(codes.size() == 10u);
  BOOST_TEST((accounts->authenticate(r.token).stage == SessionStage::full));
  BOOST_TEST(accounts->findUser(s.actor.id)->mfaEnrolled);
  // Stored hashed only.
  auto stored = db->read([&](store::Connection& c) {
    auto st = c.prepare("SELECT code_hash FROM recovery_codes WHERE user_id = ?1");
    st.bind(1, s.actor.id);
    std::string all;
    while (st.step()) all += st.getText(0) + ",";
    return all;
  });
  BOOST_TEST(!stored.empty());
  for (const auto& code : codes) BOOST_TEST(stored.find(code) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(totp_code_is_required_and_accepted_only_once) {
  std::int64_t id = 0;
  auto secret = enrolledProvider("doc@clinic.example", &id);
  BOOST_TEST(accounts->signIn("doc@clinic.example", kStaffPassword).status ==
             SignInStatus::mfaRequired);
  auto code = totpNow(secret);
  auto ok = accounts->signIn("doc@clinic.example", kStaffPassword, code);
  BOOST_TEST(ok.status == SignInStatus::ok);
  BOOST_TEST(lastAudit("signin")->event.reason == "password+totp");
  auto replay = accounts->signIn("doc@clinic.example", kStaffPassword, code);
  BOOST_TEST(replay.status == SignInStatus::failed);
  BOOST_TEST(accounts->signIn("doc@clinic.example", kStaffPassword, "123456").status ==
             SignInStatus::failed);
  clock.advance(30s);
  BOOST_TEST(accounts->signIn("doc@clinic.example", kStaffPassword, totpNow(secret)).status ==
             SignInStatus::ok);
}

BOOST_AUTO_TEST_CASE(recovery_code_works_once) {
  user(Role::admin, "admin2@clinic.example", kStaffPassword);
  auto r = accounts->signIn("admin2@clinic.example", kStaffPassword);
  auto enrol = accounts->beginTotpEnrolment(r.token);
  auto codes = accounts->confirmTotpEnrolment(r.token, totpNow(enrol.secretBase32));
  auto first = accounts->signIn("admin2@clinic.example", kStaffPassword, codes[3]);
  BOOST_TEST(first.status == SignInStatus::ok);
  BOOST_TEST(lastAudit("signin")->event.reason == "password+recovery_code");
  BOOST_TEST(accounts->signIn("admin2@clinic.example", kStaffPassword, codes[3]).status ==
             SignInStatus::failed);
  BOOST_TEST(
      accounts->signIn("admin2@clinic.example", kStaffPassword, "AAAA-BBBB-CCCC-DDDD").status ==
      SignInStatus::failed);
}

BOOST_AUTO_TEST_CASE(admin_reset_mfa_requires_enrolment_again) {
  std::int64_t id = 0;
  enrolledProvider("doc2@clinic.example", &id);
  accounts->resetMfa(admin, id);
  BOOST_TEST(accounts->signIn("doc2@clinic.example", kStaffPassword).status ==
             SignInStatus::enrolmentRequired);
}

BOOST_AUTO_TEST_CASE(disabled_user_cannot_sign_in_and_loses_sessions) {
  auto r = accounts->signIn("pat@example.org", kPatientPassword);
  accounts->disableUser(admin, patientUser);
  BOOST_CHECK_THROW(accounts->authenticate(r.token), AuthError);
  BOOST_TEST(accounts->signIn("pat@example.org", kPatientPassword).status == SignInStatus::failed);
  BOOST_TEST(lastAudit("signin")->event.reason == "disabled");
}

BOOST_AUTO_TEST_CASE(lists_users_by_role_a_page_at_a_time) {
  // admin (the fixture's first account) and patientUser exist already.
  auto nurse = user(Role::nurse, "nina@clinic.example", kStaffPassword, std::nullopt, "Nina N");
  auto doc1 = user(Role::provider, "dora@clinic.example", kStaffPassword, std::nullopt, "Dora D");
  auto doc2 = user(Role::provider, "dan@clinic.example", kStaffPassword, std::nullopt, "Dan D");
  BOOST_TEST(admin.id == 1);
  BOOST_TEST(patientUser == 2);

  auto first = accounts->listUsers(std::nullopt, 0, 2);
  BOOST_TEST(first.total == 5);
  BOOST_REQUIRE_EQUAL(first.users.size(), 2u);
  BOOST_TEST(first.users[0].id == 1);
  BOOST_TEST(first.users[1].id == patientUser);
  BOOST_TEST(first.users[1].email == "pat@example.org");
  BOOST_TEST(first.users[1].patientId.value_or(0) == 100);
  auto last = accounts->listUsers(std::nullopt, 4, 2);
  BOOST_TEST(last.total == 5);
  BOOST_REQUIRE_EQUAL(last.users.size(), 1u);
  BOOST_TEST(last.users[0].id == doc2);

  auto providers = accounts->listUsers(Role::provider, 0, 50);
  BOOST_TEST(providers.total == 2);
  BOOST_REQUIRE_EQUAL(providers.users.size(), 2u);
  BOOST_TEST(providers.users[0].id == doc1);
  BOOST_TEST(providers.users[0].displayName == "Dora D");
  BOOST_TEST(providers.users[1].email == "dan@clinic.example");
  BOOST_TEST(!providers.users[1].mfaEnrolled);
  auto secondProvider = accounts->listUsers(Role::provider, 1, 1);
  BOOST_TEST(secondProvider.total == 2);
  BOOST_REQUIRE_EQUAL(secondProvider.users.size(), 1u);
  BOOST_TEST(secondProvider.users[0].id == doc2);

  accounts->disableUser(admin, nurse);
  auto nurses = accounts->listUsers(Role::nurse, 0, 50);
  BOOST_TEST(nurses.total == 1);
  BOOST_REQUIRE_EQUAL(nurses.users.size(), 1u);
  BOOST_TEST(nurses.users[0].disabled);  // listed all the same
  auto pastTheEnd = accounts->listUsers(Role::provider, 2, 50);
  BOOST_TEST(pastTheEnd.total == 2);
  BOOST_TEST(pastTheEnd.users.empty());
}

BOOST_AUTO_TEST_CASE(removing_from_a_care_team_is_audited_with_the_removal) {
  auto nurse = user(Role::nurse, "nina@clinic.example", kStaffPassword);
  accounts->assignCareTeam(admin, nurse, 100);
  auto onTeam = [&] {
    return db->read([&](store::Connection& c) { return SqliteCareTeam(c).isAssigned(nurse, 100); });
  };
  BOOST_TEST(onTeam());
  const auto before = auditCount();

  BOOST_TEST(accounts->removeCareTeam(admin, nurse, 100));
  BOOST_TEST(!onTeam());
  BOOST_TEST(auditCount() == before + 1);
  auto e = auditEntry(before + 1);
  BOOST_REQUIRE(e);
  BOOST_TEST(e->event.action == "care_team.remove");
  BOOST_TEST(e->event.actorId == admin.id);
  BOOST_TEST(e->event.actorRole == "admin");
  BOOST_TEST(e->event.objectType == "user");
  BOOST_TEST(e->event.objectId == std::to_string(nurse));
  BOOST_TEST(e->event.patientId.value_or(0) == 100);
  BOOST_TEST((e->event.outcome == AuditOutcome::success));
  BOOST_TEST(e->event.reason == "");

  // Not on the team (any more): nothing removed, nothing audited.
  BOOST_TEST(!accounts->removeCareTeam(admin, nurse, 100));
  BOOST_TEST(auditCount() == before + 1);

  // Only admins manage care teams; the refusal is audited, the team untouched.
  accounts->assignCareTeam(admin, nurse, 100);
  const auto assigned = auditCount();
  BOOST_CHECK_THROW(accounts->removeCareTeam(Actor{nurse, Role::nurse, std::nullopt}, nurse, 100),
                    AccessDenied);
  BOOST_TEST(onTeam());
  BOOST_TEST(auditCount() == assigned + 1);
  BOOST_TEST((auditEntry(assigned + 1)->event.outcome == AuditOutcome::denied));
}

// Issue 27: `vigild setup`'s first admin gets a one-time password; the first sign-in must
// replace it before any session exists, then enrol TOTP like every staff account.
BOOST_AUTO_TEST_CASE(a_one_time_password_opens_no_session_until_replaced) {
  const std::string oneTime = "K7QMX-2HXDP-9PLAR-WTN4C";
  const std::string mine = "cobalt meadow harbour lantern";
  NewUser u;
  u.role = Role::admin;
  u.email = "it@clinic.example";
  u.displayName = "Clinic IT";
  u.password = oneTime;
  u.passwordChangeRequired = true;
  auto id = accounts->createUser(admin, u);

  auto first = accounts->signIn("it@clinic.example", oneTime);
  BOOST_TEST((first.status == SignInStatus::passwordChangeRequired));
  BOOST_TEST(first.token.empty());
  BOOST_TEST(first.userId == id);
  auto refused = lastAudit("signin");
  BOOST_REQUIRE(refused);
  BOOST_TEST((refused->event.outcome == AuditOutcome::denied));
  BOOST_TEST(refused->event.reason == "password_change_required");
  // A wrong one-time password is a failure like any other; the same password again and a
  // password the policy refuses change nothing.
  BOOST_TEST((accounts->signIn("it@clinic.example", "K7QMX-2HXDP-9PLAR-WTN4D", {}, mine).status ==
              SignInStatus::failed));
  BOOST_CHECK_THROW(accounts->signIn("it@clinic.example", oneTime, {}, oneTime), ValidationError);
  BOOST_CHECK_THROW(accounts->signIn("it@clinic.example", oneTime, {}, "password"),
                    ValidationError);
  BOOST_TEST((accounts->signIn("it@clinic.example", oneTime).status ==
              SignInStatus::passwordChangeRequired));

  auto changed = accounts->signIn("it@clinic.example", oneTime, {}, mine);
  BOOST_TEST((changed.status == SignInStatus::enrolmentRequired));  // an admin enrols TOTP next
  BOOST_TEST(!changed.token.empty());
  auto replaced = lastAudit("user.password_change");
  BOOST_REQUIRE(replaced);
  BOOST_TEST(replaced->event.reason == "one_time_password_replaced");
  BOOST_TEST(replaced->event.actorId == id);
  // The one-time password is gone; the chosen one signs in without another change.
  BOOST_TEST((accounts->signIn("it@clinic.example", oneTime).status == SignInStatus::failed));
  BOOST_TEST(
      (accounts->signIn("it@clinic.example", mine).status == SignInStatus::enrolmentRequired));
  auto flag = db->read([&](store::Connection& c) {
    return c.queryValue<std::int64_t>("SELECT password_change_required FROM users WHERE id = ?1",
                                      id);
  });
  BOOST_TEST(flag.value_or(-1) == 0);
}

BOOST_AUTO_TEST_CASE(bootstrap_admin_only_once) {
  NewUser u;
  u.role = Role::admin;
  u.email = "second-root@clinic.example";
  u.password = kStaffPassword;
  BOOST_CHECK_THROW(accounts->bootstrapAdmin(u), ValidationError);
}

BOOST_AUTO_TEST_SUITE_END()
