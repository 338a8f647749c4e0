-- 0032 e-prescribing (issue 25): the drug list, prescriptions with their status history and
-- signing log, the state controlled-substance rules, prescribers' DEA registrations and their
-- EPCS access approvals. Times are INTEGER milliseconds since the Unix epoch (UTC); dates are
-- YYYY-MM-DD. Prescription free text (sig, note to the pharmacist) is PHI: encrypted
-- (FieldCipher, bound to the row). Drug names, codes, DEA numbers and rules are not PHI.

-- The searchable drug list: the bundled starter list (source 'starter') and rows imported from
-- the NLM's RxTerms file (source 'rxterms'). `rxcui` is the RxNorm concept of the clinical or
-- branded drug (SCD/SBD) when known; `ingredient_rxcui` the ingredient (IN). `schedule` is the
-- DEA schedule (0 = not controlled, 2..5 = C-II..C-V).
CREATE TABLE rx_drugs (
  id               INTEGER PRIMARY KEY,
  rxcui            TEXT UNIQUE CHECK (rxcui IS NULL OR (length(rxcui) BETWEEN 1 AND 12
                                                     AND rxcui NOT GLOB '*[^0-9]*')),
  ingredient_rxcui TEXT,
  name             TEXT NOT NULL,
  generic          TEXT NOT NULL,
  strength         TEXT NOT NULL,
  form             TEXT NOT NULL,
  route            TEXT NOT NULL DEFAULT '',
  schedule         INTEGER NOT NULL DEFAULT 0 CHECK (schedule IN (0, 2, 3, 4, 5)),
  source           TEXT NOT NULL CHECK (source IN ('starter', 'rxterms')),
  search           TEXT NOT NULL  -- lower-cased name and generic, for LIKE search
);
CREATE INDEX rx_drugs_search ON rx_drugs (search);

-- A prescriber's DEA registration in one state (a DEA registration is per state).
CREATE TABLE rx_dea_registrations (
  id          INTEGER PRIMARY KEY,
  user_id     INTEGER NOT NULL REFERENCES users (id),
  state       TEXT NOT NULL CHECK (length(state) = 2 AND state NOT GLOB '*[^A-Z]*'),
  dea_number  TEXT NOT NULL CHECK (length(dea_number) = 9),
  schedules   TEXT NOT NULL DEFAULT '2,2N,3,3N,4,5',
  expires_on  TEXT NOT NULL,
  updated_by  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL,
  UNIQUE (user_id, state)
);

-- EPCS access (21 CFR 1311.125): two individuals approve, at least one of them an admin, neither
-- the prescriber. Access holds while two such approvals stand; revoking ends it.
CREATE TABLE rx_epcs_approvals (
  provider_id   INTEGER NOT NULL REFERENCES users (id),
  approver_id   INTEGER NOT NULL REFERENCES users (id),
  approver_role TEXT NOT NULL,
  approved_at   INTEGER NOT NULL,
  PRIMARY KEY (provider_id, approver_id),
  CHECK (provider_id <> approver_id)
);

-- State controlled-substance rules per schedule (docs/prescribing.md names each row's source).
-- NULL limits: none beyond the federal floor. state 'US' is the federal floor itself.
CREATE TABLE rx_state_rules (
  state              TEXT NOT NULL CHECK (length(state) = 2),
  schedule           INTEGER NOT NULL CHECK (schedule IN (2, 3, 4, 5)),
  max_days_supply    INTEGER CHECK (max_days_supply IS NULL OR max_days_supply > 0),
  max_refills        INTEGER CHECK (max_refills IS NULL OR max_refills >= 0),
  epcs_required      INTEGER NOT NULL CHECK (epcs_required IN (0, 1)),
  in_person_required INTEGER NOT NULL CHECK (in_person_required IN (0, 1)),
  rule_text          TEXT NOT NULL,
  source             TEXT NOT NULL,
  updated_by         INTEGER,
  updated_at         INTEGER NOT NULL,
  PRIMARY KEY (state, schedule)
);

-- A prescription. Signed ones are never changed in place (triggers below): they are cancelled
-- and replaced (replaces_id). `uuid` names it in NCPDP messages (the prescription id).
CREATE TABLE prescriptions (
  id                 INTEGER PRIMARY KEY,
  uuid               TEXT NOT NULL UNIQUE,
  patient_id         INTEGER NOT NULL REFERENCES patients (id),
  prescriber_id      INTEGER NOT NULL REFERENCES users (id),
  drug_id            INTEGER NOT NULL REFERENCES rx_drugs (id),
  rxcui              TEXT,
  drug_name          TEXT NOT NULL,
  strength           TEXT NOT NULL,
  form               TEXT NOT NULL,
  schedule           INTEGER NOT NULL,
  quantity           TEXT NOT NULL,
  quantity_unit      TEXT NOT NULL,
  days_supply        INTEGER NOT NULL CHECK (days_supply BETWEEN 1 AND 365),
  refills            INTEGER NOT NULL CHECK (refills BETWEEN 0 AND 11),
  substitution       INTEGER NOT NULL CHECK (substitution IN (0, 1)),
  text_enc           BLOB NOT NULL,   -- {"sig", "note"} encrypted
  patient_state      TEXT NOT NULL,
  pharmacy_ncpdp     TEXT NOT NULL,
  in_person_on       TEXT,            -- the prior in-person evaluation the prescriber attests
  rule_quoted        TEXT NOT NULL DEFAULT '',
  warnings           TEXT NOT NULL DEFAULT '',  -- acknowledged warnings (kinds, comma-separated)
  status             TEXT NOT NULL CHECK (status IN ('draft', 'signed', 'received', 'filled',
                       'not_filled', 'change_requested', 'cancel_requested', 'cancelled',
                       'cancel_denied', 'error')),
  status_reason      TEXT NOT NULL DEFAULT '',
  signed_at          INTEGER,
  signed_with        TEXT,            -- 'session' or 'password+totp'
  message_id         TEXT,            -- the outbox entry of the NewRx
  replaces_id        INTEGER REFERENCES prescriptions (id),
  created_at         INTEGER NOT NULL,
  updated_at         INTEGER NOT NULL
);
CREATE INDEX prescriptions_patient ON prescriptions (patient_id, created_at);
CREATE INDEX prescriptions_prescriber ON prescriptions (prescriber_id, signed_at);

-- What a signed prescription's row may still change: its status (from the pharmacy or a
-- cancel) and the outbox id. Anything else is refused by the database itself.
CREATE TRIGGER prescriptions_signed_immutable BEFORE UPDATE ON prescriptions
WHEN OLD.status <> 'draft' AND (
  NEW.drug_id IS NOT OLD.drug_id OR NEW.quantity IS NOT OLD.quantity
  OR NEW.days_supply IS NOT OLD.days_supply OR NEW.refills IS NOT OLD.refills
  OR NEW.substitution IS NOT OLD.substitution OR NEW.text_enc IS NOT OLD.text_enc
  OR NEW.patient_id IS NOT OLD.patient_id OR NEW.prescriber_id IS NOT OLD.prescriber_id
  OR NEW.pharmacy_ncpdp IS NOT OLD.pharmacy_ncpdp OR NEW.signed_at IS NOT OLD.signed_at)
BEGIN
  SELECT RAISE(ABORT, 'a signed prescription is not changed: cancel and replace it');
END;
CREATE TRIGGER prescriptions_signed_kept BEFORE DELETE ON prescriptions
WHEN OLD.status <> 'draft'
BEGIN
  SELECT RAISE(ABORT, 'a signed prescription is not deleted: cancel it');
END;

-- The status history of each prescription; inbound messages are applied once (message_id).
CREATE TABLE prescription_events (
  id              INTEGER PRIMARY KEY,
  prescription_id INTEGER NOT NULL REFERENCES prescriptions (id),
  at              INTEGER NOT NULL,
  kind            TEXT NOT NULL,   -- created, signed, sent, received, filled, ...
  detail          TEXT NOT NULL DEFAULT '',
  by_user         INTEGER,
  message_id      TEXT UNIQUE
);
CREATE INDEX prescription_events_rx ON prescription_events (prescription_id, id);

-- The seeded rules (docs/prescribing.md, "The state rules table": each row's source, as read on
-- 2026-12-06; an admin updates them, audited). 'US' is the federal floor every state starts from.
INSERT INTO rx_state_rules (state, schedule, max_days_supply, max_refills, epcs_required,
                            in_person_required, rule_text, source, updated_at) VALUES
 ('US', 2, NULL, 0, 0, 1,
  'Federal: a C-II prescription may not be refilled; telehealth prescribing of a controlled substance needs a prior in-person medical evaluation unless a DEA telemedicine exception applies.',
  '21 USC 829(a), 21 CFR 1306.12(a); 21 USC 829(e) (Ryan Haight Act)', 0),
 ('US', 3, NULL, 5, 0, 1,
  'Federal: a C-III or C-IV prescription may be refilled at most 5 times within 6 months of issue; telehealth needs a prior in-person evaluation unless a DEA exception applies.',
  '21 CFR 1306.22(a); 21 USC 829(e)', 0),
 ('US', 4, NULL, 5, 0, 1,
  'Federal: a C-III or C-IV prescription may be refilled at most 5 times within 6 months of issue; telehealth needs a prior in-person evaluation unless a DEA exception applies.',
  '21 CFR 1306.22(a); 21 USC 829(e)', 0),
 ('US', 5, NULL, NULL, 0, 1,
  'Federal: C-V refills as the prescriber authorises; telehealth needs a prior in-person evaluation unless a DEA exception applies.',
  '21 CFR 1306.32; 21 USC 829(e)', 0),
 ('NY', 2, 7, 0, 1, 1,
  'New York: every prescription is electronic (I-STOP); an initial opioid prescription for acute pain is limited to a 7-day supply; no refills of C-II.',
  'NY Public Health Law 281 (e-prescribing, since 2016-03-27); PHL 3331(5) (7-day acute pain)', 0),
 ('NY', 3, 30, 5, 1, 1,
  'New York: every prescription is electronic; controlled substances of schedules II-IV at most a 30-day supply.',
  'NY Public Health Law 281; PHL 3332', 0),
 ('NY', 4, 30, 5, 1, 1,
  'New York: every prescription is electronic; controlled substances of schedules II-IV at most a 30-day supply.',
  'NY Public Health Law 281; PHL 3332', 0),
 ('NY', 5, NULL, NULL, 1, 1,
  'New York: every prescription is electronic.',
  'NY Public Health Law 281', 0),
 ('FL', 2, 7, 0, 1, 1,
  'Florida: controlled substances are e-prescribed; a C-II opioid for acute pain is limited to 3 days, or 7 days when the prescriber documents the need.',
  'Fla. Stat. 456.42(3) (e-prescribing, since 2020-01-01); Fla. Stat. 456.44(5)(a) (acute pain)', 0),
 ('FL', 3, NULL, 5, 1, 1, 'Florida: controlled substances are e-prescribed.', 'Fla. Stat. 456.42(3)', 0),
 ('FL', 4, NULL, 5, 1, 1, 'Florida: controlled substances are e-prescribed.', 'Fla. Stat. 456.42(3)', 0),
 ('FL', 5, NULL, NULL, 1, 1, 'Florida: controlled substances are e-prescribed.', 'Fla. Stat. 456.42(3)', 0),
 ('TX', 2, 10, 0, 1, 1,
  'Texas: controlled substances are e-prescribed; an opioid for acute pain is limited to a 10-day supply; no refills of C-II.',
  'Tex. Health & Safety Code 481.0755 (e-prescribing, since 2021-01-01); 481.07636 (acute pain)', 0),
 ('TX', 3, NULL, 5, 1, 1, 'Texas: controlled substances are e-prescribed.', 'Tex. Health & Safety Code 481.0755', 0),
 ('TX', 4, NULL, 5, 1, 1, 'Texas: controlled substances are e-prescribed.', 'Tex. Health & Safety Code 481.0755', 0),
 ('TX', 5, NULL, NULL, 1, 1, 'Texas: controlled substances are e-prescribed.', 'Tex. Health & Safety Code 481.0755', 0),
 ('CA', 2, NULL, 0, 1, 1,
  'California: every prescription is electronic; a C-II prescription may not be refilled.',
  'Cal. Bus. & Prof. Code 688 (since 2022-01-01); Cal. Health & Safety Code 11200', 0),
 ('CA', 3, NULL, 5, 1, 1,
  'California: every prescription is electronic; C-III and C-IV at most 5 refills within 6 months.',
  'Cal. Bus. & Prof. Code 688; Cal. Health & Safety Code 11200', 0),
 ('CA', 4, NULL, 5, 1, 1,
  'California: every prescription is electronic; C-III and C-IV at most 5 refills within 6 months.',
  'Cal. Bus. & Prof. Code 688; Cal. Health & Safety Code 11200', 0),
 ('CA', 5, NULL, NULL, 1, 1, 'California: every prescription is electronic.', 'Cal. Bus. & Prof. Code 688', 0),
 ('MA', 2, 7, 0, 1, 1,
  'Massachusetts: controlled substances are e-prescribed; a first opioid prescription for an adult is limited to a 7-day supply.',
  'M.G.L. c. 94C 23(h) (e-prescribing, since 2020-01-01); M.G.L. c. 94C 19D (7-day limit)', 0),
 ('MA', 3, NULL, 5, 1, 1, 'Massachusetts: controlled substances are e-prescribed.', 'M.G.L. c. 94C 23(h)', 0),
 ('MA', 4, NULL, 5, 1, 1, 'Massachusetts: controlled substances are e-prescribed.', 'M.G.L. c. 94C 23(h)', 0),
 ('MA', 5, NULL, NULL, 1, 1, 'Massachusetts: controlled substances are e-prescribed.', 'M.G.L. c. 94C 23(h)', 0);
