// The sweep: for each mode and Service count, measure_point on one node; a back-to-back
// baseline first. Progress goes to stderr; results.json is rewritten after every point, and
// only complete points keep numbers in it, so --resume measures exactly what is missing.
#pragma once

#include "node.h"
#include "replay.h"
#include "results_document.h"
#include "sweep_config.h"

namespace svcbench {

// Brings the node up, measures every point not yet completed, tears the node down however
// it ends. Returns the process exit code: 0 done, 1 some points failed, 128+N interrupted.
int run_sweep(const SweepConfig& config);

// The points of a sweep on a node that is up, sent through `through_node` (and the baseline
// through `back_to_back`, when there is one): skips points `doc` has completed, records each
// point's numbers or its failure and saves `doc` after each. What run_sweep and --resume run,
// and what unit tests drive with a fake node and replayer. Returns the number of failed points.
int sweep_points(const SweepConfig& config, Node& node, PacketReplayer& through_node,
                 PacketReplayer* back_to_back, ResultsDocument& doc,
                 const ServiceSet& imported = {});
// The Services of `--from FILE`, remapped into the address plan; empty for a synthetic sweep.
// Throws UsageError for a file that is not a cluster's kubectl JSON.
ServiceSet imported_services(const SweepConfig& config);

}  // namespace svcbench
