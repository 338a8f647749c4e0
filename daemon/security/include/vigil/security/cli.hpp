#pragma once
// The security subcommands of vigild as library functions; vigild's main only parses argv and
// calls these. Progress goes to a FILE (stderr) through vigil::ProgressBar, results to `out`.
// CLI actions are audited with actor id 0, role "admin" (the operator at the box's console).
//
//   vigild audit verify [--anchor FILE]     -> runAuditVerify
//   vigild audit anchor FILE                -> runAuditAnchor
//   vigild audit export --from D --to D     -> runAuditExport   (JSON Lines on stdout)
//   vigild keys rotate                      -> runKeysRotate
//   vigild keys reencrypt                   -> runKeysReencrypt

#include <cstdint>
#include <cstdio>
#include <iosfwd>
#include <string>
#include <string_view>

#include "vigil/core/clock.hpp"
#include "vigil/security/audit_entry.hpp"
#include "vigil/security/keys.hpp"

namespace vigil::store {
class Database;
}

namespace vigil::security {

class AuditLog;

/// The actor of console commands.
Actor consoleActor();

/// Parses "YYYY-MM-DD" (midnight UTC) or "YYYY-MM-DDTHH:MM:SSZ"; throws vigil::ValidationError.
TimePoint parseUtc(std::string_view text);

/// Verifies the whole audit chain; prints "audit log intact: N entries, M checkpoints" or
/// "audit log BROKEN at entry S: <problem>" to out. Returns 0 when intact, 1 otherwise.
/// With `anchorFile`, the log must also still hold the checkpoint written there by
/// runAuditAnchor (an unreadable or forged anchor file is a ValidationError).
int runAuditVerify(store::Database& db, AuditLog& audit, std::ostream& out,
                   std::FILE* progress = stderr, const std::string& anchorFile = {});

/// Checkpoints the latest entry and writes that signed checkpoint to `file` (created or
/// replaced; no secrets in it), for the operator to keep off the box. Prints what it anchored.
/// Audited (audit.anchor).
AuditCheckpoint runAuditAnchor(store::Database& db, AuditLog& audit, const std::string& file,
                               std::ostream& out);

/// Writes entries from `from` (inclusive) to `to` as JSON Lines; a date-only `to` includes
/// that whole day. Returns the number of entries. Throws ValidationError for bad dates.
std::uint64_t runAuditExport(store::Database& db, AuditLog& audit, std::string_view from,
                             std::string_view to, std::ostream& out, std::FILE* progress = stderr);

/// Creates and activates a new data key; prints its id. Returns the id.
std::uint32_t runKeysRotate(store::Database& db, Keys& keys, AuditLog& audit, Clock& clock,
                            std::ostream& out);

/// Re-encrypts every field under the active key with a progress bar; prints the count.
ReencryptResult runKeysReencrypt(store::Database& db, Keys& keys, AuditLog& audit,
                                 std::ostream& out, std::FILE* progress = stderr);

}  // namespace vigil::security
