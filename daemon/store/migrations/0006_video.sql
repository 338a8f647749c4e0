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
  recording_consent_at INTEGER,          -- this participant consented to recording THIS visit
  PRIMARY KEY (visit_id, user_id)
) WITHOUT ROWID;
CREATE INDEX visit_participants_by_user ON visit_participants (user_id, visit_id);

-- The visit's chat, kept with the visit. The text is PHI: encrypted (FieldCipher, AAD
-- visit_messages/text/<id>); only the visit's participants read it.
CREATE TABLE visit_messages (
  id             INTEGER PRIMARY KEY,
  visit_id       INTEGER NOT NULL REFERENCES visits (id),
  sender_user_id INTEGER NOT NULL REFERENCES users (id),
  sent_at        INTEGER NOT NULL,
  text_enc       BLOB NOT NULL
);
CREATE INDEX visit_messages_by_visit ON visit_messages (visit_id, id);

-- Documents shared into a visit (PDF, PNG, JPEG: the type is decided from the content's magic
-- bytes, never from the name). Content and file name are PHI: encrypted (FieldCipher, AAD
-- visit_documents/<column>/<id>); only the visit's participants read them.
CREATE TABLE visit_documents (
  id               INTEGER PRIMARY KEY,
  visit_id         INTEGER NOT NULL REFERENCES visits (id),
  uploader_user_id INTEGER NOT NULL REFERENCES users (id),
  uploaded_at      INTEGER NOT NULL,
  media_type       TEXT NOT NULL CHECK (media_type IN ('application/pdf', 'image/png', 'image/jpeg')),
  size_bytes       INTEGER NOT NULL,
  file_name_enc    BLOB NOT NULL,
  content_enc      BLOB NOT NULL
);
CREATE INDEX visit_documents_by_visit ON visit_documents (visit_id, id);

-- Call quality samples of each participant's session, from the relay's webrtcbin statistics
-- (no PHI: network measurements). Kept with the visit's metadata.
CREATE TABLE visit_quality (
  visit_id  INTEGER NOT NULL REFERENCES visits (id),
  user_id   INTEGER NOT NULL REFERENCES users (id),
  at        INTEGER NOT NULL,
  rtt_ms    REAL,                        -- NULL until the participant's receiver reports arrive
  jitter_ms REAL NOT NULL,
  loss_pct  REAL NOT NULL,
  kbps_in   REAL NOT NULL
);
CREATE INDEX visit_quality_by_visit ON visit_quality (visit_id, user_id, at);
