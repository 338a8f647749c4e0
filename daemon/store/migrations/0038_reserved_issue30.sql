-- 0038 PLACEHOLDER on branch wip/30-rpm only: number 0038 is another issue-30 helper's. This
-- file exists so the numbering has no gap on this branch; drop it when merging (that helper's
-- 0038 takes its place).
SELECT 1;
