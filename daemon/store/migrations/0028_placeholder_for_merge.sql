-- PLACEHOLDER for the parallel helpers' migration 0028 (lead: DROP this commit on merge; the real 0028 comes from its own branch).
SELECT 1;
