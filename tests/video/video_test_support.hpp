#pragma once
// Small helpers of the video integration tests: bounded polling and gst-discoverer's report of
// a decrypted recording.

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <thread>

namespace vigil::video::test {

/// Polls `done` every 50 ms for at most `limit`.
inline bool waitFor(const std::function<bool()>& done,
                    std::chrono::milliseconds limit = std::chrono::seconds(20)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return done();
}

/// Writes `media` (a decrypted recording) to `dir`/`name` and returns gst-discoverer-1.0's
/// report of it (its exit status in `status`).
inline std::string discover(const std::string& media, const std::filesystem::path& dir,
                            const std::string& name, int& status) {
  const auto plain = dir / name;
  std::ofstream(plain, std::ios::binary) << media;
  const auto report = dir / (name + ".txt");
  const std::string cmd =
      "gst-discoverer-1.0 " + plain.string() + " > " + report.string() + " 2>&1";
  status = std::system(cmd.c_str());
  std::ifstream in(report);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace vigil::video::test
