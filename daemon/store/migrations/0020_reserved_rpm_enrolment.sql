-- PLACEHOLDER on branch wip/21-staffui only: the number 0020 belongs to RPM enrolment
-- (wip/21-rpm). It lets 0021 build without a gap on this branch; drop this file at merge.
SELECT 1;
