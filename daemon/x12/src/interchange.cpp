// The tokenizer and the envelope check. The ISA segment is fixed-length (106 characters with its
// terminator), so its element separator is the 4th character, the component separator the
// 105th and the segment terminator the 106th; every other segment is split on them. The parser
// is linear in the input, keeps no recursion, and bounds a segment's elements (kMaxElements):
// it reads files from outside the box (remittances) and is fuzzed (fuzz_x12).
#include "vigil/x12/interchange.hpp"

#include <array>
#include <cctype>
#include <cmath>
#include <cstdlib>

namespace vigil::x12 {
namespace {

constexpr std::size_t kIsaLength = 106;
constexpr std::size_t kMaxElements = 64;
// Positions of the element separator inside the fixed-length ISA segment.
constexpr std::array<std::size_t, 16> kIsaSeparators{3,  6,  17, 20, 31, 34, 50,  53,
                                                     69, 76, 81, 83, 89, 99, 101, 103};

[[noreturn]] void fail(X12ErrorKind kind, std::size_t segment, const std::string& what) {
  throw X12Error(kind, segment, what);
}

bool isDelimiterChar(char c) {
  auto u = static_cast<unsigned char>(c);
  return u >= 0x20 && !std::isalnum(u) && c != ' ';
}

bool isSpace(char c) {
  return c == '\r' || c == '\n' || c == ' ' || c == '\t';
}

// A segment id for messages: only its safe characters, at most 3.
std::string safeId(std::string_view id) {
  std::string out;
  for (char c : id.substr(0, 3))
    if (std::isalnum(static_cast<unsigned char>(c))) out += c;
  return out.empty() ? "?" : out;
}

Separators readSeparators(std::string_view text) {
  if (text.size() < 3 || text.substr(0, 3) != "ISA")
    fail(X12ErrorKind::malformed, 1, "the text does not start with an ISA segment");
  if (text.size() < kIsaLength)
    fail(X12ErrorKind::truncated, 1, "ISA: shorter than 106 characters");
  Separators s;
  s.element = text[3];
  s.component = text[104];
  s.segment = text[105];
  s.repetition = text[82];
  if (!isDelimiterChar(s.element) || !isDelimiterChar(s.component) ||
      !(isDelimiterChar(s.segment) || s.segment == '\n'))
    fail(X12ErrorKind::malformed, 1, "ISA: a separator is a letter, digit, space or control");
  for (std::size_t p : kIsaSeparators)
    if (text[p] != s.element)
      fail(X12ErrorKind::malformed, 1, "ISA: not fixed-length (element " + std::to_string(p) + ")");
  if (s.element == s.component || s.element == s.segment || s.component == s.segment)
    fail(X12ErrorKind::malformed, 1, "ISA: separators are not distinct");
  if (!isDelimiterChar(s.repetition) || s.repetition == s.element || s.repetition == s.component ||
      s.repetition == s.segment)
    s.repetition = '\0';  // 4010-style "U": no repetition separator
  return s;
}

Segment splitSegment(std::string_view raw, const Separators& s, std::size_t number) {
  Segment seg;
  seg.number = number;
  std::size_t start = 0;
  while (true) {
    std::size_t end = raw.find(s.element, start);
    seg.elements.emplace_back(
        raw.substr(start, end == std::string_view::npos ? raw.size() - start : end - start));
    if (seg.elements.size() > kMaxElements)
      fail(X12ErrorKind::malformed, number, "segment has more than 64 elements");
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  seg.id = seg.elements.front();
  bool idOk = seg.id.size() >= 2 && seg.id.size() <= 3;
  for (char c : seg.id)
    idOk = idOk && (std::isupper(static_cast<unsigned char>(c)) ||
                    std::isdigit(static_cast<unsigned char>(c)));
  if (!idOk) fail(X12ErrorKind::malformed, number, "segment id is not 2-3 letters or digits");
  return seg;
}

bool digits(std::string_view v, std::size_t min, std::size_t max) {
  if (v.size() < min || v.size() > max) return false;
  for (char c : v)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

std::string trimmed(std::string_view v) {
  std::size_t b = 0, e = v.size();
  while (b < e && v[b] == ' ') ++b;
  while (e > b && v[e - 1] == ' ') --e;
  return std::string(v.substr(b, e - b));
}

std::size_t countOf(const Segment& seg, std::size_t position) {
  const std::string& v = seg.element(position);
  if (!digits(v, 1, 9))
    fail(X12ErrorKind::malformed, seg.number,
         seg.id + std::to_string(position) + " is not a count");
  return static_cast<std::size_t>(std::stoul(v));
}

void readIsa(const Segment& isa, Interchange& out) {
  if (isa.size() != 16) fail(X12ErrorKind::malformed, 1, "ISA: not 16 elements");
  Envelope& e = out.envelope;
  e.senderQualifier = trimmed(isa.element(5));
  e.senderId = trimmed(isa.element(6));
  e.receiverQualifier = trimmed(isa.element(7));
  e.receiverId = trimmed(isa.element(8));
  e.date = isa.element(9);
  e.time = isa.element(10);
  out.version = isa.element(12);
  e.controlNumber = isa.element(13);
  if (!digits(e.controlNumber, 9, 9))
    fail(X12ErrorKind::malformed, 1, "ISA13 is not a 9-digit control number");
  e.usage = isa.element(15).empty() ? ' ' : isa.element(15)[0];
}

// Reads one ST ... SE from segs[i] (an ST); returns the index after its SE.
std::size_t readSet(const std::vector<Segment>& segs, std::size_t i, FunctionalGroup& group,
                    std::size_t total) {
  const Segment& st = segs[i];
  TransactionSet set;
  set.id = st.element(1);
  set.controlNumber = st.element(2);
  set.version = st.element(3);
  set.stSegment = st.number;
  if (!digits(set.id, 3, 3)) fail(X12ErrorKind::malformed, st.number, "ST01 is not a set id");
  if (set.controlNumber.size() < 4 || set.controlNumber.size() > 9)
    fail(X12ErrorKind::malformed, st.number, "ST02 is not a 4-9 character control number");
  for (++i; i < segs.size(); ++i) {
    const Segment& seg = segs[i];
    if (seg.id == "SE") {
      std::size_t counted = seg.number - st.number + 1;
      if (countOf(seg, 1) != counted)
        fail(X12ErrorKind::envelope, seg.number,
             "SE01 says " + seg.element(1) + " segments, the set has " + std::to_string(counted));
      if (seg.element(2) != set.controlNumber)
        fail(X12ErrorKind::envelope, seg.number, "SE02 does not match ST02");
      group.sets.push_back(std::move(set));
      return i + 1;
    }
    if (seg.id == "ST" || seg.id == "GS" || seg.id == "GE" || seg.id == "IEA" || seg.id == "ISA")
      fail(X12ErrorKind::envelope, seg.number, safeId(seg.id) + " inside a transaction set");
    set.segments.push_back(seg);
  }
  fail(X12ErrorKind::truncated, total + 1, "the text ends inside a transaction set (no SE)");
}

std::size_t readGroup(const std::vector<Segment>& segs, std::size_t i, Interchange& out,
                      std::size_t total) {
  const Segment& gs = segs[i];
  FunctionalGroup group;
  group.functionalId = gs.element(1);
  group.senderCode = gs.element(2);
  group.receiverCode = gs.element(3);
  group.date = gs.element(4);
  group.time = gs.element(5);
  group.controlNumber = gs.element(6);
  group.version = gs.element(8);
  if (!digits(group.controlNumber, 1, 9))
    fail(X12ErrorKind::malformed, gs.number, "GS06 is not a 1-9 digit control number");
  for (++i; i < segs.size();) {
    const Segment& seg = segs[i];
    if (seg.id == "ST") {
      i = readSet(segs, i, group, total);
      continue;
    }
    if (seg.id == "GE") {
      if (countOf(seg, 1) != group.sets.size())
        fail(X12ErrorKind::envelope, seg.number,
             "GE01 says " + seg.element(1) + " sets, the group has " +
                 std::to_string(group.sets.size()));
      if (seg.element(2) != group.controlNumber)
        fail(X12ErrorKind::envelope, seg.number, "GE02 does not match GS06");
      out.groups.push_back(std::move(group));
      return i + 1;
    }
    fail(X12ErrorKind::envelope, seg.number, safeId(seg.id) + " outside a transaction set");
  }
  fail(X12ErrorKind::truncated, total + 1, "the text ends inside a functional group (no GE)");
}

}  // namespace

X12Error::X12Error(X12ErrorKind kind, std::size_t segment, const std::string& what)
    : vigil::ValidationError(segment == 0 ? what
                                          : "segment " + std::to_string(segment) + ": " + what),
      kind_(kind),
      segment_(segment) {}

std::string_view X12Error::kindName() const {
  switch (kind_) {
    case X12ErrorKind::malformed:
      return "malformed";
    case X12ErrorKind::truncated:
      return "truncated";
    case X12ErrorKind::envelope:
      return "envelope";
    case X12ErrorKind::content:
      return "content";
    case X12ErrorKind::model:
      return "model";
  }
  return "malformed";
}

const std::string& Segment::element(std::size_t position) const {
  static const std::string kEmpty;
  return position < elements.size() ? elements[position] : kEmpty;
}

std::vector<std::string> Segment::components(std::size_t position, char component) const {
  std::vector<std::string> out;
  const std::string& v = element(position);
  if (v.empty()) return out;
  std::size_t start = 0;
  while (true) {
    std::size_t end = v.find(component, start);
    out.push_back(v.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos || out.size() >= kMaxElements) break;
    start = end + 1;
  }
  return out;
}

std::vector<Segment> tokenize(std::string_view text, Separators* separators) {
  std::size_t at = 0;
  if (text.substr(0, 3) == "\xEF\xBB\xBF") at = 3;  // a UTF-8 byte order mark
  while (at < text.size() && isSpace(text[at])) ++at;
  text.remove_prefix(at);
  Separators s = readSeparators(text);
  if (separators != nullptr) *separators = s;
  std::vector<Segment> out;
  std::size_t pos = 0;
  while (true) {
    while (pos < text.size() && isSpace(text[pos]) && text[pos] != s.segment) ++pos;
    if (pos >= text.size()) break;
    std::size_t end = text.find(s.segment, pos);
    std::size_t number = out.size() + 1;
    if (end == std::string_view::npos)
      fail(X12ErrorKind::truncated, number, "the last segment has no terminator");
    std::string_view raw = text.substr(pos, end - pos);
    while (!raw.empty() && (raw.back() == '\r' || raw.back() == '\n')) raw.remove_suffix(1);
    if (raw.empty()) fail(X12ErrorKind::malformed, number, "empty segment");
    out.push_back(splitSegment(raw, s, number));
    pos = end + 1;
  }
  return out;
}

Interchange parseInterchange(std::string_view text) {
  Interchange out;
  std::vector<Segment> segs = tokenize(text, &out.separators);
  out.segmentCount = segs.size();
  const std::size_t total = segs.size();
  readIsa(segs.front(), out);
  std::size_t i = 1;
  while (i < segs.size()) {
    const Segment& seg = segs[i];
    if (seg.id == "GS") {
      i = readGroup(segs, i, out, total);
      continue;
    }
    if (seg.id == "IEA") {
      if (countOf(seg, 1) != out.groups.size())
        fail(X12ErrorKind::envelope, seg.number,
             "IEA01 says " + seg.element(1) + " groups, the interchange has " +
                 std::to_string(out.groups.size()));
      if (seg.element(2) != out.envelope.controlNumber)
        fail(X12ErrorKind::envelope, seg.number, "IEA02 does not match ISA13");
      if (i + 1 != segs.size())
        fail(X12ErrorKind::envelope, segs[i + 1].number, "segments after IEA");
      if (out.groups.empty()) fail(X12ErrorKind::envelope, seg.number, "no functional group");
      if (!out.groups.empty()) {
        out.envelope.groupControlNumber = out.groups.front().controlNumber;
        out.envelope.date = out.groups.front().date;
        out.envelope.time = out.groups.front().time;
      }
      return out;
    }
    fail(X12ErrorKind::envelope, seg.number, safeId(seg.id) + " outside a functional group");
  }
  fail(X12ErrorKind::truncated, total + 1, "the text ends before IEA");
}

std::vector<const TransactionSet*> setsOf(const Interchange& interchange, std::string_view setId) {
  std::vector<const TransactionSet*> out;
  for (const auto& g : interchange.groups)
    for (const auto& s : g.sets)
      if (s.id == setId) out.push_back(&s);
  return out;
}

std::int64_t parseAmount(std::string_view text, std::size_t segment) {
  std::string_view v = text;
  bool negative = false;
  if (!v.empty() && (v.front() == '-' || v.front() == '+')) {
    negative = v.front() == '-';
    v.remove_prefix(1);
  }
  std::size_t dot = v.find('.');
  std::string_view whole = v.substr(0, dot);
  std::string_view frac = dot == std::string_view::npos ? std::string_view{} : v.substr(dot + 1);
  bool ok = !(whole.empty() && frac.empty()) && whole.size() <= 15 && frac.size() <= 15 &&
            (dot == std::string_view::npos || !frac.empty() || !whole.empty());
  for (char c : whole) ok = ok && std::isdigit(static_cast<unsigned char>(c));
  for (char c : frac) ok = ok && std::isdigit(static_cast<unsigned char>(c));
  for (std::size_t k = 2; ok && k < frac.size(); ++k) ok = frac[k] == '0';
  if (!ok) fail(X12ErrorKind::malformed, segment, "an amount is not a decimal with cents");
  std::int64_t cents = 0;
  for (char c : whole) cents = cents * 10 + (c - '0');
  cents *= 100;
  if (frac.size() >= 1) cents += (frac[0] - '0') * 10;
  if (frac.size() >= 2) cents += frac[1] - '0';
  return negative ? -cents : cents;
}

std::string formatAmount(std::int64_t cents) {
  bool negative = cents < 0;
  std::uint64_t abs =
      negative ? static_cast<std::uint64_t>(-(cents + 1)) + 1 : static_cast<std::uint64_t>(cents);
  std::string out = (negative ? "-" : "") + std::to_string(abs / 100);
  std::uint64_t frac = abs % 100;
  if (frac == 0) return out;
  out += '.';
  out += static_cast<char>('0' + frac / 10);
  if (frac % 10 != 0) out += static_cast<char>('0' + frac % 10);
  return out;
}

double parseQuantity(std::string_view text, std::size_t segment, double fallback) {
  if (text.empty()) return fallback;
  bool ok = text.size() <= 15;
  bool seenDot = false, seenDigit = false;
  for (std::size_t k = 0; ok && k < text.size(); ++k) {
    char c = text[k];
    if (c == '-' && k == 0) continue;
    if (c == '.' && !seenDot) {
      seenDot = true;
      continue;
    }
    seenDigit = seenDigit || std::isdigit(static_cast<unsigned char>(c));
    ok = std::isdigit(static_cast<unsigned char>(c)) != 0;
  }
  if (!ok || !seenDigit) fail(X12ErrorKind::malformed, segment, "a quantity is not a number");
  return std::strtod(std::string(text).c_str(), nullptr);
}

}  // namespace vigil::x12
