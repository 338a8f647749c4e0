#include "vigil/analytics/sections.hpp"

#include "sections_care.hpp"

namespace vigil::analytics {

std::vector<SectionSource> practiceSections() {
  std::vector<SectionSource> sections;
#ifdef VIGIL_ANALYTICS_WITH_VISITS
  sections.push_back({"visits", detail::visitsSection});
  sections.push_back({"ondemand", detail::onDemandSection});
#endif
  sections.push_back({"cases", detail::casesSection});
  return sections;
}

}  // namespace vigil::analytics
