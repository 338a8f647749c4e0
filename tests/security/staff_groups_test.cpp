#include "vigil/security/staff_groups.hpp"

#include <boost/test/unit_test.hpp>
#include <string>
#include <vector>

#include "security_fixture.hpp"
#include "vigil/core/error.hpp"

using namespace vigil;
using namespace vigil::security;
using vigil::security::test::SecurityFixture;

namespace {

const std::string kPassword = "quiet harbour lanterns glow";
using Ids = std::vector<std::int64_t>;

// Two providers and a nurse the groups are made of, a third provider kept out of them, a
// patient account, a front-desk account and a disabled nurse. Care teams, written out:
//   lee   -> patients 100, 101
//   chan  -> patients 101, 102
//   ross  -> patient  103 (a nurse)
//   outer -> patient  104 (a provider in no group)
struct GroupsFixture : SecurityFixture {
  std::unique_ptr<StaffGroupService> groups;
  std::int64_t lee = 0, chan = 0, ross = 0, outer = 0, patient = 0, desk = 0, gone = 0;

  GroupsFixture() {
    groups = std::make_unique<StaffGroupService>(*db, *audit, keys->cipher(), clock);
    lee = user(Role::provider, "lee@clinic.example", kPassword, std::nullopt, "Dr. Ada Lee");
    chan = user(Role::provider, "chan@clinic.example", kPassword, std::nullopt, "Dr. Bo Chan");
    ross = user(Role::nurse, "ross@clinic.example", kPassword, std::nullopt, "Nina Ross, RN");
    outer = user(Role::provider, "outer@clinic.example", kPassword, std::nullopt, "Dr. Out");
    patient = user(Role::patient, "pat@example.org", kPassword, 100, "Pat Example");
    desk = user(Role::front_desk, "desk@clinic.example", kPassword, std::nullopt, "Fran Desk");
    gone = user(Role::nurse, "gone@clinic.example", kPassword, std::nullopt, "Gone Nurse");
    accounts->disableUser(admin, gone);
    accounts->assignCareTeam(admin, lee, 100);
    accounts->assignCareTeam(admin, lee, 101);
    accounts->assignCareTeam(admin, chan, 101);
    accounts->assignCareTeam(admin, chan, 102);
    accounts->assignCareTeam(admin, ross, 103);
    accounts->assignCareTeam(admin, outer, 104);
  }

  std::vector<std::string> names() {
    std::vector<std::string> out;
    for (const auto& g : groups->list()) out.push_back(g.name);
    return out;
  }
  template <class F>
  auto read(F&& fn) {
    return db->read(std::forward<F>(fn));
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(StaffGroupServiceTest, GroupsFixture)

BOOST_AUTO_TEST_CASE(an_admin_creates_fills_and_renames_a_group) {
  auto north = groups->create(admin, "North clinic");
  auto listed = groups->list();
  BOOST_REQUIRE_EQUAL(listed.size(), 1u);
  BOOST_TEST(listed[0].id == north);
  BOOST_TEST(listed[0].name == "North clinic");
  BOOST_TEST(listed[0].members.empty());

  BOOST_TEST(groups->addMember(admin, north, ross));
  BOOST_TEST(groups->addMember(admin, north, lee));
  listed = groups->list();
  BOOST_REQUIRE_EQUAL(listed[0].members.size(), 2u);
  // By display name: "Dr. Ada Lee" before "Nina Ross, RN".
  BOOST_TEST(listed[0].members[0].userId == lee);
  BOOST_TEST(listed[0].members[0].displayName == "Dr. Ada Lee");
  BOOST_TEST((listed[0].members[0].role == Role::provider));
  BOOST_TEST(listed[0].members[1].userId == ross);
  BOOST_TEST(listed[0].members[1].displayName == "Nina Ross, RN");
  BOOST_TEST((listed[0].members[1].role == Role::nurse));

  // Its own name in other case is not "taken"; blanks around a name are dropped.
  groups->rename(admin, north, "NORTH CLINIC");
  BOOST_TEST(names() == std::vector<std::string>{"NORTH CLINIC"});
  groups->rename(admin, north, "  Northside  ");
  BOOST_TEST(names() == std::vector<std::string>{"Northside"});
  BOOST_TEST(groups->list()[0].members.size() == 2u);  // renaming keeps the members

  BOOST_TEST(groups->removeMember(admin, north, ross));
  BOOST_TEST(!groups->removeMember(admin, north, ross));  // not in it any more
  BOOST_REQUIRE_EQUAL(groups->list()[0].members.size(), 1u);
  BOOST_TEST(groups->list()[0].members[0].userId == lee);
}

BOOST_AUTO_TEST_CASE(a_name_is_taken_whatever_its_case_and_must_be_sensible) {
  auto north = groups->create(admin, "North clinic");
  BOOST_CHECK_THROW(groups->create(admin, "north CLINIC"), GroupNameTaken);
  BOOST_CHECK_THROW(groups->create(admin, " North clinic\t"), GroupNameTaken);
  auto south = groups->create(admin, "South");
  BOOST_CHECK_THROW(groups->rename(admin, south, "NORTH clinic"), GroupNameTaken);
  BOOST_TEST(names() == (std::vector<std::string>{"North clinic", "South"}));

  BOOST_CHECK_THROW(groups->create(admin, ""), ValidationError);
  BOOST_CHECK_THROW(groups->create(admin, "   "), ValidationError);
  BOOST_CHECK_THROW(groups->create(admin, "East\nclinic"), ValidationError);
  BOOST_CHECK_THROW(groups->create(admin, std::string(101, 'x')), ValidationError);
  BOOST_CHECK_NO_THROW(groups->create(admin, std::string(100, 'x')));
  BOOST_CHECK_THROW(groups->rename(admin, north, ""), ValidationError);
  BOOST_CHECK_THROW(groups->rename(admin, 999, "West"), GroupNotFound);
  BOOST_TEST(groups->list().size() == 3u);
}

BOOST_AUTO_TEST_CASE(only_active_providers_and_nurses_join_a_group) {
  auto north = groups->create(admin, "North clinic");
  BOOST_CHECK_THROW(groups->addMember(admin, north, patient), NotStaffMember);
  BOOST_CHECK_THROW(groups->addMember(admin, north, desk), NotStaffMember);
  BOOST_CHECK_THROW(groups->addMember(admin, north, admin.id), NotStaffMember);
  BOOST_CHECK_THROW(groups->addMember(admin, north, gone), NotStaffMember);
  BOOST_CHECK_THROW(groups->addMember(admin, north, 9999), UnknownUser);
  BOOST_CHECK_THROW(groups->addMember(admin, 9999, lee), GroupNotFound);
  BOOST_CHECK_THROW(groups->removeMember(admin, 9999, lee), GroupNotFound);
  BOOST_TEST(groups->list()[0].members.empty());

  BOOST_TEST(groups->addMember(admin, north, chan));
  BOOST_TEST(!groups->addMember(admin, north, chan));  // in it already: nothing to do
  BOOST_TEST(groups->list()[0].members.size() == 1u);
}

BOOST_AUTO_TEST_CASE(deleting_a_group_takes_its_memberships_and_leaves_the_accounts) {
  auto north = groups->create(admin, "North clinic");
  auto south = groups->create(admin, "South");
  groups->addMember(admin, north, lee);
  groups->addMember(admin, north, ross);
  groups->addMember(admin, south, lee);

  groups->remove(admin, north);
  BOOST_TEST(names() == std::vector<std::string>{"South"});
  auto ofLee = groups->groupsOf(lee);
  BOOST_REQUIRE_EQUAL(ofLee.size(), 1u);
  BOOST_TEST(ofLee[0].id == south);
  BOOST_TEST(groups->groupsOf(ross).empty());
  BOOST_TEST(read([&](store::Connection& c) { return groupProviders(c, north); }).empty());
  BOOST_TEST(accounts->findUser(ross).has_value());
  BOOST_CHECK_THROW(groups->remove(admin, north), GroupNotFound);

  // A new group with the deleted one's name is another group, empty.
  auto again = groups->create(admin, "North clinic");
  BOOST_TEST(again != north);
  BOOST_TEST(groups->list()[0].members.empty());
}

BOOST_AUTO_TEST_CASE(a_users_groups_are_those_they_are_in_with_every_member) {
  auto north = groups->create(admin, "North clinic");
  auto south = groups->create(admin, "South");
  groups->create(admin, "Empty");
  groups->addMember(admin, south, lee);
  groups->addMember(admin, north, lee);
  groups->addMember(admin, north, ross);

  auto ofLee = groups->groupsOf(lee);
  BOOST_REQUIRE_EQUAL(ofLee.size(), 2u);
  BOOST_TEST(ofLee[0].id == north);  // by name
  BOOST_TEST(ofLee[1].id == south);
  BOOST_TEST(ofLee[0].members.size() == 2u);  // the nurse too
  auto ofRoss = groups->groupsOf(ross);
  BOOST_REQUIRE_EQUAL(ofRoss.size(), 1u);
  BOOST_TEST(ofRoss[0].name == "North clinic");
  BOOST_TEST(groups->groupsOf(outer).empty());
}

BOOST_AUTO_TEST_CASE(only_admins_change_groups_and_every_change_is_audited) {
  const Actor provider{lee, Role::provider, std::nullopt};
  const Actor nurse{ross, Role::nurse, std::nullopt};
  auto start = auditCount();
  BOOST_CHECK_THROW(groups->create(provider, "Mine"), AccessDenied);
  BOOST_CHECK_THROW(groups->create(nurse, "Mine"), AccessDenied);
  BOOST_TEST(groups->list().empty());
  BOOST_REQUIRE(auditCount() == start + 2);
  auto denied = auditEntry(start + 1);
  BOOST_TEST(denied->event.action == "group.create");
  BOOST_TEST(denied->event.actorId == lee);
  BOOST_TEST((denied->event.outcome == AuditOutcome::denied));
  BOOST_TEST(denied->event.reason == "role_lacks_permission");

  start = auditCount();
  auto north = groups->create(admin, "North clinic");
  groups->rename(admin, north, "North");
  groups->addMember(admin, north, chan);
  groups->addMember(admin, north, chan);  // nothing changed: not audited
  groups->removeMember(admin, north, chan);
  groups->removeMember(admin, north, chan);  // nothing changed: not audited
  groups->addMember(admin, north, ross);
  groups->remove(admin, north);
  BOOST_REQUIRE(auditCount() == start + 6);
  struct Want {
    const char* action;
    std::string reason;
  };
  const std::vector<Want> want = {
      {"group.create", ""},
      {"group.rename", ""},
      {"group.member_add", "user=" + std::to_string(chan) + " role=provider"},
      {"group.member_remove", "user=" + std::to_string(chan)},
      {"group.member_add", "user=" + std::to_string(ross) + " role=nurse"},
      {"group.delete", "members=1"},
  };
  for (std::size_t i = 0; i < want.size(); ++i) {
    auto e = auditEntry(start + 1 + static_cast<std::int64_t>(i));
    BOOST_REQUIRE(e);
    BOOST_TEST(e->event.action == want[i].action);
    BOOST_TEST(e->event.actorId == admin.id);
    BOOST_TEST(e->event.actorRole == "admin");
    BOOST_TEST(e->event.objectType == "staff_group");
    BOOST_TEST(e->event.objectId == std::to_string(north));
    BOOST_TEST(!e->event.patientId.has_value());
    BOOST_TEST((e->event.outcome == AuditOutcome::success));
    BOOST_TEST(e->event.reason == want[i].reason);
  }

  // Refusals after authorisation are on record as failures, by a word (never the name).
  auto south = groups->create(admin, "South");
  start = auditCount();
  BOOST_CHECK_THROW(groups->create(admin, "SOUTH"), GroupNameTaken);
  BOOST_CHECK_THROW(groups->addMember(admin, south, patient), NotStaffMember);
  BOOST_REQUIRE(auditCount() == start + 2);
  auto taken = auditEntry(start + 1);
  BOOST_TEST(taken->event.action == "group.create");
  BOOST_TEST((taken->event.outcome == AuditOutcome::failure));
  BOOST_TEST(taken->event.reason == "name_taken");
  auto notStaff = auditEntry(start + 2);
  BOOST_TEST(notStaff->event.action == "group.member_add");
  BOOST_TEST(notStaff->event.objectId == std::to_string(south));
  BOOST_TEST((notStaff->event.outcome == AuditOutcome::failure));
  BOOST_TEST(notStaff->event.reason == "not_staff");
}

BOOST_AUTO_TEST_CASE(a_groups_providers_are_its_providers_only_in_ascending_order) {
  auto north = groups->create(admin, "North clinic");
  groups->addMember(admin, north, chan);
  groups->addMember(admin, north, ross);
  groups->addMember(admin, north, lee);
  // lee was made before chan, so lee's id is the lower; the nurse is not a provider.
  BOOST_REQUIRE(lee < chan);
  BOOST_TEST(read([&](store::Connection& c) { return groupProviders(c, north); }) ==
             (Ids{lee, chan}));
  BOOST_TEST(read([&](store::Connection& c) { return groupProviders(c, 9999); }).empty());
  // A provider disabled later still counts: the group's past figures include theirs.
  accounts->disableUser(admin, chan);
  BOOST_TEST(read([&](store::Connection& c) { return groupProviders(c, north); }) ==
             (Ids{lee, chan}));
}

BOOST_AUTO_TEST_CASE(a_group_exists_until_it_is_deleted) {
  const auto exists = [&](std::int64_t id) {
    return read([&](store::Connection& c) { return groupExistsIn(c, id); });
  };
  auto north = groups->create(admin, "North clinic");
  BOOST_TEST(exists(north));
  BOOST_TEST(!exists(9999));
  BOOST_TEST(!exists(0));
  groups->remove(admin, north);
  BOOST_TEST(!exists(north));
}

BOOST_AUTO_TEST_CASE(a_users_group_ids_ascend_by_id_not_by_name) {
  const auto idsOf = [&](std::int64_t user) {
    return read([&](store::Connection& c) { return groupIdsOfIn(c, user); });
  };
  // West is made first (the lower id) but sorts after East by name.
  auto west = groups->create(admin, "West clinic");
  auto east = groups->create(admin, "East clinic");
  auto third = groups->create(admin, "Central");
  BOOST_REQUIRE(west < east);
  BOOST_REQUIRE(east < third);
  groups->addMember(admin, east, lee);
  groups->addMember(admin, west, lee);
  groups->addMember(admin, third, chan);
  groups->addMember(admin, east, ross);
  BOOST_TEST(idsOf(lee) == (Ids{west, east}));
  BOOST_TEST(idsOf(chan) == (Ids{third}));
  BOOST_TEST(idsOf(ross) == (Ids{east}));
  BOOST_TEST(idsOf(outer).empty());  // in no group
  BOOST_TEST(idsOf(9999).empty());   // no such user
  // Taken out of a group, or the group deleted: no longer among theirs.
  groups->removeMember(admin, east, lee);
  BOOST_TEST(idsOf(lee) == (Ids{west}));
  groups->remove(admin, west);
  BOOST_TEST(idsOf(lee).empty());
}

BOOST_AUTO_TEST_CASE(care_team_patients_are_the_distinct_patients_of_the_staff_given) {
  auto patientsOf = [&](const Ids& staff) {
    return read([&](store::Connection& c) { return careTeamPatients(c, staff); });
  };
  BOOST_TEST(patientsOf({lee, chan}) == (Ids{100, 101, 102}));  // 101 once
  BOOST_TEST(patientsOf({chan, lee}) == (Ids{100, 101, 102}));
  BOOST_TEST(patientsOf({ross}) == (Ids{103}));
  BOOST_TEST(patientsOf({lee, lee}) == (Ids{100, 101}));
  BOOST_TEST(patientsOf({outer, ross}) == (Ids{103, 104}));
  BOOST_TEST(patientsOf({}).empty());
  BOOST_TEST(patientsOf({9999}).empty());
}

BOOST_AUTO_TEST_CASE(a_group_scopes_a_report_to_its_providers_and_their_patients) {
  auto north = groups->create(admin, "North clinic");
  groups->addMember(admin, north, lee);
  groups->addMember(admin, north, chan);
  groups->addMember(admin, north, ross);
  auto scope = read([&](store::Connection& c) { return groupReportScope(c, north); });
  BOOST_TEST(!scope.practice);
  BOOST_TEST(scope.providers == (Ids{lee, chan}));
  // The providers' care teams: not the nurse's patient 103, not outer's 104.
  BOOST_TEST(scope.patients == (Ids{100, 101, 102}));
  BOOST_TEST(scope.coversProvider(lee));
  BOOST_TEST(!scope.coversProvider(outer));
  BOOST_TEST(!scope.coversPatient(103));

  auto empty = groups->create(admin, "Empty");
  auto none = read([&](store::Connection& c) { return groupReportScope(c, empty); });
  BOOST_TEST(!none.practice);
  BOOST_TEST(none.providers.empty());
  BOOST_TEST(none.patients.empty());
  BOOST_CHECK_THROW(read([&](store::Connection& c) { return groupReportScope(c, 9999); }),
                    GroupNotFound);
}

BOOST_AUTO_TEST_SUITE_END()
