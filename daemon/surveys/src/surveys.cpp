// The visits' satisfaction surveys: what is due to a patient and their answer (see surveys.hpp
// for the rules).
//
// Trade-offs:
// - The visit is read twice for an answer: once on a reader to learn whose visit it is (the
//   guard authorises that patient), then again inside the write job, where the due rule and
//   "not answered yet" are decided on the writer's snapshot. The single writer serialises two
//   answers to one visit, so the second sees the first and is refused as answered; the UNIQUE
//   constraint still stands behind it.
// - The answer keeps the visit's provider and end time (they do not change once a visit ended):
//   the report then reads one table by one index, not the visit of every answer.
#include "vigil/surveys/surveys.hpp"

#include <algorithm>

#include "vigil/core/log.hpp"
#include "vigil/core/time.hpp"
#include "vigil/crypto/field_cipher.hpp"
#include "vigil/security/access_guard.hpp"
#include "vigil/security/accounts.hpp"
#include "vigil/security/audit_log.hpp"
#include "vigil/security/encrypted_fields.hpp"
#include "vigil/store/database.hpp"
#include "vigil/store/sqlite.hpp"
#include "vigil/video/visit.hpp"

namespace vigil::surveys {

using core::fromMillis;
using core::toMillis;
using security::Actor;
using security::operation;
using store::Connection;

std::string_view SurveyNotDue::code() const {
  switch (reason_) {
    case Reason::notEnded:
      return "visit_not_ended";
    case Reason::notJoined:
      return "patient_not_joined";
    case Reason::expired:
      return "survey_expired";
  }
  return "survey_not_due";
}

void checkAnswer(const SurveyAnswer& a) {
  if (a.rating < 1 || a.rating > 5) throw SurveyValueError("rating: a whole number from 1 to 5");
  if (a.recommend < 0 || a.recommend > 10)
    throw SurveyValueError("recommend: a whole number from 0 to 10");
  std::size_t chars = 0;
  for (char ch : a.comment)
    if ((static_cast<unsigned char>(ch) & 0xC0) != 0x80) ++chars;  // code points, not bytes
  if (chars > kMaxCommentChars)
    throw SurveyValueError("comment: at most " + std::to_string(kMaxCommentChars) + " characters");
}

namespace {

crypto::FieldRef commentRef(std::int64_t rowId) {
  const auto& f = security::encryptedField("visit_surveys", "comment");
  return {std::string(f.table), std::string(f.column), std::to_string(rowId)};
}

bool patientJoined(const video::Visit& v) {
  for (const auto& p : v.participants)
    if (p.role == video::ParticipantRole::patient && p.admittedAt) return true;
  return false;
}

/// Why the visit's survey is not open at `now`, or nullopt when it is (answered or not).
std::optional<SurveyNotDue> notDue(const video::Visit& v, TimePoint now) {
  using R = SurveyNotDue::Reason;
  if (v.state != video::VisitState::ended || !v.endedAt)
    return SurveyNotDue(R::notEnded, "the visit has not ended");
  if (!patientJoined(v)) return SurveyNotDue(R::notJoined, "the patient did not join the visit");
  if (now - *v.endedAt > kSurveyWindow)
    return SurveyNotDue(R::expired, "the survey closed 14 days after the visit");
  return std::nullopt;
}

bool answeredIn(Connection& c, std::int64_t visitId, std::int64_t patientId) {
  return c
      .queryValue<std::int64_t>(
          "SELECT 1 FROM visit_surveys WHERE visit_id = ?1 AND patient_id = ?2", visitId, patientId)
      .has_value();
}

}  // namespace

SurveyService::SurveyService(store::Database& db, security::AuditLog& audit,
                             const crypto::FieldCipher& cipher,
                             const patients::PatientRecordService& records, Clock& clock,
                             SurveyOptions options)
    : db_(db),
      audit_(audit),
      cipher_(cipher),
      records_(records),
      clock_(clock),
      options_(std::move(options)) {
  while (!options_.portalUrl.empty() && options_.portalUrl.back() == '/')
    options_.portalUrl.pop_back();
}

void SurveyService::setNotices(std::shared_ptr<sync::NotificationOutbox> outbox,
                               NoticeChannel channel) {
  outbox_ = std::move(outbox);
  channel_ = std::move(channel);
}

std::vector<PendingSurvey> SurveyService::pending(const Actor& actor) const {
  security::AccessGuard guard(db_, audit_);
  const auto now = clock_.now();
  return guard.read(
      actor, operation("survey.list_pending"), actor.patientId, {"visit_survey", ""},
      [&](Connection& c) {
        std::vector<PendingSurvey> out;
        for (const auto& v : video::VisitService::forPatientIn(c, *actor.patientId)) {
          if (notDue(v, now) || answeredIn(c, v.id, v.patientId)) continue;
          PendingSurvey p;
          p.visitId = v.id;
          p.endedAt = *v.endedAt;
          p.providerUserId = v.providerUserId;
          p.answerBy = *v.endedAt + kSurveyWindow;
          if (auto u = security::AccountService::findUserIn(c, cipher_, v.providerUserId))
            p.providerName = u->displayName;
          out.push_back(std::move(p));
        }
        std::sort(out.begin(), out.end(),
                  [](const auto& a, const auto& b) { return a.endedAt < b.endedAt; });
        return out;
      });
}

StoredAnswer SurveyService::answer(const Actor& actor, std::int64_t visitId,
                                   const SurveyAnswer& a) {
  checkAnswer(a);
  const auto visit =
      db_.read([&](Connection& c) { return video::VisitService::findIn(c, visitId); });
  if (!visit) throw NotFound("visit not found");
  security::AccessGuard guard(db_, audit_);
  const auto now = clock_.now();
  auto stored = guard.write(
      actor, operation("survey.answer"), visit->patientId,
      {"visit_survey", std::to_string(visitId)}, [&](Connection& c) {
        const auto v = video::VisitService::findIn(c, visitId);
        if (!v) throw NotFound("visit not found");
        if (auto why = notDue(*v, now)) throw *why;
        if (answeredIn(c, visitId, v->patientId))
          throw SurveyAlreadyAnswered("this visit's survey was answered already");
        c.execute(
            "INSERT INTO visit_surveys (visit_id, patient_id, provider_user_id, visit_ended_at, "
            "rating, recommend, answered_at, answered_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            visitId, v->patientId, v->providerUserId, toMillis(*v->endedAt),
            static_cast<std::int64_t>(a.rating), static_cast<std::int64_t>(a.recommend),
            toMillis(now), actor.id);
        StoredAnswer s;
        s.id = c.lastInsertRowid();
        if (!a.comment.empty()) {
          // The row's id is known only now: the comment goes in before the row is fixed (the
          // update trigger allows only this one write, from NULL).
          const auto enc = cipher_.encrypt(commentRef(s.id), a.comment);
          c.execute("UPDATE visit_surveys SET comment_enc = ?2 WHERE id = ?1", s.id,
                    store::Blob(enc.begin(), enc.end()));
        }
        s.visitId = visitId;
        s.patientId = v->patientId;
        s.providerUserId = v->providerUserId;
        s.rating = a.rating;
        s.recommend = a.recommend;
        s.hasComment = !a.comment.empty();
        s.answeredAt = now;
        return s;
      });
  log::info("survey.answered", {{"visit_id", visitId}});
  return stored;
}

}  // namespace vigil::surveys
