-- 0010 Escalation that reaches a person (issue 17). Owned by vigil::alerts
-- (EscalationRepository).
-- An escalation chain: who an alert goes to, in order. patient_id 0 is the clinic's chain (set by
-- admins); a patient's own chain (set by a provider on the care team) replaces the clinic's for
-- that patient. Position 0 gets the alert when it is raised, position n after the n-th escalation.
CREATE TABLE escalation_chain_steps (
  patient_id INTEGER NOT NULL,
  position   INTEGER NOT NULL CHECK (position >= 0),
  user_id    INTEGER NOT NULL REFERENCES users (id),
  PRIMARY KEY (patient_id, position)
) WITHOUT ROWID;

-- Who changed a chain last (the audit log has every change).
CREATE TABLE escalation_chains (
  patient_id INTEGER PRIMARY KEY,
  updated_by INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

-- On-call coverage: while [starts_at, ends_at) the escalations routed to user_id go to
-- covered_by instead (leave, nights, weekends). Removed rows keep removed_at/removed_by.
CREATE TABLE oncall_coverage (
  id          INTEGER PRIMARY KEY,
  user_id     INTEGER NOT NULL REFERENCES users (id),
  covered_by  INTEGER NOT NULL REFERENCES users (id) CHECK (covered_by <> user_id),
  starts_at   INTEGER NOT NULL,
  ends_at     INTEGER NOT NULL CHECK (ends_at > starts_at),
  note        TEXT NOT NULL DEFAULT '',
  created_by  INTEGER NOT NULL,
  created_at  INTEGER NOT NULL,
  removed_at  INTEGER,
  removed_by  INTEGER
);
CREATE INDEX oncall_coverage_current ON oncall_coverage (ends_at) WHERE removed_at IS NULL;

-- Who an escalation (or the raise) routed the alert to, on its history line; NULL on an
-- escalation: nobody was left in the chain.
ALTER TABLE alert_events ADD COLUMN assignee INTEGER;
