#pragma once
// Messages to patients (e-mail, SMS) through the cloud link's notification service: one
// notify.send entry in the cloud link's outbox, written inside the caller's write job, so the
// domain change that decides a message (a reminder's once-only row, a survey notice's) and the
// message commit together or not at all. Scheduling's reminders and waitlist offers and the
// surveys' notices take a NotificationOutbox; tests give them a stand-in.

#include <string>
#include <string_view>

#include "vigil/sync/outbox.hpp"

namespace vigil::store {
class Connection;
}

namespace vigil::sync {

class Link;

/// Where notify.send messages go: the cloud link's outbox, inside the caller's write job.
class NotificationOutbox {
 public:
  virtual ~NotificationOutbox() = default;
  /// False when nothing can be sent (the link is not enrolled): the caller skips the message.
  virtual bool available() const = 0;
  /// Inside the caller's write job: queues a notify.send with `payloadJson` in `stream`;
  /// returns the entry id. Throws EnqueueError when the outbox refuses it (its reason() a fixed
  /// word: not_enrolled, unknown_service, rejected); a StoreError of the caller's job passes
  /// through.
  virtual std::string enqueueIn(store::Connection& c, std::string_view stream,
                                std::string_view payloadJson) = 0;
  /// After the commit: send now.
  virtual void wake() {}
};

/// NotificationOutbox on the cloud link (kind notify.send, service notify).
class LinkNotificationOutbox final : public NotificationOutbox {
 public:
  explicit LinkNotificationOutbox(Link& link) : link_(link) {}
  bool available() const override;
  std::string enqueueIn(store::Connection& c, std::string_view stream,
                        std::string_view payloadJson) override;
  void wake() override;

 private:
  Link& link_;
};

}  // namespace vigil::sync
