-- 0004 alerts: alert rules with every version kept, alerts (one open per patient and rule),
-- their history, and snoozes. Times are INTEGER milliseconds since the Unix epoch, UTC.
-- Alert values are measurements of a patient: they stay in this database (never in logs).

-- Every version of every rule, clinic default (patient_id NULL) or patient override. The rule
-- in force for a key and scope is its highest version unless that row says removed.
CREATE TABLE alert_rules (
  version     INTEGER PRIMARY KEY,                 -- revision, unique across all rules
  rule_key    TEXT NOT NULL CHECK (length(rule_key) BETWEEN 1 AND 64),
  patient_id  INTEGER REFERENCES patients (id),
  kind        TEXT NOT NULL CHECK (kind IN ('threshold', 'rate_of_change', 'missing_data',
                                            'consecutive', 'count_within')),
  code        TEXT NOT NULL,                       -- LOINC
  unit        TEXT NOT NULL DEFAULT '',            -- UCUM unit of the limits
  comparison  TEXT NOT NULL CHECK (comparison IN ('ge', 'gt', 'le', 'lt')),
  tiers       TEXT NOT NULL,                       -- "severity:limit;severity:limit"
  window_s    INTEGER NOT NULL DEFAULT 0,
  count       INTEGER NOT NULL DEFAULT 0,
  enabled     INTEGER NOT NULL DEFAULT 1,
  removed     INTEGER NOT NULL DEFAULT 0,          -- 1: the override was removed
  actor_id    INTEGER NOT NULL,                    -- user id, 0 = the system
  reason      TEXT NOT NULL DEFAULT '',
  changed_at  INTEGER NOT NULL
);
CREATE INDEX alert_rules_by_key ON alert_rules (rule_key, patient_id, version);

CREATE TABLE alerts (
  id                INTEGER PRIMARY KEY,
  patient_id        INTEGER NOT NULL REFERENCES patients (id),
  rule_key          TEXT NOT NULL,
  rule_version      INTEGER NOT NULL,
  kind              TEXT NOT NULL,
  code              TEXT NOT NULL,
  severity          TEXT NOT NULL CHECK (severity IN ('info', 'low', 'high', 'critical')),
  state             TEXT NOT NULL CHECK (state IN ('open', 'claimed', 'acknowledged',
                                                   'escalated', 'resolved')),
  count             INTEGER NOT NULL,
  latest_value      REAL NOT NULL,
  worst_value       REAL NOT NULL,
  higher_is_worse   INTEGER NOT NULL,
  first_reading_id  INTEGER NOT NULL,
  last_reading_id   INTEGER NOT NULL,
  first_observed_at INTEGER NOT NULL,
  last_observed_at  INTEGER NOT NULL,
  raised_at         INTEGER NOT NULL,
  ack_deadline      INTEGER NOT NULL,
  claimed_at        INTEGER,
  claimed_by        INTEGER,
  acknowledged_at   INTEGER,
  acknowledged_by   INTEGER,
  resolved_at       INTEGER,
  resolved_by       INTEGER,
  escalated_at      INTEGER,
  escalation_level  INTEGER NOT NULL DEFAULT 0,
  assignee          INTEGER,
  resolution_note   TEXT NOT NULL DEFAULT ''
);
-- Idempotent creation, enforced by the database too: one unresolved alert per patient and rule.
CREATE UNIQUE INDEX alerts_one_open ON alerts (patient_id, rule_key) WHERE state <> 'resolved';
CREATE INDEX alerts_by_state ON alerts (state, severity, raised_at);
CREATE INDEX alerts_by_patient ON alerts (patient_id, raised_at);

-- Who did what to an alert and when (raised, updated, claimed, acknowledged, escalated,
-- resolved); actor_id NULL is the system. Append-only.
CREATE TABLE alert_events (
  id        INTEGER PRIMARY KEY,
  alert_id  INTEGER NOT NULL REFERENCES alerts (id),
  at        INTEGER NOT NULL,
  kind      TEXT NOT NULL,
  actor_id  INTEGER,
  note      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX alert_events_by_alert ON alert_events (alert_id, id);

-- Snoozes of one rule for one patient; a lifted snooze gets lifted_at.
CREATE TABLE alert_suppressions (
  id           INTEGER PRIMARY KEY,
  patient_id   INTEGER NOT NULL REFERENCES patients (id),
  rule_key     TEXT NOT NULL,
  actor_id     INTEGER NOT NULL,
  reason       TEXT NOT NULL,
  from_at      INTEGER NOT NULL,
  until_at     INTEGER NOT NULL,
  lifted_at    INTEGER,
  lifted_by    INTEGER,
  CHECK (until_at > from_at)
);
CREATE INDEX alert_suppressions_active ON alert_suppressions (until_at) WHERE lifted_at IS NULL;
