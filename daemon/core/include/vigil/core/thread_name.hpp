#pragma once
// Names the calling thread (at most 15 characters show), so `top -H`, `perf` and a core dump
// tell the store writer from the ingest worker: ops and benchmarks read per-thread CPU by name.

namespace vigil {

/// Sets the calling thread's name; longer names are cut to the kernel's 15 characters.
void nameThisThread(const char* name) noexcept;

}  // namespace vigil
