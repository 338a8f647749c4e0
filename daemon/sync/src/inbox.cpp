#include "vigil/sync/inbox.hpp"

#include "vigil/core/error.hpp"
#include "vigil/core/time.hpp"
#include "vigil/store/database.hpp"
#include "vigil/store/sqlite.hpp"
#include "vigil/sync/link_state.hpp"

namespace vigil::sync {

bool Inbox::applyIn(store::Connection& c, std::string_view messageId, std::string_view kind,
                    std::optional<std::string_view> cursor, const ApplyMessage& apply) {
  if (messageId.empty() || messageId.size() > 64) throw ValidationError("id: not a message id");
  if (kind.empty() || kind.size() > 64) throw ValidationError("kind: not a kind");
  if (cursor && cursor->size() > 1024) throw ValidationError("cursor: over 1024 bytes");
  store::Transaction tx(c);  // a savepoint inside the caller's job: all of it or nothing
  const bool fresh = !appliedIn(c, messageId);
  if (fresh) {
    apply(c);
    const auto now = core::toMillis(clock_.now());
    c.execute("INSERT INTO sync_inbox (id, kind, received_at, applied_at) VALUES (?1, ?2, ?3, ?3)",
              messageId, kind, now);
  }
  if (cursor) advanceCursorIn(c, *cursor);
  tx.commit();
  return fresh;
}

void Inbox::advanceCursorIn(store::Connection& c, std::string_view cursor) {
  setLinkStateIn(c, kInboxCursorKey, cursor);
}

std::string Inbox::cursorIn(store::Connection& c) {
  return linkStateIn(c, kInboxCursorKey).value_or("");
}

std::string Inbox::cursor(store::Database& db) {
  return db.read([](store::Connection& c) { return cursorIn(c); });
}

bool Inbox::appliedIn(store::Connection& c, std::string_view messageId) {
  return c.queryValue<std::int64_t>("SELECT 1 FROM sync_inbox WHERE id = ?1", messageId)
      .has_value();
}

}  // namespace vigil::sync
