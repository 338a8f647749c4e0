#include "vigil/core/files.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>

#include "vigil/core/error.hpp"

namespace vigil::files {

namespace {

[[noreturn]] void throwIo(std::string_view what, const std::filesystem::path& path) {
  throw Error("files: " + std::string(what) + " " + path.string() + ": " + std::strerror(errno));
}

void writeAll(int fd, std::string_view content, const std::filesystem::path& path) {
  while (!content.empty()) {
    ssize_t n = ::write(fd, content.data(), content.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      throwIo("write", path);
    }
    content.remove_prefix(static_cast<std::size_t>(n));
  }
}

}  // namespace

std::string readFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw FileMissing("cannot read " + path.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void writeFileAtomic(const std::filesystem::path& path, std::string_view content, mode_t mode) {
  auto tmp = path;
  std::random_device random;
  tmp += ".tmp-" + std::to_string(random()) + std::to_string(random());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) throwIo("create", tmp);
  try {
    if (::fchmod(fd, mode) != 0) throwIo("chmod", tmp);
    writeAll(fd, content, tmp);
    if (::fsync(fd) != 0) throwIo("fsync", tmp);
  } catch (...) {
    ::close(fd);
    ::unlink(tmp.c_str());
    throw;
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    throwIo("rename", path);
  }
}

void appendFile(const std::filesystem::path& path, std::string_view content, mode_t mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, mode);
  if (fd < 0) throwIo("open", path);
  try {
    writeAll(fd, content, path);
    if (::fsync(fd) != 0) throwIo("fsync", path);
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
}

void makeDir(const std::filesystem::path& path, mode_t mode) {
  std::filesystem::create_directories(path);
  if (::chmod(path.c_str(), mode) != 0) throwIo("chmod", path);
}

mode_t fileMode(const std::filesystem::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throwIo("stat", path);
  return st.st_mode & 07777;
}

DirLock::DirLock(const std::filesystem::path& lockFile) {
  fd_ = ::open(lockFile.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd_ < 0) throwIo("open lock", lockFile);
  while (::flock(fd_, LOCK_EX) != 0) {
    if (errno != EINTR) {
      ::close(fd_);
      throwIo("lock", lockFile);
    }
  }
}

DirLock::~DirLock() {
  if (fd_ >= 0) {
    ::flock(fd_, LOCK_UN);
    ::close(fd_);
  }
}

}  // namespace vigil::files
