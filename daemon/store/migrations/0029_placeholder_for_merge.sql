-- PLACEHOLDER for the parallel helpers' migration 0029 (lead: DROP this commit on merge; the real 0029 comes from its own branch).
SELECT 1;
