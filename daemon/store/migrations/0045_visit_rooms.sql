-- 0045 The node each video visit's room lives on (issue 29, docs/scale-out.md "Video rooms";
-- owned by vigil::video). With several vigild nodes a visit's participants must reach the same
-- relay: the first node a visit's routes reach pins the room to itself; the others send the
-- visit's requests there (307 with ?node=<id>) while that node is present, and take the room
-- over when it is not. A single box never writes here.
CREATE TABLE visit_rooms (
  visit_id  INTEGER PRIMARY KEY REFERENCES visits (id),
  node_id   TEXT NOT NULL,
  pinned_at INTEGER NOT NULL
);
