#pragma once
// A progress bar for long CLI work (backup, audit verify, fleet provisioning, re-encryption).
// On a terminal it redraws one line (`label [#####.....] 52% 5200/10000 1.2k/s ETA 4s`); when the
// output is not a terminal (CI logs, pipes) it prints a plain line at most every `quietEvery`
// and at the end, so logs stay short.

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace vigil {

/// Renders progress of a job with a known total to a FILE (stderr by default).
class ProgressBar {
 public:
  ProgressBar(std::string label, std::uint64_t total, std::FILE* out = stderr);
  ~ProgressBar();
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  /// Sets the number of units done (monotonic); redraws at most ~10 times a second.
  void update(std::uint64_t done);
  /// Changes the total (when it is only known later, e.g. backup pages).
  void setTotal(std::uint64_t total) { total_ = total; }
  /// Draws the final state and ends the line. Called by the destructor if not called.
  void finish();

  /// The text of one rendering (exposed for tests).
  static std::string render(const std::string& label, std::uint64_t done, std::uint64_t total,
                            double seconds, int width);

 private:
  void draw(bool final);

  std::string label_;
  std::uint64_t total_;
  std::uint64_t done_ = 0;
  std::FILE* out_;
  bool tty_;
  bool finished_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point lastDraw_;
  std::chrono::seconds quietEvery_{5};
};

}  // namespace vigil
