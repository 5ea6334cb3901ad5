#include "sweep_order.h"

#include <utility>

#include "errors.h"

namespace svcbench {

SweepOrder parse_sweep_order(const std::string& name) {
  if (name == "shuffled") return SweepOrder::kShuffled;
  if (name == "grouped") return SweepOrder::kGrouped;
  throw UsageError("--order takes shuffled or grouped, not '" + name + "'");
}

const char* to_string(SweepOrder order) {
  return order == SweepOrder::kShuffled ? "shuffled" : "grouped";
}

std::vector<SweepSlot> sweep_slot_order(size_t modes, size_t counts, SweepOrder order,
                                        uint64_t seed) {
  std::vector<SweepSlot> slots;
  for (size_t m = 0; m < modes; ++m)
    for (size_t c = 0; c < counts; ++c) slots.push_back({m, c});
  if (order == SweepOrder::kGrouped) return slots;
  uint64_t state = seed;
  auto next = [&state] {  // splitmix64
    uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  };
  for (size_t i = slots.size(); i > 1; --i) std::swap(slots[i - 1], slots[next() % i]);
  return slots;
}

}  // namespace svcbench
