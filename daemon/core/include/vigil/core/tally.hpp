#pragma once
// What the practice reports (issue 30) count, as each owning library hands them to
// vigil::analytics: a count together with the distinct patients behind it, so a report can hide
// a cell that rests on fewer than 11 patients from a reader who may not see those patients
// (small-cell suppression, as CMS does for public data), and durations kept whole so the
// report takes their median and 90th percentile. Header only: plain data, no policy.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <vector>

namespace vigil {

/// Whose figures a report covers, resolved by vigil::analytics before it asks the owning
/// libraries: the whole practice, or the given providers (one provider, or a clinic group's) and
/// the patients on their care teams. A library filters by whichever it has: visits and cases by
/// provider, alerts and RPM figures by patient.
struct ReportScope {
  bool practice = true;
  std::vector<std::int64_t> providers;  // ascending; only when !practice
  std::vector<std::int64_t> patients;   // ascending; only when !practice

  bool coversProvider(std::int64_t id) const {
    return practice || std::binary_search(providers.begin(), providers.end(), id);
  }
  bool coversPatient(std::int64_t id) const {
    return practice || std::binary_search(patients.begin(), patients.end(), id);
  }
};

/// How many things (visits, alerts, claims, days …) and which patients they concern.
struct PatientTally {
  std::int64_t count = 0;
  /// Distinct patient ids, ascending, once finish()ed.
  std::vector<std::int64_t> patients;

  /// Counts `n` more things of `patient` (0: of no patient, such as a provider's free hour).
  void add(std::int64_t patient, std::int64_t n = 1) {
    count += n;
    if (patient != 0) patients.push_back(patient);
  }
  /// Sorts and de-duplicates `patients` (call once every add() is done).
  void finish() {
    std::sort(patients.begin(), patients.end());
    patients.erase(std::unique(patients.begin(), patients.end()), patients.end());
  }
};

/// Durations in seconds (raised → acknowledged, requested → seen …) and their patients.
struct DurationTally {
  /// Ascending once finish()ed.
  std::vector<double> seconds;
  std::vector<std::int64_t> patients;

  void add(std::int64_t patient, double s) {
    seconds.push_back(s);
    if (patient != 0) patients.push_back(patient);
  }
  void finish() {
    std::sort(seconds.begin(), seconds.end());
    std::sort(patients.begin(), patients.end());
    patients.erase(std::unique(patients.begin(), patients.end()), patients.end());
  }
  /// The nearest-rank percentile p (0 < p <= 100) of the finished values; nullopt when empty.
  std::optional<double> percentile(double p) const {
    if (seconds.empty()) return std::nullopt;
    const auto rank =
        static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(seconds.size())));
    return seconds[std::clamp<std::size_t>(rank, 1, seconds.size()) - 1];
  }
};

}  // namespace vigil
