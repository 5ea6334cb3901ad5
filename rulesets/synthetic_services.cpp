#include "synthetic_services.h"

#include <random>

namespace svcbench {

namespace {
// Deterministic per-service randomness: the i-th Service is the same whatever N is.
std::mt19937_64 service_rng(uint64_t seed, size_t index) {
  std::seed_seq seq{seed, static_cast<uint64_t>(index), uint64_t{0x5eed}};
  return std::mt19937_64(seq);
}
}  // namespace

Service make_synthetic_service(size_t i, const SyntheticSpec& spec, const AddressPlan& plan) {
  auto rng = service_rng(spec.seed, i);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  Service s;
  s.namespace_name = spec.namespace_name.empty() ? "ns-" + std::to_string(i / 100) : spec.namespace_name;
  s.name = "svc-" + std::to_string(i);
  // Skip the network address; each ClusterIP appears once until the block is used up, then
  // the port changes so every (ClusterIP, port) stays unique.
  const uint64_t usable = plan.cluster_ips.size() - 2;
  s.cluster_ip = plan.cluster_ips.at(1 + i % usable);
  const double type_draw = unit(rng);
  const bool udp = unit(rng) < spec.udp_share;
  ServicePort port;
  port.protocol = udp ? Protocol::kUdp : Protocol::kTcp;
  port.port = static_cast<uint16_t>((udp ? 53 : 80) + i / usable);
  port.name = std::string("p").append(std::to_string(port.port));
  if (type_draw < spec.load_balancer_share) {
    s.type = ServiceType::kLoadBalancer;
    s.load_balancer_ips.push_back(
        plan.external_ips.at(1 + i % (plan.external_ips.size() - 2)));
  } else if (type_draw < spec.load_balancer_share + spec.node_port_share) {
    s.type = ServiceType::kNodePort;
  }
  if (s.type != ServiceType::kClusterIP) port.node_port = static_cast<uint16_t>(30000 + i % 2768);
  const size_t n_endpoints = spec.endpoints.endpoints_for(i, rng);
  const uint64_t pods = plan.pods.size() - 2;
  for (size_t e = 0; e < n_endpoints; ++e) {
    Endpoint ep;
    // Endpoint addresses: service i's e-th pod, striding so neighbours differ (past the pod
    // range's size, Services share pods; one Service's endpoints never repeat).
    ep.address = plan.pods.at(1 + (i * spec.endpoints.largest() + e) % pods);
    ep.port = udp ? 5353 : 8080;
    ep.local = unit(rng) < spec.local_endpoint_share;
    port.endpoints.push_back(ep);
  }
  s.ports.push_back(std::move(port));
  return s;
}

ServiceSet make_synthetic_services(const SyntheticSpec& spec, const AddressPlan& plan) {
  ServiceSet set;
  set.services.reserve(spec.services);
  for (size_t i = 0; i < spec.services; ++i)
    set.services.push_back(make_synthetic_service(i, spec, plan));
  return set;
}

}  // namespace svcbench
