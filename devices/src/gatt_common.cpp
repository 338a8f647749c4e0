#include "gatt_common.hpp"

#include <chrono>

namespace vigil::devices::detail {

DecodeResult truncated(std::string_view field) {
  return DecodeResult::failure(DecodeErrc::truncated, std::string(field),
                               "value ends before this field");
}

DecodeResult reservedFlags(std::string_view field) {
  return DecodeResult::failure(DecodeErrc::reservedFlags, std::string(field),
                               "a reserved bit is set");
}

DecodeResult reservedValue(std::string_view field) {
  return DecodeResult::failure(DecodeErrc::reservedValue, std::string(field),
                               "holds a reserved value");
}

DecodeResult trailingBytes() {
  return DecodeResult::failure(DecodeErrc::trailingBytes, "value",
                               "bytes after the last field the flags announce");
}

DecodeResult impossible(std::string_view field) {
  return DecodeResult::failure(DecodeErrc::impossibleValue, std::string(field),
                               "outside the physiologically possible range");
}

std::optional<DecodeError> readDateTime(ByteReader& in, std::string_view field,
                                        std::optional<DeviceTime>& time) {
  std::uint16_t year = 0;
  std::uint8_t month = 0, day = 0, hours = 0, minutes = 0, seconds = 0;
  if (!in.u16(year) || !in.u8(month) || !in.u8(day) || !in.u8(hours) || !in.u8(minutes) ||
      !in.u8(seconds))
    return truncated(field).error;
  const bool unknownDate = year == 0 || month == 0 || day == 0;
  if ((year != 0 && (year < 1582 || year > 9999)) || month > 12 || day > 31 || hours > 23 ||
      minutes > 59 || seconds > 59)
    return DecodeError{DecodeErrc::invalidTime, std::string(field), "date or time out of range"};
  time.reset();
  if (unknownDate) return std::nullopt;
  using namespace std::chrono;
  const year_month_day ymd{std::chrono::year{year}, std::chrono::month{month},
                           std::chrono::day{day}};
  if (!ymd.ok())
    return DecodeError{DecodeErrc::invalidTime, std::string(field), "no such day in that month"};
  const auto t = sys_days{ymd} + std::chrono::hours{hours} + std::chrono::minutes{minutes} +
                 std::chrono::seconds{seconds};
  time = DeviceTime{time_point_cast<milliseconds>(t), std::nullopt};
  return std::nullopt;
}

Value sfloatValue(std::uint16_t raw, double factor) {
  const MedicalFloat f = decodeSfloat(raw);
  if (f.isSpecial()) return Value::specialValue(f.special);
  if (factor == 1.0) return Value::of(*f.number);
  return Value::converted(*f.number * factor, *f.number);
}

Value scaledValue(double deviceValue, double factor) {
  if (factor == 1.0) return Value::of(deviceValue);
  return Value::converted(deviceValue * factor, deviceValue);
}

bool plausible(const Reading& r) {
  return isPlausible(r);
}

void plxMeasurementStatus(std::uint16_t status, Flags& flags) {
  // Bits 0-4 are reserved; bits 5..15 in order.
  static constexpr Flag kBits[] = {Flag::measurementOngoing,
                                   Flag::earlyEstimate,
                                   Flag::validatedData,
                                   Flag::fullyQualifiedData,
                                   Flag::fromMeasurementStorage,
                                   Flag::demonstrationData,
                                   Flag::testingData,
                                   Flag::calibrationOngoing,
                                   Flag::measurementUnavailable,
                                   Flag::questionableMeasurement,
                                   Flag::invalidMeasurement};
  for (unsigned i = 0; i < 11; ++i)
    if ((static_cast<unsigned>(status) >> (i + 5)) & 1U) flags.set(kBits[i]);
}

void plxDeviceSensorStatus(std::uint32_t status, Flags& flags) {
  // Bits 0..15 in order; 16-23 are reserved.
  static constexpr Flag kBits[] = {Flag::extendedDisplayUpdateOngoing,
                                   Flag::equipmentMalfunction,
                                   Flag::signalProcessingIrregularity,
                                   Flag::inadequateSignal,
                                   Flag::poorSignal,
                                   Flag::lowPerfusion,
                                   Flag::erraticSignal,
                                   Flag::nonpulsatileSignal,
                                   Flag::questionablePulse,
                                   Flag::signalAnalysisOngoing,
                                   Flag::sensorInterference,
                                   Flag::sensorUnconnected,
                                   Flag::unknownSensor,
                                   Flag::sensorDisplaced,
                                   Flag::sensorMalfunction,
                                   Flag::sensorDisconnected};
  for (unsigned i = 0; i < 16; ++i)
    if ((status >> i) & 1U) flags.set(kBits[i]);
}

}  // namespace vigil::devices::detail
