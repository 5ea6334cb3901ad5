// What `svcbench compare` writes about a Comparison: the table it prints, and in --out DIR
// comparison.csv, comparison.json, comparison.svg (B/A per point on a log scale, coloured by
// verdict) and comparison.html (the plot, the context differences and the table).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "run_comparison.h"

namespace svcbench {

// Names of the two runs as the outputs show them (their directories).
struct RunNames {
  std::string a, b;
};

// A value as people write it: "177.2 µs", "0.452 s", "105,568 pps".
std::string format_compared_value(const ComparedPoint& point, double value);

std::string comparison_table(const Comparison& comparison, const RunNames& names);
std::string comparison_csv(const Comparison& comparison);
nlohmann::json comparison_json(const Comparison& comparison, const RunNames& names);
std::string comparison_svg(const Comparison& comparison);
std::string comparison_html(const Comparison& comparison, const RunNames& names);

}  // namespace svcbench
