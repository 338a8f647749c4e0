-- PLACEHOLDER on branch wip/21-staffui only: the number 0019 belongs to the patient record
-- (wip/21-record). It lets 0021 build without a gap on this branch; drop this file at merge.
SELECT 1;
