-- 0009 Readings by reception time (issue 17): the alert engine warms its windows up at start
-- from the readings received in the last days. Reading ids follow storage order, not reception
-- order (a backfill or a hub's backlog is stored after readings received later), so the
-- selection goes through this index instead of bisecting ids. received_at only grows for live
-- readings, so inserts append at the index's end.
CREATE INDEX readings_by_received ON readings (received_at);
