#pragma once
// ASC X12 interchanges as text: separators read from the ISA segment, segments split and
// numbered, and the envelope (ISA/GS/ST ... SE/GE/IEA) checked: every header has its trailer,
// the trailers' counts and control numbers match. Every refusal is an X12Error naming the 1-based
// number of the segment at fault (the first missing one when the text ends early) and never the
// content of an element: X12 claim files carry PHI (names, member ids, birth dates).
//
// Money in X12 is a decimal text ("150", "43.02", "-1.27"); here it is whole cents in an
// int64 so sums balance exactly (parseAmount refuses a third decimal that is not 0).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/core/error.hpp"

namespace vigil::x12 {

/// Why a text or a model was refused.
enum class X12ErrorKind {
  malformed,  // not X12 syntax: no ISA, bad separators, a bad segment id, a bad number
  truncated,  // the text ends before a segment's terminator or before a trailer
  envelope,   // a trailer's count or control number does not match its header
  content,    // a transaction set breaks its implementation guide's rules
  model,      // a writer's input cannot be written (a missing field, a separator in a value)
};

/// The one error of this library. segment() is 1-based in the interchange (0 for a writer's
/// input); the message names the segment id and the rule, never a value.
class X12Error : public vigil::ValidationError {
 public:
  X12Error(X12ErrorKind kind, std::size_t segment, const std::string& what);
  X12ErrorKind kind() const { return kind_; }
  std::size_t segment() const { return segment_; }
  /// "malformed", "truncated", "envelope", "content" or "model".
  std::string_view kindName() const;

 private:
  X12ErrorKind kind_;
  std::size_t segment_;
};

/// The four delimiters of an interchange (ISA positions 3, 82, 104 and 105).
struct Separators {
  char element = '*';
  char repetition = '^';
  char component = ':';
  char segment = '~';
};

/// One segment: its id and elements, 1-based as the guides number them (element(1) is "CLP01").
struct Segment {
  std::string id;
  std::vector<std::string> elements;  // elements[0] is the id
  std::size_t number = 0;             // 1-based position in the interchange

  /// The element at `position` (1-based), "" when absent.
  const std::string& element(std::size_t position) const;
  /// The components of the element at `position` split on `component` (empty when absent).
  std::vector<std::string> components(std::size_t position, char component) const;
  /// Number of elements after the id.
  std::size_t size() const { return elements.empty() ? 0 : elements.size() - 1; }
};

/// A transaction set (ST ... SE): its id (837, 835, 999, 277), control number, ST03 version
/// and the segments strictly between ST and SE.
struct TransactionSet {
  std::string id;
  std::string controlNumber;
  std::string version;
  std::size_t stSegment = 0;
  std::vector<Segment> segments;
};

/// A functional group (GS ... GE).
struct FunctionalGroup {
  std::string functionalId;  // GS01: HC (837), HP (835), FA (999), HN (277)
  std::string senderCode;
  std::string receiverCode;
  std::string date;  // CCYYMMDD
  std::string time;  // HHMM
  std::string controlNumber;
  std::string version;  // GS08, e.g. 005010X222A1
  std::vector<TransactionSet> sets;
};

/// The interchange envelope's header fields (ISA), as written and as read.
struct Envelope {
  std::string senderQualifier = "ZZ";
  std::string senderId;
  std::string receiverQualifier = "ZZ";
  std::string receiverId;
  std::string date;           // CCYYMMDD (ISA09 carries YYMMDD, GS04 the full date)
  std::string time;           // HHMM
  std::string controlNumber;  // ISA13, 1-9 digits (written zero-padded to 9)
  std::string groupControlNumber = "1";
  char usage = 'P';  // ISA15: P production, T test
};

/// A parsed interchange: its envelope and groups.
struct Interchange {
  Separators separators;
  Envelope envelope;
  std::string version;  // ISA12, 00501
  std::vector<FunctionalGroup> groups;
  std::size_t segmentCount = 0;
};

/// Splits `text` into numbered segments with the separators its ISA declares. Whitespace
/// (CR, LF, spaces) between segments is ignored. Throws X12Error.
std::vector<Segment> tokenize(std::string_view text, Separators* separators = nullptr);

/// Tokenizes and checks the envelope: one interchange, groups, sets, counts, control numbers.
Interchange parseInterchange(std::string_view text);

/// The sets of every group whose ST01 is `setId`, with the group they came from.
std::vector<const TransactionSet*> setsOf(const Interchange& interchange, std::string_view setId);

/// Whole cents of an X12 decimal ("150", "43.2", "-1.27", ".5"); throws X12Error(malformed) at
/// `segment` for anything else or more than 15 integer digits.
std::int64_t parseAmount(std::string_view text, std::size_t segment);

/// The X12 text of an amount in cents: no trailing zeros after the point ("150", "43.2",
/// "43.02", "-1.27").
std::string formatAmount(std::int64_t cents);

/// A quantity (SVC05 units, CAS quantity): a decimal number; "" reads as `fallback`.
double parseQuantity(std::string_view text, std::size_t segment, double fallback);

}  // namespace vigil::x12
