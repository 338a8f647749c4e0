-- 0001 core: appliance-wide key/value settings (never PHI: install id, feature flags, state
-- of one-off jobs). The schema_migrations history table is created by the migration runner.
CREATE TABLE settings (
  key        TEXT PRIMARY KEY NOT NULL,
  value      TEXT NOT NULL,
  updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) WITHOUT ROWID;
