-- 0013 Unknown accounts at lock-out (issue 18): sign-in attempts on an e-mail address that has
-- no account are counted and locked like a real account's, so "423 locked" does not tell an
-- attacker which addresses have accounts. Keyed by the address's blind index (HMAC, the same as
-- users.email_bidx), never the address; failures older than a day are pruned on each attempt.
CREATE TABLE sign_in_unknown_failures (
  email_bidx BLOB NOT NULL,
  at         INTEGER NOT NULL
);
CREATE INDEX sign_in_unknown_failures_by_email ON sign_in_unknown_failures (email_bidx, at);
CREATE INDEX sign_in_unknown_failures_by_time ON sign_in_unknown_failures (at);

CREATE TABLE sign_in_unknown_locks (
  email_bidx   BLOB PRIMARY KEY,
  locked_until INTEGER NOT NULL
) WITHOUT ROWID;
