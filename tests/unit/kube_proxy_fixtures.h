// The Service fixtures of kube-proxy's TestOverallIPTablesRules, as a table, for golden tests.
#pragma once

#include <fstream>
#include <sstream>
#include <string>

#include "iptables_renderer.h"
#include "service_model.h"

namespace svcbench::testing {

// A golden file under tests/golden/ ("iptables/overall.rules"), whole; empty when missing.
inline std::string golden(const std::string& path) {
  std::ifstream in(std::string(SVCBENCH_SOURCE_ROOT) + "/tests/golden/" + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline IpAddress ip(const char* text) { return *IpAddress::parse(text); }

inline Endpoint endpoint(const char* address, uint16_t port, bool local = false) {
  Endpoint e;
  e.address = ip(address);
  e.port = port;
  e.local = local;
  return e;
}

// makeTestService with one TCP port "p80" at port 80, as kube-proxy's tests build them.
inline Service p80_service(const char* ns, const char* name, ServiceType type, const char* cluster_ip,
                           uint16_t node_port, std::vector<Endpoint> eps) {
  Service s;
  s.namespace_name = ns;
  s.name = name;
  s.type = type;
  s.cluster_ip = ip(cluster_ip);
  ServicePort p;
  p.name = "p80";
  p.port = 80;
  p.node_port = node_port;
  p.endpoints = std::move(eps);
  s.ports.push_back(p);
  return s;
}

inline ServiceSet overall_iptables_fixture() {
  ServiceSet set;
  auto add = [&](const char* ns, const char* name, ServiceType type, const char* cluster_ip,
                 uint16_t node_port, std::vector<Endpoint> eps) -> Service& {
    set.services.push_back(p80_service(ns, name, type, cluster_ip, node_port, std::move(eps)));
    return set.services.back();
  };
  add("ns1", "svc1", ServiceType::kClusterIP, "172.30.0.41", 0, {endpoint("10.180.0.1", 80)});
  {
    Service& s = add("ns2", "svc2", ServiceType::kLoadBalancer, "172.30.0.42", 3001,
                     {endpoint("10.180.0.2", 80)});
    s.external_traffic_policy = TrafficPolicy::kLocal;
    s.load_balancer_ips = {ip("1.2.3.4")};
    s.external_ips = {ip("192.168.99.22")};
    s.health_check_node_port = 30000;
  }
  add("ns3", "svc3", ServiceType::kNodePort, "172.30.0.43", 3003, {endpoint("10.180.0.3", 80)});
  {
    Service& s = add("ns4", "svc4", ServiceType::kNodePort, "172.30.0.44", 0,
                     {endpoint("10.180.0.4", 80), endpoint("10.180.0.5", 80, true)});
    s.external_ips = {ip("192.168.99.33")};
  }
  {
    Service& s = add("ns5", "svc5", ServiceType::kLoadBalancer, "172.30.0.45", 3002,
                     {endpoint("10.180.0.3", 80)});
    s.load_balancer_ips = {ip("5.6.7.8")};
    s.load_balancer_source_ranges = {*Cidr::parse("203.0.113.0/25")};
    s.session_affinity_client_ip = true;
    s.session_affinity_timeout_seconds = 10800;
  }
  add("ns6", "svc6", ServiceType::kClusterIP, "172.30.0.46", 0, {});
  return set;
}

// kube-proxy's NewFakeProxier: detect-local by 10.0.0.0/8, node IP 192.168.0.2, nfacct
// counters present, fake iptables without --random-fully.
inline IptablesOptions fake_proxier_options() {
  IptablesOptions o;
  o.cluster_cidr = Cidr::parse("10.0.0.0/8");
  o.node_ip = ip("192.168.0.2");
  o.nfacct = true;
  o.random_fully = false;
  return o;
}

// The IPv6 Service of kube-proxy's nftables TestTracePacketV6 ("basic tests of TestNodePorts for
// ipv6"): ns1/svc1, NodePort 3001, ClusterIP fd00:172:30::41, two endpoints on port 80.
inline ServiceSet ipv6_node_port_fixture() {
  ServiceSet set;
  set.services.push_back(p80_service("ns1", "svc1", ServiceType::kNodePort, "fd00:172:30::41", 3001,
                                     {endpoint("fd00:10:180::1", 80), endpoint("fd00:10:180::2:1", 80)}));
  return set;
}

// Its IPv6 proxier: pod CIDR fd00:10::/64, node IP 2001:db8::1.
inline ProxyOptions ipv6_proxier_options() {
  ProxyOptions o;
  o.ip_family = IpFamily::kIpv6;
  o.cluster_cidr = Cidr::parse("fd00:10::/64");
  o.node_ip = ip("2001:db8::1");
  return o;
}

}  // namespace svcbench::testing
