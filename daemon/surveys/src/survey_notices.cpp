// The survey notice: one notify.send per ended video visit the patient joined, through the cloud
// link's outbox, as appointment reminders are sent (scheduling's reminders.cpp).
//
// Trade-offs:
// - One write job per visit: the row that makes the notice once-only (visit_survey_notices'
//   primary key), its outbox entry and its audit entry commit together; one visit's failure
//   (a bad address) does not hold up the others, and is tried again on the next run.
// - "Since the last run": the step reads the visits ended from its previous run's time less
//   kOverlap (a visit whose end committed just after the previous read is not missed; the
//   once-only row makes the overlap harmless), and on its first run since start-up the whole
//   survey window (a box that was off catches up, never for a survey already closed).
// - A notice that cannot go (the patient chose no messages, no address, no cloud link) is
//   recorded as skipped with its reason, decided once: the survey still waits in the portal.
#include <Poco/JSON/Object.h>

#include <algorithm>
#include <sstream>

#include "vigil/core/log.hpp"
#include "vigil/core/time.hpp"
#include "vigil/patients/patient_record.hpp"
#include "vigil/security/audit_log.hpp"
#include "vigil/store/database.hpp"
#include "vigil/store/sqlite.hpp"
#include "vigil/surveys/surveys.hpp"
#include "vigil/video/visit.hpp"

namespace vigil::surveys {

using core::fromMillis;
using core::toMillis;
using store::Connection;

namespace {

/// How far before the previous run's time the next run looks again.
constexpr std::chrono::minutes kOverlap{5};

std::string stringify(const Poco::JSON::Object& o) {
  std::ostringstream out;
  o.stringify(out);
  return out.str();
}

security::AuditEvent noticeEvent(std::int64_t visitId, std::int64_t patientId,
                                 std::string_view reason) {
  security::AuditEvent e;
  e.actorRole = "system";
  e.action = "visit.survey_notice";
  e.objectType = "visit";
  e.objectId = std::to_string(visitId);
  e.patientId = patientId;
  e.reason = std::string(reason);
  return e;
}

}  // namespace

bool SurveyService::noticeIn(Connection& c, std::int64_t visitId, std::int64_t patientId,
                             TimePoint now, NoticeRun& run) const {
  if (c.queryValue<std::int64_t>(
          "SELECT 1 FROM visit_survey_notices WHERE visit_id = ?1 AND patient_id = ?2", visitId,
          patientId))
    return false;
  std::string skip;
  std::string channel;
  std::string to;
  if (c.queryValue<std::int64_t>(
          "SELECT 1 FROM visit_surveys WHERE visit_id = ?1 AND patient_id = ?2", visitId,
          patientId)) {
    skip = "answered";
  } else {
    const auto chosen = channel_ ? channel_(c, patientId) : std::optional<std::string>("email");
    if (!chosen || (*chosen != "email" && *chosen != "sms")) {
      skip = "channel_none";
    } else {
      const auto record = records_.currentIn(c, patientId, false);
      to = *chosen == "email" ? record.contact.email : record.contact.phone;
      channel = *chosen;
      if (to.empty())
        skip = "no_address";
      else if (!outbox_ || !outbox_->available())
        skip = "no_cloud_link";
    }
  }
  // THE once-only row first: a second attempt fails here (primary key) and sends nothing.
  c.execute(
      "INSERT INTO visit_survey_notices (visit_id, patient_id, outcome, reason, channel, "
      "recorded_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
      visitId, patientId, skip.empty() ? "sent" : "skipped",
      skip.empty() ? std::optional<std::string>() : std::optional<std::string>(skip),
      skip.empty() ? std::optional<std::string>(channel) : std::optional<std::string>(),
      toMillis(now));
  if (!skip.empty()) {
    audit_.append(c, noticeEvent(visitId, patientId, "skipped: " + skip));
    ++run.skipped;
    return false;
  }
  const auto link = options_.portalUrl.empty()
                        ? std::string()
                        : options_.portalUrl + "/#/surveys/" + std::to_string(visitId);
  Poco::JSON::Object params;
  params.set("clinic", options_.clinicName);
  if (!link.empty()) params.set("link", link);
  std::string text = "Thank you for your video visit with " + options_.clinicName +
                     ". How did it go? Two questions, one minute: ";
  text += link.empty() ? "open Surveys in the portal." : link;
  params.set("text", text);
  Poco::JSON::Object message;
  message.set("channel", channel);
  message.set("to", to);
  message.set("template", "visit_survey");
  message.set("params", params);
  const auto entry =
      outbox_->enqueueIn(c, "survey/" + std::to_string(patientId), stringify(message));
  c.execute(
      "UPDATE visit_survey_notices SET outbox_entry = ?3 WHERE visit_id = ?1 AND patient_id = ?2",
      visitId, patientId, entry);
  audit_.append(c, noticeEvent(visitId, patientId, "sent"));
  ++run.sent;
  return true;
}

NoticeRun SurveyService::sendDueNotices() {
  const auto now = clock_.now();
  auto from = now - kSurveyWindow;
  if (lastRun_) from = std::max(from, *lastRun_ - kOverlap);
  const auto ended = db_.read([&](Connection& c) {
    std::vector<video::EndedVisit> out;
    for (const auto& v :
         video::VisitService::endedSummariesIn(c, from, now + std::chrono::milliseconds(1))) {
      if (!v.patientJoined) continue;
      if (c.queryValue<std::int64_t>(
              "SELECT 1 FROM visit_survey_notices WHERE visit_id = ?1 AND patient_id = ?2", v.id,
              v.patientId))
        continue;
      out.push_back(v);
    }
    return out;
  });
  NoticeRun total;
  bool queued = false;
  std::optional<TimePoint> earliestFailure;
  for (const auto& v : ended) {
    try {
      auto r = db_.writeSync([&](Connection& c) {
        NoticeRun one;
        const bool q = noticeIn(c, v.id, v.patientId, now, one);
        return std::make_pair(one, q);
      });
      total.sent += r.first.sent;
      total.skipped += r.first.skipped;
      queued = queued || r.second;
      if (r.first.sent > 0) log::info("survey.notice_sent", {{"visit_id", v.id}});
    } catch (const vigil::Error& e) {
      // Nothing of this visit's notice committed; the next run tries again. The outbox's
      // refusals are logged by their word (not_enrolled, unknown_service, rejected).
      const auto* refused = dynamic_cast<const sync::EnqueueError*>(&e);
      log::warn("survey.notice_failed",
                {{"visit_id", v.id},
                 {"reason", refused ? std::string(toString(refused->reason())) : e.what()}});
      if (!earliestFailure || v.endedAt < *earliestFailure) earliestFailure = v.endedAt;
    }
  }
  if (queued && outbox_) outbox_->wake();
  // The next run starts no later than the earliest visit that failed, so it is tried again.
  lastRun_ = earliestFailure ? std::min(now, *earliestFailure + kOverlap) : now;
  return total;
}

std::optional<NoticeRecord> SurveyService::noticeFor(std::int64_t visitId) const {
  return db_.read([&](Connection& c) -> std::optional<NoticeRecord> {
    auto st = c.prepare(
        "SELECT patient_id, outcome, coalesce(reason, ''), coalesce(channel, ''), "
        "coalesce(outbox_entry, ''), recorded_at FROM visit_survey_notices WHERE visit_id = ?1");
    st.bind(1, visitId);
    if (!st.step()) return std::nullopt;
    NoticeRecord r;
    r.visitId = visitId;
    r.patientId = st.getInt64(0);
    r.outcome = st.getText(1);
    r.reason = st.getText(2);
    r.channel = st.getText(3);
    r.outboxEntry = st.getText(4);
    r.recordedAt = fromMillis(st.getInt64(5));
    return r;
  });
}

}  // namespace vigil::surveys
