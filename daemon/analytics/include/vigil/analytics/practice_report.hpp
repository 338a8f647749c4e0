#pragma once
// The practice reports (issue 30): for a period and a scope (the practice, one provider, or a
// clinic group), sections of figures read from the libraries that own the data (visits,
// on-demand care, async cases, alerts, RPM, billing, patient satisfaction), each in one read
// snapshot, with small cells suppressed for readers who may not see the patients behind them
// (report_model.hpp). Viewing is audited as report.view, each CSV export as report.export.
// Who may run which scope: admins any; providers their own figures and those of the clinic
// groups they belong to; nobody else (security's report permission). See docs/reports.md.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/analytics/report_model.hpp"
#include "vigil/core/clock.hpp"
#include "vigil/core/tally.hpp"
#include "vigil/security/access.hpp"

namespace vigil::store {
class Connection;
class Database;
}  // namespace vigil::store

namespace vigil::security {
class AuditLog;
}

namespace vigil::analytics {

enum class ScopeKind { practice, provider, group };

struct ReportRequest {
  TimePoint from;
  TimePoint to;
  ScopeKind scope = ScopeKind::practice;
  std::int64_t scopeId = 0;  // the provider's user id, or the group's id
  /// The sections wanted, by key; empty: every section.
  std::vector<std::string> sections;
};

struct PracticeReport {
  TimePoint from;
  TimePoint to;
  /// Cells hidden from this reader (fewer than kSmallCell patients they may not see).
  int suppressedCells = 0;
  /// Whether small cells are suppressed for this reader at all (false for admins).
  bool smallCellsApply = false;
  std::vector<Section> sections;
};

/// What a section reads its figures with: the report's connection (one snapshot), the period,
/// the clock's now (figures "as of" it: what is overdue, who is at risk), the scope, and how
/// its cells are decided.
struct SectionContext {
  store::Connection& c;
  TimePoint from;
  TimePoint to;
  TimePoint now;
  const ReportScope& scope;
  const SmallCells& cells;
  /// A staff user's display name (the per-provider tables); not PHI.
  std::function<std::string(std::int64_t)> staffName;
};

/// A section: its key (in the API and the CSV's name) and how it is built.
struct SectionSource {
  std::string key;
  std::function<Section(const SectionContext&)> build;
};

/// The longest period a report covers.
inline constexpr auto kMaxReportPeriod = std::chrono::days(366);

class ReportService {
 public:
  /// `groupProviders` gives a clinic group's provider ids (nullopt: no such group) and
  /// `groupsOf` the groups a user belongs to, on the report's connection.
  using GroupProviders =
      std::function<std::optional<std::vector<std::int64_t>>(store::Connection&, std::int64_t)>;
  using GroupsOf = std::function<std::vector<std::int64_t>(store::Connection&, std::int64_t)>;

  using StaffName = std::function<std::string(std::int64_t)>;

  ReportService(store::Database& db, security::AuditLog& audit, const Clock& clock,
                std::vector<SectionSource> sources, StaffName staffName = {},
                GroupProviders groupProviders = {}, GroupsOf groupsOf = {});

  /// The report, audited as report.view. Throws ValidationError on an empty or too long period
  /// or an unknown section, NotFound for an unknown group, AccessDenied (audited) outside the
  /// reader's scopes.
  PracticeReport run(const security::Actor& actor, const ReportRequest& request);

  /// One section of the report as CSV, audited as report.export (the section and the scope).
  std::string exportCsv(const security::Actor& actor, const ReportRequest& request,
                        std::string_view section);

  /// The section keys, in the report's order.
  std::vector<std::string> sectionKeys() const;

 private:
  PracticeReport build(const security::Actor& actor, const ReportRequest& request,
                       std::string_view operation);
  void requireScope(const security::Actor& actor, const ReportRequest& request,
                    std::string_view operation);

  store::Database& db_;
  security::AuditLog& audit_;
  const Clock& clock_;
  std::vector<SectionSource> sources_;
  StaffName staffName_;
  GroupProviders groupProviders_;
  GroupsOf groupsOf_;
};

/// The scope's description in an audit entry: "practice", "provider:12", "group:3".
std::string scopeObjectId(const ReportRequest& request);

/// The clinic groups as vigild gives them to ReportService (ApiWiring::wireReports; the API
/// tests wire the same): security's staff groups read on the report's own connection, nothing
/// decrypted. A group's providers (security::groupProviders; nullopt when
/// security::groupExistsIn says there is no such group) ...
ReportService::GroupProviders staffGroupProviders();
/// ... and the groups a user is in (security::groupIdsOfIn).
ReportService::GroupsOf staffGroupsOf();

}  // namespace vigil::analytics
