#pragma once
// Private to the licensing library: the SQL on provider_profiles and provider_licenses.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/licensing/licenses.hpp"
#include "vigil/store/sqlite.hpp"

namespace vigil::licensing::detail {

/// The provider's licenses, by state then type.
std::vector<License> licensesOfIn(store::Connection& c, std::int64_t providerUserId);
/// Licenses matching `where` (SQL over provider_licenses' columns), `bind` binds its parameters.
std::vector<License> licensesWhereIn(store::Connection& c, std::string_view where,
                                     const std::function<void(store::Statement&)>& bind);
std::optional<License> getIn(store::Connection& c, std::int64_t licenseId);
std::optional<License> findIn(store::Connection& c, std::int64_t providerUserId,
                              std::string_view state, std::string_view type);
std::optional<std::string> npiOfIn(store::Connection& c, std::int64_t providerUserId);
std::int64_t insertIn(store::Connection& c, std::int64_t providerUserId, const LicenseInput& in,
                      std::int64_t by, TimePoint now);
void updateIn(store::Connection& c, const License& old, const LicenseInput& in, std::int64_t by,
              TimePoint now);
/// Applies a license.verification payload; returns license id → what changed ("verified",
/// "mismatch", "not_found"). Throws ValidationError for a payload without npi/state/status.
std::map<std::int64_t, std::string> applyVerificationIn(store::Connection& c,
                                                        std::string_view payload, TimePoint now);

}  // namespace vigil::licensing::detail
