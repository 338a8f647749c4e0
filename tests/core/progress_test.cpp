#include "vigil/core/progress.hpp"

#include <boost/test/unit_test.hpp>

BOOST_AUTO_TEST_SUITE(ProgressBarRendering)

BOOST_AUTO_TEST_CASE(renders_fraction_count_rate_and_eta) {
  auto line = vigil::ProgressBar::render("verify", 50, 200, 2.0, 10);
  BOOST_TEST(line == "verify [###.......] 25% 50/200 25/s ETA 6s");
}

BOOST_AUTO_TEST_CASE(renders_completion_with_elapsed_time) {
  auto line = vigil::ProgressBar::render("backup", 4000, 4000, 1.25, 4);
  BOOST_TEST(line == "backup [####] 100% 4000/4000 3.2k/s in 1.2s");
}

BOOST_AUTO_TEST_CASE(writes_plain_lines_when_not_a_terminal) {
  std::FILE* f = std::tmpfile();
  {
    vigil::ProgressBar bar("fleet", 3, f);
    bar.update(1);
    bar.update(3);
  }
  std::rewind(f);
  char buf[256] = {};
  auto n = std::fread(buf, 1, sizeof buf - 1, f);
  std::fclose(f);
  std::string out(buf, n);
  BOOST_TEST(out.find('\r') == std::string::npos);
  BOOST_TEST(out.find("fleet [") == 0u);
  BOOST_TEST(out.find("3/3") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
