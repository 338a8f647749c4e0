#pragma once
// The practice history generator's parts (practice_history.hpp): the hand-moved clock, the
// timeline that runs the history's steps in time order, the practice being built, and the
// planners of each kind of history (practice_history_care.cpp, practice_history_visits.cpp).

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <queue>
#include <random>
#include <vector>

#include "vigil/alerts/alert_lifecycle.hpp"
#include "vigil/alerts/alert_repository.hpp"
#include "vigil/billing/billing.hpp"
#include "vigil/cases/cases.hpp"
#include "vigil/demo/practice_history.hpp"
#include "vigil/notes/notes.hpp"
#include "vigil/patients/patient_record.hpp"
#include "vigil/registry/registry.hpp"
#include "vigil/security/access.hpp"
#ifdef VIGIL_WITH_VIDEO
#include "vigil/ondemand/ondemand.hpp"
#include "vigil/scheduling/scheduling.hpp"
#include "vigil/surveys/surveys.hpp"
#include "vigil/video/visit.hpp"
#endif

namespace vigil::demo::history {

/// The generator's clock: the timeline sets it to each step's instant.
class SetClock final : public Clock {
 public:
  explicit SetClock(TimePoint t) : now_(t) {}
  TimePoint now() const override { return now_; }
  void set(TimePoint t) { now_ = t; }

 private:
  TimePoint now_;
};

/// Steps at instants, run in time order (equal instants in the order they were added) with the
/// clock set to each; a step may add later ones. Steps after `end` are dropped (the history does
/// not reach into the future), and a step asked for before the current instant runs now.
class Timeline {
 public:
  Timeline(SetClock& clock, TimePoint end) : clock_(clock), end_(end) {}
  void at(TimePoint when, std::function<void()> step);
  /// Runs every step; `progress` (optional) counts them.
  void run(ProgressBar* progress);

 private:
  struct Step {
    TimePoint at;
    std::uint64_t seq = 0;
    std::function<void()> fn;
    bool operator>(const Step& o) const { return at != o.at ? at > o.at : seq > o.seq; }
  };
  SetClock& clock_;
  TimePoint end_;
  bool running_ = false;
  std::uint64_t seq_ = 0;
  std::uint64_t done_ = 0;
  std::priority_queue<Step, std::vector<Step>, std::greater<>> steps_;
};

struct Provider {
  security::Actor actor;
  std::vector<std::size_t> panel;  // indexes into Practice::patients
};

struct Patient {
  std::int64_t id = 0;
  security::Actor actor;  // the patient's portal login
  std::size_t provider = 0;
  std::int64_t deviceId = 0;
  std::string deviceUid;
  bool enrolled = false;
  double dayOffChance = 0;  // adherence: the chance a day has no reading
};

/// The practice being built, its services (all on the generator's clock) and the RNG.
struct Practice {
  Practice(const DemoServices& services, const security::Actor& admin, const PracticePlan& plan,
           TimePoint until, PracticeHistoryResult& result);
  ~Practice();

  const DemoServices& s;
  security::Actor admin;
  const PracticePlan& plan;
  TimePoint until;
  std::chrono::sys_days firstDay;  // day 0 of the history (00:00 UTC)
  PracticeHistoryResult& result;
  SetClock clock;
  Timeline timeline;
  std::mt19937_64 rng;
  std::vector<Provider> providers;
  std::vector<Patient> patients;
  std::vector<std::size_t> enrolled;  // indexes of the enrolled patients
  std::optional<security::Actor> nurse;

  registry::PatientRepository registry;
  patients::PatientRecordService records;
  notes::NoteService notes;
  cases::CaseService cases;
  billing::BillingService billing;
  alerts::AlertRepository alertRepo;
  alerts::AlertLifecycle alerts;
#ifdef VIGIL_WITH_VIDEO
  scheduling::SchedulingService schedule;
  video::VisitService visits;
  ondemand::OnDemandService onDemand;
  surveys::SurveyService surveys;
#endif

  /// A uniform draw in [0, 1).
  double uniform();
  /// A count for a day at `rate` per day: its whole part, plus one with the fraction's chance.
  int countFor(double rate);
  /// A draw in [lo, hi) minutes.
  std::chrono::minutes minutesBetween(int lo, int hi);
  std::size_t pick(std::size_t n);
  /// 00:00 UTC of day d of the history.
  TimePoint day(int d) const;
  int dayCount() const;
  /// Runs a step a service may refuse: a refusal (vigil::Error) is counted, never retried.
  void attempt(const std::function<void()>& step);
};

void planCases(Practice& x);
void planAlerts(Practice& x);
void planBilling(Practice& x);
void planVisits(Practice& x);    // with video; no-op without
void planOnDemand(Practice& x);  // with video; no-op without

}  // namespace vigil::demo::history
