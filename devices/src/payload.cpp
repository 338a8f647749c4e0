#include "vigil/devices/payload.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>

#include "json.hpp"
#include "vigil/devices/gatt.hpp"

namespace vigil::devices {
namespace {

using detail::JsonValue;
using Type = JsonValue::Type;

// ---- units accepted in the readings schema --------------------------------------------------

/// An input unit for a kind and how it maps to the stored unit: stored = (v + offset) × scale.
struct UnitRule {
  ReadingKind kind;
  std::string_view unit;
  std::string_view stored;
  double scale;
  double offset;
};

constexpr UnitRule kUnitRules[] = {
    {ReadingKind::bloodPressure, ucum::kMmHg, ucum::kMmHg, 1, 0},
    {ReadingKind::bloodPressure, ucum::kKPa, ucum::kMmHg, conversion::kMmHgPerKPa, 0},
    {ReadingKind::cuffPressure, ucum::kMmHg, ucum::kMmHg, 1, 0},
    {ReadingKind::cuffPressure, ucum::kKPa, ucum::kMmHg, conversion::kMmHgPerKPa, 0},
    {ReadingKind::heartRate, ucum::kPerMinute, ucum::kPerMinute, 1, 0},
    {ReadingKind::rrInterval, ucum::kSecond, ucum::kSecond, 1, 0},
    {ReadingKind::rrInterval, "ms", ucum::kSecond, 0.001, 0},
    {ReadingKind::energyExpended, ucum::kKiloJoule, ucum::kKiloJoule, 1, 0},
    {ReadingKind::energyExpended, "kcal", ucum::kKiloJoule, 4.184, 0},
    {ReadingKind::spo2, ucum::kPercent, ucum::kPercent, 1, 0},
    {ReadingKind::pulseAmplitudeIndex, ucum::kPercent, ucum::kPercent, 1, 0},
    {ReadingKind::bodyWeight, ucum::kKg, ucum::kKg, 1, 0},
    {ReadingKind::bodyWeight, ucum::kPound, ucum::kKg, conversion::kKgPerPound, 0},
    {ReadingKind::bodyHeight, ucum::kCm, ucum::kCm, 1, 0},
    {ReadingKind::bodyHeight, ucum::kMeter, ucum::kCm, 100, 0},
    {ReadingKind::bodyHeight, ucum::kInch, ucum::kCm, conversion::kCmPerInch, 0},
    {ReadingKind::bmi, ucum::kKgPerM2, ucum::kKgPerM2, 1, 0},
    {ReadingKind::bodyTemperature, ucum::kCelsius, ucum::kCelsius, 1, 0},
    {ReadingKind::bodyTemperature, ucum::kFahrenheit, ucum::kCelsius, 5.0 / 9.0, -32},
    {ReadingKind::glucose, ucum::kMgPerDl, ucum::kMgPerDl, 1, 0},
    {ReadingKind::glucose, ucum::kMmolPerL, ucum::kMgPerDl, conversion::kGlucoseMolarMass / 10.0,
     0},
    {ReadingKind::carbohydrateIntake, ucum::kGram, ucum::kGram, 1, 0},
    {ReadingKind::exerciseDuration, ucum::kSecond, ucum::kSecond, 1, 0},
    {ReadingKind::exerciseDuration, "min", ucum::kSecond, 60, 0},
    {ReadingKind::exerciseIntensity, ucum::kPercent, ucum::kPercent, 1, 0},
    {ReadingKind::medicationDose, ucum::kMilligram, ucum::kMilligram, 1, 0},
    {ReadingKind::medicationDose, ucum::kMilliliter, ucum::kMilliliter, 1, 0},
    {ReadingKind::hba1c, ucum::kPercent, ucum::kPercent, 1, 0},
    {ReadingKind::respiratoryRate, ucum::kPerMinute, ucum::kPerMinute, 1, 0},
};

const UnitRule* unitRule(ReadingKind kind, std::string_view unit) {
  for (const auto& r : kUnitRules)
    if (r.kind == kind && r.unit == unit) return &r;
  return nullptr;
}

std::string_view defaultLoinc(ReadingKind kind) {
  switch (kind) {
    case ReadingKind::bloodPressure:
      return loinc::kBloodPressurePanel;
    case ReadingKind::heartRate:
      return loinc::kHeartRate;
    case ReadingKind::spo2:
      return loinc::kSpo2;
    case ReadingKind::bodyWeight:
      return loinc::kBodyWeight;
    case ReadingKind::bodyHeight:
      return loinc::kBodyHeight;
    case ReadingKind::bmi:
      return loinc::kBmi;
    case ReadingKind::bodyTemperature:
      return loinc::kBodyTemperature;
    case ReadingKind::glucose:
      return loinc::kGlucoseBlood;
    case ReadingKind::hba1c:
      return loinc::kHba1c;
    case ReadingKind::respiratoryRate:
      return loinc::kRespiratoryRate;
    default:
      return {};
  }
}

struct PanelPart {
  std::string_view name;
  std::string_view loinc;
  bool required;
};
constexpr PanelPart kBloodPressureParts[] = {{"systolic", loinc::kSystolic, true},
                                             {"diastolic", loinc::kDiastolic, true},
                                             {"mean", loinc::kMeanPressure, false}};

// ---- errors ----------------------------------------------------------------------------------

DecodeError err(DecodeErrc code, std::string field, std::string detail) {
  return DecodeError{code, std::move(field), std::move(detail)};
}

const char* typeName(Type t) {
  switch (t) {
    case Type::null:
      return "null";
    case Type::boolean:
      return "a boolean";
    case Type::number:
      return "a number";
    case Type::string:
      return "a string";
    case Type::array:
      return "an array";
    case Type::object:
      return "an object";
  }
  return "?";
}

std::optional<DecodeError> expectType(const JsonValue& v, Type t, const std::string& field) {
  if (v.type == t) return std::nullopt;
  return err(DecodeErrc::malformed, field,
             std::string("must be ") + typeName(t) + ", not " + typeName(v.type));
}

/// Refuses members not in `allowed` ("ext" is always allowed and must be an object).
/// A member name as an error may name it: echoed only when it looks like a schema member
/// (snake_case, short), else "?". It comes from the sender and must not carry free text (PHI)
/// into logs or the quarantine table, and an error always names a field.
std::string memberForError(const std::string& k) {
  bool identifier = !k.empty() && k.size() <= 32;
  for (char c : k)
    identifier = identifier && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_');
  return identifier ? k : std::string("?");
}

std::optional<DecodeError> onlyKnownMembers(const JsonValue& obj,
                                            std::initializer_list<std::string_view> allowed,
                                            const std::string& prefix) {
  for (const auto& [k, v] : obj.members) {
    if (k == "ext") {
      if (auto e = expectType(v, Type::object, prefix + "ext")) return e;
      continue;
    }
    bool known = false;
    for (auto a : allowed) known = known || a == k;
    if (!known) return err(DecodeErrc::malformed, prefix + memberForError(k), "unknown field");
  }
  return std::nullopt;
}

std::optional<DecodeError> parseVersion(const JsonValue& root) {
  const JsonValue* v = root.member("v");
  if (!v) return err(DecodeErrc::malformed, "v", "missing");
  const auto n = detail::jsonUnsigned(*v, 1000);
  if (!n) return err(DecodeErrc::malformed, "v", "must be a small non-negative integer");
  if (*n != 1) return err(DecodeErrc::unsupported, "v", "unsupported schema version");
  return std::nullopt;
}

std::optional<DecodeError> parseSeq(const JsonValue& root, std::optional<std::uint64_t>& seq) {
  const JsonValue* s = root.member("seq");
  if (!s) return err(DecodeErrc::malformed, "seq", "missing");
  // Up to 2^53 so any JSON implementation on the hub can produce it exactly.
  seq = detail::jsonUnsigned(*s, std::uint64_t{1} << 53);
  if (!seq) return err(DecodeErrc::malformed, "seq", "must be an integer in [0, 2^53]");
  return std::nullopt;
}

std::optional<DecodeError> parseTimeField(const JsonValue* v, const std::string& field,
                                          bool requireOffset, std::optional<DeviceTime>& out) {
  if (!v) return std::nullopt;
  if (auto e = expectType(*v, Type::string, field)) return e;
  out = parseDeviceTime(v->string);
  if (!out) return err(DecodeErrc::malformed, field, "not an RFC 3339 date-time");
  if (requireOffset && out->isLocal())
    return err(DecodeErrc::malformed, field, "needs a UTC offset or Z");
  return std::nullopt;
}

std::optional<DecodeError> parseReading(const JsonValue& v, const std::string& p, Reading& r) {
  if (auto e = expectType(v, Type::object, p)) return e;
  if (auto e = onlyKnownMembers(
          v, {"kind", "unit", "value", "components", "time", "seq", "user", "flags"}, p + "."))
    return e;
  const JsonValue* kind = v.member("kind");
  if (!kind) return err(DecodeErrc::malformed, p + ".kind", "missing");
  if (auto e = expectType(*kind, Type::string, p + ".kind")) return e;
  const auto k = readingKindFromName(kind->string);
  if (!k || *k == ReadingKind::glucoseContext)
    return err(DecodeErrc::unsupported, p + ".kind", "unknown reading kind");
  r.kind = *k;
  r.loinc = defaultLoinc(*k);

  const JsonValue* unit = v.member("unit");
  if (!unit) return err(DecodeErrc::malformed, p + ".unit", "missing");
  if (auto e = expectType(*unit, Type::string, p + ".unit")) return e;
  const UnitRule* rule = unitRule(*k, unit->string);
  if (!rule) return err(DecodeErrc::unsupported, p + ".unit", "unit not accepted for this kind");
  r.unit = rule->stored;
  const bool converts = rule->scale != 1.0 || rule->offset != 0.0;
  if (converts) r.originalUnit = rule->unit;
  auto toValue = [&](double device) {
    return converts ? Value::converted((device + rule->offset) * rule->scale, device)
                    : Value::of(device);
  };

  const JsonValue* value = v.member("value");
  const JsonValue* components = v.member("components");
  if (*k == ReadingKind::bloodPressure) {
    if (value) return err(DecodeErrc::malformed, p + ".value", "a panel has components, not value");
    if (!components) return err(DecodeErrc::malformed, p + ".components", "missing");
    if (auto e = expectType(*components, Type::object, p + ".components")) return e;
    if (auto e =
            onlyKnownMembers(*components, {"systolic", "diastolic", "mean"}, p + ".components."))
      return e;
    for (const auto& part : kBloodPressureParts) {
      const JsonValue* c = components->member(part.name);
      const std::string field = p + ".components." + std::string(part.name);
      if (!c) {
        if (part.required) return err(DecodeErrc::malformed, field, "missing");
        continue;
      }
      if (auto e = expectType(*c, Type::number, field)) return e;
      r.components.push_back({part.name, part.loinc, toValue(c->number)});
    }
  } else {
    if (components)
      return err(DecodeErrc::malformed, p + ".components", "only panels have components");
    if (!value) return err(DecodeErrc::malformed, p + ".value", "missing");
    if (auto e = expectType(*value, Type::number, p + ".value")) return e;
    r.value = toValue(value->number);
  }
  if (!isPlausible(r))
    return err(DecodeErrc::impossibleValue, p + (r.isPanel() ? ".components" : ".value"),
               "outside the physiologically possible range");

  if (auto e = parseTimeField(v.member("time"), p + ".time", false, r.time)) return e;
  if (const JsonValue* s = v.member("seq")) {
    const auto n = detail::jsonUnsigned(*s, 0xFFFFFFFFULL);
    if (!n) return err(DecodeErrc::malformed, p + ".seq", "must be an integer in [0, 2^32)");
    r.sequence = static_cast<std::uint32_t>(*n);
  }
  if (const JsonValue* u = v.member("user")) {
    const auto n = detail::jsonUnsigned(*u, 254);
    if (!n) return err(DecodeErrc::malformed, p + ".user", "must be an integer in [0, 254]");
    r.userId = static_cast<std::uint8_t>(*n);
  }
  if (const JsonValue* f = v.member("flags")) {
    if (auto e = expectType(*f, Type::array, p + ".flags")) return e;
    if (f->items.size() > PayloadLimits::kMaxFlags)
      return err(DecodeErrc::oversized, p + ".flags", "too many flags");
    for (std::size_t i = 0; i < f->items.size(); ++i) {
      const std::string field = p + ".flags[" + std::to_string(i) + "]";
      if (auto e = expectType(f->items[i], Type::string, field)) return e;
      const auto flag = flagFromName(f->items[i].string);
      if (!flag) return err(DecodeErrc::unsupported, field, "unknown flag");
      if (r.flags.has(*flag)) return err(DecodeErrc::malformed, field, "flag repeated");
      r.flags.set(*flag);
    }
  }
  return std::nullopt;
}

struct Parsed {
  std::optional<JsonValue> root;
  std::optional<DecodeError> error;
};

Parsed parseDocument(std::string_view json) {
  Parsed out;
  if (json.size() > PayloadLimits::kMaxBytes) {
    out.error = err(DecodeErrc::oversized, "payload", "larger than 64 KiB");
    return out;
  }
  detail::JsonLimits limits;
  limits.maxDepth = PayloadLimits::kMaxDepth;
  limits.maxValues = PayloadLimits::kMaxValues;
  limits.maxStringBytes = 4 * PayloadLimits::kMaxDataBytes;
  auto parsed = detail::parseJson(json, limits);
  if (!parsed.value) {
    out.error = err(DecodeErrc::malformed, "payload", parsed.error);
    return out;
  }
  if (parsed.value->type != Type::object) {
    out.error = err(DecodeErrc::malformed, "payload", "must be a JSON object");
    return out;
  }
  out.root = std::move(parsed.value);
  return out;
}

/// Every string except "data" must respect kMaxStringBytes (checked after parsing).
std::optional<DecodeError> checkStringSizes(const JsonValue& v, const std::string& field) {
  if (v.type == Type::string && v.string.size() > PayloadLimits::kMaxStringBytes)
    return err(DecodeErrc::oversized, field, "string too long");
  for (const auto& [k, m] : v.members) {
    if (k.size() > PayloadLimits::kMaxStringBytes)
      return err(DecodeErrc::oversized, field.empty() ? std::string("payload") : field,
                 "member name too long");
    if (field.empty() && k == "data") continue;
    const auto name = memberForError(k);
    if (auto e = checkStringSizes(m, field.empty() ? name : field + "." + name)) return e;
  }
  for (const auto& i : v.items)
    if (auto e = checkStringSizes(i, field)) return e;
  return std::nullopt;
}

PayloadResult failWith(DecodeError e, std::optional<std::uint64_t> seq) {
  PayloadResult r;
  r.error = std::move(e);
  r.seq = seq;
  return r;
}

bool validAddress(std::string_view a) {
  if (a.size() != 17) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const char c = a[i];
    if (i % 3 == 2) {
      if (c != ':') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return true;
}

}  // namespace

PayloadResult decodeReadingsPayload(std::string_view json) {
  Parsed parsed = parseDocument(json);
  if (parsed.error) return failWith(std::move(*parsed.error), std::nullopt);
  const JsonValue& root = *parsed.root;
  std::optional<std::uint64_t> seq;
  if (auto e = parseSeq(root, seq)) return failWith(std::move(*e), std::nullopt);
  if (auto e = parseVersion(root)) return failWith(std::move(*e), seq);
  if (auto e = checkStringSizes(root, {})) return failWith(std::move(*e), seq);
  if (auto e = onlyKnownMembers(root, {"v", "seq", "sent", "battery", "firmware", "readings"}, ""))
    return failWith(std::move(*e), seq);

  DecodedPayload out;
  out.seq = *seq;
  std::optional<DeviceTime> sent;
  if (auto e = parseTimeField(root.member("sent"), "sent", true, sent))
    return failWith(std::move(*e), seq);
  if (sent) out.sentAt = sent->utc();
  if (const JsonValue* b = root.member("battery")) {
    const auto n = detail::jsonUnsigned(*b, 100);
    if (!n)
      return failWith(err(DecodeErrc::malformed, "battery", "must be an integer in [0, 100]"), seq);
    out.batteryPercent = static_cast<int>(*n);
  }
  if (const JsonValue* f = root.member("firmware")) {
    if (auto e = expectType(*f, Type::string, "firmware")) return failWith(std::move(*e), seq);
    const auto& v = f->string;
    const bool ok = !v.empty() && v.size() <= 64 && std::all_of(v.begin(), v.end(), [](char c) {
      return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
             c == '.' || c == '_' || c == '+' || c == '~' || c == '-';
    });
    if (!ok)
      return failWith(err(DecodeErrc::malformed, "firmware", "must match [A-Za-z0-9._+~-]{1,64}"),
                      seq);
    out.firmware = v;
  }
  const JsonValue* readings = root.member("readings");
  if (!readings) return failWith(err(DecodeErrc::malformed, "readings", "missing"), seq);
  if (auto e = expectType(*readings, Type::array, "readings")) return failWith(std::move(*e), seq);
  if (readings->items.empty())
    return failWith(err(DecodeErrc::malformed, "readings", "must not be empty"), seq);
  if (readings->items.size() > PayloadLimits::kMaxReadings)
    return failWith(err(DecodeErrc::oversized, "readings", "more than 200 readings"), seq);
  out.readings.resize(readings->items.size());
  for (std::size_t i = 0; i < readings->items.size(); ++i) {
    if (auto e = parseReading(readings->items[i], "readings[" + std::to_string(i) + "]",
                              out.readings[i]))
      return failWith(std::move(*e), seq);
  }
  PayloadResult r;
  r.seq = seq;
  r.payload = std::move(out);
  return r;
}

PayloadResult decodeGattPayload(std::string_view json) {
  Parsed parsed = parseDocument(json);
  if (parsed.error) return failWith(std::move(*parsed.error), std::nullopt);
  const JsonValue& root = *parsed.root;
  std::optional<std::uint64_t> seq;
  if (auto e = parseSeq(root, seq)) return failWith(std::move(*e), std::nullopt);
  if (auto e = parseVersion(root)) return failWith(std::move(*e), seq);
  if (auto e = checkStringSizes(root, {})) return failWith(std::move(*e), seq);
  if (auto e = onlyKnownMembers(
          root, {"v", "seq", "characteristic", "data", "address", "address_type", "received"}, ""))
    return failWith(std::move(*e), seq);

  DecodedPayload out;
  out.seq = *seq;
  const JsonValue* ch = root.member("characteristic");
  if (!ch) return failWith(err(DecodeErrc::malformed, "characteristic", "missing"), seq);
  if (auto e = expectType(*ch, Type::string, "characteristic")) return failWith(std::move(*e), seq);
  const auto uuid = parseCharacteristicUuid(ch->string);
  if (!uuid)
    return failWith(err(DecodeErrc::malformed, "characteristic", "not a 16-bit or base UUID"), seq);
  if (!isSupportedCharacteristic(*uuid))
    return failWith(
        err(DecodeErrc::unsupported, "characteristic", "not a characteristic we decode"), seq);
  out.characteristic = *uuid;

  const JsonValue* addr = root.member("address");
  if (!addr) return failWith(err(DecodeErrc::malformed, "address", "missing"), seq);
  if (auto e = expectType(*addr, Type::string, "address")) return failWith(std::move(*e), seq);
  if (!validAddress(addr->string))
    return failWith(err(DecodeErrc::malformed, "address", "must be XX:XX:XX:XX:XX:XX"), seq);
  out.address = addr->string;
  if (const JsonValue* t = root.member("address_type")) {
    if (auto e = expectType(*t, Type::string, "address_type")) return failWith(std::move(*e), seq);
    if (t->string != "public" && t->string != "random")
      return failWith(err(DecodeErrc::malformed, "address_type", "must be public or random"), seq);
  }
  std::optional<DeviceTime> received;
  const JsonValue* rec = root.member("received");
  if (!rec) return failWith(err(DecodeErrc::malformed, "received", "missing"), seq);
  if (auto e = parseTimeField(rec, "received", true, received)) return failWith(std::move(*e), seq);
  out.receivedAt = received->utc();

  const JsonValue* data = root.member("data");
  if (!data) return failWith(err(DecodeErrc::malformed, "data", "missing"), seq);
  if (auto e = expectType(*data, Type::string, "data")) return failWith(std::move(*e), seq);
  if (data->string.size() > (PayloadLimits::kMaxDataBytes + 2) / 3 * 4)
    return failWith(err(DecodeErrc::oversized, "data", "longer than 512 bytes"), seq);
  const auto bytes = decodeBase64(data->string);
  if (!bytes) return failWith(err(DecodeErrc::malformed, "data", "not valid base64"), seq);
  if (bytes->empty()) return failWith(err(DecodeErrc::malformed, "data", "empty"), seq);
  if (bytes->size() > PayloadLimits::kMaxDataBytes)  // 684 base64 characters hold 513 bytes
    return failWith(err(DecodeErrc::oversized, "data", "longer than 512 bytes"), seq);
  DecodeResult decoded = decodeCharacteristic(*uuid, *bytes);
  if (!decoded.ok()) {
    DecodeError e = std::move(*decoded.error);
    e.field = "data." + e.field;
    return failWith(std::move(e), seq);
  }
  out.readings = std::move(decoded.readings);
  PayloadResult r;
  r.seq = seq;
  r.payload = std::move(out);
  return r;
}

PayloadResult decodeAnyPayload(std::string_view json) {
  // Cheap structural peek; the chosen decoder parses again strictly.
  Parsed parsed = parseDocument(json);
  if (parsed.error) return failWith(std::move(*parsed.error), std::nullopt);
  return parsed.root->member("characteristic") ? decodeGattPayload(json)
                                               : decodeReadingsPayload(json);
}

// ---- time -------------------------------------------------------------------------------------

std::optional<DeviceTime> parseDeviceTime(std::string_view s) {
  auto num = [&](std::size_t pos, std::size_t len, int& out) {
    if (pos + len > s.size()) return false;
    out = 0;
    for (std::size_t i = pos; i < pos + len; ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
      out = out * 10 + (s[i] - '0');
    }
    return true;
  };
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, se = 0;
  if (s.size() < 19 || !num(0, 4, y) || s[4] != '-' || !num(5, 2, mo) || s[7] != '-' ||
      !num(8, 2, d) || (s[10] != 'T' && s[10] != 't') || !num(11, 2, h) || s[13] != ':' ||
      !num(14, 2, mi) || s[16] != ':' || !num(17, 2, se))
    return std::nullopt;
  using namespace std::chrono;
  const year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)},
                           day{static_cast<unsigned>(d)}};
  if (y < 1582 || !ymd.ok() || h > 23 || mi > 59 || se > 59) return std::nullopt;
  std::size_t pos = 19;
  int millis = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    const std::size_t start = pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (pos - start < 3) millis = millis * 10 + (s[pos] - '0');
      ++pos;
    }
    const std::size_t digits = pos - start;
    if (digits == 0 || digits > 9) return std::nullopt;
    for (std::size_t i = digits; i < 3; ++i) millis *= 10;
  }
  DeviceTime t;
  t.wallClock = time_point_cast<milliseconds>(sys_days{ymd}) + hours{h} + minutes{mi} +
                seconds{se} + milliseconds{millis};
  if (pos == s.size()) return t;  // device-local
  if ((s[pos] == 'Z' || s[pos] == 'z') && pos + 1 == s.size()) {
    t.utcOffsetMinutes = 0;
    return t;
  }
  int oh = 0, om = 0;
  if ((s[pos] != '+' && s[pos] != '-') || s.size() != pos + 6 || !num(pos + 1, 2, oh) ||
      s[pos + 3] != ':' || !num(pos + 4, 2, om) || oh > 18 || om > 59)
    return std::nullopt;
  const int offset = oh * 60 + om;
  if (offset > 18 * 60) return std::nullopt;
  t.utcOffsetMinutes = s[pos] == '-' ? -offset : offset;
  return t;
}

std::string formatDeviceTime(const DeviceTime& time) {
  using namespace std::chrono;
  const auto days = floor<std::chrono::days>(time.wallClock);
  const year_month_day ymd{days};
  const auto ms = (time.wallClock - days).count();
  const long long h = ms / 3'600'000, mi = ms / 60'000 % 60, se = ms / 1000 % 60, frac = ms % 1000;
  char buf[48];
  int n = std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02lld:%02lld:%02lld",
                        static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                        static_cast<unsigned>(ymd.day()), h, mi, se);
  std::string out(buf, static_cast<std::size_t>(n));
  if (frac != 0) {
    n = std::snprintf(buf, sizeof buf, ".%03lld", frac);
    out.append(buf, static_cast<std::size_t>(n));
  }
  if (time.utcOffsetMinutes) {
    const int off = *time.utcOffsetMinutes;
    if (off == 0) {
      out += 'Z';
    } else {
      const int a = off < 0 ? -off : off;
      n = std::snprintf(buf, sizeof buf, "%c%02d:%02d", off < 0 ? '-' : '+', a / 60, a % 60);
      out.append(buf, static_cast<std::size_t>(n));
    }
  }
  return out;
}

// ---- base64 -----------------------------------------------------------------------------------

std::optional<std::vector<std::uint8_t>> decodeBase64(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  auto sextet = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::vector<std::uint8_t> out;
  out.reserve(text.size() / 4 * 3);
  for (std::size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    int v[4];
    int pad = 0;
    for (int j = 0; j < 4; ++j) {
      const char c = text[i + static_cast<std::size_t>(j)];
      if (c == '=' && last && j >= 2) {
        ++pad;
        v[j] = 0;
        continue;
      }
      if (pad) return std::nullopt;  // data after padding
      v[j] = sextet(c);
      if (v[j] < 0) return std::nullopt;
    }
    const auto triple =
        static_cast<std::uint32_t>((v[0] << 18) | (v[1] << 12) | (v[2] << 6) | v[3]);
    // Canonical form: bits under the padding must be zero.
    if ((pad == 1 && (triple & 0xFFU)) || (pad == 2 && (triple & 0xFFFFU))) return std::nullopt;
    out.push_back(static_cast<std::uint8_t>(triple >> 16));
    if (pad < 2) out.push_back(static_cast<std::uint8_t>((triple >> 8) & 0xFFU));
    if (pad < 1) out.push_back(static_cast<std::uint8_t>(triple & 0xFFU));
  }
  return out;
}

std::string encodeBase64(std::span<const std::uint8_t> bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    const std::size_t n = bytes.size() - i < 3 ? bytes.size() - i : 3;
    std::uint32_t t = static_cast<std::uint32_t>(bytes[i]) << 16;
    if (n > 1) t |= static_cast<std::uint32_t>(bytes[i + 1]) << 8;
    if (n > 2) t |= bytes[i + 2];
    out.push_back(kAlphabet[(t >> 18) & 63]);
    out.push_back(kAlphabet[(t >> 12) & 63]);
    out.push_back(n > 1 ? kAlphabet[(t >> 6) & 63] : '=');
    out.push_back(n > 2 ? kAlphabet[t & 63] : '=');
  }
  return out;
}

}  // namespace vigil::devices
