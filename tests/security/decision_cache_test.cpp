// AccountService answers authenticate() and careTeamOf() from what it read at most
// AccountConfig::decisionCacheTtl ago (default 2 s, docs/security.md): a change made through the
// service takes effect at once, one it does not hear of (another process, a row edited by hand)
// within that bound.

#include <boost/test/unit_test.hpp>

#include "security_fixture.hpp"
#include "vigil/core/error.hpp"

using namespace vigil;
using namespace vigil::security;
using namespace std::chrono_literals;
using vigil::security::test::SecurityFixture;

namespace {

const std::string kPassword = "purple otters sing at dawn";

struct CacheFixture : SecurityFixture {
  explicit CacheFixture(AccountConfig config = testConfig()) : SecurityFixture({}, config) {}
  std::int64_t patientUser = user(Role::patient, "pat@example.org", kPassword, 100);

  /// A change the service does not hear of: another process, or a row edited by hand.
  void editBehindTheService(const std::string& sql, std::int64_t id) {
    db->writeSync([&](store::Connection& c) { c.execute(sql, id); });
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(AccountServiceDecisionCache, CacheFixture)

BOOST_AUTO_TEST_CASE(the_default_lifetime_is_two_seconds_and_at_most_five) {
  BOOST_TEST(AccountConfig{}.decisionCacheTtl.count() == 2000);
  AccountConfig c = testConfig();
  c.decisionCacheTtl = 5001ms;
  BOOST_CHECK_THROW(AccountService(*db, *keys, *audit, clock, c), ConfigError);
  c.decisionCacheTtl = -1ms;
  BOOST_CHECK_THROW(AccountService(*db, *keys, *audit, clock, c), ConfigError);
}

BOOST_AUTO_TEST_CASE(a_session_revoked_behind_the_service_is_refused_within_two_seconds) {
  auto r = accounts->signIn("pat@example.org", kPassword);
  BOOST_REQUIRE_NO_THROW(accounts->authenticate(r.token, AccountService::Touch::none));
  editBehindTheService("UPDATE sessions SET revoked_at = 1 WHERE user_id = ?1", patientUser);
  clock.advance(1999ms);  // the read is still within its lifetime: answered from it
  BOOST_CHECK_NO_THROW(accounts->authenticate(r.token, AccountService::Touch::none));
  clock.advance(1ms);  // two seconds after the read: read again, refused
  BOOST_CHECK_THROW(accounts->authenticate(r.token, AccountService::Touch::none), AuthError);
  BOOST_CHECK_THROW(accounts->authenticate(r.token, AccountService::Touch::none), AuthError);
}

BOOST_AUTO_TEST_CASE(a_role_changed_or_account_disabled_behind_the_service_shows_within_two_s) {
  auto nurse = user(Role::nurse, "nina@clinic.example", "quiet harbour lanterns glow");
  auto enrol = accounts->signIn("nina@clinic.example", "quiet harbour lanterns glow");
  BOOST_TEST((accounts->authenticate(enrol.token).actor.role == Role::nurse));
  editBehindTheService("UPDATE users SET role = 'front_desk' WHERE id = ?1", nurse);
  clock.advance(2s);
  BOOST_TEST((accounts->authenticate(enrol.token).actor.role == Role::front_desk));
  editBehindTheService("UPDATE users SET status = 'disabled' WHERE id = ?1", nurse);
  clock.advance(2s);
  BOOST_CHECK_THROW(accounts->authenticate(enrol.token), AuthError);
}

BOOST_AUTO_TEST_CASE(revocations_through_the_service_take_effect_at_once) {
  auto a = accounts->signIn("pat@example.org", kPassword);
  auto b = accounts->signIn("pat@example.org", kPassword);
  auto c = accounts->signIn("pat@example.org", kPassword);
  for (const auto* t : {&a.token, &b.token, &c.token})
    BOOST_REQUIRE_NO_THROW(accounts->authenticate(*t, AccountService::Touch::none));
  // The clock does not move: every refusal below comes from the store, not from expiry.
  accounts->signOut(a.token);
  BOOST_CHECK_THROW(accounts->authenticate(a.token, AccountService::Touch::none), AuthError);
  BOOST_CHECK_NO_THROW(accounts->authenticate(b.token, AccountService::Touch::none));
  accounts->endOwnSession(accounts->authenticate(c.token).actor,
                          accounts->authenticate(b.token).sessionId);
  BOOST_CHECK_THROW(accounts->authenticate(b.token, AccountService::Touch::none), AuthError);
  accounts->revokeUserSessions(admin, patientUser);
  BOOST_CHECK_THROW(accounts->authenticate(c.token, AccountService::Touch::none), AuthError);

  auto d = accounts->signIn("pat@example.org", kPassword);
  BOOST_REQUIRE_NO_THROW(accounts->authenticate(d.token, AccountService::Touch::none));
  accounts->disableUser(admin, patientUser);
  BOOST_CHECK_THROW(accounts->authenticate(d.token, AccountService::Touch::none), AuthError);
}

BOOST_AUTO_TEST_CASE(the_idle_timeout_holds_to_the_millisecond_on_a_cached_session) {
  auto r = accounts->signIn("pat@example.org", kPassword);
  clock.advance(15min - 1s);
  BOOST_REQUIRE_NO_THROW(accounts->authenticate(r.token, AccountService::Touch::none));
  clock.advance(999ms);  // 1 ms before the idle timeout, answered from the cache
  BOOST_CHECK_NO_THROW(accounts->authenticate(r.token, AccountService::Touch::none));
  clock.advance(1ms);  // exactly 15 min idle: ended, though the read is 1 s old
  BOOST_CHECK_THROW(accounts->authenticate(r.token, AccountService::Touch::none), SessionExpired);
  BOOST_TEST(lastAudit("session.end")->event.reason == "idle_expired");
}

BOOST_AUTO_TEST_CASE(a_step_up_counts_at_once) {
  auto r = accounts->signIn("pat@example.org", kPassword);
  clock.advance(10min);
  auto before = accounts->authenticate(r.token, AccountService::Touch::none);
  BOOST_TEST(!accounts->stepUpCurrent(before));
  accounts->reauthenticate(r.token, kPassword, "");
  BOOST_TEST(accounts->stepUpCurrent(accounts->authenticate(r.token, AccountService::Touch::none)));
}

BOOST_AUTO_TEST_CASE(care_team_changes_through_the_service_show_at_once_others_within_two_s) {
  auto nurse = user(Role::nurse, "nina@clinic.example", "quiet harbour lanterns glow");
  BOOST_TEST(accounts->careTeamOf(nurse).empty());
  accounts->assignCareTeam(admin, nurse, 100);
  accounts->assignCareTeam(admin, nurse, 101);
  BOOST_TEST(accounts->careTeamOf(nurse) == (std::vector<std::int64_t>{100, 101}));
  accounts->removeCareTeam(admin, nurse, 100);
  BOOST_TEST(accounts->careTeamOf(nurse) == (std::vector<std::int64_t>{101}));

  editBehindTheService("DELETE FROM care_team WHERE user_id = ?1", nurse);
  clock.advance(1999ms);
  BOOST_TEST(accounts->careTeamOf(nurse) == (std::vector<std::int64_t>{101}));
  clock.advance(1ms);
  BOOST_TEST(accounts->careTeamOf(nurse).empty());

  // Another library's assignment (on-demand care puts the provider on the team) shows at once.
  db->writeSync([&](store::Connection& c) { SqliteCareTeam::assignIn(c, nurse, 102, nurse, {}); });
  BOOST_TEST(accounts->careTeamOf(nurse) == (std::vector<std::int64_t>{102}));
}

BOOST_AUTO_TEST_CASE(a_zero_lifetime_reads_the_store_every_time) {
  AccountConfig c = testConfig();
  c.decisionCacheTtl = 0ms;
  AccountService fresh(*db, *keys, *audit, clock, c);
  auto r = fresh.signIn("pat@example.org", kPassword);
  BOOST_REQUIRE_NO_THROW(fresh.authenticate(r.token, AccountService::Touch::none));
  editBehindTheService("UPDATE sessions SET revoked_at = 1 WHERE user_id = ?1", patientUser);
  BOOST_CHECK_THROW(fresh.authenticate(r.token, AccountService::Touch::none), AuthError);
}

BOOST_AUTO_TEST_SUITE_END()
