// `vigil-provision …` = `vigil-devtool provision …`, until the devtool's dispatcher links the
// command; scripts/dev-broker.sh uses it.
#include <string>
#include <vector>

#include "provision_command.hpp"
#include "vigil/core/log.hpp"

int main(int argc, char** argv) {
  vigil::log::setLevel(vigil::log::Level::warn);
  std::vector<std::string> args(argv + 1, argv + argc);
  return vigil::devtool::runProvision(args);
}
