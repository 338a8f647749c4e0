#include "vigil/patients/consent.hpp"

#include <algorithm>
#include <cctype>

#include "vigil/core/time.hpp"
#include "vigil/crypto/bytes.hpp"
#include "vigil/crypto/field_cipher.hpp"
#include "vigil/crypto/hash.hpp"
#include "vigil/patients/rpm_enrolment.hpp"
#include "vigil/registry/registry.hpp"
#include "vigil/security/access_guard.hpp"
#include "vigil/security/audit_log.hpp"
#include "vigil/security/encrypted_fields.hpp"
#include "vigil/store/database.hpp"
#include "vigil/store/sqlite.hpp"

namespace vigil::patients {

using core::fromMillis;
using core::toMillis;
using security::Actor;
using store::Connection;

namespace {

constexpr const char* kDocumentColumns =
    "id, kind, version, title, body, body_sha256, requires_resign, published_by, published_at";

ConsentDocument documentFromRow(const store::Statement& s, bool withBody) {
  ConsentDocument d;
  d.id = s.get<std::int64_t>(0);
  d.kind = parseConsentKind(s.get<std::string>(1)).value_or(ConsentKind::telehealth);
  d.version = s.get<int>(2);
  d.title = s.get<std::string>(3);
  if (withBody) d.body = s.get<std::string>(4);
  d.sha256 = s.get<std::string>(5);
  d.requiresResign = s.get<std::int64_t>(6) != 0;
  d.publishedBy = s.get<std::int64_t>(7);
  d.publishedAt = fromMillis(s.get<std::int64_t>(8));
  return d;
}

crypto::FieldRef ref(std::string_view column, std::int64_t id) {
  // The listed field (security/encrypted_fields.cpp) names the column the AAD binds.
  const auto& field = security::encryptedField("consents", column);
  return {std::string(field.table), std::string(field.column), std::to_string(id)};
}

store::Blob toBlob(const crypto::Bytes& b) {
  return store::Blob(b.begin(), b.end());
}

std::string sha256Hex(std::string_view text) {
  auto digest = crypto::sha256(crypto::asBytes(text));
  return crypto::toHex(crypto::ByteView(digest.data(), digest.size()));
}

/// The text without leading and trailing blanks (the typed name is kept as typed otherwise).
std::string trimmed(std::string_view s) {
  const auto isBlank = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
  while (!s.empty() && isBlank(s.front())) s.remove_prefix(1);
  while (!s.empty() && isBlank(s.back())) s.remove_suffix(1);
  return std::string(s);
}

bool blank(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; });
}

/// The newest version of the kind that asks older signatures to be signed again (0: none).
int resignFloorIn(Connection& c, ConsentKind kind) {
  return static_cast<int>(
      c.queryValue<std::int64_t>("SELECT COALESCE(MAX(version), 0) FROM consent_documents "
                                 "WHERE kind = ?1 AND requires_resign = 1",
                                 std::string(toString(kind)))
          .value_or(0));
}

}  // namespace

std::string_view toString(ConsentKind kind) {
  switch (kind) {
    case ConsentKind::telehealth:
      return "telehealth";
    case ConsentKind::rpm:
      return "rpm";
    case ConsentKind::privacyNotice:
      return "privacy_notice";
    case ConsentKind::recording:
      return "recording";
  }
  return "telehealth";
}

std::optional<ConsentKind> parseConsentKind(std::string_view name) {
  for (auto k : kAllConsentKinds)
    if (toString(k) == name) return k;
  return std::nullopt;
}

std::string normalizeSignatureName(std::string_view name) {
  std::string out;
  bool space = false;
  for (char ch : name) {
    const auto u = static_cast<unsigned char>(ch);
    if (std::isspace(u)) {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(u < 0x80 ? static_cast<char>(std::tolower(u)) : ch);
  }
  return out;
}

ConsentService::ConsentService(store::Database& db, security::AuditLog& audit,
                               const crypto::FieldCipher& cipher,
                               registry::PatientRepository& patients, Clock& clock)
    : db_(db), audit_(audit), cipher_(cipher), patients_(patients), clock_(clock) {}

// ---------------------------------------------------------------- documents

std::optional<ConsentDocument> ConsentService::documentIn(Connection& c, std::int64_t id) {
  auto s = c.prepare(std::string("SELECT ") + kDocumentColumns +
                     " FROM consent_documents WHERE id = ?1");
  s.bind(1, id);
  if (!s.step()) return std::nullopt;
  return documentFromRow(s, true);
}

std::optional<ConsentDocument> ConsentService::currentIn(Connection& c, ConsentKind kind) {
  auto s = c.prepare(std::string("SELECT ") + kDocumentColumns +
                     " FROM consent_documents WHERE kind = ?1 ORDER BY version DESC LIMIT 1");
  s.bind(1, std::string(toString(kind)));
  if (!s.step()) return std::nullopt;
  return documentFromRow(s, true);
}

ConsentDocument ConsentService::publishIn(Connection& c, const Actor& actor,
                                          const NewConsentDocument& doc) {
  const auto kind = std::string(toString(doc.kind));
  const int version =
      static_cast<int>(
          c.queryValue<std::int64_t>(
               "SELECT COALESCE(MAX(version), 0) FROM consent_documents WHERE kind = ?1", kind)
              .value_or(0)) +
      1;
  c.execute(
      "INSERT INTO consent_documents (kind, version, title, body, body_sha256, requires_resign, "
      "published_by, published_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
      kind, version, doc.title, doc.body, sha256Hex(doc.body), doc.requiresResign ? 1 : 0, actor.id,
      toMillis(clock_.now()));
  return *documentIn(c, c.lastInsertRowid());
}

ConsentDocument ConsentService::publish(const Actor& actor, const NewConsentDocument& doc) {
  if (doc.title.empty() || doc.title.size() > 200 || blank(doc.title))
    throw ValidationError("title: 1 to 200 characters");
  if (doc.body.empty() || doc.body.size() > kMaxConsentBodyBytes || blank(doc.body))
    throw ValidationError("body: 1 to 65536 bytes of text");
  security::AccessGuard guard(db_, audit_);
  return guard.write(actor, security::operation("consent_document.publish"), std::nullopt,
                     {"consent_document", std::string(toString(doc.kind))},
                     [&](Connection& c) { return publishIn(c, actor, doc); });
}

std::vector<ConsentDocument> ConsentService::documents(const Actor& actor) {
  security::AccessGuard guard(db_, audit_);
  return guard.read(actor, security::operation("consent_document.list"), std::nullopt,
                    {"consent_document", ""}, [](Connection& c) {
                      auto s = c.prepare(std::string("SELECT ") + kDocumentColumns +
                                         " FROM consent_documents ORDER BY kind, version DESC");
                      std::vector<ConsentDocument> out;
                      while (s.step()) out.push_back(documentFromRow(s, false));
                      return out;
                    });
}

ConsentDocument ConsentService::document(const Actor& actor, std::int64_t documentId) {
  security::AccessGuard guard(db_, audit_);
  auto doc = guard.read(actor, security::operation("consent_document.get"), std::nullopt,
                        {"consent_document", std::to_string(documentId)},
                        [&](Connection& c) { return documentIn(c, documentId); });
  if (!doc) throw NotFound("consent document: no such document");
  return *doc;
}

// ---------------------------------------------------------------- signatures

Signature ConsentService::signIn(Connection& c, const Actor& actor, std::int64_t patientId,
                                 const SignRequest& request) {
  auto doc = documentIn(c, request.documentId);
  if (!doc) throw NotFound("consent document: no such document");
  auto current = currentIn(c, doc->kind);
  if (current->id != doc->id)
    throw ConsentConflict("document_superseded",
                          "consent document: a newer version exists; sign that one");
  if (request.documentSha256 != doc->sha256)
    throw ConsentConflict("document_changed",
                          "documentSha256: not the hash of this version's text");
  auto patient = patients_.getIn(c, patientId);
  if (!patient || !patient->active) throw NotFound("patient: no such active patient");
  const auto typed = normalizeSignatureName(request.typedName);
  if (typed.empty() ||
      typed != normalizeSignatureName(patient->givenName + " " + patient->familyName))
    throw ValidationError("typed_name: does not match the name on the patient's record");
  if (c.queryValue<std::int64_t>("SELECT count(*) FROM consents WHERE patient_id = ?1 AND "
                                 "document_id = ?2 AND withdrawn_at IS NULL",
                                 patientId, doc->id)
          .value_or(0) > 0)
    throw ConsentConflict("already_signed", "consent: this version is signed already");
  const auto now = clock_.now();
  c.execute(
      "INSERT INTO consents (patient_id, document_id, kind, version, document_sha256, "
      "signed_by, signed_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
      patientId, doc->id, std::string(toString(doc->kind)), doc->version, doc->sha256, actor.id,
      toMillis(now));
  const auto id = c.lastInsertRowid();
  const auto trimmedName = trimmed(request.typedName);
  c.execute("UPDATE consents SET typed_name_enc = ?2, signer_ip_enc = ?3 WHERE id = ?1", id,
            toBlob(cipher_.encrypt(ref("typed_name", id), trimmedName)),
            toBlob(cipher_.encrypt(ref("signer_ip", id), request.signerIp)));
  Signature sig;
  sig.id = id;
  sig.patientId = patientId;
  sig.documentId = doc->id;
  sig.kind = doc->kind;
  sig.version = doc->version;
  sig.documentSha256 = doc->sha256;
  sig.signedBy = actor.id;
  sig.signedAt = fromMillis(toMillis(now));
  sig.typedName = trimmedName;
  sig.signerIp = request.signerIp;
  return sig;
}

Signature ConsentService::sign(const Actor& actor, std::int64_t patientId,
                               const SignRequest& request) {
  if (!request.agreed) throw ValidationError("agreed: tick the box to sign");
  if (request.typedName.size() > 200) throw ValidationError("typed_name: at most 200 characters");
  security::AccessGuard guard(db_, audit_);
  return guard.write(actor, security::operation("consent.sign"), patientId,
                     {"consent_document", std::to_string(request.documentId)},
                     [&](Connection& c) { return signIn(c, actor, patientId, request); });
}

std::size_t ConsentService::withdraw(const Actor& actor, std::int64_t patientId, ConsentKind kind) {
  security::AccessGuard guard(db_, audit_);
  auto closed =
      guard.write(actor, security::operation("consent.withdraw"), patientId,
                  {"consent", std::string(toString(kind))}, [&](Connection& c) {
                    const auto now = clock_.now();
                    const auto n = static_cast<std::size_t>(
                        c.execute("UPDATE consents SET withdrawn_at = ?3, withdrawn_by = ?4 "
                                  "WHERE patient_id = ?1 AND kind = ?2 AND withdrawn_at IS NULL",
                                  patientId, std::string(toString(kind)), toMillis(now), actor.id));
                    // Without RPM consent no episode stays open: they end in this transaction,
                    // so a crash leaves either both the withdrawal and the ends, or neither.
                    if (n > 0 && kind == ConsentKind::rpm)
                      RpmEnrolmentService::endAllForWithdrawalIn(c, audit_, actor, patientId, now);
                    return n;
                  });
  if (closed == 0)
    throw ConsentConflict("not_signed", "consent: nothing of this kind is signed to withdraw");
  return closed;
}

std::vector<Signature> ConsentService::signaturesIn(Connection& c, std::int64_t patientId) const {
  auto s = c.prepare(
      "SELECT id, document_id, kind, version, document_sha256, signed_by, signed_at, "
      "typed_name_enc, signer_ip_enc, withdrawn_at, withdrawn_by FROM consents "
      "WHERE patient_id = ?1 ORDER BY signed_at DESC, id DESC");
  s.bind(1, patientId);
  std::vector<Signature> out;
  while (s.step()) {
    Signature sig;
    sig.id = s.get<std::int64_t>(0);
    sig.patientId = patientId;
    sig.documentId = s.get<std::int64_t>(1);
    sig.kind = parseConsentKind(s.get<std::string>(2)).value_or(ConsentKind::telehealth);
    sig.version = s.get<int>(3);
    sig.documentSha256 = s.get<std::string>(4);
    sig.signedBy = s.get<std::int64_t>(5);
    sig.signedAt = fromMillis(s.get<std::int64_t>(6));
    if (auto b = s.get<std::optional<store::Blob>>(7))
      sig.typedName = cipher_.decryptText(ref("typed_name", sig.id), *b);
    if (auto b = s.get<std::optional<store::Blob>>(8))
      sig.signerIp = cipher_.decryptText(ref("signer_ip", sig.id), *b);
    if (auto v = s.get<std::optional<std::int64_t>>(9)) sig.withdrawnAt = fromMillis(*v);
    sig.withdrawnBy = s.get<std::optional<std::int64_t>>(10);
    out.push_back(std::move(sig));
  }
  return out;
}

PatientConsents ConsentService::consents(const Actor& actor, std::int64_t patientId,
                                         std::string_view breakGlassReason) {
  const auto reason = db_.read([&](Connection& c) {
    return security::AccessGuard::breakGlassReasonIn(c, actor, patientId, breakGlassReason,
                                                     clock_.now());
  });
  security::AccessGuard guard(db_, audit_);
  return guard.read(
      actor, security::operation("consent.list"), patientId, {"consent", std::to_string(patientId)},
      [&](Connection& c) {
        PatientConsents out;
        out.signatures = signaturesIn(c, patientId);
        for (auto kind : kAllConsentKinds) {
          KindStatus st;
          st.kind = kind;
          st.current = currentIn(c, kind);
          if (st.current) st.current->body.clear();
          st.active = hasActiveConsentIn(c, patientId, kind);
          st.resignRequired =
              !st.active &&
              std::any_of(out.signatures.begin(), out.signatures.end(),
                          [&](const Signature& s) { return s.kind == kind && !s.withdrawnAt; });
          out.kinds.push_back(std::move(st));
        }
        return out;
      },
      reason);
}

bool ConsentService::hasActiveConsentIn(Connection& c, std::int64_t patientId, ConsentKind kind) {
  const int floor = resignFloorIn(c, kind);
  return c.queryValue<std::int64_t>(
              "SELECT count(*) FROM consents WHERE patient_id = ?1 AND kind = ?2 "
              "AND withdrawn_at IS NULL AND version >= ?3",
              patientId, std::string(toString(kind)), floor)
             .value_or(0) > 0;
}

bool ConsentService::hasActiveConsent(std::int64_t patientId, ConsentKind kind) {
  return db_.read([&](Connection& c) { return hasActiveConsentIn(c, patientId, kind); });
}

}  // namespace vigil::patients
