-- 0025 Scheduling (issue 22): providers' availability, appointment types, bookings that cannot
-- double-book, and the waitlist. Owned by vigil::scheduling (daemon/scheduling). Times are
-- INTEGER milliseconds since the Unix epoch, UTC; local (wall-clock) times are minutes since
-- 1970-01-01T00:00 in the provider's own zone (std::chrono::local_seconds / 60). No PHI here
-- except the free-text cancel note (appointments.cancel_note_enc, FieldCipher, AAD
-- appointments/cancel_note/<id>).

-- One row per provider who takes bookings: their IANA zone and the buffer kept free after each
-- visit (minutes, a multiple of 5).
CREATE TABLE schedule_settings (
  provider_user_id INTEGER PRIMARY KEY REFERENCES users (id),
  time_zone        TEXT NOT NULL,
  buffer_minutes   INTEGER NOT NULL DEFAULT 0
                   CHECK (buffer_minutes BETWEEN 0 AND 120 AND buffer_minutes % 5 = 0),
  updated_by       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL
);

-- What can be booked: a name, a length (a multiple of 5 minutes), video or in person, a new
-- patient or a follow-up. A retired type (active = 0) is no longer offered; bookings keep it.
CREATE TABLE appointment_types (
  id               INTEGER PRIMARY KEY,
  name             TEXT NOT NULL UNIQUE,
  duration_minutes INTEGER NOT NULL
                   CHECK (duration_minutes BETWEEN 5 AND 480 AND duration_minutes % 5 = 0),
  modality         TEXT NOT NULL CHECK (modality IN ('video', 'in_person')),
  visit_kind       TEXT NOT NULL CHECK (visit_kind IN ('new', 'follow_up')),
  active           INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
  updated_at       INTEGER NOT NULL
);

-- A provider's weekly hours: ISO weekday (1 = Monday .. 7 = Sunday) and local start and end
-- minutes of the day. The types it offers are listed in schedule_template_types; none: all.
CREATE TABLE schedule_templates (
  id               INTEGER PRIMARY KEY,
  provider_user_id INTEGER NOT NULL REFERENCES users (id),
  weekday          INTEGER NOT NULL CHECK (weekday BETWEEN 1 AND 7),
  start_minute     INTEGER NOT NULL CHECK (start_minute BETWEEN 0 AND 1439 AND start_minute % 5 = 0),
  end_minute       INTEGER NOT NULL CHECK (end_minute BETWEEN 5 AND 1440 AND end_minute % 5 = 0),
  CHECK (end_minute > start_minute)
);
CREATE INDEX schedule_templates_by_provider ON schedule_templates (provider_user_id, weekday);

CREATE TABLE schedule_template_types (
  template_id INTEGER NOT NULL REFERENCES schedule_templates (id) ON DELETE CASCADE,
  type_id     INTEGER NOT NULL REFERENCES appointment_types (id),
  PRIMARY KEY (template_id, type_id)
) WITHOUT ROWID;

-- Time off: a local range [starts_local_min, ends_local_min) in the provider's zone (a whole-day
-- range runs from a day's 00:00 to the next day's 00:00). The kind only, never a reason text.
CREATE TABLE schedule_exceptions (
  id               INTEGER PRIMARY KEY,
  provider_user_id INTEGER NOT NULL REFERENCES users (id),
  starts_local_min INTEGER NOT NULL,
  ends_local_min   INTEGER NOT NULL CHECK (ends_local_min > starts_local_min),
  kind             TEXT NOT NULL CHECK (kind IN ('leave', 'holiday', 'other')),
  created_by       INTEGER NOT NULL,
  created_at       INTEGER NOT NULL
);
CREATE INDEX schedule_exceptions_by_provider ON schedule_exceptions (provider_user_id, starts_local_min);

-- The bookings. A cancelled, rescheduled (its successor names it in rescheduled_from), no-show
-- or completed appointment keeps its row; only a booked one holds claims.
CREATE TABLE appointments (
  id               INTEGER PRIMARY KEY,
  provider_user_id INTEGER NOT NULL REFERENCES users (id),
  patient_id       INTEGER NOT NULL REFERENCES patients (id),
  type_id          INTEGER NOT NULL REFERENCES appointment_types (id),
  starts_at        INTEGER NOT NULL,
  ends_at          INTEGER NOT NULL CHECK (ends_at > starts_at),
  state            TEXT NOT NULL DEFAULT 'booked'
                   CHECK (state IN ('booked', 'cancelled', 'rescheduled', 'no_show', 'completed')),
  cancel_reason    TEXT CHECK (cancel_reason IN ('patient_request', 'provider_unavailable',
                                                 'clinic_closed', 'other')),
  cancel_note_enc  BLOB,
  booked_by        INTEGER NOT NULL,
  booked_at        INTEGER NOT NULL,
  changed_by       INTEGER,
  changed_at       INTEGER,
  visit_id         INTEGER REFERENCES visits (id),
  rescheduled_from INTEGER REFERENCES appointments (id)
);
CREATE INDEX appointments_by_provider ON appointments (provider_user_id, starts_at);
CREATE INDEX appointments_by_patient ON appointments (patient_id, starts_at);

-- THE constraint against double-booking: a booked appointment holds one row per 5-minute
-- granule (epoch minute / 5) of [starts_at, ends_at + the provider's buffer), inserted in the
-- booking's transaction. A second booking touching a held granule violates the primary key,
-- whatever the concurrency; the service answers it as slot_taken.
CREATE TABLE appointment_claims (
  provider_user_id INTEGER NOT NULL,
  minute_granule   INTEGER NOT NULL,
  appointment_id   INTEGER NOT NULL REFERENCES appointments (id),
  PRIMARY KEY (provider_user_id, minute_granule)
) WITHOUT ROWID;
CREATE INDEX appointment_claims_by_appointment ON appointment_claims (appointment_id);

-- The same for the patient over [starts_at, ends_at) (no buffer): a patient is never booked
-- twice at overlapping times (answered as patient_busy).
CREATE TABLE appointment_patient_claims (
  patient_id     INTEGER NOT NULL,
  minute_granule INTEGER NOT NULL,
  appointment_id INTEGER NOT NULL REFERENCES appointments (id),
  PRIMARY KEY (patient_id, minute_granule)
) WITHOUT ROWID;
CREATE INDEX appointment_patient_claims_by_appointment ON appointment_patient_claims (appointment_id);

-- The waitlist: a patient waiting for a type with one provider (or any, NULL) between two
-- instants. When a cancellation frees a slot, the first matching waiting entry (oldest first)
-- gets an offer with an expiry; accepting it books the slot like any booking.
CREATE TABLE waitlist_entries (
  id               INTEGER PRIMARY KEY,
  patient_id       INTEGER NOT NULL REFERENCES patients (id),
  provider_user_id INTEGER REFERENCES users (id),
  type_id          INTEGER NOT NULL REFERENCES appointment_types (id),
  earliest_at      INTEGER NOT NULL,
  latest_at        INTEGER NOT NULL CHECK (latest_at > earliest_at),
  state            TEXT NOT NULL DEFAULT 'waiting'
                   CHECK (state IN ('waiting', 'offered', 'booked', 'removed')),
  created_by       INTEGER NOT NULL,
  created_at       INTEGER NOT NULL
);
CREATE INDEX waitlist_entries_waiting ON waitlist_entries (state, type_id, created_at);

CREATE TABLE waitlist_offers (
  id               INTEGER PRIMARY KEY,
  entry_id         INTEGER NOT NULL REFERENCES waitlist_entries (id),
  provider_user_id INTEGER NOT NULL REFERENCES users (id),
  starts_at        INTEGER NOT NULL,
  ends_at          INTEGER NOT NULL,
  expires_at       INTEGER NOT NULL,
  state            TEXT NOT NULL DEFAULT 'open'
                   CHECK (state IN ('open', 'accepted', 'expired', 'declined')),
  created_at       INTEGER NOT NULL,
  appointment_id   INTEGER REFERENCES appointments (id)
);
CREATE INDEX waitlist_offers_by_entry ON waitlist_offers (entry_id);
