#include "vigil/store/settings_repository.hpp"

#include <string>

#include "vigil/store/database.hpp"

namespace vigil::store {

std::optional<std::string> SqliteSettingsRepository::getIn(Connection& conn, std::string_view key) {
  return conn.queryValue<std::string>("SELECT value FROM settings WHERE key = ?1", key);
}

void SqliteSettingsRepository::setIn(Connection& conn, std::string_view key,
                                     std::string_view value) {
  conn.execute(
      "INSERT INTO settings(key, value) VALUES (?1, ?2)"
      " ON CONFLICT(key) DO UPDATE SET value = excluded.value,"
      " updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')",
      key, value);
}

void SqliteSettingsRepository::raiseIn(Connection& conn, std::string_view key, std::int64_t value) {
  conn.execute(
      "INSERT INTO settings(key, value) VALUES (?1, ?2)"
      " ON CONFLICT(key) DO UPDATE SET"
      " value = max(CAST(settings.value AS BIGINT), CAST(?2 AS BIGINT)),"
      " updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')",
      key, std::to_string(value));
}

bool SqliteSettingsRepository::eraseIn(Connection& conn, std::string_view key) {
  return conn.execute("DELETE FROM settings WHERE key = ?1", key) > 0;
}

std::optional<std::string> SqliteSettingsRepository::get(std::string_view key) {
  return db_.read([&](Connection& c) { return getIn(c, key); });
}

void SqliteSettingsRepository::set(std::string_view key, std::string_view value) {
  db_.writeSync([k = std::string(key), v = std::string(value)](Connection& c) { setIn(c, k, v); });
}

bool SqliteSettingsRepository::erase(std::string_view key) {
  return db_.writeSync([k = std::string(key)](Connection& c) { return eraseIn(c, k); });
}

std::map<std::string, std::string> SqliteSettingsRepository::all() {
  return db_.read([](Connection& c) {
    std::map<std::string, std::string> out;
    auto st = c.prepare("SELECT key, value FROM settings ORDER BY key");
    while (st.step()) out.emplace(st.getText(0), st.getText(1));
    return out;
  });
}

}  // namespace vigil::store
