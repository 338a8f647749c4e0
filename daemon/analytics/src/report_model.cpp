#include "vigil/analytics/report_model.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace vigil::analytics {
namespace {

std::string csvField(const std::string& s) {
  std::string v = s;
  if (!v.empty() && (v[0] == '=' || v[0] == '+' || v[0] == '-' || v[0] == '@')) v = "'" + v;
  if (v.find_first_of(",\"\r\n") == std::string::npos) return v;
  std::string out = "\"";
  for (char c : v) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string number(double v) {
  if (std::floor(v) == v && std::fabs(v) < 1e15) return std::to_string(static_cast<long long>(v));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4f", v);
  std::string s = buf;
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

std::string cellText(const Cell& c) {
  switch (c.kind) {
    case Cell::Kind::empty:
      return "";
    case Cell::Kind::number:
      return number(c.number);
    case Cell::Kind::text:
      return c.text;
    case Cell::Kind::suppressed:
      return suppressedText();
  }
  return "";
}

}  // namespace

std::string suppressedText() {
  return "<" + std::to_string(kSmallCell);
}

bool SmallCells::maySee(std::int64_t patient) const {
  return !visible_ || std::binary_search(visible_->begin(), visible_->end(), patient);
}

bool SmallCells::hides(const std::vector<std::int64_t>& patients) const {
  if (patients.empty() || patients.size() >= kSmallCell || !visible_) return false;
  return !std::includes(visible_->begin(), visible_->end(), patients.begin(), patients.end());
}

Cell SmallCells::count(const PatientTally& t) const {
  return derived(static_cast<double>(t.count), t.patients);
}

Cell SmallCells::percentile(const DurationTally& t, double p) const {
  return derived(t.percentile(p), t.patients);
}

Cell SmallCells::share(const PatientTally& part, const PatientTally& whole) const {
  if (hides(part.patients) || hides(whole.patients)) {
    ++suppressed_;
    return Cell::hidden();
  }
  if (whole.count == 0) return Cell::none();
  return Cell::of(static_cast<double>(part.count) / static_cast<double>(whole.count));
}

Cell SmallCells::derived(double v, const std::vector<std::int64_t>& patients) const {
  if (hides(patients)) {
    ++suppressed_;
    return Cell::hidden();
  }
  return Cell::of(v);
}

Cell SmallCells::derived(std::optional<double> v, const std::vector<std::int64_t>& patients) const {
  if (hides(patients)) {
    ++suppressed_;
    return Cell::hidden();
  }
  return Cell::of(v);
}

std::string toCsv(const Section& section) {
  std::string out;
  bool first = true;
  for (const auto& t : section.tables) {
    if (!first) out += "\r\n";
    first = false;
    out += csvField(section.title + ": " + t.title) + "\r\n";
    for (std::size_t i = 0; i < t.columns.size(); ++i)
      out += (i ? "," : "") + csvField(t.columns[i].label);
    out += "\r\n";
    for (const auto& row : t.rows) {
      for (std::size_t i = 0; i < row.size(); ++i)
        out += (i ? "," : "") + csvField(cellText(row[i]));
      out += "\r\n";
    }
  }
  return out;
}

}  // namespace vigil::analytics
