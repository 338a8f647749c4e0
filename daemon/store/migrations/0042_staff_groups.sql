-- 0040 Clinic groups of staff (issue 30, owned by vigil::security): the practice's admins group
-- providers and nurses ("North clinic", "Cardiology team") so that a report covers one group
-- rather than one provider or the whole practice (docs/reports.md, "Clinic groups").
--
-- A group's name is unique ignoring case (COLLATE NOCASE folds ASCII letters only: "north
-- clinic" and "North Clinic" are one name). Deleting a group deletes its memberships (the
-- service deletes them itself in the same job; the cascade is there for any other path).
-- staff_group_members_by_user answers "which groups is this user in" without a scan; the
-- primary key answers "who is in this group".
CREATE TABLE staff_groups (
  id         INTEGER PRIMARY KEY,
  name       TEXT NOT NULL COLLATE NOCASE UNIQUE CHECK (length(name) BETWEEN 1 AND 100),
  created_at INTEGER NOT NULL
);

CREATE TABLE staff_group_members (
  group_id INTEGER NOT NULL REFERENCES staff_groups (id) ON DELETE CASCADE,
  user_id  INTEGER NOT NULL REFERENCES users (id),
  PRIMARY KEY (group_id, user_id)
) WITHOUT ROWID;
CREATE INDEX staff_group_members_by_user ON staff_group_members (user_id, group_id);
