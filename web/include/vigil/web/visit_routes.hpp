#pragma once
// The video-visit API under /api/v1/visits and its signalling WebSocket (docs/video.md).
//
// Every route names a catalogue operation, so the API gate authenticates, checks CSRF (and the
// Origin of the upgrade) and checks the ROLE: visit.join (patient, provider, nurse) for joining,
// reading, leaving and the media socket; visit.schedule (provider, nurse, admin, front desk) for
// scheduling, admitting and ending. Whether the caller takes part in THIS visit, inside its window,
// is decided by VisitService, which audits it (participants, not the care team, are who may be in
// a room: an invited caregiver has no care-team relation).
//
// POST /api/v1/visits/{id}/participants names the invitee by user id or by e-mail address
// (looked up through the accounts' blind index; an unknown address is refused exactly as an
// account that may not be invited, and the address never reaches a log, an error or the audit).
//
// GET /api/v1/visits/{id}/media upgrades to a WebSocket carrying the relay's JSON signalling
// (offer/answer/ice/error) for an admitted participant; closing it leaves the room (audited).
//
// Part of vigil::webapi, built only with VIGIL_WITH_VIDEO (the routes call vigil::video).

#include <filesystem>

#include "vigil/core/clock.hpp"
#include "vigil/web/http.hpp"

namespace vigil::security {
class AccountService;
}
namespace vigil::crypto {
class FieldCipher;
}
namespace vigil::registry {
class PatientRepository;
}
namespace vigil::security {
class AuditLog;
}
namespace vigil::store {
class Database;
}
namespace vigil::video {
class VisitService;
class VideoRooms;
}  // namespace vigil::video

namespace vigil::web {

/// What the visit routes call; borrowed, must outlive the server.
struct VisitApi {
  video::VisitService* visits = nullptr;
  video::VideoRooms* rooms = nullptr;
  security::AccountService* accounts = nullptr;  // media socket sessions, invitee by e-mail
  Clock* clock = nullptr;
  /// Where recordings go (<data.dir>/recordings) and what encrypts them.
  std::filesystem::path recordingsDir;
  const crypto::FieldCipher* cipher = nullptr;
  /// Names the patients of the admins' visit list (issue 21: staff pages by name); optional.
  registry::PatientRepository* patients = nullptr;
  /// With `patients`: the caller's own visit list names each visit's patient too (issue 22:
  /// the visits list with patient names), one `visit.list` audit entry per patient named.
  security::AuditLog* audit = nullptr;
  store::Database* db = nullptr;
  /// Several nodes: this node's cluster.node_id (the join and the visit name it, so the portal
  /// opens the media socket with ?node=<id>); empty on a single box.
  std::string nodeId;
};

/// Registers the /api/v1/visits routes.
void addVisitRoutes(Router& router, const VisitApi& api);

}  // namespace vigil::web
