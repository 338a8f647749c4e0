-- 0003 security: accounts and credentials, MFA, sessions, care team, data-encryption keys and
-- the audit log. Times are INTEGER milliseconds since the Unix epoch (UTC), except the audit
-- log's at_us (microseconds, the hashed precision). Encrypted columns end in _enc (FieldCipher,
-- AAD = <table>/<column without _enc>/<row id>); blind indexes end in _bidx.

CREATE TABLE users (
  id                  INTEGER PRIMARY KEY,
  role                TEXT NOT NULL CHECK (role IN ('patient', 'provider', 'nurse', 'admin')),
  email_bidx          BLOB NOT NULL UNIQUE,
  email_enc           BLOB NOT NULL,
  display_name_enc    BLOB,
  patient_id          INTEGER,            -- patient users: their own record
  password_hash       TEXT NOT NULL,      -- $scrypt$ln=..,r=..,p=..$salt$hash
  password_changed_at INTEGER NOT NULL,
  status              TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
  locked_until        INTEGER,            -- set by lock-out, cleared by admin unlock
  created_at          INTEGER NOT NULL
);

-- Failed sign-ins per account (for the lock-out window); pruned after a day.
CREATE TABLE sign_in_failures (
  user_id INTEGER NOT NULL REFERENCES users (id),
  at      INTEGER NOT NULL
);
CREATE INDEX sign_in_failures_by_user ON sign_in_failures (user_id, at);

CREATE TABLE user_mfa (
  user_id         INTEGER PRIMARY KEY REFERENCES users (id),
  totp_secret_enc BLOB NOT NULL,
  confirmed_at    INTEGER,               -- NULL while enrolment is pending
  last_step       INTEGER,               -- last TOTP step accepted (a code works once)
  created_at      INTEGER NOT NULL
);

CREATE TABLE recovery_codes (
  id        INTEGER PRIMARY KEY,
  user_id   INTEGER NOT NULL REFERENCES users (id),
  code_hash TEXT NOT NULL,               -- SHA-256 of the normalised code
  used_at   INTEGER,
  UNIQUE (user_id, code_hash)
);

CREATE TABLE sessions (
  id            INTEGER PRIMARY KEY,
  token_hash    BLOB NOT NULL UNIQUE,    -- SHA-256 of the 256-bit token; the token is never stored
  user_id       INTEGER NOT NULL REFERENCES users (id),
  stage         TEXT NOT NULL CHECK (stage IN ('full', 'mfa_enrolment')),
  created_at    INTEGER NOT NULL,
  last_seen_at  INTEGER NOT NULL,
  revoked_at    INTEGER,
  revoke_reason TEXT
);
CREATE INDEX sessions_by_user ON sessions (user_id, revoked_at);

-- Which staff users look after which patients (providers and nurses see only these).
CREATE TABLE care_team (
  patient_id  INTEGER NOT NULL,
  user_id     INTEGER NOT NULL REFERENCES users (id),
  assigned_at INTEGER NOT NULL,
  assigned_by INTEGER,
  PRIMARY KEY (patient_id, user_id)
) WITHOUT ROWID;
CREATE INDEX care_team_by_user ON care_team (user_id, patient_id);

-- Data-encryption keys wrapped by the master key; exactly one is active for new writes.
CREATE TABLE data_keys (
  id         INTEGER PRIMARY KEY,
  wrapped    BLOB NOT NULL,
  created_at INTEGER NOT NULL,
  active     INTEGER NOT NULL DEFAULT 0 CHECK (active IN (0, 1))
);
CREATE UNIQUE INDEX data_keys_one_active ON data_keys (active) WHERE active = 1;

-- The audit log: append-only, hash-chained (hash = SHA-256(canonical entry || prev_hash)).
CREATE TABLE audit_log (
  seq         INTEGER PRIMARY KEY,       -- 1, 2, 3, ... without gaps
  at_us       INTEGER NOT NULL,
  actor_id    INTEGER NOT NULL,
  actor_role  TEXT NOT NULL,
  action      TEXT NOT NULL,
  object_type TEXT NOT NULL,
  object_id   TEXT NOT NULL,
  patient_id  INTEGER,
  outcome     TEXT NOT NULL CHECK (outcome IN ('success', 'denied', 'failure')),
  reason      TEXT NOT NULL,
  break_glass INTEGER NOT NULL CHECK (break_glass IN (0, 1)),
  prev_hash   BLOB NOT NULL,
  hash        BLOB NOT NULL
);
CREATE INDEX audit_log_by_time ON audit_log (at_us);
CREATE INDEX audit_log_by_patient ON audit_log (patient_id, at_us);
CREATE INDEX audit_log_break_glass ON audit_log (break_glass) WHERE break_glass = 1;

-- Signed checkpoints: the box's Ed25519 key signs (seq, hash, time) every N entries or hour.
CREATE TABLE audit_checkpoints (
  seq        INTEGER PRIMARY KEY,
  hash       BLOB NOT NULL,
  at_us      INTEGER NOT NULL,
  public_key BLOB NOT NULL,
  signature  BLOB NOT NULL
);

-- Append-only: nothing is changed or purged (HIPAA keeps audit records 6 years; a future
-- archival step will move verified, exported ranges older than that).
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END;
CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END;
