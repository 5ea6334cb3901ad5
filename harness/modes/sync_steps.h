// One kube-proxy sync, step by step: every external tool kube-proxy's proxier runs for it
// (iptables' ensure-jumps and iptables-save before the restore, nftables' stale-chain
// transaction and listings before its transaction), each timed on the node's clock with the
// tool's own user and kernel CPU time. A mode records the steps of the sync it last ran.
#pragma once

#include <string>
#include <vector>

#include "command_runner.h"
#include "node.h"

namespace svcbench {

struct SyncStep {
  std::string name;     // e.g. "iptables-restore", "nft list table", "ensure-jumps"
  double seconds = 0;   // wall, summed over the step's invocations
  double user_seconds = -1, system_seconds = -1;  // summed rusage; -1: the node cannot say
  int invocations = 0;  // tool runs in the step (ensure-jumps: one per -N/-C/-I)
};
using SyncSteps = std::vector<SyncStep>;

// Wall seconds of every step: the sync as kube-proxy waits for it.
double sync_seconds(const SyncSteps& steps);

class SyncRecorder {
 public:
  // Starts a new sync: the steps recorded so far are dropped.
  void start() { steps_.clear(); }
  // Runs argv on the node and records it under `step` (joined to the last step when it has
  // the same name).
  CommandResult run(Node& node, const std::string& step, const std::vector<std::string>& argv,
                    const std::string& input = "");
  // `invocations`: the tool runs `result` stands for (a script of kube-proxy's calls: its lines).
  void record(const std::string& step, const CommandResult& result, int invocations = 1);
  const SyncSteps& steps() const { return steps_; }

 private:
  SyncSteps steps_;
};

}  // namespace svcbench
