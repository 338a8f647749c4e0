#include "vigil/sync/link_state.hpp"

#include <string>

#include "vigil/core/time.hpp"
#include "vigil/store/sqlite.hpp"

namespace vigil::sync {

std::optional<std::string> linkStateIn(store::Connection& c, std::string_view key) {
  return c.queryValue<std::string>("SELECT value FROM sync_state WHERE key = ?1", key);
}

void setLinkStateIn(store::Connection& c, std::string_view key, std::string_view value) {
  c.execute(
      "INSERT INTO sync_state (key, value) VALUES (?1, ?2) "
      "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      key, value);
}

void recordLinkSuccessIn(store::Connection& c, TimePoint now) {
  setLinkStateIn(c, kLastSuccessKey, std::to_string(core::toMillis(now)));
}

void recordLinkErrorIn(store::Connection& c, TimePoint now, std::string_view reason) {
  setLinkStateIn(c, kLastErrorKey, reasonWord(reason));
  setLinkStateIn(c, kLastErrorAtKey, std::to_string(core::toMillis(now)));
}

std::string reasonWord(std::string_view reason) {
  std::string out;
  for (char ch : reason.substr(0, 64)) {
    bool ok =
        (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '.' || ch == '-';
    if (ch >= 'A' && ch <= 'Z') {
      out.push_back(static_cast<char>(ch - 'A' + 'a'));
    } else {
      out.push_back(ok ? ch : '_');
    }
  }
  return out.empty() ? std::string("unspecified") : out;
}

}  // namespace vigil::sync
