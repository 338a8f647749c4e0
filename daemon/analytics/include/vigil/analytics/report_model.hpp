#pragma once
// The practice reports' shape (issue 30): a report is sections of tables, each cell a number, a
// text or a suppressed count, so the portal's JSON and the CSV export render the same cells, with
// the same suppression. A cell that rests on 1–10 patients is suppressed ("<11", as CMS does for
// public data) unless the reader may see every one of those patients (SmallCells).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "vigil/core/tally.hpp"

namespace vigil::analytics {

/// Fewer distinct patients than this behind a cell hides it from a reader who may not see them.
inline constexpr std::size_t kSmallCell = 11;

struct Cell {
  enum class Kind { empty, number, text, suppressed };
  Kind kind = Kind::empty;
  double number = 0;
  std::string text;

  static Cell none() { return {}; }
  static Cell of(double v) { return {Kind::number, v, {}}; }
  static Cell of(std::optional<double> v) { return v ? of(*v) : none(); }
  static Cell label(std::string t) { return {Kind::text, 0, std::move(t)}; }
  static Cell hidden() { return {Kind::suppressed, 0, {}}; }
};

struct Column {
  std::string key;
  std::string label;
  /// How the portal shows numbers: "count", "seconds", "percent", "cents", "minutes", "ratio",
  /// "number" (a plain number:
  /// a mean, a score), "date", or "" for text.
  std::string unit;
};

/// A table; `chart` says how the portal draws it ("line" over its first column's dates, "bar"
/// over its first column's labels, "" a table only).
struct Table {
  std::string key;
  std::string title;
  std::string chart;
  std::vector<Column> columns;
  std::vector<std::vector<Cell>> rows;
};

struct Section {
  std::string key;
  std::string title;
  std::vector<Table> tables;
};

/// Decides which cells a reader sees. Admins (who may see every patient) see them all; anyone
/// else sees a cell resting on 1–10 patients only when every one of them is on their care team.
class SmallCells {
 public:
  /// `visible`: ascending ids of the patients the reader may see; nullopt: every patient.
  explicit SmallCells(std::optional<std::vector<std::int64_t>> visible)
      : visible_(std::move(visible)) {}

  /// True when the reader may see this patient (an admin any; others their care teams').
  bool maySee(std::int64_t patient) const;
  /// True when a figure resting on `patients` (ascending, distinct) is hidden from the reader.
  bool hides(const std::vector<std::int64_t>& patients) const;

  /// A count, or suppressed.
  Cell count(const PatientTally& t) const;
  /// A duration percentile (seconds), or suppressed.
  Cell percentile(const DurationTally& t, double p) const;
  /// `part` / `whole` as a fraction (0..1), suppressed when either is; empty when whole is 0.
  Cell share(const PatientTally& part, const PatientTally& whole) const;
  /// Any number derived from the figures of `patients` (a mean, a rate, money).
  Cell derived(double v, const std::vector<std::int64_t>& patients) const;
  Cell derived(std::optional<double> v, const std::vector<std::int64_t>& patients) const;

  /// Cells suppressed so far by this reader's decisions (for the report's footnote).
  int suppressed() const { return suppressed_; }

 private:
  std::optional<std::vector<std::int64_t>> visible_;
  mutable int suppressed_ = 0;
};

/// One section as CSV (RFC 4180: CRLF, quoted where needed): for each table a title line, the
/// header and the rows; suppressed cells as "<11"; a blank line between tables. A text cell
/// that a spreadsheet would run as a formula (= + - @ first) is prefixed with an apostrophe.
std::string toCsv(const Section& section);

/// "<11": how a suppressed cell reads.
std::string suppressedText();

}  // namespace vigil::analytics
