-- 0019 The patient record and search (issue 21). Times are INTEGER milliseconds since the Unix
-- epoch, UTC.

-- Search through blind indexes (owned by vigil::registry, like the rest of patients): HMAC
-- blind indexes (crypto::BlindIndex, one label each) of the normalised given name, family name
-- and birth date, and of the first three letters of each normalised name (docs/security.md: what
-- they reveal to someone holding the database). Rows from before this migration get theirs at
-- start-up (PatientRepository::fillSearchIndexes: the key is needed, so code, not SQL).
ALTER TABLE patients ADD COLUMN given_name_bidx BLOB;
ALTER TABLE patients ADD COLUMN family_name_bidx BLOB;
ALTER TABLE patients ADD COLUMN birth_date_bidx BLOB;
ALTER TABLE patients ADD COLUMN given_prefix_bidx BLOB;
ALTER TABLE patients ADD COLUMN family_prefix_bidx BLOB;
CREATE INDEX patients_by_given_name ON patients (given_name_bidx);
CREATE INDEX patients_by_family_name ON patients (family_name_bidx);
CREATE INDEX patients_by_birth_date ON patients (birth_date_bidx);
CREATE INDEX patients_by_given_prefix ON patients (given_prefix_bidx);
CREATE INDEX patients_by_family_prefix ON patients (family_prefix_bidx);

-- The patient record (owned by vigil::patients): one row per change, the whole record as it
-- stood after it, in two FieldCipher ciphertexts bound to the row (AAD
-- patient_record_versions/<column>/<id>): the administrative sections (demographics, contact,
-- language, emergency contact, insurance, pharmacy) and the clinical ones (problems,
-- medications, allergies). The newest version is the current record. Who changed what and when
-- is in clear (no PHI: ids, the role, section names).
CREATE TABLE patient_record_versions (
  id                 INTEGER PRIMARY KEY,
  patient_id         INTEGER NOT NULL REFERENCES patients (id),
  version            INTEGER NOT NULL CHECK (version >= 1),
  changed_at         INTEGER NOT NULL,
  changed_by         INTEGER NOT NULL,   -- the user's id
  changed_role       TEXT NOT NULL,      -- their role then
  sections           TEXT NOT NULL,      -- the changed sections, comma-separated
  administrative_enc BLOB,
  clinical_enc       BLOB,
  UNIQUE (patient_id, version)
);
CREATE TRIGGER patient_record_versions_fixed BEFORE UPDATE OF patient_id, version, changed_at,
  changed_by, changed_role, sections ON patient_record_versions
  BEGIN SELECT RAISE(ABORT, 'a record version is never edited'); END;
CREATE TRIGGER patient_record_versions_no_delete BEFORE DELETE ON patient_record_versions
  BEGIN SELECT RAISE(ABORT, 'record versions are kept'); END;
