#define BOOST_TEST_MODULE surveys
// SurveyService (issue 30): the due rule (a video visit that ended with the patient admitted,
// for 14 days from its end, until answered) and each refusal with its type, the answer audited
// and its comment encrypted, the notice queued once through the cloud link's outbox with the
// portal's link. Visits are run through the real VisitService (schedule, join, admit, end) with
// an injected clock; the expected values come from the requirement, by hand.

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <boost/test/unit_test.hpp>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "security_fixture.hpp"
#include "vigil/core/log.hpp"
#include "vigil/patients/consent.hpp"
#include "vigil/patients/patient_record.hpp"
#include "vigil/registry/registry.hpp"
#include "vigil/store/sqlite.hpp"
#include "vigil/surveys/surveys.hpp"
#include "vigil/video/visit.hpp"

BOOST_TEST_DONT_PRINT_LOG_VALUE(std::optional<std::int64_t>)

using namespace vigil;
using namespace vigil::surveys;
using namespace std::chrono_literals;
using security::Actor;
using security::Role;

namespace {

/// Records what would go to the cloud link's outbox, in the caller's write job.
class RecordingOutbox final : public vigil::sync::NotificationOutbox {
 public:
  struct Sent {
    std::string stream;
    std::string payload;
  };
  bool enrolled = true;
  /// Set: enqueueIn refuses with this reason (and a message that must not reach the log).
  std::optional<sync::EnqueueFailure> refuse;
  bool available() const override { return enrolled; }
  std::string enqueueIn(store::Connection&, std::string_view stream,
                        std::string_view payload) override {
    if (refuse) throw sync::EnqueueError(*refuse, "free text of the refusal");
    std::lock_guard lock(m_);
    sent_.push_back({std::string(stream), std::string(payload)});
    return "entry-" + std::to_string(sent_.size());
  }
  void wake() override { ++wakes; }
  std::vector<Sent> sent() const {
    std::lock_guard lock(m_);
    return sent_;
  }
  int wakes = 0;

 private:
  mutable std::mutex m_;
  std::vector<Sent> sent_;
};

struct SurveyFixture : security::test::SecurityFixture {
  registry::PatientRepository registry{*db, keys->cipher(), keys->blindIndex(), clock};
  patients::ConsentService consents{*db, *audit, keys->cipher(), registry, clock};
  patients::PatientRecordService records{*db, *audit, keys->cipher(), registry, clock};
  video::VisitService visits{*db, *audit, clock, {}, &keys->cipher()};
  std::shared_ptr<RecordingOutbox> outbox = std::make_shared<RecordingOutbox>();
  SurveyService surveys{*db,     *audit, keys->cipher(),
                        records, clock,  {"Riverside Clinic", "https://vigil.clinic.example/"}};
  std::int64_t patientA = 0, patientB = 0;
  Actor patient{0, Role::patient, std::nullopt};
  Actor otherPatient{0, Role::patient, std::nullopt};
  Actor provider{0, Role::provider, std::nullopt};
  patients::ConsentDocument telehealth;

  SurveyFixture() {
    patientA = registry.create({0, "MRN-S1", "Vera", "Visit", "1970-01-01", "UTC", "", {}, true});
    patientB = registry.create({0, "MRN-S2", "Ben", "Okoro", "1961-07-19", "UTC", "", {}, true});
    patient = {user(Role::patient, "vera@home.example", "patient passphrase 2026", patientA),
               Role::patient, patientA};
    otherPatient = {user(Role::patient, "ben@home.example", "other passphrase 2026", patientB),
                    Role::patient, patientB};
    provider.id = user(Role::provider, "dr@clinic.example", "provider passphrase 2026",
                       std::nullopt, "Dr. Rivera");
    db->writeSync([&](store::Connection& c) {
      security::SqliteCareTeam::assignIn(c, provider.id, patientA, admin.id, clock.now());
      security::SqliteCareTeam::assignIn(c, provider.id, patientB, admin.id, clock.now());
    });
    telehealth = consents.publish(admin, {patients::ConsentKind::telehealth, "Telehealth consent",
                                          "I agree to care by video.", false});
    consents.sign(patient, patientA,
                  {telehealth.id, telehealth.sha256, "Vera Visit", true, "192.0.2.7"});
    setContact(patientA, "vera@home.example", "+1 555 010 0199");
    surveys.setNotices(outbox);
  }

  void setContact(std::int64_t who, const std::string& email, const std::string& phone) {
    patients::RecordUpdate u;
    patients::Contact c;
    c.email = email;
    c.phone = phone;
    u.contact = c;
    records.update(admin, who, u);
  }

  /// A visit of patient A scheduled an hour from now, run to its start; the provider joins,
  /// the patient joins and is admitted unless `patientJoins` is false.
  std::int64_t startedVisit(bool patientJoins = true) {
    video::NewVisit v;
    v.patientId = patientA;
    v.providerUserId = provider.id;
    v.patientUserId = patient.id;
    v.startsAt = clock.now() + 1h;
    v.endsAt = v.startsAt + 30min;
    const auto id = visits.schedule(provider, v);
    clock.set(v.startsAt);
    visits.join(provider, id);
    if (patientJoins) {
      visits.join(patient, id);
      visits.admit(provider, id, patient.id);
    }
    return id;
  }
  /// startedVisit, then 20 minutes later the provider ends it; returns its id (the clock is at
  /// the end).
  std::int64_t endedVisit(bool patientJoins = true) {
    const auto id = startedVisit(patientJoins);
    clock.advance(20min);
    visits.end(provider, id);
    return id;
  }

  std::int64_t answers(std::int64_t visitId) {
    return db->read([&](store::Connection& c) {
      return c
          .queryValue<std::int64_t>("SELECT count(*) FROM visit_surveys WHERE visit_id = ?1",
                                    visitId)
          .value_or(-1);
    });
  }
  const security::AuditEntry lastEntry(const std::string& action) {
    std::optional<security::AuditEntry> found;
    for (auto seq = auditCount(); seq > 0 && !found; --seq) {
      auto e = auditEntry(seq);
      if (e && e->event.action == action) found = e;
    }
    BOOST_REQUIRE(found);
    return *found;
  }
};

SurveyAnswer answerOf(int rating, int recommend, std::string comment = "") {
  return {rating, recommend, std::move(comment)};
}

Poco::JSON::Object::Ptr parse(const std::string& json) {
  return Poco::JSON::Parser().parse(json).extract<Poco::JSON::Object::Ptr>();
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(SurveyServiceTest, SurveyFixture)

BOOST_AUTO_TEST_CASE(an_ended_visit_the_patient_joined_is_due_and_answered_once) {
  const auto id = endedVisit();
  const auto endedAt = clock.now();
  clock.advance(2h);
  auto due = surveys.pending(patient);
  BOOST_REQUIRE_EQUAL(due.size(), 1u);
  BOOST_TEST(due[0].visitId == id);
  BOOST_TEST((due[0].endedAt == endedAt));
  BOOST_TEST(due[0].providerName == "Dr. Rivera");
  BOOST_TEST((due[0].answerBy == endedAt + std::chrono::days(14)));
  BOOST_TEST(lastEntry("survey.list_pending").event.patientId == patientA);

  auto stored = surveys.answer(patient, id, answerOf(4, 9, "The doctor listened."));
  BOOST_TEST(stored.rating == 4);
  BOOST_TEST(stored.recommend == 9);
  BOOST_TEST(stored.providerUserId == provider.id);
  BOOST_TEST(stored.hasComment);
  BOOST_TEST(answers(id) == 1);
  BOOST_TEST(surveys.pending(patient).empty());

  const auto entry = lastEntry("survey.answer");
  BOOST_TEST((entry.event.outcome == security::AuditOutcome::success));
  BOOST_TEST(entry.event.patientId == patientA);
  BOOST_TEST(entry.event.objectId == std::to_string(id));

  // The comment is stored encrypted, bound to its row: the plain words are nowhere in the row,
  // and it reads back only with its own row's reference.
  auto blob = db->read([&](store::Connection& c) {
    auto st = c.prepare("SELECT comment_enc FROM visit_surveys WHERE id = ?1");
    st.bind(1, stored.id);
    BOOST_REQUIRE(st.step());
    return st.get<store::Blob>(0);
  });
  const std::string raw(blob.begin(), blob.end());
  BOOST_TEST(raw.find("listened") == std::string::npos);
  BOOST_TEST(keys->cipher().decryptText({"visit_surveys", "comment", std::to_string(stored.id)},
                                        blob) == "The doctor listened.");
  BOOST_CHECK_THROW(keys->cipher().decryptText({"visit_surveys", "comment", "999"}, blob),
                    CryptoError);
}

BOOST_AUTO_TEST_CASE(a_second_answer_is_refused_as_answered) {
  const auto id = endedVisit();
  surveys.answer(patient, id, answerOf(5, 10));
  BOOST_CHECK_THROW(surveys.answer(patient, id, answerOf(1, 0)), SurveyAlreadyAnswered);
  BOOST_TEST(answers(id) == 1);
  // The refused attempt is on record too (an access that failed).
  BOOST_TEST((lastEntry("survey.answer").event.outcome == security::AuditOutcome::failure));
}

BOOST_AUTO_TEST_CASE(the_survey_closes_14_days_after_the_visit_ended) {
  const auto id = endedVisit();
  const auto endedAt = clock.now();
  clock.set(endedAt + std::chrono::days(14) + 1min);
  BOOST_TEST(surveys.pending(patient).empty());
  try {
    surveys.answer(patient, id, answerOf(3, 7));
    BOOST_FAIL("an answer after 14 days was taken");
  } catch (const SurveyNotDue& e) {
    BOOST_TEST(e.code() == "survey_expired");
  }
  BOOST_TEST(answers(id) == 0);
}

BOOST_AUTO_TEST_CASE(the_last_minute_of_the_14_days_is_still_open) {
  const auto id = endedVisit();
  clock.advance(std::chrono::days(14) - 1min);
  BOOST_TEST(surveys.pending(patient).size() == 1u);
  surveys.answer(patient, id, answerOf(3, 7));
  BOOST_TEST(answers(id) == 1);
}

BOOST_AUTO_TEST_CASE(a_visit_not_ended_is_refused) {
  const auto id = startedVisit();
  BOOST_TEST(surveys.pending(patient).empty());
  try {
    surveys.answer(patient, id, answerOf(5, 10));
    BOOST_FAIL("an answer to a running visit was taken");
  } catch (const SurveyNotDue& e) {
    BOOST_TEST(e.code() == "visit_not_ended");
  }
}

BOOST_AUTO_TEST_CASE(a_visit_the_patient_never_joined_is_not_due) {
  const auto id = endedVisit(false);
  BOOST_TEST(surveys.pending(patient).empty());
  try {
    surveys.answer(patient, id, answerOf(5, 10));
    BOOST_FAIL("an answer to a visit the patient missed was taken");
  } catch (const SurveyNotDue& e) {
    BOOST_TEST(e.code() == "patient_not_joined");
  }
}

BOOST_AUTO_TEST_CASE(another_patients_visit_is_refused_and_the_refusal_audited) {
  const auto id = endedVisit();
  BOOST_TEST(surveys.pending(otherPatient).empty());
  BOOST_CHECK_THROW(surveys.answer(otherPatient, id, answerOf(1, 0)), AccessDenied);
  const auto entry = lastEntry("survey.answer");
  BOOST_TEST((entry.event.outcome == security::AuditOutcome::denied));
  BOOST_TEST(entry.event.actorId == otherPatient.id);
  // Staff do not answer for a patient, even on the care team.
  BOOST_CHECK_THROW(surveys.answer(provider, id, answerOf(5, 10)), AccessDenied);
  BOOST_CHECK_THROW(surveys.pending(provider), AccessDenied);
  BOOST_TEST(answers(id) == 0);
  BOOST_CHECK_THROW(surveys.answer(patient, 424242, answerOf(5, 10)), NotFound);
}

BOOST_AUTO_TEST_CASE(values_out_of_range_are_refused_naming_the_field) {
  const auto id = endedVisit();
  auto refusedWith = [&](const SurveyAnswer& a, const std::string& field) {
    try {
      surveys.answer(patient, id, a);
      BOOST_FAIL("out of range accepted: " + field);
    } catch (const SurveyValueError& e) {
      BOOST_TEST(std::string(e.what()).rfind(field + ":", 0) == 0, e.what());
    }
  };
  refusedWith(answerOf(0, 5), "rating");
  refusedWith(answerOf(6, 5), "rating");
  refusedWith(answerOf(3, -1), "recommend");
  refusedWith(answerOf(3, 11), "recommend");
  refusedWith(answerOf(3, 5, std::string(2001, 'x')), "comment");
  BOOST_TEST(answers(id) == 0);
  // 2,000 characters of two bytes each (4,000 bytes) are 2,000 characters: taken.
  std::string accents;
  for (int i = 0; i < 2000; ++i) accents += "\xC3\xA9";  // é
  surveys.answer(patient, id, answerOf(1, 0, accents));
  BOOST_TEST(answers(id) == 1);
}

BOOST_AUTO_TEST_CASE(the_notice_is_queued_once_with_the_link_and_no_more) {
  const auto joined = endedVisit();
  const auto missed = endedVisit(false);
  clock.advance(1min);
  auto run = surveys.sendDueNotices();
  BOOST_TEST(run.sent == 1);
  BOOST_TEST(run.skipped == 0);
  auto sent = outbox->sent();
  BOOST_REQUIRE_EQUAL(sent.size(), 1u);
  BOOST_TEST(sent[0].stream == "survey/" + std::to_string(patientA));
  auto msg = parse(sent[0].payload);
  BOOST_TEST(msg->getValue<std::string>("channel") == "email");
  BOOST_TEST(msg->getValue<std::string>("to") == "vera@home.example");
  BOOST_TEST(msg->getValue<std::string>("template") == "visit_survey");
  auto params = msg->getObject("params");
  const auto link = "https://vigil.clinic.example/#/surveys/" + std::to_string(joined);
  BOOST_TEST(params->getValue<std::string>("link") == link);
  BOOST_TEST(params->getValue<std::string>("clinic") == "Riverside Clinic");
  // Nothing but the clinic and the link: no provider, no time, no patient name.
  BOOST_TEST(sent[0].payload.find("Rivera") == std::string::npos);
  BOOST_TEST(sent[0].payload.find("Vera") == std::string::npos);
  BOOST_TEST(params->getValue<std::string>("text").find(link) != std::string::npos);
  BOOST_TEST(outbox->wakes == 1);

  auto notice = surveys.noticeFor(joined);
  BOOST_REQUIRE(notice);
  BOOST_TEST(notice->outcome == "sent");
  BOOST_TEST(notice->outboxEntry == "entry-1");
  BOOST_TEST(!surveys.noticeFor(missed));

  // Later runs (and a restart: a new service looks back over the whole window) send nothing
  // more for the same visit.
  clock.advance(1h);
  BOOST_TEST(surveys.sendDueNotices().sent == 0);
  SurveyService restarted{*db, *audit, keys->cipher(), records, clock, {"Riverside Clinic", ""}};
  restarted.setNotices(outbox);
  BOOST_TEST(restarted.sendDueNotices().sent == 0);
  BOOST_TEST(outbox->sent().size() == 1u);
  BOOST_TEST(lastEntry("visit.survey_notice").event.reason == "sent");
}

BOOST_AUTO_TEST_CASE(a_notice_that_cannot_go_is_recorded_as_skipped_once) {
  // The patient asked for no messages.
  surveys.setNotices(outbox,
                     [](store::Connection&, std::int64_t) { return std::optional<std::string>(); });
  const auto id = endedVisit();
  auto run = surveys.sendDueNotices();
  BOOST_TEST(run.sent == 0);
  BOOST_TEST(run.skipped == 1);
  BOOST_TEST(outbox->sent().empty());
  auto notice = surveys.noticeFor(id);
  BOOST_REQUIRE(notice);
  BOOST_TEST(notice->outcome == "skipped");
  BOOST_TEST(notice->reason == "channel_none");
  BOOST_TEST(surveys.sendDueNotices().skipped == 0);
  // The survey still waits in the portal.
  BOOST_TEST(surveys.pending(patient).size() == 1u);
}

BOOST_AUTO_TEST_CASE(without_a_cloud_link_the_notice_is_skipped) {
  outbox->enrolled = false;
  const auto id = endedVisit();
  BOOST_TEST(surveys.sendDueNotices().skipped == 1);
  BOOST_TEST(surveys.noticeFor(id)->reason == "no_cloud_link");
  BOOST_TEST(outbox->sent().empty());
}

BOOST_AUTO_TEST_CASE(an_outbox_refusal_is_logged_by_its_word_and_the_notice_tried_again) {
  const auto id = endedVisit();
  std::vector<std::string> lines;
  log::setSink([&](std::string_view line) { lines.emplace_back(line); });
  outbox->refuse = sync::EnqueueFailure::notEnrolled;
  const auto run = surveys.sendDueNotices();
  log::setSink(nullptr);
  BOOST_TEST(run.sent == 0);
  BOOST_TEST(!surveys.noticeFor(id));  // nothing of it committed
  std::vector<std::string> failed;
  for (const auto& l : lines)
    if (l.find("event=survey.notice_failed") != std::string::npos) failed.push_back(l);
  BOOST_REQUIRE_EQUAL(failed.size(), 1u);
  BOOST_TEST(failed[0].find("reason=not_enrolled") != std::string::npos);
  BOOST_TEST(failed[0].find("free text") == std::string::npos);
  outbox->refuse.reset();
  clock.advance(1min);
  BOOST_TEST(surveys.sendDueNotices().sent == 1);
}

BOOST_AUTO_TEST_CASE(a_visit_ended_more_than_14_days_before_start_up_gets_no_notice) {
  const auto old = endedVisit();
  clock.advance(std::chrono::days(15));
  BOOST_TEST(surveys.sendDueNotices().sent == 0);
  BOOST_TEST(!surveys.noticeFor(old));
  BOOST_TEST(outbox->sent().empty());
}

BOOST_AUTO_TEST_SUITE_END()
