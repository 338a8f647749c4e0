// Appointment reminders (24 h and 1 h before) and waitlist-offer notices through the cloud
// link's notify.send, under each patient's settings. See reminders.hpp for the rules.
//
// Trade-offs:
// - One write job per appointment: the row that makes a reminder once-only, its outbox entry and
//   its audit entry commit together; one appointment's failure (a bad address) does not hold up
//   the others.
// - The address is read from the patient record's contact section (patients::
//   PatientRecordService::currentIn, the owning library's API) when the message is written and
//   is not kept here: a changed address applies to the next reminder.
// - A reminder that cannot go (no channel, no address, no cloud link) is recorded as skipped
//   with its reason, so it is decided once and the task does not retry it every minute.
#include "vigil/scheduling/reminders.hpp"

#include <Poco/JSON/Object.h>

#include <array>
#include <cstdio>
#include <sstream>

#include "service_impl.hpp"
#include "vigil/core/log.hpp"
#include "vigil/core/time.hpp"
#include "vigil/core/time_zone.hpp"
#include "vigil/patients/patient_record.hpp"
#include "vigil/registry/registry.hpp"
#include "vigil/security/access_guard.hpp"
#include "vigil/security/accounts.hpp"
#include "vigil/security/audit_log.hpp"
#include "vigil/store/database.hpp"

namespace vigil::scheduling {

using core::fromMillis;
using core::toMillis;
using security::Actor;
using security::operation;
using store::Connection;
using namespace std::chrono;

std::string_view toString(ReminderChannel c) {
  switch (c) {
    case ReminderChannel::email:
      return "email";
    case ReminderChannel::sms:
      return "sms";
    case ReminderChannel::none:
      return "none";
  }
  return "none";
}

std::string_view toString(ReminderDetail d) {
  return d == ReminderDetail::detailed ? "detailed" : "minimal";
}

std::string_view toString(ReminderKind k) {
  return k == ReminderKind::dayBefore ? "24h" : "1h";
}

std::optional<ReminderChannel> parseReminderChannel(std::string_view s) {
  for (auto c : {ReminderChannel::email, ReminderChannel::sms, ReminderChannel::none})
    if (toString(c) == s) return c;
  return std::nullopt;
}

std::optional<ReminderDetail> parseReminderDetail(std::string_view s) {
  for (auto d : {ReminderDetail::minimal, ReminderDetail::detailed})
    if (toString(d) == s) return d;
  return std::nullopt;
}

TimePoint reminderDueAt(TimePoint startsAt, ReminderKind kind) {
  return startsAt - (kind == ReminderKind::dayBefore ? hours(24) : hours(1));
}

ReminderDecision decideReminder(ReminderKind kind, TimePoint startsAt, TimePoint bookedAt,
                                TimePoint now) {
  const auto hourMoment = reminderDueAt(startsAt, ReminderKind::hourBefore);
  if (kind == ReminderKind::hourBefore)
    return now >= hourMoment ? ReminderDecision::send : ReminderDecision::notYet;
  const auto dayMoment = reminderDueAt(startsAt, ReminderKind::dayBefore);
  if (bookedAt > dayMoment) return ReminderDecision::skipBookedLate;
  if (now >= hourMoment) return ReminderDecision::skipSuperseded;
  return now >= dayMoment ? ReminderDecision::send : ReminderDecision::notYet;
}

std::string humanTime(TimePoint t, std::string_view zoneName) {
  static constexpr std::array<const char*, 7> kDays{"Sunday",   "Monday", "Tuesday", "Wednesday",
                                                    "Thursday", "Friday", "Saturday"};
  static constexpr std::array<const char*, 12> kMonths{
      "January", "February", "March",     "April",   "May",      "June",
      "July",    "August",   "September", "October", "November", "December"};
  std::shared_ptr<const core::TimeZone> zone;
  try {
    zone = core::TimeZone::locate(zoneName.empty() ? "UTC" : zoneName);
  } catch (const vigil::Error&) {
    zone = core::TimeZone::utc();
  }
  const auto local = zone->toLocal(
      floor<seconds>(sys_time<milliseconds>(duration_cast<milliseconds>(t.time_since_epoch()))));
  const auto day = floor<days>(local);
  const year_month_day ymd{day};
  const weekday wd{day};
  const hh_mm_ss hms{local - day};
  char buf[160];
  std::snprintf(buf, sizeof buf, "%s %u %s %d, %02d:%02d (%s)", kDays[wd.c_encoding()],
                static_cast<unsigned>(ymd.day()), kMonths[static_cast<unsigned>(ymd.month()) - 1],
                static_cast<int>(ymd.year()), static_cast<int>(hms.hours().count()),
                static_cast<int>(hms.minutes().count()), zone->name().c_str());
  return buf;
}

namespace {

std::string howToAttend(const MessageFacts& f) {
  if (!f.video) return "Please come to the clinic.";
  if (f.joinLink.empty()) return "Join the video visit from the portal's Visits page.";
  return "Join the video visit: " + f.joinLink;
}

}  // namespace

std::string reminderText(ReminderDetail detail, const MessageFacts& f) {
  std::string out = "Reminder: you have a visit with " + f.clinicName + " on " + f.when;
  if (detail == ReminderDetail::detailed) {
    out += ": " + f.typeName;
    if (!f.providerName.empty()) out += " with " + f.providerName;
  }
  return out + ". " + howToAttend(f);
}

std::string offerText(ReminderDetail detail, const MessageFacts& f, std::string_view until,
                      std::string_view bookLink) {
  std::string out = "A time has opened for you with " + f.clinicName + " on " + f.when;
  if (detail == ReminderDetail::detailed) {
    out += ": " + f.typeName;
    if (!f.providerName.empty()) out += " with " + f.providerName;
  }
  out += ". It is offered to you until " + std::string(until) + ".";
  if (!bookLink.empty()) out += " Accept it in the portal: " + std::string(bookLink);
  return out;
}

ReminderService::ReminderService(store::Database& db, security::AuditLog& audit,
                                 const crypto::FieldCipher& cipher,
                                 patients::PatientRecordService& records,
                                 std::shared_ptr<sync::NotificationOutbox> outbox, Clock& clock,
                                 ReminderOptions options)
    : db_(db),
      audit_(audit),
      cipher_(cipher),
      records_(records),
      outbox_(std::move(outbox)),
      clock_(clock),
      options_(std::move(options)) {
  while (!options_.portalUrl.empty() && options_.portalUrl.back() == '/')
    options_.portalUrl.pop_back();
}

namespace {

ReminderSettings settingsIn(Connection& c, std::int64_t patientId) {
  ReminderSettings s;
  s.patientId = patientId;
  auto st = c.prepare("SELECT channel, detail FROM reminder_settings WHERE patient_id = ?1");
  st.bind(1, patientId);
  if (st.step()) {
    s.channel = parseReminderChannel(st.getText(0)).value_or(ReminderChannel::none);
    s.detail = parseReminderDetail(st.getText(1)).value_or(ReminderDetail::minimal);
    s.stored = true;
  }
  return s;
}

std::string stringify(const Poco::JSON::Object& o) {
  std::ostringstream out;
  o.stringify(out);
  return out.str();
}

/// Where a message to the patient goes, or why it cannot: the channel and the address from
/// the record's contact section.
struct Destination {
  std::string channel;  // email, sms; empty: none
  std::string to;
  std::string skipReason;
};

Destination destinationIn(Connection& c, const patients::PatientRecordService& records,
                          const ReminderSettings& s, sync::NotificationOutbox* outbox) {
  if (s.channel == ReminderChannel::none) return {"", "", "channel_none"};
  const auto record = records.currentIn(c, s.patientId, false);
  const auto& to =
      s.channel == ReminderChannel::email ? record.contact.email : record.contact.phone;
  if (to.empty()) return {"", "", "no_address"};
  if (outbox == nullptr || !outbox->available()) return {"", "", "no_cloud_link"};
  return {std::string(toString(s.channel)), to, ""};
}

security::AuditEvent systemEvent(std::string_view action, std::string_view objectType,
                                 std::int64_t objectId, std::int64_t patientId,
                                 std::string_view reason) {
  security::AuditEvent e;
  e.actorRole = "system";
  e.action = std::string(action);
  e.objectType = std::string(objectType);
  e.objectId = std::to_string(objectId);
  e.patientId = patientId;
  e.reason = std::string(reason);
  return e;
}

}  // namespace

ReminderSettings reminderSettingsIn(Connection& c, std::int64_t patientId) {
  return settingsIn(c, patientId);
}

ReminderSettings ReminderService::settings(const Actor& actor, std::int64_t patientId,
                                           std::string_view breakGlass) const {
  security::AccessGuard guard(db_, audit_);
  return guard.read(
      actor, operation("reminder_settings.get"), patientId,
      {"reminder_settings", std::to_string(patientId)},
      [&](Connection& c) {
        if (!registry::PatientRepository::existsIn(c, patientId))
          throw NotFound("patient not found");
        return settingsIn(c, patientId);
      },
      breakGlass);
}

ReminderSettings ReminderService::saveSettings(const Actor& actor, const ReminderSettings& s,
                                               std::string_view breakGlass) {
  security::AccessGuard guard(db_, audit_);
  const auto now = clock_.now();
  return guard.write(
      actor, operation("reminder_settings.update"), s.patientId,
      {"reminder_settings", std::to_string(s.patientId)},
      [&](Connection& c) {
        if (!registry::PatientRepository::existsIn(c, s.patientId))
          throw NotFound("patient not found");
        c.execute(
            "INSERT INTO reminder_settings (patient_id, channel, detail, updated_by, updated_at) "
            "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (patient_id) DO UPDATE SET channel = ?2, "
            "detail = ?3, updated_by = ?4, updated_at = ?5",
            s.patientId, toString(s.channel), toString(s.detail), actor.id, toMillis(now));
        return settingsIn(c, s.patientId);
      },
      breakGlass);
}

bool ReminderService::remindIn(Connection& c, std::int64_t appointmentId, TimePoint now,
                               ReminderRun& run) const {
  const auto a = detail::appointmentIn(c, appointmentId);
  if (!a || a->state != AppointmentState::booked || a->startsAt <= now) return false;
  const auto bookedAt = fromMillis(
      c.queryValue<std::int64_t>("SELECT booked_at FROM appointments WHERE id = ?1", appointmentId)
          .value_or(0));
  bool queued = false;
  for (auto kind : {ReminderKind::dayBefore, ReminderKind::hourBefore}) {
    if (c.queryValue<std::int64_t>(
            "SELECT 1 FROM appointment_reminders WHERE appointment_id = ?1 AND kind = ?2",
            appointmentId, toString(kind)))
      continue;
    const auto decision = decideReminder(kind, a->startsAt, bookedAt, now);
    if (decision == ReminderDecision::notYet) continue;
    std::string skip = decision == ReminderDecision::skipBookedLate   ? "booked_late"
                       : decision == ReminderDecision::skipSuperseded ? "superseded"
                                                                      : "";
    const auto settings = settingsIn(c, a->patientId);
    Destination to;
    if (skip.empty()) {
      to = destinationIn(c, records_, settings, outbox_.get());
      skip = to.skipReason;
    }
    // THE once-only row first: a second attempt fails here (primary key) and sends nothing.
    c.execute(
        "INSERT INTO appointment_reminders (appointment_id, kind, due_at, outcome, reason, "
        "channel, recorded_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        appointmentId, toString(kind), toMillis(reminderDueAt(a->startsAt, kind)),
        skip.empty() ? "sent" : "skipped",
        skip.empty() ? std::optional<std::string>() : std::optional<std::string>(skip),
        skip.empty() ? std::optional<std::string>(to.channel) : std::optional<std::string>(),
        toMillis(now));
    if (!skip.empty()) {
      ++run.skipped;
      audit_.append(c, systemEvent("appointment.remind", "appointment", appointmentId, a->patientId,
                                   "skipped: " + skip));
      continue;
    }
    const auto type = detail::typeIn(c, a->typeId);
    const auto where = registry::PatientRepository::locationIn(c, a->patientId);
    MessageFacts f;
    f.clinicName = options_.clinicName;
    f.when = humanTime(a->startsAt, where ? where->timeZone : "UTC");
    f.video = type && type->modality == Modality::video;
    if (f.video && a->visitId && !options_.portalUrl.empty())
      f.joinLink = options_.portalUrl + "/#/visits/" + std::to_string(*a->visitId);
    Poco::JSON::Object params;
    params.set("kind", std::string(toString(kind)));
    params.set("clinic", f.clinicName);
    params.set("startsAt", formatInZone(a->startsAt, where ? where->timeZone : "UTC"));
    params.set("modality", std::string(f.video ? "video" : "in_person"));
    if (!f.joinLink.empty()) params.set("joinLink", f.joinLink);
    if (settings.detail == ReminderDetail::detailed) {
      if (auto u = security::AccountService::findUserIn(c, cipher_, a->providerUserId))
        f.providerName = u->displayName;
      f.typeName = type ? type->name : "";
      params.set("provider", f.providerName);
      params.set("type", f.typeName);
    }
    params.set("text", reminderText(settings.detail, f));
    Poco::JSON::Object message;
    message.set("channel", to.channel);
    message.set("to", to.to);
    message.set("template", "appointment_reminder");
    message.set("params", params);
    const auto entry =
        outbox_->enqueueIn(c, "reminder/" + std::to_string(a->patientId), stringify(message));
    c.execute(
        "UPDATE appointment_reminders SET outbox_entry = ?3 WHERE appointment_id = ?1 AND "
        "kind = ?2",
        appointmentId, toString(kind), entry);
    audit_.append(c, systemEvent("appointment.remind", "appointment", appointmentId, a->patientId,
                                 "sent: " + std::string(toString(kind))));
    ++run.sent;
    queued = true;
  }
  return queued;
}

ReminderRun ReminderService::runDue() {
  const auto now = clock_.now();
  const auto ids = db_.read([&](Connection& c) {
    std::vector<std::int64_t> out;
    auto st = c.prepare(
        "SELECT a.id FROM appointments a WHERE a.state = 'booked' AND a.starts_at > ?1 AND "
        "a.starts_at <= ?2 AND (NOT EXISTS (SELECT 1 FROM appointment_reminders r WHERE "
        "r.appointment_id = a.id AND r.kind = '24h') OR (a.starts_at <= ?3 AND NOT EXISTS "
        "(SELECT 1 FROM appointment_reminders r WHERE r.appointment_id = a.id AND r.kind = "
        "'1h'))) ORDER BY a.starts_at, a.id");
    // Within 24 h the 24 h reminder is always decidable (sent or skipped); the 1 h one only
    // from S - 1 h: only appointments with something to decide get a write job.
    st.bindAll(toMillis(now), toMillis(now + hours(24)), toMillis(now + hours(1)));
    while (st.step()) out.push_back(st.getInt64(0));
    return out;
  });
  ReminderRun total;
  bool queued = false;
  for (auto id : ids) {
    try {
      auto r = db_.writeSync([&](Connection& c) {
        ReminderRun one;
        const bool q = remindIn(c, id, now, one);
        return std::make_pair(one, q);
      });
      total.sent += r.first.sent;
      total.skipped += r.first.skipped;
      queued = queued || r.second;
      if (r.first.sent > 0) log::info("reminder.sent", {{"appointment_id", id}});
    } catch (const vigil::Error& e) {
      // Nothing of this appointment's reminders committed; the next run tries again. The
      // outbox's refusals are logged by their word (not_enrolled, unknown_service, rejected).
      const auto* refused = dynamic_cast<const sync::EnqueueError*>(&e);
      log::warn("reminder.failed",
                {{"appointment_id", id},
                 {"reason", refused ? std::string(toString(refused->reason())) : e.what()}});
    }
  }
  if (queued && outbox_) outbox_->wake();
  return total;
}

void ReminderService::notifyOfferIn(Connection& c, std::int64_t offerId, TimePoint now) const {
  auto st = c.prepare(
      "SELECT e.patient_id, o.provider_user_id, e.type_id, o.starts_at, o.expires_at FROM "
      "waitlist_offers o JOIN waitlist_entries e ON e.id = o.entry_id WHERE o.id = ?1");
  st.bind(1, offerId);
  if (!st.step()) return;
  const auto patientId = st.getInt64(0);
  const auto providerUserId = st.getInt64(1);
  const auto typeId = st.getInt64(2);
  const auto startsAt = fromMillis(st.getInt64(3));
  const auto expiresAt = fromMillis(st.getInt64(4));
  const auto settings = settingsIn(c, patientId);
  auto to = destinationIn(c, records_, settings, outbox_.get());
  std::optional<std::string> entry;
  if (to.skipReason.empty()) {
    const auto type = detail::typeIn(c, typeId);
    const auto where = registry::PatientRepository::locationIn(c, patientId);
    const auto zone = where ? where->timeZone : std::string("UTC");
    MessageFacts f;
    f.clinicName = options_.clinicName;
    f.when = humanTime(startsAt, zone);
    f.video = type && type->modality == Modality::video;
    Poco::JSON::Object params;
    params.set("clinic", f.clinicName);
    params.set("startsAt", formatInZone(startsAt, zone));
    params.set("expiresAt", formatInZone(expiresAt, zone));
    const auto bookLink = options_.portalUrl.empty() ? "" : options_.portalUrl + "/#/schedule";
    if (!bookLink.empty()) params.set("link", bookLink);
    if (settings.detail == ReminderDetail::detailed) {
      if (auto u = security::AccountService::findUserIn(c, cipher_, providerUserId))
        f.providerName = u->displayName;
      f.typeName = type ? type->name : "";
      params.set("provider", f.providerName);
      params.set("type", f.typeName);
    }
    params.set("text", offerText(settings.detail, f, humanTime(expiresAt, zone), bookLink));
    Poco::JSON::Object message;
    message.set("channel", to.channel);
    message.set("to", to.to);
    message.set("template", "waitlist_offer");
    message.set("params", params);
    try {
      entry = outbox_->enqueueIn(c, "reminder/" + std::to_string(patientId), stringify(message));
    } catch (const vigil::Error&) {
      to.skipReason = "no_cloud_link";  // the offer stands without its notice
    }
  }
  c.execute(
      "INSERT INTO waitlist_offer_notices (offer_id, outcome, reason, channel, "
      "outbox_entry, recorded_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING",
      offerId, entry ? "sent" : "skipped",
      entry ? std::optional<std::string>() : std::optional<std::string>(to.skipReason),
      entry ? std::optional<std::string>(to.channel) : std::optional<std::string>(), entry,
      toMillis(now));
  audit_.append(c, systemEvent("waitlist.notify", "waitlist_offer", offerId, patientId,
                               entry ? "sent" : "skipped: " + to.skipReason));
}

std::vector<ReminderRecord> ReminderService::recordsFor(std::int64_t appointmentId) const {
  return db_.read([&](Connection& c) {
    std::vector<ReminderRecord> out;
    auto st = c.prepare(
        "SELECT kind, due_at, outcome, coalesce(reason, ''), coalesce(channel, ''), "
        "coalesce(outbox_entry, ''), recorded_at FROM appointment_reminders WHERE "
        "appointment_id = ?1 ORDER BY due_at");
    st.bind(1, appointmentId);
    while (st.step()) {
      ReminderRecord r;
      r.appointmentId = appointmentId;
      r.kind = st.getText(0) == "24h" ? ReminderKind::dayBefore : ReminderKind::hourBefore;
      r.dueAt = fromMillis(st.getInt64(1));
      r.outcome = st.getText(2);
      r.reason = st.getText(3);
      r.channel = st.getText(4);
      r.outboxEntry = st.getText(5);
      r.recordedAt = fromMillis(st.getInt64(6));
      out.push_back(std::move(r));
    }
    return out;
  });
}

}  // namespace vigil::scheduling
