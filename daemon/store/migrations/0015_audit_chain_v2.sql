-- 0015 The audit log's tail (issue 18). Entries from audit_chain.keyed_from on are hashed with
-- a key derived from the master key (HMAC-SHA256, "vigil.audit.v2"), so none can be rewritten
-- without it; earlier entries keep their SHA-256 chain. Checkpoints of version 2 sign their own
-- number, the entry count, the first keyed entry and the digest of the previous checkpoint:
-- the checkpoints form a chain, and one of them kept off the box (`vigild audit anchor`)
-- vouches for everything before it. Rows of version 1 (NULL in the new columns) are the
-- checkpoints made before this migration.
ALTER TABLE audit_checkpoints ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE audit_checkpoints ADD COLUMN idx INTEGER;
ALTER TABLE audit_checkpoints ADD COLUMN keyed_from INTEGER;
ALTER TABLE audit_checkpoints ADD COLUMN prev_digest BLOB;

CREATE TABLE audit_chain (
  id         INTEGER PRIMARY KEY CHECK (id = 1),
  keyed_from INTEGER NOT NULL
);
INSERT INTO audit_chain (id, keyed_from) SELECT 1, coalesce(max(seq), 0) + 1 FROM audit_log;
CREATE TRIGGER audit_chain_no_update BEFORE UPDATE ON audit_chain
BEGIN SELECT RAISE(ABORT, 'audit_chain is fixed'); END;
CREATE TRIGGER audit_chain_no_delete BEFORE DELETE ON audit_chain
BEGIN SELECT RAISE(ABORT, 'audit_chain is fixed'); END;
