#include "vigil/core/process.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>

#include "vigil/core/error.hpp"

namespace vigil::proc {

int runProgram(const std::vector<std::string>& argv) {
  if (argv.empty()) return 127;
  std::cout.flush();
  pid_t pid = ::fork();
  if (pid < 0) throw Error("fork for " + argv.front() + ": " + std::strerror(errno));
  if (pid == 0) {
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw Error("wait for " + argv.front() + ": " + std::strerror(errno));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace vigil::proc
