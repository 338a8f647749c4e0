#include "vigil/alerts/alert_repository.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <thread>

#include "sealed_text.hpp"
#include "vigil/core/log.hpp"
#include "vigil/core/time.hpp"
#include "vigil/readings/reading_query.hpp"
#include "vigil/store/database.hpp"
#include "vigil/store/settings_repository.hpp"
#include "vigil/store/sqlite.hpp"

namespace vigil::alerts {

namespace {

using store::Connection;
using store::Statement;

using core::fromMillis;
using core::toMillis;

std::string formatDouble(double v) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);  // shortest exact round trip
  return std::string(buf, end);
}

std::optional<double> parseDouble(std::string_view s) {
  double v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::string encodeTiers(const std::vector<Tier>& tiers) {
  std::string out;
  for (const auto& t : tiers) {
    if (!out.empty()) out += ';';
    out += std::string(toString(t.severity)) + ':' + formatDouble(t.limit);
  }
  return out;
}

std::vector<Tier> decodeTiers(const std::string& text) {
  std::vector<Tier> tiers;
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find(';', start);
    if (end == std::string::npos) end = text.size();
    std::string_view item(text.data() + start, end - start);
    auto colon = item.find(':');
    if (colon == std::string_view::npos) throw StoreError("alert_rules.tiers: malformed");
    auto sev = parseSeverity(item.substr(0, colon));
    auto limit = parseDouble(item.substr(colon + 1));
    if (!sev || !limit) throw StoreError("alert_rules.tiers: malformed");
    tiers.push_back(Tier{*sev, *limit});
    start = end + 1;
  }
  return tiers;
}

constexpr const char* kAlertColumns =
    "id, patient_id, rule_key, rule_version, kind, code, severity, state, count, latest_value, "
    "worst_value, higher_is_worse, first_reading_id, last_reading_id, first_observed_at, "
    "last_observed_at, raised_at, ack_deadline, claimed_at, claimed_by, acknowledged_at, "
    "acknowledged_by, resolved_at, resolved_by, escalated_at, escalation_level, assignee, "
    "resolution_note_enc";

template <class E>
E parseOrThrow(std::optional<E> v, const char* column) {
  if (!v) throw StoreError(std::string("alerts.") + column + ": unknown value");
  return *v;
}

Alert readAlert(const Statement& st, const crypto::FieldCipher& cipher) {
  Alert a;
  a.id = st.get<std::int64_t>(0);
  a.patientId = st.get<std::int64_t>(1);
  a.ruleKey = st.get<std::string>(2);
  a.ruleVersion = st.get<std::int64_t>(3);
  a.kind = parseOrThrow(parseRuleKind(st.get<std::string>(4)), "kind");
  a.code = st.get<std::string>(5);
  a.severity = parseOrThrow(parseSeverity(st.get<std::string>(6)), "severity");
  a.state = parseOrThrow(parseAlertState(st.get<std::string>(7)), "state");
  a.count = st.get<std::int64_t>(8);
  a.latestValue = st.get<double>(9);
  a.worstValue = st.get<double>(10);
  a.higherIsWorse = st.get<bool>(11);
  a.firstReadingId = st.get<std::int64_t>(12);
  a.lastReadingId = st.get<std::int64_t>(13);
  a.firstObservedAt = fromMillis(st.get<std::int64_t>(14));
  a.lastObservedAt = fromMillis(st.get<std::int64_t>(15));
  a.raisedAt = fromMillis(st.get<std::int64_t>(16));
  a.ackDeadline = fromMillis(st.get<std::int64_t>(17));
  a.claimedAt = fromMillis(st.get<std::optional<std::int64_t>>(18));
  a.claimedBy = st.get<std::optional<std::int64_t>>(19);
  a.acknowledgedAt = fromMillis(st.get<std::optional<std::int64_t>>(20));
  a.acknowledgedBy = st.get<std::optional<std::int64_t>>(21);
  a.resolvedAt = fromMillis(st.get<std::optional<std::int64_t>>(22));
  a.resolvedBy = st.get<std::optional<std::int64_t>>(23);
  a.escalatedAt = fromMillis(st.get<std::optional<std::int64_t>>(24));
  a.escalationLevel = st.get<int>(25);
  a.assignee = st.get<std::optional<std::int64_t>>(26);
  a.resolutionNote = detail::openText(cipher, "alerts", "resolution_note", a.id, st, 27);
  return a;
}

void upsertAlert(Connection& c, const Alert& a, const crypto::FieldCipher& cipher) {
  c.execute(std::string("INSERT INTO alerts (") + kAlertColumns +
                ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, "
                "?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28) "
                "ON CONFLICT (id) DO UPDATE SET rule_version = ?4, severity = ?7, state = ?8, "
                "count = ?9, latest_value = ?10, worst_value = ?11, last_reading_id = ?14, "
                "last_observed_at = ?16, ack_deadline = ?18, claimed_at = ?19, claimed_by = ?20, "
                "acknowledged_at = ?21, acknowledged_by = ?22, resolved_at = ?23, "
                "resolved_by = ?24, escalated_at = ?25, escalation_level = ?26, assignee = ?27, "
                "resolution_note_enc = ?28",
            a.id, a.patientId, a.ruleKey, a.ruleVersion, std::string(toString(a.kind)), a.code,
            std::string(toString(a.severity)), std::string(toString(a.state)), a.count,
            a.latestValue, a.worstValue, a.higherIsWorse ? 1 : 0, a.firstReadingId, a.lastReadingId,
            toMillis(a.firstObservedAt), toMillis(a.lastObservedAt), toMillis(a.raisedAt),
            toMillis(a.ackDeadline), toMillis(a.claimedAt), a.claimedBy, toMillis(a.acknowledgedAt),
            a.acknowledgedBy, toMillis(a.resolvedAt), a.resolvedBy, toMillis(a.escalatedAt),
            a.escalationLevel, a.assignee,
            detail::sealText(cipher, "alerts", "resolution_note", a.id, a.resolutionNote));
}

void insertEvent(Connection& c, const AlertEvent& e, const crypto::FieldCipher& cipher) {
  c.execute(
      "INSERT INTO alert_events (alert_id, at, kind, actor_id, assignee) VALUES (?, ?, ?, ?, ?)",
      e.alertId, toMillis(e.at), std::string(toString(e.kind)), e.actorId, e.assignee);
  if (!e.note.empty())
    detail::storeSealed(c, cipher, "alert_events", "note", "id", c.lastInsertRowid(), e.note);
}

constexpr const char* kEvaluatedKey = "alerts.evaluated_through";

}  // namespace

std::optional<std::vector<std::pair<std::string, double>>> parseComponents(
    const std::string& json) {
  std::vector<std::pair<std::string, double>> out;
  std::size_t i = 0;
  auto skipSpace = [&] {
    while (i < json.size() && std::isspace(static_cast<unsigned char>(json[i]))) ++i;
  };
  auto expect = [&](char ch) {
    skipSpace();
    if (i >= json.size() || json[i] != ch) return false;
    ++i;
    return true;
  };
  if (!expect('{')) return std::nullopt;
  skipSpace();
  if (i < json.size() && json[i] == '}') return out;
  while (true) {
    if (!expect('"')) return std::nullopt;
    auto close = json.find('"', i);
    if (close == std::string::npos) return std::nullopt;
    std::string code = json.substr(i, close - i);  // LOINC codes need no escapes
    if (code.find('\\') != std::string::npos) return std::nullopt;
    i = close + 1;
    if (!expect(':')) return std::nullopt;
    skipSpace();
    auto end = json.find_first_of(",}", i);
    if (end == std::string::npos) return std::nullopt;
    std::string_view token(json.data() + i, end - i);
    while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) {
      token.remove_suffix(1);
    }
    if (token != "null") {
      auto v = parseDouble(token);
      if (!v) return std::nullopt;
      out.emplace_back(std::move(code), *v);
    }
    i = end;
    if (expect('}')) break;
    if (!expect(',')) return std::nullopt;
  }
  skipSpace();
  if (i != json.size()) return std::nullopt;
  return out;
}

AlertRepository::AlertRepository(store::Database& db, const crypto::FieldCipher& cipher,
                                 Metrics& metrics)
    : db_(db),
      cipher_(cipher),
      backlogGauge_(metrics.gauge("vigil_alerts_journal_backlog",
                                  "Alert changes waiting for room in the store's write queue")),
      onJournalDone_([state = state_](std::exception_ptr e) {
        if (!e) return;
        state->failures.fetch_add(1);
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& ex) {
          log::error("alerts.journal_failed", {{"error", ex.what()}});
        } catch (...) {
          log::error("alerts.journal_failed");
        }
      }) {}

void AlertRepository::drainBacklogLocked() {
  while (!backlog_.empty()) {
    if (!db_.tryPost(backlog_.front(), onJournalDone_)) {
      break;
    }
    backlog_.pop_front();
  }
  backlogGauge_.set(static_cast<double>(backlog_.size()));
}

void AlertRepository::post(std::function<void(store::Connection&)> job) {
  // A job that fails on its own is counted as it fails, before the jobs after it in the same
  // batch run: an evaluated mark among them sees it. (A race the store runs again is not a
  // failure; a batch that fails as a whole is counted by the completion.)
  auto counted = [state = state_, job = std::move(job)](Connection& c) {
    try {
      job(c);
    } catch (const store::DbError& e) {
      if (!e.isRetryable() && !e.isConnectionLost()) state->failures.fetch_add(1);
      throw;
    } catch (...) {
      state->failures.fetch_add(1);
      throw;
    }
  };
  std::lock_guard lock(mutex_);
  backlog_.push_back(std::move(counted));
  drainBacklogLocked();
}

void AlertRepository::alertChanged(const Alert& alert, const AlertEvent* event) {
  std::optional<AlertEvent> line;
  if (event) line = *event;
  // The jobs may run after this repository is gone (the store drains its queue on close):
  // they hold the cipher (owned by the security subsystem, which outlives the store), not this.
  post([cipher = &cipher_, alert, line](Connection& c) {
    upsertAlert(c, alert, *cipher);
    if (line) insertEvent(c, *line, *cipher);
  });
}

void AlertRepository::suppressionSet(const Suppression& s) {
  post([cipher = &cipher_, s](Connection& c) {
    c.execute(
        "INSERT INTO alert_suppressions (patient_id, rule_key, actor_id, reason, from_at, "
        "until_at) VALUES (?, ?, ?, '', ?, ?)",
        s.patientId, s.ruleKey, s.actorId, toMillis(s.from), toMillis(s.until));
    if (!s.reason.empty())
      detail::storeSealed(c, *cipher, "alert_suppressions", "reason", "id", c.lastInsertRowid(),
                          s.reason);
  });
}

void AlertRepository::suppressionLifted(std::int64_t patientId, const std::string& ruleKey,
                                        std::int64_t actorId, TimePoint at) {
  post([=](Connection& c) {
    c.execute(
        "UPDATE alert_suppressions SET lifted_at = ?, lifted_by = ? "
        "WHERE patient_id = ? AND rule_key = ? AND lifted_at IS NULL",
        toMillis(at), actorId, patientId, ruleKey);
  });
}

void AlertRepository::ruleChanged(const RuleChange& change) {
  post([cipher = &cipher_, change](Connection& c) {
    const auto& r = change.rule;
    c.execute(
        "INSERT INTO alert_rules (version, rule_key, patient_id, kind, code, unit, comparison, "
        "tiers, window_s, count, enabled, removed, actor_id, reason_enc, changed_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        r.version, r.key, r.patientId, std::string(toString(r.kind)), r.code, r.unit,
        std::string(toString(r.comparison)), encodeTiers(r.tiers),
        static_cast<std::int64_t>(r.window.count()), r.count, r.enabled ? 1 : 0,
        change.removed ? 1 : 0, change.actorId,
        detail::sealText(*cipher, "alert_rules", "reason", r.version, change.reason),
        toMillis(change.at));
  });
}

std::int64_t AlertRepository::sealLegacyText() {
  return db_.writeSync([this](Connection& c) {
    return detail::sealLegacyColumn(c, cipher_, "alerts", "resolution_note", "id") +
           detail::sealLegacyColumn(c, cipher_, "alert_events", "note", "id") +
           detail::sealLegacyColumn(c, cipher_, "alert_suppressions", "reason", "id") +
           detail::sealLegacyColumn(c, cipher_, "alert_rules", "reason", "version");
  });
}

void AlertRepository::noteEvaluated(std::int64_t readingId) {
  auto job = [readingId, state = state_](Connection& c) {
    // A journal write failed (its completion ran before this job's batch, or it fails with this
    // batch): the mark stays where it is until a load, so the resync judges those readings again.
    if (state->failures.load() != state->loadedAt.load()) return;
    // Raised, never lowered: read and compare inside the write (a race re-runs it).
    auto current = store::SqliteSettingsRepository::getIn(c, kEvaluatedKey);
    if (!current || std::stoll(*current) < readingId)
      store::SqliteSettingsRepository::setIn(c, kEvaluatedKey, std::to_string(readingId));
  };
  std::lock_guard lock(mutex_);
  drainBacklogLocked();
  // The mark needs no fsync of its own (issue 28): lost in a crash, the start-up catch-up judges
  // those readings again. It rides with the next commit, after every alert change posted before
  // it; while alert changes wait in the backlog it queues behind them instead.
  if (!backlog_.empty() || !db_.postDeferred(job, onJournalDone_)) {
    backlog_.push_back(std::move(job));
    drainBacklogLocked();
  }
}

void AlertRepository::drainBacklog() {
  // Never a blocking post under our mutex: the lifecycle may be waiting for it on the store's
  // writer thread, which is what empties the queue.
  const auto giveUp = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      drainBacklogLocked();
      if (backlog_.empty()) break;
    }
    if (std::chrono::steady_clock::now() > giveUp) {
      throw StoreError("alert journal: store queue stayed full or closed for 60 s");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

void AlertRepository::flush() {
  drainBacklog();
  db_.writeSync([](Connection&) {});  // FIFO: done once everything before it committed
}

bool AlertRepository::claim(std::int64_t alertId, std::int64_t userId, TimePoint at) {
  return db_.writeSync([=, this](Connection& c) {
    const int changed = c.execute(
        "UPDATE alerts SET state = 'claimed', claimed_by = ?1, "
        "claimed_at = coalesce(claimed_at, ?2) "
        "WHERE id = ?3 AND state IN ('open', 'escalated') AND claimed_by IS NULL",
        userId, toMillis(at), alertId);
    if (changed != 1) return false;
    insertEvent(c, AlertEvent{alertId, at, AlertChangeKind::claimed, userId, {}}, cipher_);
    return true;
  });
}

std::optional<Alert> AlertRepository::alert(std::int64_t alertId) {
  return db_.read([&](Connection& c) -> std::optional<Alert> {
    auto& st = c.cached(std::string("SELECT ") + kAlertColumns + " FROM alerts WHERE id = ?");
    st.bind(1, alertId);
    std::optional<Alert> out;
    if (st.step()) out = readAlert(st, cipher_);
    st.reset();
    return out;
  });
}

std::vector<Alert> AlertRepository::unresolvedAlerts() {
  return db_.read([this](Connection& c) {
    auto& st = c.cached(std::string("SELECT ") + kAlertColumns +
                        " FROM alerts WHERE state <> 'resolved' ORDER BY id");
    std::vector<Alert> out;
    while (st.step()) out.push_back(readAlert(st, cipher_));
    st.reset();
    return out;
  });
}

std::vector<Alert> AlertRepository::openForPatientIn(Connection& c,
                                                     const crypto::FieldCipher& cipher,
                                                     std::int64_t patientId) {
  auto& st = c.cached(std::string("SELECT ") + kAlertColumns +
                      " FROM alerts WHERE patient_id = ? AND state <> 'resolved' ORDER BY id");
  st.bind(1, patientId);
  std::vector<Alert> out;
  while (st.step()) out.push_back(readAlert(st, cipher));
  st.reset();
  return out;
}

std::vector<Alert> AlertRepository::resolvedAlerts(std::optional<std::int64_t> patientId,
                                                   std::size_t limit) {
  return db_.read([&](Connection& c) {
    std::vector<std::int64_t> ids;
    auto st = c.prepare(
        "SELECT id FROM alerts WHERE state = 'resolved' AND (?1 IS NULL OR patient_id = ?1) "
        "ORDER BY resolved_at DESC LIMIT ?2");
    st.bindAll(patientId, static_cast<std::int64_t>(limit));
    while (st.step()) ids.push_back(st.get<std::int64_t>(0));
    auto& one = c.cached(std::string("SELECT ") + kAlertColumns + " FROM alerts WHERE id = ?");
    std::vector<Alert> out;
    for (auto id : ids) {
      one.bind(1, id);
      if (one.step()) out.push_back(readAlert(one, cipher_));
      one.reset();
    }
    return out;
  });
}

std::vector<AlertEvent> AlertRepository::history(std::int64_t alertId) {
  return db_.read([&](Connection& c) {
    auto& st = c.cached(
        "SELECT at, kind, actor_id, note_enc, assignee, id FROM alert_events WHERE alert_id = ? "
        "ORDER BY id");
    st.bind(1, alertId);
    std::vector<AlertEvent> out;
    while (st.step()) {
      AlertEvent e;
      e.alertId = alertId;
      e.at = fromMillis(st.get<std::int64_t>(0));
      const auto kind = st.get<std::string>(1);
      for (auto k :
           {AlertChangeKind::raised, AlertChangeKind::updated, AlertChangeKind::claimed,
            AlertChangeKind::acknowledged, AlertChangeKind::escalated, AlertChangeKind::resolved}) {
        if (toString(k) == kind) e.kind = k;
      }
      e.actorId = st.get<std::optional<std::int64_t>>(2);
      e.note = detail::openText(cipher_, "alert_events", "note", st.get<std::int64_t>(5), st, 3);
      e.assignee = st.get<std::optional<std::int64_t>>(4);
      out.push_back(std::move(e));
    }
    st.reset();
    return out;
  });
}

std::vector<RuleChange> AlertRepository::ruleChanges() {
  return db_.read([this](Connection& c) {
    auto& st = c.cached(
        "SELECT version, rule_key, patient_id, kind, code, unit, comparison, tiers, window_s, "
        "count, enabled, removed, actor_id, reason_enc, changed_at FROM alert_rules "
        "ORDER BY version");
    std::vector<RuleChange> out;
    while (st.step()) {
      RuleChange ch;
      auto& r = ch.rule;
      r.version = st.get<std::int64_t>(0);
      r.key = st.get<std::string>(1);
      r.patientId = st.get<std::optional<std::int64_t>>(2);
      r.kind = parseOrThrow(parseRuleKind(st.get<std::string>(3)), "kind");
      r.code = st.get<std::string>(4);
      r.unit = st.get<std::string>(5);
      r.comparison = parseOrThrow(parseComparison(st.get<std::string>(6)), "comparison");
      r.tiers = decodeTiers(st.get<std::string>(7));
      r.window = std::chrono::seconds{st.get<std::int64_t>(8)};
      r.count = st.get<int>(9);
      r.enabled = st.get<bool>(10);
      ch.removed = st.get<bool>(11);
      ch.actorId = st.get<std::int64_t>(12);
      ch.reason = detail::openText(cipher_, "alert_rules", "reason", r.version, st, 13);
      ch.at = fromMillis(st.get<std::int64_t>(14));
      out.push_back(std::move(ch));
    }
    st.reset();
    return out;
  });
}

std::vector<Suppression> AlertRepository::activeSuppressions(TimePoint now) {
  return db_.read([&](Connection& c) {
    auto& st = c.cached(
        "SELECT patient_id, rule_key, actor_id, reason_enc, from_at, until_at, id FROM "
        "alert_suppressions WHERE lifted_at IS NULL AND until_at > ? ORDER BY id");
    st.bind(1, toMillis(now));
    std::vector<Suppression> out;
    while (st.step()) {
      Suppression s;
      s.patientId = st.get<std::int64_t>(0);
      s.ruleKey = st.get<std::string>(1);
      s.actorId = st.get<std::int64_t>(2);
      s.reason =
          detail::openText(cipher_, "alert_suppressions", "reason", st.get<std::int64_t>(6), st, 3);
      s.from = fromMillis(st.get<std::int64_t>(4));
      s.until = fromMillis(st.get<std::int64_t>(5));
      out.push_back(std::move(s));
    }
    st.reset();
    return out;
  });
}

std::int64_t AlertRepository::maxAlertId() {
  return db_.read([](Connection& c) {
    return c.queryValue<std::int64_t>("SELECT coalesce(max(id), 0) FROM alerts").value_or(0);
  });
}

std::vector<AlertRepository::MissingDataRaise> AlertRepository::missingDataRaisedSince(
    TimePoint since) {
  return db_.read([&](Connection& c) {
    auto& st = c.cached(
        "SELECT patient_id, rule_key, max(raised_at) FROM alerts "
        "WHERE kind = 'missing_data' AND raised_at >= ? GROUP BY patient_id, rule_key");
    st.bind(1, toMillis(since));
    std::vector<MissingDataRaise> out;
    while (st.step()) {
      out.push_back(MissingDataRaise{st.get<std::int64_t>(0), st.get<std::string>(1),
                                     fromMillis(st.get<std::int64_t>(2))});
    }
    st.reset();
    return out;
  });
}

std::int64_t AlertRepository::evaluatedThrough() {
  return db_.read([](Connection& c) {
    auto v = store::SqliteSettingsRepository::getIn(c, kEvaluatedKey);
    return v ? std::stoll(*v) : std::int64_t{0};
  });
}

namespace {

/// A stored reading as the engine judges it: its value, or each component of a panel.
void appendObservations(const readings::ReceivedReading& r, std::vector<Observation>& out) {
  Observation o;
  o.readingId = r.readingId;
  o.patientId = r.patientId;
  o.receivedAt = r.receivedAt;
  o.deviceTime = r.deviceTime && !r.deviceTimeLocal ? *r.deviceTime : o.receivedAt;
  o.unit = r.unit;
  if (r.value) {
    o.code = r.code;
    o.value = *r.value;
    out.push_back(o);
  }
  if (r.components) {
    if (auto parsed = parseComponents(*r.components)) {
      for (auto& [code, value] : *parsed) {
        Observation part = o;
        part.code = code;
        part.value = value;
        out.push_back(std::move(part));
      }
    }
  }
}

}  // namespace

std::vector<Observation> AlertRepository::observationsSince(TimePoint since, std::size_t limit,
                                                            std::int64_t afterReadingId) {
  auto received = readings::ReadingQuery(db_).receivedSince(since, afterReadingId, limit);
  std::vector<Observation> out;
  for (const auto& r : received) appendObservations(r, out);
  return out;
}

AlertRepository::Queued AlertRepository::queuedForJudgement(std::size_t limit) {
  auto items = db_.read(
      [limit](store::Connection& c) { return readings::ReadingQuery::toJudgeIn(c, limit); });
  Queued out;
  for (const auto& item : items) {
    out.readingIds.push_back(item.readingId);
    if (item.reading && item.reading->patientId != 0)
      appendObservations(*item.reading, out.observations);
  }
  return out;
}

std::vector<std::int64_t> AlertRepository::queuedIds(std::size_t limit) {
  auto items = db_.read(
      [limit](store::Connection& c) { return readings::ReadingQuery::toJudgeIn(c, limit, false); });
  std::vector<std::int64_t> ids;
  ids.reserve(items.size());
  for (const auto& item : items) ids.push_back(item.readingId);
  return ids;
}

bool AlertRepository::judged(const std::vector<std::int64_t>& readingIds) {
  // What the judging journalled is committed first (with a backlog waiting for room in the
  // store's queue too): a crash between the two judges the readings again, never skips them.
  // The delete is queued behind the journal (FIFO): it commits with it or after it.
  drainBacklog();
  // A journal write that failed completed before this job runs (completions run in order on
  // the writer): then nothing is taken off, and the judging is done again.
  return db_.writeSync([&](store::Connection& c) {
    if (diverged()) return false;
    readings::ReadingQuery::judgedIn(c, readingIds);
    return true;
  });
}

std::size_t loadAlertState(AlertRepository& repo, RuleSet& rules, AlertLifecycle& lifecycle,
                           TimePoint now) {
  repo.noteLoaded();  // before the reads: a failure from here on is a divergence again
  auto history = repo.ruleChanges();
  if (history.empty()) {
    for (const auto& change : rules.changes()) repo.ruleChanged(change);  // first start
  } else {
    rules.replay(history);
  }
  rules.setChangeSink([&repo](const RuleChange& change) { repo.ruleChanged(change); });

  auto unresolved = repo.unresolvedAlerts();
  const auto count = unresolved.size();
  lifecycle.replaceAll(std::move(unresolved), repo.activeSuppressions(now), repo.maxAlertId() + 1);
  lifecycle.setJournal(&repo);
  return count;
}

WarmUp warmUpEngine(AlertRepository& repo, AlertEngine& engine, TimePoint now,
                    std::chrono::hours lookback, std::size_t limit,
                    const std::function<bool(std::int64_t readingId)>& judged) {
  // The state of a rule reaches back its window plus the late horizon: warm up at least that
  // far, whatever the caller asked (the daemon once asked for 48 h and the week rule forgot).
  lookback = std::max(lookback, std::chrono::ceil<std::chrono::hours>(engine.stateHorizon()));
  WarmUp out;
  out.lookback = lookback;
  std::vector<Observation> seen;
  for (auto& o : repo.observationsSince(now - lookback, limit))
    (judged(o.readingId) ? seen : out.unjudged).push_back(std::move(o));
  engine.warmUp(seen);
  for (const auto& raise : repo.missingDataRaisedSince(now - lookback))
    engine.noteMissingDataRaised(raise.patientId, raise.ruleKey, raise.raisedAt);
  out.warmed = seen.size();
  return out;
}

bool resyncAfterJournalFailure(AlertRepository& repo, RuleSet& rules, AlertLifecycle& lifecycle,
                               AlertEngine& engine, TimePoint now) {
  if (!repo.diverged()) return false;
  const auto failures = repo.journalFailures();
  std::vector<AlertChange> changes;
  try {
    engine.reset();
    changes = restoreAlerts(repo, rules, lifecycle, engine, now, std::chrono::hours(48));
  } catch (...) {
    repo.markDiverged();  // the store failed again half-way: the next call starts over
    throw;
  }
  log::warn("alerts.resynced", {{"journal_failures", failures},
                                {"catch_up_changes", static_cast<std::uint64_t>(changes.size())}});
  return true;
}

std::vector<AlertChange> restoreAlerts(AlertRepository& repo, RuleSet& rules,
                                       AlertLifecycle& lifecycle, AlertEngine& engine,
                                       TimePoint now, std::chrono::hours lookback,
                                       std::size_t maxObservations) {
  const auto restoredAlerts = loadAlertState(repo, rules, lifecycle, now);
  const auto through = repo.evaluatedThrough();
  auto warm = warmUpEngine(repo, engine, now, lookback, maxObservations,
                           [through](std::int64_t id) { return id <= through; });
  std::int64_t newest = 0;
  for (const auto& o : warm.unjudged) newest = std::max(newest, o.readingId);
  auto changes = engine.evaluate(warm.unjudged);
  if (newest > 0) repo.noteEvaluated(newest);
  log::info("alerts.restored",
            {{"unresolved", static_cast<std::uint64_t>(restoredAlerts)},
             {"lookback_hours", static_cast<std::int64_t>(warm.lookback.count())},
             {"warm_up", static_cast<std::uint64_t>(warm.warmed)},
             {"catch_up", static_cast<std::uint64_t>(warm.unjudged.size())}});
  return changes;
}

}  // namespace vigil::alerts
