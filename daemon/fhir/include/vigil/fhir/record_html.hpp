#pragma once
// The patient's record as one readable, printable HTML page: self-contained (inline CSS, no
// script, no external resource), every value from the record HTML-escaped.

#include <string>
#include <string_view>

#include "vigil/core/clock.hpp"
#include "vigil/fhir/bundle.hpp"

namespace vigil::fhir {

/// Escapes & < > " ' for text and attribute values.
std::string htmlEscape(std::string_view text);

/// The summary page (UTF-8).
std::string recordHtml(const PatientRecordData& data, TimePoint generatedAt);

}  // namespace vigil::fhir
