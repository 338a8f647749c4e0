// vigil-devtool <command> [options]: a dispatcher over the command table. Add a command by
// writing `int runX(std::span<const std::string>)` in its own file and a row below.
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "commands.hpp"
#include "provision_command.hpp"

namespace {

using vigil::devtool::Command;

constexpr Command kCommands[] = {
    {"cloud", "the cloud stand-in: serve the services, enrolment codes, send, show",
     &vigil::devtool::runCloud},
    {"decode", "decode a GATT characteristic value or an MQTT payload to JSON",
     &vigil::devtool::runDecode},
    {"firmware", "a device fetching its firmware offer: verify, install, report the version",
     &vigil::devtool::runFirmware},
    {"provision", "device CA, device certificates and passwords, revocation, fleets",
     [](std::span<const std::string> args) { return vigil::devtool::runProvision(args); }},
    {"sign", "sign a release bundle or firmware image (Ed25519, key ids); keygen",
     &vigil::devtool::runSign},
    {"simulate", "a fleet of simulated devices and patients sending vitals to a box",
     &vigil::devtool::runSimulate},
    {"verify", "check a signed release bundle or firmware image against trusted keys",
     &vigil::devtool::runVerify},
    {"x12", "read an X12 file (835, 837P, 999, 277CA) and print it as JSON",
     &vigil::devtool::runX12},
};

void usage(std::FILE* out) {
  std::fprintf(out,
               "usage: vigil-devtool <command> [options]\n"
               "       vigil-devtool <command> --help\n"
               "       vigil-devtool --version\n\ncommands:\n");
  for (const auto& c : kCommands)
    std::fprintf(out, "  %-10.*s %.*s\n", static_cast<int>(c.name.size()), c.name.data(),
                 static_cast<int>(c.summary.size()), c.summary.data());
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    usage(stderr);
    return vigil::devtool::kExitInvalid;
  }
  if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    usage(stdout);
    return vigil::devtool::kExitOk;
  }
  if (args[0] == "--version") {
    std::printf("vigil-devtool %s\n", VIGIL_VERSION);
    return vigil::devtool::kExitOk;
  }
  for (const auto& c : kCommands) {
    if (c.name == args[0]) {
      try {
        return c.run(std::span<const std::string>(args).subspan(1));
      } catch (const std::exception& e) {
        std::fprintf(stderr, "vigil-devtool %s: %s\n", args[0].c_str(), e.what());
        return vigil::devtool::kExitFailure;
      }
    }
  }
  std::fprintf(stderr, "vigil-devtool: unknown command '%s' (see vigil-devtool --help)\n",
               args[0].c_str());
  return vigil::devtool::kExitInvalid;
}
