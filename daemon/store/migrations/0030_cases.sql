-- 0030 Async (store-and-forward) care (issue 23, docs/cases.md; owned by vigil::cases). Times
-- are INTEGER milliseconds since the Unix epoch, UTC. Ids, states, categories, kinds, media
-- types, sizes and dimensions are in clear (no PHI); every word a patient or a clinician writes
-- and every photo is a FieldCipher ciphertext bound to its row (AAD <table>/<column>/<id>).

-- A case: a patient's question to their care team. state: open (waiting for the care team),
-- awaiting_patient (a clinician asked for more photos or information), closed (with a note).
-- due_at: the response-time target (business hours after opened_at, cases.response_hours);
-- escalate_at: when cases.escalate_percent of that target has passed. first_response_at: the
-- first clinician message. assignee: who the case is routed to on opening (the first provider of
-- the care team); escalated_to: the covering provider the periodic check escalated it to
-- (NULL with escalated_at set: nobody to escalate to). note_id: the note (daemon/notes,
-- encounter kind async_case) the case was closed with.
CREATE TABLE cases (
  id                INTEGER PRIMARY KEY,
  patient_id        INTEGER NOT NULL REFERENCES patients (id),
  category          TEXT NOT NULL CHECK (category IN
                      ('question', 'skin', 'wound', 'medication', 'device', 'other')),
  state             TEXT NOT NULL CHECK (state IN ('open', 'awaiting_patient', 'closed')),
  opened_at         INTEGER NOT NULL,
  due_at            INTEGER NOT NULL,
  escalate_at       INTEGER NOT NULL,
  first_response_at INTEGER,
  assignee          INTEGER,
  escalated_at      INTEGER,
  escalated_to      INTEGER,
  closed_at         INTEGER,
  closed_by         INTEGER,
  note_id           INTEGER,
  updated_at        INTEGER NOT NULL
);
CREATE INDEX cases_by_patient ON cases (patient_id, opened_at);
-- The periodic escalation check's scan: open cases not yet answered nor escalated.
CREATE INDEX cases_to_escalate ON cases (escalate_at)
  WHERE state <> 'closed' AND first_response_at IS NULL AND escalated_at IS NULL;
-- Escalation happens once: escalated_at is never moved once set.
CREATE TRIGGER cases_escalated_once BEFORE UPDATE OF escalated_at ON cases
  WHEN OLD.escalated_at IS NOT NULL AND NEW.escalated_at IS NOT OLD.escalated_at
  BEGIN SELECT RAISE(ABORT, 'a case is escalated once'); END;
CREATE TRIGGER cases_no_delete BEFORE DELETE ON cases
  BEGIN SELECT RAISE(ABORT, 'cases are kept'); END;

-- The conversation. kind: question (the patient's opening text), message (a patient's follow-up
-- or a clinician's reply), request_photos, book_visit (a clinician asks the patient to book a
-- visit; the portal links the schedule page), close (the closing note as the patient sees it).
CREATE TABLE case_messages (
  id           INTEGER PRIMARY KEY,
  case_id      INTEGER NOT NULL REFERENCES cases (id),
  kind         TEXT NOT NULL CHECK (kind IN
                 ('question', 'message', 'request_photos', 'book_visit', 'close')),
  author_id    INTEGER NOT NULL,
  author_role  TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  text_enc     BLOB
);
CREATE INDEX case_messages_by_case ON case_messages (case_id, id);
CREATE TRIGGER case_messages_fixed BEFORE UPDATE OF case_id, kind, author_id, created_at
  ON case_messages BEGIN SELECT RAISE(ABORT, 'a case message is never edited'); END;
CREATE TRIGGER case_messages_no_delete BEFORE DELETE ON case_messages
  BEGIN SELECT RAISE(ABORT, 'case messages are kept'); END;

-- Photos: stripped of their metadata on the box (EXIF, GPS, XMP, text chunks), then encrypted.
-- At most 5 per case (checked by the service).
CREATE TABLE case_photos (
  id           INTEGER PRIMARY KEY,
  case_id      INTEGER NOT NULL REFERENCES cases (id),
  media_type   TEXT NOT NULL CHECK (media_type IN ('image/jpeg', 'image/png')),
  size_bytes   INTEGER NOT NULL,
  width        INTEGER NOT NULL,
  height       INTEGER NOT NULL,
  uploaded_at  INTEGER NOT NULL,
  uploaded_by  INTEGER NOT NULL,
  image_enc    BLOB NOT NULL
);
CREATE INDEX case_photos_by_case ON case_photos (case_id, id);
CREATE TRIGGER case_photos_no_delete BEFORE DELETE ON case_photos
  BEGIN SELECT RAISE(ABORT, 'case photos are kept'); END;
