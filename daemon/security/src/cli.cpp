#include "vigil/security/cli.hpp"

#include <cstdio>
#include <ctime>
#include <fstream>
#include <functional>
#include <optional>
#include <ostream>
#include <sstream>

#include "vigil/core/error.hpp"
#include "vigil/core/progress.hpp"
#include "vigil/core/time.hpp"
#include "vigil/security/audit_log.hpp"
#include "vigil/store/database.hpp"

namespace vigil::security {
namespace {

// A progress bar when there is somewhere to draw it (nullptr: quiet, e.g. in tests).
class OptionalBar {
 public:
  OptionalBar(const char* label, std::FILE* out) {
    if (out != nullptr) bar_.emplace(label, 0, out);
  }
  void operator()(std::uint64_t done, std::uint64_t total) {
    if (!bar_) return;
    bar_->setTotal(total);
    bar_->update(done);
  }
  void finish() {
    if (bar_) bar_->finish();
  }

 private:
  std::optional<ProgressBar> bar_;
};

}  // namespace

Actor consoleActor() {
  return Actor{0, Role::admin, std::nullopt};
}

TimePoint parseUtc(std::string_view text) {
  auto t = text.size() == 10 ? core::parseDate(text) : core::parseRfc3339(text);
  if (!t || (text.size() != 10 && text.size() != 20))
    throw ValidationError("time: expected YYYY-MM-DD[THH:MM:SSZ]");
  return *t;
}

int runAuditVerify(store::Database& db, AuditLog& audit, std::ostream& out, std::FILE* progress,
                   const std::string& anchorFile) {
  std::optional<AuditCheckpoint> anchor;
  if (!anchorFile.empty()) {
    std::ifstream in(anchorFile);
    if (!in) throw ValidationError("audit anchor: cannot read " + anchorFile);
    std::stringstream text;
    text << in.rdbuf();
    anchor = AuditLog::parseAnchor(text.str());
  }
  AuditVerifyResult r;
  {
    OptionalBar bar("audit verify", progress);
    r = audit.verify(db, std::ref(bar), anchor ? &*anchor : nullptr);
    bar.finish();
  }
  if (r.ok) {
    out << "audit log intact: " << r.entries << " entries, " << r.checkpoints
        << " signed checkpoints";
    if (anchor)
      out << "; reaches the anchored checkpoint " << anchor->index << " (entry " << anchor->seq
          << ")";
    out << "\n";
  } else {
    out << "audit log BROKEN at entry " << r.firstBadSeq.value_or(0) << ": " << r.problem << "\n";
  }
  audit.record(
      db, auditEventFor(
              consoleActor(), "audit.verify", "audit_log", "", std::nullopt,
              r.ok ? AuditOutcome::success : AuditOutcome::failure,
              r.ok ? "intact" : "first_bad_entry=" + std::to_string(r.firstBadSeq.value_or(0))));
  return r.ok ? 0 : 1;
}

AuditCheckpoint runAuditAnchor(store::Database& db, AuditLog& audit, const std::string& file,
                               std::ostream& out) {
  const AuditCheckpoint cp = audit.anchor(db);
  const auto tmp = file + ".tmp";
  {
    std::ofstream f(tmp, std::ios::trunc);
    f << AuditLog::anchorText(cp);
    f.close();
    if (!f) throw Error("audit anchor: cannot write " + tmp);
  }
  if (std::rename(tmp.c_str(), file.c_str()) != 0)
    throw Error("audit anchor: cannot write " + file);
  audit.record(db, auditEventFor(consoleActor(), "audit.anchor", "audit_checkpoint",
                                 std::to_string(cp.index), std::nullopt, AuditOutcome::success,
                                 "entries=" + std::to_string(cp.seq)));
  out << "anchored checkpoint " << cp.index << " at entry " << cp.seq << " (" << formatUtc(cp.time)
      << ") in " << file << "\nkeep a copy off the box; later: vigild audit verify --anchor "
      << file << "\n";
  return cp;
}

std::uint64_t runAuditExport(store::Database& db, AuditLog& audit, std::string_view from,
                             std::string_view to, std::ostream& out, std::FILE* progress) {
  TimePoint begin = parseUtc(from);
  TimePoint end = parseUtc(to);
  if (to.size() == 10) end += std::chrono::hours{24};
  if (end <= begin) throw ValidationError("time: --to must be after --from");
  std::uint64_t n = 0;
  {
    OptionalBar bar("audit export", progress);
    n = db.read([&](store::Connection& c) {
      return AuditLog::exportRange(c, begin, end, out, std::ref(bar));
    });
    bar.finish();
  }
  audit.record(
      db, auditEventFor(
              consoleActor(), "audit.export", "audit_log", "", std::nullopt, AuditOutcome::success,
              std::string(from) + ".." + std::string(to) + " entries=" + std::to_string(n)));
  return n;
}

std::uint32_t runKeysRotate(store::Database& db, Keys& keys, AuditLog& audit, Clock& clock,
                            std::ostream& out) {
  std::uint32_t id = rotateDataKey(db, keys, audit, consoleActor(), clock);
  out << "data key " << id
      << " is now active for new writes; run `vigild keys reencrypt` to move old rows\n";
  return id;
}

ReencryptResult runKeysReencrypt(store::Database& db, Keys& keys, AuditLog& audit,
                                 std::ostream& out, std::FILE* progress) {
  ReencryptResult r;
  {
    OptionalBar bar("re-encrypt", progress);
    r = reencryptAll(db, keys, audit, consoleActor(), std::ref(bar));
    bar.finish();
  }
  out << "re-encrypted " << r.rewritten << " fields under data key " << r.activeKeyId << "\n";
  return r;
}

}  // namespace vigil::security
