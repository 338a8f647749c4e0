#include "vigil/devices/ieee11073.hpp"

#include <array>

namespace vigil::devices {
namespace {

constexpr std::array<double, 11> kPow10 = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10};

double pow10(int e) {
  if (e >= 0 && e < static_cast<int>(kPow10.size())) return kPow10[static_cast<std::size_t>(e)];
  double r = 1;
  for (int i = 0; i < (e < 0 ? -e : e); ++i) r *= 10;
  return r;
}

// mantissa × 10^exponent, dividing for negative exponents so 365e-1 is the double nearest 36.5.
double scale(std::int32_t mantissa, int exponent) {
  const double m = static_cast<double>(mantissa);
  return exponent >= 0 ? m * pow10(exponent) : m / pow10(-exponent);
}

SpecialValue specialFromMantissa(std::int32_t offsetFromNan) {
  // offsetFromNan: mantissa − NaN mantissa (0x7FF or 0x7FFFFF), for mantissas in [NaN-1, NaN+3].
  switch (offsetFromNan) {
    case -1:
      return SpecialValue::positiveInfinity;
    case 0:
      return SpecialValue::nan;
    case 1:
      return SpecialValue::nres;
    case 2:
      return SpecialValue::reserved;
    case 3:
      return SpecialValue::negativeInfinity;
    default:
      return SpecialValue::none;
  }
}

}  // namespace

MedicalFloat decodeSfloat(std::uint16_t raw) {
  const std::uint32_t m = raw & 0x0FFFU;
  const std::uint32_t e = static_cast<std::uint32_t>(raw >> 12) & 0x0FU;
  if (e == 0 && m >= 0x7FE && m <= 0x802)
    return {std::nullopt, specialFromMantissa(static_cast<std::int32_t>(m) - 0x7FF)};
  const std::int32_t mantissa =
      m >= 0x800 ? static_cast<std::int32_t>(m) - 0x1000 : static_cast<std::int32_t>(m);
  const int exponent = e >= 0x8 ? static_cast<int>(e) - 0x10 : static_cast<int>(e);
  return {scale(mantissa, exponent), SpecialValue::none};
}

MedicalFloat decodeFloat(std::uint32_t raw) {
  const std::uint32_t m = raw & 0x00FFFFFFU;
  const std::uint32_t e = raw >> 24;
  if (e == 0 && m >= 0x7FFFFE && m <= 0x800002)
    return {std::nullopt, specialFromMantissa(static_cast<std::int32_t>(m) - 0x7FFFFF)};
  const std::int32_t mantissa =
      m >= 0x800000 ? static_cast<std::int32_t>(m) - 0x1000000 : static_cast<std::int32_t>(m);
  const int exponent = e >= 0x80 ? static_cast<int>(e) - 0x100 : static_cast<int>(e);
  return {scale(mantissa, exponent), SpecialValue::none};
}

std::optional<std::uint16_t> encodeSfloat(int mantissa, int exponent) {
  if (mantissa < -2048 || mantissa > 2047 || exponent < -8 || exponent > 7) return std::nullopt;
  const auto m = static_cast<std::uint32_t>(mantissa) & 0x0FFFU;
  const auto e = static_cast<std::uint32_t>(exponent) & 0x0FU;
  if (e == 0 && m >= 0x7FE && m <= 0x802) return std::nullopt;
  return static_cast<std::uint16_t>((e << 12) | m);
}

std::optional<std::uint32_t> encodeFloat(std::int32_t mantissa, int exponent) {
  if (mantissa < -0x800000 || mantissa > 0x7FFFFF || exponent < -128 || exponent > 127)
    return std::nullopt;
  const auto m = static_cast<std::uint32_t>(mantissa) & 0x00FFFFFFU;
  const auto e = static_cast<std::uint32_t>(exponent) & 0xFFU;
  if (e == 0 && m >= 0x7FFFFE && m <= 0x800002) return std::nullopt;
  return (e << 24) | m;
}

std::optional<std::uint16_t> sfloatSpecial(SpecialValue special) {
  switch (special) {
    case SpecialValue::nan:
      return 0x07FF;
    case SpecialValue::nres:
      return 0x0800;
    case SpecialValue::positiveInfinity:
      return 0x07FE;
    case SpecialValue::negativeInfinity:
      return 0x0802;
    case SpecialValue::reserved:
      return 0x0801;
    default:
      return std::nullopt;
  }
}

std::optional<std::uint32_t> floatSpecial(SpecialValue special) {
  switch (special) {
    case SpecialValue::nan:
      return 0x007FFFFF;
    case SpecialValue::nres:
      return 0x00800000;
    case SpecialValue::positiveInfinity:
      return 0x007FFFFE;
    case SpecialValue::negativeInfinity:
      return 0x00800002;
    case SpecialValue::reserved:
      return 0x00800001;
    default:
      return std::nullopt;
  }
}

}  // namespace vigil::devices
