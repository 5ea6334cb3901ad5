// The sweep: for each mode and Service count, load the node, time rule updates, then replay
// traffic for every phase and target; a back-to-back baseline first. Progress goes to
// stderr; results.json is rewritten after every point.
#pragma once

#include <string>
#include <vector>

#include "address_plan.h"
#include "iptables_renderer.h"
#include "synthetic_services.h"
#include "vm_node.h"

namespace svcbench {

struct SweepConfig {
  std::vector<std::string> modes = {"iptables-legacy", "iptables-nft", "nftables"};
  std::vector<size_t> service_counts = {10, 30, 100, 300, 1000, 3000, 10000};
  std::string out_dir;
  std::string resume_dir;           // when set, out_dir == resume_dir
  std::string from_file;            // a cluster's kubectl JSON instead of synthetic Services
  SyntheticSpec spec;               // services overridden per point
  IptablesOptions iptables;
  uint64_t packets = 2000;          // per phase x target point
  uint64_t rate_pps = 5000;
  int repeats = 3;                  // per update operation
  std::vector<std::string> eal_args;  // empty: the testbed's af_packet devices
  std::string node_kind = "netns";    // "netns" | "vm"
  std::string vm_image_dir;           // the vm node's kernel + initramfs (scripts/build-vm-image)
  double vm_silence_seconds = VmShell::kDefaultSilenceSeconds;  // guest silent this long: not answering
  bool quick = false;
};

// The configuration an earlier run recorded in its results.json "config" block, so that
// --resume finishes exactly that sweep. Throws UsageError when it is incomplete.
SweepConfig sweep_config_from_results(const std::string& directory);

// Returns the process exit code: 0 done, 1 some points failed, 130/143 interrupted.
int run_sweep(const SweepConfig& config);

}  // namespace svcbench
