#include "vigil/app/config.hpp"

#include <Poco/AutoPtr.h>
#include <Poco/Exception.h>
#include <Poco/File.h>
#include <Poco/Util/PropertyFileConfiguration.h>

#include <algorithm>
#include <charconv>
#include <sstream>

#include "vigil/core/error.hpp"
#include "vigil/core/time_zone.hpp"
#include "vigil/ingest/broker_session.hpp"

namespace vigil::app {
namespace {

using Type = ConfigKey::Type;

/// The box itself: data, log, store, web.
void serviceKeys(std::vector<ConfigKey>& keys) {
  keys.insert(
      keys.end(),
      {
          {"data.dir", Type::path, "/var/lib/vigil",
           "Directory for the database, keys, certificates and broker state. Must be writable by "
           "the "
           "service user."},
          {"log.level",
           Type::choice,
           "info",
           "Lowest level written to the log.",
           0,
           0,
           {"debug", "info", "warn", "error"}},
          {"store.backend",
           Type::choice,
           "sqlite",
           "The store's engine: sqlite (one file, one box) or postgres (a PostgreSQL 15 "
           "database, for several vigild nodes; docs/scale-out.md).",
           0,
           0,
           {"sqlite", "postgres"}},
          {"store.path", Type::path, "",
           "SQLite database file. Empty means `<data.dir>/vigil.db`."},
          {"store.conninfo", Type::string, "",
           "With store.backend = postgres: the libpq connection string or URL (e.g. `host=db1,db2 "
           "dbname=vigil user=vigil target_session_attrs=read-write sslmode=verify-full`). Keep "
           "the password out of it: ~/.pgpass or PGPASSFILE."},
          {"store.readers", Type::integer, "4", "Read-only connections kept open for queries.", 1,
           32},
          {"store.batch_max", Type::integer, "500",
           "Most write jobs the single writer commits in one transaction.", 1, 100000},
          {"store.batch_linger_us", Type::integer, "1000",
           "Group commit: when at least store.commit_siblings other writes are already queued, how "
           "long (microseconds) the writer waits for more before it commits a batch of fewer than "
           "store.batch_max jobs (fewer fsyncs under load). A lone write commits at once. 0 never "
           "waits.",
           0, 100000},
          {"store.commit_siblings", Type::integer, "1",
           "How many other writes must be queued behind the one the writer takes before it waits "
           "store.batch_linger_us for more (PostgreSQL's commit_siblings).",
           0, 100000},
          {"store.busy_timeout_ms", Type::integer, "5000",
           "How long a connection waits on a lock before reporting busy.", 100, 600000},
          {"web.bind", Type::string, "127.0.0.1",
           "Address the portal and API listen on. Use 0.0.0.0 to serve the clinic network."},
          {"web.port", Type::integer, "8443",
           "TCP port of the portal and API (0 picks a free port).", 0, 65535},
          {"web.tls.cert", Type::path, "",
           "PEM certificate chain the portal serves. Empty serves plain HTTP, which is only "
           "allowed "
           "when web.bind is a loopback address (development and tests)."},
          {"web.tls.key", Type::path, "", "PEM private key of web.tls.cert (mode 0600)."},
          {"web.metrics_token", Type::string, "",
           "Bearer token a Prometheus server off the box sends to read /metrics (at least 32 "
           "characters; keep this file mode 0640). Empty: only clients on the box itself "
           "(loopback) "
           "may read /metrics."},
          {"web.redirect_port", Type::integer, "0",
           "Plain-HTTP port that redirects every request to HTTPS (0: no redirect listener).", 0,
           65535},
          {"web.threads", Type::integer, "8", "Most requests served at once.", 1, 256},
          {"web.max_body_bytes", Type::integer, "1048576",
           "Largest request body accepted; larger requests get 413.", 1024, 104857600},
          {"web.assets_dir", Type::path, "",
           "Directory of the portal's pages and assets (index.html and assets/). The build puts it "
           "in <build>/portal, packages in /usr/share/vigil/portal. Empty: no portal, API only."},
          {"web.max_websockets", Type::integer, "32",
           "Most live-update (WebSocket) connections at once; each holds a server thread.", 1,
           1024},
          {"web.max_media_websockets", Type::integer, "32",
           "Most video-visit media (WebSocket) connections at once, a pool apart from live updates "
           "so those cannot keep a visit from connecting; each holds a server thread.",
           1, 1024},
          {"web.max_websockets_per_user", Type::integer, "4",
           "Most WebSocket connections one signed-in user holds in each pool (tabs, a reconnect "
           "overlapping the old socket); more are refused and leave the other users' slots alone.",
           1, 64},
          {"web.port_file", Type::path, "",
           "If set, the port actually bound is written to this file after start-up (for tests and "
           "scripts that use port 0)."},
          {"web.public_url", Type::string, "",
           "The portal's address as patients reach it, https://host[:port] with no path: the "
           "origin of the links the box sends (patient invitations; appointment reminders' join "
           "links; the FHIR API's SMART token URL, <web.public_url>/fhir/auth/token, which every "
           "EHR assertion's aud must name exactly). Empty: invitations use the address the staff "
           "member's browser used; reminders carry no link; the FHIR token endpoint refuses every "
           "request."},
      });
}

/// How devices reach the box: mqtt, pki, ingest, ble.
void deviceKeys(std::vector<ConfigKey>& keys) {
  keys.insert(
      keys.end(),
      {
          {"cluster.node_id", Type::string, "",
           "This node's id when several vigild nodes share the work (docs/scale-out.md); empty: a "
           "single box. Set: the node connects as <mqtt.client_id>-<node_id> (certificate "
           "<data.dir>/pki/clients/<mqtt.client_id>-<node_id>.pem, issued by `vigil-devtool "
           "provision broker --node ID`), subscribes with MQTT v5 shared subscriptions "
           "($share/vigil/...) so the broker spreads devices' messages across the nodes, and its "
           "broker session ends with its connection. With store.backend = postgres the nodes "
           "also share the alerts (one alert node judges every node's readings, the others "
           "follow) and live events (LISTEN/NOTIFY). 1-32 of [A-Za-z0-9_-]."},
          {"mqtt.enabled", Type::boolean, "true",
           "Connect to the broker and ingest device readings. Off: no MQTT ingest (a portal-only "
           "node, or a clinic with BLE devices only: ingest then runs for BLE alone)."},
          {"mqtt.host", Type::string, "127.0.0.1", "Broker host (its certificate must name it)."},
          {"mqtt.port", Type::integer, "8883",
           "Broker TLS port of the client-certificate listener.", 1, 65535},
          {"mqtt.client_id", Type::string, "vigild",
           "Client id of the box's persistent session; also the certificate name under "
           "<data.dir>/pki/clients/. The broker uses the certificate's name as the client id, so "
           "keep them equal. A cluster node adds -<cluster.node_id>."},
          {"mqtt.ca_file", Type::path, "",
           "CA that signed the broker certificate. Empty: <data.dir>/pki/ca.pem."},
          {"mqtt.cert_file", Type::path, "",
           "The box's client certificate. Empty: <data.dir>/pki/clients/<client id>.pem (the "
           "client id with cluster.node_id, as above)."},
          {"mqtt.key_file", Type::path, "",
           "The box's client key. Empty: <data.dir>/pki/clients/<client id>.key."},
          {"mqtt.keepalive_s", Type::integer, "30", "MQTT keepalive in seconds.", 5, 600},
          {"pki.enabled", Type::boolean, "true",
           "Issue and revoke device credentials from the admin portal (device bundle and revoke "
           "routes). They need the device CA; without one (or with this off) the routes are not "
           "served and the portal says so."},
          {"pki.broker_dir", Type::path, "",
           "Directory prepared by `vigil-provision broker --data DIR`: the device CA in DIR/pki, "
           "the "
           "broker's ACL, password file, pid file and device endpoint in DIR/mosquitto. Revocation "
           "rewrites the CRL and the ACL there and reloads the broker. Empty: data.dir."},
          {"pki.ca_dir", Type::path, "",
           "Device CA directory (as `vigil-provision --ca`). Empty: <pki.broker_dir>/pki. Its "
           "ca.key "
           "must be readable by vigild only (mode 0600)."},
          {"ingest.queue_capacity", Type::integer, "20000",
           "Messages held between the broker and the store before new ones are refused.", 100,
           1000000},
          {"ingest.pause_above", Type::integer, "10000",
           "Queue depth above which ingest pauses the broker connection (back-pressure).", 10,
           1000000},
          {"ingest.resume_below", Type::integer, "2000",
           "Queue depth below which a paused ingest resumes.", 0, 1000000},
          {"ingest.max_payload_bytes", Type::integer, "65536",
           "Largest device message accepted; larger ones are quarantined as oversized.", 256,
           16777216},
          {"ingest.device_rate", Type::integer, "20",
           "Sustained messages per second one device may send (0: unlimited); beyond it messages "
           "get no ack (counted as rate_limited; the device resends them later).",
           0, 100000},
          {"ingest.device_burst", Type::integer, "200",
           "Messages one device may send at once before its rate applies.", 1, 1000000},
          {"ingest.quarantine_rows_per_device", Type::integer, "1000",
           "Quarantined messages kept per device; beyond it the oldest rows go (0: no limit).", 0,
           100000000},
          {"ingest.quarantine_bytes_per_device", Type::integer, "262144",
           "Quarantined payload bytes (encrypted) kept per device; beyond it the oldest payloads "
           "go "
           "and their rows stay (0: no limit).",
           0, 1073741824},
          {"ingest.quarantine_rows", Type::integer, "100000",
           "Quarantined messages kept in all; beyond it the oldest rows go (0: no limit).", 0,
           1000000000},
          {"ingest.quarantine_bytes", Type::integer, "67108864",
           "Quarantined payload bytes kept in all; beyond it the oldest payloads go (0: no limit).",
           0, 68719476736},
          {"ingest.quarantine_retention_days", Type::integer, "90",
           "Days a quarantined message is kept for review (0: until a limit drops it).", 0, 3650},
          {"ingest.future_slack_minutes", Type::integer, "10",
           "A reading timed further ahead of the box's clock than this is kept for review "
           "(quarantine reason future_time) instead of stored.",
           1, 1440},
          {"ble.enabled", Type::boolean, "true",
           "Read Bluetooth LE health devices through BlueZ on the box's own adapter (builds with "
           "VIGIL_WITH_BLE; works with mqtt.enabled off too). Without an adapter or BlueZ the "
           "daemon runs on and says so once."},
          {"ble.bus_address", Type::string, "",
           "D-Bus address of the system bus BlueZ is on. Empty: the system bus "
           "(DBUS_SYSTEM_BUS_ADDRESS, else the default socket)."},
          {"ble.adapter", Type::string, "",
           "Bluetooth adapter to use (hci0 …). Empty: the first adapter BlueZ reports."},
          {"ble.retry_ms", Type::integer, "5000",
           "Interval at which the gateway retries the bus, re-powers the adapter and reconnects "
           "paired devices that are out of range.",
           200, 600000},
          {"ble.discover", Type::boolean, "true",
           "Scan for health devices (filtered on the health service UUIDs) so admins can pair "
           "them. Paired devices are reconnected either way."},
      });
}

/// Who may do what and what the box watches: security, audit, alerts.
void careKeys(std::vector<ConfigKey>& keys) {
  keys.insert(
      keys.end(),
      {
          {"security.master_key", Type::path, "",
           "Master key file (created 0600 at first start). Empty: <data.dir>-keys/master.key, "
           "beside "
           "the data directory and not in it (a key found at the old place, <data.dir>/keys/, is "
           "moved there at start). Without it no encrypted field can be read: `vigild backup` "
           "puts it in the encrypted archive; keep the backup passphrase apart from the archives."},
          {"security.session_idle_minutes", Type::integer, "15",
           "A session ends after this many minutes without a request.", 15, 30},
          {"security.session_absolute_hours", Type::integer, "12",
           "A session ends this many hours after sign-in whatever its activity.", 1, 24},
          {"security.step_up_minutes", Type::integer, "5",
           "Sensitive actions (creating users, MFA reset, device credentials, alert limits) need "
           "the "
           "password (and the code, for staff) entered within this many minutes; signing in "
           "counts.",
           1, 15},
          {"security.decision_cache_ms", Type::integer, "2000",
           "How long the web gate may answer from a session and a care team it read before "
           "(0: read them for every request). Changes made through vigild take effect at once; "
           "others (another process, a row edited by hand) within this bound.",
           0, 5000},
          {"security.lockout_max_failures", Type::integer, "5",
           "Failed sign-ins within the window that lock an account.", 1, 100},
          {"security.lockout_window_minutes", Type::integer, "15",
           "Window in which failed sign-ins are counted.", 1, 1440},
          {"security.lockout_duration_minutes", Type::integer, "30",
           "How long a locked account stays locked unless an admin unlocks it.", 1, 100000},
          {"audit.checkpoint_every", Type::integer, "1000",
           "Audit entries between signed checkpoints.", 1, 1000000},
          {"audit.checkpoint_interval_minutes", Type::integer, "60",
           "Longest time between signed checkpoints while entries are written.", 1, 1440},
          {"alerts.ack_critical_minutes", Type::integer, "15",
           "A critical alert not acknowledged within this time escalates.", 1, 1440},
          {"alerts.ack_high_minutes", Type::integer, "60",
           "A high-severity alert not acknowledged within this time escalates.", 1, 10080},
          {"alerts.ack_low_minutes", Type::integer, "1440",
           "A low-severity alert not acknowledged within this time escalates.", 1, 20160},
          {"alerts.ack_info_minutes", Type::integer, "1440",
           "An informational alert not acknowledged within this time escalates.", 1, 20160},
          {"alerts.tick_seconds", Type::integer, "15",
           "How often missing-data rules and overdue acknowledgements are checked: an escalation "
           "reaches the next person at most this long after its deadline.",
           1, 60},
          {"patients.invitation_ttl_hours", Type::integer, "72",
           "How long a patient's portal invitation link stays valid (it is single-use).", 1, 720},
          {"scheduling.clinic_name", Type::string, "the clinic",
           "The clinic's name as appointment reminders and waitlist notices say it (\"you have a "
           "visit with <name> on ...\"). Not PHI; keep it short."},
          {"scheduling.reminder_interval_seconds", Type::integer, "60",
           "How often due appointment reminders (24 h and 1 h before) are looked for: a reminder "
           "leaves at most this long after its moment.",
           5, 3600},
          {"ondemand.average_visit_minutes", Type::integer, "15",
           "The clinic's average on-demand visit length: a waiting patient's estimated wait is "
           "their place in the provider's queue times this.",
           5, 120},
          // Async care (issue 23, docs/cases.md): the clinic's response target.
          {"cases.response_hours", Type::integer, "8",
           "Response target of an async-care case, in business hours (8: one business day).", 1,
           200},
          {"cases.day_start_hour", Type::integer, "9",
           "Business hours start (local hour, Monday to Friday, in cases.time_zone).", 0, 23},
          {"cases.day_end_hour", Type::integer, "17",
           "Business hours end (local hour, after cases.day_start_hour).", 1, 24},
          {"cases.time_zone", Type::string, "UTC",
           "The clinic's IANA time zone for business hours (e.g. America/Chicago).", 0, 0},
          {"cases.escalate_percent", Type::integer, "80",
           "A case not answered when this share of its target has passed escalates to the "
           "covering provider (once).",
           1, 99},
          {"cases.check_seconds", Type::integer, "60",
           "How often vigild looks for cases to escalate.", 5, 3600},
          // Patient satisfaction (issue 30, docs/reports.md "Patient satisfaction").
          {"surveys.notice_interval_seconds", Type::integer, "300",
           "How often vigild looks for video visits ended since its last look and sends each "
           "one's satisfaction survey notice (once) through the cloud link.",
           10, 86400},
      });
}

/// Video visits, and systemd.
void visitKeys(std::vector<ConfigKey>& keys) {
  keys.insert(
      keys.end(),
      {
          {"video.enabled", Type::boolean, "true",
           "Host video visits (WebRTC relay on the box). Ignored by a build without "
           "VIGIL_WITH_VIDEO."},
          {"video.stun_server", Type::string, "",
           "STUN server for patients outside the clinic network, as stun://host:port. Empty: host "
           "candidates only (the clinic network)."},
          {"video.turn_server", Type::string, "",
           "TURN relay for patients behind strict NATs, as turn://user:password@host:port (see "
           "docs/operations.md for coturn). Empty: none."},
          {"video.codec",
           Type::choice,
           "vp8",
           "Video codec of every visit (forwarded as sent, never transcoded).",
           0,
           0,
           {"vp8", "h264"}},
          {"video.max_participants", Type::integer, "4",
           "Most participants connected to one visit at once (provider, patient, caregiver, "
           "interpreter).",
           2, 5},
          {"video.udp_port_min", Type::integer, "0",
           "Lowest UDP port for media (ICE); with video.udp_port_max, the range to open in the "
           "firewall. 0 and 0: any port.",
           0, 65535},
          {"video.udp_port_max", Type::integer, "0", "Highest UDP port for media (ICE).", 0, 65535},
          {"video.latency_ms", Type::integer, "0",
           "0: the relay forwards each RTP packet as it arrives and leaves jitter buffering to "
           "the receiving browser (NACK/RTX and PLI cross the relay end to end). Above 0: a "
           "receive jitter buffer of that many ms inside the relay, added to the call's delay "
           "(the behaviour before 0 became the default; for comparison).",
           0, 1000},
          {"video.stats_interval_seconds", Type::integer, "10",
           "How often each participant's call quality (RTT, jitter, loss, bitrate) is sampled and "
           "kept with the visit (0: never).",
           0, 3600},
          {"video.connect_timeout_seconds", Type::integer, "30",
           "A participant's media session that has not connected (ICE and DTLS) this long after it "
           "opened is ended and the page asked to rejoin, freeing its place in the room (0: "
           "never).",
           0, 600},
          {"video.recording_retention_days", Type::integer, "30",
           "Recordings (encrypted, <data.dir>/recordings) older than this are deleted at start-up "
           "and after each recording.",
           1, 3650},
          {"video.join_early_minutes", Type::integer, "15",
           "How long before a visit's start its participants may join.", 0, 240},
          {"video.join_late_minutes", Type::integer, "30",
           "How long after a visit's scheduled end its participants may still join.", 0, 240},
          {"systemd.watchdog", Type::boolean, "true",
           "Send sd_notify watchdog pings when systemd asks for them (WatchdogSec=)."},
      });
}

/// The cloud link (docs/cloud-api.md, docs/operations.md "Cloud link").
void cloudKeys(std::vector<ConfigKey>& keys) {
  keys.insert(
      keys.end(),
      {
          {"sync.url", Type::string, "",
           "Base URL of the cloud services (https://host[:port]). Empty: the cloud link is off "
           "(licensing, e-prescribing, claims and notifications wait in the outbox)."},
          {"sync.ca_file", Type::path, "",
           "CA certificate (PEM) that signs the cloud's server certificate, trusted for "
           "enrolment; after enrolment the CA the cloud sent is used. Empty: only with sync.url "
           "empty."},
          {"sync.request_timeout_seconds", Type::integer, "30",
           "How long one request to the cloud may take before it counts as unanswered (the "
           "entry goes again later with the same id).",
           1, 600},
          {"sync.retry_base_ms", Type::integer, "2000",
           "Back-off after a failed delivery: the first wait's ceiling; it doubles per failure "
           "up to sync.retry_cap_seconds (full jitter).",
           10, 600000},
          {"sync.retry_cap_seconds", Type::integer, "900",
           "The longest wait between two attempts of one entry.", 1, 86400},
          {"sync.inbox_interval_seconds", Type::integer, "60",
           "How often the box fetches messages from the services (license status, prescription "
           "status, remittances).",
           1, 86400},
          {"sync.retention_days", Type::integer, "30",
           "Delivered outbox entries, applied inbox ids and refused inbound messages are kept "
           "this many days; inbound messages older than this less one day are refused as "
           "stale.",
           2, 3650},
      });
}

/// Claims to the clearinghouse (docs/billing.md, "Submission"): the practice as the 837P's
/// billing provider and submitter. Claims wait (approved) until the required ones are set.
void billingKeys(std::vector<ConfigKey>& keys) {
  keys.insert(
      keys.end(),
      {
          {"billing.submit_interval_seconds", Type::integer, "3600",
           "How often approved claims are sent to the clearinghouse through the cloud link (one "
           "837P batch per billing NPI); admins can also send them at once from the billing "
           "page.",
           60, 86400},
          {"billing.practice_name", Type::string, "",
           "The practice as the claims' billing provider and submitter (837P loops 1000A and "
           "2010AA). Empty: scheduling.clinic_name."},
          {"billing.practice_npi", Type::string, "",
           "The practice's group (type-2) NPI as billing provider. Empty: each claim's billing "
           "provider's own NPI (one batch per NPI)."},
          {"billing.taxonomy", Type::string, "207Q00000X",
           "The billing provider's taxonomy code (PRV*BI), 10 characters (207Q00000X: family "
           "medicine)."},
          {"billing.tax_id", Type::string, "",
           "The practice's federal tax id (EIN), 9 digits. Required to send claims."},
          {"billing.address", Type::string, "",
           "The billing provider's street address (no post office box). Required to send "
           "claims."},
          {"billing.city", Type::string, "", "The billing provider's city. Required."},
          {"billing.state", Type::string, "",
           "The billing provider's state, two letters. Required."},
          {"billing.zip", Type::string, "",
           "The billing provider's ZIP+4, 9 digits (a dash is ignored). Required."},
          {"billing.submitter_id", Type::string, "",
           "The submitter id (ETIN) the clearinghouse assigned the practice, at most 15 "
           "characters. Required."},
          {"billing.contact_name", Type::string, "",
           "Who the clearinghouse calls about a file (PER*IC). Required."},
          {"billing.contact_phone", Type::string, "",
           "The contact's phone number, digits only. Required."},
          {"billing.receiver_id", Type::string, "CLEARHOUSE",
           "The clearinghouse's receiver id (ISA08, loop 1000B), at most 15 characters."},
          {"billing.payer_ids", Type::string, "",
           "Payer ids by payer name as the patient record names it: Name=ID,Name=ID (e.g. "
           "Medicare Part B=13282). A payer not listed is sent under its name's first 10 "
           "letters and digits, which a real clearinghouse refuses."},
          {"billing.test_mode", Type::boolean, "false",
           "Mark the 837P interchanges as test data (ISA15 T) while trying out a clearinghouse."},
      });
}

/// Signed updates and device firmware (docs/operations.md, "Updates"; docs/device-protocol.md,
/// "Firmware").
void updateKeys(std::vector<ConfigKey>& keys) {
  keys.insert(
      keys.end(),
      {
          {"update.trusted_keys_dir", Type::path, "/etc/vigil/trusted-keys",
           "Directory of the release keys `vigild update` trusts: public key files (*.pub) made "
           "by `vigil-devtool sign keygen`. Empty or missing: every bundle is refused."},
          {"update.install_command", Type::string, "apt-get install -y --allow-downgrades {deb}",
           "The command that installs a checked bundle, split at spaces (no shell); {deb} is the "
           "checked private copy. The box's own checks refuse downgrades, not apt."},
          {"update.firmware_keys_dir", Type::path, "/etc/vigil/firmware-keys",
           "Directory of the keys trusted to sign device firmware (*.pub). An image is registered "
           "and offered only when one of them signed it for the purpose firmware."},
          {"update.firmware_dir", Type::path, "",
           "Directory of the registered firmware images. Empty means `<data.dir>/firmware`."},
          {"update.firmware_offer_interval_s", Type::integer, "60",
           "How often the running box looks for devices to offer firmware to (new devices, new "
           "images).",
           1, 86400},
      });
}

std::vector<ConfigKey> buildSchema() {
  std::vector<ConfigKey> keys;
  serviceKeys(keys);
  deviceKeys(keys);
  careKeys(keys);
  visitKeys(keys);
  cloudKeys(keys);
  billingKeys(keys);
  updateKeys(keys);
  return keys;
}

bool parseInteger(const std::string& text, std::int64_t& out) {
  if (text.empty()) return false;
  auto* first = text.data();
  auto* last = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(first, last, out);
  return ec == std::errc{} && ptr == last;
}

std::string validate(const ConfigKey& key, const std::string& raw) {
  switch (key.type) {
    case Type::string:
    case Type::path:
      if (raw.find('\0') != std::string::npos)
        throw ConfigError(key.name + ": contains a NUL byte");
      return raw;
    case Type::integer: {
      std::int64_t v = 0;
      if (!parseInteger(raw, v))
        throw ConfigError(key.name + ": expected an integer, got '" + raw + "'");
      if (v < key.min || v > key.max)
        throw ConfigError(key.name + ": " + raw + " is outside " + std::to_string(key.min) + ".." +
                          std::to_string(key.max));
      return raw;
    }
    case Type::boolean:
      if (raw == "true" || raw == "yes" || raw == "on" || raw == "1") return "true";
      if (raw == "false" || raw == "no" || raw == "off" || raw == "0") return "false";
      throw ConfigError(key.name + ": expected true or false, got '" + raw + "'");
    case Type::choice:
      if (std::find(key.choices.begin(), key.choices.end(), raw) == key.choices.end()) {
        std::string all;
        for (const auto& c : key.choices) all += (all.empty() ? "" : ", ") + c;
        throw ConfigError(key.name + ": '" + raw + "' is not one of " + all);
      }
      return raw;
  }
  return raw;
}

const ConfigKey* findKey(const std::string& name) {
  for (const auto& k : configSchema())
    if (k.name == name) return &k;
  return nullptr;
}

std::string typeName(const ConfigKey& k) {
  switch (k.type) {
    case Type::string:
      return "string";
    case Type::path:
      return "path";
    case Type::integer:
      return "integer " + std::to_string(k.min) + ".." + std::to_string(k.max);
    case Type::boolean:
      return "boolean";
    case Type::choice: {
      std::string all;
      for (const auto& c : k.choices) all += (all.empty() ? "" : " | ") + c;
      return all;
    }
  }
  return "string";
}

}  // namespace

const std::vector<ConfigKey>& configSchema() {
  static const std::vector<ConfigKey> schema = buildSchema();
  return schema;
}

Config Config::defaults() {
  Config c;
  for (const auto& k : configSchema()) c.values_[k.name] = k.defaultValue;
  return c;
}

Config Config::fromMap(const std::map<std::string, std::string>& values) {
  Config c = defaults();
  for (const auto& [k, v] : values) c.set(k, v);
  c.checkCombinations();
  return c;
}

void Config::checkCombinations() const {
  if (integer("cases.day_start_hour") >= integer("cases.day_end_hour"))
    throw ConfigError("cases.day_end_hour: must be after cases.day_start_hour");
  if (!core::isValidZoneName(string("cases.time_zone")))
    throw ConfigError("cases.time_zone: an IANA zone name such as America/Chicago");
  if (const auto& node = string("cluster.node_id"); !node.empty() && !ingest::isValidNodeId(node))
    throw ConfigError(
        "cluster.node_id: 1-32 characters of [A-Za-z0-9_-] starting with a letter or digit");
  if (string("store.backend") == "postgres" && string("store.conninfo").empty())
    throw ConfigError("store.conninfo: required when store.backend is postgres");
  if (const auto& t = string("web.metrics_token"); !t.empty() && t.size() < 32)
    throw ConfigError("web.metrics_token: at least 32 characters");
  const auto& bind = string("web.bind");
  bool loopback = bind == "127.0.0.1" || bind == "::1" || bind == "localhost";
  if (string("web.tls.cert").empty() && !loopback)
    throw ConfigError("web.tls.cert: required when web.bind is not a loopback address");
  if (string("web.tls.cert").empty() != string("web.tls.key").empty())
    throw ConfigError("web.tls.key: web.tls.cert and web.tls.key must be set together");
  const auto portMin = integer("video.udp_port_min");
  const auto portMax = integer("video.udp_port_max");
  if ((portMin == 0) != (portMax == 0) || portMin > portMax)
    throw ConfigError(
        "video.udp_port_max: set both video.udp_port_min and video.udp_port_max "
        "(min <= max), or neither");
  if (const auto& url = string("web.public_url");
      !url.empty() && url.rfind("https://", 0) != 0 && url.rfind("http://", 0) != 0)
    throw ConfigError("web.public_url: must start with https:// (or http:// on loopback)");
  if (const auto& url = string("sync.url"); !url.empty()) {
    if (url.rfind("https://", 0) != 0) throw ConfigError("sync.url: must start with https://");
    if (string("sync.ca_file").empty())
      throw ConfigError("sync.ca_file: required when sync.url is set");
  }
}

void Config::set(const std::string& key, const std::string& value) {
  const ConfigKey* k = findKey(key);
  if (!k) throw ConfigError(key + ": unknown configuration key");
  values_[key] = validate(*k, value);
}

Config Config::load(const std::string& file) {
  Poco::File f(file);
  if (!f.exists()) throw FileMissing(file + ": configuration file does not exist");
  Poco::AutoPtr<Poco::Util::PropertyFileConfiguration> props;
  try {
    props = new Poco::Util::PropertyFileConfiguration(file);
  } catch (const Poco::Exception& e) {
    throw ConfigError(file + ": cannot read configuration file (" + e.displayText() + ")");
  }
  std::map<std::string, std::string> values;
  // Walk the whole key tree: "a.b = 1" appears as root key "a" with child "b".
  std::vector<std::string> pending{""};
  while (!pending.empty()) {
    std::string prefix = pending.back();
    pending.pop_back();
    Poco::Util::AbstractConfiguration::Keys keys;
    props->keys(prefix, keys);
    for (const auto& k : keys) {
      std::string full = prefix.empty() ? k : prefix + "." + k;
      Poco::Util::AbstractConfiguration::Keys children;
      props->keys(full, children);
      if (props->hasOption(full)) values[full] = props->getRawString(full);
      if (!children.empty()) pending.push_back(full);
    }
  }
  return fromMap(values);
}

const std::string& Config::string(const std::string& key) const {
  auto it = values_.find(key);
  if (it == values_.end()) throw ConfigError(key + ": unknown configuration key");
  return it->second;
}

std::int64_t Config::integer(const std::string& key) const {
  std::int64_t v = 0;
  if (!parseInteger(string(key), v)) throw ConfigError(key + ": not an integer");
  return v;
}

bool Config::boolean(const std::string& key) const {
  return string(key) == "true";
}

std::string renderSampleConfig() {
  std::ostringstream out;
  out << "# vigild configuration. Every key with its default; see docs/configuration.md.\n"
         "# Format: key = value. Unknown keys and bad values stop start-up with a message\n"
         "# naming the key.\n";
  std::string section;
  for (const auto& k : configSchema()) {
    std::string s = k.name.substr(0, k.name.find('.'));
    if (s != section) {
      out << "\n# --- " << s << "\n";
      section = s;
    }
    out << "# " << k.description << " (" << typeName(k) << ")\n";
    out << k.name << " = " << k.defaultValue << "\n";
  }
  return out.str();
}

std::string renderConfigReference() {
  std::ostringstream out;
  out << "| key | type | default | meaning |\n| --- | --- | --- | --- |\n";
  for (const auto& k : configSchema()) {
    out << "| `" << k.name << "` | " << typeName(k) << " | `" << k.defaultValue << "` | "
        << k.description << " |\n";
  }
  return out.str();
}

alerts::EscalationPolicy escalationPolicy(const Config& config) {
  alerts::EscalationPolicy policy;
  auto minutes = [&](const char* key) { return std::chrono::minutes(config.integer(key)); };
  policy.ackDeadline[static_cast<std::size_t>(alerts::Severity::critical)] =
      minutes("alerts.ack_critical_minutes");
  policy.ackDeadline[static_cast<std::size_t>(alerts::Severity::high)] =
      minutes("alerts.ack_high_minutes");
  policy.ackDeadline[static_cast<std::size_t>(alerts::Severity::low)] =
      minutes("alerts.ack_low_minutes");
  policy.ackDeadline[static_cast<std::size_t>(alerts::Severity::info)] =
      minutes("alerts.ack_info_minutes");
  return policy;
}

}  // namespace vigil::app
