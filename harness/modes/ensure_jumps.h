// kube-proxy's EnsureChain and EnsureRule for the jumps into its chains (pkg/util/iptables):
// one iptables process per call, recorded as the sync step "ensure-jumps". The iptables and
// IPVS proxiers both run them (iptables on full syncs, IPVS on every sync).
#pragma once

#include <string>
#include <vector>

#include "iptables_dump.h"
#include "node.h"
#include "sync_steps.h"

namespace svcbench {

// For each jump: `IPT -w 5 -W 100000 -N CHAIN -t TABLE` (exit 1: it exists), then `-C SOURCE
// -t TABLE RULE` and, when the rule is missing, `-I` (or `-A`) it. `iptables` is the plain
// tool of the mode's backend and family; a failure throws SetupError naming `who`.
void ensure_jumps(SyncRecorder& sync, Node& node, const std::string& iptables,
                  const std::vector<BaseChainJump>& jumps, const std::string& who);

}  // namespace svcbench
