// StaffGroupService: clinic groups of staff (staff_groups, staff_group_members; migration 0042)
// and the look-ups reports scope themselves by. See staff_groups.hpp.

#include "vigil/security/staff_groups.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <string>

#include "account_internals.hpp"
#include "vigil/core/log.hpp"
#include "vigil/security/access_guard.hpp"
#include "vigil/security/audit_log.hpp"
#include "vigil/store/database.hpp"

namespace vigil::security {

using store::Connection;
using namespace account_internal;

namespace {

constexpr std::string_view kObjectType = "staff_group";
constexpr std::string_view kManage = "group.manage";

// Group management never depends on a care team.
class NoCareTeam final : public CareTeam {
 public:
  bool isAssigned(std::int64_t, std::int64_t) const override { return false; }
};

/// The name as kept: ASCII blanks trimmed; refuses an empty or over-long name and control
/// characters (a name is shown in lists and selects; a newline or tab in it is a mistake).
std::string checkedName(std::string_view raw) {
  constexpr std::string_view kBlank = " \t\r\n\f\v";
  const auto first = raw.find_first_not_of(kBlank);
  if (first == std::string_view::npos) throw ValidationError("name: required");
  const auto last = raw.find_last_not_of(kBlank);
  std::string name(raw.substr(first, last - first + 1));
  if (name.size() > StaffGroupService::kMaxNameBytes)
    throw ValidationError("name: at most " + std::to_string(StaffGroupService::kMaxNameBytes) +
                          " characters");
  for (char ch : name)
    if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f)
      throw ValidationError("name: no control characters");
  return name;
}

/// Throws GroupNotFound unless the group exists.
void requireGroupIn(Connection& c, std::int64_t groupId) {
  if (!groupExistsIn(c, groupId)) throw GroupNotFound("group " + std::to_string(groupId));
}

/// Throws GroupNameTaken when another group than `self` (0: none) has `name`, ignoring case
/// (the column's collation is NOCASE, so `=` compares as the UNIQUE index does).
void requireNameFreeIn(Connection& c, const std::string& name, std::int64_t self) {
  if (c.queryValue<std::int64_t>("SELECT id FROM staff_groups WHERE name = ?1 AND id <> ?2", name,
                                 self))
    throw GroupNameTaken("name: another group is called that");
}

/// The stable word an audited refusal is recorded with (no value from the request).
std::string_view refusalWord(const std::exception& e) {
  if (dynamic_cast<const GroupNameTaken*>(&e)) return "name_taken";
  if (dynamic_cast<const GroupNotFound*>(&e)) return "no_such_group";
  if (dynamic_cast<const UnknownUser*>(&e)) return "no_such_user";
  if (dynamic_cast<const NotStaffMember*>(&e)) return "not_staff";
  return "invalid_name";
}

}  // namespace

/// What a change did, for its audit entry: the group it concerns and the entry's reason; a
/// change that found nothing to do (a member added twice) is not audited.
struct StaffGroupService::Change {
  std::int64_t groupId = 0;
  std::string reason;
  bool changed = true;
};

StaffGroupService::StaffGroupService(store::Database& db, AuditLog& audit,
                                     const crypto::FieldCipher& cipher, Clock& clock)
    : db_(db), audit_(audit), cipher_(cipher), clock_(clock) {}

// Authorises group.manage (a denial audited as `action`, then AccessDenied), runs `fn` in one
// write job and appends the audit entry of what it changed in that job. A refusal the change
// throws after it was authorised (ValidationError, NotFound) is audited as a failure on its own.
template <class F>
void StaffGroupService::change(const Actor& admin, std::string_view action, std::int64_t groupId,
                               F&& fn) {
  const Operation& op = operation(kManage);
  NoCareTeam none;
  const AccessDecision d = authorize(admin, op, std::nullopt, none);
  const std::string objectId = groupId > 0 ? std::to_string(groupId) : std::string();
  if (!d.allowed) {
    AuditEvent denied =
        AccessGuard::eventFor(admin, op, std::nullopt, {std::string(kObjectType), objectId}, d, {});
    denied.action = std::string(action);
    audit_.record(db_, denied);
    log::info("access.denied", {{"action", action},
                                {"actor_id", admin.id},
                                {"role", toString(admin.role)},
                                {"reason", d.reason}});
    throw AccessDenied("access denied: " + std::string(action) + " (" + std::string(d.reason) +
                       ")");
  }
  try {
    db_.writeSync([&](Connection& c) {
      const Change done = fn(c);
      if (!done.changed) return;
      audit_.append(c, auditEventFor(admin, action, kObjectType, std::to_string(done.groupId),
                                     std::nullopt, AuditOutcome::success, done.reason));
    });
  } catch (const ValidationError& e) {
    audit_.record(db_, auditEventFor(admin, action, kObjectType, objectId, std::nullopt,
                                     AuditOutcome::failure, refusalWord(e)));
    throw;
  } catch (const NotFound& e) {
    audit_.record(db_, auditEventFor(admin, action, kObjectType, objectId, std::nullopt,
                                     AuditOutcome::failure, refusalWord(e)));
    throw;
  }
}

std::int64_t StaffGroupService::create(const Actor& admin, std::string_view rawName) {
  std::int64_t id = 0;
  change(admin, "group.create", 0, [&](Connection& c) {
    const std::string name = checkedName(rawName);
    requireNameFreeIn(c, name, 0);
    c.execute("INSERT INTO staff_groups (name, created_at) VALUES (?1, ?2)", name,
              toMillis(clock_.now()));
    id = c.lastInsertRowid();
    return Change{id, "", true};
  });
  log::info("staff_group.created", {{"group_id", id}, {"by", admin.id}});
  return id;
}

void StaffGroupService::rename(const Actor& admin, std::int64_t groupId, std::string_view rawName) {
  change(admin, "group.rename", groupId, [&](Connection& c) {
    requireGroupIn(c, groupId);
    const std::string name = checkedName(rawName);
    requireNameFreeIn(c, name, groupId);
    c.execute("UPDATE staff_groups SET name = ?2 WHERE id = ?1", groupId, name);
    return Change{groupId, "", true};
  });
  log::info("staff_group.renamed", {{"group_id", groupId}, {"by", admin.id}});
}

void StaffGroupService::remove(const Actor& admin, std::int64_t groupId) {
  change(admin, "group.delete", groupId, [&](Connection& c) {
    requireGroupIn(c, groupId);
    const int members = c.execute("DELETE FROM staff_group_members WHERE group_id = ?1", groupId);
    c.execute("DELETE FROM staff_groups WHERE id = ?1", groupId);
    return Change{groupId, "members=" + std::to_string(members), true};
  });
  log::info("staff_group.deleted", {{"group_id", groupId}, {"by", admin.id}});
}

bool StaffGroupService::addMember(const Actor& admin, std::int64_t groupId, std::int64_t userId) {
  bool added = false;
  change(admin, "group.member_add", groupId, [&](Connection& c) {
    requireGroupIn(c, groupId);
    auto st = c.prepare("SELECT role, status FROM users WHERE id = ?1");
    st.bind(1, userId);
    if (!st.step()) throw UnknownUser("user " + std::to_string(userId));
    const std::string role = st.getText(0);
    if (role != "provider" && role != "nurse")
      throw NotStaffMember("user: only providers and nurses join clinic groups");
    if (st.getText(1) == "disabled") throw NotStaffMember("user: the account is disabled");
    added = c.execute(
                "INSERT INTO staff_group_members (group_id, user_id) VALUES (?1, ?2) "
                "ON CONFLICT DO NOTHING",
                groupId, userId) == 1;
    return Change{groupId, "user=" + std::to_string(userId) + " role=" + role, added};
  });
  return added;
}

bool StaffGroupService::removeMember(const Actor& admin, std::int64_t groupId,
                                     std::int64_t userId) {
  bool removed = false;
  change(admin, "group.member_remove", groupId, [&](Connection& c) {
    requireGroupIn(c, groupId);
    removed = c.execute("DELETE FROM staff_group_members WHERE group_id = ?1 AND user_id = ?2",
                        groupId, userId) == 1;
    return Change{groupId, "user=" + std::to_string(userId), removed};
  });
  return removed;
}

std::vector<StaffGroup> StaffGroupService::list() {
  return db_.read([&](Connection& c) { return groupsIn(c, 0); });
}

std::vector<StaffGroup> StaffGroupService::groupsOf(std::int64_t userId) {
  return db_.read([&](Connection& c) { return groupsIn(c, userId); });
}

// Every group (onlyForUser 0) or those `onlyForUser` is in, with their members: two statements
// on one snapshot, whatever the number of groups.
std::vector<StaffGroup> StaffGroupService::groupsIn(Connection& c, std::int64_t onlyForUser) {
  std::vector<StaffGroup> groups;
  std::map<std::int64_t, std::size_t> at;
  {
    auto st = c.prepare(onlyForUser == 0
                            ? "SELECT id, name, created_at FROM staff_groups ORDER BY name, id"
                            : "SELECT g.id, g.name, g.created_at FROM staff_group_members m "
                              "JOIN staff_groups g ON g.id = m.group_id WHERE m.user_id = ?1 ORDER "
                              "BY g.name, g.id");
    if (onlyForUser != 0) st.bind(1, onlyForUser);
    while (st.step()) {
      at.emplace(st.getInt64(0), groups.size());
      groups.push_back({st.getInt64(0), st.getText(1), fromMillis(st.getInt64(2)), {}});
    }
  }
  if (groups.empty()) return groups;
  auto st = c.prepare(
      onlyForUser == 0
          ? "SELECT m.group_id, u.id, u.role, u.display_name_enc FROM staff_group_members m "
            "JOIN users u ON u.id = m.user_id"
          : "SELECT m.group_id, u.id, u.role, u.display_name_enc FROM staff_group_members m "
            "JOIN users u ON u.id = m.user_id WHERE m.group_id IN "
            "(SELECT group_id FROM staff_group_members WHERE user_id = ?1)");
  if (onlyForUser != 0) st.bind(1, onlyForUser);
  while (st.step()) {
    auto g = at.find(st.getInt64(0));
    if (g == at.end()) continue;
    StaffGroupMember m;
    m.userId = st.getInt64(1);
    m.role = parseRole(st.getText(2)).value_or(Role::provider);
    if (!st.isNull(3))
      m.displayName = cipher_.decryptText(userField("display_name", m.userId), st.getBlob(3));
    groups[g->second].members.push_back(std::move(m));
  }
  for (auto& g : groups)
    std::sort(g.members.begin(), g.members.end(), [](const auto& a, const auto& b) {
      return a.displayName != b.displayName ? a.displayName < b.displayName : a.userId < b.userId;
    });
  return groups;
}

bool groupExistsIn(Connection& c, std::int64_t groupId) {
  return c.queryValue<std::int64_t>("SELECT 1 FROM staff_groups WHERE id = ?1", groupId)
      .has_value();
}

std::vector<std::int64_t> groupIdsOfIn(Connection& c, std::int64_t userId) {
  std::vector<std::int64_t> out;
  auto st =
      c.prepare("SELECT group_id FROM staff_group_members WHERE user_id = ?1 ORDER BY group_id");
  st.bind(1, userId);
  while (st.step()) out.push_back(st.getInt64(0));
  return out;
}

std::vector<std::int64_t> groupProviders(Connection& c, std::int64_t groupId) {
  std::vector<std::int64_t> out;
  auto st = c.prepare(
      "SELECT m.user_id FROM staff_group_members m JOIN users u ON u.id = m.user_id "
      "WHERE m.group_id = ?1 AND u.role = 'provider' ORDER BY m.user_id");
  st.bind(1, groupId);
  while (st.step()) out.push_back(st.getInt64(0));
  return out;
}

std::vector<std::int64_t> careTeamPatients(Connection& c,
                                           const std::vector<std::int64_t>& staffIds) {
  std::vector<std::int64_t> out;
  if (staffIds.empty()) return out;
  // One range of care_team_by_user (user_id, patient_id) per staff id; merged here.
  auto& st = c.cached("SELECT patient_id FROM care_team WHERE user_id = ?1");
  for (auto id : staffIds) {
    st.reset();
    st.bind(1, id);
    while (st.step()) out.push_back(st.getInt64(0));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

ReportScope groupReportScope(Connection& c, std::int64_t groupId) {
  requireGroupIn(c, groupId);
  ReportScope scope;
  scope.practice = false;
  scope.providers = groupProviders(c, groupId);
  scope.patients = careTeamPatients(c, scope.providers);
  return scope;
}

}  // namespace vigil::security
