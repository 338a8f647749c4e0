#include "vigil/sync/cli.hpp"

#include <algorithm>
#include <ostream>

#include "vigil/core/json_text.hpp"
#include "vigil/core/time.hpp"
#include "vigil/store/database.hpp"

namespace vigil::sync {
namespace {

using std::chrono::duration_cast;
using std::chrono::seconds;

std::int64_t ageSeconds(TimePoint now, TimePoint then) {
  return std::max<std::int64_t>(0, duration_cast<seconds>(now - then).count());
}

std::string whenText(const std::optional<TimePoint>& t, TimePoint now) {
  if (!t) return "never";
  return core::formatUtc(*t, core::Fraction::millis) + " (" +
         humanDuration(seconds{ageSeconds(now, *t)}) + " ago)";
}

std::string headText(const StreamStatus& s, TimePoint now) {
  const auto& h = s.head;
  if (s.blocked())
    return "REFUSED: " + h.lastError + " (entry " + h.id + ", seq " + std::to_string(h.seq) +
           "; an admin retries or cancels it)";
  if (h.attempts == 0) return "waiting (seq " + std::to_string(h.seq) + ")";
  std::string out = "retrying (seq " + std::to_string(h.seq) + ", " + std::to_string(h.attempts) +
                    " failed, last: " + h.lastError;
  if (h.nextAttemptAt > now)
    out += ", next in " + humanDuration(duration_cast<seconds>(h.nextAttemptAt - now));
  return out + ")";
}

void appendTime(std::string& out, const std::optional<TimePoint>& t) {
  if (t) {
    core::appendJsonString(out, core::formatUtc(*t, core::Fraction::millis));
  } else {
    out += "null";
  }
}

void appendStreamJson(std::string& out, const StreamStatus& s, TimePoint now) {
  const auto& h = s.head;
  out += "{\"stream\":" + core::jsonString(s.stream);
  out += ",\"streamKind\":" + core::jsonString(s.streamKind);
  out += ",\"backlog\":" + std::to_string(s.backlog);
  out += ",\"oldestEntryAgeSeconds\":" + std::to_string(ageSeconds(now, s.oldestCreatedAt));
  out += std::string(",\"blocked\":") + (s.blocked() ? "true" : "false");
  out += ",\"head\":{\"id\":" + core::jsonString(h.id);
  out += ",\"seq\":" + std::to_string(h.seq);
  out += ",\"kind\":" + core::jsonString(h.kind);
  out += ",\"recipient\":" + core::jsonString(h.recipient);
  out += ",\"state\":" + core::jsonString(toString(h.state));
  out += ",\"attempts\":" + std::to_string(h.attempts);
  out += ",\"lastError\":";
  if (h.lastError.empty()) {
    out += "null";
  } else {
    core::appendJsonString(out, h.lastError);
  }
  out += ",\"nextAttemptAt\":";
  appendTime(out, h.nextAttemptAt);
  out += "}}";
}

}  // namespace

std::string humanDuration(std::chrono::seconds d) {
  const std::int64_t s = std::max<std::int64_t>(0, d.count());
  if (s < 60) return std::to_string(s) + "s";
  if (s < 3600) return std::to_string(s / 60) + "m " + std::to_string(s % 60) + "s";
  if (s < 86400) return std::to_string(s / 3600) + "h " + std::to_string(s % 3600 / 60) + "m";
  return std::to_string(s / 86400) + "d " + std::to_string(s % 86400 / 3600) + "h";
}

std::string formatStatusText(const OutboxStatus& status, TimePoint now, std::size_t maxStreams) {
  std::string out = "cloud link outbox: ";
  if (status.backlog == 0) {
    out += "empty\n";
  } else {
    out += std::to_string(status.backlog) + " entries waiting in " +
           std::to_string(status.streams.size()) + " stream(s), oldest " +
           humanDuration(seconds{ageSeconds(now, status.oldestCreatedAt.value_or(now))}) + " old\n";
  }
  out += "last success: " + whenText(status.lastSuccessAt, now) + "\n";
  out += "last error:   ";
  out += status.lastError.empty() ? std::string("none")
                                  : status.lastError + " at " + whenText(status.lastErrorAt, now);
  out += "\n";
  std::size_t shown = 0;
  for (const auto& s : status.streams) {
    if (shown++ == maxStreams) {
      out += "  … and " + std::to_string(status.streams.size() - maxStreams) + " more stream(s)\n";
      break;
    }
    out += "  " + s.stream + ": " + std::to_string(s.backlog) + " waiting, oldest " +
           humanDuration(seconds{ageSeconds(now, s.oldestCreatedAt)}) + ", " + headText(s, now) +
           "\n";
  }
  return out;
}

std::string formatStatusJson(const OutboxStatus& status, TimePoint now) {
  std::string out = "{\"backlog\":" + std::to_string(status.backlog);
  out += ",\"oldestEntryAgeSeconds\":";
  out += status.oldestCreatedAt ? std::to_string(ageSeconds(now, *status.oldestCreatedAt))
                                : std::string("null");
  out += ",\"lastSuccessAt\":";
  appendTime(out, status.lastSuccessAt);
  out += ",\"lastError\":";
  if (status.lastError.empty()) {
    out += "null";
  } else {
    core::appendJsonString(out, status.lastError);
  }
  out += ",\"lastErrorAt\":";
  appendTime(out, status.lastErrorAt);
  out += ",\"streams\":[";
  for (std::size_t i = 0; i < status.streams.size(); ++i) {
    if (i > 0) out += ",";
    appendStreamJson(out, status.streams[i], now);
  }
  out += "]}\n";
  return out;
}

int runSyncStatus(store::Database& db, const Clock& clock, std::ostream& out, bool json) {
  const auto status = outboxStatus(db);
  const auto now = clock.now();
  out << (json ? formatStatusJson(status, now) : formatStatusText(status, now));
  return 0;
}

void runSyncRetry(Outbox& outbox, const security::Actor& actor, std::string_view id,
                  std::ostream& out) {
  outbox.retry(actor, id);
  out << "sync entry " << id << " goes again now\n";
}

void runSyncCancel(Outbox& outbox, const security::Actor& actor, std::string_view id,
                   std::ostream& out) {
  outbox.cancel(actor, id);
  out << "sync entry " << id << " cancelled: it is never sent; its stream goes on\n";
}

}  // namespace vigil::sync
