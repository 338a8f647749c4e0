-- 0006 video: video visits (issue 9). A visit is a room with a scheduled window and its
-- participants; who may join is decided by this table (participants only), the waiting room
-- by admitted_at / waiting_since. Times are INTEGER milliseconds since the Unix epoch (UTC).
-- Joins, admits, leaves and ends are in the audit log, not here.
CREATE TABLE visits (
  id               INTEGER PRIMARY KEY,
  patient_id       INTEGER NOT NULL,
  provider_user_id INTEGER NOT NULL REFERENCES users (id),
  starts_at        INTEGER NOT NULL,
  ends_at          INTEGER NOT NULL CHECK (ends_at > starts_at),
  state            TEXT NOT NULL DEFAULT 'scheduled'
                   CHECK (state IN ('scheduled', 'in_progress', 'ended', 'cancelled')),
  created_by       INTEGER NOT NULL,
  created_at       INTEGER NOT NULL,
  ended_at         INTEGER
);
CREATE INDEX visits_by_patient ON visits (patient_id, starts_at);
CREATE INDEX visits_by_provider ON visits (provider_user_id, starts_at);

CREATE TABLE visit_participants (
  visit_id      INTEGER NOT NULL REFERENCES visits (id),
  user_id       INTEGER NOT NULL REFERENCES users (id),
  role          TEXT NOT NULL CHECK (role IN ('provider', 'patient', 'caregiver', 'interpreter')),
  invited_by    INTEGER,
  invited_at    INTEGER NOT NULL,
  admitted_at   INTEGER,                 -- set when the provider admits (the provider: at join)
  waiting_since INTEGER,                 -- in the waiting room since (NULL: not waiting)
  PRIMARY KEY (visit_id, user_id)
) WITHOUT ROWID;
CREATE INDEX visit_participants_by_user ON visit_participants (user_id, visit_id);
