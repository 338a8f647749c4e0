#include "vigil/alerts/observation.hpp"

#include <boost/test/unit_test.hpp>

using vigil::alerts::convertUnit;
namespace loinc = vigil::alerts::loinc;

BOOST_AUTO_TEST_SUITE(ConvertUnit)

BOOST_AUTO_TEST_CASE(same_unit_is_unchanged) {
  BOOST_TEST(*convertUnit(81.5, "kg", "kg", loinc::kBodyWeight) == 81.5);
}

BOOST_AUTO_TEST_CASE(pounds_become_kilograms) {
  BOOST_TEST(*convertUnit(200.0, "[lb_av]", "kg", loinc::kBodyWeight) == 90.718474,
             boost::test_tools::tolerance(1e-9));
  BOOST_TEST(*convertUnit(1500.0, "g", "kg", loinc::kBodyWeight) == 1.5);
}

BOOST_AUTO_TEST_CASE(fahrenheit_becomes_celsius) {
  BOOST_TEST(*convertUnit(100.4, "[degF]", "Cel", loinc::kBodyTemperature) == 38.0,
             boost::test_tools::tolerance(1e-9));
}

BOOST_AUTO_TEST_CASE(glucose_mmol_per_litre_becomes_mg_per_decilitre_only_for_glucose) {
  BOOST_TEST(*convertUnit(3.0, "mmol/L", "mg/dL", loinc::kGlucose) == 54.048,
             boost::test_tools::tolerance(1e-9));
  BOOST_TEST(!convertUnit(3.0, "mmol/L", "mg/dL", "9999-9"));
}

BOOST_AUTO_TEST_CASE(unrelated_units_do_not_convert) {
  BOOST_TEST(!convertUnit(120.0, "mm[Hg]", "kg", loinc::kSystolic));
  BOOST_TEST(!convertUnit(98.0, "%", "/min", loinc::kSpO2));
}

BOOST_AUTO_TEST_SUITE_END()
