// Appointment reminder settings (issue 22, docs/scheduling.md#reminders): the patient's channel
// (email, sms, none) and how much a reminder may say (minimal, detailed). The patient sets their
// own on the Appointments page; staff who book for the patient may set them too. The gate checks
// the operation on the patient in the path; scheduling::ReminderService authorises again and
// audits the read or the change in its own transaction. Built with scheduling (video).

#include "common.hpp"
#include "vigil/core/error.hpp"
#include "vigil/scheduling/reminders.hpp"

namespace vigil::web::api {
namespace {

using scheduling::ReminderSettings;

std::string breakGlass(const Request& req) {
  return req.header("x-break-glass-reason").substr(0, 200);
}

Response settingsResponse(const ReminderSettings& s) {
  auto o = object();
  o->set("patientId", s.patientId);
  o->set("channel", std::string(scheduling::toString(s.channel)));
  o->set("detail", std::string(scheduling::toString(s.detail)));
  o->set("stored", s.stored);
  return jsonResponse(200, o);
}

}  // namespace

void addReminderRoutes(Router& r, const ApiServices& s) {
  r.add({"GET", "/api/v1/patients/{id}/reminder-settings", Access::authenticated,
         "reminder_settings.get", guarded([&s](Request& req) {
           return settingsResponse(
               s.reminders->settings(*req.actor, pathId(req, "id"), breakGlass(req)));
         }),
         "", "id"});
  r.add({"PUT", "/api/v1/patients/{id}/reminder-settings", Access::authenticated,
         "reminder_settings.update", guarded([&s](Request& req) {
           auto body = parseBody(req);
           ReminderSettings in;
           in.patientId = pathId(req, "id");
           auto channel = scheduling::parseReminderChannel(requireString(body, "channel", 16));
           if (!channel) throw BadRequest("channel: email, sms or none");
           auto detail = scheduling::parseReminderDetail(requireString(body, "detail", 16));
           if (!detail) throw BadRequest("detail: minimal or detailed");
           in.channel = *channel;
           in.detail = *detail;
           return settingsResponse(s.reminders->saveSettings(*req.actor, in, breakGlass(req)));
         }),
         "", "id"});
}

}  // namespace vigil::web::api
