#include "vigil/core/progress.hpp"

#include <unistd.h>

#include <cmath>

namespace vigil {
namespace {

std::string human(double v) {
  char buf[32];
  if (v >= 1e6) {
    std::snprintf(buf, sizeof buf, "%.1fM", v / 1e6);
  } else if (v >= 1e3) {
    std::snprintf(buf, sizeof buf, "%.1fk", v / 1e3);
  } else {
    std::snprintf(buf, sizeof buf, "%.0f", v);
  }
  return buf;
}

}  // namespace

ProgressBar::ProgressBar(std::string label, std::uint64_t total, std::FILE* out)
    : label_(std::move(label)),
      total_(total),
      out_(out),
      tty_(::isatty(::fileno(out)) != 0),
      start_(std::chrono::steady_clock::now()),
      lastDraw_(start_) {}

ProgressBar::~ProgressBar() {
  finish();
}

void ProgressBar::update(std::uint64_t done) {
  done_ = done;
  auto now = std::chrono::steady_clock::now();
  auto every = tty_ ? std::chrono::milliseconds(100)
                    : std::chrono::duration_cast<std::chrono::milliseconds>(quietEvery_);
  if (now - lastDraw_ >= every) {
    lastDraw_ = now;
    draw(false);
  }
}

void ProgressBar::finish() {
  if (finished_) return;
  finished_ = true;
  draw(true);
}

std::string ProgressBar::render(const std::string& label, std::uint64_t done, std::uint64_t total,
                                double seconds, int width) {
  double frac = total ? static_cast<double>(done) / static_cast<double>(total) : 1.0;
  if (frac > 1) frac = 1;
  int filled = static_cast<int>(std::lround(frac * width));
  std::string bar(static_cast<std::size_t>(filled), '#');
  bar.append(static_cast<std::size_t>(width - filled), '.');
  double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0;
  std::string line = label + " [" + bar + "] " + std::to_string(static_cast<int>(frac * 100)) +
                     "% " + std::to_string(done) + "/" + std::to_string(total) + " " + human(rate) +
                     "/s";
  if (done < total && rate > 0) {
    double eta = static_cast<double>(total - done) / rate;
    line += " ETA " + std::to_string(static_cast<long>(std::ceil(eta))) + "s";
  } else if (done >= total) {
    char buf[32];
    std::snprintf(buf, sizeof buf, " in %.1fs", seconds);
    line += buf;
  }
  return line;
}

void ProgressBar::draw(bool final) {
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  auto line = render(label_, done_, total_, secs, 30);
  if (tty_) {
    std::fprintf(out_, "\r\033[K%s%s", line.c_str(), final ? "\n" : "");
  } else {
    std::fprintf(out_, "%s\n", line.c_str());
  }
  std::fflush(out_);
}

}  // namespace vigil
