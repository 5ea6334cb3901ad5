#include "point_prediction.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

#include "number_text.h"

namespace svcbench {
namespace {

// operation -> services -> seconds (the whole sync where the entry has it).
std::map<std::string, std::map<size_t, double>> measured(const nlohmann::json& updates,
                                                         const std::string& mode,
                                                         const std::string& family) {
  std::map<std::string, std::map<size_t, double>> m;
  if (!updates.is_array()) return m;
  for (const auto& u : updates) {
    if (u.value("mode", "") != mode || u.value("ip_family", "ipv4") != family) continue;
    const auto& s = u.contains("sync_seconds") ? u["sync_seconds"] : u["seconds"];
    if (!s.is_object() || !s.contains("median") || !s["median"].is_number()) continue;
    m[u.value("operation", "")][u.value("services", size_t{0})] = s["median"].get<double>();
  }
  return m;
}

std::string duration_text(double seconds) {
  char t[64];
  if (seconds < 120)
    std::snprintf(t, sizeof t, "%.1f s", seconds);
  else if (seconds < 7200)
    std::snprintf(t, sizeof t, "%.0f min", seconds / 60);
  else
    std::snprintf(t, sizeof t, "%.1f h", seconds / 3600);
  return t;
}

}  // namespace

std::optional<Prediction> predict_slowest_update(const nlohmann::json& updates, const std::string& mode,
                                                 const std::string& family, size_t services) {
  std::optional<Prediction> slowest;
  for (const auto& [op, by_size] : measured(updates, mode, family)) {
    std::vector<std::pair<size_t, double>> below;
    for (const auto& [n, s] : by_size)
      if (n > 0 && n < services && s > 0) below.emplace_back(n, s);
    if (below.size() < 2) continue;
    const auto [n1, s1] = below[below.size() - 2];
    const auto [n2, s2] = below.back();
    const double exponent = std::max(1.0, std::log(s2 / s1) / std::log(double(n2) / double(n1)));
    const double seconds = s2 * std::pow(double(services) / double(n2), exponent);
    if (!slowest || seconds > slowest->seconds) slowest = Prediction{op, seconds, n1, n2, exponent};
  }
  return slowest;
}

std::string prediction_text(const Prediction& p, const nlohmann::json& updates, const std::string& mode,
                            const std::string& family) {
  const auto m = measured(updates, mode, family);
  const auto& by_size = m.at(p.operation);
  char exponent[32];
  std::snprintf(exponent, sizeof exponent, "%.2f", p.exponent);
  return p.operation + " ~" + duration_text(p.seconds) + " predicted (" +
         grouped_integer(double(p.from_smaller)) + ": " + duration_text(by_size.at(p.from_smaller)) + ", " +
         grouped_integer(double(p.from_larger)) + ": " + duration_text(by_size.at(p.from_larger)) +
         "; exponent " + exponent + ")";
}

}  // namespace svcbench
