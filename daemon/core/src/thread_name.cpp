#include "vigil/core/thread_name.hpp"

#include <pthread.h>

#include <cstring>

namespace vigil {

void nameThisThread(const char* name) noexcept {
  char cut[16] = {};
  std::strncpy(cut, name, sizeof cut - 1);
  pthread_setname_np(pthread_self(), cut);
}

}  // namespace vigil
