// The practice history's appointments and on-demand care (practice_history.hpp): booked on the
// providers' free slots through scheduling::SchedulingService, held through video::VisitService
// (both join, the provider ends), on-demand requests through ondemand::OnDemandService. Without
// video (the scheduling and on-demand libraries come with it) there are none.

#include <algorithm>

#include "practice_history_internal.hpp"

namespace vigil::demo::history {

#ifdef VIGIL_WITH_VIDEO

using namespace std::chrono;

namespace {

/// Holds a booked video visit: provider and patient join, the provider admits the patient and
/// ends the visit 20 minutes in; the provider then approves it for billing (99213).
void holdVisit(Practice& x, const scheduling::Appointment& a, const security::Actor& provider,
               const security::Actor& patient) {
  const auto visit = *a.visitId;
  x.timeline.at(a.startsAt + minutes(1), [&x, visit, provider, patient] {
    x.attempt([&] {
      x.visits.join(provider, visit);
      x.visits.join(patient, visit);
      x.visits.admit(provider, visit, patient.id);
    });
  });
  x.timeline.at(a.startsAt + minutes(21), [&x, visit, provider] {
    x.attempt([&] {
      x.visits.end(provider, visit);
      ++x.result.completed;
    });
  });
  // Two in three patients answer the satisfaction survey within two days: mostly pleased, a few
  // not (ratings 5, 4, 3, 2 about 45, 35, 15, 5 %; the recommendation follows the rating).
  if (x.uniform() < 2.0 / 3.0) {
    const auto when = a.startsAt + minutes(21) + x.minutesBetween(10, 48 * 60);
    const double draw = x.uniform();
    const int rating = draw < 0.45 ? 5 : draw < 0.80 ? 4 : draw < 0.95 ? 3 : 2;
    const int recommend = std::min(10, rating * 2 + static_cast<int>(x.pick(2)));
    x.timeline.at(when, [&x, visit, patient, rating, recommend] {
      x.attempt([&] {
        x.surveys.answer(patient, visit, {rating, recommend, ""});
        ++x.result.surveysAnswered;
      });
    });
  }
  if (!x.plan.claims) return;
  x.timeline.at(a.startsAt + hours(2), [&x, visit, provider] {
    x.attempt([&] {
      const auto approval = x.billing.approveVisit(provider, visit, "99213", {"I10"});
      if (approval.created) ++x.result.claims;
    });
  });
}

/// Books `n` of the provider's free slots of the day with patients of their panel and draws
/// what becomes of each: held (70 %), cancelled two hours before (12 %), a no-show (10 %), or
/// left booked (a visit nobody marked).
void bookDay(Practice& x, std::size_t providerIndex, sys_days day, int n, std::int64_t type) {
  const auto& provider = x.providers[providerIndex];
  if (provider.panel.empty()) return;
  const year_month_day date(day);
  auto free = x.schedule.slots(x.admin, {type, provider.actor.id, std::nullopt, date, date}).slots;
  for (int i = 0; i < n && !free.empty(); ++i) {
    const auto k = x.pick(free.size());
    const auto slot = free[k];
    // The slots overlapping this one (with the buffer) go with it.
    std::erase_if(free, [&](const scheduling::Slot& f) {
      return f.startsAt < slot.endsAt + minutes(10) && slot.startsAt < f.endsAt + minutes(10);
    });
    const auto& patient = x.patients[provider.panel[x.pick(provider.panel.size())]];
    scheduling::Appointment a;
    try {
      a = x.schedule.book(x.admin, {patient.id, provider.actor.id, type, slot.startsAt});
    } catch (const Error&) {
      ++x.result.refused;  // the patient is busy then
      continue;
    }
    ++x.result.appointments;
    if (a.startsAt >= x.until) {
      ++x.result.futureBooked;
      continue;
    }
    const double u = x.uniform();
    if (u < 0.7 && a.visitId) {
      holdVisit(x, a, provider.actor, patient.actor);
    } else if (u < 0.82) {
      x.timeline.at(a.startsAt - hours(2), [&x, id = a.id] {
        x.attempt([&] {
          x.schedule.cancel(x.admin, id, scheduling::CancelReason::patientRequest, "");
          ++x.result.cancelled;
        });
      });
    } else if (u < 0.92) {
      x.timeline.at(a.startsAt + minutes(15), [&x, id = a.id] {
        x.attempt([&] {
          x.schedule.markNoShow(x.admin, id);
          ++x.result.noShows;
        });
      });
    }
  }
}

bool weekday(sys_days d) {
  const auto w = std::chrono::weekday(d).iso_encoding();
  return w >= 1 && w <= 5;
}

}  // namespace

void planVisits(Practice& x) {
  std::int64_t type = 0;
  for (const auto& t : x.schedule.types(x.admin))
    if (t.modality == scheduling::Modality::video && t.durationMinutes == 30) type = t.id;
  if (!type) return;
  const int last = x.dayCount() + static_cast<int>(x.plan.futureDays.count());
  for (int d = 1; d <= last; ++d) {
    const auto day = x.firstDay + days(d);
    if (!weekday(day)) continue;
    for (std::size_t p = 0; p < x.providers.size(); ++p) {
      const int n = x.countFor(x.plan.visitsPerProviderDay);
      if (!n) continue;
      // Booked that morning; the weeks ahead are booked now (the history's end).
      const auto at = std::min(TimePoint(day) + hours(12), x.until);
      x.timeline.at(at, [&x, p, day, n, type] { bookDay(x, p, day, n, type); });
    }
  }
}

void planOnDemand(Practice& x) {
  for (int d = 1; d <= x.dayCount(); ++d) {
    const auto day = x.firstDay + days(d);
    if (!weekday(day)) continue;
    const int n = x.countFor(x.plan.onDemandPerDay);
    if (!n) continue;
    // One provider on duty for the afternoon, in turn.
    const auto provider = x.providers[static_cast<std::size_t>(d) % x.providers.size()].actor;
    x.timeline.at(TimePoint(day) + hours(15),
                  [&x, provider] { x.attempt([&] { x.onDemand.setDuty(provider, true); }); });
    x.timeline.at(TimePoint(day) + hours(23),
                  [&x, provider] { x.attempt([&] { x.onDemand.setDuty(provider, false); }); });
    for (int i = 0; i < n; ++i) {
      const auto at = TimePoint(day) + hours(15) + x.minutesBetween(5, 7 * 60);
      x.timeline.at(at, [&x, provider] {
        const auto& p = x.patients[x.pick(x.patients.size())];
        const bool seen = x.uniform() < 0.85;
        const auto after = seen ? x.minutesBetween(3, 25) : x.minutesBetween(2, 10);
        x.attempt([&] {
          const auto r = x.onDemand.request(p.actor, p.id, ondemand::Reason::newSymptoms, "IL");
          if (!seen) {
            x.timeline.at(x.clock.now() + after, [&x, patient = p.actor, id = r.id] {
              x.attempt([&] {
                x.onDemand.cancel(patient, id);
                ++x.result.onDemandCancelled;
              });
            });
            return;
          }
          x.timeline.at(x.clock.now() + after, [&x, provider, id = r.id] {
            x.attempt([&] {
              const auto visit = x.onDemand.start(provider, id);
              ++x.result.onDemandSeen;
              x.timeline.at(x.clock.now() + minutes(15), [&x, provider, visit] {
                x.attempt([&] {
                  x.visits.join(provider, visit);
                  x.visits.end(provider, visit);
                });
              });
            });
          });
        });
      });
    }
  }
}

#else

void planVisits(Practice&) {}
void planOnDemand(Practice&) {}

#endif

}  // namespace vigil::demo::history
