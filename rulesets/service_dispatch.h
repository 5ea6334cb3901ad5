// One Service frontend as a loaded dataplane dispatches it, read back from the node (not
// from the model), so traffic targets what the kernel actually has.
#pragma once

#include <string>
#include <vector>

#include "service_model.h"

namespace svcbench {

struct ServiceDispatch {
  size_t position = 0;  // iptables: 0-based rule index in KUBE-SERVICES; nftables: listing order
  IpAddress address;
  uint16_t port = 0;
  Protocol protocol = Protocol::kTcp;
  std::string comment;              // e.g. "ns/svc:p80 cluster IP"
  std::string target_chain;         // KUBE-SVC-/KUBE-EXT-/KUBE-FW- or service-/external-...
  std::vector<Endpoint> endpoints;  // DNAT destinations reachable from the target chain
};

}  // namespace svcbench
