#include "vigil/security/account_lookup.hpp"

#include <boost/test/unit_test.hpp>

#include "security_fixture.hpp"
#include "vigil/store/sqlite.hpp"

using namespace vigil;
using namespace vigil::security;
using vigil::security::test::SecurityFixture;

namespace {

const std::string kPassword = "quiet harbour lanterns glow";

struct LookupFixture : SecurityFixture {
  std::optional<ActiveAccount> account(std::int64_t userId) {
    return db->read([&](store::Connection& c) { return activeAccountIn(c, userId); });
  }
  std::optional<std::int64_t> patientUser(std::int64_t patientId) {
    return db->read([&](store::Connection& c) { return activePatientUserIn(c, patientId); });
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(AccountLookupTest, LookupFixture)

BOOST_AUTO_TEST_CASE(an_active_account_gives_its_role_and_patient) {
  const auto provider = user(Role::provider, "doc@clinic.example", kPassword);
  const auto patient = user(Role::patient, "pat@example.org", kPassword, 100);
  auto p = account(provider);
  BOOST_TEST_REQUIRE(p.has_value());
  BOOST_TEST(p->id == provider);
  BOOST_TEST((p->role == Role::provider));
  BOOST_TEST(!p->patientId.has_value());
  auto q = account(patient);
  BOOST_TEST_REQUIRE(q.has_value());
  BOOST_TEST((q->role == Role::patient));
  BOOST_TEST(q->patientId.value_or(0) == 100);
}

BOOST_AUTO_TEST_CASE(a_disabled_or_unknown_account_is_not_active) {
  const auto nurse = user(Role::nurse, "nurse@clinic.example", kPassword);
  accounts->disableUser(admin, nurse);
  BOOST_TEST(!account(nurse).has_value());
  BOOST_TEST(!account(987654).has_value());
}

BOOST_AUTO_TEST_CASE(a_patients_portal_user_is_the_lowest_active_one) {
  BOOST_TEST(!patientUser(100).has_value());
  const auto first = user(Role::patient, "first@example.org", kPassword, 100);
  const auto second = user(Role::patient, "second@example.org", kPassword, 100);
  user(Role::patient, "other@example.org", kPassword, 200);
  BOOST_TEST(patientUser(100).value_or(0) == first);
  accounts->disableUser(admin, first);
  BOOST_TEST(patientUser(100).value_or(0) == second);
  accounts->disableUser(admin, second);
  BOOST_TEST(!patientUser(100).has_value());
}

BOOST_AUTO_TEST_SUITE_END()
