#pragma once
// File helpers shared by the store's backups (internal to vigil::store).

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>

#include "vigil/core/error.hpp"

namespace vigil::store {

/// fsync of a file or (directory = true) a directory; throws StoreError.
inline void fsyncPath(const std::filesystem::path& p, bool directory) {
  int fd = ::open(p.c_str(), (directory ? O_DIRECTORY : 0) | O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw StoreError("backup: cannot open " + p.string() + " to sync it");
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) throw StoreError("backup: fsync failed for " + p.string());
}

}  // namespace vigil::store
