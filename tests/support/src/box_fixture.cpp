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
    auto db = store::Database::open(storeOptions());
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
  if (!options_.nodes.empty() && options_.postgresConninfo.empty())
    throw std::invalid_argument("BoxFixture: several nodes need a PostgreSQL store");
  for (const auto& node : options_.nodes) nodeIdentity_[node] = broker_.addClusterNode(node);
  if (!options_.deviceUids.empty()) broker_.reload();  // the ACL names every device
  if (options_.start) start();
}

BoxFixture::~BoxFixture() {
  for (auto& [node, p] : vigild_)
    if (p) p->stop(5s);
}

store::Options BoxFixture::storeOptions() const {
  store::Options o;
  o.path = dbPath_;
  if (!options_.postgresConninfo.empty()) {
    o.backend = store::Backend::postgres;
    o.conninfo = options_.postgresConninfo;
  }
  return o;
}

std::vector<std::string> BoxFixture::nodeIds() const {
  return options_.nodes.empty() ? std::vector<std::string>{""} : options_.nodes;
}

fs::path BoxFixture::portFile(const std::string& node) const {
  return data_ / (node.empty() ? std::string("web.port") : "web-" + node + ".port");
}

fs::path BoxFixture::logFile(const std::string& node, int start) const {
  return data_ / ((node.empty() ? std::string("vigild-") : "vigild-" + node + "-") +
                  std::to_string(start) + ".log");
}

std::vector<std::string> BoxFixture::baseArgs(const std::string& node) const {
  std::vector<std::string> args{"--set", "data.dir=" + data_.string(),
                                "--set", "web.port=0",
                                "--set", "web.port_file=" + portFile(node).string(),
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
  if (!node.empty()) {
    const auto& id = nodeIdentity_.at(node);
    args.insert(args.end(), {"--set", "cluster.node_id=" + node, "--set",
                             "mqtt.cert_file=" + id.certFile.string(), "--set",
                             "mqtt.key_file=" + id.keyFile.string()});
  }
  return args;
}

void BoxFixture::start() {
  for (const auto& node : nodeIds()) startNode(node);
}

void BoxFixture::startNode(const std::string& node) {
  fs::remove(portFile(node));
  const int n = ++starts_[node];
  Process::Options po{baseArgs(node), options_.env, {}, logFile(node, n)};
  auto& p = vigild_[node];
  p = std::make_unique<Process>(vigildPath(), po);
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (readText(portFile(node)).empty() && p->running() &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(20ms);
  if (readText(portFile(node)).empty())
    throw std::runtime_error("vigild did not start: " + logOf(node));
}

int BoxFixture::stop() {
  int status = 0;
  for (const auto& node : nodeIds()) status = stopNode(node);
  return status;
}

int BoxFixture::stopNode(const std::string& node) {
  auto it = vigild_.find(node);
  if (it == vigild_.end() || !it->second) return 0;
  return it->second->stop(10s);
}

void BoxFixture::kill9() {
  for (const auto& node : nodeIds()) kill9Node(node);
}

void BoxFixture::kill9Node(const std::string& node) {
  auto& p = vigild_.at(node);
  p->signal(SIGKILL);
  p->wait(10s);
}

pid_t BoxFixture::pid() const {
  auto it = vigild_.find(nodeIds().front());
  return it != vigild_.end() && it->second ? it->second->pid() : -1;
}

bool BoxFixture::running() {
  for (const auto& node : nodeIds())
    if (!nodeRunning(node)) return false;
  return true;
}

bool BoxFixture::nodeRunning(const std::string& node) {
  auto it = vigild_.find(node);
  return it != vigild_.end() && it->second && it->second->running();
}

std::string BoxFixture::log(int start) const {
  return logOf(nodeIds().front(), start);
}

std::string BoxFixture::logOf(const std::string& node, int start) const {
  auto it = starts_.find(node);
  const int latest = it == starts_.end() ? 0 : it->second;
  return readText(logFile(node, start ? start : latest));
}

int BoxFixture::webPort() const {
  return webPortOf(nodeIds().front());
}

int BoxFixture::webPortOf(const std::string& node) const {
  return std::stoi(readText(portFile(node)));
}

std::pair<int, std::string> BoxFixture::get(const std::string& path) const {
  return getFrom(nodeIds().front(), path);
}

std::pair<int, std::string> BoxFixture::getFrom(const std::string& node,
                                                const std::string& path) const {
  Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(webPortOf(node)));
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
