#include "number_text.h"

#include <cmath>
#include <cstdio>

namespace svcbench {

std::string grouped_integer(double value) {
  std::string digits = std::to_string(std::llround(std::abs(value)));
  for (int i = static_cast<int>(digits.size()) - 3; i > 0; i -= 3)
    digits.insert(static_cast<size_t>(i), ",");
  return (value < 0 && std::llround(value) != 0 ? "-" : "") + digits;
}

std::string number_text(double value) {
  if (value == std::floor(value) && std::abs(value) < 1e15) return grouped_integer(value);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", value);
  return buf;
}

}  // namespace svcbench
