#pragma once
// IEEE 11073-20601 numeric types used by the Bluetooth health profiles.
//
// SFLOAT: 16 bits, a 4-bit signed exponent (high nibble) and a 12-bit signed mantissa; the value
// is mantissa × 10^exponent. FLOAT: 32 bits, an 8-bit signed exponent and a 24-bit signed
// mantissa. With exponent 0, the mantissas 0x7FF/0x7FFFFF (NaN), 0x800/0x800000 (NRes),
// 0x7FE/0x7FFFFE (+INF), 0x802/0x800002 (−INF) and 0x801/0x800001 (reserved) are special values;
// they are reported as such and never turned into numbers.
//
// Negative exponents divide by an exact power of ten instead of multiplying by 0.1^n, so 365e-1
// comes out as the double nearest 36.5.

#include <cstdint>
#include <optional>

#include "vigil/devices/reading.hpp"

namespace vigil::devices {

/// A decoded SFLOAT or FLOAT: a number, or the special value it holds.
struct MedicalFloat {
  std::optional<double> number;
  SpecialValue special = SpecialValue::none;

  bool isSpecial() const { return special != SpecialValue::none; }
};

/// Decodes a 16-bit SFLOAT (host-order value of the little-endian field).
MedicalFloat decodeSfloat(std::uint16_t raw);
/// Decodes a 32-bit FLOAT.
MedicalFloat decodeFloat(std::uint32_t raw);

/// Encodes mantissa × 10^exponent as SFLOAT; nullopt when mantissa is outside [-2048, 2047],
/// exponent outside [-8, 7], or the pair would collide with a special value.
std::optional<std::uint16_t> encodeSfloat(int mantissa, int exponent);
/// Encodes mantissa × 10^exponent as FLOAT; nullopt when out of range (mantissa ±2^23,
/// exponent [-128, 127]) or colliding with a special value.
std::optional<std::uint32_t> encodeFloat(std::int32_t mantissa, int exponent);
/// The raw SFLOAT / FLOAT for a special value (SpecialValue::none and unsuccessful: nullopt).
std::optional<std::uint16_t> sfloatSpecial(SpecialValue special);
std::optional<std::uint32_t> floatSpecial(SpecialValue special);

}  // namespace vigil::devices
