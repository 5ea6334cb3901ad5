// A seeded synthetic cluster: N Services with addresses from the AddressPlan.
#pragma once

#include <cstdint>
#include <string>

#include "address_plan.h"
#include "endpoint_profile.h"
#include "service_model.h"

namespace svcbench {

struct SyntheticSpec {
  size_t services = 100;
  EndpointProfile endpoints = EndpointProfile::uniform(2);  // per Service port
  uint64_t seed = 1;
  double node_port_share = 0.0;      // of Services that are type NodePort
  double load_balancer_share = 0.0;  // of Services that are type LoadBalancer
  double udp_share = 0.5;            // of Services whose port is UDP (the rest TCP)
  double local_endpoint_share = 0.0; // of endpoints running on this node
  std::string namespace_name;        // every Service's namespace; empty: ns-<i/100>
};

// Service i is "ns-<i/100>/svc-<i>" (or "<namespace_name>/svc-<i>"), one port "p<port>"; ClusterIPs and endpoints are taken
// in order from plan.cluster_ips and plan.pods (wrapping past their size).
ServiceSet make_synthetic_services(const SyntheticSpec& spec, const AddressPlan& plan);

// The i-th synthetic Service alone (same naming and addresses as in make_synthetic_services),
// used to add a Service to an existing set.
Service make_synthetic_service(size_t index, const SyntheticSpec& spec, const AddressPlan& plan);

}  // namespace svcbench
