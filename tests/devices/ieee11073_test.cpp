// Vectors worked out by hand from IEEE 11073-20601 (SFLOAT: 4-bit exponent in the high nibble,
// 12-bit mantissa, both two's complement; FLOAT: 8-bit exponent, 24-bit mantissa).
#include "vigil/devices/ieee11073.hpp"

#include <boost/test/unit_test.hpp>

#include "test_bytes.hpp"

using namespace vigil::devices;

BOOST_AUTO_TEST_SUITE(Ieee11073)

BOOST_AUTO_TEST_CASE(sfloat_positive_exponent_zero) {
  const auto v = decodeSfloat(0x0072);  // mantissa 0x072 = 114, exponent 0
  BOOST_TEST(!v.isSpecial());
  BOOST_TEST(*v.number == 114.0);
}

BOOST_AUTO_TEST_CASE(sfloat_negative_exponent_divides_exactly) {
  BOOST_TEST(*decodeSfloat(0xF16D).number == 36.5);     // exp -1, mantissa 0x16D = 365
  BOOST_TEST(*decodeSfloat(0xE3E8).number == 10.0);     // exp -2, mantissa 1000
  BOOST_TEST(*decodeSfloat(0xB05F).number == 0.00095);  // exp -5, mantissa 95
}

BOOST_AUTO_TEST_CASE(sfloat_negative_mantissa_and_positive_exponent) {
  BOOST_TEST(*decodeSfloat(0x0FFF).number == -1.0);               // mantissa 0xFFF = -1
  BOOST_TEST(*decodeSfloat(0x2005).number == 500.0);              // exp 2, mantissa 5
  BOOST_TEST(*decodeSfloat(0x7001).number == 1e7);                // exp 7 (largest)
  BOOST_TEST(*decodeSfloat(0x8001).number == 1e-8);               // exp -8 (smallest)
  BOOST_TEST(*decodeSfloat(0x0801 | 0x1000).number == -20470.0);  // exp 1, mantissa -2047
}

BOOST_AUTO_TEST_CASE(sfloat_special_values_are_never_numbers) {
  struct Case {
    std::uint16_t raw;
    SpecialValue special;
  };
  for (auto c :
       {Case{0x07FF, SpecialValue::nan}, Case{0x0800, SpecialValue::nres},
        Case{0x07FE, SpecialValue::positiveInfinity}, Case{0x0802, SpecialValue::negativeInfinity},
        Case{0x0801, SpecialValue::reserved}}) {
    const auto v = decodeSfloat(c.raw);
    BOOST_TEST(v.isSpecial());
    BOOST_TEST((v.special == c.special));
    BOOST_TEST(!v.number.has_value());
    BOOST_TEST(sfloatSpecial(c.special) == c.raw);
  }
}

BOOST_AUTO_TEST_CASE(sfloat_special_mantissas_with_nonzero_exponent_are_numbers) {
  const auto v = decodeSfloat(0x17FF);  // exp 1, mantissa 2047
  BOOST_TEST(!v.isSpecial());
  BOOST_TEST(*v.number == 20470.0);
  BOOST_TEST(*decodeSfloat(0x07FD).number == 2045.0);
  BOOST_TEST(*decodeSfloat(0x0803).number == -2045.0);
}

BOOST_AUTO_TEST_CASE(float_numbers) {
  BOOST_TEST(*decodeFloat(0xFF00016D).number == 36.5);  // exp -1, mantissa 365
  BOOST_TEST(*decodeFloat(0x00000072).number == 114.0);
  BOOST_TEST(*decodeFloat(0xFEFFFC18).number == -10.0);  // exp -2, mantissa -1000
  BOOST_TEST(*decodeFloat(0x02000003).number == 300.0);
}

BOOST_AUTO_TEST_CASE(float_special_values_are_never_numbers) {
  struct Case {
    std::uint32_t raw;
    SpecialValue special;
  };
  for (auto c : {Case{0x007FFFFF, SpecialValue::nan}, Case{0x00800000, SpecialValue::nres},
                 Case{0x007FFFFE, SpecialValue::positiveInfinity},
                 Case{0x00800002, SpecialValue::negativeInfinity},
                 Case{0x00800001, SpecialValue::reserved}}) {
    const auto v = decodeFloat(c.raw);
    BOOST_TEST((v.special == c.special));
    BOOST_TEST(!v.number.has_value());
    BOOST_TEST(floatSpecial(c.special) == c.raw);
  }
  BOOST_TEST(!decodeFloat(0x017FFFFF).isSpecial());
}

BOOST_AUTO_TEST_CASE(encode_matches_hand_vectors_and_refuses_out_of_range) {
  BOOST_TEST(encodeSfloat(114, 0) == std::uint16_t{0x0072});
  BOOST_TEST(encodeSfloat(365, -1) == std::uint16_t{0xF16D});
  BOOST_TEST(encodeSfloat(-1, 0) == std::uint16_t{0x0FFF});
  BOOST_TEST(!encodeSfloat(2048, 0).has_value());
  BOOST_TEST(!encodeSfloat(1, 8).has_value());
  BOOST_TEST(!encodeSfloat(2047, 0).has_value());  // would be NaN
  BOOST_TEST(encodeFloat(365, -1) == std::uint32_t{0xFF00016D});
  BOOST_TEST(!encodeFloat(0x800000, 0).has_value());
  BOOST_TEST(!encodeFloat(-0x7FFFFE, 0).has_value());  // would be -INF
}

BOOST_AUTO_TEST_CASE(every_sfloat_either_decodes_to_a_number_or_is_one_of_five_specials) {
  int specials = 0;
  for (std::uint32_t raw = 0; raw <= 0xFFFF; ++raw) {
    const auto v = decodeSfloat(static_cast<std::uint16_t>(raw));
    BOOST_REQUIRE(v.number.has_value() != v.isSpecial());
    if (v.isSpecial()) ++specials;
  }
  BOOST_TEST(specials == 5);
}

BOOST_AUTO_TEST_SUITE_END()
