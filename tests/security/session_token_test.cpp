#include "vigil/security/session_token.hpp"

#include <boost/test/unit_test.hpp>

#include "vigil/core/error.hpp"
#include "vigil/testsupport/manual_clock.hpp"

using namespace vigil::security;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_SUITE(SessionToken)

BOOST_AUTO_TEST_CASE(idle_expiry_happens_exactly_at_the_configured_time) {
  vigil::testsupport::ManualClock clock;
  for (auto idle : {15min, 30min}) {
    SessionPolicy policy{idle, 12h};
    SessionTimes t{clock.now(), clock.now(), false};
    BOOST_TEST((sessionState(t, clock.now() + idle - 1us, policy) == SessionState::active));
    BOOST_TEST((sessionState(t, clock.now() + idle, policy) == SessionState::idleExpired));
  }
}

BOOST_AUTO_TEST_CASE(activity_moves_the_idle_deadline_but_not_the_absolute_one) {
  vigil::testsupport::ManualClock clock;
  SessionPolicy policy;
  SessionTimes t{clock.now(), clock.now(), false};
  // Touch every 10 minutes for 12 hours: never idle, then absolute expiry at exactly 12 h.
  for (int i = 0; i < 71; ++i) {
    clock.advance(10min);
    BOOST_REQUIRE((sessionState(t, clock.now(), policy) == SessionState::active));
    t.lastSeen = clock.now();
  }
  clock.advance(10min - 1us);
  BOOST_TEST((sessionState(t, clock.now(), policy) == SessionState::active));
  clock.advance(1us);
  BOOST_TEST((sessionState(t, clock.now(), policy) == SessionState::absoluteExpired));
}

BOOST_AUTO_TEST_CASE(revoked_session_is_never_active) {
  vigil::testsupport::ManualClock clock;
  SessionTimes t{clock.now(), clock.now(), true};
  BOOST_TEST((sessionState(t, clock.now(), SessionPolicy{}) == SessionState::revoked));
}

BOOST_AUTO_TEST_CASE(policy_refuses_idle_outside_15_to_30_minutes) {
  BOOST_CHECK_THROW((SessionPolicy{14min, 12h}.validate()), vigil::ConfigError);
  BOOST_CHECK_THROW((SessionPolicy{31min, 12h}.validate()), vigil::ConfigError);
  BOOST_CHECK_NO_THROW((SessionPolicy{30min, 12h}.validate()));
}

BOOST_AUTO_TEST_CASE(tokens_are_256_bit_random_and_stored_hashed) {
  auto a = newSessionToken();
  auto b = newSessionToken();
  BOOST_TEST(a != b);
  BOOST_TEST(vigil::crypto::fromBase64Url(a).size() == 32u);
  BOOST_TEST(vigil::crypto::toHex(hashSessionToken(a)).find(a) == std::string::npos);
  BOOST_TEST((hashSessionToken(a) == hashSessionToken(a)));
  BOOST_CHECK_THROW(hashSessionToken("short"), vigil::AuthError);
  BOOST_CHECK_THROW(hashSessionToken("!!!!"), vigil::AuthError);
}

BOOST_AUTO_TEST_CASE(csrf_token_is_bound_to_its_session) {
  auto token = newSessionToken();
  auto other = newSessionToken();
  auto csrf = csrfTokenFor(token);
  BOOST_TEST(checkCsrf(token, csrf));
  BOOST_TEST(!checkCsrf(token, ""));                   // missing
  BOOST_TEST(!checkCsrf(token, csrfTokenFor(other)));  // another session's
  std::string flipped = csrf;
  flipped[0] = flipped[0] == 'A' ? 'B' : 'A';
  BOOST_TEST(!checkCsrf(token, flipped));  // wrong
  BOOST_TEST(!checkCsrf(token, token));
}

BOOST_AUTO_TEST_SUITE_END()
