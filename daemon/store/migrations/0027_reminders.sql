-- 0027 Appointment reminders (issue 22): the patient's reminder settings and the record of each
-- reminder (24 h and 1 h before a booked appointment) and waitlist-offer notice. Owned by
-- vigil::scheduling (daemon/scheduling/src/reminders.cpp). Times are INTEGER milliseconds since
-- the Unix epoch, UTC. No PHI here: the address a message went to is not kept (it is read from
-- the patient record's contact section when the message is written, and travels sealed in the
-- cloud link's outbox entry).

-- How a patient wants to be reminded: a channel (email, sms, none) and how much a message may
-- say (minimal: the clinic and the time; detailed: also the provider's name and the visit type).
-- No row: email, minimal.
CREATE TABLE reminder_settings (
  patient_id  INTEGER PRIMARY KEY REFERENCES patients (id),
  channel     TEXT NOT NULL CHECK (channel IN ('email', 'sms', 'none')),
  detail      TEXT NOT NULL CHECK (detail IN ('minimal', 'detailed')),
  updated_by  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
);

-- THE once-only constraint: one row per (appointment, kind), inserted in the write job that
-- enqueues the notify.send (outcome 'sent', its outbox entry) or decides not to send
-- ('skipped' and why: the patient chose none, no address on the record, the cloud link is not
-- enrolled, booked after the 24 h moment, or superseded by the 1 h reminder). A second attempt
-- violates the primary key and sends nothing.
CREATE TABLE appointment_reminders (
  appointment_id INTEGER NOT NULL REFERENCES appointments (id),
  kind           TEXT NOT NULL CHECK (kind IN ('24h', '1h')),
  due_at         INTEGER NOT NULL,
  outcome        TEXT NOT NULL CHECK (outcome IN ('sent', 'skipped')),
  reason         TEXT,
  channel        TEXT CHECK (channel IN ('email', 'sms')),
  outbox_entry   TEXT,
  recorded_at    INTEGER NOT NULL,
  PRIMARY KEY (appointment_id, kind)
) WITHOUT ROWID;

-- The notice of a waitlist offer, once per offer, in the offer's own write job.
CREATE TABLE waitlist_offer_notices (
  offer_id     INTEGER PRIMARY KEY REFERENCES waitlist_offers (id),
  outcome      TEXT NOT NULL CHECK (outcome IN ('sent', 'skipped')),
  reason       TEXT,
  channel      TEXT CHECK (channel IN ('email', 'sms')),
  outbox_entry TEXT,
  recorded_at  INTEGER NOT NULL
);

-- What the reminders task reads every minute: booked appointments starting within 24 hours.
CREATE INDEX appointments_booked_by_start ON appointments (starts_at) WHERE state = 'booked';
