-- 0002 registry: patients (identifiers encrypted), devices, which patient had which device
-- when, readings stored exactly once, and the quarantine for device input that was refused.
-- Times are INTEGER milliseconds since the Unix epoch, UTC.

CREATE TABLE patients (
  id              INTEGER PRIMARY KEY,
  mrn_bidx        BLOB UNIQUE,       -- HMAC-SHA256 blind index of the normalised MRN
  mrn_enc         BLOB,              -- FieldCipher ciphertexts, AAD = patients/<column>/<id>
  given_name_enc  BLOB,
  family_name_enc BLOB,
  birth_date_enc  BLOB,
  time_zone       TEXT NOT NULL DEFAULT 'UTC',  -- IANA zone: day counting for RPM billing
  state           TEXT,                         -- two-letter state of residence (licensing)
  user_id         INTEGER,                      -- portal account, if any
  active          INTEGER NOT NULL DEFAULT 1,
  created_at      INTEGER NOT NULL
);

CREATE TABLE devices (
  id           INTEGER PRIMARY KEY,
  uid          TEXT NOT NULL UNIQUE CHECK (length(uid) BETWEEN 1 AND 64),
  kind         TEXT NOT NULL CHECK (kind IN ('blood_pressure', 'pulse_oximeter', 'weight_scale',
                                             'thermometer', 'glucometer', 'heart_rate', 'hub')),
  model        TEXT NOT NULL DEFAULT '',
  serial       TEXT NOT NULL DEFAULT '',
  firmware     TEXT NOT NULL DEFAULT '',
  credential   TEXT NOT NULL DEFAULT 'certificate' CHECK (credential IN ('certificate', 'password')),
  status       TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'retired')),
  battery_pct  INTEGER CHECK (battery_pct BETWEEN 0 AND 100),
  last_seen_at INTEGER,
  created_at   INTEGER NOT NULL,
  retired_at   INTEGER
);

-- One row per period a device belonged to a patient; the open period has valid_until NULL.
CREATE TABLE device_assignments (
  id          INTEGER PRIMARY KEY,
  device_id   INTEGER NOT NULL REFERENCES devices (id),
  patient_id  INTEGER NOT NULL REFERENCES patients (id),
  valid_from  INTEGER NOT NULL,
  valid_until INTEGER,
  assigned_by INTEGER,
  CHECK (valid_until IS NULL OR valid_until >= valid_from)
);
CREATE UNIQUE INDEX device_assignments_current ON device_assignments (device_id)
  WHERE valid_until IS NULL;
CREATE INDEX device_assignments_by_device ON device_assignments (device_id, valid_from);
CREATE INDEX device_assignments_by_patient ON device_assignments (patient_id, valid_from);

-- A reading is unique per device and dedup key ("seq:<n>:<kind>" when the device numbers its
-- readings, else "time:<device time ms>:<kind>"): a redelivered or resent reading finds its row.
CREATE TABLE readings (
  id                INTEGER PRIMARY KEY,
  device_id         INTEGER NOT NULL REFERENCES devices (id),
  patient_id        INTEGER REFERENCES patients (id),  -- NULL: device unassigned at measurement
  dedup_key         TEXT NOT NULL,
  kind              TEXT NOT NULL,
  loinc             TEXT NOT NULL,
  unit              TEXT NOT NULL,                      -- UCUM
  value             REAL,                               -- NULL for panels and special values
  components        TEXT,                               -- JSON {"<loinc>": value, ...} for panels
  special           TEXT,                               -- NaN, NRes, +INF, -INF, reserved
  original_value    REAL,
  original_unit     TEXT,
  flags             TEXT NOT NULL DEFAULT '',
  device_time       INTEGER,
  device_time_local INTEGER NOT NULL DEFAULT 0,         -- 1: device clock without offset
  received_at       INTEGER NOT NULL,
  seq               INTEGER,
  source            TEXT NOT NULL,                      -- mqtt-json, mqtt-gatt, ble
  UNIQUE (device_id, dedup_key)
);
CREATE INDEX readings_by_patient ON readings (patient_id, loinc, device_time);

-- Device input that could not be stored, kept for review. The payload may hold PHI, so it is
-- kept only encrypted; reason and detail never hold values.
CREATE TABLE quarantine (
  id           INTEGER PRIMARY KEY,
  received_at  INTEGER NOT NULL,
  device_uid   TEXT,
  topic_kind   TEXT,
  reason       TEXT NOT NULL,
  detail       TEXT NOT NULL DEFAULT '',
  payload_size INTEGER NOT NULL,
  payload_enc  BLOB
);
CREATE INDEX quarantine_by_reason ON quarantine (reason, received_at);
