// VisitService's chat and shared documents (tables visit_messages, visit_documents): posted
// only by participants in the room, stored encrypted (bound to their row), read by the room's
// participants while the visit runs and by its own provider and patient (or an admin after an
// audited request) afterwards; every post and read is audited.

#include <string>

#include "vigil/core/error.hpp"
#include "vigil/crypto/field_cipher.hpp"
#include "vigil/security/audit_log.hpp"
#include "vigil/store/database.hpp"
#include "vigil/video/visit.hpp"
#include "visit_rules.hpp"

namespace vigil::video {

using namespace detail;

namespace {

using security::Actor;
using security::AuditOutcome;
using security::Role;

crypto::FieldRef messageField(std::int64_t id) {
  return {"visit_messages", "text", std::to_string(id)};
}

/// Why the actor may not post into the room of `v` now (chat, documents); nullopt: they may.
std::optional<std::string> roomRefusal(const Visit& v, const Actor& actor, TimePoint now,
                                       const VisitPolicy& policy) {
  if (inRoom(v, actor, now, policy)) return std::nullopt;
  return v.participant(actor.id) == nullptr ? "not_participant" : "not_in_room";
}

/// Reads the participant relation of a visit for an audited read: the visit's patient,
/// whether the actor may read its chat and documents, and why not.
struct ReadAccess {
  std::int64_t patientId = 0;
  bool allowed = false;
  std::string reason = "not_participant";
};

/// Who reads a visit's chat and documents: while it runs, the participants admitted into the
/// room (an invited interpreter or caregiver waiting, or one not yet let in, reads nothing);
/// before and after it, only the visit's own provider and patient, whose record it is part of.
ReadAccess readAccessIn(store::Connection& c, const Actor& actor, std::int64_t visitId,
                        TimePoint now, const VisitPolicy& policy) {
  auto v = requireVisitIn(c, visitId);
  ReadAccess a{v->patientId, false, "not_participant"};
  if (actor.role == Role::admin) {
    // Admins take no part in visits: once a visit no longer runs, they read its chat and
    // documents for a while after an audited request that gave the reason.
    if (v->state == VisitState::inProgress) {
      a.reason = "visit_running";
    } else if (security::AuditLog::grantUntil(c, actor.id, kRecordAccessAction, "visit",
                                              std::to_string(visitId),
                                              security::kEmergencyAccessWindow, now)) {
      a.allowed = true;
      a.reason = "admin_request";
    } else {
      a.reason = "no_request";
    }
    return a;
  }
  const Participant* p = v->participant(actor.id);
  if (p == nullptr || !security::roleHas(actor.role, security::Permission::visitJoin)) return a;
  if (v->state == VisitState::inProgress) {
    a.allowed = inRoom(*v, actor, now, policy);
    a.reason = a.allowed ? "participant" : "not_in_room";
    return a;
  }
  a.allowed = p->role == ParticipantRole::provider || p->role == ParticipantRole::patient;
  a.reason = a.allowed ? "visit_record" : "visit_not_running";
  return a;
}

/// Audits a participants-only read (chat, documents) and refuses a non-participant.
void auditParticipantRead(security::AuditLog& audit, store::Database& db, const Actor& actor,
                          std::string_view action, std::string_view objectType,
                          const std::string& objectId, const ReadAccess& access) {
  audit.record(
      db, security::auditEventFor(actor, action, objectType, objectId, access.patientId,
                                  access.allowed ? AuditOutcome::success : AuditOutcome::denied,
                                  access.reason));
  if (!access.allowed) refuse(action, access.reason);
}

}  // namespace

void VisitService::postIntoRoom(const Actor& actor, std::int64_t visitId, std::string_view action,
                                std::string_view objectType, const RoomInsert& insert) {
  Decision d;
  std::int64_t id = 0;
  db_.writeSync([&](store::Connection& c) {
    auto v = requireVisitIn(c, visitId);
    const auto now = clock_.now();
    if (auto refusal = roomRefusal(*v, actor, now, policy_))
      d = {false, *refusal};
    else
      id = insert(c, now);
    audit_.append(c,
                  decisionEvent(actor, action, objectType, std::to_string(d.allowed ? id : visitId),
                                v->patientId, d, "participant"));
  });
  if (!d.allowed) refuse(action, d.reason);
}

ChatMessage VisitService::postMessage(const Actor& actor, std::int64_t visitId,
                                      std::string_view text) {
  if (cipher_ == nullptr) throw ValidationError("visit chat: not configured");
  if (text.empty() || text.size() > 2000) throw ValidationError("text: 1 to 2000 characters");
  ChatMessage m;
  postIntoRoom(
      actor, visitId, "visit.message", "visit_message", [&](store::Connection& c, TimePoint now) {
        auto id = c.queryValue<std::int64_t>("SELECT coalesce(max(id), 0) + 1 FROM visit_messages")
                      .value_or(1);
        auto enc = cipher_->encrypt(messageField(id), text);
        c.execute(
            "INSERT INTO visit_messages (id, visit_id, sender_user_id, sent_at, text_enc) "
            "VALUES (?1, ?2, ?3, ?4, ?5)",
            id, visitId, actor.id, toMillis(now), store::Blob(enc.begin(), enc.end()));
        m = {id, visitId, actor.id, now, std::string(text)};
        return id;
      });
  return m;
}

std::vector<ChatMessage> VisitService::messages(const Actor& actor, std::int64_t visitId) {
  if (cipher_ == nullptr) throw ValidationError("visit chat: not configured");
  ReadAccess access;
  auto out = db_.read([&](store::Connection& c) {
    std::vector<ChatMessage> list;
    access = readAccessIn(c, actor, visitId, clock_.now(), policy_);
    if (!access.allowed) return list;
    auto st = c.prepare(
        "SELECT id, sender_user_id, sent_at, text_enc FROM visit_messages WHERE visit_id = ?1 "
        "ORDER BY id");
    st.bind(1, visitId);
    while (st.step()) {
      ChatMessage m;
      m.id = st.getInt64(0);
      m.visitId = visitId;
      m.senderUserId = st.getInt64(1);
      m.sentAt = fromMillis(st.getInt64(2));
      auto blob = st.getBlob(3);
      m.text = cipher_->decryptText(messageField(m.id), blob);
      list.push_back(std::move(m));
    }
    return list;
  });
  auditParticipantRead(audit_, db_, actor, "visit.messages_read", "visit", std::to_string(visitId),
                       access);
  return out;
}

std::optional<std::string> documentMediaType(std::string_view content) {
  if (content.rfind("%PDF-", 0) == 0) return "application/pdf";
  if (content.rfind("\x89PNG\r\n\x1a\n", 0) == 0) return "image/png";
  if (content.size() >= 3 && static_cast<unsigned char>(content[0]) == 0xFF &&
      static_cast<unsigned char>(content[1]) == 0xD8 &&
      static_cast<unsigned char>(content[2]) == 0xFF)
    return "image/jpeg";
  return std::nullopt;
}

namespace {

crypto::FieldRef documentField(std::string_view column, std::int64_t id) {
  return {"visit_documents", std::string(column), std::to_string(id)};
}

}  // namespace

VisitDocument VisitService::shareDocument(const Actor& actor, std::int64_t visitId,
                                          std::string_view fileName, std::string_view content) {
  if (cipher_ == nullptr) throw ValidationError("visit documents: not configured");
  if (content.empty() || content.size() > kMaxVisitDocumentBytes)
    throw ValidationError("document: empty or larger than " +
                          std::to_string(kMaxVisitDocumentBytes / 1024) + " KiB");
  auto type = documentMediaType(content);
  if (!type) throw ValidationError("document: only PDF, PNG and JPEG files can be shared");
  if (fileName.empty() || fileName.size() > 200 ||
      fileName.find_first_of(std::string_view("/\\\0\r\n", 5)) != std::string_view::npos)
    throw ValidationError("fileName: 1 to 200 characters, no path");
  VisitDocument doc;
  postIntoRoom(
      actor, visitId, "visit.document_share", "visit_document",
      [&](store::Connection& c, TimePoint now) {
        auto id = c.queryValue<std::int64_t>("SELECT coalesce(max(id), 0) + 1 FROM visit_documents")
                      .value_or(1);
        auto name = cipher_->encrypt(documentField("file_name", id), fileName);
        auto body = cipher_->encrypt(documentField("content", id), content);
        c.execute(
            "INSERT INTO visit_documents (id, visit_id, uploader_user_id, uploaded_at, "
            "media_type, size_bytes, file_name_enc, content_enc) VALUES (?1, ?2, ?3, ?4, "
            "?5, ?6, ?7, ?8)",
            id, visitId, actor.id, toMillis(now), *type, static_cast<std::int64_t>(content.size()),
            store::Blob(name.begin(), name.end()), store::Blob(body.begin(), body.end()));
        doc = {id,
               visitId,
               actor.id,
               now,
               *type,
               std::string(fileName),
               static_cast<std::int64_t>(content.size()),
               {}};
        return id;
      });
  return doc;
}

std::vector<VisitDocument> VisitService::documents(const Actor& actor, std::int64_t visitId) {
  if (cipher_ == nullptr) throw ValidationError("visit documents: not configured");
  ReadAccess access;
  auto out = db_.read([&](store::Connection& c) {
    std::vector<VisitDocument> list;
    access = readAccessIn(c, actor, visitId, clock_.now(), policy_);
    if (!access.allowed) return list;
    auto st = c.prepare(
        "SELECT id, uploader_user_id, uploaded_at, media_type, size_bytes, file_name_enc FROM "
        "visit_documents WHERE visit_id = ?1 ORDER BY id");
    st.bind(1, visitId);
    while (st.step()) {
      VisitDocument d;
      d.id = st.getInt64(0);
      d.visitId = visitId;
      d.uploaderUserId = st.getInt64(1);
      d.uploadedAt = fromMillis(st.getInt64(2));
      d.mediaType = st.getText(3);
      d.sizeBytes = st.getInt64(4);
      d.fileName = cipher_->decryptText(documentField("file_name", d.id), st.getBlob(5));
      list.push_back(std::move(d));
    }
    return list;
  });
  auditParticipantRead(audit_, db_, actor, "visit.documents_list", "visit", std::to_string(visitId),
                       access);
  return out;
}

VisitDocument VisitService::document(const Actor& actor, std::int64_t visitId,
                                     std::int64_t documentId) {
  if (cipher_ == nullptr) throw ValidationError("visit documents: not configured");
  ReadAccess access;
  std::optional<VisitDocument> found;
  db_.read([&](store::Connection& c) {
    access = readAccessIn(c, actor, visitId, clock_.now(), policy_);
    if (!access.allowed) return;
    auto st = c.prepare(
        "SELECT uploader_user_id, uploaded_at, media_type, size_bytes, file_name_enc, "
        "content_enc FROM visit_documents WHERE id = ?1 AND visit_id = ?2");
    st.bindAll(documentId, visitId);
    if (!st.step()) return;
    VisitDocument d;
    d.id = documentId;
    d.visitId = visitId;
    d.uploaderUserId = st.getInt64(0);
    d.uploadedAt = fromMillis(st.getInt64(1));
    d.mediaType = st.getText(2);
    d.sizeBytes = st.getInt64(3);
    d.fileName = cipher_->decryptText(documentField("file_name", documentId), st.getBlob(4));
    d.content = cipher_->decryptText(documentField("content", documentId), st.getBlob(5));
    found = std::move(d);
  });
  auditParticipantRead(audit_, db_, actor, "visit.document_get", "visit_document",
                       std::to_string(documentId), access);
  if (!found) throw NotFound("document not found");
  return *found;
}

}  // namespace vigil::video
