#pragma once
// `vigil-devtool provision …`: the box's device CA and broker credentials from the command line
// (the admin portal calls the same vigil::pki classes).

#include <iosfwd>
#include <span>
#include <string>

namespace vigil::devtool {

/// Runs `provision <sub-command> [options]`; `args` excludes the word "provision".
/// Returns the process exit code: 0 done, 1 failed, 2 usage error.
int runProvision(std::span<const std::string> args);
/// Same, with explicit output streams (for tests).
int runProvision(std::span<const std::string> args, std::ostream& out, std::ostream& err);

}  // namespace vigil::devtool
