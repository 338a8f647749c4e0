// Record Access Control Point requests and responses (Glucose Service 1.0 §3.1.1, GLS §4.11).
#include "vigil/ble/racp.hpp"

#include <boost/test/unit_test.hpp>

using namespace vigil::ble;
using Bytes = std::vector<std::uint8_t>;

BOOST_AUTO_TEST_SUITE(Racp)

BOOST_AUTO_TEST_CASE(asks_for_all_records_when_none_are_stored) {
  BOOST_TEST(racpReportAll() == (Bytes{0x01, 0x01}));
  BOOST_TEST(racpRequestAfter(std::nullopt) == (Bytes{0x01, 0x01}));
}

BOOST_AUTO_TEST_CASE(asks_for_records_after_the_last_stored_sequence) {
  BOOST_TEST(racpReportFrom(0x0104) == (Bytes{0x01, 0x03, 0x01, 0x04, 0x01}));
  BOOST_TEST(racpRequestAfter(3U) == (Bytes{0x01, 0x03, 0x01, 0x04, 0x00}));
  BOOST_TEST(racpRequestAfter(0xFFFEU) == (Bytes{0x01, 0x03, 0x01, 0xFF, 0xFF}));
}

BOOST_AUTO_TEST_CASE(asks_for_all_again_past_the_last_16_bit_sequence) {
  BOOST_TEST(racpRequestAfter(0xFFFFU) == (Bytes{0x01, 0x01}));
}

BOOST_AUTO_TEST_CASE(parses_success_and_no_records_as_a_finished_transfer) {
  auto ok = parseRacpResponse(Bytes{0x06, 0x00, 0x01, 0x01});
  BOOST_TEST_REQUIRE(ok.has_value());
  BOOST_TEST(ok->transferDone());
  BOOST_TEST(ok->code == racp::kSuccess);
  auto none = parseRacpResponse(Bytes{0x06, 0x00, 0x01, 0x06});
  BOOST_TEST_REQUIRE(none.has_value());
  BOOST_TEST(none->transferDone());
}

BOOST_AUTO_TEST_CASE(parses_an_error_response_as_not_done) {
  auto r = parseRacpResponse(Bytes{0x06, 0x00, 0x01, 0x05});  // operand not supported
  BOOST_TEST_REQUIRE(r.has_value());
  BOOST_TEST(!r->transferDone());
  BOOST_TEST(r->code == 0x05);
  auto other = parseRacpResponse(Bytes{0x06, 0x00, 0x04, 0x01});  // answers "report number"
  BOOST_TEST_REQUIRE(other.has_value());
  BOOST_TEST(!other->transferDone());
}

BOOST_AUTO_TEST_CASE(parses_the_number_of_records) {
  auto r = parseRacpResponse(Bytes{0x05, 0x00, 0x2C, 0x01});
  BOOST_TEST_REQUIRE(r.has_value());
  BOOST_TEST((r->kind == RacpResponse::Kind::numberOfRecords));
  BOOST_TEST(r->records == 300);
}

BOOST_AUTO_TEST_CASE(refuses_malformed_responses) {
  BOOST_TEST(!parseRacpResponse(Bytes{}));
  BOOST_TEST(!parseRacpResponse(Bytes{0x06}));
  BOOST_TEST(!parseRacpResponse(Bytes{0x06, 0x01, 0x01, 0x01}));        // operator not Null
  BOOST_TEST(!parseRacpResponse(Bytes{0x06, 0x00, 0x01}));              // truncated
  BOOST_TEST(!parseRacpResponse(Bytes{0x06, 0x00, 0x01, 0x01, 0x00}));  // trailing
  BOOST_TEST(!parseRacpResponse(Bytes{0x01, 0x00, 0x01, 0x01}));        // a request
}

BOOST_AUTO_TEST_SUITE_END()
