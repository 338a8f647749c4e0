#pragma once
// Decoders for the Bluetooth SIG health characteristics, one per characteristic, and a
// dispatcher by 16-bit UUID. Input is the characteristic value exactly as notified/indicated
// (little-endian, flags first).
//
// Strictness (trade-off): a reserved bit set in a *flags* field is refused (reserved_flags),
// because a future flag may add a field and we would then read every later field from the wrong
// offset; bytes left over after the last announced field are refused (trailing_bytes) for the
// same reason. Reserved bits in *status* fields (measurement status, sensor status) do not move
// fields and are ignored, as the specifications ask of receivers. An enumerated field holding a
// reserved value (temperature type 0, meal 9 …) is refused (reserved_value). Date Time fields
// with "unknown" zeros (year, month or day 0) leave the reading without a time; out-of-range
// fields are refused (invalid_time).
//
// Units: values are converted to the unit we store (mm[Hg], /min, %, kg, cm, Cel, mg/dL) and the
// device's own unit and number are kept in Reading::originalUnit / Value::original.

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "vigil/devices/decode_result.hpp"

namespace vigil::devices {

/// 16-bit UUIDs of the characteristics we decode.
namespace gatt {
inline constexpr std::uint16_t kDateTime = 0x2A08;
inline constexpr std::uint16_t kGlucoseMeasurement = 0x2A18;
inline constexpr std::uint16_t kTemperatureMeasurement = 0x2A1C;
inline constexpr std::uint16_t kGlucoseMeasurementContext = 0x2A34;
inline constexpr std::uint16_t kBloodPressureMeasurement = 0x2A35;
inline constexpr std::uint16_t kIntermediateCuffPressure = 0x2A36;
inline constexpr std::uint16_t kHeartRateMeasurement = 0x2A37;
inline constexpr std::uint16_t kPlxSpotCheckMeasurement = 0x2A5E;
inline constexpr std::uint16_t kPlxContinuousMeasurement = 0x2A5F;
inline constexpr std::uint16_t kWeightMeasurement = 0x2A9D;
}  // namespace gatt

using Bytes = std::span<const std::uint8_t>;

/// Blood Pressure Measurement (0x2A35): one blood_pressure panel, plus heart_rate when the pulse
/// rate is present. Flags: kPa/mmHg, time stamp, pulse rate, user id, measurement status.
DecodeResult decodeBloodPressure(Bytes value);
/// Intermediate Cuff Pressure (0x2A36): one cuff_pressure reading (the systolic field; the
/// diastolic and mean fields are unused), plus heart_rate when present.
DecodeResult decodeIntermediateCuffPressure(Bytes value);
/// Heart Rate Measurement (0x2A37): heart_rate, then energy_expended (kJ) when present, then one
/// rr_interval (s) per RR value. Sensor contact flags go on the heart_rate reading.
DecodeResult decodeHeartRate(Bytes value);
/// PLX Spot-Check Measurement (0x2A5E): spo2 and heart_rate (pulse rate), plus
/// pulse_amplitude_index when present.
DecodeResult decodePlxSpotCheck(Bytes value);
/// PLX Continuous Measurement (0x2A5F): spo2 and heart_rate for the normal averaging, then for
/// the fast and slow averagings (flagged fast_response / slow_response), plus
/// pulse_amplitude_index when present.
DecodeResult decodePlxContinuous(Bytes value);
/// Weight Measurement (0x2A9D): body_weight, plus bmi and body_height when present.
DecodeResult decodeWeight(Bytes value);
/// Temperature Measurement (0x2A1C): body_temperature; the temperature type becomes tag "site".
DecodeResult decodeTemperature(Bytes value);
/// Glucose Measurement (0x2A18): glucose with the device's sequence number; tags "sample_type"
/// and "sample_location". Without the concentration field there is nothing to store: no reading.
DecodeResult decodeGlucose(Bytes value);
/// Glucose Measurement Context (0x2A34): a glucose_context reading carrying the sequence number
/// and tags (meal, tester, health, carbohydrate, medication), plus carbohydrate_intake,
/// exercise_duration, exercise_intensity, medication_dose and hba1c readings when present, all
/// with the same sequence number so they can be joined to the measurement.
DecodeResult decodeGlucoseContext(Bytes value);

/// Date Time (0x2A08) as a device-local time; nullopt time with ok status when the device marks
/// the date as unknown (zeros).
struct DateTimeResult {
  std::optional<DeviceTime> time;
  std::optional<DecodeError> error;
  bool ok() const { return !error.has_value(); }
};
DateTimeResult decodeDateTime(Bytes value);

/// Decodes by 16-bit UUID; unsupported for a characteristic we do not know. Date Time yields no
/// readings (use decodeDateTime).
DecodeResult decodeCharacteristic(std::uint16_t uuid, Bytes value);
/// True for the UUIDs decodeCharacteristic understands.
bool isSupportedCharacteristic(std::uint16_t uuid);

/// Parses "2A35", "0x2a35" or the full Bluetooth-base form
/// "00002a35-0000-1000-8000-00805f9b34fb" into the 16-bit UUID.
std::optional<std::uint16_t> parseCharacteristicUuid(std::string_view text);
/// "2A35"
std::string characteristicName(std::uint16_t uuid);

}  // namespace vigil::devices
