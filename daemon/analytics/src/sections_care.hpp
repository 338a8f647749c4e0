#pragma once
// The care sections of the practice reports (sections_care.cpp).

#include "vigil/analytics/practice_report.hpp"

namespace vigil::analytics::detail {

#ifdef VIGIL_ANALYTICS_WITH_VISITS
Section visitsSection(const SectionContext& x);
Section onDemandSection(const SectionContext& x);
Section satisfactionSection(const SectionContext& x);
#endif
Section casesSection(const SectionContext& x);

}  // namespace vigil::analytics::detail
