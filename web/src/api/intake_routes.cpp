// Intake (issue 21, docs/patients.md#intake): whether a patient's intake is complete, and the
// photos of their insurance cards. The patient reaches their own through their patient id (the
// portal knows it from /api/v1/auth/session); the gate authorises the route's operation on the
// patient in the path and audits the request, and patients::IntakeService authorises and audits
// again in the transaction that reads or writes. A photo travels as base64 in a JSON body (the
// portal shrinks it first, which fits the body limit); it answers as the image itself, never
// cached, under a file name with no PHI.

#include "common.hpp"
#include "vigil/core/error.hpp"
#include "vigil/crypto/bytes.hpp"
#include "vigil/patients/intake.hpp"

namespace vigil::web::api {
namespace {

std::string breakGlassOf(const Request& req) {
  return req.header("x-break-glass-reason").substr(0, 200);
}

patients::CardCoverage coverageOf(const Request& req) {
  auto it = req.params.find("coverage");
  auto c = it == req.params.end() ? std::nullopt : patients::parseCardCoverage(it->second);
  if (!c) throw ApiFailure(404, "not_found", "coverage: primary or secondary");
  return *c;
}

patients::CardSide sideOf(const Request& req) {
  auto it = req.params.find("side");
  auto s = it == req.params.end() ? std::nullopt : patients::parseCardSide(it->second);
  if (!s) throw ApiFailure(404, "not_found", "side: front or back");
  return *s;
}

JsonObject cardJson(std::int64_t patientId, const patients::CardImageInfo& c) {
  auto o = object();
  o->set("coverage", std::string(patients::toString(c.coverage)));
  o->set("side", std::string(patients::toString(c.side)));
  o->set("mediaType", c.mediaType);
  o->set("sizeBytes", static_cast<std::int64_t>(c.sizeBytes));
  if (c.width != 0) {
    o->set("width", static_cast<std::int64_t>(c.width));
    o->set("height", static_cast<std::int64_t>(c.height));
  }
  o->set("uploadedAt", iso(c.uploadedAt));
  o->set("uploadedBy", c.uploadedBy);
  o->set("href", "/api/v1/patients/" + std::to_string(patientId) + "/insurance-cards/" +
                     std::string(patients::toString(c.coverage)) + "/" +
                     std::string(patients::toString(c.side)));
  return o;
}

JsonObject statusJson(const patients::IntakeStatus& st) {
  auto o = object();
  o->set("patientId", st.patientId);
  o->set("completed", st.completedAt.has_value());
  o->set("completedAt", isoOrNull(st.completedAt));
  if (st.completedAt) {
    o->set("completedBy", st.completedBy);
    o->set("completedByRole", st.completedRole);
  }
  auto cards = array();
  for (const auto& c : st.cards) cards->add(cardJson(st.patientId, c));
  o->set("cards", cards);
  return o;
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

Route patientRoute(std::string method, std::string path, std::string op, Handler h) {
  return {std::move(method),
          std::move(path),
          Access::authenticated,
          std::move(op),
          guarded(std::move(h)),
          "",
          "id"};
}

}  // namespace

void addIntakeRoutes(Router& r, const ApiServices& s) {
  r.add(patientRoute("GET", "/api/v1/patients/{id}/intake", "intake.get", [&s](Request& req) {
    return jsonResponse(
        200, statusJson(s.intake->status(*req.actor, pathId(req, "id"), breakGlassOf(req))));
  }));
  r.add(patientRoute(
      "POST", "/api/v1/patients/{id}/intake/complete", "intake.complete", [&s](Request& req) {
        return jsonResponse(
            200, statusJson(s.intake->complete(*req.actor, pathId(req, "id"), breakGlassOf(req))));
      }));
  const std::string card = "/api/v1/patients/{id}/insurance-cards/{coverage}/{side}";
  r.add(patientRoute("PUT", card, "insurance_card.put", [&s](Request& req) {
    const auto id = pathId(req, "id");
    auto info = s.intake->putCard(*req.actor, id, coverageOf(req), sideOf(req), imageOf(req),
                                  breakGlassOf(req));
    return jsonResponse(200, cardJson(id, info));
  }));
  r.add(patientRoute("GET", card, "insurance_card.get", [&s](Request& req) {
    const auto id = pathId(req, "id");
    const auto coverage = coverageOf(req);
    const auto side = sideOf(req);
    auto img = s.intake->card(*req.actor, id, coverage, side, breakGlassOf(req));
    Response out;
    out.status = 200;
    out.contentType = img.info.mediaType;
    out.body = std::move(img.content);
    out.headers.emplace_back("Content-Disposition",
                             "inline; filename=\"insurance-card-" + std::to_string(id) + "-" +
                                 std::string(patients::toString(coverage)) + "-" +
                                 std::string(patients::toString(side)) +
                                 (img.info.mediaType == "image/png" ? ".png\"" : ".jpg\""));
    return out;
  }));
  r.add(patientRoute("DELETE", card, "insurance_card.remove", [&s](Request& req) {
    s.intake->removeCard(*req.actor, pathId(req, "id"), coverageOf(req), sideOf(req),
                         breakGlassOf(req));
    return noContent();
  }));
}

}  // namespace vigil::web::api
