-- 0043 Patient satisfaction (issue 30, docs/reports.md "Patient satisfaction"; owned by
-- vigil::surveys). A short survey after each video visit: a rating 1-5, how likely the patient
-- is to recommend the practice 0-10 (net promoter), an optional comment. Times are INTEGER
-- milliseconds since the Unix epoch, UTC. Ids and scores are in clear (the reports count them);
-- the comment is a FieldCipher ciphertext bound to its row (AAD visit_surveys/comment/<id>).

-- One answer per visit and patient (UNIQUE): a second answer violates it and is refused.
-- provider_user_id: the visit's provider when it was answered (the reports group by it without
-- reading the visit again). visit_ended_at: the visit's end, copied so that the report's
-- responses for visits ended in [from, to) are one range on an index of this table.
CREATE TABLE visit_surveys (
  id               INTEGER PRIMARY KEY,
  visit_id         INTEGER NOT NULL REFERENCES visits (id),
  patient_id       INTEGER NOT NULL REFERENCES patients (id),
  provider_user_id INTEGER NOT NULL,
  visit_ended_at   INTEGER NOT NULL,
  rating           INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
  recommend        INTEGER NOT NULL CHECK (recommend BETWEEN 0 AND 10),
  comment_enc      BLOB,
  answered_at      INTEGER NOT NULL,
  answered_by      INTEGER NOT NULL,
  UNIQUE (visit_id, patient_id)
);
CREATE INDEX visit_surveys_by_visit_end ON visit_surveys (visit_ended_at);
-- An answer is never edited: only its comment is written once, in the answer's own write job
-- (the ciphertext is bound to the row's id, known after the insert).
CREATE TRIGGER visit_surveys_fixed BEFORE UPDATE OF visit_id, patient_id, provider_user_id,
  visit_ended_at, rating, recommend, answered_at, answered_by ON visit_surveys
  BEGIN SELECT RAISE(ABORT, 'a survey answer is never edited'); END;
CREATE TRIGGER visit_surveys_comment_once BEFORE UPDATE OF comment_enc ON visit_surveys
  WHEN OLD.comment_enc IS NOT NULL
  BEGIN SELECT RAISE(ABORT, 'a survey answer is never edited'); END;
CREATE TRIGGER visit_surveys_no_delete BEFORE DELETE ON visit_surveys
  BEGIN SELECT RAISE(ABORT, 'survey answers are kept'); END;

-- THE once-only record of a survey notice, one per (visit, patient), inserted in the write job
-- that queues its notify.send in the cloud link's outbox (outcome 'sent', the entry's id) or
-- decides not to send it ('skipped' and why: the patient chose no reminders, no address on the
-- record, the cloud link is not enrolled). No PHI: the address is not kept.
CREATE TABLE visit_survey_notices (
  visit_id     INTEGER NOT NULL REFERENCES visits (id),
  patient_id   INTEGER NOT NULL REFERENCES patients (id),
  outcome      TEXT NOT NULL CHECK (outcome IN ('sent', 'skipped')),
  reason       TEXT,
  channel      TEXT CHECK (channel IN ('email', 'sms')),
  outbox_entry TEXT,
  recorded_at  INTEGER NOT NULL,
  PRIMARY KEY (visit_id, patient_id)
) WITHOUT ROWID;

-- video's visits by end time (video::VisitService::endedBetweenIn): the survey notices' and the
-- reports' "visits ended in [from, to)" read one range instead of scanning every visit.
CREATE INDEX IF NOT EXISTS visits_ended_by_time ON visits (ended_at) WHERE state = 'ended';
