// The 999 writer and reader (005010X231A1): AK1 names the received group, one AK2 ... IK5 per
// received set (IK3/IK4 locating a syntax error), AK9 the group's verdict and counts.
#include "segment_writer.hpp"
#include "vigil/x12/acknowledgement.hpp"

namespace vigil::x12 {

std::string write999(const Acknowledgement999& a) {
  using detail::require;
  require(a.groupFunctionalId, "ack.groupFunctionalId");
  require(a.groupControlNumber, "ack.groupControlNumber");
  require(a.groupCode, "ack.groupCode");
  detail::SegmentWriter w;
  w.beginSet("999", a.controlNumber, k999Version);
  w.add({"AK1", a.groupFunctionalId, a.groupControlNumber, a.groupVersion});
  for (const auto& s : a.sets) {
    require(s.setId, "ack.sets.setId");
    require(s.controlNumber, "ack.sets.controlNumber");
    require(s.code, "ack.sets.code");
    w.add({"AK2", s.setId, s.controlNumber, s.version});
    for (const auto& e : s.segmentErrors) {
      w.add({"IK3", e.segmentId, std::to_string(e.position), e.loop, e.code});
      if (!e.elementPosition.empty()) w.add({"IK4", e.elementPosition, "", e.elementCode});
    }
    std::string_view codes[5];
    for (std::size_t k = 0; k < s.errorCodes.size() && k < 5; ++k) codes[k] = s.errorCodes[k];
    w.add({"IK5", s.code, codes[0], codes[1], codes[2], codes[3], codes[4]});
  }
  w.add({"AK9", a.groupCode, std::to_string(a.setsIncluded), std::to_string(a.setsReceived),
         std::to_string(a.setsAccepted)});
  w.endSet(a.controlNumber);
  return detail::enveloped(a.envelope, "FA", k999Version, w.text());
}

Acknowledgement999 parse999(std::string_view text) {
  Interchange in = parseInterchange(text);
  auto sets = setsOf(in, "999");
  if (sets.empty()) throw X12Error(X12ErrorKind::content, 1, "no 999 transaction set");
  const TransactionSet& set = *sets.front();
  Acknowledgement999 a;
  a.envelope = in.envelope;
  a.controlNumber = set.controlNumber;
  bool sawAk9 = false;
  for (const Segment& s : set.segments) {
    auto count = [&](std::size_t i) -> std::size_t {
      const std::string& v = s.element(i);
      if (v.empty() || v.size() > 6 || v.find_first_not_of("0123456789") != std::string::npos)
        throw X12Error(X12ErrorKind::malformed, s.number, "AK9 count is not a number");
      return static_cast<std::size_t>(std::stoul(v));
    };
    if (s.id == "AK1") {
      a.groupFunctionalId = s.element(1);
      a.groupControlNumber = s.element(2);
      a.groupVersion = s.element(3);
    } else if (s.id == "AK2") {
      SetAcknowledgement ack;
      ack.setId = s.element(1);
      ack.controlNumber = s.element(2);
      ack.version = s.element(3);
      a.sets.push_back(std::move(ack));
    } else if (s.id == "IK3" || s.id == "IK4" || s.id == "IK5") {
      if (a.sets.empty()) throw X12Error(X12ErrorKind::content, s.number, s.id + " before AK2");
      SetAcknowledgement& ack = a.sets.back();
      if (s.id == "IK3") {
        SegmentError e;
        e.segmentId = s.element(1);
        e.position = static_cast<std::size_t>(parseQuantity(s.element(2), s.number, 0));
        e.loop = s.element(3);
        e.code = s.element(4);
        ack.segmentErrors.push_back(std::move(e));
      } else if (s.id == "IK4") {
        if (ack.segmentErrors.empty())
          throw X12Error(X12ErrorKind::content, s.number, "IK4 before IK3");
        ack.segmentErrors.back().elementPosition = s.element(1);
        ack.segmentErrors.back().elementCode = s.element(3);
      } else {
        ack.code = s.element(1);
        for (std::size_t i = 2; i <= s.size(); ++i)
          if (!s.element(i).empty()) ack.errorCodes.push_back(s.element(i));
      }
    } else if (s.id == "AK9") {
      a.groupCode = s.element(1);
      a.setsIncluded = count(2);
      a.setsReceived = count(3);
      a.setsAccepted = count(4);
      sawAk9 = true;
    }
  }
  if (a.groupControlNumber.empty() || !sawAk9)
    throw X12Error(X12ErrorKind::content, set.stSegment, "999 without AK1 or AK9");
  return a;
}

}  // namespace vigil::x12
