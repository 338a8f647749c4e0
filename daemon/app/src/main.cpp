// vigild entry point: parse options (bad ones give a one-line error and exit 64), then run.
#include <Poco/Util/OptionException.h>

#include <iostream>

#include "vigil/app/vigild.hpp"

int main(int argc, char** argv) {
  vigil::app::Vigild app;
  try {
    app.init(argc, argv);
  } catch (const Poco::Util::OptionException& e) {
    std::cerr << "vigild: " << e.displayText() << " (see vigild --help)\n";
    return vigil::app::kExitUsage;
  }
  return static_cast<Poco::Util::Application&>(app).run();
}
