// Seconds of wall time since a steady_clock instant: how long an operation has taken so far.
#pragma once

#include <chrono>

namespace svcbench {

inline double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace svcbench
