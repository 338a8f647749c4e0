#pragma once
// The event bus's events as the text a node sends the others (NOTIFY payloads, at most 8000
// bytes each): {"node":"a","events":[{"t":"alert_raised",...},...]} or, when a node lost some of
// its own events on the way out, {"node":"a","resync":true}. Events carry ids and words only
// (event_bus.hpp), so the payloads do too.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/events/event_bus.hpp"

namespace vigil::cluster {

/// What one payload carries.
struct RelayMessage {
  std::string node;
  std::vector<events::Event> events;
  bool resync = false;  // the sender dropped events: receivers resynchronise
};

/// Packs events into as few payloads as fit `maxBytes` each (an event never splits).
std::vector<std::string> encodeEvents(const std::string& node,
                                      const std::vector<events::Event>& events,
                                      std::size_t maxBytes = 7'500);
std::string encodeResync(const std::string& node);
/// nullopt for anything that is not such a payload (an event of an unknown type is skipped,
/// so a newer node's events do not stop an older one).
std::optional<RelayMessage> decodeEvents(std::string_view payload);

}  // namespace vigil::cluster
