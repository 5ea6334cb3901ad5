// Renders the iptables-restore payload kube-proxy's iptables mode writes for a ServiceSet
// (pkg/proxy/iptables/proxier.go, syncProxyRules), full or partial (KEP-3453).
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "proxy_options.h"
#include "service_model.h"

namespace svcbench {

struct IptablesOptions : ProxyOptions {
  bool nfacct = false;             // kernel has xt_nfacct: kube-proxy adds its counters
  bool localhost_node_ports = true;
  bool conntrack_tcp_liberal = false;
  size_t large_cluster_endpoints_threshold = 1000;
  // Services in this order in KUBE-SERVICES. kube-proxy iterates a Go map (random order per
  // sync); svcbench sorts by ServicePortName so runs are reproducible.
};

// What a partial sync writes: only these Services' own chains (all top-level chains are
// always rewritten), plus flush-and-delete of the existing per-Service chains the sync no
// longer uses (kube-proxy: existingNATChains.Difference(activeNATChains)).
struct SyncScope {
  std::set<std::string> changed_services;   // namespaced names
  std::vector<std::string> existing_nat_chains;  // what the node has loaded
};

struct IptablesPayload {
  std::string text;  // input for iptables-restore --noflush --counters
  std::vector<std::string> active_nat_chains;  // every per-Service chain the sync keeps
  size_t filter_rules = 0;
  size_t nat_rules = 0;
  size_t nat_chains = 0;
  bool large_cluster_mode = false;
};

// scope == nullopt renders a full sync. With kube_proxy_version 1.12 every sync is a full one
// (1.12 had no partial syncs); the scope's existing chains still get their -X.
IptablesPayload render_iptables(const ServiceSet& services, const IptablesOptions& options,
                                const std::optional<SyncScope>& scope = std::nullopt);

// The payload kube-proxy hands to iptables-restore: "*filter", its chain lines and rules,
// "COMMIT", "*nat", its chain lines and rules, "COMMIT" (every release has written it so).
std::string restore_payload(const std::string& filter_chains, const std::string& filter_rules,
                            const std::string& nat_chains, const std::string& nat_rules);

// The nfacct counters kube-proxy's iptables proxier creates (nfacct Ensure, before its first
// sync) where the kernel has xt_nfacct, and which its rules then name (--nfacct).
inline constexpr const char* kNfacctLocalhostNodePorts = "localhost_nps_accepted_pkts";
inline constexpr const char* kNfacctInvalidDropped = "ct_state_invalid_dropped_pkts";
inline constexpr const char* kKubeProxyNfacctCounters[] = {kNfacctInvalidDropped,
                                                           kNfacctLocalhostNodePorts};

// The jump rules kube-proxy ensures in the base chains before its first restore, as one
// iptables-restore --noflush payload of -I lines (it uses `iptables -C/-I` per rule).
std::string render_iptables_base_jumps(KubeProxyVersion version = KubeProxyVersion::kCurrent);

}  // namespace svcbench
