-- 0026 Clinical notes (issue 23, docs/notes.md; owned by vigil::notes). Times are INTEGER
-- milliseconds since the Unix epoch, UTC. Ids, states, roles and template names are in clear
-- (no PHI); every word a clinician writes about a patient is a FieldCipher ciphertext bound to
-- its row (AAD <table>/<column>/<id>).

-- Note templates: the clinic's prompts for each SOAP section. A template is a chain of versions
-- under one key; an admin's edit is a new row (version + 1), never an update, so a note records
-- the exact template row it was started from. No PHI: prompts only.
CREATE TABLE note_templates (
  id          INTEGER PRIMARY KEY,
  template_key TEXT NOT NULL CHECK (template_key GLOB '[a-z]*' AND length(template_key) <= 40),
  version     INTEGER NOT NULL CHECK (version >= 1),
  title       TEXT NOT NULL,
  sections    TEXT NOT NULL,            -- JSON {"subjective": prompt, "objective": …}
  created_at  INTEGER NOT NULL,
  created_by  INTEGER,                  -- NULL: shipped with the box
  UNIQUE (template_key, version)
);
CREATE TRIGGER note_templates_fixed BEFORE UPDATE ON note_templates
  BEGIN SELECT RAISE(ABORT, 'a template version is never edited: publish a new one'); END;
CREATE TRIGGER note_templates_no_delete BEFORE DELETE ON note_templates
  BEGIN SELECT RAISE(ABORT, 'template versions are kept'); END;

INSERT INTO note_templates (template_key, version, title, sections, created_at) VALUES
 ('general', 1, 'General SOAP note',
  '{"subjective":"Chief complaint, history of present illness, review of systems.","objective":"Vital signs, examination findings, results reviewed.","assessment":"Diagnoses or problems addressed, with reasoning.","plan":"Orders, medications, education, follow-up."}',
  0),
 ('rpm_review', 1, 'Chronic care / RPM monthly review',
  '{"subjective":"How the month went: symptoms, adherence to device use and medications, barriers.","objective":"Readings this month (days transmitted, averages, out-of-range readings), alerts and how they were handled.","assessment":"Control of each monitored condition; risks.","plan":"Medication or threshold changes, education, next review, care coordination."}',
  0),
 ('follow_up', 1, 'Follow-up visit',
  '{"subjective":"Progress since the last visit; response to treatment; new concerns.","objective":"Vital signs and focused examination.","assessment":"Status of each problem followed up.","plan":"Continue or change treatment; next follow-up."}',
  0);

-- Notes. state: draft (the author edits; every save a row of note_versions), cosign_pending (a
-- nurse signed; locked; a provider of the care team co-signs), signed (locked for ever;
-- corrections are addenda). soap_enc: the four SOAP sections as one JSON document. The
-- encounter is a kind and a reference (a visit id, a month "YYYY-MM" for an RPM review): the
-- encounter's own tables belong to other libraries, so no foreign key.
CREATE TABLE notes (
  id               INTEGER PRIMARY KEY,
  patient_id       INTEGER NOT NULL REFERENCES patients (id),
  encounter_kind   TEXT NOT NULL CHECK (encounter_kind IN
                     ('video_visit', 'in_person_visit', 'rpm_review', 'async_case', 'phone_call')),
  encounter_ref    TEXT NOT NULL,
  template_id      INTEGER NOT NULL REFERENCES note_templates (id),
  author_id        INTEGER NOT NULL,
  author_role      TEXT NOT NULL,
  state            TEXT NOT NULL CHECK (state IN ('draft', 'cosign_pending', 'signed')),
  version          INTEGER NOT NULL CHECK (version >= 1),
  created_at       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL,
  soap_enc         BLOB,
  signed_by        INTEGER,
  signed_at        INTEGER,
  content_sha256   TEXT,                -- hex SHA-256 of the signed SOAP document (plaintext)
  cosigned_by      INTEGER,
  cosigned_at      INTEGER
);
CREATE INDEX notes_by_patient ON notes (patient_id, created_at);
CREATE INDEX notes_by_state ON notes (state) WHERE state = 'cosign_pending';

-- A note out of draft is locked: its identity, author, template, content and signature never
-- change. The one change to a signed note's ciphertext allowed is a re-seal under a newer data
-- key (`vigild keys reencrypt`): a blob of the same format version (byte 1) and length whose key
-- id (bytes 2..5, big-endian) is higher than the old one's; the plaintext is unchanged
-- (content_sha256 proves it). The trigger stops code that forgets the rule, not someone with
-- the database file and the sqlite3 shell (they could drop it): the audit chain and the hash
-- are the evidence there. A co-sign moves cosign_pending to signed and sets
-- cosigned_by/at, nothing else.
CREATE TRIGGER notes_locked BEFORE UPDATE ON notes
  WHEN OLD.state <> 'draft' AND (
    NEW.patient_id IS NOT OLD.patient_id OR NEW.encounter_kind IS NOT OLD.encounter_kind OR
    NEW.encounter_ref IS NOT OLD.encounter_ref OR NEW.template_id IS NOT OLD.template_id OR
    NEW.author_id IS NOT OLD.author_id OR NEW.author_role IS NOT OLD.author_role OR
    NEW.version IS NOT OLD.version OR NEW.created_at IS NOT OLD.created_at OR
    NEW.updated_at IS NOT OLD.updated_at OR NEW.signed_by IS NOT OLD.signed_by OR
    NEW.signed_at IS NOT OLD.signed_at OR NEW.content_sha256 IS NOT OLD.content_sha256 OR
    (NEW.soap_enc IS NOT OLD.soap_enc AND NOT (
       typeof(NEW.soap_enc) = 'blob' AND typeof(OLD.soap_enc) = 'blob' AND
       substr(NEW.soap_enc, 1, 1) = substr(OLD.soap_enc, 1, 1) AND
       length(NEW.soap_enc) = length(OLD.soap_enc) AND
       hex(substr(NEW.soap_enc, 2, 4)) > hex(substr(OLD.soap_enc, 2, 4)))) OR
    (OLD.state = 'signed' AND (NEW.state IS NOT OLD.state OR
       NEW.cosigned_by IS NOT OLD.cosigned_by OR NEW.cosigned_at IS NOT OLD.cosigned_at)) OR
    (OLD.state = 'cosign_pending' AND NEW.state NOT IN ('cosign_pending', 'signed')))
  BEGIN SELECT RAISE(ABORT, 'a signed note is never edited: write an addendum'); END;
CREATE TRIGGER notes_no_delete BEFORE DELETE ON notes WHEN OLD.state <> 'draft'
  BEGIN SELECT RAISE(ABORT, 'signed notes are kept'); END;

-- Every saved state of a draft (version 1 is the note as created). Kept after signing.
CREATE TABLE note_versions (
  id          INTEGER PRIMARY KEY,
  note_id     INTEGER NOT NULL REFERENCES notes (id),
  version     INTEGER NOT NULL CHECK (version >= 1),
  saved_at    INTEGER NOT NULL,
  saved_by    INTEGER NOT NULL,
  soap_enc    BLOB,
  UNIQUE (note_id, version)
);
CREATE TRIGGER note_versions_fixed BEFORE UPDATE OF note_id, version, saved_at, saved_by
  ON note_versions BEGIN SELECT RAISE(ABORT, 'a note version is never edited'); END;
CREATE TRIGGER note_versions_no_delete BEFORE DELETE ON note_versions
  BEGIN SELECT RAISE(ABORT, 'note versions are kept'); END;

-- Addenda: a correction or late entry to a signed note, signed by its author when written.
CREATE TABLE note_addenda (
  id              INTEGER PRIMARY KEY,
  note_id         INTEGER NOT NULL REFERENCES notes (id),
  author_id       INTEGER NOT NULL,
  author_role     TEXT NOT NULL,
  signed_at       INTEGER NOT NULL,
  content_sha256  TEXT NOT NULL,
  text_enc        BLOB
);
CREATE INDEX note_addenda_by_note ON note_addenda (note_id, id);
CREATE TRIGGER note_addenda_fixed BEFORE UPDATE ON note_addenda
  WHEN NEW.note_id IS NOT OLD.note_id OR NEW.author_id IS NOT OLD.author_id OR
       NEW.author_role IS NOT OLD.author_role OR NEW.signed_at IS NOT OLD.signed_at OR
       NEW.content_sha256 IS NOT OLD.content_sha256 OR
       (OLD.text_enc IS NOT NULL AND NEW.text_enc IS NOT OLD.text_enc AND NOT (
          typeof(NEW.text_enc) = 'blob' AND typeof(OLD.text_enc) = 'blob' AND
          substr(NEW.text_enc, 1, 1) = substr(OLD.text_enc, 1, 1) AND
          length(NEW.text_enc) = length(OLD.text_enc) AND
          hex(substr(NEW.text_enc, 2, 4)) > hex(substr(OLD.text_enc, 2, 4))))
  BEGIN SELECT RAISE(ABORT, 'a signed addendum is never edited'); END;
CREATE TRIGGER note_addenda_no_delete BEFORE DELETE ON note_addenda
  BEGIN SELECT RAISE(ABORT, 'addenda are kept'); END;

-- Referrals from a signed note to a named specialist: the specialist (name, specialty,
-- contact) and the reason as one JSON document.
CREATE TABLE referrals (
  id          INTEGER PRIMARY KEY,
  note_id     INTEGER NOT NULL REFERENCES notes (id),
  patient_id  INTEGER NOT NULL REFERENCES patients (id),
  created_by  INTEGER NOT NULL,
  created_at  INTEGER NOT NULL,
  letter_enc  BLOB
);
CREATE INDEX referrals_by_patient ON referrals (patient_id, id);
CREATE TRIGGER referrals_no_delete BEFORE DELETE ON referrals
  BEGIN SELECT RAISE(ABORT, 'referrals are kept'); END;
