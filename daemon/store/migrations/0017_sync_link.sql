-- 0017 The cloud link's sender and inbox fetcher (issue 20, docs/cloud-api.md).
--
-- 1. An admin's cancel replaces the cancelled entry by a `stream.skip` envelope in the same
--    stream and seq (the service would otherwise wait for that seq forever), so (stream, seq)
--    is unique among the entries that are not cancelled, not among all of them. SQLite cannot
--    drop a table constraint: the table is rebuilt with its rows.
CREATE TABLE sync_outbox_new (
  id              TEXT PRIMARY KEY,
  stream          TEXT NOT NULL,
  seq             INTEGER NOT NULL CHECK (seq >= 1),
  kind            TEXT NOT NULL,
  recipient       TEXT NOT NULL,
  envelope        TEXT NOT NULL,
  created_at      INTEGER NOT NULL,
  state           TEXT NOT NULL DEFAULT 'pending'
                  CHECK (state IN ('pending', 'delivered', 'refused', 'cancelled')),
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  last_error      TEXT NOT NULL DEFAULT '',
  delivered_at    INTEGER
);
INSERT INTO sync_outbox_new SELECT id, stream, seq, kind, recipient, envelope, created_at, state,
  attempts, next_attempt_at, last_error, delivered_at FROM sync_outbox;
DROP TABLE sync_outbox;
ALTER TABLE sync_outbox_new RENAME TO sync_outbox;
CREATE UNIQUE INDEX sync_outbox_stream_seq ON sync_outbox (stream, seq) WHERE state != 'cancelled';
CREATE INDEX sync_outbox_open ON sync_outbox (stream, seq, state, created_at)
  WHERE state IN ('pending', 'refused');
-- The retention prune finds old delivered and cancelled entries without a full scan.
CREATE INDEX sync_outbox_settled ON sync_outbox (delivered_at) WHERE state = 'delivered';

-- 2. Inbound messages the box would not apply (a forged or tampered signature, an unknown key,
--    a payload that does not open, a message too old to tell from a replay, a malformed
--    envelope): counted and listed for admins. Kept apart from sync_inbox, so a forged copy of
--    a genuine message id cannot stop the genuine message from being applied. Holds no payload.
CREATE TABLE sync_inbox_refused (
  seq         INTEGER PRIMARY KEY,
  message_id  TEXT NOT NULL,   -- as the envelope claims it ('' when malformed)
  kind        TEXT NOT NULL,   -- as claimed ('' when malformed)
  sender      TEXT NOT NULL,   -- the envelope's `from` as claimed
  reason      TEXT NOT NULL,   -- unknown_key, bad_signature, not_for_me, does_not_open, stale, malformed
  received_at INTEGER NOT NULL
);
CREATE INDEX sync_inbox_refused_received ON sync_inbox_refused (received_at);
CREATE INDEX sync_inbox_applied ON sync_inbox (applied_at);
