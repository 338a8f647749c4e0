// Patient satisfaction (issue 30, docs/reports.md "Patient satisfaction"): the surveys due to the
// signed-in patient and their answer to one visit's survey. The gate checks the role (patients
// only); surveys::SurveyService authorises the visit's patient and audits in the job that reads
// or writes.
//
//   GET  /api/v1/surveys/pending     {"items": [{visitId, endedAt, answerBy, providerName}]}
//   POST /api/v1/visits/{id}/survey  {"rating": 1-5, "recommend": 0-10, "comment": "..."}
//        201 {visitId, rating, recommend, answeredAt}
//
// Refusals answer with a code the portal shows in words: 422 survey_value (a value out of
// range; the message names the field), 409 already_answered, 409 survey_expired,
// visit_not_ended or patient_not_joined, 403 forbidden (another patient's visit, or staff),
// 404 not_found.

#include "common.hpp"
#include "vigil/core/error.hpp"
#include "vigil/surveys/surveys.hpp"

namespace vigil::web::api {
namespace {

Handler surveyGuarded(Handler h) {
  return guarded([h = std::move(h)](Request& req) -> Response {
    try {
      return h(req);
    } catch (const surveys::SurveyValueError& e) {
      return Response::error(422, "survey_value", e.what());
    } catch (const surveys::SurveyAlreadyAnswered&) {
      return Response::error(409, "already_answered",
                             "you have already answered the survey about this visit");
    } catch (const surveys::SurveyNotDue& e) {
      return Response::error(409, std::string(e.code()), e.what());
    } catch (const AccessDenied&) {
      // The API's one denial code (the portal and the role matrix read it), in words here.
      return Response::error(403, "forbidden", "this survey is about another patient's visit");
    }
  });
}

}  // namespace

void addSurveyRoutes(Router& r, const ApiServices& s) {
  r.add({"GET", "/api/v1/surveys/pending", Access::authenticated, "survey.list_pending",
         surveyGuarded([&s](Request& req) {
           auto items = array();
           for (const auto& p : s.surveys->pending(*req.actor)) {
             auto o = object();
             o->set("visitId", p.visitId);
             o->set("endedAt", iso(p.endedAt));
             o->set("answerBy", iso(p.answerBy));
             o->set("providerName", p.providerName);
             items->add(o);
           }
           auto o = object();
           o->set("items", items);
           return jsonResponse(200, o);
         })});
  r.add({"POST", "/api/v1/visits/{id}/survey", Access::authenticated, "survey.answer",
         surveyGuarded([&s](Request& req) {
           auto body = parseBody(req);
           surveys::SurveyAnswer a;
           const auto rating = requireInt(body, "rating");
           const auto recommend = requireInt(body, "recommend");
           // Out of int's range is out of the survey's: the service names the field.
           a.rating = rating < 0 || rating > 100 ? -1 : static_cast<int>(rating);
           a.recommend = recommend < 0 || recommend > 100 ? -1 : static_cast<int>(recommend);
           // Bytes here (4 per character at most); the service counts characters.
           a.comment = optionalString(body, "comment", surveys::kMaxCommentChars * 4);
           auto stored = s.surveys->answer(*req.actor, pathId(req, "id"), a);
           auto o = object();
           o->set("visitId", stored.visitId);
           o->set("rating", stored.rating);
           o->set("recommend", stored.recommend);
           o->set("answeredAt", iso(stored.answeredAt));
           return jsonResponse(201, o);
         })});
}

}  // namespace vigil::web::api
