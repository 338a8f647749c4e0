#include "vigil/patients/patient_record.hpp"

#include <algorithm>
#include <cctype>
#include <map>

#include "vigil/core/time.hpp"
#include "vigil/crypto/field_cipher.hpp"
#include "vigil/patients/record_json.hpp"
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

constexpr const char* kTable = "patient_record_versions";

crypto::FieldRef ref(std::string_view column, std::int64_t rowId) {
  const auto& field = security::encryptedField(kTable, column);
  return {std::string(field.table), std::string(field.column), std::to_string(rowId)};
}

store::Blob toBlob(const crypto::Bytes& b) {
  return store::Blob(b.begin(), b.end());
}

std::string trimmed(std::string s) {
  const auto isBlank = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
  while (!s.empty() && isBlank(s.back())) s.pop_back();
  auto first = std::find_if_not(s.begin(), s.end(), isBlank);
  s.erase(s.begin(), first);
  return s;
}

std::string upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

/// Codes upper-cased and identifiers trimmed, so "e11.9 " is stored and compared as "E11.9".
RecordUpdate normalized(RecordUpdate u) {
  if (u.language) u.language = trimmed(*u.language);
  if (u.problems)
    for (auto& p : *u.problems) p.code = upper(trimmed(p.code));
  if (u.medications)
    for (auto& m : *u.medications) m.rxcui = trimmed(m.rxcui);
  if (u.pharmacy) u.pharmacy->ncpdpId = trimmed(u.pharmacy->ncpdpId);
  return u;
}

bool sameContent(const Problem& a, const Problem& b) {
  return a.code == b.code && a.description == b.description && a.status == b.status &&
         a.onsetDate == b.onsetDate;
}
bool sameContent(const Medication& a, const Medication& b) {
  return a.rxcui == b.rxcui && a.name == b.name && a.instructions == b.instructions &&
         a.status == b.status;
}
bool sameContent(const Allergy& a, const Allergy& b) {
  return a.substance == b.substance && a.reaction == b.reaction && a.severity == b.severity;
}

/// The list as it will be stored: an entry sent back unchanged (same id, same content) keeps
/// its id and source; any other entry gets a new id and the updating actor's source. Returns
/// whether the list differs from the current one.
template <class T>
bool merge(std::vector<T>& current, std::vector<T> next, EntrySource source, std::int64_t& nextId) {
  std::map<std::int64_t, const T*> byId;
  for (const auto& e : current) byId[e.id] = &e;
  bool changed = next.size() != current.size();
  for (std::size_t i = 0; i < next.size(); ++i) {
    auto& e = next[i];
    auto it = e.id != 0 ? byId.find(e.id) : byId.end();
    if (it != byId.end() && sameContent(*it->second, e)) {
      e.source = it->second->source;
      if (i >= current.size() || current[i].id != e.id) changed = true;  // reordered
    } else {
      e.id = nextId++;
      e.source = source;
      changed = true;
    }
  }
  current = std::move(next);
  return changed;
}

std::string joined(const std::vector<RecordSection>& sections) {
  std::string out;
  for (auto s : sections) out += (out.empty() ? "" : ",") + std::string(toString(s));
  return out;
}

std::vector<RecordSection> splitSections(const std::string& text) {
  std::vector<RecordSection> out;
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    if (auto s = parseRecordSection(text.substr(start, end - start))) out.push_back(*s);
    start = end + 1;
  }
  return out;
}

}  // namespace

// ---------------------------------------------------------------- names

std::string_view toString(RecordSection section) {
  switch (section) {
    case RecordSection::demographics:
      return "demographics";
    case RecordSection::contact:
      return "contact";
    case RecordSection::language:
      return "language";
    case RecordSection::emergencyContact:
      return "emergencyContact";
    case RecordSection::insurance:
      return "insurance";
    case RecordSection::pharmacy:
      return "pharmacy";
    case RecordSection::problems:
      return "problems";
    case RecordSection::medications:
      return "medications";
    case RecordSection::allergies:
      return "allergies";
  }
  return "demographics";
}

std::optional<RecordSection> parseRecordSection(std::string_view name) {
  for (auto s : kAllRecordSections)
    if (toString(s) == name) return s;
  return std::nullopt;
}

bool isClinical(RecordSection section) {
  return section == RecordSection::problems || section == RecordSection::medications ||
         section == RecordSection::allergies;
}

std::string_view toString(EntrySource source) {
  return source == EntrySource::patient ? "patient" : "clinician";
}

std::string_view toString(SubscriberRelationship r) {
  switch (r) {
    case SubscriberRelationship::self:
      return "self";
    case SubscriberRelationship::spouse:
      return "spouse";
    case SubscriberRelationship::child:
      return "child";
    case SubscriberRelationship::other:
      return "other";
  }
  return "self";
}

bool Address::empty() const {
  return line1.empty() && line2.empty() && city.empty() && region.empty() && postalCode.empty() &&
         country.empty();
}

bool RecordUpdate::empty() const {
  return !demographics && !contact && !language && !emergencyContact && !insurance && !pharmacy &&
         !touchesClinical();
}

// ---------------------------------------------------------------- service

PatientRecordService::PatientRecordService(store::Database& db, security::AuditLog& audit,
                                           const crypto::FieldCipher& cipher,
                                           registry::PatientRepository& patients, Clock& clock)
    : db_(db), audit_(audit), cipher_(cipher), patients_(patients), clock_(clock) {}

PatientRecord PatientRecordService::currentIn(Connection& c, std::int64_t patientId,
                                              bool clinical) const {
  return versionIn(c, patientId, clinical, std::nullopt);
}

PatientRecord PatientRecordService::versionIn(Connection& c, std::int64_t patientId, bool clinical,
                                              std::optional<int> version) const {
  auto patient = patients_.getIn(c, patientId);
  if (!patient) throw NotFound("patient: no such patient");
  PatientRecord r;
  r.patientId = patientId;
  r.clinicalIncluded = clinical;
  auto s = c.prepare(
      version ? "SELECT id, version, changed_at, changed_by, administrative_enc, clinical_enc FROM "
                "patient_record_versions WHERE patient_id = ?1 AND version = ?2"
              : "SELECT id, version, changed_at, changed_by, administrative_enc, clinical_enc FROM "
                "patient_record_versions WHERE patient_id = ?1 ORDER BY version DESC LIMIT 1");
  s.bind(1, patientId);
  if (version) s.bind(2, *version);
  if (s.step()) {
    const auto row = s.get<std::int64_t>(0);
    r.version = s.get<int>(1);
    r.updatedAt = fromMillis(s.get<std::int64_t>(2));
    r.updatedBy = s.get<std::int64_t>(3);
    if (auto b = s.get<std::optional<store::Blob>>(4))
      readAdministrativeDocument(cipher_.decryptText(ref("administrative", row), *b), r);
    if (clinical)
      if (auto b = s.get<std::optional<store::Blob>>(5))
        readClinicalDocument(cipher_.decryptText(ref("clinical", row), *b), r);
  } else if (version) {
    throw NotFound("patient record: no such version");
  }
  // The registry's row is the demographics every service reads: it wins in the current record;
  // a past version shows what it recorded.
  if (!version || r.demographics.givenName.empty())
    r.demographics = {patient->givenName, patient->familyName, patient->birthDate,
                      patient->timeZone, patient->state};
  return r;
}

PatientRecord PatientRecordService::get(const Actor& actor, std::int64_t patientId,
                                        std::string_view breakGlassReason) {
  const auto reason = db_.read([&](Connection& c) {
    return security::AccessGuard::breakGlassReasonIn(c, actor, patientId, breakGlassReason,
                                                     clock_.now());
  });
  const bool clinical = security::roleHas(actor.role, security::Permission::recordClinicalRead);
  security::AccessGuard guard(db_, audit_);
  return guard.read(
      actor, security::operation("patient_record.get"), patientId,
      {"patient_record", std::to_string(patientId)},
      [&](Connection& c) { return currentIn(c, patientId, clinical); }, reason);
}

PatientRecord PatientRecordService::getVersion(const Actor& actor, std::int64_t patientId,
                                               int version, std::string_view breakGlassReason) {
  if (version < 1) throw ValidationError("version: a positive whole number");
  const auto reason = db_.read([&](Connection& c) {
    return security::AccessGuard::breakGlassReasonIn(c, actor, patientId, breakGlassReason,
                                                     clock_.now());
  });
  const bool clinical = security::roleHas(actor.role, security::Permission::recordClinicalRead);
  security::AccessGuard guard(db_, audit_);
  return guard.read(
      actor, security::operation("patient_record.get"), patientId,
      {"patient_record", std::to_string(patientId) + "@v" + std::to_string(version)},
      [&](Connection& c) { return versionIn(c, patientId, clinical, version); }, reason);
}

PatientRecord PatientRecordService::updateIn(Connection& c, const Actor& actor,
                                             std::int64_t patientId, const RecordUpdate& update) {
  auto record = currentIn(c, patientId, true);
  if (update.baseVersion && *update.baseVersion != record.version)
    throw RecordConflict("patient record: changed since version " +
                         std::to_string(*update.baseVersion) + "; reload it");
  std::vector<RecordSection> changed;
  auto replace = [&](RecordSection section, auto& field, const auto& next) {
    if (next && !(field == *next)) {
      field = *next;
      changed.push_back(section);
    }
  };
  replace(RecordSection::demographics, record.demographics, update.demographics);
  replace(RecordSection::contact, record.contact, update.contact);
  replace(RecordSection::language, record.language, update.language);
  replace(RecordSection::emergencyContact, record.emergencyContact, update.emergencyContact);
  replace(RecordSection::insurance, record.insurance, update.insurance);
  replace(RecordSection::pharmacy, record.pharmacy, update.pharmacy);
  const auto source =
      actor.role == security::Role::patient ? EntrySource::patient : EntrySource::clinician;
  if (update.problems && merge(record.problems, *update.problems, source, record.nextEntryId))
    changed.push_back(RecordSection::problems);
  if (update.medications &&
      merge(record.medications, *update.medications, source, record.nextEntryId))
    changed.push_back(RecordSection::medications);
  if (update.allergies && merge(record.allergies, *update.allergies, source, record.nextEntryId))
    changed.push_back(RecordSection::allergies);
  if (changed.empty()) return record;  // nothing new: no version

  if (std::find(changed.begin(), changed.end(), RecordSection::demographics) != changed.end()) {
    auto patient = *patients_.getIn(c, patientId);
    patient.givenName = record.demographics.givenName;
    patient.familyName = record.demographics.familyName;
    patient.birthDate = record.demographics.birthDate;
    patient.timeZone = record.demographics.timeZone;
    patient.state = record.demographics.state;
    patients_.updateDemographicsIn(c, patient);
  }
  const auto now = clock_.now();
  record.version += 1;
  c.execute(
      "INSERT INTO patient_record_versions (patient_id, version, changed_at, changed_by, "
      "changed_role, sections) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
      patientId, record.version, toMillis(now), actor.id, std::string(toString(actor.role)),
      joined(changed));
  const auto row = c.lastInsertRowid();
  c.execute(
      "UPDATE patient_record_versions SET administrative_enc = ?2, clinical_enc = ?3 "
      "WHERE id = ?1",
      row, toBlob(cipher_.encrypt(ref("administrative", row), administrativeDocument(record))),
      toBlob(cipher_.encrypt(ref("clinical", row), clinicalDocument(record))));
  record.updatedAt = fromMillis(toMillis(now));
  record.updatedBy = actor.id;
  return record;
}

PatientRecord PatientRecordService::update(const Actor& actor, std::int64_t patientId,
                                           const RecordUpdate& raw,
                                           std::string_view breakGlassReason) {
  const auto update = normalized(raw);
  if (update.empty()) throw ValidationError("record: give at least one section to change");
  validate(update, clock_.now());
  const auto reason = db_.read([&](Connection& c) {
    return security::AccessGuard::breakGlassReasonIn(c, actor, patientId, breakGlassReason,
                                                     clock_.now());
  });
  security::AccessGuard guard(db_, audit_);
  const security::AuditObject object{"patient_record", std::to_string(patientId)};
  // The clinical sections need their own permission. A refusal is decided before the write and
  // its denial made durable (AccessGuard::enforce), so nothing of the update is kept; an allowed
  // access is audited again inside the write, in the transaction of the change.
  const auto& clinicalOp = security::operation("patient_record.update_clinical");
  if (update.touchesClinical()) {
    auto decision = db_.read([&](Connection& c) {
      return security::AccessGuard::decideIn(c, actor, clinicalOp, patientId, reason);
    });
    if (!decision.allowed)
      guard.enforce(
          security::AccessGuard::pending(actor, clinicalOp, patientId, object, decision, reason));
  }
  auto record = guard.write(
      actor, security::operation("patient_record.update"), patientId, object,
      [&](Connection& c) {
        if (update.touchesClinical() &&
            !guard.checkIn(c, actor, clinicalOp, patientId, object, reason).allowed)
          throw AccessDenied("access denied: patient_record.update_clinical");
        return updateIn(c, actor, patientId, update);
      },
      reason);
  if (!security::roleHas(actor.role, security::Permission::recordClinicalRead)) {
    record.clinicalIncluded = false;
    record.problems.clear();
    record.medications.clear();
    record.allergies.clear();
  }
  return record;
}

std::vector<RecordChange> PatientRecordService::history(const Actor& actor, std::int64_t patientId,
                                                        std::string_view breakGlassReason) {
  const auto reason = db_.read([&](Connection& c) {
    return security::AccessGuard::breakGlassReasonIn(c, actor, patientId, breakGlassReason,
                                                     clock_.now());
  });
  security::AccessGuard guard(db_, audit_);
  return guard.read(
      actor, security::operation("patient_record.history"), patientId,
      {"patient_record", std::to_string(patientId)},
      [&](Connection& c) {
        if (!patients_.getIn(c, patientId)) throw NotFound("patient: no such patient");
        auto s = c.prepare(
            "SELECT version, changed_at, changed_by, changed_role, sections FROM "
            "patient_record_versions WHERE patient_id = ?1 ORDER BY version DESC");
        s.bind(1, patientId);
        std::vector<RecordChange> out;
        while (s.step()) {
          RecordChange ch;
          ch.version = s.get<int>(0);
          ch.changedAt = fromMillis(s.get<std::int64_t>(1));
          ch.changedBy = s.get<std::int64_t>(2);
          ch.changedByRole = s.get<std::string>(3);
          ch.sections = splitSections(s.get<std::string>(4));
          out.push_back(std::move(ch));
        }
        return out;
      },
      reason);
}

}  // namespace vigil::patients
