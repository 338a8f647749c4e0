#pragma once
// Running another program and waiting for it (setup's vigil-volume and systemctl, update's
// apt-get): argv as given, no shell, the caller's environment and standard streams.

#include <string>
#include <vector>

namespace vigil::proc {

/// Runs argv[0] (looked up on PATH) with argv and waits; returns its exit status, 127 when it
/// could not be started, 128 + the signal when a signal ended it. Throws vigil::Error when it
/// cannot fork. Flushes std::cout first, so the child's output follows what was printed.
int runProgram(const std::vector<std::string>& argv);

}  // namespace vigil::proc
