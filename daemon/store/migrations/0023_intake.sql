-- 0023 Intake (issue 21, onboarding): whether a patient finished the intake wizard, and the
-- photos of their insurance cards. Owned by vigil::patients (daemon/patients, intake.hpp). Times
-- are INTEGER milliseconds since the Unix epoch, UTC.
--
-- patient_intake: one row once the intake is completed (by the patient in the wizard, or by
-- staff at the front desk); completing it again moves the time on.
CREATE TABLE patient_intake (
  patient_id    INTEGER PRIMARY KEY REFERENCES patients (id),
  completed_at  INTEGER NOT NULL,
  completed_by  INTEGER NOT NULL,    -- the user (the patient, or staff)
  completed_role TEXT NOT NULL
);

-- One photo per patient, coverage and side; a new upload replaces it (the audit chain keeps who
-- changed it and when). The image is PHI: a FieldCipher ciphertext bound to the row (AAD
-- insurance_card_images/image/<id>), re-written on the box without its metadata (EXIF, GPS,
-- text chunks) before it is encrypted.
CREATE TABLE insurance_card_images (
  id           INTEGER PRIMARY KEY,
  patient_id   INTEGER NOT NULL REFERENCES patients (id),
  coverage     TEXT NOT NULL CHECK (coverage IN ('primary', 'secondary')),
  side         TEXT NOT NULL CHECK (side IN ('front', 'back')),
  media_type   TEXT NOT NULL CHECK (media_type IN ('image/jpeg', 'image/png')),
  size_bytes   INTEGER NOT NULL,
  image_enc    BLOB NOT NULL,
  uploaded_at  INTEGER NOT NULL,
  uploaded_by  INTEGER NOT NULL,
  UNIQUE (patient_id, coverage, side)
);
