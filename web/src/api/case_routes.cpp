// Async care (issue 23, docs/cases.md): the patient's cases under /api/v1/me/cases, the care
// team's queue and the worklist's counts, one case, its photos and the clinicians' actions under
// /api/v1/cases/{caseId}. Routes on a case name no patient: the gate checks the role and
// cases::CaseService authorises the case's patient (care team, own record, emergency access, or
// the clinician the case was escalated to) and audits in the transaction that reads or writes.
//
// Limits answer clearly: a photo over kMaxPhotoBytes 413 photo_too_large (a body over
// web.max_body_bytes 413 too_large from the server), a sixth photo 400 too_many_photos, a text
// over kMaxTextBytes or empty 400 bad_request, a file that is not a whole JPEG or PNG 400
// bad_image, an action on a closed case 409 case_state. A photo answers as the image itself,
// never cached, under a file name with no PHI. URLs carry ids only.

#include <map>

#include "common.hpp"
#include "vigil/cases/cases.hpp"
#include "vigil/core/error.hpp"
#include "vigil/crypto/bytes.hpp"
#include "vigil/events/event_bus.hpp"
#include "vigil/registry/registry.hpp"
#include "vigil/security/accounts.hpp"

namespace vigil::web::api {
namespace {

std::string breakGlassOf(const Request& req) {
  return req.header("x-break-glass-reason").substr(0, 200);
}

Handler caseGuarded(Handler h) {
  return guarded([h = std::move(h)](Request& req) -> Response {
    try {
      return h(req);
    } catch (const cases::CaseLimitError& e) {
      switch (e.limit()) {
        case cases::CaseLimitError::Limit::photoBytes:
          return Response::error(413, "photo_too_large", e.what());
        case cases::CaseLimitError::Limit::photoCount:
          return Response::error(400, "too_many_photos", e.what());
        case cases::CaseLimitError::Limit::text:
          break;
      }
      return Response::error(400, "bad_request", e.what());
    } catch (const cases::CaseStateError& e) {
      return Response::error(409, "case_state", e.what());
    }
  });
}

/// Display names of staff (never a patient's account name) for one response.
class StaffNames {
 public:
  explicit StaffNames(const ApiServices& s) : s_(s) {}
  Poco::Dynamic::Var operator()(std::optional<std::int64_t> id) {
    if (!id || !s_.accounts) return Poco::Dynamic::Var();
    auto it = names_.find(*id);
    if (it == names_.end()) {
      auto u = s_.accounts->findUser(*id);
      it = names_
               .emplace(*id,
                        u && u->role != security::Role::patient ? u->displayName : std::string{})
               .first;
    }
    if (it->second.empty()) return Poco::Dynamic::Var();
    return it->second;
  }

 private:
  const ApiServices& s_;
  std::map<std::int64_t, std::string> names_;
};

JsonObject photoJson(std::int64_t caseId, const cases::CasePhoto& p) {
  auto o = object();
  o->set("id", p.id);
  o->set("mediaType", p.mediaType);
  o->set("sizeBytes", static_cast<std::int64_t>(p.sizeBytes));
  o->set("width", static_cast<std::int64_t>(p.width));
  o->set("height", static_cast<std::int64_t>(p.height));
  o->set("uploadedAt", iso(p.uploadedAt));
  o->set("href", "/api/v1/cases/" + std::to_string(caseId) + "/photos/" + std::to_string(p.id));
  return o;
}

JsonObject caseJson(const ApiServices& s, const cases::Case& k, StaffNames& staff,
                    const std::map<std::int64_t, std::string>& patientNames, TimePoint now) {
  auto o = object();
  o->set("id", k.id);
  o->set("patientId", k.patientId);
  if (auto it = patientNames.find(k.patientId); it != patientNames.end())
    o->set("patientName", it->second);
  o->set("category", k.category);
  o->set("state", std::string(cases::toString(k.state)));
  o->set("openedAt", iso(k.openedAt));
  o->set("dueAt", iso(k.dueAt));
  o->set("escalateAt", iso(k.escalateAt));
  o->set("updatedAt", iso(k.updatedAt));
  o->set("firstResponseAt", isoOrNull(k.firstResponseAt));
  const bool waiting = k.state == cases::CaseState::open && !k.firstResponseAt;
  o->set("waitingForCareTeam", waiting);
  o->set("dueSoon", waiting && now >= k.escalateAt && now < k.dueAt);
  o->set("overdue", waiting && now >= k.dueAt);
  o->set("assignee", k.assignee ? Poco::Dynamic::Var(*k.assignee) : Poco::Dynamic::Var());
  o->set("assigneeName", staff(k.assignee));
  o->set("escalatedAt", isoOrNull(k.escalatedAt));
  o->set("escalatedTo", k.escalatedTo ? Poco::Dynamic::Var(*k.escalatedTo) : Poco::Dynamic::Var());
  o->set("escalatedToName", staff(k.escalatedTo));
  o->set("closedAt", isoOrNull(k.closedAt));
  o->set("closedByName", staff(k.closedBy));
  o->set("noteId", k.noteId ? Poco::Dynamic::Var(*k.noteId) : Poco::Dynamic::Var());
  o->set("photoCount", static_cast<std::int64_t>(k.photoCount));
  if (!k.messages.empty() || !k.photos.empty()) {
    auto messages = array();
    for (const auto& m : k.messages) {
      auto mo = object();
      mo->set("id", m.id);
      mo->set("kind", std::string(cases::toString(m.kind)));
      mo->set("authorId", m.authorId);
      mo->set("authorRole", m.authorRole);
      mo->set("authorName", m.authorRole == "patient" ? Poco::Dynamic::Var() : staff(m.authorId));
      mo->set("createdAt", iso(m.createdAt));
      mo->set("text", m.text);
      messages->add(mo);
    }
    o->set("messages", messages);
    auto photos = array();
    for (const auto& p : k.photos) photos->add(photoJson(k.id, p));
    o->set("photos", photos);
  }
  (void)s;
  return o;
}

JsonObject casesJson(const ApiServices& s, const std::vector<cases::Case>& list, bool names) {
  StaffNames staff(s);
  std::map<std::int64_t, std::string> patientNames;
  if (names && s.patients) {
    std::vector<std::int64_t> ids;
    for (const auto& k : list) ids.push_back(k.patientId);
    patientNames = s.patients->displayNames(ids);
  }
  auto items = array();
  const auto now = s.clock->now();
  for (const auto& k : list) items->add(caseJson(s, k, staff, patientNames, now));
  auto o = object();
  o->set("items", items);
  return o;
}

JsonObject oneCase(const ApiServices& s, const cases::Case& k) {
  StaffNames staff(s);
  auto o = caseJson(s, k, staff, {}, s.clock->now());
  if (!o->has("messages")) {
    o->set("messages", array());
    o->set("photos", array());
  }
  return o;
}

std::string textOf(const Request& req, const std::string& key) {
  auto body = parseBody(req);
  // Longer than the service's limit so the service answers with the limit in words.
  return requireString(body, key, cases::kMaxTextBytes * 4);
}

std::string imageOf(const Request& req) {
  auto body = parseBody(req);
  auto text = requireString(body, "contentBase64", 1024 * 1024);
  try {
    auto bytes = crypto::fromBase64(text);
    return std::string(bytes.begin(), bytes.end());
  } catch (const CryptoError&) {
    throw BadRequest("contentBase64: not base64");
  }
}

std::int64_t caseIdOf(const Request& req) {
  return pathId(req, "caseId");
}

/// The care team's worklists count this patient's cases: their portals ask for the counts again
/// (the event carries the patient's id and the word "case").
void caseChanged(const ApiServices& s, std::int64_t patientId) {
  if (s.events) s.events->publish(events::WorkChanged{patientId, "case"});
}

using Action = cases::Case (cases::CaseService::*)(const security::Actor&, std::int64_t,
                                                   const std::string&, std::string_view);

void addAction(Router& r, const ApiServices& s, const std::string& suffix, const std::string& op,
               const std::string& field, Action action) {
  r.add({"POST", "/api/v1/cases/{caseId}/" + suffix, Access::authenticated, op,
         caseGuarded([&s, field, action](Request& req) {
           auto k =
               (s.cases->*action)(*req.actor, caseIdOf(req), textOf(req, field), breakGlassOf(req));
           caseChanged(s, k.patientId);
           return jsonResponse(200, oneCase(s, k));
         })});
}

void addMyCaseRoutes(Router& r, const ApiServices& s) {
  r.add({"GET", "/api/v1/me/cases", Access::authenticated, "case.list",
         caseGuarded([&s](Request& req) {
           return jsonResponse(
               200,
               casesJson(s, s.cases->listForPatient(*req.actor, *req.actor->patientId), false));
         }),
         "", kPatientSelf});
  r.add({"POST", "/api/v1/me/cases", Access::authenticated, "case.open",
         caseGuarded([&s](Request& req) {
           auto body = parseBody(req);
           auto k =
               s.cases->open(*req.actor, *req.actor->patientId, requireString(body, "category", 40),
                             requireString(body, "question", cases::kMaxTextBytes * 4));
           caseChanged(s, k.patientId);
           return jsonResponse(201, oneCase(s, k));
         }),
         "", kPatientSelf});
  r.add({"GET", "/api/v1/patients/{id}/cases", Access::authenticated, "case.list",
         caseGuarded([&s](Request& req) {
           return jsonResponse(200, casesJson(s,
                                              s.cases->listForPatient(*req.actor, pathId(req, "id"),
                                                                      breakGlassOf(req)),
                                              false));
         }),
         "", "id"});
}

}  // namespace

void addCaseRoutes(Router& r, const ApiServices& s) {
  addMyCaseRoutes(r, s);
  r.add(
      {"GET", "/api/v1/cases", Access::authenticated, "case.queue", caseGuarded([&s](Request& req) {
         const bool closed = req.query.count("closed") && req.query.at("closed") == "1";
         return jsonResponse(200, casesJson(s, s.cases->queue(*req.actor, closed), true));
       })});
  r.add({"GET", "/api/v1/case-counts", Access::authenticated, "case.counts",
         caseGuarded([&s](Request& req) {
           auto n = s.cases->counts(*req.actor);
           auto o = object();
           o->set("open", n.open);
           o->set("waiting", n.waiting);
           o->set("dueSoon", n.dueSoon);
           o->set("overdue", n.overdue);
           o->set("escalatedToMe", n.escalatedToMe);
           return jsonResponse(200, o);
         })});
  r.add({"GET", "/api/v1/cases/{caseId}", Access::authenticated, "case.get",
         caseGuarded([&s](Request& req) {
           return jsonResponse(
               200, oneCase(s, s.cases->get(*req.actor, caseIdOf(req), breakGlassOf(req))));
         })});
  r.add({"POST", "/api/v1/cases/{caseId}/photos", Access::authenticated, "case.photo_add",
         caseGuarded([&s](Request& req) {
           const auto id = caseIdOf(req);
           try {
             return jsonResponse(201,
                                 photoJson(id, s.cases->addPhoto(*req.actor, id, imageOf(req))));
           } catch (const ValidationError& e) {
             return Response::error(400, "bad_image", e.what());
           }
         })});
  r.add({"GET", "/api/v1/cases/{caseId}/photos/{photoId}", Access::authenticated, "case.photo_get",
         caseGuarded([&s](Request& req) {
           const auto id = caseIdOf(req);
           const auto photoId = pathId(req, "photoId");
           auto p = s.cases->photo(*req.actor, id, photoId, breakGlassOf(req));
           Response out;
           out.status = 200;
           out.contentType = p.info.mediaType;
           out.body = std::move(p.bytes);
           out.headers.emplace_back("Cache-Control", "no-store");
           out.headers.emplace_back("Content-Disposition",
                                    "inline; filename=\"case-" + std::to_string(id) + "-photo-" +
                                        std::to_string(photoId) +
                                        (p.info.mediaType == "image/png" ? ".png\"" : ".jpg\""));
           return out;
         })});
  addAction(r, s, "messages", "case.reply", "text", &cases::CaseService::reply);
  addAction(r, s, "request-photos", "case.request_photos", "text",
            &cases::CaseService::requestPhotos);
  addAction(r, s, "book-visit", "case.book_visit", "text", &cases::CaseService::bookVisit);
  addAction(r, s, "close", "case.close", "note", &cases::CaseService::close);
}

}  // namespace vigil::web::api
