#pragma once
// Small POSIX file helpers for keys and certificates kept in plain files (the device CA, the
// cloud link's box identity): atomic replace with an explicit mode (so a key is never readable
// by others, not even for an instant), appends that reach the disk, and an advisory lock that
// serialises two processes working on the same directory.

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <string_view>

namespace vigil::files {

/// Reads a whole file; throws vigil::FileMissing when it cannot be read.
std::string readFile(const std::filesystem::path& path);
/// Writes to a temporary file created with `mode`, fsyncs, renames over `path`.
void writeFileAtomic(const std::filesystem::path& path, std::string_view content, mode_t mode);
/// Appends `content` (O_APPEND) and fsyncs; creates the file with `mode`.
void appendFile(const std::filesystem::path& path, std::string_view content, mode_t mode);
/// Creates a directory (and parents) and sets its mode.
void makeDir(const std::filesystem::path& path, mode_t mode);
/// Permission bits of an existing file.
mode_t fileMode(const std::filesystem::path& path);

/// An exclusive flock(2) held for the object's lifetime.
class DirLock {
 public:
  explicit DirLock(const std::filesystem::path& lockFile);
  ~DirLock();
  DirLock(const DirLock&) = delete;
  DirLock& operator=(const DirLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace vigil::files
