-- PLACEHOLDER on branch wip/22-ondemand only (numbers are gap-free): another helper's migration 0027
-- takes this number on main. DROP THIS FILE WHEN MERGING.
SELECT 1;
