#include "kubernetes_manifests.h"

#include <map>
#include <vector>

#include <nlohmann/json.hpp>

namespace svcbench {
namespace {

using json = nlohmann::ordered_json;

const char* protocol_name(Protocol p) {
  switch (p) {
    case Protocol::kTcp: return "TCP";
    case Protocol::kUdp: return "UDP";
    case Protocol::kSctp: return "SCTP";
  }
  return "TCP";
}

const char* type_name(ServiceType t) {
  switch (t) {
    case ServiceType::kClusterIP: return "ClusterIP";
    case ServiceType::kNodePort: return "NodePort";
    case ServiceType::kLoadBalancer: return "LoadBalancer";
  }
  return "ClusterIP";
}

const char* policy_name(TrafficPolicy p) { return p == TrafficPolicy::kLocal ? "Local" : "Cluster"; }

json service_object(const Service& s, IpFamily family) {
  json ports = json::array();
  for (const auto& p : s.ports) {
    json port = {{"name", p.name}, {"protocol", protocol_name(p.protocol)}, {"port", p.port}};
    if (!p.endpoints.empty()) port["targetPort"] = p.endpoints.front().port;
    if (p.node_port != 0) port["nodePort"] = p.node_port;
    ports.push_back(std::move(port));
  }
  json spec = {{"type", type_name(s.type)},
               {"clusterIP", s.cluster_ip.str()},
               {"clusterIPs", {s.cluster_ip.str()}},
               {"ipFamilies", {family == IpFamily::kIpv6 ? "IPv6" : "IPv4"}},
               {"ipFamilyPolicy", "SingleStack"},
               {"ports", ports},
               {"internalTrafficPolicy", policy_name(s.internal_traffic_policy)},
               {"sessionAffinity", s.session_affinity_client_ip ? "ClientIP" : "None"}};
  // The API takes an external policy only where there is external traffic.
  if (s.type != ServiceType::kClusterIP)
    spec["externalTrafficPolicy"] = policy_name(s.external_traffic_policy);
  if (s.session_affinity_client_ip)
    spec["sessionAffinityConfig"] = {{"clientIP", {{"timeoutSeconds", s.session_affinity_timeout_seconds}}}};
  if (!s.external_ips.empty()) {
    json ips = json::array();
    for (const auto& ip : s.external_ips) ips.push_back(ip.str());
    spec["externalIPs"] = ips;
  }
  if (!s.load_balancer_source_ranges.empty()) {
    json ranges = json::array();
    for (const auto& c : s.load_balancer_source_ranges) ranges.push_back(c.str());
    spec["loadBalancerSourceRanges"] = ranges;
  }
  if (s.health_check_node_port != 0) spec["healthCheckNodePort"] = s.health_check_node_port;
  json service = {{"apiVersion", "v1"},
                  {"kind", "Service"},
                  {"metadata",
                   {{"namespace", s.namespace_name},
                    {"name", s.name},
                    {"labels", {{"app.kubernetes.io/managed-by", "svcbench"}}}}},
                  {"spec", spec}};
  // What a load balancer controller would report (kubectl apply leaves status to it).
  if (!s.load_balancer_ips.empty()) {
    json ingress = json::array();
    for (const auto& ip : s.load_balancer_ips) ingress.push_back({{"ip", ip.str()}});
    service["status"] = {{"loadBalancer", {{"ingress", ingress}}}};
  }
  return service;
}

json slice_object(const Service& s, size_t index, const ServicePort& port, IpFamily family,
                  const std::string& node_name) {
  json endpoints = json::array();
  for (const auto& e : port.endpoints) {
    json ep = {{"addresses", {e.address.str()}},
               {"conditions",
                {{"ready", e.ready}, {"serving", e.serving}, {"terminating", e.terminating}}}};
    if (e.local) ep["nodeName"] = node_name;
    endpoints.push_back(std::move(ep));
  }
  const uint16_t target = port.endpoints.empty() ? port.port : port.endpoints.front().port;
  return {{"apiVersion", "discovery.k8s.io/v1"},
          {"kind", "EndpointSlice"},
          {"metadata",
           {{"namespace", s.namespace_name},
            {"name", s.name + "-svcbench-" + std::to_string(index)},
            {"labels",
             {{"kubernetes.io/service-name", s.name},
              {"endpointslice.kubernetes.io/managed-by", "svcbench"}}}}},
          {"addressType", family == IpFamily::kIpv6 ? "IPv6" : "IPv4"},
          {"ports", {{{"name", port.name}, {"protocol", protocol_name(port.protocol)}, {"port", target}}}},
          {"endpoints", endpoints}};
}

}  // namespace

namespace {

// Every object of `services`, in List order.
std::vector<json> objects_of(const ServiceSet& services, IpFamily family, const std::string& node_name) {
  std::vector<json> items;
  for (const auto& s : services.services) {
    items.push_back(service_object(s, family));
    for (size_t k = 0; k < s.ports.size(); ++k)
      items.push_back(slice_object(s, k, s.ports[k], family, node_name));
  }
  return items;
}

std::string list_text(const std::vector<json>& items) {
  json list = {{"apiVersion", "v1"}, {"kind", "List"}, {"items", items}};
  return list.dump(1) + "\n";
}

std::string object_key(const json& o) {
  return o["kind"].get<std::string>() + "/" + o["metadata"]["namespace"].get<std::string>() + "/" +
         o["metadata"]["name"].get<std::string>();
}

}  // namespace

std::string kubernetes_manifests(const ServiceSet& services, IpFamily family,
                                 const std::string& node_name) {
  return list_text(objects_of(services, family, node_name));
}

std::string kubernetes_change_manifests(const ServiceSet& before, const ServiceSet& after,
                                        IpFamily family, const std::string& node_name) {
  std::map<std::string, json> old_objects;
  for (auto& o : objects_of(before, family, node_name)) old_objects.emplace(object_key(o), std::move(o));
  std::vector<json> changed;
  for (auto& o : objects_of(after, family, node_name)) {
    auto it = old_objects.find(object_key(o));
    if (it == old_objects.end() || it->second != o) changed.push_back(std::move(o));
    if (it != old_objects.end()) old_objects.erase(it);
  }
  // What is gone, as it was (kubectl delete -f takes it), in the order it had.
  for (auto& o : objects_of(before, family, node_name))
    if (old_objects.count(object_key(o))) changed.push_back(std::move(o));
  return list_text(changed);
}

}  // namespace svcbench
