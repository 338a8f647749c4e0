-- 0036 A password the user must replace at the next sign-in (issue 27, owned by
-- vigil::security): `vigild setup` gives the first admin a one-time password, printed once on the
-- installer's console; it signs in once only to choose their own (docs/operations.md, "First
-- boot"). 1: the next sign-in asks for a new password before any session is made.
ALTER TABLE users ADD COLUMN password_change_required INTEGER NOT NULL DEFAULT 0
  CHECK (password_change_required IN (0, 1));
