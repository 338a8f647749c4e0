#pragma once
// The monitoring and money sections of the practice reports (sections_monitoring.cpp).

#include "vigil/analytics/practice_report.hpp"

namespace vigil::analytics::detail {

Section alertsSection(const SectionContext& x);
Section rpmSection(const SectionContext& x);
Section billingSection(const SectionContext& x);

}  // namespace vigil::analytics::detail
