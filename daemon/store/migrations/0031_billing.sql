-- 0031 billing (issue 24, docs/billing.md; owned by vigil::billing): the clinicians' minutes
-- ledger for RPM treatment management, the practice's fee schedule, and the claims a provider
-- approves at month end. Times are INTEGER milliseconds since the Unix epoch, UTC; dates are
-- the patient's calendar dates (YYYY-MM-DD). No free text is kept: a manual entry's reason is a
-- word from a fixed list, so nothing here needs field encryption (ids, codes, minutes, cents).

-- One span of a clinician's treatment-management time on one patient. source: timer (started
-- and stopped on the patient page; ended_at NULL while it runs), manual (entered afterwards with
-- a reason), video (a completed video visit, added automatically; visit_id unique).
-- interactive: the span was a real-time audio/video contact with the patient. Spans of one
-- clinician never overlap: BillingLedger checks it in the write job that adds or moves a span
-- (one writer, so the check and the write cannot interleave). A deleted span keeps its row
-- (deleted_at) and every edit keeps the old values in billing_time_revisions.
CREATE TABLE billing_time (
  id           INTEGER PRIMARY KEY,
  patient_id   INTEGER NOT NULL REFERENCES patients (id),
  clinician_id INTEGER NOT NULL REFERENCES users (id),
  started_at   INTEGER NOT NULL,
  ended_at     INTEGER,
  source       TEXT NOT NULL CHECK (source IN ('timer', 'manual', 'video')),
  interactive  INTEGER NOT NULL DEFAULT 0 CHECK (interactive IN (0, 1)),
  reason       TEXT CHECK (reason IS NULL OR reason IN ('data_review', 'phone_call',
                 'care_coordination', 'patient_education', 'medication_management', 'other')),
  visit_id     INTEGER UNIQUE,
  created_by   INTEGER NOT NULL,
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL,
  deleted_at   INTEGER,
  deleted_by   INTEGER,
  CHECK (ended_at IS NULL OR ended_at > started_at),
  CHECK (source <> 'manual' OR reason IS NOT NULL)
);
CREATE INDEX billing_time_by_patient ON billing_time (patient_id, started_at);
CREATE INDEX billing_time_by_clinician ON billing_time (clinician_id, started_at);
-- One running timer per clinician.
CREATE UNIQUE INDEX billing_time_one_running ON billing_time (clinician_id)
  WHERE ended_at IS NULL AND deleted_at IS NULL;

-- The values a span had before each edit or its deletion (who, when, what it was).
CREATE TABLE billing_time_revisions (
  id              INTEGER PRIMARY KEY,
  entry_id        INTEGER NOT NULL REFERENCES billing_time (id),
  action          TEXT NOT NULL CHECK (action IN ('edit', 'delete')),
  changed_by      INTEGER NOT NULL,
  changed_at      INTEGER NOT NULL,
  old_started_at  INTEGER NOT NULL,
  old_ended_at    INTEGER,
  old_interactive INTEGER NOT NULL,
  old_reason      TEXT
);
CREATE INDEX billing_time_revisions_by_entry ON billing_time_revisions (entry_id, id);
CREATE TRIGGER billing_time_revisions_no_update BEFORE UPDATE ON billing_time_revisions
  BEGIN SELECT RAISE(ABORT, 'billing time revisions are kept as written'); END;
CREATE TRIGGER billing_time_revisions_no_delete BEFORE DELETE ON billing_time_revisions
  BEGIN SELECT RAISE(ABORT, 'billing time revisions are kept as written'); END;
CREATE TRIGGER billing_time_no_delete BEFORE DELETE ON billing_time
  BEGIN SELECT RAISE(ABORT, 'billing time is deleted by marking it'); END;

-- The practice's charges per code (admins edit them; audited). The seed is a plausible 2026
-- default (docs/billing.md names where the figures come from): the practice replaces it.
CREATE TABLE billing_fee_schedule (
  code         TEXT PRIMARY KEY CHECK (length(code) = 5),
  description  TEXT NOT NULL,
  charge_cents INTEGER NOT NULL CHECK (charge_cents >= 0),
  updated_by   INTEGER,
  updated_at   INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO billing_fee_schedule (code, description, charge_cents, updated_at) VALUES
  ('99453', 'RPM set-up and patient education on equipment', 2200, 0),
  ('99445', 'RPM device supply, 2-15 days in 30 days', 4700, 0),
  ('99454', 'RPM device supply, 16-30 days in 30 days', 4700, 0),
  ('99470', 'RPM treatment management, first 10 minutes in a month', 2600, 0),
  ('99457', 'RPM treatment management, first 20 minutes in a month', 5200, 0),
  ('99458', 'RPM treatment management, each additional 20 minutes', 4200, 0),
  ('99212', 'Office/outpatient visit, established patient, straightforward', 7400, 0),
  ('99213', 'Office/outpatient visit, established patient, low complexity', 10500, 0),
  ('99214', 'Office/outpatient visit, established patient, moderate complexity', 14800, 0),
  ('99215', 'Office/outpatient visit, established patient, high complexity', 20800, 0),
  ('99202', 'Office/outpatient visit, new patient, straightforward', 8800, 0),
  ('99203', 'Office/outpatient visit, new patient, low complexity', 13600, 0),
  ('99204', 'Office/outpatient visit, new patient, moderate complexity', 20400, 0),
  ('99205', 'Office/outpatient visit, new patient, high complexity', 26800, 0);

-- A claim a provider approved: one per patient and service month for RPM (kind rpm_month), one
-- per video visit (kind visit); the partial unique indexes make a second approval create
-- nothing. The providers' NPIs and the diagnosis codes (ICD-10-CM, comma-separated, first is
-- primary) are copied at approval: the claim says what was approved. status follows the
-- clearinghouse: approved -> submitted -> accepted | rejected -> paid | denied (and back to
-- approved after a rejection is fixed); claim_status_events keeps every change.
CREATE TABLE claims (
  id                    INTEGER PRIMARY KEY,
  patient_id            INTEGER NOT NULL REFERENCES patients (id),
  kind                  TEXT NOT NULL CHECK (kind IN ('rpm_month', 'visit')),
  service_month         TEXT CHECK (service_month IS NULL OR length(service_month) = 7),
  visit_id              INTEGER,
  billing_provider_id   INTEGER NOT NULL REFERENCES users (id),
  rendering_provider_id INTEGER NOT NULL REFERENCES users (id),
  billing_npi           TEXT NOT NULL CHECK (length(billing_npi) = 10),
  rendering_npi         TEXT NOT NULL CHECK (length(rendering_npi) = 10),
  diagnosis_codes       TEXT NOT NULL CHECK (length(diagnosis_codes) > 0),
  total_cents           INTEGER NOT NULL CHECK (total_cents >= 0),
  status                TEXT NOT NULL DEFAULT 'approved' CHECK (status IN ('approved',
                          'submitted', 'accepted', 'rejected', 'paid', 'denied')),
  status_detail         TEXT,
  status_at             INTEGER NOT NULL,
  approved_by           INTEGER NOT NULL,
  approved_at           INTEGER NOT NULL,
  CHECK ((kind = 'rpm_month' AND service_month IS NOT NULL AND visit_id IS NULL)
      OR (kind = 'visit' AND visit_id IS NOT NULL))
);
CREATE UNIQUE INDEX claims_one_per_rpm_month ON claims (patient_id, service_month)
  WHERE kind = 'rpm_month';
CREATE UNIQUE INDEX claims_one_per_visit ON claims (visit_id) WHERE kind = 'visit';
CREATE INDEX claims_by_status ON claims (status, id);

-- A claim's service lines (837P loop 2400): code, modifiers (comma-separated), units, the date
-- of service, place of service (10: the patient's home; 02: telehealth), the charge.
CREATE TABLE claim_lines (
  id               INTEGER PRIMARY KEY,
  claim_id         INTEGER NOT NULL REFERENCES claims (id),
  line_no          INTEGER NOT NULL CHECK (line_no BETWEEN 1 AND 50),
  code             TEXT NOT NULL CHECK (length(code) = 5),
  modifiers        TEXT NOT NULL DEFAULT '',
  units            INTEGER NOT NULL CHECK (units >= 1),
  service_date     TEXT NOT NULL CHECK (length(service_date) = 10),
  place_of_service TEXT NOT NULL CHECK (place_of_service IN ('02', '10', '11')),
  charge_cents     INTEGER NOT NULL CHECK (charge_cents >= 0),
  UNIQUE (claim_id, line_no)
);

-- Every status a claim went through (the submission step and the clearinghouse's answers).
CREATE TABLE claim_status_events (
  id       INTEGER PRIMARY KEY,
  claim_id INTEGER NOT NULL REFERENCES claims (id),
  status   TEXT NOT NULL,
  detail   TEXT,
  at       INTEGER NOT NULL,
  by_user  INTEGER NOT NULL
);
CREATE INDEX claim_status_events_by_claim ON claim_status_events (claim_id, id);
