#pragma once
// The cloud stand-in (`vigil-devtool cloud serve`) as a real process for the link's tests: its
// own directory (CA, keys, cloud.db), a port picked free (kept across restarts so the box's
// sync.url stays valid), fault flags, and the --record file of first acceptances.

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "vigil/testsupport/process.hpp"

namespace vigil::sync::test {

/// One line of the stand-in's --record file: `id stream seq kind`.
struct Recorded {
  std::string id;
  std::string stream;
  std::int64_t seq = 0;
  std::string kind;
};

class StandIn {
 public:
  explicit StandIn(std::filesystem::path dir, int port = testsupport::freePort())
      : dir_(std::move(dir)), port_(port) {}
  ~StandIn() { stop(); }

  /// Starts `cloud serve` with `flags` (e.g. {"--fail-rate", "0.3"}) and waits (20 s at most)
  /// until it listens. The record file is always on.
  void start(const std::vector<std::string>& flags = {}) {
    std::vector<std::string> args{"cloud",    "serve",
                                  "--dir",    dir_.string(),
                                  "--port",   std::to_string(port_),
                                  "--record", recordPath().string()};
    args.insert(args.end(), flags.begin(), flags.end());
    std::filesystem::remove(dir_ / "url");
    std::filesystem::create_directories(dir_);
    process_.emplace(DEVTOOL_PATH, testsupport::Process::Options{
                                       args, {}, dir_ / "serve.out", dir_ / "serve.err"});
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{20};
    while (testsupport::readText(dir_ / "url").empty()) {  // written once it listens
      if (std::chrono::steady_clock::now() > deadline || !process_->running())
        throw std::runtime_error("the cloud stand-in did not start: " +
                                 testsupport::readText(dir_ / "serve.err"));
      std::this_thread::sleep_for(std::chrono::milliseconds{20});
    }
  }

  void stop() {
    if (process_) process_->stop();
    process_.reset();
  }

  std::string url() const { return testsupport::readText(dir_ / "url"); }
  std::string caFile() const { return (dir_ / "ca.crt").string(); }
  std::string code() const {
    auto c = testsupport::readText(dir_ / "enrolment-code");
    while (!c.empty() && (c.back() == '\n' || c.back() == '\r')) c.pop_back();
    return c;
  }
  std::filesystem::path recordPath() const { return dir_ / "record.txt"; }
  const std::filesystem::path& dir() const { return dir_; }
  int port() const { return port_; }

  std::vector<Recorded> recorded() const {
    std::vector<Recorded> out;
    std::istringstream in(testsupport::readText(recordPath()));
    Recorded r;
    while (in >> r.id >> r.stream >> r.seq >> r.kind) out.push_back(r);
    return out;
  }

  /// Runs another `vigil-devtool cloud ...` command on this directory; returns its exit code.
  int devtool(const std::vector<std::string>& args, std::string* out = nullptr) const {
    std::vector<std::string> all{"cloud"};
    all.insert(all.end(), args.begin(), args.end());
    all.insert(all.end(), {"--dir", dir_.string()});
    const auto outFile = dir_ / "devtool.out";
    std::filesystem::remove(outFile);
    testsupport::Process p(DEVTOOL_PATH, {all, {}, outFile, dir_ / "devtool.err"});
    const int rc = p.wait(std::chrono::seconds{30}).value_or(-1);
    if (out != nullptr) *out = testsupport::readText(outFile);
    return rc;
  }

 private:
  std::filesystem::path dir_;
  int port_;
  std::optional<testsupport::Process> process_;
};

/// Checks the record against what was sent: every id exactly once, and each stream's seqs in
/// order 1, 2, 3 … Returns a description of the first problem, "" when none.
inline std::string exactlyOnceInOrder(const std::vector<Recorded>& recorded,
                                      const std::set<std::string>& sent) {
  std::set<std::string> seen;
  std::map<std::string, std::int64_t> lastSeq;
  for (const auto& r : recorded) {
    if (!seen.insert(r.id).second) return "accepted twice: " + r.id;
    if (r.kind != "stream.skip" && !sent.count(r.id)) return "never sent: " + r.id;
    auto& last = lastSeq[r.stream];
    if (r.seq != last + 1)
      return "out of order in " + r.stream + ": " + std::to_string(r.seq) + " after " +
             std::to_string(last);
    last = r.seq;
  }
  for (const auto& id : sent)
    if (!seen.count(id)) return "lost: " + id;
  return "";
}

}  // namespace vigil::sync::test
