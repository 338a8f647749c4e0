#pragma once
// vigil-devtool's subcommands. Each command is one function in its own source file
// (decode_command.cpp, later provision_command.cpp, simulate_command.cpp), registered in the
// table in main.cpp. A command receives its arguments without the program and command names,
// writes its result to stdout and one line per error to stderr, and returns the exit code:
// 0 success, 2 invalid input or usage, 1 any other failure.

#include <span>
#include <string>
#include <string_view>

namespace vigil::devtool {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitInvalid = 2;

using CommandFn = int (*)(std::span<const std::string> args);

/// One row of the command table.
struct Command {
  std::string_view name;
  std::string_view summary;
  CommandFn run;
};

int runDecode(std::span<const std::string> args);
int runSimulate(std::span<const std::string> args);
int runCloud(std::span<const std::string> args);
int runX12(std::span<const std::string> args);
int runSign(std::span<const std::string> args);  // issue 27: signed artefacts
int runVerify(std::span<const std::string> args);
int runFirmware(std::span<const std::string> args);  // issue 27: the device side of firmware

}  // namespace vigil::devtool
