// Before a point starts, what its slowest rule update will take, extrapolated from the sizes
// the sweep has measured: a sweep prints it, and skips (recorded) a point predicted far past
// --op-limit instead of spending the limit to find out.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace svcbench {

struct Prediction {
  std::string operation;    // the update predicted to take longest
  double seconds = 0;
  size_t from_smaller = 0, from_larger = 0;  // the two measured sizes it extrapolates from
  double exponent = 0;                       // of the power law through them (at least 1)
};

// From results.json's "updates" of `mode` and `family` (whole syncs where recorded): per
// operation, a power law through the two largest sizes below `services`, exponent clamped to at
// least 1 (an update does not get cheaper per Service). nullopt: fewer than two sizes measured.
std::optional<Prediction> predict_slowest_update(const nlohmann::json& updates, const std::string& mode,
                                                 const std::string& family, size_t services);

// "full-resync ~40 min predicted (10,000: 37.5 s, 20,000: 160 s; exponent 2.1)".
std::string prediction_text(const Prediction& p, const nlohmann::json& updates, const std::string& mode,
                            const std::string& family);

}  // namespace svcbench
