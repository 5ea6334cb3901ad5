// A seeded synthetic cluster: N Services with addresses from the AddressPlan.
#pragma once

#include <cstdint>

#include "address_plan.h"
#include "service_model.h"

namespace svcbench {

struct SyntheticSpec {
  size_t services = 100;
  size_t endpoints_min = 2;  // endpoints per service port, uniform in [min, max]
  size_t endpoints_max = 2;
  uint64_t seed = 1;
  double node_port_share = 0.0;      // of Services that are type NodePort
  double load_balancer_share = 0.0;  // of Services that are type LoadBalancer
  double udp_share = 0.5;            // of Services whose port is UDP (the rest TCP)
  double local_endpoint_share = 0.0; // of endpoints running on this node
};

// Parses "2" or "2-5" into endpoints_min/max; false on nonsense.
bool parse_endpoint_range(const std::string& text, SyntheticSpec& spec);

// Service i is "ns-<i/100>/svc-<i>", one port "p<port>"; ClusterIPs and endpoints are taken
// in order from plan.cluster_ips and plan.pods (wrapping past their size).
ServiceSet make_synthetic_services(const SyntheticSpec& spec, const AddressPlan& plan);

// The i-th synthetic Service alone (same naming and addresses as in make_synthetic_services),
// used to add a Service to an existing set.
Service make_synthetic_service(size_t index, const SyntheticSpec& spec, const AddressPlan& plan);

}  // namespace svcbench
