-- 0044 Readings waiting for the alert node (issue 29, docs/scale-out.md "Alert evaluation";
-- written by vigil::ingest, read and emptied through vigil::readings). With several vigild
-- nodes (cluster.node_id on PostgreSQL) the node that stores a reading adds its id here in the
-- reading's own transaction, and the one alert node judges it and removes it. Ids of
-- concurrent transactions commit out of order, so a high-water mark (alerts.evaluated_through)
-- would skip some; a queue loses none. A single box judges in process and never writes here.
-- No foreign key: a reading deleted before it was judged is skipped, not an error.
CREATE TABLE readings_to_judge (
  reading_id INTEGER PRIMARY KEY
);
