-- PLACEHOLDER for the parallel helpers' migration 0027 (lead: DROP this commit on merge; the real 0027 comes from its own branch).
SELECT 1;
