// CaseService: every call decides access on one snapshot, then reads or writes with the audit
// entry (see cases.hpp). Access is decided here rather than through AccessGuard::read/write
// because the clinician a case was escalated to is let in outside the care team (reason
// escalation_assignee), which the generic matrix does not know.
//
// Closing creates the note first (NoteService, its own audited transaction) and then closes
// the case in a second one that checks the case is still not closed; a close that loses a race
// leaves a draft note nobody signs (visible in the patient's notes), never two closings.

#include <algorithm>
#include <array>

#include "vigil/cases/cases.hpp"
#include "vigil/core/log.hpp"
#include "vigil/core/time.hpp"
#include "vigil/crypto/field_cipher.hpp"
#include "vigil/notes/notes.hpp"
#include "vigil/patients/image_metadata.hpp"
#include "vigil/registry/registry.hpp"
#include "vigil/security/access_guard.hpp"
#include "vigil/security/accounts.hpp"
#include "vigil/security/audit_log.hpp"
#include "vigil/security/encrypted_fields.hpp"
#include "vigil/store/database.hpp"
#include "vigil/store/sqlite.hpp"

namespace vigil::cases {

using core::fromMillis;
using core::toMillis;
using security::Actor;
using store::Connection;

std::string_view toString(CaseState state) {
  switch (state) {
    case CaseState::open:
      return "open";
    case CaseState::awaiting_patient:
      return "awaiting_patient";
    case CaseState::closed:
      return "closed";
  }
  return "open";
}

std::optional<CaseState> parseCaseState(std::string_view name) {
  for (auto s : {CaseState::open, CaseState::awaiting_patient, CaseState::closed})
    if (toString(s) == name) return s;
  return std::nullopt;
}

std::string_view toString(MessageKind kind) {
  switch (kind) {
    case MessageKind::question:
      return "question";
    case MessageKind::message:
      return "message";
    case MessageKind::request_photos:
      return "request_photos";
    case MessageKind::book_visit:
      return "book_visit";
    case MessageKind::close:
      return "close";
  }
  return "message";
}

std::optional<MessageKind> parseMessageKind(std::string_view name) {
  for (auto k : {MessageKind::question, MessageKind::message, MessageKind::request_photos,
                 MessageKind::book_visit, MessageKind::close})
    if (toString(k) == name) return k;
  return std::nullopt;
}

bool isValidCategory(std::string_view category) {
  constexpr std::array<std::string_view, 6> kCategories = {"question",   "skin",   "wound",
                                                           "medication", "device", "other"};
  return std::find(kCategories.begin(), kCategories.end(), category) != kCategories.end();
}

std::optional<std::int64_t> escalationTarget(const alerts::EscalationSetup& setup,
                                             std::int64_t patientId,
                                             std::optional<std::int64_t> assignee, TimePoint now) {
  if (assignee) {
    const auto cover = alerts::coveringUser(setup.coverage, *assignee, now);
    if (cover != *assignee) return cover;
  }
  const auto& chain = setup.chainFor(patientId);
  int level = 1;
  if (assignee) {
    auto it = std::find(chain.begin(), chain.end(), *assignee);
    if (it != chain.end()) level = static_cast<int>(it - chain.begin()) + 1;
  }
  auto target = alerts::routeAt(setup, patientId, level, now);
  if (!target && !assignee) target = alerts::routeAt(setup, patientId, 0, now);
  if (target && assignee && *target == *assignee) return std::nullopt;
  return target;
}

namespace {

crypto::FieldRef ref(std::string_view table, std::string_view column, std::int64_t rowId) {
  const auto& f = security::encryptedField(table, column);
  return {std::string(f.table), std::string(f.column), std::to_string(rowId)};
}

security::AuditObject caseObject(std::int64_t caseId) {
  return {"case", std::to_string(caseId)};
}

constexpr const char* kCaseColumns =
    "SELECT id, patient_id, category, state, opened_at, due_at, escalate_at, updated_at, "
    "first_response_at, assignee, escalated_at, escalated_to, closed_at, closed_by, note_id, "
    "(SELECT count(*) FROM case_photos p WHERE p.case_id = cases.id) FROM cases ";

std::optional<TimePoint> optTime(store::Statement& s, int col) {
  if (auto t = s.get<std::optional<std::int64_t>>(col)) return fromMillis(*t);
  return std::nullopt;
}

Case readCase(store::Statement& s) {
  Case k;
  k.id = s.get<std::int64_t>(0);
  k.patientId = s.get<std::int64_t>(1);
  k.category = s.get<std::string>(2);
  k.state = parseCaseState(s.get<std::string>(3)).value_or(CaseState::open);
  k.openedAt = fromMillis(s.get<std::int64_t>(4));
  k.dueAt = fromMillis(s.get<std::int64_t>(5));
  k.escalateAt = fromMillis(s.get<std::int64_t>(6));
  k.updatedAt = fromMillis(s.get<std::int64_t>(7));
  k.firstResponseAt = optTime(s, 8);
  k.assignee = s.get<std::optional<std::int64_t>>(9);
  k.escalatedAt = optTime(s, 10);
  k.escalatedTo = s.get<std::optional<std::int64_t>>(11);
  k.closedAt = optTime(s, 12);
  k.closedBy = s.get<std::optional<std::int64_t>>(13);
  k.noteId = s.get<std::optional<std::int64_t>>(14);
  k.photoCount = static_cast<std::size_t>(s.get<std::int64_t>(15));
  return k;
}

void checkText(const std::string& text, std::string_view field) {
  if (text.find_first_not_of(" \t\r\n") == std::string::npos)
    throw CaseLimitError(CaseLimitError::Limit::text, std::string(field) + ": required");
  if (text.size() > kMaxTextBytes)
    throw CaseLimitError(CaseLimitError::Limit::text, std::string(field) + ": at most " +
                                                          std::to_string(kMaxTextBytes) + " bytes");
}

bool isClinician(const Actor& a) {
  return a.role == security::Role::provider || a.role == security::Role::nurse;
}

/// The first active provider of the patient's care team (by user id), else the first nurse.
std::optional<std::int64_t> careTeamAssigneeIn(Connection& c, const crypto::FieldCipher& cipher,
                                               std::int64_t patientId) {
  std::optional<std::int64_t> nurse;
  for (const auto& m : security::SqliteCareTeam::membersIn(c, patientId)) {
    auto u = security::AccountService::findUserIn(c, cipher, m.staffUserId);
    if (!u || u->disabled) continue;
    if (u->role == security::Role::provider) return u->id;
    if (u->role == security::Role::nurse && !nurse) nurse = u->id;
  }
  return nurse;
}

}  // namespace

/// A decided access: the case as it stands, and the audit entry to write.
struct CaseService::Access {
  Case kase;
  security::PendingAccess pending;
};

CaseService::CaseService(store::Database& db, security::AuditLog& audit,
                         const crypto::FieldCipher& cipher, notes::NoteService& notes, Clock& clock,
                         BusinessHours hours, EscalationSource escalation)
    : db_(db),
      audit_(audit),
      cipher_(cipher),
      notes_(notes),
      clock_(clock),
      hours_(std::move(hours)),
      escalation_(std::move(escalation)) {}

Case CaseService::caseIn(Connection& c, std::int64_t caseId, bool content) const {
  auto s = c.prepare(std::string(kCaseColumns) + "WHERE id = ?1");
  s.bind(1, caseId);
  if (!s.step()) throw NotFound("case: no such case");
  auto k = readCase(s);
  if (!content) return k;
  auto m = c.prepare(
      "SELECT id, kind, author_id, author_role, created_at, text_enc FROM case_messages WHERE "
      "case_id = ?1 ORDER BY id");
  m.bind(1, caseId);
  while (m.step()) {
    CaseMessage msg;
    msg.id = m.get<std::int64_t>(0);
    msg.kind = parseMessageKind(m.get<std::string>(1)).value_or(MessageKind::message);
    msg.authorId = m.get<std::int64_t>(2);
    msg.authorRole = m.get<std::string>(3);
    msg.createdAt = fromMillis(m.get<std::int64_t>(4));
    if (auto b = m.get<std::optional<store::Blob>>(5))
      msg.text = cipher_.decryptText(ref("case_messages", "text", msg.id), *b);
    k.messages.push_back(std::move(msg));
  }
  auto p = c.prepare(
      "SELECT id, media_type, size_bytes, width, height, uploaded_at, uploaded_by FROM "
      "case_photos WHERE case_id = ?1 ORDER BY id");
  p.bind(1, caseId);
  while (p.step()) {
    CasePhoto ph;
    ph.id = p.get<std::int64_t>(0);
    ph.mediaType = p.get<std::string>(1);
    ph.sizeBytes = static_cast<std::size_t>(p.get<std::int64_t>(2));
    ph.width = static_cast<std::uint32_t>(p.get<std::int64_t>(3));
    ph.height = static_cast<std::uint32_t>(p.get<std::int64_t>(4));
    ph.uploadedAt = fromMillis(p.get<std::int64_t>(5));
    ph.uploadedBy = p.get<std::int64_t>(6);
    k.photos.push_back(ph);
  }
  return k;
}

CaseService::Access CaseService::authorize(const Actor& actor, std::string_view op,
                                           std::int64_t caseId, std::string_view breakGlassReason) {
  const auto& operation = security::operation(op);
  return db_.read([&](Connection& c) {
    auto k = caseIn(c, caseId, false);
    auto reason = security::AccessGuard::breakGlassReasonIn(c, actor, k.patientId, breakGlassReason,
                                                            clock_.now());
    auto decision = security::AccessGuard::decideIn(c, actor, operation, k.patientId, reason);
    if (!decision.allowed && decision.reason == "not_on_care_team" && isClinician(actor) &&
        k.escalatedTo == actor.id && security::roleHas(actor.role, operation.permission))
      decision = security::AccessDecision{true, false, "escalation_assignee"};
    return Access{k, security::AccessGuard::pending(actor, operation, k.patientId,
                                                    caseObject(caseId), decision, reason)};
  });
}

// ---------------------------------------------------------------- the patient

Case CaseService::open(const Actor& actor, std::int64_t patientId, const std::string& category,
                       const std::string& question) {
  if (!isValidCategory(category)) throw ValidationError("category: not one of the list");
  checkText(question, "question");
  security::AccessGuard guard(db_, audit_);
  auto k = guard.write(
      actor, security::operation("case.open"), patientId, {"case", ""}, [&](Connection& c) {
        if (!registry::PatientRepository::existsIn(c, patientId))
          throw NotFound("patient: no such patient");
        const auto now = fromMillis(toMillis(clock_.now()));
        const auto assignee = careTeamAssigneeIn(c, cipher_, patientId);
        c.execute(
            "INSERT INTO cases (patient_id, category, state, opened_at, due_at, "
            "escalate_at, assignee, updated_at) VALUES (?1, ?2, 'open', ?3, ?4, "
            "?5, ?6, ?3)",
            patientId, category, toMillis(now), toMillis(dueAt(hours_, now)),
            toMillis(escalateAt(hours_, now)), assignee);
        const auto id = c.lastInsertRowid();
        c.execute(
            "INSERT INTO case_messages (case_id, kind, author_id, author_role, "
            "created_at) VALUES (?1, 'question', ?2, ?3, ?4)",
            id, actor.id, std::string(security::toString(actor.role)), toMillis(now));
        const auto row = c.lastInsertRowid();
        const auto enc = cipher_.encrypt(ref("case_messages", "text", row), question);
        c.execute("UPDATE case_messages SET text_enc = ?2 WHERE id = ?1", row,
                  store::Blob(enc.begin(), enc.end()));
        return caseIn(c, id, true);
      });
  log::info("case.opened", {{"case_id", k.id}, {"patient_id", k.patientId}});
  return k;
}

CasePhoto CaseService::addPhoto(const Actor& actor, std::int64_t caseId, std::string_view bytes) {
  if (bytes.empty()) throw ValidationError("image: the upload is empty");
  if (bytes.size() > kMaxPhotoBytes)
    throw CaseLimitError(CaseLimitError::Limit::photoBytes,
                         "photo: larger than " + std::to_string(kMaxPhotoBytes / 1024) +
                             " KiB (the portal shrinks photos before sending them)");
  // Parsed and cleaned before any transaction: a refused picture writes nothing.
  auto clean = patients::stripImageMetadata(bytes);
  auto access = authorize(actor, "case.photo_add", caseId, {});
  security::AccessGuard guard(db_, audit_);
  if (!access.pending.decision.allowed) guard.enforce(access.pending);
  return db_.writeSync([&](Connection& c) {
    auto k = caseIn(c, caseId, false);
    if (k.state == CaseState::closed) throw CaseStateError("case: closed");
    if (k.photoCount >= kMaxPhotos)
      throw CaseLimitError(CaseLimitError::Limit::photoCount,
                           "photo: at most " + std::to_string(kMaxPhotos) + " photos per case");
    const auto now = toMillis(clock_.now());
    c.execute(
        "INSERT INTO case_photos (case_id, media_type, size_bytes, width, height, uploaded_at, "
        "uploaded_by, image_enc) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        caseId, clean.mediaType, static_cast<std::int64_t>(clean.bytes.size()),
        static_cast<std::int64_t>(clean.width), static_cast<std::int64_t>(clean.height), now,
        actor.id, store::Blob{});
    const auto row = c.lastInsertRowid();
    const auto enc = cipher_.encrypt(ref("case_photos", "image", row), clean.bytes);
    c.execute("UPDATE case_photos SET image_enc = ?2 WHERE id = ?1", row,
              store::Blob(enc.begin(), enc.end()));
    c.execute(
        "UPDATE cases SET state = 'open', updated_at = ?2 WHERE id = ?1 AND state = "
        "'awaiting_patient'",
        caseId, now);
    audit_.append(c, access.pending.event);
    return CasePhoto{row,         clean.mediaType, clean.bytes.size(),
                     clean.width, clean.height,    fromMillis(now),
                     actor.id};
  });
}

std::vector<Case> CaseService::listForPatient(const Actor& actor, std::int64_t patientId,
                                              std::string_view breakGlassReason) {
  const auto reason = db_.read([&](Connection& c) {
    return security::AccessGuard::breakGlassReasonIn(c, actor, patientId, breakGlassReason,
                                                     clock_.now());
  });
  security::AccessGuard guard(db_, audit_);
  return guard.read(
      actor, security::operation("case.list"), patientId, {"case", ""},
      [&](Connection& c) {
        auto s = c.prepare(std::string(kCaseColumns) +
                           "WHERE patient_id = ?1 ORDER BY opened_at DESC, id DESC");
        s.bind(1, patientId);
        std::vector<Case> out;
        while (s.step()) out.push_back(readCase(s));
        return out;
      },
      reason);
}

std::vector<Case> CaseService::waitingForIn(Connection& c, std::int64_t userId,
                                            const std::vector<std::int64_t>& careTeam) {
  std::string ids = "[";
  for (auto p : careTeam) ids += (ids.size() > 1 ? "," : "") + std::to_string(p);
  ids += "]";
  auto s = c.prepare(std::string(kCaseColumns) +
                     "WHERE state = 'open' AND (escalated_to = ?1 OR patient_id IN (SELECT value "
                     "FROM json_each(?2))) ORDER BY due_at, id");
  s.bindAll(userId, ids);
  std::vector<Case> out;
  while (s.step()) out.push_back(readCase(s));
  return out;
}

std::vector<Case> CaseService::queue(const Actor& actor, bool includeClosed) {
  security::AccessGuard guard(db_, audit_);
  return guard.read(actor, security::operation("case.queue"), std::nullopt, {"case", "queue"},
                    [&](Connection& c) {
                      std::vector<Case> out;
                      auto patients = security::SqliteCareTeam::patientsOfIn(c, actor.id);
                      auto s =
                          c.prepare(std::string(kCaseColumns) +
                                    "WHERE (state <> 'closed' OR ?2 <> 0) AND (escalated_to = ?1 "
                                    "OR patient_id IN (SELECT value FROM json_each(?3)))");
                      std::string ids = "[";
                      for (auto p : patients)
                        ids += (ids.size() > 1 ? "," : "") + std::to_string(p);
                      ids += "]";
                      s.bindAll(actor.id, includeClosed ? 1 : 0, ids);
                      while (s.step()) out.push_back(readCase(s));
                      std::stable_sort(out.begin(), out.end(), [](const Case& a, const Case& b) {
                        const bool ca = a.state == CaseState::closed;
                        const bool cb = b.state == CaseState::closed;
                        if (ca != cb) return cb;
                        if (ca) return a.closedAt > b.closedAt;
                        return a.dueAt < b.dueAt;
                      });
                      return out;
                    });
}

Case CaseService::get(const Actor& actor, std::int64_t caseId, std::string_view breakGlassReason) {
  auto access = authorize(actor, "case.get", caseId, breakGlassReason);
  security::AccessGuard guard(db_, audit_);
  if (!access.pending.decision.allowed) guard.enforce(access.pending);
  auto k = db_.read([&](Connection& c) { return caseIn(c, caseId, true); });
  audit_.record(db_, access.pending.event);
  return k;
}

PhotoContent CaseService::photo(const Actor& actor, std::int64_t caseId, std::int64_t photoId,
                                std::string_view breakGlassReason) {
  auto access = authorize(actor, "case.photo_get", caseId, breakGlassReason);
  security::AccessGuard guard(db_, audit_);
  if (!access.pending.decision.allowed) guard.enforce(access.pending);
  auto out = db_.read([&](Connection& c) {
    auto s = c.prepare(
        "SELECT id, media_type, size_bytes, width, height, uploaded_at, uploaded_by, image_enc "
        "FROM case_photos WHERE id = ?1 AND case_id = ?2");
    s.bindAll(photoId, caseId);
    if (!s.step()) throw NotFound("photo: no such photo");
    PhotoContent p;
    p.info.id = s.get<std::int64_t>(0);
    p.info.mediaType = s.get<std::string>(1);
    p.info.sizeBytes = static_cast<std::size_t>(s.get<std::int64_t>(2));
    p.info.width = static_cast<std::uint32_t>(s.get<std::int64_t>(3));
    p.info.height = static_cast<std::uint32_t>(s.get<std::int64_t>(4));
    p.info.uploadedAt = fromMillis(s.get<std::int64_t>(5));
    p.info.uploadedBy = s.get<std::int64_t>(6);
    auto blob = s.get<store::Blob>(7);
    auto plain = cipher_.decrypt(ref("case_photos", "image", p.info.id), blob);
    p.bytes.assign(plain.begin(), plain.end());
    return p;
  });
  auto event = access.pending.event;
  event.objectType = "case_photo";
  event.objectId = std::to_string(caseId) + "/" + std::to_string(photoId);
  audit_.record(db_, event);
  return out;
}

// ---------------------------------------------------------------- messages

Case CaseService::messageIn(const Actor& actor, std::int64_t caseId, MessageKind kind,
                            const std::string& text, std::string_view op,
                            std::string_view breakGlassReason) {
  checkText(text, "text");
  auto access = authorize(actor, op, caseId, breakGlassReason);
  security::AccessGuard guard(db_, audit_);
  if (!access.pending.decision.allowed) guard.enforce(access.pending);
  return db_.writeSync([&](Connection& c) {
    auto k = caseIn(c, caseId, false);
    if (k.state == CaseState::closed) throw CaseStateError("case: closed");
    const auto now = toMillis(clock_.now());
    c.execute(
        "INSERT INTO case_messages (case_id, kind, author_id, author_role, created_at) VALUES "
        "(?1, ?2, ?3, ?4, ?5)",
        caseId, std::string(toString(kind)), actor.id, std::string(security::toString(actor.role)),
        now);
    const auto row = c.lastInsertRowid();
    const auto enc = cipher_.encrypt(ref("case_messages", "text", row), text);
    c.execute("UPDATE case_messages SET text_enc = ?2 WHERE id = ?1", row,
              store::Blob(enc.begin(), enc.end()));
    std::string state(toString(k.state));
    if (actor.role == security::Role::patient) {
      if (k.state == CaseState::awaiting_patient) state = "open";
    } else {
      if (kind == MessageKind::request_photos) state = "awaiting_patient";
      if (kind == MessageKind::close) state = "closed";
      c.execute(
          "UPDATE cases SET first_response_at = coalesce(first_response_at, ?2) WHERE id = ?1",
          caseId, now);
    }
    c.execute("UPDATE cases SET state = ?2, updated_at = ?3 WHERE id = ?1", caseId, state, now);
    if (kind == MessageKind::close)
      c.execute("UPDATE cases SET closed_at = ?2, closed_by = ?3 WHERE id = ?1", caseId, now,
                actor.id);
    audit_.append(c, access.pending.event);
    return caseIn(c, caseId, true);
  });
}

Case CaseService::reply(const Actor& actor, std::int64_t caseId, const std::string& text,
                        std::string_view breakGlassReason) {
  return messageIn(actor, caseId, MessageKind::message, text, "case.reply", breakGlassReason);
}

Case CaseService::requestPhotos(const Actor& actor, std::int64_t caseId, const std::string& text,
                                std::string_view breakGlassReason) {
  return messageIn(actor, caseId, MessageKind::request_photos, text, "case.request_photos",
                   breakGlassReason);
}

Case CaseService::bookVisit(const Actor& actor, std::int64_t caseId, const std::string& text,
                            std::string_view breakGlassReason) {
  return messageIn(actor, caseId, MessageKind::book_visit, text, "case.book_visit",
                   breakGlassReason);
}

Case CaseService::close(const Actor& actor, std::int64_t caseId, const std::string& note,
                        std::string_view breakGlassReason) {
  checkText(note, "note");
  auto access = authorize(actor, "case.close", caseId, breakGlassReason);
  security::AccessGuard guard(db_, audit_);
  if (!access.pending.decision.allowed) guard.enforce(access.pending);
  if (access.kase.state == CaseState::closed) {
    audit_.record(db_, [&] {
      auto e = access.pending.event;
      e.outcome = security::AuditOutcome::failure;
      return e;
    }());
    throw CaseStateError("case: closed");
  }
  // The note: a draft of encounter kind async_case from the general template, for the
  // clinician to sign on the notes page. The escalation assignee outside the care team writes
  // it under the same emergency rules as any note (NoteService decides).
  const std::string glass = access.pending.decision.breakGlass ? std::string(breakGlassReason)
                            : access.pending.decision.reason == "escalation_assignee"
                                ? std::string("escalated async case")
                                : std::string();
  std::int64_t templateId = 0;
  for (const auto& t : notes_.templates(actor))
    if (t.key == "general") templateId = t.id;
  if (templateId == 0) throw NotFound("note template: general");
  auto draft =
      notes_.create(actor, access.kase.patientId,
                    {notes::EncounterKind::async_case, std::to_string(caseId)}, templateId, glass);
  notes::Soap soap;
  soap.subjective = "Async case " + std::to_string(caseId) + " (category " + access.kase.category +
                    "): see the case's messages and photos.";
  soap.assessment = note;
  soap.plan = note;
  notes_.update(actor, access.kase.patientId, draft.id, draft.version, soap, glass);
  auto k = messageIn(actor, caseId, MessageKind::close, note, "case.close", breakGlassReason);
  return db_.writeSync([&](Connection& c) {
    c.execute("UPDATE cases SET note_id = ?2 WHERE id = ?1", caseId, draft.id);
    return caseIn(c, caseId, true);
  });
}

// ---------------------------------------------------------------- the worklist and escalation

CaseCounts CaseService::counts(const Actor& actor) {
  auto cases = queue(actor, false);
  const auto now = clock_.now();
  CaseCounts n;
  for (const auto& k : cases) {
    ++n.open;
    if (k.escalatedTo == actor.id) ++n.escalatedToMe;
    if (k.state != CaseState::open || k.firstResponseAt) continue;
    ++n.waiting;
    if (now >= k.escalateAt) ++n.dueSoon;
    if (now >= k.dueAt) ++n.overdue;
  }
  return n;
}

std::vector<Case> CaseService::escalateDue() {
  const auto now = clock_.now();
  auto setup = escalation_ ? escalation_() : alerts::EscalationSetup{};
  auto escalated = db_.writeSync([&](Connection& c) {
    auto s = c.prepare(std::string(kCaseColumns) +
                       "WHERE state <> 'closed' AND first_response_at IS NULL AND escalated_at IS "
                       "NULL AND escalate_at <= ?1 ORDER BY escalate_at");
    s.bind(1, toMillis(now));
    std::vector<Case> due;
    while (s.step()) due.push_back(readCase(s));
    std::vector<Case> out;
    for (auto& k : due) {
      const auto target = escalationTarget(setup, k.patientId, k.assignee, now);
      // Once: the row's escalated_at moves from NULL only (and a trigger refuses any other move).
      if (c.execute("UPDATE cases SET escalated_at = ?2, escalated_to = ?3, updated_at = ?2 WHERE "
                    "id = ?1 AND escalated_at IS NULL",
                    k.id, toMillis(now), target) != 1)
        continue;
      security::AuditEvent e;
      e.actorId = 0;
      e.actorRole = "system";
      e.action = "case.escalate";
      e.objectType = "case";
      e.objectId = std::to_string(k.id);
      e.patientId = k.patientId;
      e.reason = target ? "covering:" + std::to_string(*target) : "nobody_to_escalate_to";
      audit_.append(c, e);
      out.push_back(caseIn(c, k.id, false));
    }
    return out;
  });
  for (const auto& k : escalated)
    log::info("case.escalated", {{"case_id", k.id}, {"escalated_to", k.escalatedTo.value_or(0)}});
  return escalated;
}

}  // namespace vigil::cases
