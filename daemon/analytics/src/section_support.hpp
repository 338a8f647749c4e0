#pragma once
// What the section builders share: column and cell shorthands, the day label, and the table of
// one row per item (by provider, per day, by code...).

#include <string>
#include <utility>
#include <vector>

#include "vigil/analytics/practice_report.hpp"
#include "vigil/core/time.hpp"

namespace vigil::analytics::detail {

inline Column count(std::string key, std::string label) {
  return {std::move(key), std::move(label), "count"};
}
inline Column seconds(std::string key, std::string label) {
  return {std::move(key), std::move(label), "seconds"};
}
inline Column ratio(std::string key, std::string label) {
  return {std::move(key), std::move(label), "ratio"};
}
inline Column cents(std::string key, std::string label) {
  return {std::move(key), std::move(label), "cents"};
}
inline Column minutes(std::string key, std::string label) {
  return {std::move(key), std::move(label), "minutes"};
}
inline Column text(std::string key, std::string label) {
  return {std::move(key), std::move(label), ""};
}
inline Column date(std::string key, std::string label) {
  return {std::move(key), std::move(label), "date"};
}

/// "2026-11-01": the UTC day a series row starts.
std::string dayLabel(TimePoint t);

/// A table of one row (the period's totals).
Table totals(std::string title, std::vector<Column> columns, std::vector<Cell> row);

/// A row: a text cell `label`, then `figures`.
std::vector<Cell> labelled(std::string label, std::vector<Cell> figures);
/// The columns of such rows: `label`, then `figures`.
std::vector<Column> labelled(Column label, std::vector<Column> figures);

/// A table of one row per item of `items` (any range: a report's providers, days, a filtered
/// view), in their order, each laid out by `rowOf(item)`. `chart` as in Table ("" none).
template <class Items, class RowOf>
Table seriesTable(std::string key, std::string title, std::string chart,
                  std::vector<Column> columns, Items&& items, RowOf rowOf) {
  Table t{std::move(key), std::move(title), std::move(chart), std::move(columns), {}};
  for (auto&& item : items) t.rows.push_back(rowOf(item));
  return t;
}

}  // namespace vigil::analytics::detail
