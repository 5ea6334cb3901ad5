#include "warm_up.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "elapsed.h"
#include "interruption.h"
#include "measure_point.h"

namespace svcbench {

bool warm_up_stable(const std::vector<uint64_t>& p50s, const WarmupPolicy& policy) {
  const size_t k = std::max<size_t>(policy.stable_windows, 1);
  if (p50s.size() < std::max(policy.min_windows, k)) return false;
  std::vector<uint64_t> last(p50s.end() - static_cast<std::ptrdiff_t>(k), p50s.end());
  std::sort(last.begin(), last.end());
  const double median = static_cast<double>(last[k / 2]);
  if (median <= 0) return false;
  return std::all_of(last.begin(), last.end(), [&](uint64_t v) {
    return std::abs(static_cast<double>(v) - median) <= policy.tolerance * median;
  });
}

WarmupResult warm_up(PacketReplayer& back_to_back, const ServiceSet& services,
                     const ReplaySettings& settings, const AddressPlan& plan,
                     const WarmupPolicy& policy) {
  WarmupResult result;
  if (policy.max_seconds <= 0) return result;
  result.ran = true;
  ReplaySettings window = settings;
  window.phase = Phase::kNewFlow;
  const double rate = static_cast<double>(settings.rate_pps ? settings.rate_pps : 5000);
  window.packets = std::max<uint64_t>(100, std::llround(rate * policy.window_seconds));
  result.window_packets = window.packets;
  // Bounded by windows as well as by time, so a replayer faster than its rate still stops.
  const auto max_windows =
      static_cast<size_t>(std::ceil(policy.max_seconds / std::max(policy.window_seconds, 0.001)));
  const auto start = std::chrono::steady_clock::now();
  while (!interrupted() && result.window_p50_ns.size() < max_windows) {
    const LatencyEntry e =
        measure_baseline(back_to_back, services, TargetPosition::kUniform, window, plan);
    result.window_p50_ns.push_back(e.replay.latency.percentile(50));
    result.seconds = seconds_since(start);
    if (warm_up_stable(result.window_p50_ns, policy)) {
      result.stable = true;
      break;
    }
    if (result.seconds >= policy.max_seconds) break;
  }
  return result;
}

}  // namespace svcbench
