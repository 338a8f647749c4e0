#pragma once
// The one worklist (issue 23, docs/notes.md "The worklist"): what a provider or nurse has to do,
// read in one snapshot from the libraries that own each kind of work:
//
//   alert    open alerts claimed by the user or routed to them by escalation, and open alerts
//            nobody has claimed or been routed on the patients of the user's care team
//   visit    the user's video visits that start today (the user's own day: the time zone the
//            portal sends), not cancelled and not ended
//   draft    the user's own unsigned drafts (to finish and sign, or submit for co-signature)
//   cosign   nurses' notes waiting for a co-signature on the user's care team (providers only:
//            only they co-sign)
//   review   RPM monthly reviews due: patients of the user's care team enrolled in RPM without a
//            signed RPM monthly review note for this month (the user's month)
//   case     async cases waiting for a clinician on the user's care team, or escalated to them
//            (urgent once past their escalation moment), by due time
//
// Items name the patient by id; the route adds the names (registry::displayNames). Counts carry
// no PHI. Who may ask: providers and nurses (operation worklist.read, the gate checks the role);
// the items are the caller's own work, so the lists are already narrowed to it.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "vigil/core/clock.hpp"
#include "vigil/core/time_zone.hpp"
#include "vigil/security/access.hpp"

namespace vigil::store {
class Database;
class Connection;
}  // namespace vigil::store
namespace vigil::alerts {
class AlertLifecycle;
}

namespace vigil::worklist {

enum class WorkKind { alert, visit, draft, cosign, review, asyncCase };
/// "alert", "visit", "draft", "cosign", "review", "case".
std::string_view toString(WorkKind kind);

struct WorkItem {
  WorkKind kind = WorkKind::alert;
  std::int64_t patientId = 0;
  std::int64_t ref = 0;  // the alert, visit, note or case id; 0 for a review
  std::string detail;    // the alert's clinical title (its value: PHI, for the listing only),
                         // the visit's state, the template's title, the month
  TimePoint at;         // when it was raised, starts, was written, was submitted; the month's start
  bool urgent = false;  // a high or critical alert, a case about to miss its response time
};

struct WorkCounts {
  int alerts = 0, visits = 0, drafts = 0, cosign = 0, reviews = 0, cases = 0;
  int total() const { return alerts + visits + drafts + cosign + reviews + cases; }
};

struct Worklist {
  std::vector<WorkItem> items;  // by kind in the order above, each kind by its `at`
  WorkCounts counts;
};

/// Work from a library above this one (the async cases), read on the same snapshot.
using WorkSource =
    std::function<std::vector<WorkItem>(store::Connection& c, const security::Actor& actor,
                                        const std::vector<std::int64_t>& careTeam, TimePoint now)>;

class WorklistService {
 public:
  WorklistService(store::Database& db, alerts::AlertLifecycle& alerts, Clock& clock);

  /// Adds a source of work (set before serving; not synchronised).
  void addSource(WorkSource source);

  /// The caller's work; `zone` is the caller's own time zone (what "today" and "this month"
  /// mean). Throws AccessDenied for roles that have no worklist.
  Worklist list(const security::Actor& actor, const core::TimeZone& zone) const;

 private:
  store::Database& db_;
  alerts::AlertLifecycle& alerts_;
  Clock& clock_;
  std::vector<WorkSource> sources_;
};

}  // namespace vigil::worklist
