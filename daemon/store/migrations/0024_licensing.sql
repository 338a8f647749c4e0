-- 0024 licensing (issue 22): providers' NPIs and state licenses, and where the patient is at a
-- visit. License numbers and NPIs are public registry data, not PHI: kept in clear, every
-- change audited. Dates are ISO 8601 calendar dates (YYYY-MM-DD, the state board's dates, no
-- time zone); times are INTEGER milliseconds since the Unix epoch (UTC).

-- One row per provider (or nurse) user: the NPI (10 digits, Luhn check digit over 80840 + the
-- first nine digits).
CREATE TABLE provider_profiles (
  user_id    INTEGER PRIMARY KEY REFERENCES users (id),
  npi        TEXT NOT NULL UNIQUE CHECK (length(npi) = 10 AND npi NOT GLOB '*[^0-9]*'),
  updated_by INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

-- A provider's license in one state. `type` is the credential (MD, DO, NP, RN, LPN, PA, APRN)
-- or the compact it was issued through: IMLC (a full license of that state issued through the
-- Interstate Medical Licensure Compact) or NLC (the nurse's multistate license, held in their
-- NLC home state, valid in every NLC member state). One row per provider, state and type.
CREATE TABLE provider_licenses (
  id                  INTEGER PRIMARY KEY,
  user_id             INTEGER NOT NULL REFERENCES users (id),
  state               TEXT NOT NULL CHECK (length(state) = 2 AND state NOT GLOB '*[^A-Z]*'),
  type                TEXT NOT NULL CHECK (type IN ('MD', 'DO', 'NP', 'RN', 'LPN', 'PA', 'APRN',
                                                    'IMLC', 'NLC')),
  number              TEXT NOT NULL CHECK (length(number) BETWEEN 1 AND 32),
  issued_on           TEXT,
  expires_on          TEXT NOT NULL,
  status              TEXT NOT NULL DEFAULT 'active'
                      CHECK (status IN ('active', 'expired', 'suspended', 'revoked')),
  verification        TEXT NOT NULL DEFAULT 'unverified'
                      CHECK (verification IN ('unverified', 'verified', 'mismatch', 'not_found')),
  verified_at         INTEGER,
  verified_by         TEXT CHECK (verified_by IN ('registry', 'admin')),
  -- What the registry answered on a mismatch (its number), so the admin sees both.
  registry_number     TEXT,
  lookup_requested_at INTEGER,
  updated_by          INTEGER NOT NULL,
  updated_at          INTEGER NOT NULL,
  UNIQUE (user_id, state, type)
);
CREATE INDEX provider_licenses_by_state ON provider_licenses (state, user_id);
CREATE INDEX provider_licenses_by_expiry ON provider_licenses (expires_on);

-- Where the patient said they are at check-in (two-letter state; NULL: not confirmed, the
-- registry's state of residence applies). Owned by video; licensing reads it through the Visit.
ALTER TABLE visits ADD COLUMN patient_state TEXT
  CHECK (patient_state IS NULL OR (length(patient_state) = 2 AND patient_state NOT GLOB '*[^A-Z]*'));
ALTER TABLE visits ADD COLUMN checked_in_at INTEGER;
