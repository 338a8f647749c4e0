// MQTT payloads (docs/device-protocol.md): the readings schema and the relayed GATT schema.
#include "vigil/devices/payload.hpp"

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "test_bytes.hpp"

using namespace vigil::devices;
using namespace vigil::devices::test;
using namespace std::chrono;

namespace {

const char* kExample = R"({
  "v": 1,
  "seq": 1042,
  "sent": "2026-11-29T10:15:02Z",
  "battery": 87,
  "readings": [
    {"kind": "blood_pressure", "unit": "mm[Hg]",
     "components": {"systolic": 128, "diastolic": 82, "mean": 97},
     "time": "2026-11-29T11:14:55+01:00", "seq": 311, "user": 1, "flags": ["irregular_pulse"]},
    {"kind": "heart_rate", "unit": "/min", "value": 64, "time": "2026-11-29T11:14:55+01:00"},
    {"kind": "body_weight", "unit": "[lb_av]", "value": 154.88},
    {"kind": "body_temperature", "unit": "[degF]", "value": 98.6, "time": "2026-11-29T08:00:00"},
    {"kind": "glucose", "unit": "mmol/L", "value": 5.5}
  ],
  "ext": {"vendor": {"fw": "1.2.3"}}
})";

std::string readings(const std::string& reading) {
  return R"({"v":1,"seq":5,"readings":[)" + reading + "]}";
}

void requireError(const PayloadResult& r, DecodeErrc code, const std::string& field) {
  BOOST_REQUIRE(!r.ok());
  BOOST_TEST((r.error->code == code));
  BOOST_TEST(r.error->field == field);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(Payload)

BOOST_AUTO_TEST_CASE(decodes_the_documented_readings_example) {
  const auto r = decodeReadingsPayload(kExample);
  BOOST_REQUIRE(r.ok());
  const auto& p = *r.payload;
  BOOST_TEST(p.seq == 1042U);
  BOOST_TEST(r.seq == std::uint64_t{1042});
  BOOST_TEST(p.batteryPercent == 87);
  BOOST_TEST((p.sentAt == DeviceClock{sys_days{year{2026} / 11 / 29} + 10h + 15min + 2s}));
  BOOST_REQUIRE(p.readings.size() == 5U);
  const Reading& bp = p.readings[0];
  BOOST_TEST((bp.kind == ReadingKind::bloodPressure));
  BOOST_TEST(bp.loinc == "85354-9");
  BOOST_TEST(*bp.components.find("systolic")->value.number == 128.0);
  BOOST_TEST(bp.components.find("diastolic")->loinc == "8462-4");
  BOOST_TEST(bp.time->utcOffsetMinutes == 60);
  BOOST_TEST((bp.time->utc() == DeviceClock{sys_days{year{2026} / 11 / 29} + 10h + 14min + 55s}));
  BOOST_TEST(bp.sequence == std::uint32_t{311});
  BOOST_TEST(bp.userId == std::uint8_t{1});
  BOOST_TEST(bp.flags.has(Flag::irregularPulse));
  BOOST_TEST(p.readings[1].loinc == "8867-4");
  BOOST_TEST(*p.readings[2].value.number == 154.88 * 0.45359237,
             boost::test_tools::tolerance(1e-12));
  BOOST_TEST(p.readings[2].originalUnit == "[lb_av]");
  BOOST_TEST(*p.readings[3].value.number == 37.0, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(p.readings[3].time->isLocal());
  BOOST_TEST(*p.readings[4].value.number == 5.5 * 18.0156, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(p.readings[4].unit == "mg/dL");
}

BOOST_AUTO_TEST_CASE(blood_pressure_in_kpa_is_converted_and_mean_is_optional) {
  const auto r = decodeReadingsPayload(readings(
      R"({"kind":"blood_pressure","unit":"kPa","components":{"systolic":16,"diastolic":10.7}})"));
  BOOST_REQUIRE(r.ok());
  const Reading& bp = r.payload->readings[0];
  BOOST_TEST(bp.components.size() == 2U);
  BOOST_TEST(*bp.components.find("systolic")->value.number == 16 * kMmHgPerKPa,
             boost::test_tools::tolerance(1e-12));
  BOOST_TEST(*bp.components.find("systolic")->value.original == 16.0);
  BOOST_TEST(bp.originalUnit == "kPa");
}

BOOST_AUTO_TEST_CASE(errors_name_the_field_and_the_reason) {
  requireError(decodeReadingsPayload(readings(R"({"kind":"heart_rate","unit":"bpm","value":60})")),
               DecodeErrc::unsupported, "readings[0].unit");
  requireError(decodeReadingsPayload(readings(R"({"kind":"pulse","unit":"/min","value":60})")),
               DecodeErrc::unsupported, "readings[0].kind");
  requireError(decodeReadingsPayload(readings(R"({"kind":"heart_rate","unit":"/min"})")),
               DecodeErrc::malformed, "readings[0].value");
  requireError(
      decodeReadingsPayload(readings(R"({"kind":"heart_rate","unit":"/min","value":"60"})")),
      DecodeErrc::malformed, "readings[0].value");
  requireError(
      decodeReadingsPayload(readings(R"({"kind":"heart_rate","unit":"/min","value":600})")),
      DecodeErrc::impossibleValue, "readings[0].value");
  requireError(decodeReadingsPayload(readings(
                   R"({"kind":"blood_pressure","unit":"mm[Hg]","components":{"systolic":120}})")),
               DecodeErrc::malformed, "readings[0].components.diastolic");
  requireError(
      decodeReadingsPayload(readings(
          R"({"kind":"blood_pressure","unit":"mm[Hg]","components":{"systolic":120,"diastolic":80,"pulse":60}})")),
      DecodeErrc::malformed, "readings[0].components.pulse");
  requireError(decodeReadingsPayload(
                   readings(R"({"kind":"heart_rate","unit":"/min","value":60,"colour":"red"})")),
               DecodeErrc::malformed, "readings[0].colour");
  requireError(decodeReadingsPayload(readings(
                   R"({"kind":"heart_rate","unit":"/min","value":60,"time":"2026-11-29 10:00"})")),
               DecodeErrc::malformed, "readings[0].time");
  requireError(decodeReadingsPayload(readings(
                   R"({"kind":"heart_rate","unit":"/min","value":60,"flags":["sparkly"]})")),
               DecodeErrc::unsupported, "readings[0].flags[0]");
  requireError(
      decodeReadingsPayload(readings(
          R"({"kind":"heart_rate","unit":"/min","value":60,"flags":["body_movement","body_movement"]})")),
      DecodeErrc::malformed, "readings[0].flags[1]");
  requireError(decodeReadingsPayload(R"({"v":1,"seq":5,"readings":[]})"), DecodeErrc::malformed,
               "readings");
  requireError(decodeReadingsPayload(R"({"v":2,"seq":5,"readings":[]})"), DecodeErrc::unsupported,
               "v");
  requireError(decodeReadingsPayload(R"({"v":1,"readings":[]})"), DecodeErrc::malformed, "seq");
  requireError(decodeReadingsPayload(R"({"v":1,"seq":-1,"readings":[]})"), DecodeErrc::malformed,
               "seq");
  requireError(decodeReadingsPayload(R"({"v":1,"seq":1,"battery":101,"readings":[]})"),
               DecodeErrc::malformed, "battery");
  requireError(
      decodeReadingsPayload(R"({"v":1,"seq":1,"sent":"2026-11-29T10:00:00","readings":[]})"),
      DecodeErrc::malformed, "sent");
  requireError(decodeReadingsPayload("[1]"), DecodeErrc::malformed, "payload");
  requireError(decodeReadingsPayload("{\"v\":1,"), DecodeErrc::malformed, "payload");
}

BOOST_AUTO_TEST_CASE(the_installed_firmware_version_is_read_and_checked) {
  // issue 27: a device reports its installed firmware in the `firmware` member.
  auto ok = decodeReadingsPayload(
      R"({"v":1,"seq":3,"firmware":"2.1.0~rc1","readings":[{"kind":"heart_rate","unit":"/min","value":60}]})");
  BOOST_REQUIRE(ok.ok());
  BOOST_TEST(ok.payload->firmware.value_or("") == "2.1.0~rc1");
  auto none = decodeReadingsPayload(
      R"({"v":1,"seq":3,"readings":[{"kind":"heart_rate","unit":"/min","value":60}]})");
  BOOST_TEST(!none.payload->firmware.has_value());
  requireError(decodeReadingsPayload(R"({"v":1,"seq":1,"firmware":2,"readings":[]})"),
               DecodeErrc::malformed, "firmware");
  requireError(decodeReadingsPayload(R"({"v":1,"seq":1,"firmware":"","readings":[]})"),
               DecodeErrc::malformed, "firmware");
  requireError(decodeReadingsPayload(R"({"v":1,"seq":1,"firmware":"1.0 beta","readings":[]})"),
               DecodeErrc::malformed, "firmware");
  requireError(decodeReadingsPayload(R"({"v":1,"seq":1,"firmware":"../x/y","readings":[]})"),
               DecodeErrc::malformed, "firmware");
}

BOOST_AUTO_TEST_CASE(unknown_member_with_an_empty_name_is_still_named) {
  // Found by fuzz_payload_readings: the error's field was empty.
  requireError(decodeReadingsPayload(R"({"v":1,"seq":7,"":[]})"), DecodeErrc::malformed, "?");
}

BOOST_AUTO_TEST_CASE(overlong_member_name_at_the_top_names_the_payload) {
  // Found by fuzz_payload_readings: the error's field was empty.
  requireError(decodeReadingsPayload(R"({"v":1,"seq":8,")" + std::string(300, 'r') + R"(":1})"),
               DecodeErrc::oversized, "payload");
}

BOOST_AUTO_TEST_CASE(seq_is_kept_when_a_later_field_fails_so_the_message_can_be_acked) {
  const auto r = decodeReadingsPayload(readings(R"({"kind":"nope","unit":"/min","value":1})"));
  BOOST_REQUIRE(!r.ok());
  BOOST_TEST(r.seq == std::uint64_t{5});
  BOOST_TEST(!decodeReadingsPayload("{").seq.has_value());
}

BOOST_AUTO_TEST_CASE(error_messages_never_carry_values) {
  const auto r =
      decodeReadingsPayload(readings(R"({"kind":"heart_rate","unit":"/min","value":612345})"));
  BOOST_REQUIRE(!r.ok());
  BOOST_TEST(r.error->message().find("612345") == std::string::npos);
  const auto u = decodeReadingsPayload(
      readings(R"({"kind":"heart_rate","unit":"/min","value":60,"Jane Doe":1})"));
  BOOST_REQUIRE(!u.ok());
  BOOST_TEST(u.error->message().find("Jane") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_long_string_under_an_odd_member_name_is_named_without_echoing_it) {
  // Found by fuzz_payload_gatt: the error named the member "" (an error must name a field), and
  // a sender's free-text member name would have been echoed into the quarantine table.
  const std::string value(PayloadLimits::kMaxStringBytes + 1, 'y');
  requireError(decodeGattPayload(R"({"v":1,"seq":1,"characteristic":"2A35","":")" + value +
                                 R"(","address":"C4:7C:8D:6A:12:34"})"),
               DecodeErrc::oversized, "?");
  requireError(decodeReadingsPayload(R"({"v":1,"seq":1,"Jane Doe":")" + value + R"("})"),
               DecodeErrc::oversized, "?");
  requireError(decodeReadingsPayload(R"({"v":1,"seq":1,"ext":{"note":")" + value + R"("}})"),
               DecodeErrc::oversized, "ext.note");
}

BOOST_AUTO_TEST_CASE(size_limits_are_enforced_before_parsing) {
  std::string big = R"({"v":1,"seq":1,"readings":[)";
  while (big.size() <= PayloadLimits::kMaxBytes)
    big += R"({"kind":"heart_rate","unit":"/min","value":60},)";
  big.back() = ']';
  big += "}";
  requireError(decodeReadingsPayload(big), DecodeErrc::oversized, "payload");
  std::string many = R"({"v":1,"seq":1,"readings":[)";
  for (int i = 0; i < 201; ++i)
    many += std::string(i ? "," : "") + R"({"kind":"heart_rate","unit":"/min","value":60})";
  many += "]}";
  BOOST_REQUIRE(many.size() < PayloadLimits::kMaxBytes);
  requireError(decodeReadingsPayload(many), DecodeErrc::oversized, "readings");
  const std::string longString = R"({"v":1,"seq":1,"readings":[{"kind":")" + std::string(300, 'a') +
                                 R"(","unit":"/min","value":1}]})";
  requireError(decodeReadingsPayload(longString), DecodeErrc::oversized, "readings.kind");
}

BOOST_AUTO_TEST_CASE(decodes_a_relayed_gatt_notification) {
  // 0x2A35 value "1E 78 00 50 00 5D 00 E4 07 0B 1D 0A 0F 00 48 00 01 04 00" in base64
  const auto bytes = hex("1E 78 00 50 00 5D 00 E4 07 0B 1D 0A 0F 00 48 00 01 04 00");
  const std::string json = R"({"v":1,"seq":88,"characteristic":"2A35","data":")" +
                           encodeBase64(bytes) +
                           R"(","address":"C4:7C:8D:6A:12:34","address_type":"public",)"
                           R"("received":"2026-11-29T10:15:02.123Z"})";
  const auto r = decodeGattPayload(json);
  BOOST_REQUIRE(r.ok());
  BOOST_TEST(r.payload->seq == 88U);
  BOOST_TEST(r.payload->characteristic == 0x2A35);
  BOOST_TEST(r.payload->address == "C4:7C:8D:6A:12:34");
  BOOST_TEST((r.payload->receivedAt ==
              DeviceClock{sys_days{year{2026} / 11 / 29} + 10h + 15min + 2s + 123ms}));
  BOOST_REQUIRE(r.payload->readings.size() == 2U);
  BOOST_TEST(*r.payload->readings[0].components.find("systolic")->value.number == 120.0);
  BOOST_TEST(decodeAnyPayload(json).ok());
}

BOOST_AUTO_TEST_CASE(gatt_envelope_and_value_errors_name_the_field) {
  auto gatt = [](const std::string& ch, const std::string& data, const std::string& addr,
                 const std::string& received = "2026-11-29T10:15:02Z") {
    return decodeGattPayload(R"({"v":1,"seq":9,"characteristic":")" + ch + R"(","data":")" + data +
                             R"(","address":")" + addr + R"(","received":")" + received + "\"}");
  };
  const std::string ok = "AHgAUABdAA==";  // 00 78 00 50 00 5D 00
  BOOST_TEST(gatt("2A35", ok, "c4:7c:8d:6a:12:34").ok());
  requireError(gatt("2A00", ok, "C4:7C:8D:6A:12:34"), DecodeErrc::unsupported, "characteristic");
  requireError(gatt("blood", ok, "C4:7C:8D:6A:12:34"), DecodeErrc::malformed, "characteristic");
  requireError(gatt("2A35", "AHgAUABdAA", "C4:7C:8D:6A:12:34"), DecodeErrc::malformed, "data");
  requireError(gatt("2A35", "AHgAUABdAB==", "C4:7C:8D:6A:12:34"), DecodeErrc::malformed, "data");
  requireError(gatt("2A35", "", "C4:7C:8D:6A:12:34"), DecodeErrc::malformed, "data");
  requireError(gatt("2A35", "AHgAUAA=", "C4:7C:8D:6A:12:34"), DecodeErrc::truncated,
               "data.mean_arterial_pressure");
  requireError(gatt("2A35", ok, "C4-7C-8D-6A-12-34"), DecodeErrc::malformed, "address");
  requireError(gatt("2A35", ok, "C4:7C:8D:6A:12:34", "2026-11-29T10:15:02"), DecodeErrc::malformed,
               "received");
  requireError(gatt("2A35", std::string(700, 'A'), "C4:7C:8D:6A:12:34"), DecodeErrc::oversized,
               "data");
  BOOST_TEST(gatt("2A00", ok, "x").seq == std::uint64_t{9});
}

BOOST_AUTO_TEST_CASE(gatt_value_longer_than_512_bytes_is_refused_even_when_its_base64_fits) {
  // Found by fuzz_ble_notification: 513 bytes encode to 684 base64 characters, the length
  // limit for 512 bytes, so the length check alone let them through to the decoder.
  auto heartRateWith = [](std::size_t n) {
    // Heart rate 72 bpm, then RR intervals of 0.75 s (768/1024) filling the value.
    std::vector<std::uint8_t> value(n, 0x03);
    value[0] = 0x10;
    value[1] = 72;
    for (std::size_t i = 2; i < n; i += 2) value[i] = 0x00;
    return decodeGattPayload(
        R"({"v":1,"seq":9,"characteristic":"2A37","data":")" + encodeBase64(value) +
        R"(","address":"C4:7C:8D:6A:12:34","received":"2026-11-29T10:15:02Z"})");
  };
  const auto full = heartRateWith(512);
  BOOST_TEST(full.ok());
  if (!full.ok()) BOOST_TEST_MESSAGE(full.error->field + ": " + full.error->detail);
  requireError(heartRateWith(513), DecodeErrc::oversized, "data");
}

BOOST_AUTO_TEST_CASE(rfc3339_times_parse_and_format_round_trip) {
  for (const char* s : {"2026-11-29T10:15:00Z", "2026-11-29T10:15:00.250+05:30",
                        "2026-11-29T10:15:00-08:00", "2026-02-28T23:59:59"}) {
    const auto t = parseDeviceTime(s);
    BOOST_REQUIRE(t.has_value());
    BOOST_TEST(formatDeviceTime(*t) == s);
  }
  BOOST_TEST(parseDeviceTime("2026-11-29T10:15:00.5Z")->wallClock.time_since_epoch().count() %
                 1000 ==
             500);
  for (const char* bad : {"2026-02-29T00:00:00Z", "2026-11-29T24:00:00Z", "2026-11-29T10:15Z",
                          "2026-11-29T10:15:00+5:30", "2026-11-29T10:15:00+19:00",
                          "2026-11-29T10:15:00.Z", "2026-11-29T10:15:00ZZ", "1200-01-01T00:00:00Z"})
    BOOST_TEST(!parseDeviceTime(bad).has_value(), bad);
}

BOOST_AUTO_TEST_CASE(base64_round_trips_and_refuses_non_canonical_input) {
  for (std::size_t n = 0; n < 8; ++n) {
    std::vector<std::uint8_t> bytes;
    for (std::size_t i = 0; i < n; ++i) bytes.push_back(static_cast<std::uint8_t>(0xF0 + i));
    BOOST_TEST((decodeBase64(encodeBase64(bytes)) == bytes));
  }
  BOOST_TEST(encodeBase64(hex("00 78 00 50 00 5D 00")) == "AHgAUABdAA==");
  for (const char* bad : {"A", "AB=C", "A===", "AB*=", "AHgAUABdAB==", "AB==AB=="})
    BOOST_TEST(!decodeBase64(bad).has_value(), bad);
}

BOOST_AUTO_TEST_SUITE_END()
