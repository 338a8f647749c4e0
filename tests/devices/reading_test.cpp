#define BOOST_TEST_MODULE devices
#include "vigil/devices/reading.hpp"

#include <boost/test/unit_test.hpp>
#include <set>
#include <string>

#include "test_bytes.hpp"

using namespace vigil::devices;

BOOST_AUTO_TEST_SUITE(ReadingModel)

BOOST_AUTO_TEST_CASE(every_kind_name_is_unique_and_round_trips) {
  std::set<std::string> seen;
  for (std::size_t i = 0; i < kReadingKindCount; ++i) {
    const auto kind = static_cast<ReadingKind>(i);
    const auto name = readingKindName(kind);
    BOOST_TEST(!name.empty());
    BOOST_TEST(seen.insert(std::string(name)).second);
    BOOST_TEST(readingKindFromName(name) == kind);
  }
  BOOST_TEST(!readingKindFromName("blood-pressure").has_value());
}

BOOST_AUTO_TEST_CASE(every_flag_name_is_unique_snake_case_and_round_trips) {
  std::set<std::string> seen;
  for (std::size_t i = 0; i < kFlagCount; ++i) {
    const auto flag = static_cast<Flag>(i);
    const auto name = flagName(flag);
    BOOST_TEST(!name.empty());
    for (char c : name) BOOST_TEST(((c >= 'a' && c <= 'z') || c == '_'));
    BOOST_TEST(seen.insert(std::string(name)).second);
    BOOST_TEST(flagFromName(name) == flag);
  }
  BOOST_TEST(kFlagCount <= 64U);
}

BOOST_AUTO_TEST_CASE(special_value_names_round_trip_and_none_has_no_name) {
  BOOST_TEST(specialValueName(SpecialValue::none).empty());
  BOOST_TEST(specialValueName(SpecialValue::nan) == "NaN");
  BOOST_TEST(specialValueName(SpecialValue::nres) == "NRes");
  BOOST_TEST(specialValueName(SpecialValue::positiveInfinity) == "+INF");
  BOOST_TEST(specialValueName(SpecialValue::negativeInfinity) == "-INF");
  for (auto s :
       {SpecialValue::nan, SpecialValue::nres, SpecialValue::positiveInfinity,
        SpecialValue::negativeInfinity, SpecialValue::reserved, SpecialValue::unsuccessful})
    BOOST_TEST((specialValueFromName(specialValueName(s)) == s));
  BOOST_TEST(!specialValueFromName("").has_value());
}

BOOST_AUTO_TEST_CASE(flags_set_and_iterate_in_order) {
  Flags f;
  BOOST_TEST(f.empty());
  f.set(Flag::controlSolution);
  f.set(Flag::bodyMovement);
  std::vector<Flag> seen;
  f.forEach([&](Flag x) { seen.push_back(x); });
  BOOST_TEST(seen.size() == 2U);
  BOOST_TEST((seen[0] == Flag::bodyMovement));
  BOOST_TEST((seen[1] == Flag::controlSolution));
  BOOST_TEST(f.has(Flag::controlSolution));
  BOOST_TEST(!f.has(Flag::cuffTooLoose));
}

BOOST_AUTO_TEST_CASE(device_time_with_offset_converts_to_utc_and_local_time_does_not) {
  using namespace std::chrono;
  DeviceTime t{sys_days{year{2026} / 11 / 29} + hours{10}, 60};
  BOOST_TEST(!t.isLocal());
  BOOST_TEST((t.utc() == DeviceClock{sys_days{year{2026} / 11 / 29} + hours{9}}));
  t.utcOffsetMinutes.reset();
  BOOST_TEST(t.isLocal());
  BOOST_TEST(!t.utc().has_value());
}

BOOST_AUTO_TEST_CASE(components_find_by_name_and_tags_get_by_key) {
  Components c;
  c.push_back({"systolic", loinc::kSystolic, Value::of(120)});
  c.push_back({"diastolic", loinc::kDiastolic, Value::of(80)});
  BOOST_TEST(c.size() == 2U);
  BOOST_TEST(c.find("diastolic")->value.number == 80.0);
  BOOST_TEST(c.find("mean") == nullptr);
  Tags t;
  t.push_back({"site", "ear"});
  BOOST_TEST(t.get("site") == "ear");
  BOOST_TEST(t.get("meal").empty());
}

BOOST_AUTO_TEST_CASE(implausible_values_are_detected_and_specials_are_not_checked) {
  Reading r;
  r.kind = ReadingKind::spo2;
  r.value = Value::of(101);
  BOOST_TEST(!isPlausible(r));
  r.value = Value::of(97);
  BOOST_TEST(isPlausible(r));
  r.value = Value::specialValue(SpecialValue::nan);
  BOOST_TEST(isPlausible(r));
  Reading bp;
  bp.kind = ReadingKind::bloodPressure;
  bp.components.push_back({"systolic", loinc::kSystolic, Value::of(-5)});
  BOOST_TEST(!isPlausible(bp));
}

BOOST_AUTO_TEST_SUITE_END()
