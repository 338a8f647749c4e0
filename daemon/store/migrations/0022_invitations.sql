-- 0022 Patient invitations (issue 21, onboarding): staff invite a registered patient to the
-- portal by e-mail; the patient opens a single-use, expiring link and sets a password. Owned by
-- vigil::onboarding (daemon/onboarding). Times are INTEGER milliseconds since the Unix epoch, UTC.
--
-- The link's secret is never stored: only the SHA-256 of the token (a stolen database cannot
-- open an invitation). The e-mail address is PHI: a FieldCipher ciphertext bound to the row
-- (AAD patient_invitations/email/<id>). An invitation ends once: used (the account it made),
-- revoked (by staff, by a newer invitation, or after too many wrong birth dates), or expired.
CREATE TABLE patient_invitations (
  id             INTEGER PRIMARY KEY,
  patient_id     INTEGER NOT NULL REFERENCES patients (id),
  token_sha256   BLOB NOT NULL UNIQUE CHECK (length(token_sha256) = 32),
  email_enc      BLOB NOT NULL,
  delivery       TEXT NOT NULL CHECK (delivery IN ('email', 'manual')),
  outbox_entry   TEXT,                 -- the cloud link's notify.send entry (delivery 'email')
  created_by     INTEGER NOT NULL,     -- the staff user
  created_at     INTEGER NOT NULL,
  expires_at     INTEGER NOT NULL,
  failed_checks  INTEGER NOT NULL DEFAULT 0,  -- wrong birth dates given with this link
  used_at        INTEGER,
  user_id        INTEGER,              -- the account the invitation made
  revoked_at     INTEGER,
  revoked_by     INTEGER,              -- NULL: revoked by the box (newer invitation, too many tries)
  CHECK (used_at IS NULL OR revoked_at IS NULL)
);
CREATE INDEX patient_invitations_by_patient ON patient_invitations (patient_id, created_at);
-- At most one open invitation per patient: a new one revokes the older first.
CREATE UNIQUE INDEX patient_invitations_one_open ON patient_invitations (patient_id)
  WHERE used_at IS NULL AND revoked_at IS NULL;
