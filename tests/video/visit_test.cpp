#define BOOST_TEST_MODULE video
#include "vigil/video/visit.hpp"

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>

#include "security_fixture.hpp"
#include "vigil/patients/consent.hpp"
#include "vigil/registry/registry.hpp"
#include "vigil/security/access_guard.hpp"
#include "vigil/video/recording.hpp"

using namespace std::chrono_literals;
using vigil::AccessDenied;
using vigil::ValidationError;
using vigil::security::Actor;
using vigil::security::Role;
using vigil::video::JoinStatus;
using vigil::video::NewVisit;
using vigil::video::ParticipantRole;
using vigil::video::VisitService;
using vigil::video::VisitState;

namespace vigil::video {
// Printable enums for Boost.Test messages.
inline std::ostream& operator<<(std::ostream& os, VisitState s) {
  return os << toString(s);
}
inline std::ostream& operator<<(std::ostream& os, ParticipantRole r) {
  return os << toString(r);
}
inline std::ostream& operator<<(std::ostream& os, JoinStatus s) {
  return os << toString(s);
}
}  // namespace vigil::video
namespace vigil::security {
inline std::ostream& operator<<(std::ostream& os, AuditOutcome o) {
  return os << toString(o);
}
}  // namespace vigil::security

namespace {

/// A store with a provider on the patient's care team, the patient's record and user (who has
/// signed the clinic's telehealth consent through the consent service: no video visit without
/// it), a stranger patient and an unrelated provider; one visit scheduled an hour from the
/// clock's start.
struct VisitFixture : vigil::security::test::SecurityFixture {
  vigil::registry::PatientRepository records{*db, keys->cipher(), keys->blindIndex(), clock};
  vigil::patients::ConsentService consents{*db, *audit, keys->cipher(), records, clock};
  std::int64_t patientId =
      records.create({0, "MRN-V1", "Vera", "Visit", "1970-01-01", "UTC", "", {}, true});
  vigil::patients::ConsentDocument telehealth;
  Actor provider{0, Role::provider, std::nullopt};
  Actor patient{0, Role::patient, patientId};
  Actor stranger{0, Role::patient, 777};
  Actor otherProvider{0, Role::provider, std::nullopt};
  Actor caregiver{0, Role::patient, 888};
  VisitService visits{*db, *audit, clock, {}, &keys->cipher()};
  std::int64_t visitId = 0;
  vigil::TimePoint start = clock.now() + 1h;

  VisitFixture() {
    provider.id = user(Role::provider, "dr@clinic.example", "provider passphrase 2026");
    patient.id = user(Role::patient, "pat@home.example", "patient passphrase 2026", patientId);
    stranger.id = user(Role::patient, "other@home.example", "stranger passphrase 2026", 777);
    otherProvider.id = user(Role::provider, "dr2@clinic.example", "provider2 passphrase 2026");
    caregiver.id = user(Role::patient, "care@home.example", "caregiver passphrase 2026", 888);
    db->writeSync([&](vigil::store::Connection& c) {
      vigil::security::SqliteCareTeam::assignIn(c, provider.id, patientId, admin.id, clock.now());
    });
    visitId = visits.schedule(provider, newVisit());
    telehealth =
        consents.publish(admin, {vigil::patients::ConsentKind::telehealth, "Telehealth consent",
                                 "I agree to care by video.", false});
    signTelehealth();
  }

  void signTelehealth() {
    consents.sign(patient, patientId,
                  {telehealth.id, telehealth.sha256, "Vera Visit", true, "192.0.2.7"});
  }

  NewVisit newVisit() const {
    NewVisit v;
    v.patientId = patientId;
    v.providerUserId = provider.id;
    v.patientUserId = patient.id;
    v.startsAt = start;
    v.endsAt = start + 30min;
    return v;
  }

  void atStart() { clock.set(start); }
  /// The visit running, the patient admitted, one chat message and one document shared by her.
  vigil::video::VisitDocument startVisitWithChatAndDocument() {
    atStart();
    visits.join(provider, visitId);
    visits.join(patient, visitId);
    visits.admit(provider, visitId, patient.id);
    visits.postMessage(patient, visitId, "my ankles are swollen");
    return visits.shareDocument(patient, visitId, "labs.pdf", "%PDF-1.4\nlabs\n%%EOF");
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(VisitServiceTest, VisitFixture)

BOOST_AUTO_TEST_CASE(schedule_stores_provider_and_patient_as_participants) {
  auto v = visits.get(provider, visitId);
  BOOST_TEST(v.state == VisitState::scheduled);
  BOOST_TEST(v.participants.size() == 2u);
  BOOST_TEST(v.participant(provider.id)->role == ParticipantRole::provider);
  BOOST_TEST(v.participant(patient.id)->role == ParticipantRole::patient);
  auto e = lastAudit("visit.schedule");
  BOOST_REQUIRE(e);
  BOOST_TEST(e->event.actorId == provider.id);
}

BOOST_AUTO_TEST_CASE(schedule_finds_the_patients_account_when_not_named) {
  auto nv = newVisit();
  nv.patientUserId = 0;
  auto id = visits.schedule(provider, nv);
  BOOST_TEST(visits.find(id)->participant(patient.id) != nullptr);
  nv.patientId = 999;  // no account
  BOOST_CHECK_THROW(visits.schedule(admin, nv), ValidationError);
}

BOOST_AUTO_TEST_CASE(schedule_refuses_provider_outside_care_team) {
  auto nv = newVisit();
  nv.providerUserId = otherProvider.id;
  BOOST_CHECK_THROW(visits.schedule(otherProvider, nv), AccessDenied);
}

BOOST_AUTO_TEST_CASE(a_visits_provider_must_be_on_the_care_team_or_hold_emergency_access) {
  // The admin may schedule, but naming a provider outside the patient's care team would open
  // the patient's visit (chat, documents, recordings) to them.
  auto nv = newVisit();
  nv.providerUserId = otherProvider.id;
  try {
    visits.schedule(admin, nv);
    BOOST_FAIL("a provider outside the care team was named");
  } catch (const ValidationError& e) {
    BOOST_TEST(std::string(e.what()).find("care team") != std::string::npos, e.what());
  }
  // With emergency access (a break-glass entry for this patient, within its window): allowed.
  auto grant = vigil::security::auditEventFor(
      otherProvider, "patient.emergency_access", "patient", std::to_string(patientId), patientId,
      vigil::security::AuditOutcome::success, "break_glass");
  grant.breakGlass = true;
  audit->record(*db, grant);
  auto id = visits.schedule(admin, nv);
  BOOST_TEST(visits.find(id)->participant(otherProvider.id) != nullptr);
  // Once the window is over, no longer.
  clock.advance(24h);
  nv.startsAt = clock.now() + 1h;
  nv.endsAt = nv.startsAt + 30min;
  BOOST_CHECK_THROW(visits.schedule(admin, nv), ValidationError);
}

BOOST_AUTO_TEST_CASE(schedule_refuses_a_patient_user_of_another_patient) {
  auto nv = newVisit();
  nv.patientUserId = stranger.id;
  BOOST_CHECK_THROW(visits.schedule(provider, nv), ValidationError);
}

BOOST_AUTO_TEST_CASE(provider_join_opens_the_visit_and_is_admitted) {
  atStart();
  BOOST_TEST(visits.join(provider, visitId) == JoinStatus::admitted);
  BOOST_TEST(visits.find(visitId)->state == VisitState::inProgress);
  BOOST_TEST(visits.mayBeInRoom(provider, visitId));
}

BOOST_AUTO_TEST_CASE(patient_waits_until_the_provider_admits) {
  atStart();
  visits.join(provider, visitId);
  BOOST_TEST(visits.join(patient, visitId) == JoinStatus::waiting);
  BOOST_TEST(!visits.mayBeInRoom(patient, visitId));
  BOOST_TEST(visits.find(visitId)->participant(patient.id)->waitingSince.has_value());
  visits.admit(provider, visitId, patient.id);
  BOOST_TEST(visits.mayBeInRoom(patient, visitId));
  auto e = lastAudit("visit.admit");
  BOOST_REQUIRE(e);
  BOOST_TEST(e->event.objectId == std::to_string(visitId) + "/" + std::to_string(patient.id));
  BOOST_TEST(e->event.patientId.value_or(0) == patientId);
}

BOOST_AUTO_TEST_CASE(admitted_patient_who_drops_rejoins_without_waiting) {
  atStart();
  visits.join(provider, visitId);
  visits.join(patient, visitId);
  visits.admit(provider, visitId, patient.id);
  visits.leave(patient, visitId);
  BOOST_TEST(lastAudit("visit.leave").has_value());
  BOOST_TEST(visits.join(patient, visitId) == JoinStatus::admitted);
}

BOOST_AUTO_TEST_CASE(non_participant_is_refused_and_the_refusal_audited) {
  atStart();
  visits.join(provider, visitId);
  BOOST_CHECK_THROW(visits.join(stranger, visitId), AccessDenied);
  auto e = lastAudit("visit.join");
  BOOST_REQUIRE(e);
  BOOST_TEST(e->event.actorId == stranger.id);
  BOOST_TEST(e->event.outcome == vigil::security::AuditOutcome::denied);
  BOOST_TEST(e->event.reason == "not_participant");
  BOOST_CHECK_THROW(visits.get(stranger, visitId), AccessDenied);
}

BOOST_AUTO_TEST_CASE(the_patient_joins_only_with_an_active_telehealth_consent) {
  atStart();
  visits.join(provider, visitId);
  consents.withdraw(patient, patientId, vigil::patients::ConsentKind::telehealth);
  try {
    visits.join(patient, visitId);
    BOOST_FAIL("a patient without telehealth consent joined");
  } catch (const AccessDenied& e) {
    BOOST_TEST(std::string(e.what()).find("consent_required") != std::string::npos);
  }
  auto e = lastAudit("visit.join");
  BOOST_REQUIRE(e);
  BOOST_TEST(e->event.outcome == vigil::security::AuditOutcome::denied);
  BOOST_TEST(e->event.reason == "consent_required");
  BOOST_TEST(!visits.find(visitId)->participant(patient.id)->waitingSince.has_value());
  // A new version that requires re-signing sets the old signature aside too.
  signTelehealth();
  BOOST_TEST(visits.join(patient, visitId) == JoinStatus::waiting);
  visits.leave(patient, visitId);
  telehealth = consents.publish(admin, {vigil::patients::ConsentKind::telehealth,
                                        "Telehealth consent", "Version 2: re-sign.", true});
  BOOST_CHECK_THROW(visits.join(patient, visitId), AccessDenied);
  signTelehealth();
  BOOST_TEST(visits.join(patient, visitId) == JoinStatus::waiting);
}

BOOST_AUTO_TEST_CASE(a_caregiver_needs_no_consent_of_the_patient_s_own) {
  atStart();
  visits.join(provider, visitId);
  visits.invite(provider, visitId, caregiver.id, ParticipantRole::caregiver);
  consents.withdraw(patient, patientId, vigil::patients::ConsentKind::telehealth);
  BOOST_TEST(visits.join(caregiver, visitId) == JoinStatus::waiting);
}

BOOST_AUTO_TEST_CASE(admin_cannot_join_a_visit) {
  atStart();
  BOOST_CHECK_THROW(visits.join(admin, visitId), AccessDenied);
  BOOST_TEST(lastAudit("visit.join")->event.reason == "role");
}

BOOST_AUTO_TEST_CASE(join_is_refused_before_the_window_opens) {
  clock.set(start - 16min);
  BOOST_CHECK_THROW(visits.join(provider, visitId), AccessDenied);
  BOOST_TEST(lastAudit("visit.join")->event.reason == "too_early");
  clock.set(start - 15min);
  BOOST_TEST(visits.join(provider, visitId) == JoinStatus::admitted);
}

BOOST_AUTO_TEST_CASE(join_is_refused_after_the_window_closes) {
  clock.set(start + 30min + 31min);
  BOOST_CHECK_THROW(visits.join(provider, visitId), AccessDenied);
  BOOST_TEST(lastAudit("visit.join")->event.reason == "too_late");
}

BOOST_AUTO_TEST_CASE(only_the_visit_provider_admits) {
  atStart();
  visits.join(provider, visitId);
  visits.join(patient, visitId);
  BOOST_CHECK_THROW(visits.admit(otherProvider, visitId, patient.id), AccessDenied);
  BOOST_CHECK_THROW(visits.admit(patient, visitId, patient.id), AccessDenied);
  BOOST_TEST(!visits.mayBeInRoom(patient, visitId));
}

BOOST_AUTO_TEST_CASE(nobody_joins_an_ended_visit) {
  atStart();
  visits.join(provider, visitId);
  visits.join(patient, visitId);
  visits.admit(provider, visitId, patient.id);
  BOOST_CHECK_THROW(visits.end(patient, visitId), AccessDenied);
  visits.end(provider, visitId);
  BOOST_TEST(lastAudit("visit.end")->event.outcome == vigil::security::AuditOutcome::success);
  BOOST_TEST(!visits.mayBeInRoom(patient, visitId));
  BOOST_CHECK_THROW(visits.join(patient, visitId), AccessDenied);
  BOOST_TEST(lastAudit("visit.join")->event.reason == "visit_ended");
}

BOOST_AUTO_TEST_CASE(invited_caregiver_joins_after_being_admitted) {
  atStart();
  BOOST_CHECK_THROW(visits.join(caregiver, visitId), AccessDenied);
  BOOST_CHECK_THROW(visits.invite(patient, visitId, caregiver.id, ParticipantRole::caregiver),
                    AccessDenied);
  visits.invite(provider, visitId, caregiver.id, ParticipantRole::caregiver);
  visits.join(provider, visitId);
  BOOST_TEST(visits.join(caregiver, visitId) == JoinStatus::waiting);
  visits.admit(provider, visitId, caregiver.id);
  BOOST_TEST(visits.mayBeInRoom(caregiver, visitId));
  BOOST_TEST(visits.get(caregiver, visitId).participant(caregiver.id)->role ==
             ParticipantRole::caregiver);
}

BOOST_AUTO_TEST_CASE(chat_is_stored_encrypted_and_read_by_participants) {
  atStart();
  visits.join(provider, visitId);
  visits.join(patient, visitId);
  visits.admit(provider, visitId, patient.id);
  BOOST_TEST(visits.messages(patient, visitId).empty());
  auto m = visits.postMessage(patient, visitId, "my blood pressure was 150 this morning");
  BOOST_TEST(lastAudit("visit.message")->event.objectId == std::to_string(m.id));
  auto raw = db->read([&](vigil::store::Connection& c) {
    return c.queryValue<vigil::store::Blob>("SELECT text_enc FROM visit_messages WHERE id = ?1",
                                            m.id);
  });
  BOOST_REQUIRE(raw);
  const std::string stored(raw->begin(), raw->end());
  BOOST_TEST(stored.find("blood pressure") == std::string::npos);
  auto list = visits.messages(provider, visitId);
  BOOST_REQUIRE(list.size() == 1u);
  BOOST_TEST(list[0].text == "my blood pressure was 150 this morning");
  BOOST_TEST(list[0].senderUserId == patient.id);
  BOOST_TEST(lastAudit("visit.messages_read")->event.actorId == provider.id);
}

BOOST_AUTO_TEST_CASE(chat_is_refused_outside_the_room) {
  atStart();
  visits.join(provider, visitId);
  visits.join(patient, visitId);  // waiting, not admitted
  BOOST_CHECK_THROW(visits.postMessage(patient, visitId, "hello?"), AccessDenied);
  BOOST_TEST(lastAudit("visit.message")->event.reason == "not_in_room");
  BOOST_CHECK_THROW(visits.postMessage(stranger, visitId, "hi"), AccessDenied);
  BOOST_CHECK_THROW(visits.messages(stranger, visitId), AccessDenied);
  BOOST_CHECK_THROW(visits.postMessage(provider, visitId, ""), ValidationError);
  visits.end(provider, visitId);
  BOOST_CHECK_THROW(visits.postMessage(provider, visitId, "after the end"), AccessDenied);
}

BOOST_AUTO_TEST_CASE(chat_and_documents_are_read_in_the_room_then_only_by_provider_and_patient) {
  // Expected by hand from the issue: while the visit runs, only admitted participants; before
  // and after it, only the visit's provider and patient; an invited interpreter never outside
  // the room.
  Actor interpreter{0, Role::nurse, std::nullopt};
  interpreter.id = user(Role::nurse, "interp@clinic.example", "interpreter passphrase 2026");
  visits.invite(provider, visitId, interpreter.id, ParticipantRole::interpreter);
  // Before the visit: provider and patient read (nothing yet), the interpreter does not.
  BOOST_TEST(visits.messages(provider, visitId).empty());
  BOOST_TEST(visits.messages(patient, visitId).empty());
  BOOST_CHECK_THROW(visits.messages(interpreter, visitId), AccessDenied);
  BOOST_TEST(lastAudit("visit.messages_read")->event.reason == "visit_not_running");
  const auto d = startVisitWithChatAndDocument();
  // Invited and waiting: nothing.
  visits.join(interpreter, visitId);
  BOOST_CHECK_THROW(visits.messages(interpreter, visitId), AccessDenied);
  BOOST_TEST(lastAudit("visit.messages_read")->event.reason == "not_in_room");
  BOOST_CHECK_THROW(visits.documents(interpreter, visitId), AccessDenied);
  BOOST_CHECK_THROW(visits.document(interpreter, visitId, d.id), AccessDenied);
  // Admitted: the room's chat and documents.
  visits.admit(provider, visitId, interpreter.id);
  BOOST_TEST(visits.messages(interpreter, visitId).size() == 1u);
  BOOST_TEST(visits.document(interpreter, visitId, d.id).fileName == "labs.pdf");
  // Over: the provider and the patient keep it in their record; the interpreter does not.
  visits.end(provider, visitId);
  BOOST_TEST(visits.messages(provider, visitId).size() == 1u);
  BOOST_TEST(visits.messages(patient, visitId).size() == 1u);
  BOOST_TEST(visits.documents(patient, visitId).size() == 1u);
  BOOST_CHECK_THROW(visits.messages(interpreter, visitId), AccessDenied);
  BOOST_CHECK_THROW(visits.documents(interpreter, visitId), AccessDenied);
  BOOST_CHECK_THROW(visits.document(interpreter, visitId, d.id), AccessDenied);
  BOOST_TEST(lastAudit("visit.document_get")->event.reason == "visit_not_running");
}

BOOST_AUTO_TEST_CASE(an_admin_reads_a_past_visits_chat_only_by_audited_request) {
  // Expected by hand from the issue: afterwards, the visit's provider and patient read it
  // through their records, and admins by audited request (with a reason); nobody else.
  const auto d = startVisitWithChatAndDocument();
  // While the visit runs, an admin neither asks nor reads.
  BOOST_CHECK_THROW(visits.requestRecordAccess(admin, visitId, "complaint 2026-118"), AccessDenied);
  BOOST_TEST(lastAudit("visit.record_access")->event.reason == "visit_running");
  BOOST_CHECK_THROW(visits.messages(admin, visitId), AccessDenied);
  BOOST_TEST(lastAudit("visit.messages_read")->event.reason == "visit_running");
  visits.end(provider, visitId);
  // Over, but not asked for: refused and audited.
  BOOST_CHECK_THROW(visits.messages(admin, visitId), AccessDenied);
  BOOST_TEST(lastAudit("visit.messages_read")->event.reason == "no_request");
  BOOST_CHECK_THROW(visits.document(admin, visitId, d.id), AccessDenied);
  // A request needs a reason, and only admins may ask (a provider of another team, the visit's
  // own provider and the patient read through their records or not at all).
  BOOST_CHECK_THROW(visits.requestRecordAccess(admin, visitId, "  "), ValidationError);
  for (const auto& who : {otherProvider, provider, patient}) {
    BOOST_CHECK_THROW(visits.requestRecordAccess(who, visitId, "curious"), AccessDenied);
    BOOST_TEST(lastAudit("visit.record_access")->event.reason == "not_admin");
  }
  BOOST_CHECK_THROW(visits.messages(otherProvider, visitId), AccessDenied);
  // Asked, with the reason: read for 30 minutes, every read audited as the admin's request.
  const auto until = visits.requestRecordAccess(admin, visitId, "complaint 2026-118 review");
  BOOST_TEST((until == clock.now() + vigil::security::kEmergencyAccessWindow));
  const auto request = lastAudit("visit.record_access");
  BOOST_REQUIRE(request);
  BOOST_TEST(request->event.outcome == vigil::security::AuditOutcome::success);
  BOOST_TEST(request->event.patientId.value_or(0) == patientId);
  // The reason is kept encrypted with the entry, never in the chain's own fields.
  BOOST_TEST(request->event.reason == "admin_request");
  BOOST_TEST(db->read([&](vigil::store::Connection& c) {
                 return audit->justificationIn(c, request->seq);
               }).value_or("") == "complaint 2026-118 review");
  const auto chat = visits.messages(admin, visitId);
  BOOST_REQUIRE(chat.size() == 1u);
  BOOST_TEST(chat[0].text == "my ankles are swollen");
  BOOST_TEST(lastAudit("visit.messages_read")->event.reason == "admin_request");
  BOOST_TEST(lastAudit("visit.messages_read")->event.actorId == admin.id);
  BOOST_TEST(visits.documents(admin, visitId).size() == 1u);
  BOOST_TEST(visits.document(admin, visitId, d.id).content == "%PDF-1.4\nlabs\n%%EOF");
  BOOST_TEST(lastAudit("visit.document_get")->event.reason == "admin_request");
  // The grant is for this visit only, and it runs out.
  auto nv = newVisit();
  nv.startsAt = clock.now() + 2h;
  nv.endsAt = nv.startsAt + 30min;
  const auto otherVisit = visits.schedule(provider, nv);
  BOOST_CHECK_THROW(visits.messages(admin, otherVisit), AccessDenied);
  clock.advance(vigil::security::kEmergencyAccessWindow + 1s);
  BOOST_CHECK_THROW(visits.messages(admin, visitId), AccessDenied);
  BOOST_TEST(lastAudit("visit.messages_read")->event.reason == "no_request");
}

BOOST_AUTO_TEST_CASE(every_read_of_a_visit_is_audited) {
  const auto before = [&](const std::string& outcome) {
    return db->read([&](vigil::store::Connection& c) {
      return c
          .queryValue<std::int64_t>(
              "SELECT count(*) FROM audit_log WHERE action = 'visit.get' AND outcome = ?1", outcome)
          .value_or(0);
    });
  };
  BOOST_TEST(before("success") == 0);
  visits.get(provider, visitId);
  visits.get(patient, visitId);
  BOOST_CHECK_THROW(visits.get(stranger, visitId), AccessDenied);
  BOOST_CHECK_THROW(visits.get(admin, visitId), AccessDenied);
  BOOST_TEST(before("success") == 2);
  BOOST_TEST(before("denied") == 2);
  const auto e = lastAudit("visit.get");
  BOOST_REQUIRE(e);
  BOOST_TEST(e->event.actorId == admin.id);
  BOOST_TEST(e->event.reason == "not_participant");
  BOOST_TEST(e->event.patientId.value_or(0) == patientId);
}

BOOST_AUTO_TEST_CASE(document_type_comes_from_the_magic_bytes) {
  BOOST_TEST(vigil::video::documentMediaType("%PDF-1.7\n...").value_or("") == "application/pdf");
  BOOST_TEST(
      vigil::video::documentMediaType(std::string("\x89PNG\r\n\x1a\n\0\0", 10)).value_or("") ==
      "image/png");
  BOOST_TEST(vigil::video::documentMediaType("\xFF\xD8\xFF\xE0JFIF").value_or("") == "image/jpeg");
  BOOST_TEST(!vigil::video::documentMediaType("<html><script>").has_value());
  BOOST_TEST(!vigil::video::documentMediaType("MZ\x90\x00 (an .exe named x.pdf)").has_value());
}

BOOST_AUTO_TEST_CASE(shared_document_is_encrypted_and_only_for_participants) {
  atStart();
  visits.join(provider, visitId);
  visits.join(patient, visitId);
  visits.admit(provider, visitId, patient.id);
  const std::string pdf = "%PDF-1.4\nlab results of the patient\n%%EOF";
  auto d = visits.shareDocument(patient, visitId, "labs.pdf", pdf);
  BOOST_TEST(d.mediaType == "application/pdf");
  BOOST_TEST(lastAudit("visit.document_share")->event.objectId == std::to_string(d.id));
  auto raw = db->read([&](vigil::store::Connection& c) {
    return c.queryValue<vigil::store::Blob>("SELECT content_enc FROM visit_documents WHERE id = ?1",
                                            d.id);
  });
  BOOST_REQUIRE(raw);
  BOOST_TEST(std::string(raw->begin(), raw->end()).find("lab results") == std::string::npos);
  auto list = visits.documents(provider, visitId);
  BOOST_REQUIRE(list.size() == 1u);
  BOOST_TEST(list[0].fileName == "labs.pdf");
  BOOST_TEST(list[0].content.empty());
  BOOST_TEST(visits.document(provider, visitId, d.id).content == pdf);
  BOOST_CHECK_THROW(visits.document(stranger, visitId, d.id), AccessDenied);
  BOOST_TEST(lastAudit("visit.document_get")->event.outcome ==
             vigil::security::AuditOutcome::denied);
  BOOST_CHECK_THROW(visits.document(provider, visitId, d.id + 100), vigil::NotFound);
}

BOOST_AUTO_TEST_CASE(document_of_another_type_or_too_large_is_refused) {
  atStart();
  visits.join(provider, visitId);
  BOOST_CHECK_THROW(visits.shareDocument(provider, visitId, "x.pdf", "<html>not a pdf</html>"),
                    ValidationError);
  std::string big = "%PDF-" + std::string(vigil::video::kMaxVisitDocumentBytes, 'a');
  BOOST_CHECK_THROW(visits.shareDocument(provider, visitId, "big.pdf", big), ValidationError);
  BOOST_CHECK_THROW(visits.shareDocument(provider, visitId, "../etc/passwd.pdf", "%PDF-1.4"),
                    ValidationError);
  BOOST_CHECK_THROW(visits.shareDocument(stranger, visitId, "a.pdf", "%PDF-1.4"), AccessDenied);
}

BOOST_AUTO_TEST_CASE(quality_samples_are_kept_with_the_visit) {
  visits.recordQuality(visitId, patient.id, 20.0, 3.0, 0.5, 800.0);
  visits.recordQuality(visitId, patient.id, -1.0, 5.0, 1.5, 600.0);  // rtt not known yet
  visits.recordQuality(visitId, provider.id, 10.0, 1.0, 0.0, 900.0);
  db->writeSync([](vigil::store::Connection&) {});  // the queued samples are committed
  auto q = visits.quality(visitId);
  BOOST_REQUIRE(q.size() == 2u);
  const auto& p = q[0].userId == patient.id ? q[0] : q[1];
  BOOST_TEST(p.samples == 2);
  BOOST_TEST(p.rttMsAvg.value_or(0) == 20.0);
  BOOST_TEST(p.jitterMsAvg == 4.0);
  BOOST_TEST(p.lossPctMax == 1.5);
  BOOST_TEST(p.kbpsAvg == 700.0);
}

BOOST_AUTO_TEST_CASE(recording_is_refused_until_every_participant_consents) {
  atStart();
  visits.join(provider, visitId);
  BOOST_CHECK_THROW(visits.requireRecordingAllowed(provider, visitId), AccessDenied);
  BOOST_TEST(lastAudit("visit.record")->event.reason == "consent_missing");
  visits.setRecordingConsent(provider, visitId, true);
  BOOST_CHECK_THROW(visits.requireRecordingAllowed(provider, visitId), AccessDenied);
  visits.setRecordingConsent(patient, visitId, true);
  BOOST_TEST(lastAudit("visit.recording_consent")->event.reason == "given");
  BOOST_CHECK_THROW(visits.requireRecordingAllowed(patient, visitId), AccessDenied);
  BOOST_CHECK_NO_THROW(visits.requireRecordingAllowed(provider, visitId));
  BOOST_TEST(lastAudit("visit.record")->event.outcome == vigil::security::AuditOutcome::success);
  // An invited caregiver must consent too; a withdrawal stops it again.
  visits.invite(provider, visitId, caregiver.id, ParticipantRole::caregiver);
  BOOST_CHECK_THROW(visits.requireRecordingAllowed(provider, visitId), AccessDenied);
  visits.setRecordingConsent(caregiver, visitId, true);
  BOOST_CHECK_NO_THROW(visits.requireRecordingAllowed(provider, visitId));
  visits.setRecordingConsent(patient, visitId, false);
  BOOST_TEST(lastAudit("visit.recording_consent")->event.reason == "withdrawn");
  BOOST_CHECK_THROW(visits.requireRecordingAllowed(provider, visitId), AccessDenied);
  BOOST_CHECK_THROW(visits.setRecordingConsent(stranger, visitId, true), AccessDenied);
}

BOOST_AUTO_TEST_CASE(recordings_past_retention_are_purged) {
  auto d = dir / "recordings";
  std::filesystem::create_directories(d);
  std::ofstream(d / "old.rec") << "x";
  std::ofstream(d / "new.rec") << "y";
  std::ofstream(d / "notes.txt") << "z";
  const auto now = std::filesystem::file_time_type::clock::now();
  std::filesystem::last_write_time(d / "old.rec", now - std::chrono::hours(24 * 40));
  BOOST_TEST(vigil::video::purgeRecordings(d, now - std::chrono::hours(24 * 30)) == 1);
  BOOST_TEST(!std::filesystem::exists(d / "old.rec"));
  BOOST_TEST(std::filesystem::exists(d / "new.rec"));
  BOOST_TEST(std::filesystem::exists(d / "notes.txt"));
}

BOOST_AUTO_TEST_CASE(audit_chain_verifies_after_a_visit) {
  atStart();
  visits.join(provider, visitId);
  visits.join(patient, visitId);
  visits.admit(provider, visitId, patient.id);
  visits.leave(patient, visitId);
  visits.end(provider, visitId);
  BOOST_TEST(audit->verify(*db).ok);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(VideoSchema)

// SQLite only: a PostgreSQL store starts at the schema of 0043 (its baseline), never older.
BOOST_AUTO_TEST_CASE(a_store_at_0006_video_upgrades_to_the_visit_data_schema,
                     *boost::unit_test::precondition([](boost::unit_test::test_unit_id) {
                       return !vigil::testsupport::testingOnPostgres();
                     })) {
  // 0006_video was merged before the chat, documents, quality and consent existed: a store
  // created then must upgrade in place, its visits kept.
  vigil::store::test::TempDir dir;
  const auto& all = vigil::store::productMigrations();
  vigil::store::MigrationList upTo6(all.begin(), all.begin() + 6);
  BOOST_REQUIRE(upTo6.back().name == "video");
  {
    vigil::store::Options o;
    o.path = dir / "v.db";
    o.migrations = upTo6;
    auto db = vigil::store::Database::open(o);
    db->writeSync([](vigil::store::Connection& c) {
      c.exec(
          "INSERT INTO users (id, role, email_bidx, email_enc, password_hash, "
          "password_changed_at, created_at) VALUES (1, 'provider', x'01', x'01', 'h', 0, 0);"
          "INSERT INTO visits (id, patient_id, provider_user_id, starts_at, ends_at, created_by, "
          "created_at) VALUES (7, 5, 1, 0, 1000, 1, 0);"
          "INSERT INTO visit_participants (visit_id, user_id, role, invited_at) "
          "VALUES (7, 1, 'provider', 0);");
    });
  }
  vigil::store::Options o;
  o.path = dir / "v.db";
  auto db = vigil::store::Database::open(o);
  BOOST_TEST(db->schemaVersion() >= 7);
  auto consent = db->read([](vigil::store::Connection& c) {
    return c.queryValue<std::int64_t>(
        "SELECT count(*) FROM visit_participants WHERE visit_id = 7 AND "
        "recording_consent_at IS NULL");
  });
  BOOST_TEST(consent.value_or(0) == 1);
  auto tables = db->read([](vigil::store::Connection& c) {
    return c.queryValue<std::int64_t>(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN "
        "('visit_messages', 'visit_documents', 'visit_quality')");
  });
  BOOST_TEST(tables.value_or(0) == 3);
}

BOOST_AUTO_TEST_SUITE_END()
