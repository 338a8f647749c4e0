#include "vigil/alerts/escalation_service.hpp"

#include <algorithm>
#include <set>

#include "sealed_text.hpp"
#include "vigil/core/error.hpp"
#include "vigil/core/log.hpp"
#include "vigil/core/time.hpp"
#include "vigil/store/database.hpp"
#include "vigil/store/sqlite.hpp"

namespace vigil::alerts {
namespace {

using store::Connection;

using core::fromMillis;
using core::toMillis;

constexpr std::int64_t kClinic = 0;  // patient_id of the clinic's chain

/// Coverage longer than this is a standing reassignment: change the chain instead.
constexpr auto kMaxCoverage = std::chrono::hours(24 * 90);

std::vector<Coverage> currentCoverage(Connection& c, TimePoint now,
                                      const crypto::FieldCipher& cipher) {
  auto& st = c.cached(
      "SELECT id, user_id, covered_by, starts_at, ends_at, note_enc, created_by, created_at "
      "FROM oncall_coverage WHERE removed_at IS NULL AND ends_at > ?1 ORDER BY starts_at, id");
  st.bindAll(toMillis(now));
  std::vector<Coverage> out;
  while (st.step()) {
    Coverage cv;
    cv.id = st.get<std::int64_t>(0);
    cv.userId = st.get<std::int64_t>(1);
    cv.coveredBy = st.get<std::int64_t>(2);
    cv.from = fromMillis(st.get<std::int64_t>(3));
    cv.until = fromMillis(st.get<std::int64_t>(4));
    cv.note = detail::openText(cipher, "oncall_coverage", "note", cv.id, st, 5);
    cv.createdBy = st.get<std::int64_t>(6);
    cv.createdAt = fromMillis(st.get<std::int64_t>(7));
    out.push_back(std::move(cv));
  }
  st.reset();
  return out;
}

}  // namespace

EscalationService::EscalationService(store::Database& db, const crypto::FieldCipher& cipher,
                                     AlertLifecycle& lifecycle, Clock& clock,
                                     ClinicianCheck isClinician)
    : db_(db),
      cipher_(cipher),
      lifecycle_(lifecycle),
      clock_(clock),
      isClinician_(std::move(isClinician)) {}

std::int64_t EscalationService::sealLegacyText() {
  return db_.writeSync([this](Connection& c) {
    return detail::sealLegacyColumn(c, cipher_, "oncall_coverage", "note", "id");
  });
}

StoredChain EscalationService::readChain(std::int64_t patientId) {
  return db_.read([&](Connection& c) {
    StoredChain out;
    auto& st = c.cached(
        "SELECT user_id FROM escalation_chain_steps WHERE patient_id = ?1 ORDER BY position");
    st.bindAll(patientId);
    while (st.step()) out.users.push_back(st.get<std::int64_t>(0));
    st.reset();
    auto& who =
        c.cached("SELECT updated_by, updated_at FROM escalation_chains WHERE patient_id = ?1");
    who.bindAll(patientId);
    if (who.step()) {
      out.updatedBy = who.get<std::int64_t>(0);
      out.updatedAt = fromMillis(who.get<std::int64_t>(1));
    }
    who.reset();
    return out;
  });
}

void EscalationService::load() {
  std::lock_guard lock(mutex_);
  EscalationSetup setup;
  db_.read([&](Connection& c) {
    auto& st = c.cached(
        "SELECT patient_id, user_id FROM escalation_chain_steps ORDER BY patient_id, position");
    while (st.step()) {
      auto patient = st.get<std::int64_t>(0);
      auto user = st.get<std::int64_t>(1);
      if (patient == kClinic) {
        setup.clinicChain.push_back(user);
      } else {
        setup.patientChains[patient].push_back(user);
      }
    }
    st.reset();
    setup.coverage = currentCoverage(c, clock_.now(), cipher_);
    return 0;
  });
  log::info("alerts.escalation_loaded",
            {{"clinic_chain", static_cast<std::uint64_t>(setup.clinicChain.size())},
             {"patient_chains", static_cast<std::uint64_t>(setup.patientChains.size())},
             {"coverage", static_cast<std::uint64_t>(setup.coverage.size())}});
  lifecycle_.setEscalationSetup(std::move(setup));
}

StoredChain EscalationService::clinicChain() {
  return readChain(kClinic);
}

StoredChain EscalationService::patientChain(std::int64_t patientId) {
  return readChain(patientId);
}

void EscalationService::checkPeople(const std::vector<std::int64_t>& users) const {
  if (users.size() > kMaxChainLength)
    throw ValidationError("an escalation chain has at most " + std::to_string(kMaxChainLength) +
                          " people");
  std::set<std::int64_t> seen;
  for (auto id : users) {
    if (!seen.insert(id).second) throw ValidationError("a person is in the chain twice");
    if (!isClinician_ || !isClinician_(id))
      throw ValidationError("user " + std::to_string(id) + " is not an active provider or nurse");
  }
}

void EscalationService::storeChain(std::int64_t patientId, const std::vector<std::int64_t>& users,
                                   std::int64_t actorId) {
  const auto now = toMillis(clock_.now());
  db_.writeSync([&](Connection& c) {
    c.execute("DELETE FROM escalation_chain_steps WHERE patient_id = ?1", patientId);
    for (std::size_t i = 0; i < users.size(); ++i)
      c.execute(
          "INSERT INTO escalation_chain_steps (patient_id, position, user_id) VALUES (?1, ?2, ?3)",
          patientId, static_cast<std::int64_t>(i), users[i]);
    c.execute(
        "INSERT INTO escalation_chains (patient_id, updated_by, updated_at) VALUES (?1, ?2, ?3) "
        "ON CONFLICT (patient_id) DO UPDATE SET updated_by = ?2, updated_at = ?3",
        patientId, actorId, now);
    return 0;
  });
}

void EscalationService::setClinicChain(const std::vector<std::int64_t>& users,
                                       std::int64_t actorId) {
  checkPeople(users);
  std::lock_guard lock(mutex_);
  storeChain(kClinic, users, actorId);
  lifecycle_.setClinicChain(users);
  log::info("alerts.escalation_chain_set", {{"scope", "clinic"},
                                            {"length", static_cast<std::uint64_t>(users.size())},
                                            {"actor", actorId}});
}

void EscalationService::setPatientChain(std::int64_t patientId,
                                        const std::vector<std::int64_t>& users,
                                        std::int64_t actorId) {
  checkPeople(users);
  std::lock_guard lock(mutex_);
  storeChain(patientId, users, actorId);
  lifecycle_.setEscalationChain(patientId, users);
  log::info("alerts.escalation_chain_set", {{"scope", "patient"},
                                            {"patient", patientId},
                                            {"length", static_cast<std::uint64_t>(users.size())},
                                            {"actor", actorId}});
}

std::vector<Coverage> EscalationService::coverage(TimePoint now) {
  return db_.read([&](Connection& c) { return currentCoverage(c, now, cipher_); });
}

void EscalationService::applyCoverageLocked() {
  lifecycle_.setCoverage(coverage(clock_.now()));
}

Coverage EscalationService::addCoverage(Coverage entry) {
  const auto now = clock_.now();
  if (entry.userId == entry.coveredBy) throw ValidationError("nobody covers themselves");
  if (entry.until <= entry.from) throw ValidationError("the cover must end after it starts");
  if (entry.until <= now) throw ValidationError("the cover is already over");
  if (entry.until - entry.from > kMaxCoverage)
    throw ValidationError("a cover lasts at most 90 days; change the escalation chain instead");
  if (entry.note.size() > 200) throw ValidationError("the note is too long");
  checkPeople({entry.userId, entry.coveredBy});
  std::lock_guard lock(mutex_);
  entry.createdAt = now;
  entry.id = db_.writeSync([&](Connection& c) {
    c.execute(
        "INSERT INTO oncall_coverage (user_id, covered_by, starts_at, ends_at, created_by, "
        "created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        entry.userId, entry.coveredBy, toMillis(entry.from), toMillis(entry.until), entry.createdBy,
        toMillis(now));
    const auto id = c.lastInsertRowid();
    if (!entry.note.empty())
      detail::storeSealed(c, cipher_, "oncall_coverage", "note", "id", id, entry.note);
    return id;
  });
  applyCoverageLocked();
  log::info("alerts.coverage_added", {{"coverage", entry.id}, {"actor", entry.createdBy}});
  return entry;
}

bool EscalationService::removeCoverage(std::int64_t id, std::int64_t actorId) {
  std::lock_guard lock(mutex_);
  const auto now = toMillis(clock_.now());
  bool removed = db_.writeSync([&](Connection& c) {
    return c.execute(
               "UPDATE oncall_coverage SET removed_at = ?2, removed_by = ?3 "
               "WHERE id = ?1 AND removed_at IS NULL AND ends_at > ?2",
               id, now, actorId) > 0;
  });
  if (removed) {
    applyCoverageLocked();
    log::info("alerts.coverage_removed", {{"coverage", id}, {"actor", actorId}});
  }
  return removed;
}

}  // namespace vigil::alerts
