// The waitlist: entries, the offer a freed slot makes, accepting it; the providers a search
// looks at.
#include <algorithm>

#include "booking_impl.hpp"
#include "vigil/core/time.hpp"
#include "vigil/store/database.hpp"

namespace vigil::scheduling {

using core::fromMillis;
using core::toMillis;
using security::Actor;
using security::operation;
using security::Role;
using store::Connection;
using namespace std::chrono;

namespace detail {

std::vector<std::int64_t> providersFor(Connection& c, const SlotQuery& q) {
  std::vector<std::int64_t> withSchedule;
  auto st = c.prepare("SELECT provider_user_id FROM schedule_settings ORDER BY provider_user_id");
  while (st.step()) withSchedule.push_back(st.getInt64(0));
  std::vector<std::int64_t> out;
  for (auto p : withSchedule) {
    if (q.providerUserId && *q.providerUserId != p) continue;
    if (q.patientId && !security::SqliteCareTeam(c).isAssigned(p, *q.patientId)) continue;
    out.push_back(p);
  }
  return out;
}

std::optional<std::int64_t> offerFreedIn(Connection& c, const Appointment& freed, TimePoint now) {
  if (freed.startsAt <= now) return std::nullopt;
  auto st = c.prepare(
      "SELECT id, patient_id FROM waitlist_entries WHERE state = 'waiting' AND type_id = ?1 AND "
      "(provider_user_id IS NULL OR provider_user_id = ?2) AND earliest_at <= ?3 AND "
      "latest_at >= ?4 AND patient_id <> ?5 ORDER BY created_at, id");
  st.bindAll(freed.typeId, freed.providerUserId, toMillis(freed.startsAt), toMillis(freed.endsAt),
             freed.patientId);
  while (st.step()) {
    const auto entryId = st.getInt64(0);
    const auto patientId = st.getInt64(1);
    if (!security::SqliteCareTeam(c).isAssigned(freed.providerUserId, patientId)) continue;
    const auto expires = std::min(now + kOfferValidity, freed.startsAt);
    c.execute(
        "INSERT INTO waitlist_offers (entry_id, provider_user_id, starts_at, ends_at, "
        "expires_at, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        entryId, freed.providerUserId, toMillis(freed.startsAt), toMillis(freed.endsAt),
        toMillis(expires), toMillis(now));
    const auto offerId = c.lastInsertRowid();
    c.execute("UPDATE waitlist_entries SET state = 'offered' WHERE id = ?1", entryId);
    return offerId;
  }
  return std::nullopt;
}

namespace {

std::optional<WaitlistOffer> offerIn(Connection& c, std::int64_t offerId) {
  auto st = c.prepare(
      "SELECT o.id, o.entry_id, e.patient_id, o.provider_user_id, e.type_id, o.starts_at, "
      "o.ends_at, o.expires_at, o.state FROM waitlist_offers o JOIN waitlist_entries e ON "
      "e.id = o.entry_id WHERE o.id = ?1");
  st.bind(1, offerId);
  if (!st.step()) return std::nullopt;
  return WaitlistOffer{st.getInt64(0),
                       st.getInt64(1),
                       st.getInt64(2),
                       st.getInt64(3),
                       st.getInt64(4),
                       fromMillis(st.getInt64(5)),
                       fromMillis(st.getInt64(6)),
                       fromMillis(st.getInt64(7)),
                       st.getText(8)};
}

}  // namespace
}  // namespace detail

std::vector<ScheduleSettings> SchedulingService::bookableProviders(const Actor& actor) const {
  SlotQuery q;
  if (actor.role == Role::patient) q.patientId = actor.patientId.value_or(-1);
  return impl_->guard().read(actor, operation("schedule.slots"), std::nullopt, {"provider", ""},
                             [&](Connection& c) {
                               std::vector<ScheduleSettings> out;
                               for (auto id : detail::providersFor(c, q))
                                 out.push_back(*detail::settingsIn(c, id));
                               return out;
                             });
}

std::int64_t SchedulingService::joinWaitlist(const Actor& actor, const WaitlistRequest& r,
                                             std::string_view breakGlass) {
  if (r.latestAt <= r.earliestAt || r.latestAt - r.earliestAt > days(kMaxSearchDays))
    throw ValidationError("earliest/latest: a window of at most 92 days");
  const auto now = impl_->clock.now();
  return impl_->guard().write(
      actor, operation("waitlist.join"), r.patientId, {"waitlist_entry", ""},
      [&](Connection& c) {
        const auto type = detail::typeIn(c, r.typeId);
        if (!type || !type->active) throw ValidationError("type_id: not an active type");
        c.execute(
            "INSERT INTO waitlist_entries (patient_id, provider_user_id, type_id, earliest_at, "
            "latest_at, created_by, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            r.patientId, r.providerUserId, r.typeId, toMillis(r.earliestAt), toMillis(r.latestAt),
            actor.id, toMillis(now));
        return c.lastInsertRowid();
      },
      breakGlass);
}

std::vector<WaitlistOffer> SchedulingService::offers(const Actor& actor, std::int64_t patientId,
                                                     std::string_view breakGlass) const {
  const auto now = toMillis(impl_->clock.now());
  return impl_->guard().read(
      actor, operation("appointment.list"), patientId, {"waitlist_offer", ""},
      [&](Connection& c) {
        std::vector<WaitlistOffer> out;
        auto st = c.prepare(
            "SELECT o.id FROM waitlist_offers o JOIN waitlist_entries e ON e.id = o.entry_id "
            "WHERE e.patient_id = ?1 AND o.state = 'open' AND o.expires_at > ?2 ORDER BY "
            "o.starts_at, o.id");
        st.bindAll(patientId, now);
        while (st.step()) out.push_back(*detail::offerIn(c, st.getInt64(0)));
        return out;
      },
      breakGlass);
}

Appointment SchedulingService::acceptOffer(const Actor& actor, std::int64_t offerId,
                                           std::string_view breakGlass) {
  const auto now = impl_->clock.now();
  const auto offer = impl_->db.read([&](Connection& c) { return detail::offerIn(c, offerId); });
  if (!offer) throw NotFound("offer not found");
  impl_->refuseIneligible(actor, "appointment.book", offer->providerUserId, offer->patientId,
                          offer->startsAt);
  const detail::Eligibility eligibility{impl_->eligibility};
  return impl_->guard().write(
      actor, operation("appointment.book"), offer->patientId,
      {"waitlist_offer", std::to_string(offerId)},
      [&](Connection& c) {
        const auto o = detail::offerIn(c, offerId);
        if (!o || o->state != "open" || o->expiresAt <= now)
          throw ValidationError("offer: no longer open");
        auto a = detail::bookIn(c, actor, {o->patientId, o->providerUserId, o->typeId, o->startsAt},
                                now, eligibility, {});
        c.execute(
            "UPDATE waitlist_offers SET state = 'accepted', appointment_id = ?2 WHERE id = ?1",
            offerId, a.id);
        c.execute("UPDATE waitlist_entries SET state = 'booked' WHERE id = ?1", o->entryId);
        return a;
      },
      breakGlass);
}

}  // namespace vigil::scheduling
