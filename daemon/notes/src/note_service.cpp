// NoteService: every call authorises and audits through security::AccessGuard in the one
// transaction (write job or reader snapshot) that touches the note.
//
// Locking: the state checks here (NoteStateError) are the first line; migration 0026's
// notes_locked trigger is the second, for any code path that would skip them.

#include <algorithm>
#include <cctype>

#include "note_internal.hpp"
#include "vigil/core/time.hpp"
#include "vigil/crypto/bytes.hpp"
#include "vigil/crypto/field_cipher.hpp"
#include "vigil/crypto/hash.hpp"
#include "vigil/notes/notes.hpp"
#include "vigil/registry/registry.hpp"
#include "vigil/security/access_guard.hpp"
#include "vigil/security/audit_log.hpp"
#include "vigil/security/encrypted_fields.hpp"
#include "vigil/store/database.hpp"
#include "vigil/store/sqlite.hpp"

namespace vigil::notes {

using core::fromMillis;
using core::toMillis;
using security::Actor;
using security::operation;
using store::Connection;

namespace {

crypto::FieldRef ref(std::string_view table, std::string_view column, std::int64_t rowId) {
  const auto& f = security::encryptedField(table, column);
  return {std::string(f.table), std::string(f.column), std::to_string(rowId)};
}

store::Blob toBlob(const crypto::Bytes& b) {
  return store::Blob(b.begin(), b.end());
}

std::string sha256Hex(std::string_view text) {
  auto d = crypto::sha256(crypto::asBytes(text));
  return crypto::toHex(crypto::ByteView(d.data(), d.size()));
}

security::AuditObject noteObject(std::int64_t noteId) {
  return {"note", std::to_string(noteId)};
}

constexpr const char* kNoteColumns =
    "n.id, n.patient_id, n.encounter_kind, n.encounter_ref, n.template_id, t.template_key, "
    "t.version, t.title, n.author_id, n.author_role, n.state, n.version, n.created_at, "
    "n.updated_at, n.signed_by, n.signed_at, n.content_sha256, n.cosigned_by, n.cosigned_at, "
    "n.soap_enc FROM notes n JOIN note_templates t ON t.id = n.template_id";

Note readNote(store::Statement& s) {
  Note n;
  n.id = s.get<std::int64_t>(0);
  n.patientId = s.get<std::int64_t>(1);
  n.encounter.kind = parseEncounterKind(s.get<std::string>(2)).value_or(EncounterKind::video_visit);
  n.encounter.ref = s.get<std::string>(3);
  n.templateId = s.get<std::int64_t>(4);
  n.templateKey = s.get<std::string>(5);
  n.templateVersion = s.get<int>(6);
  n.templateTitle = s.get<std::string>(7);
  n.authorId = s.get<std::int64_t>(8);
  n.authorRole = s.get<std::string>(9);
  n.state = parseNoteState(s.get<std::string>(10)).value_or(NoteState::draft);
  n.version = s.get<int>(11);
  n.createdAt = fromMillis(s.get<std::int64_t>(12));
  n.updatedAt = fromMillis(s.get<std::int64_t>(13));
  n.signedBy = s.get<std::optional<std::int64_t>>(14);
  if (auto t = s.get<std::optional<std::int64_t>>(15)) n.signedAt = fromMillis(*t);
  n.sha256 = s.get<std::optional<std::string>>(16).value_or("");
  n.cosignedBy = s.get<std::optional<std::int64_t>>(17);
  if (auto t = s.get<std::optional<std::int64_t>>(18)) n.cosignedAt = fromMillis(*t);
  return n;
}

NoteTemplate readTemplate(store::Statement& s) {
  NoteTemplate t;
  t.id = s.get<std::int64_t>(0);
  t.key = s.get<std::string>(1);
  t.version = s.get<int>(2);
  t.title = s.get<std::string>(3);
  t.prompts = readSoapDocument(s.get<std::string>(4));
  t.createdAt = fromMillis(s.get<std::int64_t>(5));
  t.createdBy = s.get<std::optional<std::int64_t>>(6);
  return t;
}

bool validKey(const std::string& k) {
  if (k.empty() || k.size() > 40 || !std::islower(static_cast<unsigned char>(k[0]))) return false;
  return std::all_of(k.begin(), k.end(), [](char c) {
    return std::islower(static_cast<unsigned char>(c)) ||
           std::isdigit(static_cast<unsigned char>(c)) || c == '_';
  });
}

void requireAuthor(const Actor& actor, const Note& n) {
  if (n.authorId != actor.id) throw AccessDenied("access denied: only the note's author");
}

void requireDraft(const Note& n) {
  if (n.state != NoteState::draft)
    throw NoteStateError("note: signed notes are never edited; write an addendum");
}

void requireVersion(const Note& n, int baseVersion) {
  if (baseVersion != n.version)
    throw NoteConflict("note: changed since version " + std::to_string(baseVersion) +
                       "; reload it");
}

std::vector<Addendum> addendaWith(Connection& c, const crypto::FieldCipher& cipher,
                                  std::int64_t noteId) {
  auto s = c.prepare(
      "SELECT id, note_id, author_id, author_role, signed_at, content_sha256, text_enc FROM "
      "note_addenda WHERE note_id = ?1 ORDER BY id");
  s.bind(1, noteId);
  std::vector<Addendum> out;
  while (s.step()) {
    Addendum a;
    a.id = s.get<std::int64_t>(0);
    a.noteId = s.get<std::int64_t>(1);
    a.authorId = s.get<std::int64_t>(2);
    a.authorRole = s.get<std::string>(3);
    a.signedAt = fromMillis(s.get<std::int64_t>(4));
    a.sha256 = s.get<std::string>(5);
    if (auto b = s.get<std::optional<store::Blob>>(6))
      a.text = cipher.decryptText(ref("note_addenda", "text", a.id), *b);
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace

NoteService::NoteService(store::Database& db, security::AuditLog& audit,
                         const crypto::FieldCipher& cipher, registry::PatientRepository& patients,
                         Clock& clock)
    : db_(db), audit_(audit), cipher_(cipher), patients_(patients), clock_(clock) {}

std::string NoteService::reasonFor(const Actor& actor, std::int64_t patientId,
                                   std::string_view given) {
  return db_.read([&](Connection& c) {
    return security::AccessGuard::breakGlassReasonIn(c, actor, patientId, given, clock_.now());
  });
}

// ---------------------------------------------------------------- templates

std::vector<NoteTemplate> NoteService::templates(const Actor& actor) {
  security::AccessGuard guard(db_, audit_);
  return guard.read(actor, operation("note_template.list"), std::nullopt, {"note_template", ""},
                    [&](Connection& c) {
                      auto s = c.prepare(
                          "SELECT id, template_key, version, title, sections, created_at, "
                          "created_by FROM note_templates t WHERE version = (SELECT max(version) "
                          "FROM note_templates u WHERE u.template_key = t.template_key) "
                          "ORDER BY id");
                      std::vector<NoteTemplate> out;
                      while (s.step()) out.push_back(readTemplate(s));
                      return out;
                    });
}

NoteTemplate NoteService::publishTemplate(const Actor& actor, const std::string& key,
                                          const std::string& title, const Soap& prompts) {
  if (!validKey(key))
    throw ValidationError("key: 1 to 40 of a-z, 0-9 and _, starting with a letter");
  if (title.empty() || title.size() > 200) throw ValidationError("title: 1 to 200 bytes");
  validate(prompts, kMaxFieldBytes, "prompts");
  security::AccessGuard guard(db_, audit_);
  return guard.write(actor, operation("note_template.publish"), std::nullopt,
                     {"note_template", key}, [&](Connection& c) {
                       const int version = c.queryValue<int>(
                                                "SELECT max(version) FROM note_templates WHERE "
                                                "template_key = ?1",
                                                key)
                                               .value_or(0) +
                                           1;
                       c.execute(
                           "INSERT INTO note_templates (template_key, version, title, sections, "
                           "created_at, created_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                           key, version, title, soapDocument(prompts), toMillis(clock_.now()),
                           actor.id);
                       return NoteTemplate{c.lastInsertRowid(),
                                           key,
                                           version,
                                           title,
                                           prompts,
                                           fromMillis(toMillis(clock_.now())),
                                           actor.id};
                     });
}

// ---------------------------------------------------------------- reading notes

Note NoteService::noteIn(Connection& c, std::int64_t patientId, std::int64_t noteId,
                         bool content) const {
  auto s =
      c.prepare(std::string("SELECT ") + kNoteColumns + " WHERE n.id = ?1 AND n.patient_id = ?2");
  s.bindAll(noteId, patientId);
  if (!s.step()) throw NotFound("note: no such note");
  auto n = readNote(s);
  if (content) {
    if (auto b = s.get<std::optional<store::Blob>>(19))
      n.soap = readSoapDocument(cipher_.decryptText(ref("notes", "soap", n.id), *b));
    n.addenda = addendaIn(c, n.id);
  }
  return n;
}

std::vector<Addendum> NoteService::addendaIn(Connection& c, std::int64_t noteId) const {
  return addendaWith(c, cipher_, noteId);
}

std::vector<Note> NoteService::list(const Actor& actor, std::int64_t patientId,
                                    std::string_view breakGlassReason) {
  const auto reason = reasonFor(actor, patientId, breakGlassReason);
  security::AccessGuard guard(db_, audit_);
  return guard.read(
      actor, operation("note.list"), patientId, {"note", ""},
      [&](Connection& c) {
        if (!registry::PatientRepository::existsIn(c, patientId))
          throw NotFound("patient: no such patient");
        auto s = c.prepare(std::string("SELECT ") + kNoteColumns +
                           " WHERE n.patient_id = ?1 ORDER BY n.created_at DESC, n.id DESC");
        s.bind(1, patientId);
        std::vector<Note> out;
        while (s.step()) out.push_back(readNote(s));
        return out;
      },
      reason);
}

Note NoteService::get(const Actor& actor, std::int64_t patientId, std::int64_t noteId,
                      std::string_view breakGlassReason) {
  const auto reason = reasonFor(actor, patientId, breakGlassReason);
  security::AccessGuard guard(db_, audit_);
  return guard.read(
      actor, operation("note.get"), patientId, noteObject(noteId),
      [&](Connection& c) { return noteIn(c, patientId, noteId, true); }, reason);
}

std::vector<NoteVersion> NoteService::history(const Actor& actor, std::int64_t patientId,
                                              std::int64_t noteId,
                                              std::string_view breakGlassReason) {
  const auto reason = reasonFor(actor, patientId, breakGlassReason);
  security::AccessGuard guard(db_, audit_);
  return guard.read(
      actor, operation("note.history"), patientId, noteObject(noteId),
      [&](Connection& c) {
        noteIn(c, patientId, noteId, false);  // NotFound when not this patient's
        auto s = c.prepare(
            "SELECT id, version, saved_at, saved_by, soap_enc FROM note_versions WHERE "
            "note_id = ?1 ORDER BY version DESC");
        s.bind(1, noteId);
        std::vector<NoteVersion> out;
        while (s.step()) {
          NoteVersion v;
          v.version = s.get<int>(1);
          v.savedAt = fromMillis(s.get<std::int64_t>(2));
          v.savedBy = s.get<std::int64_t>(3);
          if (auto b = s.get<std::optional<store::Blob>>(4))
            v.soap = readSoapDocument(
                cipher_.decryptText(ref("note_versions", "soap", s.get<std::int64_t>(0)), *b));
          out.push_back(std::move(v));
        }
        return out;
      },
      reason);
}

// ---------------------------------------------------------------- writing notes

namespace {

void insertVersion(Connection& c, const crypto::FieldCipher& cipher, std::int64_t noteId,
                   int version, std::int64_t by, TimePoint at, const std::string& doc) {
  c.execute(
      "INSERT INTO note_versions (note_id, version, saved_at, saved_by) VALUES (?1, ?2, ?3, ?4)",
      noteId, version, toMillis(at), by);
  const auto row = c.lastInsertRowid();
  c.execute("UPDATE note_versions SET soap_enc = ?2 WHERE id = ?1", row,
            toBlob(cipher.encrypt(ref("note_versions", "soap", row), doc)));
}

}  // namespace

void NoteService::setEncounterCheck(EncounterKind kind, EncounterCheck check) {
  encounterChecks_[kind] = std::move(check);
}

Note NoteService::create(const Actor& actor, std::int64_t patientId, const Encounter& encounter,
                         std::int64_t templateId, std::string_view breakGlassReason) {
  validate(encounter);
  const auto reason = reasonFor(actor, patientId, breakGlassReason);
  security::AccessGuard guard(db_, audit_);
  return guard.write(
      actor, operation("note.create"), patientId, {"note", ""},
      [&](Connection& c) {
        if (!registry::PatientRepository::existsIn(c, patientId))
          throw NotFound("patient: no such patient");
        if (!c.queryValue<std::int64_t>("SELECT id FROM note_templates WHERE id = ?1", templateId))
          throw ValidationError("templateId: no such template");
        if (auto check = encounterChecks_.find(encounter.kind);
            check != encounterChecks_.end() && !check->second(c, patientId, encounter.ref))
          throw ValidationError("encounterRef: no such " + std::string(toString(encounter.kind)) +
                                " of this patient");
        const auto now = toMillis(clock_.now());
        c.execute(
            "INSERT INTO notes (patient_id, encounter_kind, encounter_ref, template_id, "
            "author_id, author_role, state, version, created_at, updated_at) VALUES (?1, ?2, ?3, "
            "?4, ?5, ?6, 'draft', 1, ?7, ?7)",
            patientId, std::string(toString(encounter.kind)), encounter.ref, templateId, actor.id,
            std::string(security::toString(actor.role)), now);
        const auto id = c.lastInsertRowid();
        const auto doc = soapDocument({});
        c.execute("UPDATE notes SET soap_enc = ?2 WHERE id = ?1", id,
                  toBlob(cipher_.encrypt(ref("notes", "soap", id), doc)));
        insertVersion(c, cipher_, id, 1, actor.id, fromMillis(now), doc);
        return noteIn(c, patientId, id, true);
      },
      reason);
}

Note NoteService::update(const Actor& actor, std::int64_t patientId, std::int64_t noteId,
                         int baseVersion, const Soap& soap, std::string_view breakGlassReason) {
  validate(soap, kMaxSectionBytes, "soap");
  const auto reason = reasonFor(actor, patientId, breakGlassReason);
  security::AccessGuard guard(db_, audit_);
  return guard.write(
      actor, operation("note.write"), patientId, noteObject(noteId),
      [&](Connection& c) {
        auto n = noteIn(c, patientId, noteId, true);
        requireAuthor(actor, n);
        requireDraft(n);
        requireVersion(n, baseVersion);
        if (n.soap == soap) return n;  // nothing new: no version
        const auto now = clock_.now();
        const auto doc = soapDocument(soap);
        c.execute("UPDATE notes SET version = ?2, updated_at = ?3, soap_enc = ?4 WHERE id = ?1",
                  noteId, n.version + 1, toMillis(now),
                  toBlob(cipher_.encrypt(ref("notes", "soap", noteId), doc)));
        insertVersion(c, cipher_, noteId, n.version + 1, actor.id, now, doc);
        return noteIn(c, patientId, noteId, true);
      },
      reason);
}

Note NoteService::lockIn(Connection& c, const Actor& actor, std::int64_t patientId,
                         std::int64_t noteId, int baseVersion, NoteState to) {
  auto n = noteIn(c, patientId, noteId, true);
  requireAuthor(actor, n);
  requireDraft(n);
  requireVersion(n, baseVersion);
  const auto now = toMillis(clock_.now());
  c.execute(
      "UPDATE notes SET state = ?2, signed_by = ?3, signed_at = ?4, content_sha256 = ?5, "
      "updated_at = ?4 WHERE id = ?1 AND state = 'draft'",
      noteId, std::string(toString(to)), actor.id, now, sha256Hex(soapDocument(n.soap)));
  return noteIn(c, patientId, noteId, true);
}

Note NoteService::sign(const Actor& actor, std::int64_t patientId, std::int64_t noteId,
                       int baseVersion, std::string_view breakGlassReason) {
  const auto reason = reasonFor(actor, patientId, breakGlassReason);
  security::AccessGuard guard(db_, audit_);
  return guard.write(
      actor, operation("note.sign"), patientId, noteObject(noteId),
      [&](Connection& c) {
        return lockIn(c, actor, patientId, noteId, baseVersion, NoteState::signed_);
      },
      reason);
}

Note NoteService::submit(const Actor& actor, std::int64_t patientId, std::int64_t noteId,
                         int baseVersion, std::string_view breakGlassReason) {
  const auto reason = reasonFor(actor, patientId, breakGlassReason);
  security::AccessGuard guard(db_, audit_);
  return guard.write(
      actor, operation("note.submit"), patientId, noteObject(noteId),
      [&](Connection& c) {
        if (actor.role != security::Role::nurse)
          throw NoteStateError("note: providers sign their notes; co-signing is for nurses'");
        return lockIn(c, actor, patientId, noteId, baseVersion, NoteState::cosign_pending);
      },
      reason);
}

Note NoteService::cosign(const Actor& actor, std::int64_t patientId, std::int64_t noteId) {
  security::AccessGuard guard(db_, audit_);
  // No break-glass reason: only a provider on the care team passes the guard.
  return guard.write(actor, operation("note.cosign"), patientId, noteObject(noteId),
                     [&](Connection& c) {
                       auto n = noteIn(c, patientId, noteId, false);
                       if (n.state != NoteState::cosign_pending)
                         throw NoteStateError("note: not waiting for a co-signature");
                       c.execute(
                           "UPDATE notes SET state = 'signed', cosigned_by = ?2, cosigned_at = "
                           "?3 WHERE id = ?1 AND state = 'cosign_pending'",
                           noteId, actor.id, toMillis(clock_.now()));
                       return noteIn(c, patientId, noteId, true);
                     });
}

std::vector<Note> NoteService::cosignQueue(const Actor& actor) {
  security::AccessGuard guard(db_, audit_);
  return guard.read(actor, operation("note.cosign_queue"), std::nullopt, {"note", "cosign_queue"},
                    [&](Connection& c) {
                      std::vector<Note> out;
                      for (auto patientId : security::SqliteCareTeam::patientsOfIn(c, actor.id)) {
                        auto s = c.prepare(std::string("SELECT ") + kNoteColumns +
                                           " WHERE n.patient_id = ?1 AND n.state = "
                                           "'cosign_pending' ORDER BY n.signed_at");
                        s.bind(1, patientId);
                        while (s.step()) out.push_back(readNote(s));
                      }
                      std::sort(out.begin(), out.end(), [](const Note& a, const Note& b) {
                        return a.signedAt < b.signedAt;
                      });
                      return out;
                    });
}

Addendum NoteService::addAddendum(const Actor& actor, std::int64_t patientId, std::int64_t noteId,
                                  const std::string& text, std::string_view breakGlassReason) {
  if (text.find_first_not_of(" \t\r\n") == std::string::npos)
    throw ValidationError("text: required");
  if (text.size() > kMaxSectionBytes)
    throw ValidationError("text: at most " + std::to_string(kMaxSectionBytes) + " bytes");
  const auto reason = reasonFor(actor, patientId, breakGlassReason);
  security::AccessGuard guard(db_, audit_);
  return guard.write(
      actor, operation("note.addendum"), patientId, noteObject(noteId),
      [&](Connection& c) {
        auto n = noteIn(c, patientId, noteId, false);
        if (n.state == NoteState::draft)
          throw NoteStateError("note: a draft is edited, not amended; sign it first");
        Addendum a;
        a.noteId = noteId;
        a.authorId = actor.id;
        a.authorRole = std::string(security::toString(actor.role));
        a.signedAt = fromMillis(toMillis(clock_.now()));
        a.sha256 = sha256Hex(text);
        a.text = text;
        c.execute(
            "INSERT INTO note_addenda (note_id, author_id, author_role, signed_at, "
            "content_sha256) VALUES (?1, ?2, ?3, ?4, ?5)",
            noteId, actor.id, a.authorRole, toMillis(a.signedAt), a.sha256);
        a.id = c.lastInsertRowid();
        c.execute("UPDATE note_addenda SET text_enc = ?2 WHERE id = ?1", a.id,
                  toBlob(cipher_.encrypt(ref("note_addenda", "text", a.id), text)));
        return a;
      },
      reason);
}

// ---------------------------------------------------------------- referrals, summaries

Referral NoteService::refer(const Actor& actor, std::int64_t patientId, std::int64_t noteId,
                            const ReferralInput& input, std::string_view breakGlassReason) {
  validate(input);
  const auto reason = reasonFor(actor, patientId, breakGlassReason);
  security::AccessGuard guard(db_, audit_);
  return guard.write(
      actor, operation("referral.create"), patientId, noteObject(noteId),
      [&](Connection& c) {
        auto n = noteIn(c, patientId, noteId, false);
        if (n.state != NoteState::signed_)
          throw NoteStateError("note: a referral comes from a signed note");
        Referral r{0, noteId, patientId, actor.id, fromMillis(toMillis(clock_.now())), input};
        c.execute(
            "INSERT INTO referrals (note_id, patient_id, created_by, created_at) VALUES (?1, "
            "?2, ?3, ?4)",
            noteId, patientId, actor.id, toMillis(r.createdAt));
        r.id = c.lastInsertRowid();
        c.execute(
            "UPDATE referrals SET letter_enc = ?2 WHERE id = ?1", r.id,
            toBlob(cipher_.encrypt(ref("referrals", "letter", r.id), referralDocument(input))));
        return r;
      },
      reason);
}

std::vector<Referral> NoteService::referrals(const Actor& actor, std::int64_t patientId,
                                             std::string_view breakGlassReason) {
  const auto reason = reasonFor(actor, patientId, breakGlassReason);
  security::AccessGuard guard(db_, audit_);
  return guard.read(
      actor, operation("referral.list"), patientId, {"referral", ""},
      [&](Connection& c) {
        auto s = c.prepare(
            "SELECT id, note_id, created_by, created_at, letter_enc FROM referrals WHERE "
            "patient_id = ?1 ORDER BY id DESC");
        s.bind(1, patientId);
        std::vector<Referral> out;
        while (s.step()) {
          Referral r;
          r.id = s.get<std::int64_t>(0);
          r.noteId = s.get<std::int64_t>(1);
          r.patientId = patientId;
          r.createdBy = s.get<std::int64_t>(2);
          r.createdAt = fromMillis(s.get<std::int64_t>(3));
          if (auto b = s.get<std::optional<store::Blob>>(4))
            r.letter =
                readReferralDocument(cipher_.decryptText(ref("referrals", "letter", r.id), *b));
          out.push_back(std::move(r));
        }
        return out;
      },
      reason);
}

ReferralLetter NoteService::letter(const Actor& actor, std::int64_t patientId,
                                   std::int64_t referralId, std::string_view breakGlassReason) {
  const auto reason = reasonFor(actor, patientId, breakGlassReason);
  security::AccessGuard guard(db_, audit_);
  return guard.read(
      actor, operation("referral.get"), patientId, {"referral", std::to_string(referralId)},
      [&](Connection& c) {
        auto s = c.prepare(
            "SELECT note_id, created_by, created_at, letter_enc FROM referrals WHERE id = ?1 AND "
            "patient_id = ?2");
        s.bindAll(referralId, patientId);
        if (!s.step()) throw NotFound("referral: no such referral");
        ReferralLetter l;
        l.referral.id = referralId;
        l.referral.noteId = s.get<std::int64_t>(0);
        l.referral.patientId = patientId;
        l.referral.createdBy = s.get<std::int64_t>(1);
        l.referral.createdAt = fromMillis(s.get<std::int64_t>(2));
        if (auto b = s.get<std::optional<store::Blob>>(3))
          l.referral.letter =
              readReferralDocument(cipher_.decryptText(ref("referrals", "letter", referralId), *b));
        auto n = noteIn(c, patientId, l.referral.noteId, true);
        l.noteSoap = n.soap;
        l.noteSignedAt = n.signedAt.value_or(n.updatedAt);
        if (auto p = patients_.getIn(c, patientId)) {
          l.patientName = p->givenName + " " + p->familyName;
          l.patientBirthDate = p->birthDate;
        }
        return l;
      },
      reason);
}

std::vector<VisitSummary> NoteService::visitSummaries(const Actor& actor, std::int64_t patientId,
                                                      std::string_view breakGlassReason) {
  const auto reason = reasonFor(actor, patientId, breakGlassReason);
  security::AccessGuard guard(db_, audit_);
  return guard.read(
      actor, operation("visit_summary.list"), patientId, {"visit_summary", ""},
      [&](Connection& c) {
        auto s = c.prepare(std::string("SELECT ") + kNoteColumns +
                           " WHERE n.patient_id = ?1 AND n.state = 'signed' ORDER BY "
                           "n.signed_at DESC, n.id DESC");
        s.bind(1, patientId);
        std::vector<VisitSummary> out;
        while (s.step()) {
          auto n = readNote(s);
          VisitSummary v{n.id,
                         n.encounter,
                         n.templateTitle,
                         n.signedBy.value_or(0),
                         n.signedAt.value_or(n.updatedAt),
                         n.cosignedBy,
                         "",
                         "",
                         {}};
          if (auto b = s.get<std::optional<store::Blob>>(19)) {
            auto soap = readSoapDocument(cipher_.decryptText(ref("notes", "soap", n.id), *b));
            v.assessment = std::move(soap.assessment);
            v.plan = std::move(soap.plan);
          }
          v.addenda = addendaIn(c, n.id);
          out.push_back(std::move(v));
        }
        return out;
      },
      reason);
}

std::vector<Note> NoteService::signedNotesIn(Connection& c, const crypto::FieldCipher& cipher,
                                             std::int64_t patientId) {
  auto s = c.prepare(std::string("SELECT ") + kNoteColumns +
                     " WHERE n.patient_id = ?1 AND n.state = 'signed' ORDER BY n.signed_at, n.id");
  s.bind(1, patientId);
  std::vector<Note> out;
  while (s.step()) {
    auto n = readNote(s);
    if (auto b = s.get<std::optional<store::Blob>>(19))
      n.soap = readSoapDocument(cipher.decryptText(ref("notes", "soap", n.id), *b));
    n.addenda = addendaWith(c, cipher, n.id);
    out.push_back(std::move(n));
  }
  return out;
}

std::vector<Note> NoteService::draftsOfIn(Connection& c, std::int64_t authorId) {
  auto s = c.prepare(std::string("SELECT ") + kNoteColumns +
                     " WHERE n.author_id = ?1 AND n.state = 'draft' ORDER BY n.created_at, n.id");
  s.bind(1, authorId);
  std::vector<Note> out;
  while (s.step()) out.push_back(readNote(s));
  return out;
}

std::vector<Note> NoteService::cosignPendingIn(Connection& c,
                                               const std::vector<std::int64_t>& patientIds) {
  std::vector<Note> out;
  for (auto patientId : patientIds) {
    auto s = c.prepare(std::string("SELECT ") + kNoteColumns +
                       " WHERE n.patient_id = ?1 AND n.state = 'cosign_pending'");
    s.bind(1, patientId);
    while (s.step()) out.push_back(readNote(s));
  }
  std::sort(out.begin(), out.end(),
            [](const Note& a, const Note& b) { return a.signedAt < b.signedAt; });
  return out;
}

bool NoteService::hasSignedReviewIn(Connection& c, std::int64_t patientId, std::string_view month) {
  return c
      .queryValue<std::int64_t>(
          "SELECT 1 FROM notes WHERE patient_id = ?1 AND encounter_kind = 'rpm_review' AND "
          "encounter_ref = ?2 AND state = 'signed' LIMIT 1",
          patientId, std::string(month))
      .has_value();
}

}  // namespace vigil::notes
