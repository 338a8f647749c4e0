-- 0018 Consent e-signature (issue 21): versioned consent documents written by admins, and each
-- patient's signature of one version. Owned by vigil::patients (daemon/patients). Times are
-- INTEGER milliseconds since the Unix epoch, UTC.

-- A version of a consent document is never changed once published: a new text is a new version
-- (the signatures point at the exact text they signed, and its SHA-256 is kept beside it).
-- The text is the clinic's own (no PHI), stored in clear.
CREATE TABLE consent_documents (
  id              INTEGER PRIMARY KEY,
  kind            TEXT NOT NULL CHECK (kind IN ('telehealth', 'rpm', 'privacy_notice',
                                                'recording')),
  version         INTEGER NOT NULL CHECK (version >= 1),
  title           TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
  body            TEXT NOT NULL CHECK (length(body) >= 1),
  body_sha256     TEXT NOT NULL CHECK (length(body_sha256) = 64),  -- hex of the UTF-8 body
  requires_resign INTEGER NOT NULL DEFAULT 0 CHECK (requires_resign IN (0, 1)),
  published_by    INTEGER NOT NULL,                                -- the admin's user id
  published_at    INTEGER NOT NULL,
  UNIQUE (kind, version)
);
CREATE TRIGGER consent_documents_no_update BEFORE UPDATE ON consent_documents
  BEGIN SELECT RAISE(ABORT, 'consent documents are immutable: publish a new version'); END;
CREATE TRIGGER consent_documents_no_delete BEFORE DELETE ON consent_documents
  BEGIN SELECT RAISE(ABORT, 'consent documents are kept'); END;

-- One signature of one document version by a patient. The typed name and the signer's IP
-- address are PHI: only FieldCipher ciphertexts bound to the row (AAD consents/<column>/<id>).
-- Withdrawal sets withdrawn_at once; nothing else of a signature changes (key rotation may
-- re-seal the two ciphertexts under a newer key).
CREATE TABLE consents (
  id              INTEGER PRIMARY KEY,
  patient_id      INTEGER NOT NULL REFERENCES patients (id),
  document_id     INTEGER NOT NULL REFERENCES consent_documents (id),
  kind            TEXT NOT NULL,          -- the document's kind and version, copied for queries
  version         INTEGER NOT NULL,
  document_sha256 TEXT NOT NULL CHECK (length(document_sha256) = 64),
  signed_by       INTEGER NOT NULL,       -- the user who signed (the patient's account)
  signed_at       INTEGER NOT NULL,
  typed_name_enc  BLOB,
  signer_ip_enc   BLOB,
  withdrawn_at    INTEGER,
  withdrawn_by    INTEGER,
  CHECK (withdrawn_at IS NULL OR withdrawn_at >= signed_at)
);
CREATE INDEX consents_by_patient ON consents (patient_id, kind, version);
CREATE TRIGGER consents_fixed BEFORE UPDATE OF patient_id, document_id, kind, version,
  document_sha256, signed_by, signed_at ON consents
  BEGIN SELECT RAISE(ABORT, 'a signature is never edited'); END;
CREATE TRIGGER consents_withdrawn_once BEFORE UPDATE OF withdrawn_at, withdrawn_by ON consents
  WHEN OLD.withdrawn_at IS NOT NULL
  BEGIN SELECT RAISE(ABORT, 'a withdrawal is recorded once'); END;
CREATE TRIGGER consents_no_delete BEFORE DELETE ON consents
  BEGIN SELECT RAISE(ABORT, 'signatures are kept'); END;
