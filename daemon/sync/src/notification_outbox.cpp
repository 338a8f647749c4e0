// LinkNotificationOutbox: notify.send through the cloud link. See notification_outbox.hpp.

#include "vigil/sync/notification_outbox.hpp"

#include "vigil/sync/link.hpp"

namespace vigil::sync {

bool LinkNotificationOutbox::available() const {
  return link_.enrolled();
}

std::string LinkNotificationOutbox::enqueueIn(store::Connection& c, std::string_view stream,
                                              std::string_view payloadJson) {
  return link_.enqueueIn(c, stream, "notify.send", "notify", payloadJson);
}

void LinkNotificationOutbox::wake() {
  link_.wake();
}

}  // namespace vigil::sync
