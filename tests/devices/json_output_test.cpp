// Readings as JSON (the vigil-devtool decode output in docs/device-protocol.md).
#include "vigil/devices/json_output.hpp"

#include <boost/test/unit_test.hpp>

#include "test_bytes.hpp"
#include "vigil/devices/gatt.hpp"

using namespace vigil::devices;
using namespace vigil::devices::test;

BOOST_AUTO_TEST_SUITE(JsonOutput)

BOOST_AUTO_TEST_CASE(blood_pressure_panel_with_codes_time_user_and_flags) {
  const auto r =
      decodeBloodPressure(hex("1E 78 00 50 00 5D 00 E4 07 0B 1D 0A 0F 00 48 00 01 04 00"));
  BOOST_REQUIRE(r.ok());
  BOOST_TEST(readingToJson(r.readings[0]) ==
             R"({"kind":"blood_pressure","loinc":"85354-9","unit":"mm[Hg]",)"
             R"("components":{"systolic":120,"diastolic":80,"mean":93},)"
             R"("codes":{"systolic":"8480-6","diastolic":"8462-4","mean":"8478-0"},)"
             R"("time":"2020-11-29T10:15:00","user":1,"flags":["irregular_pulse"],)"
             R"("characteristic":"2A35"})");
}

BOOST_AUTO_TEST_CASE(special_values_come_out_as_null_with_the_special_named) {
  const auto r = decodeBloodPressure(hex("04 FF 07 00 08 FE 07 02 08"));
  BOOST_REQUIRE(r.ok());
  const auto bp = readingToJson(r.readings[0]);
  BOOST_TEST(bp.find(R"("components":{"systolic":null,"diastolic":null,"mean":null})") !=
             std::string::npos);
  BOOST_TEST(bp.find(R"("special":{"systolic":"NaN","diastolic":"NRes","mean":"+INF"})") !=
             std::string::npos);
  const auto hr = readingToJson(r.readings[1]);
  BOOST_TEST(hr.find(R"("value":null,"special":"-INF")") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(converted_values_keep_the_original) {
  const auto r = decodeTemperature(hex("05 D1 03 00 FF 03"));  // 97.7 °F, ear
  BOOST_REQUIRE(r.ok());
  BOOST_TEST(readingToJson(r.readings[0]) ==
             R"({"kind":"body_temperature","loinc":"8310-5","unit":"Cel","value":36.5,)"
             R"("original":{"unit":"[degF]","value":97.7},"flags":[],"tags":{"site":"ear"},)"
             R"("characteristic":"2A1C"})");
}

BOOST_AUTO_TEST_CASE(readings_without_a_loinc_code_say_null) {
  const auto r = decodeHeartRate(hex("10 48 00 02"));
  BOOST_REQUIRE(r.ok());
  BOOST_TEST(readingsToJson(r.readings) ==
             R"({"readings":[{"kind":"heart_rate","loinc":"8867-4","unit":"/min","value":72,)"
             R"("flags":[],"characteristic":"2A37"},{"kind":"rr_interval","loinc":null,)"
             R"("unit":"s","value":0.5,"flags":[],"characteristic":"2A37"}]})");
}

BOOST_AUTO_TEST_CASE(numbers_are_compact) {
  BOOST_TEST(jsonNumber(70.25) == "70.25");
  BOOST_TEST(jsonNumber(0.1 + 0.2) == "0.3");
  BOOST_TEST(jsonNumber(-0.0) == "0");
  BOOST_TEST(jsonNumber(1e-9) == "1e-09");
}

BOOST_AUTO_TEST_SUITE_END()
