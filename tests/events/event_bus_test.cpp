#define BOOST_TEST_MODULE events
#include "vigil/events/event_bus.hpp"

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <future>
#include <thread>

#include "vigil/testsupport/deadline.hpp"

using namespace std::chrono_literals;
using vigil::events::AlertChanged;
using vigil::events::AlertRaised;
using vigil::events::Event;
using vigil::events::EventBus;
using vigil::events::ReadingStored;

BOOST_AUTO_TEST_SUITE(EventBusTests)

BOOST_AUTO_TEST_CASE(delivers_typed_events_in_order_with_sequence_numbers) {
  vigil::Metrics metrics;
  EventBus bus(metrics);
  auto sub = bus.subscribe("ws-1", 16);
  bus.publish(ReadingStored{7, 100, "8480-6"});
  bus.publish(AlertRaised{1, 7, "bp.systolic.high", "critical"});
  bus.publish(AlertChanged{1, 7, "bp.systolic.high", "claimed", "claimed", "critical", 1});

  auto a = sub->tryNext();
  auto b = sub->tryNext();
  auto c = sub->tryNext();
  BOOST_REQUIRE(a && b && c);
  BOOST_TEST(a->sequence == 1u);
  BOOST_TEST(b->sequence == 2u);
  BOOST_TEST(c->sequence == 3u);
  BOOST_TEST(std::get<ReadingStored>(a->event).readingId == 100);
  BOOST_TEST(std::get<AlertRaised>(b->event).severity == "critical");
  BOOST_TEST(std::get<AlertChanged>(c->event).change == "claimed");
  BOOST_TEST(!sub->tryNext());
}

BOOST_AUTO_TEST_CASE(stuck_subscriber_is_dropped_and_never_blocks_publish) {
  vigil::Metrics metrics;
  EventBus bus(metrics);
  auto stuck = bus.subscribe("stuck", 8);  // nobody ever reads it
  constexpr int kEvents = 10'000;
  auto healthy = bus.subscribe("healthy", kEvents);  // big enough never to fill
  std::atomic<int> received{0};
  std::atomic<bool> done{false};
  std::thread consumer([&] {
    while (!done || healthy->queued() > 0) {
      if (healthy->next(10ms)) ++received;
    }
  });

  auto publisher = std::async(std::launch::async, [&] {
    for (int i = 0; i < kEvents; ++i) bus.publish(ReadingStored{1, i, "8867-4"});
  });
  // Publishing 10,000 events must finish promptly although one subscriber never reads.
  BOOST_REQUIRE(publisher.wait_for(10s) == std::future_status::ready);
  done = true;
  vigil::testsupport::joinWithin(consumer, 30s,
                                 "joining the consumer draining the healthy subscriber");

  BOOST_TEST(stuck->closed());
  BOOST_TEST(stuck->droppedAsSlow());
  BOOST_TEST(stuck->queued() == 8u);  // what it had before the drop stays readable
  BOOST_TEST(bus.droppedCount() == 1u);
  BOOST_TEST(metrics.render().find("vigil_eventbus_dropped_total 1") != std::string::npos);
  BOOST_TEST(bus.subscriberCount() == 1u);
  BOOST_TEST(received.load() == kEvents);  // the healthy subscriber lost nothing
}

BOOST_AUTO_TEST_CASE(full_queue_drops_the_subscriber_not_single_events) {
  vigil::Metrics metrics;
  EventBus bus(metrics);
  auto sub = bus.subscribe("slow", 2);
  bus.publish(ReadingStored{1, 1, "x"});
  bus.publish(ReadingStored{1, 2, "x"});
  BOOST_TEST(!sub->closed());
  bus.publish(ReadingStored{1, 3, "x"});
  BOOST_TEST(sub->closed());
  BOOST_TEST(sub->tryNext()->sequence == 1u);
  BOOST_TEST(sub->tryNext()->sequence == 2u);
  BOOST_TEST(!sub->tryNext());
  bus.publish(ReadingStored{1, 4, "x"});  // no longer delivered, no second drop counted
  BOOST_TEST(bus.droppedCount() == 1u);
}

BOOST_AUTO_TEST_CASE(filter_keeps_other_patients_events_out_of_the_queue) {
  vigil::Metrics metrics;
  EventBus bus(metrics);
  auto sub = bus.subscribe("patient-7", 4, [](const Event& e) {
    const auto* r = std::get_if<ReadingStored>(&e);
    return r && r->patientId == 7;
  });
  for (int i = 0; i < 100; ++i) bus.publish(ReadingStored{8, i, "x"});
  bus.publish(ReadingStored{7, 1000, "x"});
  BOOST_TEST(!sub->closed());
  auto e = sub->tryNext();
  BOOST_REQUIRE(e);
  BOOST_TEST(std::get<ReadingStored>(e->event).readingId == 1000);
  BOOST_TEST(e->sequence == 101u);  // the sequence counts every event on the bus
}

BOOST_AUTO_TEST_CASE(unsubscribe_wakes_a_waiting_consumer) {
  vigil::Metrics metrics;
  EventBus bus(metrics);
  auto sub = bus.subscribe("ws", 4);
  auto waiter = std::async(std::launch::async, [&] { return sub->next(30s); });
  std::this_thread::sleep_for(20ms);
  bus.unsubscribe(sub);
  BOOST_REQUIRE(waiter.wait_for(5s) == std::future_status::ready);
  BOOST_TEST(!waiter.get());  // bounded: ready, required just above
  BOOST_TEST(sub->closed());
  BOOST_TEST(!sub->droppedAsSlow());
  BOOST_TEST(bus.subscriberCount() == 0u);
}

BOOST_AUTO_TEST_CASE(next_times_out_when_nothing_is_published) {
  vigil::Metrics metrics;
  EventBus bus(metrics);
  auto sub = bus.subscribe("ws", 4);
  const auto start = std::chrono::steady_clock::now();
  BOOST_TEST(!sub->next(30ms));
  BOOST_TEST((std::chrono::steady_clock::now() - start >= 30ms));
  BOOST_TEST(!sub->closed());
}

BOOST_AUTO_TEST_SUITE_END()
