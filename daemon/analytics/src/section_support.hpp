#pragma once
// What the section builders share: column and cell shorthands and the day label.

#include <string>

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

}  // namespace vigil::analytics::detail
