// The Kubernetes objects kube-proxy programs a node from, reduced to what the proxy reads:
// Services with their ports, and per service port the endpoints EndpointSlices list for it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "address_plan.h"

namespace svcbench {

enum class Protocol { kTcp, kUdp, kSctp };
enum class ServiceType { kClusterIP, kNodePort, kLoadBalancer };
enum class TrafficPolicy { kCluster, kLocal };

const char* lowercase(Protocol protocol);  // "tcp", "udp", "sctp"
const char* uppercase(Protocol protocol);  // "TCP", ...
std::optional<Protocol> parse_protocol(const std::string& text);  // "TCP"/"UDP"/"SCTP"

// One address of an EndpointSlice, as kube-proxy sees it for one service port.
struct Endpoint {
  IpAddress address;
  uint16_t port = 0;
  bool ready = true;
  bool serving = true;
  bool terminating = false;
  bool local = false;  // on this node (EndpointSlice nodeName == the node's name)

  // net.JoinHostPort: "ip:port", "[ip6]:port".
  std::string str() const {
    return (address.is_v6() ? "[" + address.str() + "]" : address.str()) + ":" + std::to_string(port);
  }
  // What str() writes ("198.18.128.1:8080", "[2001:2:0:8000::1]:8080"); nullopt otherwise.
  static std::optional<Endpoint> parse(std::string_view text);
  bool operator==(const Endpoint&) const = default;
};

struct ServicePort {
  std::string name;  // may be empty for single-port Services
  Protocol protocol = Protocol::kTcp;
  uint16_t port = 0;
  uint16_t node_port = 0;  // 0: none
  std::vector<Endpoint> endpoints;
  bool operator==(const ServicePort&) const = default;
};

struct Service {
  std::string namespace_name;
  std::string name;
  ServiceType type = ServiceType::kClusterIP;
  IpAddress cluster_ip;
  std::vector<ServicePort> ports;
  std::vector<IpAddress> external_ips;
  std::vector<IpAddress> load_balancer_ips;
  std::vector<Cidr> load_balancer_source_ranges;
  TrafficPolicy external_traffic_policy = TrafficPolicy::kCluster;
  TrafficPolicy internal_traffic_policy = TrafficPolicy::kCluster;
  bool session_affinity_client_ip = false;
  int session_affinity_timeout_seconds = 10800;
  uint16_t health_check_node_port = 0;

  // "namespace/name", kube-proxy's NamespacedName.
  std::string namespaced_name() const { return namespace_name + "/" + name; }
  // kube-proxy's ServicePortName.String(): "ns/name:port" or "ns/name" for an unnamed port.
  std::string port_name(const ServicePort& port) const;
  bool externally_accessible(const ServicePort& port) const;
  bool external_policy_local(const ServicePort& port) const;
  bool internal_policy_local() const { return internal_traffic_policy == TrafficPolicy::kLocal; }
  bool operator==(const Service&) const = default;
};

struct ServiceSet {
  std::vector<Service> services;

  size_t service_port_count() const;
  size_t endpoint_count() const;  // over all service ports, as kube-proxy counts them
  const Service* find(const std::string& namespaced_name) const;
};

}  // namespace svcbench
