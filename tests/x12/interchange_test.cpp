#define BOOST_TEST_MODULE vigil_x12
// The tokenizer and the envelope checks (vigil/x12/interchange.hpp): separators from the ISA,
// the trailers' counts and control numbers, the segment number of every refusal, amounts.
#include "vigil/x12/interchange.hpp"

#include <boost/test/unit_test.hpp>

#include "x12_samples.hpp"

using namespace vigil::x12;
using vigil::x12test::kCobContractual835;
using vigil::x12test::kManagedCare835;
using vigil::x12test::replaced;

namespace {

// Runs `f` and returns the X12Error it throws (fails the test when it throws none).
template <typename F>
X12Error refusal(F f) {
  try {
    f();
  } catch (const X12Error& e) {
    return e;
  }
  BOOST_FAIL("no X12Error");
  return X12Error(X12ErrorKind::malformed, 0, "");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(Interchange_)

BOOST_AUTO_TEST_CASE(reads_separators_from_the_isa_segment) {
  Separators s;
  auto segs = tokenize(kCobContractual835, &s);
  BOOST_TEST(s.element == '*');
  BOOST_TEST(s.component == '>');
  BOOST_TEST(s.segment == '~');
  BOOST_TEST(s.repetition == '^');
  BOOST_TEST(segs.size() == 29u);
  BOOST_TEST(segs[20].id == "SVC");
  BOOST_TEST(segs[20].number == 21u);
  auto proc = segs[20].components(1, s.component);
  BOOST_TEST(proc.size() == 2u);
  BOOST_TEST(proc[1] == "55669");
}

BOOST_AUTO_TEST_CASE(other_separators_and_no_line_breaks_read_the_same) {
  // The managed-care example with | for elements, } for components and ! for segments, on one line.
  std::string text;
  for (char c : kManagedCare835) {
    if (c == '\n') continue;
    text += c == '*' ? '|' : c == ':' ? '}' : c == '~' ? '!' : c;
  }
  Interchange in = parseInterchange(text);
  BOOST_TEST(in.separators.element == '|');
  BOOST_TEST(in.separators.component == '}');
  BOOST_TEST(in.segmentCount == 30u);
  BOOST_TEST(in.groups.size() == 1u);
  BOOST_TEST(in.groups[0].sets.size() == 1u);
  BOOST_TEST(in.groups[0].sets[0].id == "835");
  BOOST_TEST(in.groups[0].sets[0].segments.size() == 24u);
  BOOST_TEST(in.groups[0].version == "005010X221A1");
  BOOST_TEST(in.envelope.senderId == "000000005");
  BOOST_TEST(in.envelope.receiverId == "12345");
  BOOST_TEST(in.envelope.controlNumber == "000000907");
  BOOST_TEST(in.envelope.usage == 'T');
}

BOOST_AUTO_TEST_CASE(refuses_text_without_an_isa) {
  auto e = refusal([] { parseInterchange("GS*HP*1~"); });
  BOOST_TEST(e.segment() == 1u);
  BOOST_TEST((e.kind() == X12ErrorKind::malformed));
}

BOOST_AUTO_TEST_CASE(refuses_an_isa_that_is_not_fixed_length) {
  auto e =
      refusal([] { parseInterchange(replaced(kManagedCare835, "*30*12345     ", "*30*12345")); });
  BOOST_TEST(e.segment() == 1u);
}

BOOST_AUTO_TEST_CASE(a_segment_count_that_does_not_match_names_the_se) {
  auto e = refusal([] { parseInterchange(replaced(kManagedCare835, "SE*26*", "SE*25*")); });
  BOOST_TEST((e.kind() == X12ErrorKind::envelope));
  BOOST_TEST(e.segment() == 28u);
  BOOST_TEST(std::string(e.what()).find("segment 28") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(control_numbers_must_match_their_headers) {
  auto se =
      refusal([] { parseInterchange(replaced(kManagedCare835, "SE*26*112233", "SE*26*112234")); });
  BOOST_TEST(se.segment() == 28u);
  auto ge = refusal([] { parseInterchange(replaced(kManagedCare835, "GE*1*1~", "GE*1*2~")); });
  BOOST_TEST(ge.segment() == 29u);
  auto gecount = refusal([] { parseInterchange(replaced(kManagedCare835, "GE*1*1~", "GE*2*1~")); });
  BOOST_TEST(gecount.segment() == 29u);
  auto iea = refusal(
      [] { parseInterchange(replaced(kManagedCare835, "IEA*1*000000907", "IEA*1*000000908")); });
  BOOST_TEST(iea.segment() == 30u);
  BOOST_TEST((iea.kind() == X12ErrorKind::envelope));
}

BOOST_AUTO_TEST_CASE(truncated_text_names_the_first_missing_segment) {
  // Cut after the second claim's SVC (segment 23): no SE, GE, IEA.
  auto cut = kManagedCare835.substr(0, kManagedCare835.find("DTM*150*20020310"));
  auto e = refusal([&] { parseInterchange(cut); });
  BOOST_TEST((e.kind() == X12ErrorKind::truncated));
  BOOST_TEST(e.segment() == 24u);
  // Cut inside segment 23: it has no terminator.
  auto mid = kManagedCare835.substr(0, kManagedCare835.find("*1200.00*550.00"));
  auto m = refusal([&] { parseInterchange(mid); });
  BOOST_TEST((m.kind() == X12ErrorKind::truncated));
  BOOST_TEST(m.segment() == 23u);
  // Cut after SE: no GE.
  auto noGe = kManagedCare835.substr(0, kManagedCare835.find("GE*1*1"));
  BOOST_TEST(refusal([&] { parseInterchange(noGe); }).segment() == 29u);
  // Only the ISA.
  BOOST_TEST(refusal([&] { parseInterchange(kManagedCare835.substr(0, 106)); }).segment() == 2u);
  BOOST_TEST(refusal([&] { parseInterchange(kManagedCare835.substr(0, 50)); }).segment() == 1u);
}

BOOST_AUTO_TEST_CASE(a_bad_segment_id_or_stray_segment_is_refused_with_its_number) {
  auto bad = refusal([] { parseInterchange(replaced(kManagedCare835, "CAS*CO*45", "CAS_CO*45")); });
  BOOST_TEST(bad.segment() == 27u);
  BOOST_TEST((bad.kind() == X12ErrorKind::malformed));
  auto stray =
      refusal([] { parseInterchange(replaced(kManagedCare835, "GE*1*1~", "LX*9~\nGE*1*1~")); });
  BOOST_TEST(stray.segment() == 29u);
  auto after = refusal([] { parseInterchange(kManagedCare835 + "GS*HP*1~\n"); });
  BOOST_TEST(after.segment() == 31u);
}

BOOST_AUTO_TEST_CASE(messages_never_quote_element_values) {
  auto e = refusal(
      [] { parseInterchange(replaced(kManagedCare835, "NM1*QC*1*BUDD", "NM1*QC*1*BUDD~X")); });
  BOOST_TEST(std::string(e.what()).find("BUDD") == std::string::npos);
  BOOST_TEST(e.segment() == 16u);
}

BOOST_AUTO_TEST_CASE(amounts_are_whole_cents) {
  BOOST_TEST(parseAmount("150", 1) == 15000);
  BOOST_TEST(parseAmount("43.2", 1) == 4320);
  BOOST_TEST(parseAmount("43.02", 1) == 4302);
  BOOST_TEST(parseAmount("-1.27", 1) == -127);
  BOOST_TEST(parseAmount(".5", 1) == 50);
  BOOST_TEST(parseAmount("211366.970", 1) == 21136697);
  BOOST_CHECK_THROW(parseAmount("1.005", 7), X12Error);
  BOOST_CHECK_THROW(parseAmount("", 7), X12Error);
  BOOST_CHECK_THROW(parseAmount("1e5", 7), X12Error);
  BOOST_CHECK_THROW(parseAmount("-", 7), X12Error);
  BOOST_CHECK_THROW(parseAmount("1234567890123456", 7), X12Error);
  BOOST_TEST(formatAmount(15000) == "150");
  BOOST_TEST(formatAmount(4320) == "43.2");
  BOOST_TEST(formatAmount(4302) == "43.02");
  BOOST_TEST(formatAmount(-127) == "-1.27");
  BOOST_TEST(formatAmount(0) == "0");
}

BOOST_AUTO_TEST_SUITE_END()
