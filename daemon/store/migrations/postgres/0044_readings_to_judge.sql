-- 0044 Readings waiting for the alert node: see ../0044_readings_to_judge.sql (the same table
-- on PostgreSQL).
CREATE TABLE readings_to_judge (
  reading_id BIGINT PRIMARY KEY
);
