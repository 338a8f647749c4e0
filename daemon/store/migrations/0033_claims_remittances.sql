-- 0033 claims through the clearinghouse (issue 24, docs/billing.md; owned by vigil::billing):
-- the 837P batches the box sent, which claim went in which batch under which patient control
-- number (CLM01, what the 277CA's TRN02 and the 835's CLP01 return), and the remittances (835)
-- posted: payments per claim and line, adjustments at claim and line level, provider-level
-- adjustments (PLB). Amounts are whole cents; times INTEGER milliseconds since the epoch, UTC.
-- Nothing here is free text from a person: codes, ids, amounts and the payer's name.

-- Where a status change came from (submission, 999, 277CA, 835, admin) and, for the
-- clearinghouse's answers, the inbound message; applied 0: a late or out-of-order answer kept in
-- the history without moving the claim (e.g. a 277CA acceptance after the 835 paid it).
ALTER TABLE claim_status_events ADD COLUMN source TEXT;
ALTER TABLE claim_status_events ADD COLUMN message_id TEXT;
ALTER TABLE claim_status_events ADD COLUMN applied INTEGER NOT NULL DEFAULT 1;

-- One 837P interchange sent as claim.submit (one batch per billing NPI per run). ack_code: the
-- 999's IK5 for the batch's transaction set (A, E, R) once it came.
CREATE TABLE claim_submissions (
  id           INTEGER PRIMARY KEY,
  batch        TEXT NOT NULL UNIQUE,
  entry_id     TEXT NOT NULL,
  billing_npi  TEXT NOT NULL,
  claim_count  INTEGER NOT NULL CHECK (claim_count >= 1),
  total_cents  INTEGER NOT NULL,
  submitted_at INTEGER NOT NULL,
  submitted_by INTEGER NOT NULL,
  ack_code     TEXT,
  ack_at       INTEGER
);

-- The claims of a batch with the CLM01 each was sent under (unique: a claim sent again after a
-- correction gets a new one, so a late answer to the old sending is recognised).
CREATE TABLE claim_submission_claims (
  submission_id   INTEGER NOT NULL REFERENCES claim_submissions (id),
  claim_id        INTEGER NOT NULL REFERENCES claims (id),
  patient_control TEXT NOT NULL UNIQUE,
  PRIMARY KEY (submission_id, claim_id)
);
CREATE INDEX claim_submission_claims_by_claim ON claim_submission_claims (claim_id);

-- One 835 transaction set posted. A payment is posted once: (payer_key, trace_number) is the
-- payer's check or EFT number (TRN02) under the payer's id (TRN03, else its name), so the same
-- remittance delivered again, under any message id, posts nothing.
CREATE TABLE remittances (
  id             INTEGER PRIMARY KEY,
  message_id     TEXT NOT NULL,
  batch          TEXT,
  payer_key      TEXT NOT NULL,
  trace_number   TEXT NOT NULL,
  payer_name     TEXT NOT NULL,
  payment_method TEXT NOT NULL,
  payment_date   TEXT NOT NULL,
  total_cents    INTEGER NOT NULL,
  computed_cents INTEGER NOT NULL,
  plb_cents      INTEGER NOT NULL,
  balanced       INTEGER NOT NULL CHECK (balanced IN (0, 1)),
  received_at    INTEGER NOT NULL,
  UNIQUE (payer_key, trace_number)
);

-- One claim's payment in a remittance (loop 2100). claim_id NULL: CLP01 names no claim the box
-- sent (kept for the work list). outcome: paid, denied (paid 0 with adjustments), reversal
-- (CLP02 22), unmatched.
CREATE TABLE remittance_claims (
  id                   INTEGER PRIMARY KEY,
  remittance_id        INTEGER NOT NULL REFERENCES remittances (id),
  claim_id             INTEGER REFERENCES claims (id),
  patient_control      TEXT NOT NULL,
  status_code          TEXT NOT NULL,
  charge_cents         INTEGER NOT NULL,
  paid_cents           INTEGER NOT NULL,
  patient_resp_cents   INTEGER NOT NULL,
  payer_claim_control  TEXT NOT NULL,
  balanced             INTEGER NOT NULL CHECK (balanced IN (0, 1)),
  outcome              TEXT NOT NULL CHECK (outcome IN ('paid', 'denied', 'reversal',
                         'unmatched')),
  posted_at            INTEGER NOT NULL
);
CREATE INDEX remittance_claims_by_claim ON remittance_claims (claim_id);
CREATE INDEX remittance_claims_by_remittance ON remittance_claims (remittance_id);

-- One service line's payment (loop 2110); line_no the claim line it pays (REF*6R, else the
-- position), NULL when none matches.
CREATE TABLE remittance_lines (
  id                  INTEGER PRIMARY KEY,
  remittance_claim_id INTEGER NOT NULL REFERENCES remittance_claims (id),
  line_no             INTEGER,
  procedure_code      TEXT NOT NULL,
  modifiers           TEXT NOT NULL DEFAULT '',
  charge_cents        INTEGER NOT NULL,
  paid_cents          INTEGER NOT NULL,
  units               REAL NOT NULL,
  service_date        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX remittance_lines_by_claim ON remittance_lines (remittance_claim_id);

-- An adjustment (CAS): claim level when remittance_line_id is NULL, else the line's.
CREATE TABLE remittance_adjustments (
  id                  INTEGER PRIMARY KEY,
  remittance_claim_id INTEGER NOT NULL REFERENCES remittance_claims (id),
  remittance_line_id  INTEGER REFERENCES remittance_lines (id),
  group_code          TEXT NOT NULL,
  reason_code         TEXT NOT NULL,
  amount_cents        INTEGER NOT NULL,
  quantity            REAL NOT NULL DEFAULT 0
);
CREATE INDEX remittance_adjustments_by_claim ON remittance_adjustments (remittance_claim_id);

-- A provider-level adjustment (PLB): positive reduces the payment.
CREATE TABLE remittance_provider_adjustments (
  id            INTEGER PRIMARY KEY,
  remittance_id INTEGER NOT NULL REFERENCES remittances (id),
  provider_id   TEXT NOT NULL,
  fiscal_period TEXT NOT NULL,
  reason        TEXT NOT NULL,
  reference     TEXT NOT NULL DEFAULT '',
  amount_cents  INTEGER NOT NULL
);
CREATE INDEX remittance_provider_adjustments_by_remittance
  ON remittance_provider_adjustments (remittance_id);
