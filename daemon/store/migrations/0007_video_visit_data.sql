-- 0007 video visit data (issue 9), after 0006_video was merged: the chat, shared documents and
-- call quality kept with a visit, and each participant's recording consent. Times are INTEGER
-- milliseconds since the Unix epoch (UTC).

-- Consent to recording THIS visit, per participant (NULL: not given or withdrawn).
ALTER TABLE visit_participants ADD COLUMN recording_consent_at INTEGER;

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
