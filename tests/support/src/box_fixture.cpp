#include "vigil/testsupport/box_fixture.hpp"

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <signal.h>

#include <iterator>
#include <stdexcept>
#include <thread>

#include "vigil/core/clock.hpp"
#include "vigil/registry/registry.hpp"
#include "vigil/security/keys.hpp"
#include "vigil/store/database.hpp"
#include "vigil/store/sqlite.hpp"
#include "vigil/testsupport/manual_clock.hpp"

namespace vigil::testsupport {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

fs::path BoxFixture::vigildPath() {
  return VIGIL_TESTSUPPORT_VIGILD;
}

BoxFixture::BoxFixture(Options options)
    : options_(std::move(options)), data_(broker_.layout().dataDir) {
  dbPath_ = options_.databasePath.empty() ? data_ / "vigil.db" : options_.databasePath;
  {
    // Register a patient and the devices before the first start, as an admin would; assignments
    // start a day ago so device times that run behind still find their patient. Each patient's
    // record has a name ("Box <uid>"), encrypted with the box's keys where vigild keeps them
    // (<data.dir>-keys/master.key), so a patient user can sign consents (issue 21).
    store::Options o;
    o.path = dbPath_;
    if (!options_.postgresConninfo.empty()) {
      o.backend = store::Backend::postgres;
      o.conninfo = options_.postgresConninfo;
    }
    auto db = store::Database::open(o);
    ManualClock clock(std::chrono::system_clock::now() - 24h);
    const auto keyDir = fs::path(data_.lexically_normal().string() + "-keys");
    fs::create_directories(keyDir);
    fs::permissions(keyDir, fs::perms::owner_all, fs::perm_options::replace);
    auto keys = security::Keys::open(*db, keyDir / "master.key", clock);
    registry::PatientRepository records(*db, keys->cipher(), keys->blindIndex(), clock);
    registry::DeviceRegistry reg(*db, clock);
    for (const auto& uid : options_.deviceUids) {
      broker_.provisioner().provisionCertificate(uid, bundle(uid), pki::Apply::deferred);
      auto patient =
          records.create({0, "BOX-" + uid, "Box", uid, "1970-01-01", "UTC", "", {}, true});
      auto model = options_.deviceModels.find(uid);
      auto d = reg.add({uid, registry::DeviceKind::hub,
                        model == options_.deviceModels.end() ? std::string{} : model->second});
      reg.assign(d.id, patient);
      patients_[uid] = patient;
    }
    db->close();
  }
  if (!options_.deviceUids.empty()) broker_.reload();  // the ACL names every device
  if (options_.start) start();
}

BoxFixture::~BoxFixture() {
  if (vigild_) vigild_->stop(5s);
}

std::vector<std::string> BoxFixture::baseArgs() const {
  std::vector<std::string> args{"--set", "data.dir=" + data_.string(),
                                "--set", "web.port=0",
                                "--set", "web.port_file=" + (data_ / "web.port").string(),
                                "--set", "mqtt.port=" + std::to_string(broker_.certificatePort()),
                                "--set", "log.level=warn"};
  if (options_.postgresConninfo.empty()) {
    args.insert(args.end(), {"--set", "store.path=" + dbPath_.string()});
  } else {
    args.insert(args.end(), {"--set", "store.backend=postgres", "--set",
                             "store.conninfo=" + options_.postgresConninfo});
  }
  for (const auto& s : options_.settings) {
    args.push_back("--set");
    args.push_back(s);
  }
  return args;
}

void BoxFixture::start() {
  fs::remove(data_ / "web.port");
  Process::Options po{
      baseArgs(), options_.env, {}, data_ / ("vigild-" + std::to_string(++starts_) + ".log")};
  vigild_ = std::make_unique<Process>(vigildPath(), po);
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (readText(data_ / "web.port").empty() && vigild_->running() &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(20ms);
  if (readText(data_ / "web.port").empty())
    throw std::runtime_error("vigild did not start: " + log());
}

int BoxFixture::stop() {
  if (!vigild_) return 0;
  return vigild_->stop(10s);
}

void BoxFixture::kill9() {
  vigild_->signal(SIGKILL);
  vigild_->wait(10s);
}

pid_t BoxFixture::pid() const {
  return vigild_ ? vigild_->pid() : -1;
}

bool BoxFixture::running() {
  return vigild_ && vigild_->running();
}

std::string BoxFixture::log(int start) const {
  return readText(data_ / ("vigild-" + std::to_string(start ? start : starts_) + ".log"));
}

int BoxFixture::webPort() const {
  return std::stoi(readText(data_ / "web.port"));
}

std::pair<int, std::string> BoxFixture::get(const std::string& path) const {
  Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(webPort()));
  session.setTimeout(Poco::Timespan(30, 0));  // a request that gets no answer fails, saying so
  Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_GET, path);
  session.sendRequest(req);
  Poco::Net::HTTPResponse resp;
  std::string body(std::istreambuf_iterator<char>(session.receiveResponse(resp)), {});
  return {static_cast<int>(resp.getStatus()), body};
}

int BoxFixture::runCommand(const std::vector<std::string>& args, std::string* output) const {
  auto args2 = baseArgs();
  args2.insert(args2.end(), args.begin(), args.end());
  static std::atomic<int> n{0};
  auto out = data_ / ("command-" + std::to_string(++n) + ".out");
  Process p(vigildPath(), Process::Options{args2, {}, out, out});
  auto rc = p.wait(60s);
  if (output) *output = readText(out);
  return rc ? *rc : -1;
}

std::unique_ptr<store::Connection> BoxFixture::openStore() const {
  if (!options_.postgresConninfo.empty())
    return store::Connection::openPostgres(options_.postgresConninfo,
                                           store::Connection::Mode::readOnly);
  return std::make_unique<store::Connection>(dbPath_, store::Connection::Mode::readOnly);
}

BoxFixture::ReadingCounts BoxFixture::countReadings() const {
  auto conn = openStore();
  auto& c = *conn;
  auto s =
      c.prepare("SELECT count(*), count(DISTINCT device_id || '/' || dedup_key) FROM readings");
  s.step();
  return {s.get<std::int64_t>(0), s.get<std::int64_t>(1)};
}

std::map<std::string, std::int64_t> BoxFixture::readingsByDevice() const {
  auto conn = openStore();
  auto& c = *conn;
  auto s = c.prepare(
      "SELECT d.uid, count(r.device_id) FROM devices d LEFT JOIN readings r ON r.device_id = d.id "
      "GROUP BY d.uid");
  std::map<std::string, std::int64_t> out;
  while (s.step()) out[s.get<std::string>(0)] = s.get<std::int64_t>(1);
  return out;
}

}  // namespace vigil::testsupport
