#include "service_model.h"

namespace svcbench {

const char* lowercase(Protocol protocol) {
  switch (protocol) {
    case Protocol::kTcp: return "tcp";
    case Protocol::kUdp: return "udp";
    case Protocol::kSctp: return "sctp";
  }
  return "tcp";
}

const char* uppercase(Protocol protocol) {
  switch (protocol) {
    case Protocol::kTcp: return "TCP";
    case Protocol::kUdp: return "UDP";
    case Protocol::kSctp: return "SCTP";
  }
  return "TCP";
}

std::optional<Protocol> parse_protocol(const std::string& text) {
  if (text == "TCP" || text.empty()) return Protocol::kTcp;  // the API defaults to TCP
  if (text == "UDP") return Protocol::kUdp;
  if (text == "SCTP") return Protocol::kSctp;
  return std::nullopt;
}

std::string Service::port_name(const ServicePort& port) const {
  if (port.name.empty()) return namespaced_name();
  return namespaced_name() + ":" + port.name;
}

bool Service::externally_accessible(const ServicePort& port) const {
  return port.node_port != 0 || !load_balancer_ips.empty() || !external_ips.empty();
}

bool Service::external_policy_local(const ServicePort& port) const {
  return externally_accessible(port) && external_traffic_policy == TrafficPolicy::kLocal;
}

size_t ServiceSet::service_port_count() const {
  size_t n = 0;
  for (const auto& s : services) n += s.ports.size();
  return n;
}

size_t ServiceSet::endpoint_count() const {
  size_t n = 0;
  for (const auto& s : services)
    for (const auto& p : s.ports) n += p.endpoints.size();
  return n;
}

const Service* ServiceSet::find(const std::string& namespaced_name) const {
  for (const auto& s : services)
    if (s.namespaced_name() == namespaced_name) return &s;
  return nullptr;
}

}  // namespace svcbench
