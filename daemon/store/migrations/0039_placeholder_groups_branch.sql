-- 0039 PLACEHOLDER on branch wip/30-groups only: migrations must be numbered without gaps, and
-- 0039 belongs to another issue-30 branch. Drop this file when merging (the other branch brings
-- the real 0039).
SELECT 1;
