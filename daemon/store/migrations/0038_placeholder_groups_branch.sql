-- 0038 PLACEHOLDER on branch wip/30-groups only: migrations must be numbered without gaps, and
-- 0038 belongs to another issue-30 branch. Drop this file when merging (the other branch brings
-- the real 0038).
SELECT 1;
