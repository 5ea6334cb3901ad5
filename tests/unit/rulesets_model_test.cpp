#include <gtest/gtest.h>

#include <array>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "address_plan.h"
#include "iptables_renderer.h"
#include "kube_proxy_fixtures.h"
#include "kubernetes_import.h"
#include "kubernetes_manifests.h"
#include "synthetic_services.h"

namespace svcbench {
namespace {

TEST(AddressPlan, ParsesAndContains) {
  EXPECT_FALSE(IpAddress::parse("256.1.1.1"));
  EXPECT_FALSE(IpAddress::parse("1.2.3"));
  EXPECT_FALSE(IpAddress::parse("1.2.3.4 "));
  EXPECT_FALSE(Cidr::parse("198.18.0.1/15"));  // host bits set
  EXPECT_FALSE(Cidr::parse("198.18.0.0/33"));
  auto range = *Cidr::parse("198.18.0.0/15");
  EXPECT_TRUE(range.contains(*IpAddress::parse("198.19.255.255")));
  EXPECT_FALSE(range.contains(*IpAddress::parse("198.20.0.0")));
  AddressPlan plan;
  EXPECT_TRUE(plan.inside_benchmarking_range());
  plan.pods = *Cidr::parse("10.0.0.0/8");
  EXPECT_FALSE(plan.inside_benchmarking_range());
}

TEST(AddressPlan, BothFamilies) {
  auto v6 = IpAddress::parse("2001:2:0:1::a");
  ASSERT_TRUE(v6);
  EXPECT_TRUE(v6->is_v6());
  EXPECT_EQ(v6->str(), "2001:2:0:1::a");
  EXPECT_FALSE(IpAddress::parse("2001:2::1::2"));
  EXPECT_FALSE(IpAddress::parse("198.18.0.1:80"));
  EXPECT_TRUE(IpAddress::parse("::1")->is_loopback());
  EXPECT_FALSE(Cidr::parse("2001:2::1/48"));   // host bits set
  EXPECT_FALSE(Cidr::parse("2001:2::/129"));
  const auto range = *Cidr::parse("2001:2::/48");
  EXPECT_TRUE(range.contains(*IpAddress::parse("2001:2:0:ffff::1")));
  EXPECT_FALSE(range.contains(*IpAddress::parse("2001:3::1")));
  EXPECT_FALSE(range.contains(*IpAddress::parse("198.18.0.1")));  // never across families
  EXPECT_FALSE(Cidr::parse("198.18.0.0/15")->contains(*v6));
  EXPECT_EQ(Cidr::parse("2001:2:0:1::/108")->at(0x1ff).str(), "2001:2:0:1::1ff");
  EXPECT_EQ(Cidr::parse("2001:2:0:1::/108")->size(), uint64_t{1} << 20);
  const AddressPlan plan = AddressPlan::ipv6();
  EXPECT_TRUE(plan.inside_benchmarking_range());
  EXPECT_EQ(plan.node_ingress_address().str(), "2001:2::1");
  EXPECT_EQ(plan.endpoint_next_hop().str(), "2001:2::a");
  AddressPlan outside = plan;
  outside.pods = *Cidr::parse("fd00::/64");
  EXPECT_FALSE(outside.inside_benchmarking_range());
}

TEST(SyntheticServices, DeterministicAndInsidePlan) {
  SyntheticSpec spec;
  spec.services = 1000;
  spec.endpoints = EndpointProfile::range(1, 4);
  spec.node_port_share = 0.2;
  spec.load_balancer_share = 0.1;
  AddressPlan plan;
  auto a = make_synthetic_services(spec, plan);
  auto b = make_synthetic_services(spec, plan);
  ASSERT_EQ(a.services.size(), 1000u);
  EXPECT_TRUE(a.services == b.services);
  std::set<std::pair<uint32_t, uint16_t>> frontends;
  size_t udp = 0, lb = 0, np = 0;
  for (const auto& s : a.services) {
    EXPECT_TRUE(plan.cluster_ips.contains(s.cluster_ip));
    frontends.insert({s.cluster_ip.value, s.ports[0].port});
    udp += s.ports[0].protocol == Protocol::kUdp;
    lb += s.type == ServiceType::kLoadBalancer;
    np += s.type == ServiceType::kNodePort;
    EXPECT_GE(s.ports[0].endpoints.size(), 1u);
    EXPECT_LE(s.ports[0].endpoints.size(), 4u);
    for (const auto& e : s.ports[0].endpoints) EXPECT_TRUE(plan.pods.contains(e.address));
    for (const auto& ip : s.load_balancer_ips) EXPECT_TRUE(plan.external_ips.contains(ip));
  }
  EXPECT_EQ(frontends.size(), 1000u);
  EXPECT_NEAR(udp, 500, 80);
  EXPECT_NEAR(lb, 100, 40);
  EXPECT_NEAR(np, 200, 50);
  // Service i does not depend on N.
  spec.services = 10;
  EXPECT_TRUE(make_synthetic_services(spec, plan).services[7] == a.services[7]);
  // Unique frontends even past the ClusterIP block's size.
  EXPECT_NE(make_synthetic_service(40000, spec, plan).ports[0].port, make_synthetic_service(7, spec, plan).ports[0].port);
}

TEST(EndpointProfile, ParsesItsForms) {
  EXPECT_EQ(EndpointProfile::parse("3"), EndpointProfile::uniform(3));
  EXPECT_EQ(EndpointProfile::parse("uniform:3"), EndpointProfile::uniform(3));
  EXPECT_EQ(EndpointProfile::parse("1-5"), EndpointProfile::range(1, 5));
  EXPECT_EQ(EndpointProfile::parse("range:1-5")->name(), "range:1-5");
  EXPECT_EQ(EndpointProfile::parse("cl2")->name(), "cl2");
  for (const char* bad : {"5-1", "x", "2-", "uniform:1-5", "range:3", "1001", "cl3", ""})
    EXPECT_FALSE(EndpointProfile::parse(bad)) << bad;
}

// ClusterLoader2's load mix: per 162 Services 149 with 5 endpoints, 12 with 30, 1 with 250 —
// whatever the set's size, Service i has the same count.
TEST(EndpointProfile, Cl2MixRepeatsEvery162Services) {
  SyntheticSpec spec;
  spec.endpoints = EndpointProfile::cl2();
  spec.services = 162 * 3;
  std::map<size_t, size_t> counts;
  const auto set = make_synthetic_services(spec, AddressPlan{});
  for (const auto& s : set.services) ++counts[s.ports[0].endpoints.size()];
  EXPECT_EQ(counts, (std::map<size_t, size_t>{{5, 149 * 3}, {30, 12 * 3}, {250, 3}}));
  EXPECT_DOUBLE_EQ(spec.endpoints.mean_for(162), (149 * 5 + 12 * 30 + 250) / 162.0);
  spec.services = 50;
  EXPECT_TRUE(make_synthetic_services(spec, AddressPlan{}).services[20] == set.services[20]);
  // A Service's endpoints never repeat, even with 250 of them.
  const auto& big = set.services[161].ports[0].endpoints;
  std::set<IpAddress> distinct;
  for (const auto& e : big) distinct.insert(e.address);
  EXPECT_EQ(distinct.size(), 250u);
}

// A histogram from a cluster (`svcbench profile`) reads back and draws Services in its shape.
TEST(EndpointProfile, HistogramRoundTripsAndDrawsInItsShape) {
  ServiceSet cluster;
  for (size_t i = 0; i < 100; ++i) {
    Service s;
    s.name = "s" + std::to_string(i);
    ServicePort p;
    p.endpoints.resize(i < 90 ? 3 : 40);
    s.ports.push_back(p);
    cluster.services.push_back(s);
  }
  const auto profile = EndpointProfile::of_services(cluster, "cluster.json");
  EXPECT_EQ(profile.profile_text(),
            "# svcbench endpoint profile: endpoints per Service port, Service ports (from cluster.json)\n"
            "3 90\n40 10\n");
  const auto back = EndpointProfile::from_profile_text(profile.profile_text(), "p.txt");
  EXPECT_EQ(back.buckets(), profile.buckets());
  EXPECT_EQ(back.name(), "file:p.txt");
  EXPECT_DOUBLE_EQ(back.mean_for(100), 6.7);
  SyntheticSpec spec;
  spec.endpoints = back;
  spec.services = 2000;
  size_t big = 0;
  for (const auto& s : make_synthetic_services(spec, AddressPlan{}).services) {
    const size_t n = s.ports[0].endpoints.size();
    EXPECT_TRUE(n == 3 || n == 40) << n;
    big += n == 40;
  }
  EXPECT_NEAR(static_cast<double>(big) / 2000, 0.1, 0.03);
  EXPECT_THROW(EndpointProfile::from_profile_text("3 90\nfive 2\n", "p.txt"), std::runtime_error);
  EXPECT_THROW(EndpointProfile::from_profile_text("# nothing\n", "p.txt"), std::runtime_error);
}

constexpr const char* kList = R"({
 "apiVersion": "v1", "kind": "List", "items": [
  {"apiVersion": "v1", "kind": "Service",
   "metadata": {"name": "web", "namespace": "shop"},
   "spec": {"type": "LoadBalancer", "clusterIP": "10.96.0.10", "externalTrafficPolicy": "Local",
            "healthCheckNodePort": 31000,
            "ports": [{"name": "http", "port": 80, "protocol": "TCP", "nodePort": 30080, "targetPort": 8080}],
            "loadBalancerSourceRanges": [" 203.0.113.0/25"]},
   "status": {"loadBalancer": {"ingress": [{"ip": "192.0.2.7"}]}}},
  {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "headless", "namespace": "shop"},
   "spec": {"clusterIP": "None", "ports": [{"port": 1}]}},
  {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
   "metadata": {"name": "web-abc", "namespace": "shop", "labels": {"kubernetes.io/service-name": "web"}},
   "addressType": "IPv4",
   "endpoints": [{"addresses": ["10.244.1.5"], "conditions": {"ready": true}, "nodeName": "node-a"},
                 {"addresses": ["10.244.2.9"], "conditions": {"ready": false, "serving": true, "terminating": true}, "nodeName": "node-b"}],
   "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}]}
 ]})";

TEST(KubernetesImport, ReadsServicesAndSlices) {
  auto set = import_kubernetes_list(kList, ImportOptions{"node-a"});
  ASSERT_EQ(set.services.size(), 1u);
  const auto& s = set.services[0];
  EXPECT_EQ(s.namespaced_name(), "shop/web");
  EXPECT_EQ(s.type, ServiceType::kLoadBalancer);
  EXPECT_EQ(s.cluster_ip.str(), "10.96.0.10");
  EXPECT_EQ(s.health_check_node_port, 31000);
  EXPECT_EQ(s.load_balancer_ips.at(0).str(), "192.0.2.7");
  EXPECT_EQ(s.load_balancer_source_ranges.at(0).str(), "203.0.113.0/25");
  ASSERT_EQ(s.ports.size(), 1u);
  EXPECT_EQ(s.ports[0].node_port, 30080);
  ASSERT_EQ(s.ports[0].endpoints.size(), 2u);
  EXPECT_EQ(s.ports[0].endpoints[0].str(), "10.244.1.5:8080");
  EXPECT_TRUE(s.ports[0].endpoints[0].local);
  EXPECT_FALSE(s.ports[0].endpoints[1].ready);
  EXPECT_TRUE(s.ports[0].endpoints[1].terminating);

  AddressPlan plan;
  remap_into_plan(set, plan);
  EXPECT_TRUE(plan.cluster_ips.contains(set.services[0].cluster_ip));
  EXPECT_TRUE(plan.pods.contains(set.services[0].ports[0].endpoints[1].address));
  EXPECT_TRUE(plan.external_ips.contains(set.services[0].load_balancer_ips[0]));
}

// What kube-proxy reads beyond the basics: ingress ipMode, a dual-stack Service's IPv4
// ClusterIP from clusterIPs, and the labels its informers filter Services and slices by.
TEST(KubernetesImport, FollowsKubeProxysFieldRules) {
  const char* list = R"({"items": [
  {"kind": "Service", "metadata": {"name": "dual", "namespace": "a"},
   "spec": {"type": "LoadBalancer", "clusterIP": "fd00::10", "clusterIPs": ["fd00::10", "10.96.0.20"],
            "ipFamilies": ["IPv6", "IPv4"], "ports": [{"name": "p", "port": 80, "nodePort": 30001}]},
   "status": {"loadBalancer": {"ingress": [{"ip": "192.0.2.1", "ipMode": "Proxy"},
                                           {"ip": "192.0.2.2", "ipMode": "VIP"}, {"ip": "192.0.2.3"}]}}},
  {"kind": "Service", "metadata": {"name": "other-proxy", "namespace": "a",
                                   "labels": {"service.kubernetes.io/service-proxy-name": "cilium"}},
   "spec": {"clusterIP": "10.96.0.21", "ports": [{"port": 80}]}},
  {"kind": "Service", "metadata": {"name": "headless-label", "namespace": "a",
                                   "labels": {"service.kubernetes.io/headless": ""}},
   "spec": {"clusterIP": "10.96.0.22", "ports": [{"port": 80}]}},
  {"kind": "EndpointSlice", "metadata": {"name": "dual-1", "namespace": "a",
                                         "labels": {"kubernetes.io/service-name": "dual"}},
   "addressType": "IPv4", "endpoints": [{"addresses": ["10.244.0.1"]}], "ports": [{"name": "p", "port": 8080}]},
  {"kind": "EndpointSlice", "metadata": {"name": "dual-2", "namespace": "a",
                                         "labels": {"kubernetes.io/service-name": "dual",
                                                    "service.kubernetes.io/headless": ""}},
   "addressType": "IPv4", "endpoints": [{"addresses": ["10.244.0.2"]}], "ports": [{"name": "p", "port": 8080}]},
  {"kind": "EndpointSlice", "metadata": {"name": "dual-3", "namespace": "a",
                                         "labels": {"kubernetes.io/service-name": "dual"}},
   "addressType": "IPv6", "endpoints": [{"addresses": ["fd00:244::1"]}], "ports": [{"name": "p", "port": 8080}]}
  ]})";
  auto set = import_kubernetes_list(list, ImportOptions{});
  ASSERT_EQ(set.services.size(), 1u);
  const auto& s = set.services[0];
  EXPECT_EQ(s.cluster_ip.str(), "10.96.0.20");
  ASSERT_EQ(s.load_balancer_ips.size(), 2u);  // the Proxy-mode ingress IP gets no rules
  EXPECT_EQ(s.load_balancer_ips[0].str(), "192.0.2.2");
  ASSERT_EQ(s.ports[0].endpoints.size(), 1u);
  EXPECT_EQ(s.ports[0].endpoints[0].str(), "10.244.0.1:8080");
  // The IPv6 proxier's view of the same objects: the IPv6 ClusterIP and slice, no IPv4 LB IPs.
  ImportOptions v6;
  v6.family = IpFamily::kIpv6;
  auto set6 = import_kubernetes_list(list, v6);
  ASSERT_EQ(set6.services.size(), 1u);
  EXPECT_EQ(set6.services[0].cluster_ip.str(), "fd00::10");
  EXPECT_TRUE(set6.services[0].load_balancer_ips.empty());
  ASSERT_EQ(set6.services[0].ports[0].endpoints.size(), 1u);
  EXPECT_EQ(set6.services[0].ports[0].endpoints[0].str(), "[fd00:244::1]:8080");
}

// Names the API server would refuse never reach a ruleset: a quote or newline in a name could
// otherwise end an iptables comment and add rules of its own.
TEST(KubernetesImport, RejectsNamesKubernetesWouldRefuse) {
  auto service = [](const std::string& ns, const std::string& name, const std::string& port) {
    return nlohmann::json{{"items", {{{"kind", "Service"},
                                      {"metadata", {{"namespace", ns}, {"name", name}}},
                                      {"spec", {{"clusterIP", "10.0.0.1"}, {"ports", {{{"name", port}, {"port", 80}}}}}}}}}}
        .dump();
  };
  EXPECT_EQ(import_kubernetes_list(service("kube-system", "kube-dns", "dns-tcp"), {}).services.size(), 1u);
  EXPECT_EQ(import_kubernetes_list(service("ns1", "a1", ""), {}).services.size(), 1u);
  for (const auto& [ns, name, port] : std::vector<std::array<std::string, 3>>{
           {"ns1", "a\" -j ACCEPT\n-A KUBE-SERVICES -j DROP", ""},
           {"ns1", "$(touch /tmp/svcb-pwned)", ""},
           {"ns1", "a;reboot", ""},
           {"ns1", "Upper", ""},
           {"ns1", "1starts-with-digit", ""},
           {"ns1", "ends-with-dash-", ""},
           {"ns1", std::string(64, 'a'), ""},
           {"ns/1", "a", ""},
           {"ns1\n", "a", ""},
           {"ns1", "a", "p\"; flush ruleset; \""},
           {"ns1", "a", "has space"}}) {
    try {
      import_kubernetes_list(service(ns, name, port), {});
      ADD_FAILURE() << "accepted " << ns << "/" << name << ":" << port;
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find("not a valid Kubernetes name"), std::string::npos) << e.what();
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << "error spans lines: " << e.what();
    }
  }
}

TEST(KubernetesImport, RejectsBadInput) {
  EXPECT_THROW(import_kubernetes_list("{", {}), std::runtime_error);
  EXPECT_THROW(import_kubernetes_list("[]", {}), std::runtime_error);
  EXPECT_THROW(import_kubernetes_list(R"({"items": [{"kind":"Service","metadata":{"name":"a","namespace":"b"},"spec":{"clusterIP":"10.0.0.1","ports":[{"port":99999}]}}]})", {}), std::runtime_error);
  EXPECT_THROW(import_kubernetes_list(R"({"items": [{"kind":"Service","metadata":{"name":"a","namespace":"b"},"spec":{"clusterIP":"10.0.0.1","ports":[{"port":80,"protocol":"QUIC"}]}}]})", {}), std::runtime_error);
  EXPECT_EQ(import_kubernetes_list(R"({"items": []})", {}).services.size(), 0u);
  // 2^32 + 80 must not wrap around to port 80.
  EXPECT_THROW(import_kubernetes_list(R"({"items": [{"kind":"Service","metadata":{"name":"a","namespace":"b"},"spec":{"clusterIP":"10.0.0.1","ports":[{"port":4294967376}]}}]})", {}), std::runtime_error);
  EXPECT_THROW(import_kubernetes_list(R"({"items": [{"kind":"Service","metadata":{"name":"a","namespace":"b"},"spec":{"clusterIP":"10.0.0.1","sessionAffinity":"ClientIP","sessionAffinityConfig":{"clientIP":{"timeoutSeconds":-5}},"ports":[{"port":80}]}}]})", {}), std::runtime_error);
}

// `svcbench manifests` writes what import reads back: kube-proxy's overall test fixture (Local
// policies, affinity, source ranges, a health check NodePort, external and LB IPs, a Service
// without endpoints) and a ClusterLoader2-shaped synthetic set render to the same rules after
// the round trip through a List.
TEST(KubernetesManifests, ImportReadsBackTheSameRules) {
  const ServiceSet overall = testing::overall_iptables_fixture();
  SyntheticSpec spec;
  spec.services = 400;
  spec.endpoints = EndpointProfile::cl2();
  spec.node_port_share = 0.2;
  spec.load_balancer_share = 0.1;
  spec.local_endpoint_share = 0.3;
  spec.namespace_name = "bench";
  const ServiceSet synthetic = make_synthetic_services(spec, AddressPlan{});
  for (const ServiceSet* set : {&overall, &synthetic}) {
    const std::string list = kubernetes_manifests(*set, IpFamily::kIpv4);
    ImportOptions o;
    o.node_name = "svcbench-node";
    const ServiceSet back = import_kubernetes_list(list, o);
    ASSERT_EQ(back.services.size(), set->services.size());
    IptablesOptions options = testing::fake_proxier_options();
    EXPECT_EQ(render_iptables(back, options).text, render_iptables(*set, options).text);
  }
  const auto list = nlohmann::json::parse(kubernetes_manifests(synthetic, IpFamily::kIpv4));
  EXPECT_EQ(list["kind"], "List");
  EXPECT_EQ(list["items"].size(), 800u);  // a Service and its EndpointSlice each
  const auto& slice = list["items"][1];
  EXPECT_EQ(slice["kind"], "EndpointSlice");
  EXPECT_EQ(slice["metadata"]["labels"]["kubernetes.io/service-name"], "svc-0");
  EXPECT_EQ(slice["metadata"]["labels"]["endpointslice.kubernetes.io/managed-by"], "svcbench");
  size_t cluster_ip_services = 0;
  for (const auto& item : list["items"]) {
    if (item["kind"] != "Service") continue;
    EXPECT_FALSE(item["spec"].contains("selector"));  // svcbench owns the endpoints
    if (item["spec"]["type"] != "ClusterIP") continue;
    ++cluster_ip_services;
    EXPECT_FALSE(item["spec"].contains("externalTrafficPolicy"));  // the API refuses it there
  }
  EXPECT_GT(cluster_ip_services, 200u);
}

}  // namespace
}  // namespace svcbench
