// Warming the generator and node up before a run's first measured point: a calibration
// stream over the back-to-back link, in windows, until its p50 stops moving. The first minutes
// of a cold machine read up to 2x slower (a sweep that measured one mode after another read
// latency *falling* with Services); what the warm-up took and the p50s it saw are recorded.
#pragma once

#include <vector>

#include "replay.h"
#include "service_model.h"

namespace svcbench {

struct WarmupPolicy {
  double max_seconds = 300;   // give up (recorded as not stable) after this long; 0: no warm-up
  double window_seconds = 2;  // one window's packets at the replay rate
  size_t min_windows = 10;    // however flat, at least this many (a slow drift needs time to show)
  size_t stable_windows = 5;  // the last this many windows' p50s...
  double tolerance = 0.05;    // ...each within this fraction of their median
};

struct WarmupResult {
  bool ran = false;
  bool stable = false;
  double seconds = 0;  // wall time, the windows' drains included
  uint64_t window_packets = 0;
  std::vector<uint64_t> window_p50_ns;  // every window's, in order
};

// Whether the p50s measured so far (oldest first) are stable by `policy`. Pure.
bool warm_up_stable(const std::vector<uint64_t>& window_p50_ns, const WarmupPolicy& policy);

// Replays `services`' untranslated frontends (new flows, at settings' rate) over the generator's
// back-to-back link in windows until warm_up_stable, the time limit, or an interruption.
WarmupResult warm_up(PacketReplayer& back_to_back, const ServiceSet& services,
                     const ReplaySettings& settings, const AddressPlan& plan,
                     const WarmupPolicy& policy);

}  // namespace svcbench
