// The iptables-restore payload kube-proxy 1.12 wrote (pkg/proxy/iptables/proxier.go of the
// release-1.12 line, syncProxyRules): every sync a full restore; per Service port the
// masquerade and jump rules in KUBE-SERVICES itself, KUBE-SVC-/KUBE-SEP- chains with a
// "ns/svc:port" comment on every rule, KUBE-FW- for every LoadBalancer ingress IP, KUBE-XLB-
// for externalTrafficPolicy Local (with kubelet's KUBE-MARK-DROP), probabilities as %0.5f.
#pragma once

#include <string>
#include <vector>

#include "iptables_renderer.h"

namespace svcbench {

// `existing_nat_chains` are the per-Service chains the node has loaded: those the sync no
// longer uses are flushed and deleted (-X), as 1.12 did with iptables-save's chain list.
IptablesPayload render_iptables_1_12(const ServiceSet& services, const IptablesOptions& options,
                                     const std::vector<std::string>& existing_nat_chains = {});

// What 1.12 ensured in the base chains before its restore (iptablesJumpChains), plus the
// chains kubelet 1.12 owned that the rules jump to: nat KUBE-MARK-DROP and filter KUBE-FIREWALL.
std::string render_iptables_1_12_base_jumps();

// kube-proxy 1.12's ServicePortName.String(): "ns/svc:port", the colon even for an unnamed port.
std::string port_name_1_12(const Service& service, const ServicePort& port);

}  // namespace svcbench
