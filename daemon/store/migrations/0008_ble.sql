-- 0008 BLE: the last known link state of each BLE device the box paired or tried to pair (issue
-- 11 follow-up), written by the BLE gateway on every state change, so admins see where a device
-- stood and when it was last connected across restarts and while BlueZ or the adapter is away.
-- Devices only ever discovered (never paired) are not kept: a clinic's waiting room is full of
-- them. No PHI: an address and its registry uid identify a device, not a patient.
-- Times are INTEGER milliseconds since the Unix epoch (UTC).
CREATE TABLE ble_links (
  address           TEXT PRIMARY KEY,  -- "C4:7C:8D:6A:12:34"
  uid               TEXT NOT NULL,     -- registry uid "ble-C47C8D6A1234"
  state             TEXT NOT NULL,     -- BleGateway DeviceState name (paired, connected, …)
  reason            TEXT NOT NULL DEFAULT '',
  changed_at        INTEGER NOT NULL,
  last_connected_at INTEGER            -- NULL: never connected
) WITHOUT ROWID;
