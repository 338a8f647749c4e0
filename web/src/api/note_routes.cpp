// Clinical notes (issue 23, docs/notes.md): templates, a patient's notes, drafts, signing,
// co-signing, addenda, referrals and their letters, and the patient's visit summaries under
// /api/v1/me. The gate authorises the route's operation on the patient in the path (or the
// caller's own) and audits the request; notes::NoteService authorises again (the author, the
// co-signer's care team) and audits what it reads or writes in the same transaction. A stale
// baseVersion answers 409 note_changed, an action the note's state refuses 409 note_state.
//
// What goes into a draft's Objective and Assessment from the chart (latest vitals, problems) is
// composed by the portal from the readings and record APIs the clinician already reads (each
// audited there): the note stores what the clinician kept, nothing is pulled in on the server.

#include <map>

#include "common.hpp"
#include "vigil/core/error.hpp"
#include "vigil/events/event_bus.hpp"
#include "vigil/notes/notes.hpp"
#include "vigil/security/accounts.hpp"

namespace vigil::web::api {
namespace {

std::string breakGlassOf(const Request& req) {
  return req.header("x-break-glass-reason").substr(0, 200);
}

/// Clinicians' worklists counted this patient's notes: their portals ask for the counts again.
void workChanged(const ApiServices& s, std::int64_t patientId) {
  if (s.events) s.events->publish(events::WorkChanged{patientId, "note"});
}

Handler noteGuarded(Handler h) {
  return guarded([h = std::move(h)](Request& req) -> Response {
    try {
      return h(req);
    } catch (const notes::NoteConflict& e) {
      return Response::error(409, "note_changed", e.what());
    } catch (const notes::NoteStateError& e) {
      return Response::error(409, "note_state", e.what());
    }
  });
}

JsonObject soapJson(const notes::Soap& s) {
  auto o = object();
  o->set("subjective", s.subjective);
  o->set("objective", s.objective);
  o->set("assessment", s.assessment);
  o->set("plan", s.plan);
  return o;
}

notes::Soap soapFrom(const JsonObject& body, const std::string& key, std::size_t max) {
  if (!body->has(key) || body->getObject(key).isNull()) throw BadRequest(key + ": required");
  auto o = body->getObject(key);
  return {optionalString(o, "subjective", max), optionalString(o, "objective", max),
          optionalString(o, "assessment", max), optionalString(o, "plan", max)};
}

JsonObject encounterJson(const notes::Encounter& e) {
  auto o = object();
  o->set("kind", std::string(notes::toString(e.kind)));
  o->set("ref", e.ref);
  return o;
}

Poco::Dynamic::Var idOrNull(const std::optional<std::int64_t>& v) {
  return v ? Poco::Dynamic::Var(*v) : Poco::Dynamic::Var();
}

/// Staff display names for the ids a note carries (author, signer, co-signer), looked up once
/// per response. Staff names are not PHI; an id without an account reads "user <id>".
class Names {
 public:
  explicit Names(security::AccountService& accounts) : accounts_(accounts) {}
  std::string operator()(std::int64_t id) {
    auto it = cache_.find(id);
    if (it != cache_.end()) return it->second;
    auto u = accounts_.findUser(id);
    return cache_[id] = u ? u->displayName : "user " + std::to_string(id);
  }
  Poco::Dynamic::Var orNull(const std::optional<std::int64_t>& id) {
    return id ? Poco::Dynamic::Var((*this)(*id)) : Poco::Dynamic::Var();
  }

 private:
  security::AccountService& accounts_;
  std::map<std::int64_t, std::string> cache_;
};

JsonObject addendumJson(const notes::Addendum& a, Names&& names) {
  auto o = object();
  o->set("id", a.id);
  o->set("authorId", a.authorId);
  o->set("authorName", names(a.authorId));
  o->set("authorRole", a.authorRole);
  o->set("signedAt", iso(a.signedAt));
  o->set("sha256", a.sha256);
  o->set("text", a.text);
  return o;
}

JsonObject noteJson(const notes::Note& n, bool content, Names&& names) {
  auto o = object();
  o->set("id", n.id);
  o->set("patientId", n.patientId);
  o->set("encounter", encounterJson(n.encounter));
  auto t = object();
  t->set("id", n.templateId);
  t->set("key", n.templateKey);
  t->set("version", n.templateVersion);
  t->set("title", n.templateTitle);
  o->set("template", t);
  o->set("authorId", n.authorId);
  o->set("authorName", names(n.authorId));
  o->set("authorRole", n.authorRole);
  o->set("state", std::string(notes::toString(n.state)));
  o->set("version", n.version);
  o->set("createdAt", iso(n.createdAt));
  o->set("updatedAt", iso(n.updatedAt));
  o->set("signedBy", idOrNull(n.signedBy));
  o->set("signedByName", names.orNull(n.signedBy));
  o->set("signedAt", isoOrNull(n.signedAt));
  o->set("sha256", n.sha256.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(n.sha256));
  o->set("cosignedBy", idOrNull(n.cosignedBy));
  o->set("cosignedByName", names.orNull(n.cosignedBy));
  o->set("cosignedAt", isoOrNull(n.cosignedAt));
  if (content) {
    o->set("soap", soapJson(n.soap));
    auto addenda = array();
    for (const auto& a : n.addenda) addenda->add(addendumJson(a, Names(names)));
    o->set("addenda", addenda);
  }
  return o;
}

JsonObject notesJson(const std::vector<notes::Note>& list, Names names) {
  auto items = array();
  for (const auto& n : list) items->add(noteJson(n, false, Names(names)));
  auto o = object();
  o->set("items", items);
  return o;
}

JsonObject templateJson(const notes::NoteTemplate& t) {
  auto o = object();
  o->set("id", t.id);
  o->set("key", t.key);
  o->set("version", t.version);
  o->set("title", t.title);
  o->set("prompts", soapJson(t.prompts));
  o->set("createdAt", iso(t.createdAt));
  o->set("createdBy", idOrNull(t.createdBy));
  return o;
}

JsonObject referralJson(const notes::Referral& r) {
  auto o = object();
  o->set("id", r.id);
  o->set("noteId", r.noteId);
  o->set("patientId", r.patientId);
  o->set("createdBy", r.createdBy);
  o->set("createdAt", iso(r.createdAt));
  o->set("specialistName", r.letter.specialistName);
  o->set("specialty", r.letter.specialty);
  o->set("contact", r.letter.contact);
  o->set("reason", r.letter.reason);
  return o;
}

JsonObject summariesJson(const std::vector<notes::VisitSummary>& list, Names names) {
  auto items = array();
  for (const auto& v : list) {
    auto o = object();
    o->set("noteId", v.noteId);
    o->set("encounter", encounterJson(v.encounter));
    o->set("title", v.templateTitle);
    o->set("signedBy", v.signedBy);
    o->set("signedByName", names(v.signedBy));
    o->set("signedAt", iso(v.signedAt));
    o->set("cosignedBy", idOrNull(v.cosignedBy));
    o->set("cosignedByName", names.orNull(v.cosignedBy));
    o->set("assessment", v.assessment);
    o->set("plan", v.plan);
    auto addenda = array();
    for (const auto& a : v.addenda) addenda->add(addendumJson(a, Names(names)));
    o->set("addenda", addenda);
    items->add(o);
  }
  auto o = object();
  o->set("items", items);
  return o;
}

int baseVersionOf(const JsonObject& body) {
  const auto v = requireInt(body, "baseVersion");
  if (v < 1 || v > 1000000) throw BadRequest("baseVersion: a positive whole number");
  return static_cast<int>(v);
}

std::int64_t note(const Request& req) {
  return pathId(req, "noteId");
}

Response createNote(const ApiServices& s, Request& req) {
  auto body = parseBody(req);
  auto kind = notes::parseEncounterKind(requireString(body, "encounterKind", 40));
  if (!kind)
    throw ValidationError(
        "encounterKind: video_visit, in_person_visit, rpm_review, async_case or phone_call");
  notes::Encounter e{*kind, requireString(body, "encounterRef", 40)};
  auto n = s.notes->create(*req.actor, pathId(req, "id"), e, requireInt(body, "templateId"),
                           breakGlassOf(req));
  workChanged(s, n.patientId);
  return jsonResponse(201, noteJson(n, true, Names(*s.accounts)));
}

Response letterPage(const ApiServices& s, Request& req) {
  auto l =
      s.notes->letter(*req.actor, pathId(req, "id"), pathId(req, "referralId"), breakGlassOf(req));
  std::string name, role = "Referring clinician";
  if (auto u = s.accounts->findUser(l.referral.createdBy)) {
    name = u->displayName;
    role = u->role == security::Role::provider ? "Referring provider" : role;
  }
  Response r;
  r.status = 200;
  r.contentType = "text/html; charset=utf-8";
  r.body = notes::renderReferralLetter(l, name, role);
  return r;
}

void addTemplateAndQueueRoutes(Router& r, const ApiServices& s) {
  r.add({"GET", "/api/v1/note-templates", Access::authenticated, "note_template.list",
         noteGuarded([&s](Request& req) {
           auto items = array();
           for (const auto& t : s.notes->templates(*req.actor)) items->add(templateJson(t));
           auto o = object();
           o->set("items", items);
           return jsonResponse(200, o);
         })});
  r.add({"POST", "/api/v1/note-templates", Access::authenticated, "note_template.publish",
         noteGuarded([&s](Request& req) {
           auto body = parseBody(req);
           auto t = s.notes->publishTemplate(*req.actor, requireString(body, "key", 40),
                                             requireString(body, "title", 200),
                                             soapFrom(body, "prompts", notes::kMaxFieldBytes));
           return jsonResponse(201, templateJson(t));
         })});
  r.add({"GET", "/api/v1/cosign-queue", Access::authenticated, "note.cosign_queue",
         noteGuarded([&s](Request& req) {
           return jsonResponse(200,
                               notesJson(s.notes->cosignQueue(*req.actor), Names(*s.accounts)));
         })});
}

void addNoteWriteRoutes(Router& r, const ApiServices& s) {
  const std::string base = "/api/v1/patients/{id}/notes/{noteId}";
  r.add({"PUT", base, Access::authenticated, "note.write", noteGuarded([&s](Request& req) {
           auto body = parseBody(req);
           auto n =
               s.notes->update(*req.actor, pathId(req, "id"), note(req), baseVersionOf(body),
                               soapFrom(body, "soap", notes::kMaxSectionBytes), breakGlassOf(req));
           return jsonResponse(200, noteJson(n, true, Names(*s.accounts)));
         }),
         "", "id"});
  r.add({"POST", base + "/sign", Access::authenticated, "note.sign",
         noteGuarded([&s](Request& req) {
           auto n = s.notes->sign(*req.actor, pathId(req, "id"), note(req),
                                  baseVersionOf(parseBody(req)), breakGlassOf(req));
           workChanged(s, n.patientId);
           return jsonResponse(200, noteJson(n, true, Names(*s.accounts)));
         }),
         "", "id"});
  r.add({"POST", base + "/submit", Access::authenticated, "note.submit",
         noteGuarded([&s](Request& req) {
           auto n = s.notes->submit(*req.actor, pathId(req, "id"), note(req),
                                    baseVersionOf(parseBody(req)), breakGlassOf(req));
           workChanged(s, n.patientId);
           return jsonResponse(200, noteJson(n, true, Names(*s.accounts)));
         }),
         "", "id"});
  r.add({"POST", base + "/cosign", Access::authenticated, "note.cosign",
         noteGuarded([&s](Request& req) {
           auto n = s.notes->cosign(*req.actor, pathId(req, "id"), note(req));
           workChanged(s, n.patientId);
           return jsonResponse(200, noteJson(n, true, Names(*s.accounts)));
         }),
         "", "id"});
  r.add({"POST", base + "/addenda", Access::authenticated, "note.addendum",
         noteGuarded([&s](Request& req) {
           auto body = parseBody(req);
           auto a = s.notes->addAddendum(*req.actor, pathId(req, "id"), note(req),
                                         requireString(body, "text", notes::kMaxSectionBytes),
                                         breakGlassOf(req));
           return jsonResponse(201, addendumJson(a, Names(*s.accounts)));
         }),
         "", "id"});
  r.add({"POST", base + "/referrals", Access::authenticated, "referral.create",
         noteGuarded([&s](Request& req) {
           auto body = parseBody(req);
           notes::ReferralInput in{requireString(body, "specialistName", 200),
                                   requireString(body, "specialty", 200),
                                   optionalString(body, "contact", notes::kMaxFieldBytes),
                                   requireString(body, "reason", notes::kMaxSectionBytes)};
           auto ref =
               s.notes->refer(*req.actor, pathId(req, "id"), note(req), in, breakGlassOf(req));
           return jsonResponse(201, referralJson(ref));
         }),
         "", "id"});
}

}  // namespace

void addNoteRoutes(Router& r, const ApiServices& s) {
  addTemplateAndQueueRoutes(r, s);
  r.add({"GET", "/api/v1/patients/{id}/notes", Access::authenticated, "note.list",
         noteGuarded([&s](Request& req) {
           return jsonResponse(
               200, notesJson(s.notes->list(*req.actor, pathId(req, "id"), breakGlassOf(req)),
                              Names(*s.accounts)));
         }),
         "", "id"});
  r.add({"POST", "/api/v1/patients/{id}/notes", Access::authenticated, "note.create",
         noteGuarded([&s](Request& req) { return createNote(s, req); }), "", "id"});
  r.add({"GET", "/api/v1/patients/{id}/notes/{noteId}", Access::authenticated, "note.get",
         noteGuarded([&s](Request& req) {
           return jsonResponse(200, noteJson(s.notes->get(*req.actor, pathId(req, "id"), note(req),
                                                          breakGlassOf(req)),
                                             true, Names(*s.accounts)));
         }),
         "", "id"});
  r.add({"GET", "/api/v1/patients/{id}/notes/{noteId}/versions", Access::authenticated,
         "note.history", noteGuarded([&s](Request& req) {
           auto items = array();
           for (const auto& v :
                s.notes->history(*req.actor, pathId(req, "id"), note(req), breakGlassOf(req))) {
             auto o = object();
             o->set("version", v.version);
             o->set("savedAt", iso(v.savedAt));
             o->set("savedBy", v.savedBy);
             o->set("soap", soapJson(v.soap));
             items->add(o);
           }
           auto o = object();
           o->set("items", items);
           return jsonResponse(200, o);
         }),
         "", "id"});
  addNoteWriteRoutes(r, s);
  r.add({"GET", "/api/v1/patients/{id}/referrals", Access::authenticated, "referral.list",
         noteGuarded([&s](Request& req) {
           auto items = array();
           for (const auto& ref :
                s.notes->referrals(*req.actor, pathId(req, "id"), breakGlassOf(req)))
             items->add(referralJson(ref));
           auto o = object();
           o->set("items", items);
           return jsonResponse(200, o);
         }),
         "", "id"});
  r.add({"GET", "/api/v1/patients/{id}/referrals/{referralId}/letter", Access::authenticated,
         "referral.get", noteGuarded([&s](Request& req) { return letterPage(s, req); }), "", "id"});
  r.add({"GET", "/api/v1/patients/{id}/visit-summaries", Access::authenticated,
         "visit_summary.list", noteGuarded([&s](Request& req) {
           return jsonResponse(
               200, summariesJson(
                        s.notes->visitSummaries(*req.actor, pathId(req, "id"), breakGlassOf(req)),
                        Names(*s.accounts)));
         }),
         "", "id"});
  // The patient's own summaries: the gate lets only an actor with a patient record through.
  r.add({"GET", "/api/v1/me/visit-summaries", Access::authenticated, "visit_summary.list",
         noteGuarded([&s](Request& req) {
           return jsonResponse(
               200, summariesJson(s.notes->visitSummaries(*req.actor, *req.actor->patientId),
                                  Names(*s.accounts)));
         }),
         "", kPatientSelf});
}

}  // namespace vigil::web::api
