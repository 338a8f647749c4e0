#include "vigil/security/account_lookup.hpp"

#include "vigil/store/sqlite.hpp"

namespace vigil::security {

std::optional<ActiveAccount> activeAccountIn(store::Connection& c, std::int64_t userId) {
  auto st = c.prepare("SELECT id, role, patient_id FROM users WHERE id = ?1 AND status = 'active'");
  st.bind(1, userId);
  if (!st.step()) return std::nullopt;
  const auto role = parseRole(st.getText(1));
  if (!role) return std::nullopt;  // the schema's CHECK allows no other role
  return ActiveAccount{st.getInt64(0), *role, st.get<std::optional<std::int64_t>>(2)};
}

std::optional<std::int64_t> activePatientUserIn(store::Connection& c, std::int64_t patientId) {
  return c.queryValue<std::int64_t>(
      "SELECT id FROM users WHERE role = 'patient' AND patient_id = ?1 AND status = 'active' "
      "ORDER BY id LIMIT 1",
      patientId);
}

}  // namespace vigil::security
