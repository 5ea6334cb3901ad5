// Measuring one point: one mode at one Service count on a node. `run` and `sweep` both come
// here. When the request carries Services, kube-proxy's rule updates are timed first (which
// leaves them loaded); then the dispatch table is read back from the node and traffic is sent
// for each phase x target (or a capture is replayed), every packet checked against the
// endpoints its Service was DNAT-ed to; with a throughput request, the node's capacity is
// searched for per phase x target; with a convergence request, each update is made again under
// a held load. The back-to-back baseline is measured beside it.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "dataplane_mode.h"
#include "measure_convergence.h"
#include "measure_throughput.h"
#include "node.h"
#include "pcap_file.h"
#include "point_result.h"
#include "replay.h"
#include "synthetic_services.h"

namespace svcbench {

struct PointRequest {
  const ServiceSet* load =
      nullptr;             // load these and time the updates; null: measure what is loaded
  int update_repeats = 3;  // runs per update operation (with `load`)
  // --op-limit: an update operation still running after this many seconds is stopped, and the
  // point ends there with `limit_reached` (0: no limit).
  double op_limit_seconds = 0;
  SyntheticSpec spec;      // how update timing makes the Service it adds and removes
  AddressPlan plan;
  std::vector<Phase> phases = {Phase::kNewFlow, Phase::kEstablished};
  std::vector<TargetPosition> targets;  // empty: standard_targets() of what is loaded
  const std::vector<CapturedFrame>* capture = nullptr;  // replay this instead of aiming at targets
  bool map_services = false;  // with a capture: map its flows onto the loaded Services
  uint64_t loops = 1;         // with a capture: times it is replayed
  ReplaySettings replay;
  bool allow_any_address = false;  // send to addresses outside the benchmarking range too
  // Capacity: after the latency runs, an MLRsearch per phase x throughput_targets, bounded by
  // generator_max (measured once per run). Null: none.
  const ThroughputRequest* throughput = nullptr;
  std::vector<TargetPosition> throughput_targets = {TargetPosition::kLast};
  GeneratorMaximum generator_max;
  // Rule updates under load (needs `load`): after the capacity search, whose PDR sets the
  // background rate (half of it) when it ran and the request names no load_pps. Null: none.
  const ConvergenceRequest* convergence = nullptr;
  // Progress lines ("rule updates", "traffic", a saturation warning); may be empty.
  std::function<void(const std::string&)> progress;
};

// Stops early (keeping what it measured) once a signal arrived; the caller checks interrupted().
// Throws SetupError/UsageError when the node rejects the rules or has nothing to target.
PointResult measure_point(Node& node, DataplaneMode& mode, PacketReplayer& through_node,
                          const PointRequest& request);

// Frontends that nothing translates: each Service port's cluster IP, its own "endpoint".
std::vector<ServiceDispatch> untranslated_targets(const ServiceSet& services);
// The back-to-back baseline: traffic at `services`' frontends over the generator's own link.
LatencyEntry measure_baseline(PacketReplayer& back_to_back, const ServiceSet& services,
                              TargetPosition target, const ReplaySettings& settings,
                              const AddressPlan& plan);

// The generator's maximum: frames per second delivered (stamped, sent, received and matched)
// at top speed over the back-to-back pair, ten untranslated frontends, best of two; without
// that pair, the rate it transmits towards the node. Throws SetupError when nothing came back.
GeneratorMaximum measure_generator_max(PacketReplayer& replayer, bool back_to_back,
                                       const AddressPlan& plan, uint16_t burst);

// UsageError when a destination or endpoint lies outside the plan's benchmarking range.
void require_benchmarking_range(const TrafficPlan& traffic, const AddressPlan& plan);

}  // namespace svcbench
