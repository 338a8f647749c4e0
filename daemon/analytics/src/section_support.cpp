#include "section_support.hpp"

namespace vigil::analytics::detail {

std::string dayLabel(TimePoint t) {
  return core::formatUtc(t).substr(0, 10);
}

Table totals(std::string title, std::vector<Column> columns, std::vector<Cell> row) {
  Table t;
  t.key = "totals";
  t.title = std::move(title);
  t.columns = std::move(columns);
  t.rows.push_back(std::move(row));
  return t;
}

std::vector<Cell> labelled(std::string label, std::vector<Cell> figures) {
  std::vector<Cell> row{Cell::label(std::move(label))};
  for (auto& c : figures) row.push_back(std::move(c));
  return row;
}

std::vector<Column> labelled(Column label, std::vector<Column> figures) {
  std::vector<Column> columns{std::move(label)};
  for (auto& c : figures) columns.push_back(std::move(c));
  return columns;
}

}  // namespace vigil::analytics::detail
