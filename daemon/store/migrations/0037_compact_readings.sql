-- 0037 Compact readings (issue 28, "bytes per reading"): about a third of the bytes per stored
-- reading, the same queries served by indexes. Owned by ingest (writes) and readings (reads).
--
-- Where the bytes went (0002, 0009, 0034): the text dedup key ("time:<ms>:<kind>", ~33 bytes)
-- stored twice (row and UNIQUE index), kind, LOINC, unit and source repeated as text in every
-- row, the patient index by (patient_id, loinc, device_time) with the LOINC text in each entry,
-- and four indexes in all. Now:
--  * reading_codes: each (kind, LOINC, unit, source, original unit, panel component codes)
--    once; a row holds its id. A panel's components are kept as the JSON array of their values
--    in the order of the code's component_keys ('[128,82,97]', not '{"8480-6":128,…}'); the
--    object is rebuilt from the two, text for text (values keep the text they were written
--    with). Components that would not come back identical (written by hand) are kept as they
--    were, under a code without component keys.
--  * Times: taken_at = COALESCE(device_time, received_at) (the chart's time), `clock` says what
--    it is (0 the device's UTC time, 1 the device's clock without offset, 2 no device time: the
--    box's receipt) and received_delay = received_at - taken_at (two or three bytes, not six).
--  * Dedup: the key is an integer, the reading's own sequence number else its device time, kept
--    in reading_rows_by_device modulo 2^15 (two bytes in each entry instead of six: a device's
--    readings spread over the 32,768 values, so a look-up meets a fraction of another row);
--    rows with the same value (a panel and the pulse taken with it, times 32.768 s apart, a seq
--    equal to a time) are told apart by comparing the full key (kind, which of seq or time, its
--    whole value) on match, so a distinct reading is never dropped. Keys that are neither (a
--    message's own sequence and index: "msg:<n>:<i>:<kind>"; keys written by hand) stay as
--    text in dedup_key, NULL otherwise, with a partial index.
--  * One patient index by effective time (FHIR's order, 0034), which the chart, latest, record
--    export, billing's device days and FHIR search all use (the code is checked on the row);
--    rows whose device clock had no offset (chart time differs from effective time) have a
--    partial index of their own for the chart.
--  * The alert engine's warm-up (readings received since a time, 0009) goes through
--    reading_receipt_hours: the smallest reading id received in each hour, kept by a trigger;
--    every reading received at or after T has an id at or above the smallest first_id of the
--    hours from T's on, so the warm-up is a rowid range scan from there (ids follow storage
--    order, which is reception order but for backfills, which the bound still covers).
--
-- `readings` stays as a view with the columns of 0002 (and an INSTEAD OF INSERT trigger), so SQL
-- written against them (tests, support queries) keeps its answers; the
-- daemon's own queries go to reading_rows and its indexes.

CREATE TABLE reading_codes (
  id            INTEGER PRIMARY KEY,
  kind          TEXT NOT NULL,
  loinc         TEXT NOT NULL,
  unit          TEXT NOT NULL,              -- UCUM
  source        TEXT NOT NULL,              -- mqtt-json, mqtt-gatt, ble, demo-history …
  original_unit TEXT NOT NULL DEFAULT '',   -- '': not converted
  component_keys TEXT NOT NULL DEFAULT '',  -- JSON array of a panel's component codes; '': none
  UNIQUE (kind, loinc, unit, source, original_unit, component_keys)
);

CREATE TABLE reading_rows (
  id             INTEGER PRIMARY KEY,
  device_id      INTEGER NOT NULL REFERENCES devices (id),
  patient_id     INTEGER REFERENCES patients (id),  -- NULL: device unassigned at measurement
  code_id        INTEGER NOT NULL REFERENCES reading_codes (id),
  taken_at       INTEGER NOT NULL,                  -- device time, else receipt time (ms)
  clock          INTEGER NOT NULL CHECK (clock IN (0, 1, 2)),
  received_delay INTEGER NOT NULL,                  -- received_at - taken_at (ms)
  value          REAL,                              -- NULL for panels and special values
  components     TEXT,                              -- panels: JSON array of values (see codes)
  special        TEXT,                              -- NaN, NRes, +INF, -INF, reserved
  original_value REAL,
  flags          TEXT NOT NULL DEFAULT '',
  seq            INTEGER,
  dedup_key      TEXT                               -- NULL: the key is seq (else time) and kind
);

-- Panels whose components come back text for text from (codes, values).
CREATE TEMP TABLE reading_panels AS
  SELECT id, (SELECT json_group_array(key) FROM json_each(components)) AS keys,
         '[' || (SELECT group_concat(components -> fullkey, ',') FROM json_each(components)) || ']'
           AS vals, components
  FROM readings
  WHERE components IS NOT NULL AND json_valid(components) AND json_type(components) = 'object'
    AND components <> '{}';
DELETE FROM reading_panels
  WHERE (SELECT '{' || group_concat(json_quote(k.value) || ':' || (vals -> k.key), ',') || '}'
         FROM json_each(keys) k) IS NOT components;

INSERT INTO reading_codes (kind, loinc, unit, source, original_unit, component_keys)
  SELECT DISTINCT r.kind, r.loinc, r.unit, r.source, COALESCE(r.original_unit, ''),
                  COALESCE(p.keys, '')
  FROM readings r LEFT JOIN reading_panels p ON p.id = r.id;

INSERT INTO reading_rows (id, device_id, patient_id, code_id, taken_at, clock, received_delay,
                          value, components, special, original_value, flags, seq, dedup_key)
  SELECT r.id, r.device_id, r.patient_id, c.id, COALESCE(r.device_time, r.received_at),
         CASE WHEN r.device_time IS NULL THEN 2 WHEN r.device_time_local <> 0 THEN 1 ELSE 0 END,
         r.received_at - COALESCE(r.device_time, r.received_at),
         r.value, COALESCE(p.vals, r.components), r.special, r.original_value, r.flags, r.seq,
         CASE WHEN r.dedup_key IS (CASE WHEN r.seq IS NOT NULL THEN 'seq:' || r.seq || ':' || r.kind
                                        WHEN r.device_time IS NOT NULL
                                        THEN 'time:' || r.device_time || ':' || r.kind END)
              THEN NULL ELSE r.dedup_key END
  FROM readings r
  LEFT JOIN reading_panels p ON p.id = r.id
  JOIN reading_codes c ON c.kind = r.kind AND c.loinc = r.loinc AND c.unit = r.unit
                      AND c.source = r.source AND c.original_unit = COALESCE(r.original_unit, '')
                      AND c.component_keys = COALESCE(p.keys, '')
  ORDER BY r.id;

DROP TABLE reading_panels;
DROP TABLE readings;

-- Dedup (the integer key; the full key is compared on match), a device's last sequence number,
-- the FHIR create's look-up by device and time.
CREATE INDEX reading_rows_by_device ON reading_rows (
  device_id, COALESCE(seq, CASE WHEN clock < 2 THEN taken_at END) % 32768);
CREATE INDEX reading_rows_by_text_key ON reading_rows (device_id, dedup_key)
  WHERE dedup_key IS NOT NULL;
-- A patient's readings by effective time (device time with a UTC offset, else receipt time).
CREATE INDEX reading_rows_by_patient ON reading_rows (
  patient_id, (CASE WHEN clock = 1 THEN taken_at + received_delay ELSE taken_at END));
-- The chart's time of readings from a clock without offset (their effective time differs).
CREATE INDEX reading_rows_by_patient_local ON reading_rows (patient_id, taken_at)
  WHERE clock = 1;

CREATE TABLE reading_receipt_hours (
  hour     INTEGER PRIMARY KEY,  -- received_at / 3,600,000
  first_id INTEGER NOT NULL      -- the smallest id of a reading received in that hour
);
INSERT INTO reading_receipt_hours (hour, first_id)
  SELECT (taken_at + received_delay) / 3600000, min(id) FROM reading_rows GROUP BY 1;
CREATE TRIGGER reading_rows_receipt_hour AFTER INSERT ON reading_rows
BEGIN
  INSERT INTO reading_receipt_hours (hour, first_id)
    VALUES ((NEW.taken_at + NEW.received_delay) / 3600000, NEW.id)
    ON CONFLICT (hour) DO UPDATE SET first_id = min(first_id, excluded.first_id);
END;

CREATE VIEW readings AS
  SELECT r.id AS id, r.device_id AS device_id, r.patient_id AS patient_id,
         COALESCE(r.dedup_key,
                  CASE WHEN r.seq IS NOT NULL THEN 'seq:' || r.seq || ':' || c.kind
                       WHEN r.clock < 2 THEN 'time:' || r.taken_at || ':' || c.kind END)
           AS dedup_key,
         c.kind AS kind, c.loinc AS loinc, c.unit AS unit, r.value AS value,
         CASE WHEN r.components IS NULL OR c.component_keys = '' THEN r.components
              ELSE (SELECT '{' || group_concat(json_quote(k.value) || ':' || (r.components -> k.key),
                                               ',') || '}'
                    FROM json_each(c.component_keys) k) END AS components,
         r.special AS special, r.original_value AS original_value,
         NULLIF(c.original_unit, '') AS original_unit, r.flags AS flags,
         CASE WHEN r.clock < 2 THEN r.taken_at END AS device_time,
         CASE WHEN r.clock = 1 THEN 1 ELSE 0 END AS device_time_local,
         r.taken_at + r.received_delay AS received_at, r.seq AS seq, c.source AS source
  FROM reading_rows r JOIN reading_codes c ON c.id = r.code_id;

CREATE TRIGGER readings_insert INSTEAD OF INSERT ON readings
BEGIN
  INSERT OR IGNORE INTO reading_codes (kind, loinc, unit, source, original_unit)
    VALUES (NEW.kind, NEW.loinc, NEW.unit, NEW.source, COALESCE(NEW.original_unit, ''));
  INSERT INTO reading_rows (id, device_id, patient_id, code_id, taken_at, clock, received_delay,
                            value, components, special, original_value, flags, seq, dedup_key)
    SELECT NEW.id, NEW.device_id, NEW.patient_id, c.id, COALESCE(NEW.device_time, NEW.received_at),
           CASE WHEN NEW.device_time IS NULL THEN 2
                WHEN COALESCE(NEW.device_time_local, 0) <> 0 THEN 1 ELSE 0 END,
           NEW.received_at - COALESCE(NEW.device_time, NEW.received_at),
           NEW.value, NEW.components, NEW.special, NEW.original_value, COALESCE(NEW.flags, ''),
           NEW.seq,
           CASE WHEN NEW.dedup_key IS (CASE WHEN NEW.seq IS NOT NULL
                                            THEN 'seq:' || NEW.seq || ':' || NEW.kind
                                            WHEN NEW.device_time IS NOT NULL
                                            THEN 'time:' || NEW.device_time || ':' || NEW.kind END)
                THEN NULL ELSE NEW.dedup_key END
    FROM reading_codes c
    WHERE c.kind = NEW.kind AND c.loinc = NEW.loinc AND c.unit = NEW.unit
      AND c.source = NEW.source AND c.original_unit = COALESCE(NEW.original_unit, '')
      AND c.component_keys = '';  -- components kept as written
END;
