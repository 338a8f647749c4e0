#pragma once
// The practice reports' sections (issue 30), in the report's order, each reading its figures
// from the library that owns them on the report's connection (docs/reports.md defines each).

#include <vector>

#include "vigil/analytics/practice_report.hpp"

namespace vigil::analytics {

/// Every section this build has (visits, on-demand care and satisfaction come with video).
std::vector<SectionSource> practiceSections();

}  // namespace vigil::analytics
