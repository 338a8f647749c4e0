-- 0028 Calendar feeds (issue 22): one secret iCalendar (RFC 5545) feed URL per provider, owned
-- by vigil::scheduling (daemon/scheduling, calendar_feed.cpp). The URL's token (256 random bits,
-- base64url) is shown once; only its SHA-256 is kept, so a copy of the database yields no
-- working feed URL. Revoking clears the hash (the old URL answers 404, as an unknown one does);
-- rotating replaces it. include_names: the provider opted in to patients' names in the events'
-- SUMMARY (PHI: every such fetch is audited per patient named). uid_domain: a random UUID made
-- with the row and kept across rotations, so each event's UID (appointment id @ uid_domain)
-- stays the same for the calendar clients and differs from another box's. No PHI here.
CREATE TABLE calendar_feeds (
  provider_user_id INTEGER PRIMARY KEY REFERENCES users (id),
  token_hash       BLOB UNIQUE CHECK (token_hash IS NULL OR length(token_hash) = 32),
  issued_at        INTEGER,
  include_names    INTEGER NOT NULL DEFAULT 0 CHECK (include_names IN (0, 1)),
  uid_domain       TEXT NOT NULL,
  updated_by       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL
);
