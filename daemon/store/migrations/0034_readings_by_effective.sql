-- 0034 Readings by patient and effective time (issue 26): the FHIR API searches a patient's
-- Observations by date and pages them in order of their effective time (the device's time when
-- it had a UTC offset, else the receipt time: Observation.effectiveDateTime). The expression is
-- the one daemon/readings/src/observation_search.cpp queries with (SQLite uses an expression
-- index only for the same expression), so a page is an index range scan that stops at _count.
CREATE INDEX readings_by_patient_effective ON readings (
  patient_id,
  (CASE WHEN device_time IS NOT NULL AND device_time_local = 0 THEN device_time ELSE received_at END),
  id
);
