#include "vigil/fleet/device_payload.hpp"

#include <cassert>
#include <cmath>
#include <cstdio>

#include "vigil/devices/gatt.hpp"
#include "vigil/devices/ieee11073.hpp"
#include "vigil/devices/payload.hpp"

namespace vigil::fleet {
namespace {

class ByteWriter {
 public:
  void u8(unsigned v) { out_.push_back(static_cast<std::uint8_t>(v & 0xFFU)); }
  void u16(unsigned v) {
    u8(v);
    u8(v >> 8);
  }
  void u32(std::uint32_t v) {
    u16(v & 0xFFFFU);
    u16(v >> 16);
  }
  /// An SFLOAT of a value with `decimals` decimal places (decimals >= 0).
  void sfloat(double v, int decimals) {
    auto raw = devices::encodeSfloat(static_cast<int>(std::lround(v * std::pow(10.0, decimals))),
                                     -decimals);
    assert(raw && "value out of SFLOAT range");
    u16(*raw);
  }
  void dateTime(DeviceClockTime t) {
    using namespace std::chrono;
    auto days = floor<std::chrono::days>(t);
    year_month_day ymd{days};
    hh_mm_ss<milliseconds> hms{t - days};
    u16(static_cast<unsigned>(static_cast<int>(ymd.year())));
    u8(static_cast<unsigned>(ymd.month()));
    u8(static_cast<unsigned>(ymd.day()));
    u8(static_cast<unsigned>(hms.hours().count()));
    u8(static_cast<unsigned>(hms.minutes().count()));
    u8(static_cast<unsigned>(hms.seconds().count()));
  }
  std::vector<std::uint8_t> take() { return std::move(out_); }

 private:
  std::vector<std::uint8_t> out_;
};

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

std::string utcText(DeviceClockTime t) {
  return devices::formatDeviceTime(devices::DeviceTime{t, 0});
}

}  // namespace

GattValue encodeGatt(const Measurement& m, DeviceClockTime deviceClock, std::uint16_t sequence) {
  namespace gatt = devices::gatt;
  GattValue v;
  ByteWriter w;
  switch (m.device) {
    case VitalDevice::bloodPressure:
      v.characteristic = gatt::kBloodPressureMeasurement;
      w.u8(0x02 | 0x04);  // mmHg, time stamp, pulse rate
      w.sfloat(*m.systolic, 0);
      w.sfloat(*m.diastolic, 0);
      w.sfloat(m.mean.value_or(std::round(*m.diastolic + (*m.systolic - *m.diastolic) / 3)), 0);
      w.dateTime(deviceClock);
      w.sfloat(*m.pulse, 0);
      break;
    case VitalDevice::pulseOximeter:
      v.characteristic = gatt::kPlxSpotCheckMeasurement;
      w.u8(0x01);  // time stamp
      w.sfloat(*m.spo2, 0);
      w.sfloat(*m.pulse, 0);
      w.dateTime(deviceClock);
      break;
    case VitalDevice::weightScale:
      v.characteristic = gatt::kWeightMeasurement;
      w.u8(0x02);                                                    // SI, time stamp
      w.u16(static_cast<unsigned>(std::lround(*m.weightKg * 200)));  // 0.005 kg
      w.dateTime(deviceClock);
      break;
    case VitalDevice::thermometer: {
      v.characteristic = gatt::kTemperatureMeasurement;
      w.u8(0x02 | 0x04);  // Celsius, time stamp, temperature type
      auto raw =
          devices::encodeFloat(static_cast<std::int32_t>(std::lround(*m.temperatureC * 10)), -1);
      assert(raw);
      w.u32(*raw);
      w.dateTime(deviceClock);
      w.u8(6);  // mouth
      break;
    }
    case VitalDevice::glucometer:
      v.characteristic = gatt::kGlucoseMeasurement;
      w.u8(0x02);  // concentration in kg/L, type and location
      w.u16(sequence);
      w.dateTime(deviceClock);
      w.sfloat(*m.glucoseMgDl / 100'000.0, 5);  // mg/dL = kg/L × 10^5
      w.u8(0x11);                               // capillary whole blood, finger
      break;
    case VitalDevice::heartRate:
      v.characteristic = gatt::kHeartRateMeasurement;
      w.u8(0x00);  // 8-bit value, no contact detection
      w.u8(static_cast<unsigned>(std::lround(*m.pulse)));
      break;
  }
  v.bytes = w.take();
  return v;
}

std::string gattPayload(std::uint64_t seq, const GattValue& value, std::string_view address,
                        DeviceClockTime received) {
  return "{\"v\":1,\"seq\":" + std::to_string(seq) + ",\"characteristic\":\"" +
         devices::characteristicName(value.characteristic) + "\",\"data\":\"" +
         devices::encodeBase64(value.bytes) + "\",\"address\":\"" + std::string(address) +
         "\",\"received\":\"" + utcText(received) + "\"}";
}

std::string readingsPayload(std::uint64_t seq, const Measurement& m, DeviceClockTime measured,
                            DeviceClockTime sent, std::optional<int> batteryPercent,
                            const std::string& firmware) {
  const std::string time = "\"time\":\"" + utcText(measured) + "\"";
  auto single = [&](const char* kind, const char* unit, double value) {
    return std::string("{\"kind\":\"") + kind + "\",\"unit\":\"" + unit +
           "\",\"value\":" + number(value) + "," + time + "}";
  };
  std::string readings;
  switch (m.device) {
    case VitalDevice::bloodPressure:
      readings = "{\"kind\":\"blood_pressure\",\"unit\":\"mm[Hg]\",\"components\":{\"systolic\":" +
                 number(*m.systolic) + ",\"diastolic\":" + number(*m.diastolic) +
                 (m.mean ? ",\"mean\":" + number(*m.mean) : std::string()) + "}," + time + "}";
      if (m.pulse) readings += "," + single("heart_rate", "/min", *m.pulse);
      break;
    case VitalDevice::pulseOximeter:
      readings = single("spo2", "%", *m.spo2) + "," + single("heart_rate", "/min", *m.pulse);
      break;
    case VitalDevice::weightScale:
      readings = single("body_weight", "kg", *m.weightKg);
      break;
    case VitalDevice::thermometer:
      readings = single("body_temperature", "Cel", *m.temperatureC);
      break;
    case VitalDevice::glucometer:
      readings = single("glucose", "mg/dL", *m.glucoseMgDl);
      break;
    case VitalDevice::heartRate:
      readings = single("heart_rate", "/min", *m.pulse);
      break;
  }
  std::string out =
      "{\"v\":1,\"seq\":" + std::to_string(seq) + ",\"sent\":\"" + utcText(sent) + "\"";
  if (batteryPercent) out += ",\"battery\":" + std::to_string(*batteryPercent);
  if (!firmware.empty()) out += ",\"firmware\":\"" + firmware + "\"";  // [A-Za-z0-9._+~-]
  return out + ",\"readings\":[" + readings + "]}";
}

std::string bleAddressFor(std::string_view uid) {
  // FNV-1a of the uid: stable across runs, different per device.
  std::uint64_t h = 14695981039346656037ULL;
  for (char c : uid) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  char buf[18];
  std::snprintf(buf, sizeof buf, "C4:%02X:%02X:%02X:%02X:%02X", static_cast<unsigned>(h & 0xFF),
                static_cast<unsigned>((h >> 8) & 0xFF), static_cast<unsigned>((h >> 16) & 0xFF),
                static_cast<unsigned>((h >> 24) & 0xFF), static_cast<unsigned>((h >> 32) & 0xFF));
  return buf;
}

}  // namespace vigil::fleet
