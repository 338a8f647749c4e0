#include "vigil/analytics/sections.hpp"

#include "sections_care.hpp"
#include "sections_monitoring.hpp"

namespace vigil::analytics {

std::vector<SectionSource> practiceSections() {
  std::vector<SectionSource> sections;
#ifdef VIGIL_ANALYTICS_WITH_VISITS
  sections.push_back({"visits", detail::visitsSection});
  sections.push_back({"ondemand", detail::onDemandSection});
#endif
  sections.push_back({"cases", detail::casesSection});
  sections.push_back({"alerts", detail::alertsSection});
  sections.push_back({"rpm", detail::rpmSection});
  sections.push_back({"billing", detail::billingSection});
#ifdef VIGIL_ANALYTICS_WITH_VISITS
  sections.push_back({"satisfaction", detail::satisfactionSection});
#endif
  return sections;
}

}  // namespace vigil::analytics
