-- 0045 The node each video visit's room lives on: see ../0045_visit_rooms.sql (the same table on
-- PostgreSQL).
CREATE TABLE visit_rooms (
  visit_id  BIGINT PRIMARY KEY REFERENCES visits (id),
  node_id   TEXT NOT NULL,
  pinned_at BIGINT NOT NULL
);
