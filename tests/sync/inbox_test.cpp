// The inbox (docs/cloud-api.md, "Receiving: the inbox") on a real SQLite file: a message is
// applied once, and the cursor moves in the same transaction as the change it makes.
#include "vigil/sync/inbox.hpp"

#include <boost/test/unit_test.hpp>
#include <stdexcept>

#include "sync_fixture.hpp"
#include "vigil/core/error.hpp"

using namespace vigil;
using namespace vigil::sync;
using vigil::sync::test::SyncFixture;

namespace {

struct InboxFixture : SyncFixture {
  Inbox inbox{clock};
  int applied = 0;

  // A message's change: one more in a settings counter (a stand-in domain row).
  void bump(store::Connection& c) {
    ++applied;
    auto n = store::SqliteSettingsRepository::getIn(c, "test.remittances").value_or("0");
    store::SqliteSettingsRepository::setIn(c, "test.remittances", std::to_string(std::stoi(n) + 1));
  }
  bool receive(const std::string& id, std::optional<std::string> cursor) {
    return db->writeSync([&](store::Connection& c) {
      return inbox.applyIn(c, id, "remittance", cursor, [&](store::Connection& w) { bump(w); });
    });
  }
  std::string counter() {
    return db->read([](store::Connection& c) {
      return store::SqliteSettingsRepository::getIn(c, "test.remittances").value_or("0");
    });
  }
  bool isApplied(const std::string& id) {
    return db->read([&](store::Connection& c) { return Inbox::appliedIn(c, id); });
  }
};

const std::string kM1 = "6b1c2f0e-9d4a-4e7b-8c3d-2a1f0e9d8c7b";
const std::string kM2 = "0f8e3c1e-6a4b-4c1f-9e2a-5b7d2f1a9c34";

}  // namespace

BOOST_FIXTURE_TEST_SUITE(Inbox_, InboxFixture)

BOOST_AUTO_TEST_CASE(the_cursor_is_empty_before_the_first_fetch) {
  BOOST_TEST(Inbox::cursor(*db) == "");
}

BOOST_AUTO_TEST_CASE(the_same_message_twice_is_applied_once_and_the_cursor_moves_on) {
  BOOST_TEST(receive(kM1, "c-1"));
  BOOST_TEST(applied == 1);
  BOOST_TEST(counter() == "1");
  BOOST_TEST(Inbox::cursor(*db) == "c-1");
  BOOST_TEST(isApplied(kM1));
  // Delivered again (a retry, a reordered page): skipped; the cursor still moves past it.
  BOOST_TEST(!receive(kM1, "c-2"));
  BOOST_TEST(applied == 1);
  BOOST_TEST(counter() == "1");
  BOOST_TEST(Inbox::cursor(*db) == "c-2");
  // Another message is applied.
  BOOST_TEST(receive(kM2, "c-3"));
  BOOST_TEST(counter() == "2");
}

BOOST_AUTO_TEST_CASE(a_throwing_apply_leaves_neither_the_message_applied_nor_the_cursor_moved) {
  BOOST_TEST(receive(kM1, "c-1"));
  BOOST_CHECK_THROW(db->writeSync([&](store::Connection& c) {
    inbox.applyIn(c, kM2, "remittance", "c-2", [&](store::Connection& w) {
      bump(w);
      throw std::runtime_error("the change fails");
    });
  }),
                    std::runtime_error);
  BOOST_TEST(!isApplied(kM2));
  BOOST_TEST(counter() == "1");
  BOOST_TEST(Inbox::cursor(*db) == "c-1");
  // A caller that catches the failure inside its job keeps the rest of its job, not the message.
  db->writeSync([&](store::Connection& c) {
    try {
      inbox.applyIn(c, kM2, "remittance", "c-2", [&](store::Connection& w) {
        bump(w);
        throw std::runtime_error("the change fails");
      });
    } catch (const std::runtime_error&) {
    }
    store::SqliteSettingsRepository::setIn(c, "test.other", "kept");
  });
  BOOST_TEST(!isApplied(kM2));
  BOOST_TEST(counter() == "1");
  BOOST_TEST(Inbox::cursor(*db) == "c-1");
  const auto other = db->read(
      [](store::Connection& c) { return store::SqliteSettingsRepository::getIn(c, "test.other"); });
  BOOST_TEST(other.value_or("") == "kept");
  // Fetched again, it applies.
  BOOST_TEST(receive(kM2, "c-2"));
  BOOST_TEST(counter() == "2");
  BOOST_TEST(Inbox::cursor(*db) == "c-2");
}

BOOST_AUTO_TEST_CASE(without_a_cursor_the_cursor_stays_and_an_empty_page_moves_it) {
  BOOST_TEST(receive(kM1, "c-1"));
  BOOST_TEST(receive(kM2, std::nullopt));  // not the page's last message
  BOOST_TEST(Inbox::cursor(*db) == "c-1");
  db->writeSync([](store::Connection& c) { Inbox::advanceCursorIn(c, "c-9"); });
  BOOST_TEST(Inbox::cursor(*db) == "c-9");
}

BOOST_AUTO_TEST_CASE(a_bad_message_id_or_kind_is_refused_and_nothing_changes) {
  BOOST_CHECK_THROW(receive("", "c-1"), ValidationError);
  BOOST_CHECK_THROW(receive(std::string(65, 'a'), "c-1"), ValidationError);
  BOOST_CHECK_THROW(db->writeSync([&](store::Connection& c) {
    inbox.applyIn(c, kM1, "", "c-1", [&](store::Connection& w) { bump(w); });
  }),
                    ValidationError);
  BOOST_TEST(applied == 0);
  BOOST_TEST(Inbox::cursor(*db) == "");
}

BOOST_AUTO_TEST_SUITE_END()
