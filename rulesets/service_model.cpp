#include "service_model.h"

#include <charconv>

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

std::optional<Endpoint> Endpoint::parse(std::string_view text) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  std::string_view host = text.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  auto address = IpAddress::parse(host);
  // A bare IPv6 address's last group is no port: IPv6 takes brackets.
  if (!address || (address->is_v6() && host.size() == colon)) return std::nullopt;
  const std::string_view port = text.substr(colon + 1);
  Endpoint e;
  e.address = *address;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), e.port);
  if (ec != std::errc() || end != port.data() + port.size()) return std::nullopt;
  return e;
}

}  // namespace svcbench
