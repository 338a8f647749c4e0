#pragma once
// Child processes, free ports and temporary directories for integration tests.

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace vigil::testsupport {

/// A fresh directory under the system temp dir, removed (recursively) in the destructor, with
/// the `<path>-keys` directory a vigild using it as data.dir puts its master key in.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "vigil-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

/// A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0, read it, close).
int freePort();
/// Polls until a TCP connect to 127.0.0.1:port succeeds; false on timeout.
bool waitForPort(int port, std::chrono::milliseconds timeout);

/// A child process started with posix_spawn; killed (SIGKILL) and reaped in the destructor if
/// still running (under a Deadline of kReapLimit: a child that cannot be reaped aborts the test
/// with its name rather than hang it).
class Process {
 public:
  struct Options {
    std::vector<std::string> args;           // without argv[0]
    std::map<std::string, std::string> env;  // added to (or overriding) the parent's environment
    std::filesystem::path stdoutFile;        // empty: /dev/null
    std::filesystem::path stderrFile;        // empty: /dev/null
  };
  /// Throws std::runtime_error if the program cannot be started.
  Process(const std::filesystem::path& program, const Options& options);
  ~Process();
  Process(Process&& other) noexcept;
  Process& operator=(Process&&) = delete;
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  /// True while the child has not exited (reaps it if it has).
  bool running();
  /// Waits for exit up to `timeout`; returns the exit code (128+signal when killed) or nullopt.
  std::optional<int> wait(std::chrono::milliseconds timeout);
  /// Sends a signal to the running child.
  void signal(int sig);
  /// SIGTERM, wait up to `grace`, then SIGKILL and wait up to kReapLimit; returns the exit
  /// status as wait() does, or -1 (and says so on stderr) if the child outlived both.
  int stop(std::chrono::milliseconds grace = std::chrono::seconds(5));

  /// How long a SIGKILLed child may take to be reaped.
  static constexpr std::chrono::seconds kReapLimit{20};

 private:
  std::string name_;
  pid_t pid_ = -1;
  std::optional<int> status_;
};

/// Reads a whole file ("" when it does not exist).
std::string readText(const std::filesystem::path& path);

}  // namespace vigil::testsupport
