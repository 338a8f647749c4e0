-- 0029 The on-demand queue (issue 22, docs/scheduling.md "On-demand care"): providers on and
-- off duty, and patients' requests to be seen now, each in one provider's queue or in the pool.
-- Owned by vigil::ondemand (daemon/ondemand). Times are INTEGER milliseconds since the Unix
-- epoch, UTC. No free text: a request holds a reason category (a word from a fixed list) and the
-- two-letter state the patient confirmed they are in.

-- One row per provider who ever went on duty. idle_since: when the provider last became free
-- for the next patient (went on duty, or started an on-demand visit): "longest idle" is the
-- earliest idle_since.
CREATE TABLE ondemand_duty (
  provider_user_id INTEGER PRIMARY KEY REFERENCES users (id),
  on_duty          INTEGER NOT NULL CHECK (on_duty IN (0, 1)),
  changed_at       INTEGER NOT NULL,
  idle_since       INTEGER NOT NULL
);

-- A patient's request to be seen now. provider_user_id NULL while waiting: in the pool (nobody
-- eligible on duty). Started: the video visit it became (visit_id).
CREATE TABLE ondemand_requests (
  id               INTEGER PRIMARY KEY,
  patient_id       INTEGER NOT NULL REFERENCES patients (id),
  reason           TEXT NOT NULL CHECK (reason IN ('new_symptoms', 'ongoing_condition',
                                                   'medication', 'test_results', 'other')),
  patient_state    TEXT NOT NULL CHECK (length(patient_state) = 2),
  requested_by     INTEGER NOT NULL REFERENCES users (id),
  requested_at     INTEGER NOT NULL,
  state            TEXT NOT NULL DEFAULT 'waiting'
                   CHECK (state IN ('waiting', 'started', 'cancelled')),
  provider_user_id INTEGER REFERENCES users (id),
  assigned_at      INTEGER,
  visit_id         INTEGER UNIQUE REFERENCES visits (id),
  closed_by        INTEGER REFERENCES users (id),
  closed_at        INTEGER,
  CHECK ((state = 'started') = (visit_id IS NOT NULL))
);
-- One open request per patient, whatever the concurrency.
CREATE UNIQUE INDEX ondemand_one_open_per_patient ON ondemand_requests (patient_id)
  WHERE state = 'waiting';
-- A provider's queue (and the pool, provider NULL) in order of arrival.
CREATE INDEX ondemand_queue ON ondemand_requests (provider_user_id, requested_at, id)
  WHERE state = 'waiting';
CREATE INDEX ondemand_by_patient ON ondemand_requests (patient_id, requested_at);
