-- 0021 front desk (issue 21): a staff role that registers patients and schedules visits, with
-- no clinical data (vigil/security/access.hpp). users.role's CHECK (0003) lists the roles, and
-- SQLite cannot change a CHECK in place: the table is rebuilt the SQLite way (create new, copy,
-- drop old, rename; migrate() runs with foreign keys off and runs foreign_key_check after).
-- Every column, default and constraint is kept as it was; the rows keep their ids, so the
-- tables that refer to users (sign_in_failures, user_mfa, recovery_codes, sessions, care_team,
-- visits, visit_participants, visit_messages, visit_documents, escalation tables, ...) refer to
-- the same rows. users has no index of its own besides UNIQUE (email_bidx), and no trigger.

CREATE TABLE users_new (
  id                  INTEGER PRIMARY KEY,
  role                TEXT NOT NULL
                      CHECK (role IN ('patient', 'provider', 'nurse', 'admin', 'front_desk')),
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

INSERT INTO users_new (id, role, email_bidx, email_enc, display_name_enc, patient_id,
                       password_hash, password_changed_at, status, locked_until, created_at)
SELECT id, role, email_bidx, email_enc, display_name_enc, patient_id, password_hash,
       password_changed_at, status, locked_until, created_at
FROM users;

DROP TABLE users;
ALTER TABLE users_new RENAME TO users;
