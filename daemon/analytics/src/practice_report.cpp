#include "vigil/analytics/practice_report.hpp"

#include <algorithm>

#include "vigil/core/error.hpp"
#include "vigil/security/access_guard.hpp"
#include "vigil/security/staff_groups.hpp"
#include "vigil/store/database.hpp"

namespace vigil::analytics {

using security::Actor;
using security::Role;
using store::Connection;

namespace {

std::vector<std::int64_t> sortedUnique(std::vector<std::int64_t> v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

/// The providers and their care teams' patients a request covers.
ReportScope resolveIn(Connection& c, const ReportRequest& request,
                      const ReportService::GroupProviders& groupProviders) {
  ReportScope scope;
  if (request.scope == ScopeKind::practice) return scope;
  scope.practice = false;
  if (request.scope == ScopeKind::provider) {
    scope.providers = {request.scopeId};
  } else {
    auto providers = groupProviders ? groupProviders(c, request.scopeId) : std::nullopt;
    if (!providers) throw NotFound("report: no such clinic group");
    scope.providers = sortedUnique(std::move(*providers));
  }
  std::vector<std::int64_t> patients;
  for (auto provider : scope.providers) {
    auto mine = security::SqliteCareTeam::patientsOfIn(c, provider);
    patients.insert(patients.end(), mine.begin(), mine.end());
  }
  scope.patients = sortedUnique(std::move(patients));
  return scope;
}

}  // namespace

ReportService::GroupProviders staffGroupProviders() {
  return [](Connection& c, std::int64_t group) -> std::optional<std::vector<std::int64_t>> {
    if (!security::groupExistsIn(c, group)) return std::nullopt;
    return security::groupProviders(c, group);
  };
}

ReportService::GroupsOf staffGroupsOf() {
  return [](Connection& c, std::int64_t user) { return security::groupIdsOfIn(c, user); };
}

std::string scopeObjectId(const ReportRequest& request) {
  switch (request.scope) {
    case ScopeKind::practice:
      return "practice";
    case ScopeKind::provider:
      return "provider:" + std::to_string(request.scopeId);
    case ScopeKind::group:
      return "group:" + std::to_string(request.scopeId);
  }
  return "practice";
}

ReportService::ReportService(store::Database& db, security::AuditLog& audit, const Clock& clock,
                             std::vector<SectionSource> sources, StaffName staffName,
                             GroupProviders groupProviders, GroupsOf groupsOf)
    : db_(db),
      audit_(audit),
      clock_(clock),
      sources_(std::move(sources)),
      staffName_(std::move(staffName)),
      groupProviders_(std::move(groupProviders)),
      groupsOf_(std::move(groupsOf)) {
  if (!staffName_) staffName_ = [](std::int64_t id) { return "User " + std::to_string(id); };
}

std::vector<std::string> ReportService::sectionKeys() const {
  std::vector<std::string> keys;
  for (const auto& s : sources_) keys.push_back(s.key);
  return keys;
}

void ReportService::requireScope(const Actor& actor, const ReportRequest& request,
                                 std::string_view operation) {
  if (actor.role == Role::admin) return;
  bool allowed = false;
  if (actor.role == Role::provider) {
    if (request.scope == ScopeKind::provider) allowed = request.scopeId == actor.id;
    if (request.scope == ScopeKind::group && groupsOf_) {
      const auto groups = db_.read([&](Connection& c) { return groupsOf_(c, actor.id); });
      allowed = std::find(groups.begin(), groups.end(), request.scopeId) != groups.end();
    }
  }
  if (allowed) return;
  const auto& op = security::operation(operation);
  security::AccessDecision decision{false, false, "not_own_scope"};
  if (!security::roleHas(actor.role, op.permission)) decision.reason = "role_lacks_permission";
  security::AccessGuard guard(db_, audit_);
  guard.enforce(security::AccessGuard::pending(
      actor, op, std::nullopt, {"practice_report", scopeObjectId(request)}, decision, {}));
}

PracticeReport ReportService::build(const Actor& actor, const ReportRequest& request,
                                    std::string_view operation) {
  if (request.to <= request.from) throw ValidationError("report: the period is empty");
  if (request.to - request.from > kMaxReportPeriod)
    throw ValidationError("report: the period is longer than a year");
  for (const auto& key : request.sections)
    if (std::none_of(sources_.begin(), sources_.end(),
                     [&](const SectionSource& s) { return s.key == key; }))
      throw ValidationError("report: no section " + key);
  requireScope(actor, request, operation);
  security::AccessGuard guard(db_, audit_);
  std::string object = scopeObjectId(request);
  if (request.sections.size() == 1) object += "/" + request.sections.front();
  return guard.read(actor, security::operation(operation), std::nullopt,
                    {"practice_report", object}, [&](Connection& c) {
                      const auto scope = resolveIn(c, request, groupProviders_);
                      std::optional<std::vector<std::int64_t>> visible;
                      if (actor.role != Role::admin)
                        visible = sortedUnique(security::SqliteCareTeam::patientsOfIn(c, actor.id));
                      SmallCells cells(std::move(visible));
                      PracticeReport report;
                      report.from = request.from;
                      report.to = request.to;
                      report.smallCellsApply = actor.role != Role::admin;
                      for (const auto& source : sources_) {
                        if (!request.sections.empty() &&
                            std::find(request.sections.begin(), request.sections.end(),
                                      source.key) == request.sections.end())
                          continue;
                        const SectionContext context{c,     request.from, request.to, clock_.now(),
                                                     scope, cells,        staffName_};
                        report.sections.push_back(source.build(context));
                        report.sections.back().key = source.key;
                      }
                      report.suppressedCells = cells.suppressed();
                      return report;
                    });
}

PracticeReport ReportService::run(const Actor& actor, const ReportRequest& request) {
  return build(actor, request, "report.view");
}

std::string ReportService::exportCsv(const Actor& actor, const ReportRequest& request,
                                     std::string_view section) {
  ReportRequest one = request;
  one.sections = {std::string(section)};
  auto report = build(actor, one, "report.export");
  return toCsv(report.sections.front());
}

}  // namespace vigil::analytics
