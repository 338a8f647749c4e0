// Glucose Measurement (0x2A18) and Glucose Measurement Context (0x2A34), Glucose Service 1.0.
//   0x2A18 flags u8: bit0 time offset, bit1 concentration + type-sample location, bit2
//          concentration units (0 kg/L, 1 mol/L), bit3 sensor status annunciation, bit4 context
//          information follows, bits 5-7 reserved
//          sequence number u16, base time (Date Time), [time offset s16 minutes],
//          [concentration SFLOAT, type (low nibble) / sample location (high nibble) u8],
//          [sensor status annunciation u16]
//   0x2A34 flags u8: bit0 carbohydrate id + carbohydrate, bit1 meal, bit2 tester-health, bit3
//          exercise duration + intensity, bit4 medication id + medication, bit5 medication units
//          (0 kg, 1 L), bit6 HbA1c, bit7 extended flags
//          sequence number u16, [extended flags u8, all reserved], [carbohydrate id u8,
//          carbohydrate SFLOAT kg], [meal u8], [tester (low nibble) / health (high nibble) u8],
//          [exercise duration u16 s (0xFFFF overrun), exercise intensity u8 %],
//          [medication id u8, medication SFLOAT kg or L], [HbA1c SFLOAT %]
// The device's time of a measurement is base time + time offset. Concentrations are stored in
// mg/dL: 1 kg/L = 100 000 mg/dL, 1 mol/L = 18 015.6 mg/dL (glucose 180.156 g/mol). LOINC by sample
// type: capillary whole blood 41653-7 (glucometer), plasma 2345-7, anything else 2339-0.
// Values that mean "not available" (sample location 15, tester/health 15) give no tag.
#include <array>

#include "gatt_common.hpp"

namespace vigil::devices {
namespace {

using detail::ByteReader;

constexpr std::array<std::string_view, 11> kSampleTypes = {"",
                                                           "capillary_whole_blood",
                                                           "capillary_plasma",
                                                           "venous_whole_blood",
                                                           "venous_plasma",
                                                           "arterial_whole_blood",
                                                           "arterial_plasma",
                                                           "undetermined_whole_blood",
                                                           "undetermined_plasma",
                                                           "interstitial_fluid",
                                                           "control_solution"};
constexpr std::array<std::string_view, 5> kLocations = {"", "finger", "alternate_site_test",
                                                        "earlobe", "control_solution"};
constexpr std::array<std::string_view, 8> kCarbohydrates = {
    "", "breakfast", "lunch", "dinner", "snack", "drink", "supper", "brunch"};
constexpr std::array<std::string_view, 6> kMeals = {"",        "preprandial", "postprandial",
                                                    "fasting", "casual",      "bedtime"};
constexpr std::array<std::string_view, 4> kTesters = {"", "self", "health_care_professional",
                                                      "lab_test"};
constexpr std::array<std::string_view, 6> kHealth = {"",
                                                     "minor_health_issues",
                                                     "major_health_issues",
                                                     "during_menses",
                                                     "under_stress",
                                                     "no_health_issues"};
constexpr std::array<std::string_view, 6> kMedications = {"",
                                                          "rapid_acting_insulin",
                                                          "short_acting_insulin",
                                                          "intermediate_acting_insulin",
                                                          "long_acting_insulin",
                                                          "premixed_insulin"};

constexpr Flag kAnnunciations[] = {Flag::batteryLow,
                                   Flag::sensorFault,
                                   Flag::sampleSizeInsufficient,
                                   Flag::stripInsertionError,
                                   Flag::stripTypeIncorrect,
                                   Flag::resultTooHigh,
                                   Flag::resultTooLow,
                                   Flag::sensorTemperatureTooHigh,
                                   Flag::sensorTemperatureTooLow,
                                   Flag::stripPulledTooSoon,
                                   Flag::generalDeviceFault,
                                   Flag::timeFault};

std::string_view glucoseLoinc(std::uint8_t type) {
  switch (type) {
    case 1:
      return loinc::kGlucoseCapillaryGlucometer;
    case 2:
    case 4:
    case 6:
    case 8:
      return loinc::kGlucosePlasma;
    default:
      return loinc::kGlucoseBlood;
  }
}

}  // namespace

DecodeResult decodeGlucose(Bytes value) {
  ByteReader in(value);
  std::uint8_t flags = 0;
  if (!in.u8(flags)) return detail::truncated("flags");
  if (flags & 0xE0U) return detail::reservedFlags("flags");
  std::uint16_t seq = 0;
  if (!in.u16(seq)) return detail::truncated("sequence_number");
  std::optional<DeviceTime> time;
  if (auto e = detail::readDateTime(in, "base_time", time)) return detail::failed(*e);
  if (flags & 0x01U) {
    std::int16_t offset = 0;
    if (!in.s16(offset)) return detail::truncated("time_offset");
    if (time) time->wallClock += std::chrono::minutes(offset);
  }
  const bool hasConcentration = flags & 0x02U;
  std::uint16_t concentration = 0;
  std::uint8_t type = 0, location = 0;
  if (hasConcentration) {
    std::uint8_t typeLocation = 0;
    if (!in.u16(concentration)) return detail::truncated("glucose_concentration");
    if (!in.u8(typeLocation)) return detail::truncated("type_sample_location");
    type = typeLocation & 0x0FU;
    location = static_cast<std::uint8_t>(typeLocation >> 4);
    if (type == 0 || type >= kSampleTypes.size()) return detail::reservedValue("type");
    if (location == 0 || (location >= kLocations.size() && location != 0x0F))
      return detail::reservedValue("sample_location");
  }
  Flags status;
  if (flags & 0x08U) {
    std::uint16_t ssa = 0;
    if (!in.u16(ssa)) return detail::truncated("sensor_status_annunciation");
    for (unsigned i = 0; i < 12; ++i)
      if ((static_cast<unsigned>(ssa) >> i) & 1U) status.set(kAnnunciations[i]);
  }
  if (in.remaining() != 0) return detail::trailingBytes();

  DecodeResult result;
  if (!hasConcentration) return result;  // nothing to store
  Reading r;
  r.kind = ReadingKind::glucose;
  r.loinc = glucoseLoinc(type);
  r.unit = ucum::kMgPerDl;
  r.originalUnit = (flags & 0x04U) ? ucum::kMolPerL : ucum::kKgPerL;
  r.value = detail::sfloatValue(
      concentration, (flags & 0x04U) ? conversion::kGlucoseMolarMass * 100.0 : 100'000.0);
  r.time = time;
  r.sequence = seq;
  r.flags = status;
  if (type == 10) r.flags.set(Flag::controlSolution);
  r.tags.push_back({"sample_type", kSampleTypes[type]});
  if (location != 0x0F) r.tags.push_back({"sample_location", kLocations[location]});
  if (flags & 0x10U) r.tags.push_back({"context", "follows"});
  r.characteristic = gatt::kGlucoseMeasurement;
  if (!detail::plausible(r)) return detail::impossible("glucose_concentration");
  result.readings.push_back(r);
  return result;
}

DecodeResult decodeGlucoseContext(Bytes value) {
  ByteReader in(value);
  std::uint8_t flags = 0;
  if (!in.u8(flags)) return detail::truncated("flags");
  std::uint16_t seq = 0;
  if (!in.u16(seq)) return detail::truncated("sequence_number");
  if (flags & 0x80U) {
    std::uint8_t ext = 0;
    if (!in.u8(ext)) return detail::truncated("extended_flags");
    if (ext != 0) return detail::reservedFlags("extended_flags");
  }
  Reading ctx;
  ctx.kind = ReadingKind::glucoseContext;
  ctx.sequence = seq;
  ctx.characteristic = gatt::kGlucoseMeasurementContext;
  DecodeResult result;
  result.readings.reserve(6);
  auto related = [&](ReadingKind kind, std::string_view unit) {
    Reading r;
    r.kind = kind;
    r.unit = unit;
    r.sequence = seq;
    r.characteristic = gatt::kGlucoseMeasurementContext;
    return r;
  };

  if (flags & 0x01U) {
    std::uint8_t id = 0;
    std::uint16_t carbs = 0;
    if (!in.u8(id)) return detail::truncated("carbohydrate_id");
    if (!in.u16(carbs)) return detail::truncated("carbohydrate");
    if (id == 0 || id >= kCarbohydrates.size()) return detail::reservedValue("carbohydrate_id");
    Reading r = related(ReadingKind::carbohydrateIntake, ucum::kGram);
    r.originalUnit = "kg";
    r.value = detail::sfloatValue(carbs, 1000.0);
    r.tags.push_back({"carbohydrate", kCarbohydrates[id]});
    if (!detail::plausible(r)) return detail::impossible("carbohydrate");
    result.readings.push_back(r);
  }
  if (flags & 0x02U) {
    std::uint8_t meal = 0;
    if (!in.u8(meal)) return detail::truncated("meal");
    if (meal == 0 || meal >= kMeals.size()) return detail::reservedValue("meal");
    ctx.tags.push_back({"meal", kMeals[meal]});
  }
  if (flags & 0x04U) {
    std::uint8_t th = 0;
    if (!in.u8(th)) return detail::truncated("tester_health");
    const unsigned tester = th & 0x0FU, health = th >> 4;
    if (tester == 0 || (tester >= kTesters.size() && tester != 0x0F))
      return detail::reservedValue("tester");
    if (health == 0 || (health >= kHealth.size() && health != 0x0F))
      return detail::reservedValue("health");
    if (tester != 0x0F) ctx.tags.push_back({"tester", kTesters[tester]});
    if (health != 0x0F) ctx.tags.push_back({"health", kHealth[health]});
  }
  if (flags & 0x08U) {
    std::uint16_t duration = 0;
    std::uint8_t intensity = 0;
    if (!in.u16(duration)) return detail::truncated("exercise_duration");
    if (!in.u8(intensity)) return detail::truncated("exercise_intensity");
    Reading d = related(ReadingKind::exerciseDuration, ucum::kSecond);
    d.value = duration == 0xFFFF ? Value::specialValue(SpecialValue::positiveInfinity)
                                 : Value::of(duration);
    result.readings.push_back(d);
    Reading i = related(ReadingKind::exerciseIntensity, ucum::kPercent);
    i.value = Value::of(intensity);
    if (!detail::plausible(i)) return detail::impossible("exercise_intensity");
    result.readings.push_back(i);
  }
  if (flags & 0x10U) {
    std::uint8_t id = 0;
    std::uint16_t amount = 0;
    if (!in.u8(id)) return detail::truncated("medication_id");
    if (!in.u16(amount)) return detail::truncated("medication");
    if (id == 0 || id >= kMedications.size()) return detail::reservedValue("medication_id");
    const bool liters = flags & 0x20U;
    Reading r = related(ReadingKind::medicationDose, liters ? ucum::kMilliliter : ucum::kMilligram);
    r.originalUnit = liters ? std::string_view{"L"} : std::string_view{"kg"};
    r.value = detail::sfloatValue(amount, liters ? 1000.0 : 1e6);
    r.tags.push_back({"medication", kMedications[id]});
    if (!detail::plausible(r)) return detail::impossible("medication");
    result.readings.push_back(r);
  }
  if (flags & 0x40U) {
    std::uint16_t a1c = 0;
    if (!in.u16(a1c)) return detail::truncated("hba1c");
    Reading r = related(ReadingKind::hba1c, ucum::kPercent);
    r.loinc = loinc::kHba1c;
    r.value = detail::sfloatValue(a1c);
    if (!detail::plausible(r)) return detail::impossible("hba1c");
    result.readings.push_back(r);
  }
  if (in.remaining() != 0) return detail::trailingBytes();
  result.readings.insert(result.readings.begin(), ctx);
  return result;
}

}  // namespace vigil::devices
