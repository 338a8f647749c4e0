-- 0011 Quarantine limits (issue 18): refused device input is kept for review, but bounded, so
-- that one stolen device credential cannot fill the disk. quarantine_usage holds the rows and
-- kept payload bytes per device ('device:<uid>', 'device:' for input without a device) and in
-- all ('total'); triggers keep it exact in the same transaction as the change (a rolled-back
-- batch rolls its counts back too). Ingest drops the oldest payloads, then the oldest rows, when
-- a limit is passed, and rows past the retention (ingest.quarantine_* settings).
CREATE INDEX quarantine_by_device ON quarantine (device_uid, id);
CREATE INDEX quarantine_by_time ON quarantine (received_at);

CREATE TABLE quarantine_usage (
  scope TEXT PRIMARY KEY,
  rows  INTEGER NOT NULL,
  bytes INTEGER NOT NULL
);

INSERT INTO quarantine_usage (scope, rows, bytes)
  SELECT 'device:' || coalesce(device_uid, ''), count(*), coalesce(sum(length(payload_enc)), 0)
  FROM quarantine GROUP BY coalesce(device_uid, '');
INSERT INTO quarantine_usage (scope, rows, bytes)
  SELECT 'total', count(*), coalesce(sum(length(payload_enc)), 0) FROM quarantine;

CREATE TRIGGER quarantine_usage_insert AFTER INSERT ON quarantine BEGIN
  INSERT OR IGNORE INTO quarantine_usage VALUES ('total', 0, 0);
  INSERT OR IGNORE INTO quarantine_usage VALUES ('device:' || coalesce(NEW.device_uid, ''), 0, 0);
  UPDATE quarantine_usage SET rows = rows + 1, bytes = bytes + coalesce(length(NEW.payload_enc), 0)
    WHERE scope IN ('device:' || coalesce(NEW.device_uid, ''), 'total');
END;

CREATE TRIGGER quarantine_usage_payload AFTER UPDATE OF payload_enc ON quarantine BEGIN
  UPDATE quarantine_usage
    SET bytes = bytes - coalesce(length(OLD.payload_enc), 0) + coalesce(length(NEW.payload_enc), 0)
    WHERE scope IN ('device:' || coalesce(NEW.device_uid, ''), 'total');
END;

CREATE TRIGGER quarantine_usage_delete AFTER DELETE ON quarantine BEGIN
  UPDATE quarantine_usage SET rows = rows - 1, bytes = bytes - coalesce(length(OLD.payload_enc), 0)
    WHERE scope IN ('device:' || coalesce(OLD.device_uid, ''), 'total');
  DELETE FROM quarantine_usage WHERE scope = 'device:' || coalesce(OLD.device_uid, '') AND rows = 0;
END;
