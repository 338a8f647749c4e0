// The eligibility scheduling asks for, answered by state licensing (issue 22): a provider is
// offered and booked for a patient only with an active license (or compact privilege) for the
// patient's state on the date of service (licensing::LicenseService::eligibilityIn). Scheduling
// sits above licensing, so the application passes this to SchedulingService.
#pragma once

#include "vigil/licensing/licenses.hpp"
#include "vigil/scheduling/scheduling.hpp"

namespace vigil::scheduling {

class LicensingEligibility final : public ProviderEligibility {
 public:
  std::optional<std::string> refusalIn(store::Connection& c, std::int64_t providerUserId,
                                       std::string_view patientState,
                                       std::chrono::year_month_day dateOfService) const override {
    auto e =
        licensing::LicenseService::eligibilityIn(c, providerUserId, patientState, dateOfService);
    if (e.eligible) return std::nullopt;
    return e.reason;
  }
};

}  // namespace vigil::scheduling
