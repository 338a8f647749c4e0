#pragma once
// Writes segments with the default separators (* : ^ ~ and a newline after each terminator, which
// readers ignore), refusing a value that holds a separator (it would split an element: a name
// "O*BRIEN" must never become two elements). Also the interchange and group envelope around one
// transaction set, so every writer numbers and counts the same way.
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include "vigil/x12/interchange.hpp"

namespace vigil::x12::detail {

/// A composite element's text (built by SegmentWriter::composite): its ':' are separators.
struct Composite {
  std::string text;
};

/// One element as given to add(): plain text (no separator allowed) or a composite.
struct Element {
  Element(std::string_view s) : text(s) {}
  Element(const std::string& s) : text(s) {}
  Element(const char* s) : text(s) {}
  Element(const Composite& c) : text(c.text), composite(true) {}
  std::string_view text;
  bool composite = false;
};

class SegmentWriter {
 public:
  /// Appends a segment; trailing empty elements are dropped. A plain value holding a separator
  /// or a line break is refused (X12Error model).
  void add(std::initializer_list<Element> elements);
  /// Starts the set: ST*<id>*<control>*<version>; counts from here.
  void beginSet(std::string_view id, std::string_view control, std::string_view version);
  /// Ends the set with SE (its count includes ST and SE).
  void endSet(std::string_view control);
  const std::string& text() const { return out_; }

  /// A component value a:b:c (empty trailing components dropped).
  static Composite composite(std::initializer_list<std::string_view> parts);

 private:
  std::string out_;
  std::size_t setSegments_ = 0;
};

/// The interchange around one group with one set: ISA, GS, `body` (ST ... SE), GE, IEA.
/// `functionalId` (GS01) and `version` (GS08) name the group. Throws X12Error(model) for an
/// envelope field out of its length.
std::string enveloped(const Envelope& envelope, std::string_view functionalId,
                      std::string_view version, const std::string& body);

/// Refuses (X12Error model) an empty required field: `field` names it for the message.
void require(std::string_view value, std::string_view field);

}  // namespace vigil::x12::detail
