#include "segment_writer.hpp"

#include <cctype>

namespace vigil::x12::detail {
namespace {

void checkValue(std::string_view v) {
  for (char c : v) {
    if (c == '*' || c == ':' || c == '^' || c == '~' || c == '\r' || c == '\n')
      throw X12Error(X12ErrorKind::model, 0, "a value holds an X12 separator or a line break");
  }
}

std::string padded(std::string_view v, std::size_t width, std::string_view field) {
  if (v.size() > width)
    throw X12Error(X12ErrorKind::model, 0, std::string(field) + " is longer than its ISA field");
  checkValue(v);
  return std::string(v) + std::string(width - v.size(), ' ');
}

bool digitsOnly(std::string_view v) {
  if (v.empty()) return false;
  for (char c : v)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

}  // namespace

void SegmentWriter::add(std::initializer_list<Element> elements) {
  std::size_t last = 0, i = 0;
  for (const auto& e : elements) {
    if (!e.text.empty()) last = i;
    ++i;
  }
  i = 0;
  for (const auto& e : elements) {
    if (i > last) break;
    if (i > 0) out_ += '*';
    // A composite's parts were checked by composite(): its ':' are ours.
    if (!e.composite) checkValue(e.text);
    out_ += e.text;
    ++i;
  }
  out_ += "~\n";
  ++setSegments_;
}

void SegmentWriter::beginSet(std::string_view id, std::string_view control,
                             std::string_view version) {
  setSegments_ = 0;
  add({"ST", id, control, version});
}

void SegmentWriter::endSet(std::string_view control) {
  std::string count = std::to_string(setSegments_ + 1);
  add({"SE", count, control});
}

Composite SegmentWriter::composite(std::initializer_list<std::string_view> parts) {
  std::size_t last = 0, i = 0;
  for (auto p : parts) {
    checkValue(p);
    if (!p.empty()) last = i;
    ++i;
  }
  std::string out;
  i = 0;
  for (auto p : parts) {
    if (i > last) break;
    if (i > 0) out += ':';
    out += p;
    ++i;
  }
  return Composite{out};
}

void require(std::string_view value, std::string_view field) {
  if (value.empty()) throw X12Error(X12ErrorKind::model, 0, std::string(field) + " is required");
  checkValue(value);
}

std::string enveloped(const Envelope& e, std::string_view functionalId, std::string_view version,
                      const std::string& body) {
  require(e.senderId, "envelope.senderId");
  require(e.receiverId, "envelope.receiverId");
  if (e.date.size() != 8 || !digitsOnly(e.date))
    throw X12Error(X12ErrorKind::model, 0, "envelope.date must be CCYYMMDD");
  if (e.time.size() != 4 || !digitsOnly(e.time))
    throw X12Error(X12ErrorKind::model, 0, "envelope.time must be HHMM");
  if (!digitsOnly(e.controlNumber) || e.controlNumber.size() > 9)
    throw X12Error(X12ErrorKind::model, 0, "envelope.controlNumber must be 1-9 digits");
  if (!digitsOnly(e.groupControlNumber) || e.groupControlNumber.size() > 9)
    throw X12Error(X12ErrorKind::model, 0, "envelope.groupControlNumber must be 1-9 digits");
  if (e.usage != 'P' && e.usage != 'T')
    throw X12Error(X12ErrorKind::model, 0, "envelope.usage must be P or T");
  std::string control = std::string(9 - e.controlNumber.size(), '0') + e.controlNumber;
  std::string out = "ISA*00*" + std::string(10, ' ') + "*00*" + std::string(10, ' ') + "*" +
                    padded(e.senderQualifier, 2, "envelope.senderQualifier") + "*" +
                    padded(e.senderId, 15, "envelope.senderId") + "*" +
                    padded(e.receiverQualifier, 2, "envelope.receiverQualifier") + "*" +
                    padded(e.receiverId, 15, "envelope.receiverId") + "*" + e.date.substr(2) + "*" +
                    e.time + "*^*00501*" + control + "*0*" + std::string(1, e.usage) + "*:~\n";
  SegmentWriter w;
  w.add({"GS", functionalId, e.senderId, e.receiverId, e.date, e.time, e.groupControlNumber, "X",
         version});
  out += w.text();
  out += body;
  SegmentWriter t;
  t.add({"GE", "1", e.groupControlNumber});
  t.add({"IEA", "1", control});
  out += t.text();
  return out;
}

}  // namespace vigil::x12::detail
