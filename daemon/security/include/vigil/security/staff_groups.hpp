#pragma once
// Clinic groups of staff (issue 30: reports "per provider, clinic group or the practice";
// tables staff_groups and staff_group_members, migration 0042). An admin makes a group
// ("North clinic"), names it again, deletes it, and puts providers and nurses in it or takes
// them out. A report scoped to a group counts the group's providers' figures and, for figures
// about patients, the patients on those providers' care teams (groupReportScope below;
// docs/reports.md, "Clinic groups").
//
// Changes (group.create, group.rename, group.delete, group.member_add, group.member_remove) are
// authorised as the operation group.manage (admins) and audited in the transaction of the change,
// so the HTTP routes mark themselves Route::auditedByHandler and each change is on record once;
// a change refused after it was authorised (a name taken, a user who is not staff, a group
// gone) is audited with outcome failure and the refusal's word. Listing is group.list
// (admins, providers, nurses): the caller authorises and audits it (the API gate does), the
// service only reads. Group names and staff display names are not PHI; nothing here names a
// patient, and groupReportScope's patient ids leave only as ids.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/core/clock.hpp"
#include "vigil/core/error.hpp"
#include "vigil/core/tally.hpp"
#include "vigil/security/access.hpp"

namespace vigil::store {
class Connection;
class Database;
}  // namespace vigil::store

namespace vigil::crypto {
class FieldCipher;
}

namespace vigil::security {

class AuditLog;

/// Another group has this name, ignoring case (HTTP 409).
class GroupNameTaken : public ValidationError {
 public:
  using ValidationError::ValidationError;
};

/// No group has this id (HTTP 404).
class GroupNotFound : public NotFound {
 public:
  using NotFound::NotFound;
};

/// No account has this id (HTTP 404).
class UnknownUser : public NotFound {
 public:
  using NotFound::NotFound;
};

/// The account is not an active provider or nurse: a patient, an admin, the front desk or a
/// disabled account (HTTP 422).
class NotStaffMember : public ValidationError {
 public:
  using ValidationError::ValidationError;
};

/// One member of a group as listed: the account, its display name (decrypted) and role.
struct StaffGroupMember {
  std::int64_t userId = 0;
  std::string displayName;
  Role role = Role::provider;
};

/// A group with its members (ordered by display name, then id).
struct StaffGroup {
  std::int64_t id = 0;
  std::string name;
  TimePoint createdAt;
  std::vector<StaffGroupMember> members;
};

/// Clinic groups of staff: admins' changes, audited; the listing and a user's groups.
class StaffGroupService {
 public:
  /// `cipher` decrypts staff display names for the listing.
  StaffGroupService(store::Database& db, AuditLog& audit, const crypto::FieldCipher& cipher,
                    Clock& clock);

  /// The longest name, in bytes after trimming.
  static constexpr std::size_t kMaxNameBytes = 100;

  /// A new, empty group; returns its id. Throws AccessDenied, ValidationError (an empty or
  /// over-long name, control characters), GroupNameTaken.
  std::int64_t create(const Actor& admin, std::string_view name);
  /// Names the group again (the same name in other case is allowed: it is the group's own).
  /// Throws AccessDenied, ValidationError, GroupNameTaken, GroupNotFound.
  void rename(const Actor& admin, std::int64_t groupId, std::string_view name);
  /// Deletes the group and its memberships (the accounts stay). Throws AccessDenied,
  /// GroupNotFound.
  void remove(const Actor& admin, std::int64_t groupId);
  /// Puts an active provider or nurse in the group; false (nothing audited) when they are in
  /// it already. Throws AccessDenied, GroupNotFound, UnknownUser, NotStaffMember.
  bool addMember(const Actor& admin, std::int64_t groupId, std::int64_t userId);
  /// Takes a user out of the group; false (nothing audited) when they were not in it. Throws
  /// AccessDenied, GroupNotFound.
  bool removeMember(const Actor& admin, std::int64_t groupId, std::int64_t userId);

  /// Every group with its members, by name (case ignored). Not authorised or audited here:
  /// the caller checks and records group.list.
  std::vector<StaffGroup> list();
  /// The groups `userId` is in, by name, each with its members.
  std::vector<StaffGroup> groupsOf(std::int64_t userId);

 private:
  struct Change;
  template <class F>
  void change(const Actor& admin, std::string_view action, std::int64_t groupId, F&& fn);
  std::vector<StaffGroup> groupsIn(store::Connection& c, std::int64_t onlyForUser);

  store::Database& db_;
  AuditLog& audit_;
  const crypto::FieldCipher& cipher_;
  Clock& clock_;
};

/// Whether the group exists, read on `c` (the primary key; nothing decrypted). For a caller
/// inside its own snapshot, e.g. a report resolving its scope.
bool groupExistsIn(store::Connection& c, std::int64_t groupId);

/// The ids of the groups `userId` is in, ascending, read on `c` (staff_group_members_by_user:
/// one index range; nothing decrypted). Empty for a user in none or an unknown user.
std::vector<std::int64_t> groupIdsOfIn(store::Connection& c, std::int64_t userId);

/// The providers in a group (nurses are left out: a report's per-provider figures are
/// providers'), ascending, whatever their account's status (a disabled provider's past figures
/// still count). Empty for an unknown group. Served by the primary key.
std::vector<std::int64_t> groupProviders(store::Connection& c, std::int64_t groupId);

/// The distinct patients on the care team of any of `staffIds`, ascending (care_team_by_user:
/// one index range per staff id). Empty when `staffIds` is.
std::vector<std::int64_t> careTeamPatients(store::Connection& c,
                                           const std::vector<std::int64_t>& staffIds);

/// What a report scoped to the group covers: not the practice, the group's providers
/// (groupProviders) and the patients on their care teams (careTeamPatients of those
/// providers). Throws GroupNotFound for an unknown group.
ReportScope groupReportScope(store::Connection& c, std::int64_t groupId);

}  // namespace vigil::security
