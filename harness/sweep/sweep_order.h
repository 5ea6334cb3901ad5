// The order a sweep measures its points in. Measuring one mode after another confounds mode
// with time (a machine warming up or drifting reads as a mode's or a size's cost), so by
// default the (mode, Service count) points are shuffled with a seed the results record, and
// --resume measures what is left in the same order.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace svcbench {

enum class SweepOrder { kShuffled, kGrouped };  // grouped: every size of one mode, then the next

// "shuffled" | "grouped"; UsageError otherwise.
SweepOrder parse_sweep_order(const std::string& name);
const char* to_string(SweepOrder order);

struct SweepSlot {
  size_t mode = 0;   // index into the config's modes
  size_t count = 0;  // index into its Service counts
  bool operator==(const SweepSlot&) const = default;
};

// Every (mode, count) once, in `order`; shuffled is a Fisher-Yates shuffle driven by splitmix64
// of `seed`, the same on every platform and release.
std::vector<SweepSlot> sweep_slot_order(size_t modes, size_t counts, SweepOrder order,
                                        uint64_t seed);

}  // namespace svcbench
