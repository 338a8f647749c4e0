#pragma once
// Cloud's state, shared by its source files (cloud.cpp: requests; show.cpp: `cloud show`).

#include <cstdio>
#include <mutex>

#include "services.hpp"
#include "vigil/cloudsim/cloud.hpp"
#include "vigil/cloudsim/cloud_store.hpp"

namespace vigil::cloudsim {

struct Cloud::Impl {
  Impl(const std::filesystem::path& path, const Clock& c)
      : dir(CloudDir::openOrCreate(path)), store(dir.dbPath()), clock(&c) {}

  std::mutex mu;
  CloudDir dir;
  CloudStore store;
  const Clock* clock;
  std::FILE* record = nullptr;

  std::int64_t nowMs() const;
  /// Seals `reply` to the box and queues it, inside the caller's transaction; returns its id.
  std::string queueReply(const BoxRecord& box, const Reply& reply, const SendOptions& options);
};

}  // namespace vigil::cloudsim
