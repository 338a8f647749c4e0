-- 0005 audit justification: the free-text reason a clinician gives for break-glass access may
-- hold PHI, so it stays out of the chained audit entry (whose reason is "break_glass") and is
-- stored here encrypted (FieldCipher, AAD = audit_justifications/text/<seq>: it cannot be moved
-- to another entry), written in the same transaction as its entry.
CREATE TABLE audit_justifications (
  seq      INTEGER PRIMARY KEY REFERENCES audit_log (seq),
  text_enc BLOB NOT NULL
);
CREATE TRIGGER audit_justifications_no_delete BEFORE DELETE ON audit_justifications
BEGIN SELECT RAISE(ABORT, 'audit_justifications is append-only'); END;
