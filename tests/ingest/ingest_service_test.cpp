// The ingest pipeline on a real store (SQLite, or PostgreSQL in the -pg run). The payload format
// here is a tiny test format
// ("seq=N value=V [time=MS]") decoded by a lambda, so these cases exercise the pipeline
// (dedup, attribution, quarantine, acks, back-pressure); the real decoders of devices/ are
// exercised end to end in the MQTT integration test.
#include "vigil/ingest/ingest_service.hpp"

#include <boost/test/unit_test.hpp>
#include <future>
#include <sstream>
#include <thread>

#include "temp_dir.hpp"
#include "vigil/core/metrics.hpp"
#include "vigil/core/time.hpp"
#include "vigil/crypto/field_cipher.hpp"
#include "vigil/crypto/key_ring.hpp"
#include "vigil/registry/registry.hpp"
#include "vigil/store/database.hpp"
#include "vigil/store/sqlite.hpp"
#include "vigil/testsupport/deadline.hpp"
#include "vigil/testsupport/manual_clock.hpp"
#include "vigil/testsupport/test_store.hpp"

using namespace vigil;
using namespace vigil::ingest;
using namespace std::chrono_literals;

namespace {

DecodeOutcome testDecode(TopicKind, std::string_view payload) {
  DecodeOutcome out;
  std::istringstream in{std::string(payload)};
  std::string tok;
  DecodedReading r;
  r.kind = "heart_rate";
  r.loinc = "8867-4";
  r.unit = "/min";
  std::optional<std::uint64_t> seq;
  bool any = false;
  while (in >> tok) {
    auto eq = tok.find('=');
    if (eq == std::string::npos) {
      out.reason = "malformed";
      out.detail = "payload: expected key=value";
      return out;
    }
    auto k = tok.substr(0, eq);
    auto v = tok.substr(eq + 1);
    try {
      if (k == "seq") seq = std::stoull(v);
      if (k == "value") {
        r.value = std::stod(v);
        any = true;
      }
      if (k == "time") r.deviceTime = core::fromMillis(std::stoll(v));
      if (k == "rseq") r.seq = std::stoull(v);  // the reading's own record number
      if (k == "kind") r.kind = v;
    } catch (const std::exception&) {
      out.reason = "malformed";
      out.detail = k + ": not a number";
      out.messageSeq = seq;
      return out;
    }
  }
  if (!any) {
    out.reason = "malformed";
    out.detail = "value: missing";
    out.messageSeq = seq;
    return out;
  }
  DecodedMessage m;
  m.messageSeq = seq;
  m.readings.push_back(r);
  m.source = "mqtt-json";
  out.message = m;
  return out;
}

crypto::Key256 key(std::uint8_t fill) {
  std::vector<std::uint8_t> b(32, fill);
  return crypto::Key256(crypto::ByteView(b));
}

struct Fixture {
  store::test::TempDir dir;
  std::string conninfo;                       // the PostgreSQL database, in the -pg run
  std::unique_ptr<store::Connection> locker;  // PostgreSQL's stand-in for a full disk
  std::unique_ptr<store::Database> db;
  testsupport::ManualClock clock;
  crypto::KeyRing ring;
  std::unique_ptr<crypto::FieldCipher> cipher;
  std::mutex ackMutex;
  std::vector<std::pair<std::string, std::string>> acks;
  std::vector<bool> flowCalls;
  std::unique_ptr<IngestService> ingest;
  std::int64_t alice = 0, bob = 0;
  registry::Device cuff;

  explicit Fixture(IngestOptions opts = {}) {
    auto o = testsupport::testStoreOptions(dir / "vigil.db");
    conninfo = o.conninfo;
    if (!conninfo.empty()) o.busyTimeout = 1s;  // capAtCurrentSize's lock fails writes sooner
    db = store::Database::open(o);
    ring.add(1, key(3));
    ring.setActive(1);
    cipher = std::make_unique<crypto::FieldCipher>(ring);
    alice = addPatient();
    bob = addPatient();
    registry::DeviceRegistry reg(*db, clock);
    cuff = reg.add({"cuff-01", registry::DeviceKind::blood_pressure});
    reg.assign(cuff.id, alice);
    startIngest(opts);
  }
  ~Fixture() {
    locker.reset();  // a test that stopped half-way lets the writer go
    if (ingest) ingest->stop();
  }

  /// (Re)starts the service with `opts` (a restart runs the start-up quarantine expiry).
  void startIngest(const IngestOptions& opts) {
    if (ingest) ingest->stop();
    ingest = std::make_unique<IngestService>(
        *db, clock, opts, testDecode,
        [this](const std::string& uid, const std::string& payload) {
          std::lock_guard lock(ackMutex);
          acks.emplace_back(uid, payload);
        },
        [this](bool pause) {
          std::lock_guard lock(ackMutex);
          flowCalls.push_back(pause);
        },
        cipher.get());  // bounded: a unique_ptr's get, not a future's
    ingest->start();
  }

  std::int64_t addPatient() {
    return db->writeSync([&](store::Connection& c) {
      auto s = c.prepare("INSERT INTO patients (created_at) VALUES (0)");
      s.run();
      return c.lastInsertRowid();
    });
  }
  void send(const std::string& uid, const std::string& payload,
            const std::string& leaf = "readings") {
    BOOST_REQUIRE(ingest->submit({"vigil/v1/devices/" + uid + "/" + leaf, payload, clock.now()}));
  }
  void settle() { BOOST_REQUIRE(ingest->waitIdle(10s)); }
  /// Lets the database fill: caps its size at what it has now (max_page_count), so the next
  /// writes that need a new page fail as on a full disk. PostgreSQL has no such cap: another
  /// session locks reading_rows against writes instead, so ingest's writes fail as busy after
  /// the lock timeout (a store that cannot write, like a full disk; reads still work).
  void capAtCurrentSize() {
    if (!conninfo.empty()) {
      locker = store::Connection::openPostgres(conninfo, store::Connection::Mode::readWrite);
      locker->exec("BEGIN; LOCK TABLE reading_rows IN EXCLUSIVE MODE");
      return;
    }
    auto pages = count("PRAGMA page_count");
    db->writeSync(
        [&](store::Connection& c) { c.exec("PRAGMA max_page_count = " + std::to_string(pages)); });
  }
  /// Space returns (the lock goes).
  void uncap() {
    if (locker) {
      locker->exec("COMMIT");
      locker.reset();
      return;
    }
    db->writeSync([](store::Connection& c) { c.exec("PRAGMA max_page_count = 1000000"); });
  }
  /// The bytes the database takes on disk: SQLite's pages (what the file holds once the WAL is
  /// checkpointed into it); PostgreSQL's database size once VACUUM FULL has given back the
  /// space of rows and payloads deleted (autovacuum reclaims it in service).
  std::uint64_t diskBytes() {
    if (conninfo.empty())
      return static_cast<std::uint64_t>(count("PRAGMA page_count") * count("PRAGMA page_size"));
    auto c = store::Connection::openPostgres(conninfo, store::Connection::Mode::readWrite);
    c->exec("VACUUM FULL");
    return static_cast<std::uint64_t>(
        c->queryValue<std::int64_t>("SELECT pg_database_size(current_database())").value_or(0));
  }
  std::int64_t count(const std::string& sql) {
    return db->read([&](store::Connection& c) {
      auto s = c.prepare(sql);
      s.step();
      return s.get<std::int64_t>(0);
    });
  }
  std::vector<std::string> ackPayloads() {
    std::lock_guard lock(ackMutex);
    std::vector<std::string> out;
    for (auto& a : acks) out.push_back(a.second);
    return out;
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(IngestServiceBehaviour, Fixture)

BOOST_AUTO_TEST_CASE(stores_a_reading_and_acks_it_after_commit) {
  send("cuff-01", "seq=7 value=72");
  settle();
  BOOST_TEST(count("SELECT count(*) FROM readings") == 1);
  BOOST_TEST(count("SELECT patient_id FROM readings") == alice);
  auto a = ackPayloads();
  BOOST_REQUIRE_EQUAL(a.size(), 1u);
  BOOST_TEST(a[0] == "{\"v\":1,\"seq\":7,\"status\":\"stored\",\"stored\":1,\"duplicates\":0}");
  BOOST_TEST(acks[0].first == "cuff-01");
}

BOOST_AUTO_TEST_CASE(last_seen_moves_at_most_once_a_second_per_device) {
  // A device sending fast costs one devices-row update per second, not one per message.
  auto lastSeen = [&] {
    return count("SELECT last_seen_at FROM devices WHERE id = " + std::to_string(cuff.id));
  };
  const auto t0 =
      std::chrono::duration_cast<std::chrono::milliseconds>(clock.now().time_since_epoch()).count();
  send("cuff-01", "seq=1 value=70");
  settle();
  BOOST_TEST(lastSeen() == t0);
  clock.advance(300ms);
  send("cuff-01", "seq=2 value=71");
  settle();
  BOOST_TEST(lastSeen() == t0);  // within the second: not written
  clock.advance(900ms);
  send("cuff-01", "seq=3 value=72");
  settle();
  BOOST_TEST(lastSeen() == t0 + 1200);
  BOOST_TEST(count("SELECT count(*) FROM readings") == 3);
}

BOOST_AUTO_TEST_CASE(readings_sharing_an_integer_key_are_told_apart_by_the_full_key) {
  // The dedup key is an integer (the reading's seq, else its device time) looked up with the
  // device; a match is the same reading only when kind and which of seq or time also match.
  const auto t = std::to_string(core::toMillis(clock.now()));
  send("cuff-01", "seq=1 time=" + t + " value=70");            // heart rate at t
  send("cuff-01", "seq=2 time=" + t + " kind=spo2 value=97");  // another kind at t
  send("cuff-01", "seq=3 rseq=" + t + " value=71");            // record number t, no time
  settle();
  BOOST_TEST(count("SELECT count(*) FROM readings") == 3);
  // Each again, in other messages: duplicates, nothing stored.
  send("cuff-01", "seq=4 time=" + t + " value=70");
  send("cuff-01", "seq=5 time=" + t + " kind=spo2 value=97");
  send("cuff-01", "seq=6 rseq=" + t + " value=71");
  settle();
  BOOST_TEST(count("SELECT count(*) FROM readings") == 3);
  auto a = ackPayloads();
  BOOST_REQUIRE_EQUAL(a.size(), 6u);
  for (std::size_t i = 3; i < 6; ++i)
    BOOST_TEST(a[i].find("\"stored\":0,\"duplicates\":1") != std::string::npos);
  BOOST_TEST(count("SELECT count(*) FROM readings WHERE dedup_key = 'seq:" + t + ":heart_rate'") ==
             1);
  BOOST_TEST(count("SELECT count(*) FROM readings WHERE dedup_key = 'time:" + t + ":spo2'") == 1);
}

BOOST_AUTO_TEST_CASE(redelivery_stores_nothing_twice_and_acks_again) {
  send("cuff-01", "seq=7 value=72");
  send("cuff-01", "seq=7 value=72");
  settle();
  send("cuff-01", "seq=7 value=72");
  settle();
  BOOST_TEST(count("SELECT count(*) FROM readings") == 1);
  auto a = ackPayloads();
  BOOST_REQUIRE_EQUAL(a.size(), 3u);
  BOOST_TEST(a[2].find("\"stored\":0,\"duplicates\":1") != std::string::npos);
  BOOST_TEST(ingest->stats().duplicates == 2u);
}

BOOST_AUTO_TEST_CASE(a_reading_timed_before_the_current_assignment_is_kept_for_review) {
  // The cuff went from Alice to Bob. A reading whose device time falls in Alice's time (a
  // clock set back, or Alice's reading still in the cuff's memory) must not reach either chart
  // by the device's word: it is kept for review and acked as rejected.
  auto before = clock.now();
  clock.advance(1h);
  registry::DeviceRegistry reg(*db, clock);
  reg.assign(cuff.id, bob);
  send("cuff-01", "seq=1 value=60 time=" + std::to_string(core::toMillis(before + 10min)));
  clock.advance(5min);
  send("cuff-01", "seq=2 value=61");  // no device time: receipt time (Bob's)
  send("cuff-01", "seq=3 value=62 time=" + std::to_string(core::toMillis(clock.now() - 1min)));
  settle();
  BOOST_TEST(count("SELECT count(*) FROM readings WHERE value = 60") == 0);
  BOOST_TEST(count("SELECT count(*) FROM quarantine WHERE reason = 'outside_assignment' AND "
                   "payload_enc IS NOT NULL") == 1);
  BOOST_TEST(count("SELECT patient_id FROM readings WHERE value = 61") == bob);
  BOOST_TEST(count("SELECT patient_id FROM readings WHERE value = 62") == bob);
  auto a = ackPayloads();
  BOOST_REQUIRE_EQUAL(a.size(), 3u);
  BOOST_TEST(a[0] ==
             "{\"v\":1,\"seq\":1,\"status\":\"rejected\",\"reason\":\"outside_assignment\"}");
}

BOOST_AUTO_TEST_CASE(an_unassigned_device_cannot_date_a_reading_into_its_last_patient) {
  auto during = clock.now() + 5min;
  clock.advance(1h);
  registry::DeviceRegistry reg(*db, clock);
  reg.unassign(cuff.id);
  send("cuff-01", "seq=1 value=60 time=" + std::to_string(core::toMillis(during)));
  send("cuff-01", "seq=2 value=61");  // now: nobody's, stored without a patient as before
  settle();
  BOOST_TEST(count("SELECT count(*) FROM readings WHERE value = 60") == 0);
  BOOST_TEST(count("SELECT count(*) FROM quarantine WHERE reason = 'outside_assignment'") == 1);
  BOOST_TEST(count("SELECT count(*) FROM readings WHERE value = 61 AND patient_id IS NULL") == 1);
}

BOOST_AUTO_TEST_CASE(a_reading_from_more_than_ten_minutes_ahead_is_kept_for_review) {
  auto now = core::toMillis(clock.now());
  send("cuff-01", "seq=1 value=60 time=" + std::to_string(now + 11 * 60'000));
  send("cuff-01", "seq=2 value=61 time=" + std::to_string(now + 9 * 60'000));  // clock drift
  settle();
  BOOST_TEST(count("SELECT count(*) FROM readings WHERE value = 60") == 0);
  BOOST_TEST(count("SELECT count(*) FROM quarantine WHERE reason = 'future_time'") == 1);
  BOOST_TEST(count("SELECT patient_id FROM readings WHERE value = 61") == alice);
  auto detail = db->read([](store::Connection& c) {
    auto q = c.prepare("SELECT detail FROM quarantine WHERE reason = 'future_time'");
    q.step();
    return q.get<std::string>(0);
  });
  BOOST_TEST(detail == "time: reading 1 is more than 10 minutes ahead of the box's clock");
}

BOOST_AUTO_TEST_CASE(unknown_device_is_quarantined_encrypted_and_acked_as_rejected) {
  send("stranger-9", "seq=3 value=Zebrafinch-canary");  // value is junk: decoder fails anyway
  send("stranger-9", "seq=4 value=99");
  settle();
  BOOST_TEST(count("SELECT count(*) FROM readings") == 0);
  BOOST_TEST(count("SELECT count(*) FROM quarantine WHERE reason = 'unknown_device'") == 1);
  BOOST_TEST(count("SELECT count(*) FROM quarantine WHERE payload_enc IS NOT NULL") == 2);
  auto a = ackPayloads();
  BOOST_REQUIRE_EQUAL(a.size(), 2u);
  BOOST_TEST(a[1] == "{\"v\":1,\"seq\":4,\"status\":\"rejected\",\"reason\":\"unknown_device\"}");
  db->close();
  auto raw = store::test::readFile(dir / "vigil.db") + store::test::readFile(dir / "vigil.db-wal");
  BOOST_TEST(raw.find("Zebrafinch") == std::string::npos);
  auto metrics = Metrics::global().render();
  BOOST_TEST(metrics.find("vigil_ingest_rejected_total{reason=\"unknown_device\"}") !=
             std::string::npos);
  BOOST_TEST(metrics.find("stranger-9") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(retired_device_bad_topic_and_oversized_payloads_are_refused) {
  registry::DeviceRegistry reg(*db, clock);
  reg.retire(cuff.id);
  send("cuff-01", "seq=1 value=70");
  BOOST_REQUIRE(ingest->submit({"vigil/v1/devices/cuff-01/firmware", "x", clock.now()}));
  send("cuff-01", "seq=2 value=" + std::string(70 * 1024, '1'));
  settle();
  BOOST_TEST(count("SELECT count(*) FROM readings") == 0);
  BOOST_TEST(count("SELECT count(*) FROM quarantine WHERE reason = 'retired_device'") == 1);
  BOOST_TEST(count("SELECT count(*) FROM quarantine WHERE reason = 'bad_topic'") == 1);
  BOOST_TEST(count("SELECT count(*) FROM quarantine WHERE reason = 'oversized'") == 1);
}

BOOST_AUTO_TEST_CASE(malformed_payload_is_quarantined_and_ingest_goes_on) {
  send("cuff-01", "garbage");
  send("cuff-01", "seq=9");
  send("cuff-01", "seq=10 value=80");
  settle();
  BOOST_TEST(count("SELECT count(*) FROM quarantine WHERE reason = 'malformed'") == 2);
  BOOST_TEST(count("SELECT count(*) FROM readings") == 1);
  auto detail = db->read([](store::Connection& c) {
    auto s = c.prepare("SELECT detail FROM quarantine ORDER BY id DESC LIMIT 1");
    s.step();
    return s.get<std::string>(0);
  });
  BOOST_TEST(detail == "value: missing");
}

BOOST_AUTO_TEST_CASE(a_reading_without_any_identity_is_refused) {
  // No seq and no device time: it could not be recognised when resent, so it is not stored.
  send("cuff-01", "value=80");
  settle();
  BOOST_TEST(count("SELECT count(*) FROM readings") == 0);
  BOOST_TEST(count("SELECT count(*) FROM quarantine WHERE reason = 'no_identity'") == 1);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(IngestServiceLimits)

BOOST_AUTO_TEST_CASE(a_flooding_device_is_limited_and_others_are_not) {
  IngestOptions o;
  o.deviceRatePerSecond = 1;
  o.deviceBurst = 5;
  Fixture f(o);
  registry::DeviceRegistry reg(*f.db, f.clock);
  auto other = reg.add({"cuff-02", registry::DeviceKind::blood_pressure});
  reg.assign(other.id, f.bob);
  for (int i = 0; i < 50; ++i) f.send("cuff-01", "seq=" + std::to_string(i) + " value=70");
  for (int i = 0; i < 3; ++i) f.send("cuff-02", "seq=" + std::to_string(i) + " value=70");
  f.settle();
  BOOST_TEST(
      f.count("SELECT count(*) FROM readings WHERE device_id = " + std::to_string(f.cuff.id)) == 5);
  BOOST_TEST(
      f.count("SELECT count(*) FROM readings WHERE device_id = " + std::to_string(other.id)) == 3);
  BOOST_TEST(f.ingest->stats().rejectedByReason.at("rate_limited") == 45u);
  // Refused for rate, not for content: nothing quarantined (a flood must not fill the disk)
  // and no ack, so the device keeps the messages and resends them later.
  BOOST_TEST(f.count("SELECT count(*) FROM quarantine") == 0);
  BOOST_TEST(f.ingest->stats().acks == 8u);
}

BOOST_AUTO_TEST_CASE(a_flood_of_oversized_messages_costs_no_disk) {
  // One device (a stolen credential) sends 1,000 messages of 200 KiB at device_rate=1. Each is
  // charged to its bucket whatever its fate; the quarantine keeps at most 256 KiB of payload
  // per device: the database file grows by less than 1 MiB.
  IngestOptions o;
  o.deviceRatePerSecond = 1;  // the manual clock stands still: the burst (200) is all it gets
  Fixture f(o);
  const auto before = f.diskBytes();
  const std::string big = "seq=1 value=" + std::string(200 * 1024, '7');
  for (int chunk = 0; chunk < 20; ++chunk) {  // 50 at a time: 10 MiB in memory, not 200
    for (int i = 0; i < 50; ++i) f.send("cuff-01", big);
    f.settle();
  }
  const auto after = f.diskBytes();
  BOOST_TEST_MESSAGE("database grew by " << (after - before) << " bytes");
  BOOST_TEST(after - before < 1024u * 1024u, "grew " << (after - before) << " bytes");
  BOOST_TEST(f.ingest->stats().rejectedByReason.at("rate_limited") == 800u);
  BOOST_TEST(f.ingest->stats().rejectedByReason.at("oversized") == 200u);
  BOOST_TEST(f.count("SELECT count(*) FROM quarantine WHERE device_uid = 'cuff-01'") == 200);
  BOOST_TEST(f.count("SELECT coalesce(sum(length(payload_enc)), 0) FROM quarantine") <= 256 * 1024);
  // The newest payload is the one kept; the usage counts match the rows.
  BOOST_TEST(f.count("SELECT max(id) FROM quarantine WHERE payload_enc IS NOT NULL") ==
             f.count("SELECT max(id) FROM quarantine"));
  BOOST_TEST(f.count("SELECT rows FROM quarantine_usage WHERE scope = 'device:cuff-01'") == 200);
  BOOST_TEST(f.count("SELECT bytes FROM quarantine_usage WHERE scope = 'total'") ==
             f.count("SELECT coalesce(sum(length(payload_enc)), 0) FROM quarantine"));
  BOOST_TEST(Metrics::global().render().find(
                 "vigil_ingest_quarantine_dropped_total{cause=\"device_bytes\"}") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_quarantine_keeps_the_newest_rows_and_payloads_within_its_limits) {
  IngestOptions o;
  o.deviceRatePerSecond = 0;
  o.quarantineRowsPerDevice = 5;
  o.quarantineBytesPerDevice = 3 * (1000 + 64) + 10;  // three 1,000-byte payloads, encrypted
  o.quarantineRows = 8;
  Fixture f(o);
  const std::string junk(1000, 'x');                  // no '=': malformed
  for (int i = 0; i < 7; ++i) f.send("hub-a", junk);  // unknown device: quarantined too
  f.settle();
  // hub-a: 7 rows → the oldest 2 go; payloads: only the newest 3 stay.
  BOOST_TEST(f.count("SELECT count(*) FROM quarantine WHERE device_uid = 'hub-a'") == 5);
  BOOST_TEST(f.count("SELECT min(id) FROM quarantine WHERE device_uid = 'hub-a'") == 3);
  BOOST_TEST(f.count("SELECT count(*) FROM quarantine WHERE payload_enc IS NOT NULL") == 3);
  BOOST_TEST(f.count("SELECT min(id) FROM quarantine WHERE payload_enc IS NOT NULL") == 5);
  for (int i = 0; i < 4; ++i) f.send("hub-b", junk);
  f.settle();
  // 9 rows in all → the oldest (hub-a's id 3) goes; hub-b keeps its 4.
  BOOST_TEST(f.count("SELECT count(*) FROM quarantine") == 8);
  BOOST_TEST(f.count("SELECT min(id) FROM quarantine") == 4);
  BOOST_TEST(f.count("SELECT count(*) FROM quarantine WHERE device_uid = 'hub-b'") == 4);
  BOOST_TEST(f.count("SELECT rows FROM quarantine_usage WHERE scope = 'total'") == 8);
  BOOST_TEST(f.count("SELECT rows FROM quarantine_usage WHERE scope = 'device:hub-a'") == 4);
}

BOOST_AUTO_TEST_CASE(quarantined_messages_past_the_retention_go) {
  IngestOptions o;
  o.quarantineRetention = std::chrono::hours(24);
  Fixture f(o);
  f.send("hub-a", "junk");
  f.settle();
  f.clock.advance(std::chrono::hours(23));
  f.send("hub-a", "more-junk");
  f.settle();
  f.clock.advance(std::chrono::hours(2));  // the first is 25 h old, the second 2 h
  f.startIngest(o);                        // expiry runs at start, then hourly
  BOOST_REQUIRE(f.ingest->waitIdle(10s));
  vigil::testsupport::Deadline wait("waiting for the start-up quarantine expiry", 10s);
  while (f.count("SELECT count(*) FROM quarantine") != 1) std::this_thread::sleep_for(10ms);
  BOOST_TEST(f.count("SELECT rows FROM quarantine_usage WHERE scope = 'total'") == 1);
}

BOOST_AUTO_TEST_CASE(the_expiry_job_outlives_a_stopped_service_without_reaching_it) {
  // The start-up expiry is a writer job that stop() does not wait for: held behind another job,
  // it runs after the service is gone, with only what it was given (a use after free before;
  // ASan reports it).
  IngestOptions o;
  o.quarantineRetention = std::chrono::hours(24);
  Fixture f(o);
  f.send("hub-a", "junk");
  f.settle();
  f.clock.advance(std::chrono::hours(25));
  std::promise<void> release;
  auto gate = release.get_future().share();
  f.db->post(
      [gate](store::Connection&) {
        testsupport::Deadline bound("holding the store's writer while the service stops", 60s);
        gate.wait();
      },
      {});
  f.startIngest(o);  // its worker posts the expiry first thing, behind the held job
  f.ingest.reset();  // joined (so the expiry is posted), stopped and destroyed
  release.set_value();
  vigil::testsupport::Deadline wait("waiting for the expiry posted before the stop", 10s);
  while (f.count("SELECT count(*) FROM quarantine") != 0) std::this_thread::sleep_for(10ms);
  BOOST_TEST(f.count("SELECT rows FROM quarantine_usage WHERE scope = 'total'") == 0);
}

BOOST_AUTO_TEST_CASE(input_the_box_paces_itself_is_not_rate_limited_and_keeps_its_source) {
  IngestOptions o;
  o.deviceRatePerSecond = 1;
  o.deviceBurst = 5;
  Fixture f(o);
  for (int i = 0; i < 50; ++i)
    BOOST_REQUIRE(f.ingest->submit({"vigil/v1/devices/cuff-01/readings",
                                    "seq=" + std::to_string(i) + " value=70", f.clock.now(), "ble",
                                    /*rateLimited=*/false}));
  f.settle();
  BOOST_TEST(f.count("SELECT count(*) FROM readings WHERE source = 'ble'") == 50);
  BOOST_TEST(f.ingest->stats().rejected == 0u);
}

BOOST_AUTO_TEST_CASE(disk_full_pauses_then_resumes_by_itself_without_losing_the_message) {
  IngestOptions o;
  o.retryDelay = 50ms;
  o.deviceRatePerSecond = 0;
  Fixture f(o);
  f.capAtCurrentSize();
  constexpr int kMessages = 400;  // more rows than the free space of the capped file holds
  for (int i = 0; i < kMessages; ++i) f.send("cuff-01", "seq=" + std::to_string(i) + " value=70");
  // The store refuses: ingest pauses and reports not ready.
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (f.ingest->ready() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(10ms);
  BOOST_TEST(!f.ingest->ready());
  // ready() turns false before the flow callback runs (same thread, just after): wait for it.
  auto pausedBy = std::chrono::steady_clock::now() + 10s;
  for (;;) {
    {
      std::lock_guard lock(f.ackMutex);
      if (!f.flowCalls.empty() || std::chrono::steady_clock::now() > pausedBy) break;
    }
    std::this_thread::sleep_for(10ms);
  }
  {
    std::lock_guard lock(f.ackMutex);
    BOOST_REQUIRE(!f.flowCalls.empty());
    BOOST_TEST(f.flowCalls.front() == true);
  }
  // Nothing is acked that is not stored (acks are read first: both only grow).
  auto acked = f.ackPayloads().size();
  auto stored = f.count("SELECT count(*) FROM readings");
  BOOST_TEST(acked <= static_cast<std::size_t>(stored));
  BOOST_TEST(stored < kMessages);
  // Space returns: ingest resumes and stores every message exactly once.
  f.uncap();
  f.settle();
  BOOST_TEST(f.ingest->ready());
  BOOST_TEST(f.count("SELECT count(*) FROM readings") == kMessages);
  auto all = f.ackPayloads();
  BOOST_TEST(all.size() == static_cast<std::size_t>(kMessages));
  for (const auto& a : all) BOOST_TEST(a.find("\"status\":\"stored\"") != std::string::npos);
  BOOST_TEST(f.db->integrityCheck().empty());
  std::lock_guard lock(f.ackMutex);
  BOOST_TEST(f.flowCalls.back() == false);
}

BOOST_AUTO_TEST_CASE(messages_retried_after_a_full_disk_are_not_charged_to_the_rate_limit_again) {
  IngestOptions o;
  o.retryDelay = 20ms;
  o.deviceRatePerSecond = 1;  // the manual clock stands still: no refill during the test
  o.deviceBurst = 400;
  Fixture f(o);
  f.capAtCurrentSize();
  constexpr int kMessages = 400;  // exactly the burst, more rows than the capped file holds
  for (int i = 0; i < kMessages; ++i) f.send("cuff-01", "seq=" + std::to_string(i) + " value=70");
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (f.ingest->ready() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(10ms);
  BOOST_TEST(!f.ingest->ready());
  f.uncap();
  f.settle();
  BOOST_TEST(f.count("SELECT count(*) FROM readings") == kMessages);
  BOOST_TEST(f.ingest->stats().rejectedByReason["rate_limited"] == 0u);
  BOOST_TEST(f.ackPayloads().size() == static_cast<std::size_t>(kMessages));
}

BOOST_AUTO_TEST_CASE(a_message_the_store_refuses_is_quarantined_and_stops_no_other) {
  IngestOptions o;
  o.retryDelay = 20ms;
  o.deviceRatePerSecond = 0;
  Fixture f(o);
  // The store refuses one reading every time (a trigger stands in for a constraint the decoder
  // did not foresee).
  f.db->writeSync([](store::Connection& c) {
    if (c.backend() == store::Backend::postgres) {
      c.exec(
          "CREATE FUNCTION refuse_13() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
          "IF NEW.dedup_key LIKE 'msg:13:%' THEN "
          "RAISE EXCEPTION 'refused' USING ERRCODE = '23000'; END IF; RETURN NEW; END $$; "
          "CREATE TRIGGER refuse_13 BEFORE INSERT ON reading_rows FOR EACH ROW "
          "EXECUTE FUNCTION refuse_13()");
      return;
    }
    c.exec(
        "CREATE TRIGGER refuse_13 BEFORE INSERT ON reading_rows WHEN NEW.dedup_key LIKE "
        "'msg:13:%' "
        "BEGIN SELECT RAISE(ABORT, 'refused'); END");
  });
  // Hold the writer so the messages queue up and reach it as runs of several.
  std::promise<void> release;
  auto gate = release.get_future().share();
  f.db->post(
      [gate](store::Connection&) {
        testsupport::Deadline bound("holding the store's writer while messages queue", 60s);
        gate.wait();
      },
      {});
  constexpr int kMessages = 100;
  for (int i = 0; i < kMessages; ++i) f.send("cuff-01", "seq=" + std::to_string(i) + " value=70");
  auto queued = std::chrono::steady_clock::now() + 10s;
  while (f.ingest->queueDepth() > 0 && std::chrono::steady_clock::now() < queued)
    std::this_thread::sleep_for(5ms);
  release.set_value();
  f.settle();
  BOOST_TEST(f.ingest->ready());
  BOOST_TEST(f.count("SELECT count(*) FROM readings") == kMessages - 1);
  BOOST_TEST(f.count("SELECT count(*) FROM readings WHERE dedup_key LIKE 'msg:13:%'") == 0);
  BOOST_TEST(f.count("SELECT count(*) FROM quarantine WHERE reason = 'store_refused'") == 1);
  BOOST_TEST(f.count("SELECT count(*) FROM quarantine WHERE payload_enc IS NOT NULL") == 1);
  auto all = f.ackPayloads();
  BOOST_TEST(all.size() == static_cast<std::size_t>(kMessages));
  std::size_t rejected = 0;
  for (const auto& a : all) {
    if (a.find("\"status\":\"rejected\"") == std::string::npos) continue;
    ++rejected;
    BOOST_TEST(a.find("\"seq\":13,") != std::string::npos);
    BOOST_TEST(a.find("store_refused") != std::string::npos);
  }
  BOOST_TEST(rejected == 1u);
  BOOST_TEST(f.ingest->stats().rejectedByReason["store_refused"] == 1u);
}

BOOST_AUTO_TEST_CASE(coalesced_acks_send_one_message_per_device_per_commit_in_order) {
  IngestOptions o;
  o.deviceRatePerSecond = 0;
  o.coalesceAcks = true;
  Fixture f(o);
  registry::DeviceRegistry reg(*f.db, f.clock);
  auto other = reg.add({"cuff-02", registry::DeviceKind::blood_pressure});
  reg.assign(other.id, f.bob);
  // Hold the writer so that everything below lands in one store batch.
  std::promise<void> release;
  auto gate = release.get_future().share();
  std::promise<void> holding;
  f.db->post(
      [gate, &holding](store::Connection&) {
        holding.set_value();
        testsupport::Deadline bound("holding the store's writer for one batch", 60s);
        gate.wait();
      },
      {});
  testsupport::getWithin(holding.get_future(), 30s, "waiting for the store's writer to be held");
  for (int i = 0; i < 30; ++i) f.send("cuff-01", "seq=" + std::to_string(i) + " value=70");
  f.send("cuff-02", "seq=5 value=70");
  f.send("cuff-01", "seq=99 value=x");  // a rejected message is acked in the same message
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (f.db->queueDepth() < 32 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(5ms);
  release.set_value();
  f.settle();
  deadline = std::chrono::steady_clock::now() + 10s;
  while (f.ackPayloads().size() < 2 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(5ms);
  std::lock_guard lock(f.ackMutex);
  BOOST_REQUIRE_EQUAL(f.acks.size(), 2u);
  std::map<std::string, std::string> byDevice(f.acks.begin(), f.acks.end());
  BOOST_TEST(byDevice["cuff-02"] ==
             "{\"v\":1,\"seq\":5,\"status\":\"stored\",\"stored\":1,\"duplicates\":0}");
  const auto& batch = byDevice["cuff-01"];
  BOOST_TEST(batch.rfind("{\"v\":1,\"acks\":[{\"seq\":0,\"status\":\"stored\"", 0) == 0u, batch);
  std::size_t last = 0;
  for (int i = 1; i < 30; ++i) {
    auto at = batch.find("{\"seq\":" + std::to_string(i) + ",");
    BOOST_TEST_REQUIRE(at != std::string::npos, "no ack for seq " << i);
    BOOST_TEST(at > last, "acks out of order at seq " << i);
    last = at;
  }
  BOOST_TEST(batch.find("{\"seq\":99,\"status\":\"rejected\",\"reason\":\"malformed\"}") > last);
  BOOST_TEST(f.ingest->stats().acks == 32u);
}

BOOST_AUTO_TEST_CASE(coalesced_acks_still_go_out_when_the_service_stops) {
  IngestOptions o;
  o.deviceRatePerSecond = 0;
  o.coalesceAcks = true;
  Fixture f(o);
  for (int i = 0; i < 5; ++i) f.send("cuff-01", "seq=" + std::to_string(i) + " value=70");
  f.ingest->stop();
  std::size_t acked = 0;
  for (const auto& p : f.ackPayloads())
    for (auto at = p.find("\"seq\":"); at != std::string::npos; at = p.find("\"seq\":", at + 1))
      ++acked;
  BOOST_TEST(acked == 5u);
}

BOOST_AUTO_TEST_SUITE_END()
