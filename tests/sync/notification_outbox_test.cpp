// sync::LinkNotificationOutbox and the outbox's typed refusals (EnqueueError): what a notify.send
// through the cloud link can fail with, as the fixed words reminders and survey notices log.
// No network: a Link that was never enrolled.

#include "vigil/sync/notification_outbox.hpp"

#include <boost/test/unit_test.hpp>
#include <string>

#include "sync_fixture.hpp"
#include "vigil/core/error.hpp"
#include "vigil/sync/link.hpp"

using namespace vigil;
using namespace vigil::sync;
using namespace vigil::sync::test;

namespace {

struct UnenrolledLinkFixture : SyncFixture {
  std::unique_ptr<Link> link;
  UnenrolledLinkFixture() {
    LinkOptions o;
    o.keysDir = dir / "keys-sync";
    link = std::make_unique<Link>(*db, *audit, *outbox, clock, o, &metrics);
  }
  std::int64_t entries() { return count("SELECT count(*) FROM sync_outbox"); }
};

/// The failure of `fn` as an EnqueueError's word ("" when it threw none; "other" for another
/// exception).
template <class F>
std::string refusalOf(F&& fn) {
  try {
    fn();
  } catch (const EnqueueError& e) {
    return std::string(toString(e.reason()));
  } catch (...) {
    return "other";
  }
  return "";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(EnqueueError_)

BOOST_AUTO_TEST_CASE(each_refusal_has_its_fixed_word) {
  BOOST_TEST(toString(EnqueueFailure::notEnrolled) == "not_enrolled");
  BOOST_TEST(toString(EnqueueFailure::unknownService) == "unknown_service");
  BOOST_TEST(toString(EnqueueFailure::rejected) == "rejected");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(LinkNotificationOutbox_, UnenrolledLinkFixture)

BOOST_AUTO_TEST_CASE(an_unenrolled_link_is_not_available_and_refuses_as_not_enrolled) {
  LinkNotificationOutbox notify(*link);
  BOOST_TEST(!notify.available());
  const auto word = refusalOf([&] {
    db->writeSync([&](store::Connection& c) {
      return notify.enqueueIn(c, "reminder/1", "{\"channel\":\"email\"}");
    });
  });
  BOOST_TEST(word == "not_enrolled");
  BOOST_TEST(entries() == 0);
}

BOOST_AUTO_TEST_CASE(the_refusal_is_still_a_validation_error) {
  LinkNotificationOutbox notify(*link);
  BOOST_CHECK_THROW(
      db->writeSync([&](store::Connection& c) { return notify.enqueueIn(c, "reminder/1", "{}"); }),
      ValidationError);
}

BOOST_AUTO_TEST_CASE(the_outbox_rejects_a_bad_stream_or_envelope_as_rejected) {
  const auto badStream = refusalOf([&] {
    db->writeSync([&](store::Connection& c) {
      return outbox->enqueueIn(c, "Reminder/1", "notify.send", "notify", envelopeFor);
    });
  });
  BOOST_TEST(badStream == "rejected");
  const auto emptyEnvelope = refusalOf([&] {
    db->writeSync([&](store::Connection& c) {
      return outbox->enqueueIn(c, "reminder/1", "notify.send", "notify",
                               [](std::string_view, std::int64_t) { return std::string(); });
    });
  });
  BOOST_TEST(emptyEnvelope == "rejected");
  BOOST_TEST(entries() == 0);
}

BOOST_AUTO_TEST_SUITE_END()
