-- 0020 RPM enrolment (issue 21): a provider enrols a patient who holds an active RPM consent in
-- remote monitoring for one condition, with the devices used. Owned by vigil::patients
-- (daemon/patients). Instants are INTEGER milliseconds since the Unix epoch, UTC; the episode's
-- start and end are calendar dates 'YYYY-MM-DD' (the start is CPT 99453's date of service).

-- One episode of remote monitoring for one condition. The ICD-10-CM code is a structured code
-- kept in clear (the uniqueness rule and billing need it); the condition's description is typed
-- text: only a FieldCipher ciphertext bound to the row (AAD rpm_enrolments/description/<id>).
-- Ending sets end_date, end_reason, ended_at and ended_by once; nothing else changes.
CREATE TABLE rpm_enrolments (
  id              INTEGER PRIMARY KEY,
  patient_id      INTEGER NOT NULL REFERENCES patients (id),
  condition_code  TEXT NOT NULL CHECK (length(condition_code) BETWEEN 3 AND 8),
  description_enc BLOB,
  start_date      TEXT NOT NULL CHECK (start_date GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
  enrolled_by     INTEGER NOT NULL,   -- the provider's user id
  enrolled_at     INTEGER NOT NULL,
  end_date        TEXT CHECK (end_date IS NULL OR end_date >= start_date),
  end_reason      TEXT CHECK (end_reason IS NULL OR end_reason IN ('completed', 'consent_withdrawn',
                              'patient_request', 'not_medically_necessary', 'other')),
  ended_at        INTEGER,
  ended_by        INTEGER,            -- the user whose action ended it (the patient who withdrew)
  CHECK ((end_date IS NULL) = (end_reason IS NULL) AND (end_date IS NULL) = (ended_at IS NULL))
);
-- At most one active enrolment per patient and condition: the database refuses a second.
CREATE UNIQUE INDEX rpm_enrolments_one_active ON rpm_enrolments (patient_id, condition_code)
  WHERE end_date IS NULL;
CREATE INDEX rpm_enrolments_by_patient ON rpm_enrolments (patient_id, start_date);
CREATE TRIGGER rpm_enrolments_fixed BEFORE UPDATE OF patient_id, condition_code, start_date,
  enrolled_by, enrolled_at ON rpm_enrolments
  BEGIN SELECT RAISE(ABORT, 'an enrolment is never edited: end it and enrol again'); END;
CREATE TRIGGER rpm_enrolments_ended_once BEFORE UPDATE OF end_date, end_reason, ended_at,
  ended_by ON rpm_enrolments WHEN OLD.end_date IS NOT NULL
  BEGIN SELECT RAISE(ABORT, 'an enrolment ends once'); END;
CREATE TRIGGER rpm_enrolments_no_delete BEFORE DELETE ON rpm_enrolments
  BEGIN SELECT RAISE(ABORT, 'enrolments are kept'); END;

-- The devices used in an episode, as chosen at enrolment (each was assigned to the patient
-- then); kept with the enrolment even after a device is reassigned or retired.
CREATE TABLE rpm_enrolment_devices (
  enrolment_id INTEGER NOT NULL REFERENCES rpm_enrolments (id),
  device_id    INTEGER NOT NULL REFERENCES devices (id),
  PRIMARY KEY (enrolment_id, device_id)
) WITHOUT ROWID;
CREATE TRIGGER rpm_enrolment_devices_no_delete BEFORE DELETE ON rpm_enrolment_devices
  BEGIN SELECT RAISE(ABORT, 'enrolment devices are kept'); END;
