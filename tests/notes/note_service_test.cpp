#define BOOST_TEST_MODULE notes
// NoteService (issue 23): who may do what (the table below is written by hand from the issue
// and docs/notes.md, not read from the policy), drafts and their versions, the lock in the
// service and in SQL, co-signing, addenda, the patient's visit summary, templates and the
// referral letter.

#include <boost/test/unit_test.hpp>
#include <functional>
#include <map>

#include "note_fixture.hpp"
#include "vigil/security/keys.hpp"
#include "vigil/video/visit.hpp"

using namespace vigil;
using namespace vigil::notes;
using namespace vigil::notes::test;

namespace {

// Who calls: a provider and a nurse on patient A's care team, a provider outside it (without
// and with an emergency-access reason), patient A themself, patient B, an admin, the front desk.
enum Who { careProvider, careNurse, stranger, strangerGlass, ownPatient, otherPt, adminW, desk };
constexpr int kWho = 8;

// By hand, from the issue and docs/notes.md. A = allowed, D = refused as an access (403),
// S = refused for the note's state or the caller's role in the workflow (409), not an access
// question. Every call is about patient A. Drafts are written by the caller when the caller is
// a clinician (so the author rule is not what is tested here; see only_the_author_edits).
// clang-format off
const std::map<std::string, std::string> kWhoMay = {
    //                                   cp cn sp sG pa pb ad fd
    {"templates",                       "A  A  A  A  D  D  A  D"},
    {"publish template",                "D  D  D  D  D  D  A  D"},
    {"list notes",                      "A  A  D  A  D  D  D  D"},
    {"get note",                        "A  A  D  A  D  D  D  D"},
    {"create note",                     "A  A  D  A  D  D  D  D"},
    {"update own draft",                "A  A  D  A  D  D  D  D"},
    {"history",                         "A  A  D  A  D  D  D  D"},
    {"sign own draft",                  "A  D  D  A  D  D  D  D"},
    {"submit own draft for co-sign",    "S  A  D  S  D  D  D  D"},
    {"co-sign a nurse's note",          "A  D  D  D  D  D  D  D"},
    {"addendum to a signed note",       "A  A  D  A  D  D  D  D"},
    {"refer from a signed note",        "A  D  D  A  D  D  D  D"},
    {"read a referral letter",          "A  A  D  A  D  D  D  D"},
    {"visit summaries",                 "A  A  D  A  A  D  D  D"},
};
// clang-format on

struct Call {
  Actor actor;
  std::string glass;
};

Call caller(NoteFixture& f, Who w) {
  switch (w) {
    case careProvider:
      return {f.provider, ""};
    case careNurse:
      return {f.nurse, ""};
    case stranger:
      return {f.stranger, ""};
    case strangerGlass:
      return {f.stranger, "patient unresponsive on a call"};
    case ownPatient:
      return {f.patient, ""};
    case otherPt:
      return {f.otherPatient, ""};
    case adminW:
      return {f.admin, ""};
    case desk:
      return {f.frontDesk, ""};
  }
  return {f.admin, ""};
}

bool clinician(const Actor& a) {
  return a.role == Role::provider || a.role == Role::nurse;
}

/// A draft the caller wrote when a clinician (by emergency access when outside the team),
/// else the care provider's.
Note draftFor(NoteFixture& f, const Actor& a) {
  if (clinician(a)) return f.written(a, f.patientA, kSoap, "setting up the test");
  return f.written(f.provider, f.patientA, kSoap);
}

using Action = std::function<void(NoteFixture&, const Call&)>;

const std::map<std::string, Action>& actions() {
  static const std::map<std::string, Action> a = {
      {"templates", [](NoteFixture& f, const Call& c) { f.notes.templates(c.actor); }},
      {"publish template",
       [](NoteFixture& f, const Call& c) {
         f.notes.publishTemplate(c.actor, "general", "General SOAP note", {"S?", "O?", "A?", "P?"});
       }},
      {"list notes",
       [](NoteFixture& f, const Call& c) { f.notes.list(c.actor, f.patientA, c.glass); }},
      {"get note",
       [](NoteFixture& f, const Call& c) {
         auto n = f.signedNote(kSoap);
         f.notes.get(c.actor, f.patientA, n.id, c.glass);
       }},
      {"create note",
       [](NoteFixture& f, const Call& c) {
         f.notes.create(c.actor, f.patientA, {EncounterKind::rpm_review, "2026-11"}, f.rpmTemplate,
                        c.glass);
       }},
      {"update own draft",
       [](NoteFixture& f, const Call& c) {
         auto n = draftFor(f, c.actor);
         f.notes.update(c.actor, f.patientA, n.id, n.version, {"changed", "", "", ""}, c.glass);
       }},
      {"history",
       [](NoteFixture& f, const Call& c) {
         auto n = f.written(f.provider, f.patientA, kSoap);
         f.notes.history(c.actor, f.patientA, n.id, c.glass);
       }},
      {"sign own draft",
       [](NoteFixture& f, const Call& c) {
         auto n = draftFor(f, c.actor);
         f.notes.sign(c.actor, f.patientA, n.id, n.version, c.glass);
       }},
      {"submit own draft for co-sign",
       [](NoteFixture& f, const Call& c) {
         auto n = draftFor(f, c.actor);
         f.notes.submit(c.actor, f.patientA, n.id, n.version, c.glass);
       }},
      {"co-sign a nurse's note",
       [](NoteFixture& f, const Call& c) {
         auto n = f.written(f.nurse, f.patientA, kSoap);
         f.notes.submit(f.nurse, f.patientA, n.id, n.version);
         f.notes.cosign(c.actor, f.patientA, n.id);
       }},
      {"addendum to a signed note",
       [](NoteFixture& f, const Call& c) {
         auto n = f.signedNote(kSoap);
         f.notes.addAddendum(c.actor, f.patientA, n.id, "Late entry: allergy to sulfa.", c.glass);
       }},
      {"refer from a signed note",
       [](NoteFixture& f, const Call& c) {
         auto n = f.signedNote(kSoap);
         f.notes.refer(c.actor, f.patientA, n.id,
                       {"Dr Rao", "Cardiology", "Fax 555 0100", "Resistant hypertension"}, c.glass);
       }},
      {"read a referral letter",
       [](NoteFixture& f, const Call& c) {
         auto n = f.signedNote(kSoap);
         auto r = f.notes.refer(f.provider, f.patientA, n.id,
                                {"Dr Rao", "Cardiology", "", "Resistant hypertension"});
         f.notes.letter(c.actor, f.patientA, r.id, c.glass);
       }},
      {"visit summaries",
       [](NoteFixture& f, const Call& c) { f.notes.visitSummaries(c.actor, f.patientA, c.glass); }},
  };
  return a;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(NoteService)

BOOST_AUTO_TEST_CASE(every_role_may_do_what_the_table_says) {
  BOOST_REQUIRE_EQUAL(actions().size(), kWhoMay.size());
  for (const auto& [name, row] : kWhoMay) {
    const auto action = actions().find(name);
    BOOST_REQUIRE_MESSAGE(action != actions().end(), name);
    for (int w = 0; w < kWho; ++w) {
      NoteFixture f;
      const char want = row.at(static_cast<std::size_t>(w) * 3);
      const auto call = caller(f, static_cast<Who>(w));
      char got = 'A';
      try {
        action->second(f, call);
      } catch (const AccessDenied&) {
        got = 'D';
      } catch (const NoteStateError&) {
        got = 'S';
      }
      BOOST_CHECK_MESSAGE(got == want,
                          name << " by caller " << w << ": got " << got << ", expected " << want);
    }
  }
}

BOOST_AUTO_TEST_CASE(only_the_author_edits_signs_or_submits_a_draft) {
  NoteFixture f;
  auto n = f.written(f.provider, f.patientA, kSoap);
  BOOST_CHECK_THROW(f.notes.update(f.nurse, f.patientA, n.id, n.version, {"x", "", "", ""}),
                    AccessDenied);
  auto other = f.user(Role::provider, "dr3@clinic.example", "provider3 passphrase 2026");
  f.db->writeSync([&](store::Connection& c) {
    security::SqliteCareTeam::assignIn(c, other, f.patientA, f.admin.id, f.clock.now());
  });
  const Actor colleague{other, Role::provider, std::nullopt};
  BOOST_CHECK_THROW(f.notes.sign(colleague, f.patientA, n.id, n.version), AccessDenied);
  auto nurseNote = f.written(f.nurse, f.patientA, kSoap);
  auto nurse2 = Actor{f.user(Role::nurse, "rn2@clinic.example", "nurse2 passphrase 2026"),
                      Role::nurse, std::nullopt};
  BOOST_CHECK_THROW(f.notes.submit(nurse2, f.patientA, nurseNote.id, nurseNote.version),
                    AccessDenied);
  BOOST_TEST(f.notes.get(f.provider, f.patientA, n.id).soap == kSoap);  // unchanged
}

BOOST_AUTO_TEST_CASE(a_draft_keeps_every_version_and_refuses_a_stale_edit) {
  NoteFixture f;
  auto n =
      f.notes.create(f.provider, f.patientA, {EncounterKind::rpm_review, "2026-11"}, f.rpmTemplate);
  BOOST_TEST(n.version == 1);
  BOOST_TEST(n.state == NoteState::draft);
  BOOST_TEST(n.templateKey == "rpm_review");
  BOOST_TEST(n.templateVersion == 1);
  auto v2 = f.notes.update(f.provider, f.patientA, n.id, 1, {"first", "", "", ""});
  BOOST_TEST(v2.version == 2);
  auto v3 = f.notes.update(f.provider, f.patientA, n.id, 2, {"second", "obj", "", ""});
  BOOST_TEST(v3.version == 3);
  // Another tab still at version 2.
  BOOST_CHECK_THROW(f.notes.update(f.provider, f.patientA, n.id, 2, {"stale", "", "", ""}),
                    NoteConflict);
  BOOST_CHECK_THROW(f.notes.sign(f.provider, f.patientA, n.id, 2), NoteConflict);
  // Saving what is already there makes no version.
  BOOST_TEST(f.notes.update(f.provider, f.patientA, n.id, 3, {"second", "obj", "", ""}).version ==
             3);
  auto history = f.notes.history(f.provider, f.patientA, n.id);
  BOOST_REQUIRE_EQUAL(history.size(), 3u);
  BOOST_TEST(history[0].version == 3);
  BOOST_TEST(history[0].soap.objective == "obj");
  BOOST_TEST(history[1].soap.subjective == "first");
  BOOST_TEST(history[2].soap.subjective.empty());
  BOOST_TEST(history[0].savedBy == f.provider.id);
  // Not this patient's note: not found, whoever asks.
  BOOST_CHECK_THROW(f.notes.get(f.provider, f.patientB, n.id, "looking"), NotFound);
  BOOST_CHECK_THROW(
      f.notes.create(f.provider, f.patientA, {EncounterKind::rpm_review, "2026-13"}, f.rpmTemplate),
      ValidationError);
  BOOST_CHECK_THROW(
      f.notes.create(f.provider, f.patientA, {EncounterKind::video_visit, "x"}, f.rpmTemplate),
      ValidationError);
  BOOST_CHECK_THROW(
      f.notes.create(f.provider, f.patientA, {EncounterKind::phone_call, "2026-11-30"}, 999999),
      ValidationError);
}

BOOST_AUTO_TEST_CASE(a_signed_note_refuses_edits_in_the_service_and_in_sql) {
  NoteFixture f;
  auto n = f.signedNote(kSoap);
  BOOST_TEST(n.state == NoteState::signed_);
  BOOST_TEST(n.signedBy == f.provider.id);
  BOOST_TEST(n.sha256.size() == 64u);
  BOOST_CHECK_THROW(f.notes.update(f.provider, f.patientA, n.id, n.version, {"x", "", "", ""}),
                    NoteStateError);
  BOOST_CHECK_THROW(f.notes.sign(f.provider, f.patientA, n.id, n.version), NoteStateError);
  // The trigger: any UPDATE of content, signature or state of a signed note aborts.
  const std::string id = std::to_string(n.id);
  for (const std::string& sql :
       {"UPDATE notes SET soap_enc = x'00' WHERE id = " + id,
        "UPDATE notes SET soap_enc = NULL WHERE id = " + id,
        "UPDATE notes SET state = 'draft' WHERE id = " + id,
        "UPDATE notes SET signed_by = 1 WHERE id = " + id,
        "UPDATE notes SET content_sha256 = 'x' WHERE id = " + id,
        "UPDATE notes SET cosigned_by = 1 WHERE id = " + id,
        "UPDATE notes SET version = 9 WHERE id = " + id,
        "UPDATE notes SET soap_enc = (SELECT soap_enc FROM note_versions WHERE note_id = " + id +
            " AND version = 1) WHERE id = " + id,
        "DELETE FROM notes WHERE id = " + id}) {
    BOOST_CHECK_THROW(f.db->writeSync([&](store::Connection& c) { c.execute(sql); }),
                      std::exception);
  }
  BOOST_TEST(f.notes.get(f.provider, f.patientA, n.id).soap == kSoap);
  // A draft is still editable in SQL (the trigger guards signed notes only).
  auto d = f.draft(f.provider, f.patientA);
  f.db->writeSync([&](store::Connection& c) {
    c.execute("UPDATE notes SET updated_at = updated_at + 1 WHERE id = ?1", d.id);
  });
  // A key rotation re-seals a signed note under the new key, plaintext unchanged.
  security::rotateDataKey(*f.db, *f.keys, *f.audit, f.admin, f.clock);
  auto result = security::reencryptAll(*f.db, *f.keys, *f.audit, f.admin);
  BOOST_TEST(result.rewritten > 0u);
  auto after = f.notes.get(f.provider, f.patientA, n.id);
  BOOST_TEST(after.soap == kSoap);
  BOOST_TEST(after.sha256 == n.sha256);
}

BOOST_AUTO_TEST_CASE(a_nurse_note_waits_for_a_provider_of_the_care_team) {
  NoteFixture f;
  auto n = f.written(f.nurse, f.patientA, kSoap);
  auto pending = f.notes.submit(f.nurse, f.patientA, n.id, n.version);
  BOOST_TEST(pending.state == NoteState::cosign_pending);
  BOOST_TEST(pending.signedBy == f.nurse.id);
  // Locked for the nurse too.
  BOOST_CHECK_THROW(f.notes.update(f.nurse, f.patientA, n.id, pending.version, {"x", "", "", ""}),
                    NoteStateError);
  // Not yet something the patient sees.
  BOOST_TEST(f.notes.visitSummaries(f.patient, f.patientA).empty());
  // The queue: the care team's provider sees it, a provider outside the team does not.
  auto queue = f.notes.cosignQueue(f.provider);
  BOOST_REQUIRE_EQUAL(queue.size(), 1u);
  BOOST_TEST(queue[0].id == n.id);
  BOOST_TEST(f.notes.cosignQueue(f.stranger).empty());
  BOOST_CHECK_THROW(f.notes.cosignQueue(f.nurse), AccessDenied);
  // A provider outside the care team cannot co-sign, even having opened emergency access.
  BOOST_CHECK_THROW(f.notes.cosign(f.stranger, f.patientA, n.id), AccessDenied);
  BOOST_CHECK_THROW(f.notes.cosign(f.nurse, f.patientA, n.id), AccessDenied);
  auto done = f.notes.cosign(f.provider, f.patientA, n.id);
  BOOST_TEST(done.state == NoteState::signed_);
  BOOST_TEST(done.cosignedBy == f.provider.id);
  BOOST_TEST(done.signedBy == f.nurse.id);
  BOOST_TEST(done.sha256 == pending.sha256);
  BOOST_CHECK_THROW(f.notes.cosign(f.provider, f.patientA, n.id), NoteStateError);
  BOOST_TEST(f.notes.cosignQueue(f.provider).empty());
  BOOST_TEST(f.notes.visitSummaries(f.patient, f.patientA).size() == 1u);
  // A co-signed note stays locked in SQL as well.
  BOOST_CHECK_THROW(f.db->writeSync([&](store::Connection& c) {
    c.execute("UPDATE notes SET cosigned_by = NULL WHERE id = ?1", n.id);
  }),
                    std::exception);
}

BOOST_AUTO_TEST_CASE(addenda_are_signed_by_their_author_and_never_edited) {
  NoteFixture f;
  auto d = f.written(f.provider, f.patientA, kSoap);
  BOOST_CHECK_THROW(f.notes.addAddendum(f.provider, f.patientA, d.id, "too early"), NoteStateError);
  auto n = f.notes.sign(f.provider, f.patientA, d.id, d.version);
  BOOST_CHECK_THROW(f.notes.addAddendum(f.provider, f.patientA, n.id, "  \n"), ValidationError);
  auto a1 = f.notes.addAddendum(f.provider, f.patientA, n.id, "Correction: BP was 150/90.");
  f.clock.advance(std::chrono::minutes(5));
  auto a2 = f.notes.addAddendum(f.nurse, f.patientA, n.id, "Patient called: tolerating it.");
  BOOST_TEST(a1.authorId == f.provider.id);
  BOOST_TEST(a2.authorRole == "nurse");
  BOOST_TEST(a1.sha256.size() == 64u);
  auto read = f.notes.get(f.nurse, f.patientA, n.id);
  BOOST_REQUIRE_EQUAL(read.addenda.size(), 2u);
  BOOST_TEST(read.addenda[0].text == "Correction: BP was 150/90.");
  BOOST_TEST(read.addenda[1].authorId == f.nurse.id);
  BOOST_TEST(read.soap == kSoap);  // the note itself untouched
  BOOST_CHECK_THROW(f.db->writeSync([&](store::Connection& c) {
    c.execute("UPDATE note_addenda SET text_enc = x'01' WHERE id = ?1", a1.id);
  }),
                    std::exception);
  BOOST_CHECK_THROW(f.db->writeSync([&](store::Connection& c) {
    c.execute("DELETE FROM note_addenda WHERE id = ?1", a1.id);
  }),
                    std::exception);
}

BOOST_AUTO_TEST_CASE(the_patient_sees_the_assessment_and_plan_of_their_signed_notes_only) {
  NoteFixture f;
  auto d = f.written(f.provider, f.patientA, kSoap);
  BOOST_TEST(f.notes.visitSummaries(f.patient, f.patientA).empty());  // a draft: nothing
  auto n = f.notes.sign(f.provider, f.patientA, d.id, d.version);
  f.notes.addAddendum(f.provider, f.patientA, n.id, "Also: low-salt diet.");
  auto mine = f.notes.visitSummaries(f.patient, f.patientA);
  BOOST_REQUIRE_EQUAL(mine.size(), 1u);
  BOOST_TEST(mine[0].noteId == n.id);
  BOOST_TEST(mine[0].assessment == kSoap.assessment);
  BOOST_TEST(mine[0].plan == kSoap.plan);
  BOOST_TEST(mine[0].signedBy == f.provider.id);
  BOOST_REQUIRE_EQUAL(mine[0].addenda.size(), 1u);
  // The patient reads no note itself, theirs or not, and no one else's summaries.
  BOOST_CHECK_THROW(f.notes.get(f.patient, f.patientA, n.id), AccessDenied);
  BOOST_CHECK_THROW(f.notes.list(f.patient, f.patientA), AccessDenied);
  BOOST_CHECK_THROW(f.notes.visitSummaries(f.otherPatient, f.patientA), AccessDenied);
  BOOST_TEST(f.notes.visitSummaries(f.otherPatient, f.patientB).empty());
  // Each read is audited.
  auto entry = f.lastAudit("visit_summary.list");
  BOOST_REQUIRE(entry);
  BOOST_TEST(entry->event.actorId == f.otherPatient.id);
}

BOOST_AUTO_TEST_CASE(a_template_edit_is_a_new_version_and_notes_keep_theirs) {
  NoteFixture f;
  auto before =
      f.notes.create(f.provider, f.patientA, {EncounterKind::rpm_review, "2026-10"}, f.rpmTemplate);
  auto v2 = f.notes.publishTemplate(f.admin, "rpm_review", "RPM monthly review (2027)",
                                    {"Month in review", "Readings", "Control", "Changes"});
  BOOST_TEST(v2.version == 2);
  BOOST_TEST(v2.createdBy == f.admin.id);
  auto list = f.notes.templates(f.nurse);
  BOOST_REQUIRE_EQUAL(list.size(), 3u);  // general, rpm_review, follow_up: newest of each
  bool found = false;
  for (const auto& t : list)
    if (t.key == "rpm_review") {
      found = true;
      BOOST_TEST(t.version == 2);
      BOOST_TEST(t.prompts.objective == "Readings");
    }
  BOOST_TEST(found);
  auto after =
      f.notes.create(f.provider, f.patientA, {EncounterKind::rpm_review, "2026-11"}, v2.id);
  BOOST_TEST(after.templateVersion == 2);
  BOOST_TEST(f.notes.get(f.provider, f.patientA, before.id).templateVersion == 1);
  auto custom = f.notes.publishTemplate(f.admin, "wound_care", "Wound care", {"", "", "", ""});
  BOOST_TEST(custom.version == 1);
  BOOST_CHECK_THROW(f.notes.publishTemplate(f.admin, "Bad Key", "x", {}), ValidationError);
  BOOST_CHECK_THROW(f.db->writeSync([&](store::Connection& c) {
    c.execute("UPDATE note_templates SET title = 'x' WHERE id = ?1", v2.id);
  }),
                    std::exception);
}

BOOST_AUTO_TEST_CASE(the_referral_letter_escapes_every_value) {
  NoteFixture f;
  auto n = f.signedNote({"", "", "A <b>bold</b> & \"quoted\" assessment",
                         "Plan line 1\nPlan <img src=x onerror=alert(1)>"});
  auto r = f.notes.refer(f.provider, f.patientA, n.id,
                         {"Dr <script>alert(1)</script>", "Cardiology & 'vascular'",
                          "12 Main St\nFax 555-0100", "Reason </dd><iframe>"});
  auto letter = f.notes.letter(f.provider, f.patientA, r.id);
  BOOST_TEST(letter.patientName == "Ana Silva");
  auto html = renderReferralLetter(letter, "Dr <Who>", "provider");
  BOOST_TEST(html.find("<script") == std::string::npos);
  BOOST_TEST(html.find("<img") == std::string::npos);
  BOOST_TEST(html.find("<iframe") == std::string::npos);
  BOOST_TEST(html.find("<b>") == std::string::npos);
  BOOST_TEST(html.find("<Who>") == std::string::npos);
  BOOST_TEST(html.find("Dr &lt;script&gt;alert(1)&lt;/script&gt;") != std::string::npos);
  BOOST_TEST(html.find("Cardiology &amp; &#39;vascular&#39;") != std::string::npos);
  BOOST_TEST(html.find("&quot;quoted&quot;") != std::string::npos);
  BOOST_TEST(html.find("Plan line 1<br>Plan &lt;img") != std::string::npos);
  BOOST_TEST(html.find("Ana Silva") != std::string::npos);
  BOOST_TEST(html.find("1956-03-02") != std::string::npos);
  BOOST_TEST(escapeHtml("<&>\"'") == "&lt;&amp;&gt;&quot;&#39;");
  // A referral comes from a signed note only, and names a specialist.
  auto d = f.draft(f.provider, f.patientA);
  BOOST_CHECK_THROW(f.notes.refer(f.provider, f.patientA, d.id, {"Dr Rao", "Cardiology", "", "x"}),
                    NoteStateError);
  BOOST_CHECK_THROW(f.notes.refer(f.provider, f.patientA, n.id, {"", "Cardiology", "", "x"}),
                    ValidationError);
  auto list = f.notes.referrals(f.nurse, f.patientA);
  BOOST_REQUIRE_EQUAL(list.size(), 1u);
  BOOST_TEST(list[0].letter.specialty == "Cardiology & 'vascular'");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_CASE(a_note_on_a_video_visit_names_one_of_the_patients_visits) {
  NoteFixture f;
  // As vigild wires it (daemon/app/src/api_wiring.cpp): visits belong to vigil::video.
  f.notes.setEncounterCheck(EncounterKind::video_visit,
                            [](store::Connection& c, std::int64_t patientId, std::string_view ref) {
                              return video::VisitService::isVisitOfIn(c, ref, patientId);
                            });
  const auto start = f.clock.now() + std::chrono::hours(2);
  std::int64_t visitA = 0, visitB = 0;
  f.db->writeSync([&](store::Connection& c) {
    security::SqliteCareTeam::assignIn(c, f.stranger.id, f.patientB, f.admin.id, f.clock.now());
    visitA = video::VisitService::scheduleIn(
        c, f.provider, {f.patientA, f.provider.id, 0, start, start + std::chrono::minutes(30)},
        f.clock.now());
    visitB = video::VisitService::scheduleIn(
        c, f.stranger, {f.patientB, f.stranger.id, 0, start, start + std::chrono::minutes(30)},
        f.clock.now());
  });
  auto ok = f.notes.create(f.provider, f.patientA,
                           {EncounterKind::video_visit, std::to_string(visitA)}, f.generalTemplate);
  BOOST_TEST(ok.encounter.ref == std::to_string(visitA));

  // Another patient's visit and a visit that does not exist are refused alike: the answer must
  // not tell a clinician that some other patient has a visit with that number.
  auto refusal = [&](const std::string& ref) {
    try {
      f.notes.create(f.provider, f.patientA, {EncounterKind::video_visit, ref}, f.generalTemplate);
    } catch (const ValidationError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  const auto otherPatients = refusal(std::to_string(visitB));
  BOOST_TEST(otherPatients == "encounterRef: no such video_visit of this patient");
  BOOST_TEST(refusal("999999") == otherPatients);
  BOOST_TEST(f.rows("SELECT COUNT(*) FROM notes") == 1);
  // Kinds that name a date or a month have no row to find: their shape is all that is checked.
  BOOST_CHECK_NO_THROW(f.notes.create(
      f.provider, f.patientA, {EncounterKind::phone_call, "2026-11-30"}, f.generalTemplate));
}
