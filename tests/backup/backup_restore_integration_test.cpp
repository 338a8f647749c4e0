// `vigild backup` and `vigild restore` with real processes (issue 27): a real Mosquitto (TLS,
// client certificates), a real vigild under ingest from hubs that keep every message until the
// box acks it, the backup taken while they publish, the box stopped, the archive restored into a
// new empty directory and a vigild started on it. Every reading acknowledged before the backup
// started is in the restored database; the restore ran store check and audit verify; a wrong
// passphrase, a tampered archive and a non-empty target are refused with their exit codes and
// leave nothing behind.
#define BOOST_TEST_MODULE backup_restore
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <stdlib.h>

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <fstream>
#include <iterator>
#include <set>
#include <thread>

#include "vigil/fleet/device_publisher.hpp"
#include "vigil/store/sqlite.hpp"
#include "vigil/testsupport/box_fixture.hpp"
#include "vigil/testsupport/deadline.hpp"

namespace fs = std::filesystem;
using namespace vigil;
using namespace std::chrono_literals;

namespace {

constexpr int kHubs = 4;

std::string uidOf(int i) {
  return "hub-" + std::to_string(i);
}

std::unique_ptr<fleet::DevicePublisher> hub(testsupport::BoxFixture& box, int i) {
  auto bundle = box.bundle(uidOf(i));
  fleet::PublisherOptions o;
  o.deviceUid = uidOf(i);
  o.mqtt.port = box.broker().certificatePort();
  o.mqtt.clientId = uidOf(i);
  o.mqtt.caFile = (bundle / "ca.pem").string();
  o.mqtt.certFile = (bundle / "device.pem").string();
  o.mqtt.keyFile = (bundle / "device.key").string();
  o.mqtt.cleanStart = false;
  o.resendAfter = 2s;
  o.maxInFlight = 200;
  return std::make_unique<fleet::DevicePublisher>(o);
}

// One heart-rate reading per message, numbered by the hub: stored under the dedup key
// "msg:<seq>:0:heart_rate" (the message's sequence number, the reading's index, its kind).
std::string payload(std::uint64_t seq) {
  return "{\"v\":1,\"seq\":" + std::to_string(seq) +
         ",\"readings\":[{\"kind\":\"heart_rate\",\"unit\":\"/min\",\"value\":" +
         std::to_string(60 + seq % 30) + "}]}";
}

/// The dedup keys stored per device uid in the database at `db`.
std::map<std::string, std::set<std::string>> storedKeys(const fs::path& db) {
  store::Connection c(db, store::Connection::Mode::readOnly);
  auto s =
      c.prepare("SELECT d.uid, r.dedup_key FROM readings r JOIN devices d ON d.id = r.device_id");
  std::map<std::string, std::set<std::string>> out;
  while (s.step()) out[s.get<std::string>(0)].insert(s.get<std::string>(1));
  return out;
}

/// The audit entries with this action, as "outcome/object_id".
std::vector<std::string> auditOf(const fs::path& db, const std::string& action) {
  store::Connection c(db, store::Connection::Mode::readOnly);
  auto s = c.prepare("SELECT outcome, object_id FROM audit_log WHERE action = ? ORDER BY seq");
  s.bind(1, action);
  std::vector<std::string> out;
  while (s.step()) out.push_back(s.get<std::string>(0) + "/" + s.get<std::string>(1));
  return out;
}

int httpStatus(int port, const std::string& path) {
  try {
    Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(port));
    session.setTimeout(Poco::Timespan(5, 0));
    Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_GET, path);
    session.sendRequest(req);
    Poco::Net::HTTPResponse res;
    session.receiveResponse(res);
    return static_cast<int>(res.getStatus());
  } catch (const Poco::Exception&) {
    return 0;
  }
}

/// `vigild <args>` to completion within 60 s: its exit code, its output in `out`.
int vigild(const std::vector<std::string>& args, const fs::path& outFile, std::string& out) {
  testsupport::Process p(testsupport::BoxFixture::vigildPath(),
                         testsupport::Process::Options{args, {}, outFile, outFile});
  auto rc = p.wait(60s);
  out = testsupport::readText(outFile);
  return rc ? *rc : -1;
}

/// Nothing but `keep` in `dir` (no temporary restore directory left behind).
std::vector<std::string> leftovers(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().filename().string().rfind(".vigil-restore-", 0) == 0)
      out.push_back(e.path().filename().string());
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(BackupRestore)

BOOST_AUTO_TEST_CASE(a_box_backed_up_under_ingest_restores_elsewhere_with_every_acked_reading) {
  testsupport::BoxFixture::Options options;
  for (int i = 0; i < kHubs; ++i) options.deviceUids.push_back(uidOf(i));
  options.settings = {"ingest.device_rate=0"};
  testsupport::BoxFixture box(options);
  std::string tmpl = (fs::temp_directory_path() / "vigil-backup-it-XXXXXX").string();
  BOOST_REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
  const fs::path work = tmpl;
  struct RemoveAll {
    fs::path p;
    ~RemoveAll() {
      std::error_code ec;
      fs::remove_all(p, ec);
    }
  } cleanup{work};
  const auto passFile = work / "passphrase";
  std::ofstream(passFile) << "a backup passphrase for the test\n";
  const auto archive = work / "box.vbk";

  std::vector<std::unique_ptr<fleet::DevicePublisher>> hubs;
  for (int i = 0; i < kHubs; ++i) {
    hubs.push_back(hub(box, i));
    BOOST_REQUIRE(hubs.back()->start(10s));
  }
  std::atomic<bool> publishing{true};
  std::thread publisher([&] {
    for (std::uint64_t seq = 0; publishing; ++seq) {
      for (auto& h : hubs) h->send(seq, payload(seq));
      std::this_thread::sleep_for(10ms);
    }
  });
  // Ingest under way: at least 40 readings acknowledged per hub before the backup.
  auto until = std::chrono::steady_clock::now() + 30s;
  auto ackedOf = [&](int i) { return hubs[static_cast<std::size_t>(i)]->acknowledged(); };
  while (std::chrono::steady_clock::now() < until && ackedOf(kHubs - 1).size() < 40)
    std::this_thread::sleep_for(50ms);
  std::map<std::string, std::vector<std::uint64_t>> ackedBefore;
  for (int i = 0; i < kHubs; ++i) ackedBefore[uidOf(i)] = ackedOf(i);

  std::string out;
  // The configuration file goes into the archive (the --set options still win over it).
  const auto configFile = work / "vigild.conf";
  std::ofstream(configFile) << "# the box's configuration\nlog.level = warn\n";
  int rc = box.runCommand({"backup", archive.string(), "--passphrase-file", passFile.string(),
                           "--config", configFile.string()},
                          &out);
  BOOST_TEST(rc == 0, out);
  BOOST_TEST(out.find("backup written: " + archive.string()) != std::string::npos, out);
  // Neither the snapshot nor a partial archive is left behind.
  for (const auto& dir : {box.dataDir(), work})
    for (const auto& e : fs::directory_iterator(dir)) {
      const auto name = e.path().filename().string();
      BOOST_TEST(name.find("snapshot") == std::string::npos, name);
      BOOST_TEST(name.find("partial") == std::string::npos, name);
    }
  std::this_thread::sleep_for(500ms);  // ingest goes on after the snapshot
  publishing = false;
  testsupport::joinWithin(publisher, 30s, "publishing");
  for (auto& h : hubs) {
    BOOST_TEST(h->waitAllAcknowledged(30s), "hub still has " << h->pending() << " pending");
    h->stop();
  }
  BOOST_TEST(box.stop() == 0);
  // The copy is on record in the box's audit log (the console, the archive's file name).
  BOOST_TEST(
      auditOf(box.databasePath(), "box.backup") == std::vector<std::string>{"success/box.vbk"},
      boost::test_tools::per_element());
  for (const auto& [uid, seqs] : ackedBefore) BOOST_TEST_REQUIRE(seqs.size() >= 40u, uid);

  // The archive holds nothing in the clear: not the SQLite header, not the master key file.
  {
    std::ifstream in(archive, std::ios::binary);
    std::string bytes{std::istreambuf_iterator<char>(in), {}};
    BOOST_TEST(bytes.substr(0, 8) == "VIGILBK1");
    BOOST_TEST(bytes.find("SQLite format 3") == std::string::npos);
    BOOST_TEST(bytes.find("heart_rate") == std::string::npos);
  }

  // Refusals first: each leaves its target absent and no temporary directory behind.
  const auto wrongPass = work / "wrong";
  std::ofstream(wrongPass) << "not the passphrase at all\n";
  const auto refusedDir = work / "refused";
  rc = vigild({"restore", archive.string(), "--passphrase-file", wrongPass.string(), "--data-dir",
               refusedDir.string()},
              work / "wrong.out", out);
  BOOST_TEST(rc == 77, out);
  BOOST_TEST(out.find("wrong passphrase") != std::string::npos, out);
  {
    std::ifstream in(archive, std::ios::binary);
    std::string bytes{std::istreambuf_iterator<char>(in), {}};
    bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 0x40);
    std::ofstream(work / "tampered.vbk", std::ios::binary) << bytes;
  }
  rc = vigild({"restore", (work / "tampered.vbk").string(), "--passphrase-file", passFile.string(),
               "--data-dir", refusedDir.string()},
              work / "tampered.out", out);
  BOOST_TEST(rc == 76, out);
  BOOST_TEST(out.find("fails authentication") != std::string::npos, out);
  BOOST_TEST(!fs::exists(refusedDir));
  BOOST_TEST(!fs::exists(work / "refused-keys"));
  BOOST_TEST(leftovers(work).empty());
  rc = vigild({"restore", archive.string(), "--passphrase-file", passFile.string(), "--data-dir",
               box.dataDir().string()},
              work / "nonempty.out", out);
  BOOST_TEST(rc == 73, out);
  BOOST_TEST(out.find("is not empty") != std::string::npos, out);

  // The restore into a new empty directory, with its own checks.
  const auto restored = work / "restored";
  rc = vigild({"restore", archive.string(), "--passphrase-file", passFile.string(), "--data-dir",
               restored.string()},
              work / "restore.out", out);
  BOOST_TEST(rc == 0, out);
  BOOST_TEST(out.find("store ok: " + (restored / "vigil.db").string()) != std::string::npos, out);
  BOOST_TEST(out.find("audit log intact") != std::string::npos, out);
  BOOST_TEST(leftovers(work).empty());
  BOOST_TEST(
      auditOf(restored / "vigil.db", "box.restore") == std::vector<std::string>{"success/box.vbk"},
      boost::test_tools::per_element());
  auto modeOf = [](const fs::path& p) {
    return static_cast<unsigned>(fs::status(p).permissions() & fs::perms::all);
  };
  BOOST_TEST(modeOf(work / "restored-keys") == 0700u);
  BOOST_TEST(modeOf(work / "restored-keys" / "master.key") == 0600u);
  BOOST_TEST(fs::exists(restored / "pki" / "ca.key"));  // the device CA came along
  BOOST_TEST(testsupport::readText(restored / "vigild.conf.from-backup") ==
             "# the box's configuration\nlog.level = warn\n");

  // Every reading acknowledged before the backup began is in the restored database.
  auto keys = storedKeys(restored / "vigil.db");
  for (const auto& [uid, seqs] : ackedBefore) {
    std::size_t missing = 0;
    for (auto seq : seqs)
      if (!keys[uid].count("msg:" + std::to_string(seq) + ":0:heart_rate")) ++missing;
    BOOST_TEST(missing == 0u, uid << ": " << missing << " of " << seqs.size() << " missing");
    BOOST_TEST_MESSAGE(uid << ": " << seqs.size() << " acked before the backup, "
                           << keys[uid].size() << " in the restored database");
  }

  // vigild starts on the restored directory (its database, keys and certificates) and is ready.
  const std::vector<std::string> args{
      "--set", "data.dir=" + restored.string(),
      "--set", "web.port=0",
      "--set", "web.port_file=" + (restored / "web.port").string(),
      "--set", "mqtt.port=" + std::to_string(box.broker().certificatePort()),
      "--set", "log.level=warn"};
  fs::remove(restored / "web.port");
  {
    testsupport::Process restoredBox(
        testsupport::BoxFixture::vigildPath(),
        testsupport::Process::Options{args, {}, work / "restored.log", work / "restored.log"});
    int status = 0;
    until = std::chrono::steady_clock::now() + 30s;
    while (std::chrono::steady_clock::now() < until && restoredBox.running()) {
      auto port = testsupport::readText(restored / "web.port");
      if (!port.empty() && (status = httpStatus(std::stoi(port), "/readyz")) == 200) break;
      std::this_thread::sleep_for(100ms);
    }
    BOOST_TEST(status == 200, testsupport::readText(work / "restored.log"));
    BOOST_TEST(restoredBox.stop(10s) == 0);
  }
  auto verifyArgs = args;
  verifyArgs.insert(verifyArgs.end(), {"audit", "verify"});
  rc = vigild(verifyArgs, work / "verify.out", out);
  BOOST_TEST(rc == 0, out);

  // Locked to a recipient key instead: the box makes an archive only the identity opens.
  const auto identity = work / "backup-identity.key";
  const auto recipient = work / "backup-recipient.pub";
  rc = box.runCommand({"backup", "keygen", identity.string(), recipient.string()}, &out);
  BOOST_TEST(rc == 0, out);
  BOOST_TEST(modeOf(identity) == 0600u);
  const auto sealed = work / "sealed.vbk";
  rc = box.runCommand({"backup", sealed.string(), "--recipient", recipient.string()}, &out);
  BOOST_TEST(rc == 0, out);
  rc = vigild({"restore", sealed.string(), "--passphrase-file", passFile.string(), "--data-dir",
               (work / "sealed-wrong").string()},
              work / "sealed-wrong.out", out);
  BOOST_TEST(rc == 77, out);
  rc = vigild({"restore", sealed.string(), "--identity", identity.string(), "--data-dir",
               (work / "sealed").string()},
              work / "sealed.out", out);
  BOOST_TEST(rc == 0, out);
  BOOST_TEST(storedKeys(work / "sealed" / "vigil.db") == storedKeys(box.databasePath()));
}

BOOST_AUTO_TEST_SUITE_END()
