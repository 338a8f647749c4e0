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

}  // namespace vigil::analytics::detail
