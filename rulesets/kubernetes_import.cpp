#include "kubernetes_import.h"

#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace svcbench {
namespace {

using nlohmann::json;

std::string str_at(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return {};
  return it->get<std::string>();
}

// 64-bit, so that 4294967376 is rejected as a port instead of wrapping to 80.
int64_t int_at(const json& j, const char* key, int64_t fallback = 0) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer()) return fallback;
  return it->get<int64_t>();
}

bool bool_at(const json& j, const char* key, bool fallback) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_boolean()) return fallback;
  return it->get<bool>();
}

uint16_t port_number(int64_t value, const std::string& what) {
  if (value < 0 || value > 65535) throw std::runtime_error(what + " port " + std::to_string(value) + " is out of range 0-65535");
  return static_cast<uint16_t>(value);
}

const json& object_at(const json& j, const char* key) {
  static const json empty = json::object();
  auto it = j.find(key);
  if (it == j.end() || !it->is_object()) return empty;
  return *it;
}

const json& array_at(const json& j, const char* key) {
  static const json empty = json::array();
  auto it = j.find(key);
  if (it == j.end() || !it->is_array()) return empty;
  return *it;
}

// Kubernetes' own name rules (apimachinery validation): a DNS-1123 label for namespaces and
// port names, a DNS-1035 label (starts with a letter) for Service names. Names reach rule
// comments, chain-name hashes and nft/ipset text, so anything the API server would refuse is
// refused here too, never quoted or escaped into a ruleset.
bool is_dns_label(const std::string& s, bool must_start_with_letter) {
  if (s.empty() || s.size() > 63) return false;
  auto lower_alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (must_start_with_letter ? !(s.front() >= 'a' && s.front() <= 'z') : !lower_alnum(s.front())) return false;
  if (!lower_alnum(s.back())) return false;
  for (char c : s)
    if (!lower_alnum(c) && c != '-') return false;
  return true;
}

void require_name(const std::string& value, const std::string& what, bool must_start_with_letter) {
  if (is_dns_label(value, must_start_with_letter)) return;
  // dump() escapes control characters: the error stays one line whatever the name holds.
  throw std::runtime_error(what + " " + json(value).dump() + " is not a valid Kubernetes name (" +
                           (must_start_with_letter ? "DNS-1035" : "DNS-1123") +
                           " label: lowercase letters, digits and '-', at most 63); the API server would refuse it");
}

bool skipped_by_kube_proxy(const json& meta) {
  const json& labels = object_at(meta, "labels");
  return labels.contains("service.kubernetes.io/service-proxy-name") ||
         labels.contains("service.kubernetes.io/headless");
}

// The Service's ClusterIP of `family`: spec.clusterIPs holds one per family (the primary first,
// as spec.clusterIP), so a dual-stack Service has one for each proxier.
std::optional<IpAddress> cluster_ip_of(const json& spec, IpFamily family) {
  for (const auto& c : array_at(spec, "clusterIPs"))
    if (c.is_string())
      if (auto ip = IpAddress::parse(c.get<std::string>()); ip && ip->family == family) return ip;
  auto ip = IpAddress::parse(str_at(spec, "clusterIP"));
  if (ip && ip->family == family) return ip;
  return std::nullopt;
}

// An address of `family` from its text; nullopt for the other family or nonsense.
std::optional<IpAddress> address_of(const std::string& text, IpFamily family) {
  auto ip = IpAddress::parse(text);
  if (ip && ip->family == family) return ip;
  return std::nullopt;
}

}  // namespace

ServiceSet import_kubernetes_list(std::string_view text, const ImportOptions& options) {
  json doc = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded())
    throw std::runtime_error("not valid JSON; expected the output of `kubectl get services,endpointslices -A -o json`");
  if (!doc.is_object() || !doc.contains("items") || !doc["items"].is_array())
    throw std::runtime_error("JSON has no \"items\" array; expected a Kubernetes List from `kubectl get services,endpointslices -A -o json`");

  ServiceSet set;
  std::map<std::string, size_t> by_name;  // namespaced name -> index
  struct Slice {
    std::string service;
    json body;
  };
  std::vector<Slice> slices;
  for (const auto& item : doc["items"]) {
    if (!item.is_object()) continue;
    const std::string kind = str_at(item, "kind");
    const json& meta = object_at(item, "metadata");
    const std::string ns = str_at(meta, "namespace");
    const std::string name = str_at(meta, "name");
    // kube-proxy's informers select `!service.kubernetes.io/service-proxy-name` (another
    // proxy serves it) and `!service.kubernetes.io/headless`, on Services and EndpointSlices.
    if (skipped_by_kube_proxy(meta)) continue;
    if (kind == "Service") {
      const json& spec = object_at(item, "spec");
      const std::string type = str_at(spec, "type");
      const std::string cluster_ip = str_at(spec, "clusterIP");
      if (type == "ExternalName" || cluster_ip.empty() || cluster_ip == "None") continue;
      auto ip = cluster_ip_of(spec, options.family);
      if (!ip) continue;  // single-stack of the other family
      if (ns.empty() || name.empty())
        throw std::runtime_error("a Service without metadata.namespace/name");
      require_name(ns, "Service namespace", false);
      require_name(name, "Service name", true);
      Service s;
      s.namespace_name = ns;
      s.name = name;
      s.cluster_ip = *ip;
      s.type = type == "NodePort" ? ServiceType::kNodePort
               : type == "LoadBalancer" ? ServiceType::kLoadBalancer
                                        : ServiceType::kClusterIP;
      for (const auto& p : array_at(spec, "ports")) {
        ServicePort port;
        port.name = str_at(p, "name");
        if (!port.name.empty()) require_name(port.name, "Service " + ns + "/" + name + " port name", false);
        auto protocol = parse_protocol(str_at(p, "protocol"));
        if (!protocol)
          throw std::runtime_error("Service " + s.namespaced_name() + " has unknown protocol \"" + str_at(p, "protocol") + "\"");
        port.protocol = *protocol;
        port.port = port_number(int_at(p, "port"), "Service " + s.namespaced_name());
        port.node_port = port_number(int_at(p, "nodePort"), "Service " + s.namespaced_name() + " node");
        s.ports.push_back(std::move(port));
      }
      for (const auto& e : array_at(spec, "externalIPs"))
        if (e.is_string())
          if (auto a = address_of(e.get<std::string>(), options.family)) s.external_ips.push_back(*a);
      for (const auto& r : array_at(spec, "loadBalancerSourceRanges")) {
        if (!r.is_string()) continue;
        std::string t = r.get<std::string>();
        t.erase(0, t.find_first_not_of(' '));  // kube-proxy trims, see its tests
        t.erase(t.find_last_not_of(' ') + 1);
        if (auto c = Cidr::parse(t); c && c->family() == options.family) s.load_balancer_source_ranges.push_back(*c);
      }
      for (const auto& ing : array_at(object_at(object_at(item, "status"), "loadBalancer"), "ingress")) {
        // ipMode Proxy: the load balancer proxies to the node itself, so kube-proxy programs
        // no rule for that IP (proxyutil.IsVIPMode); unset means VIP.
        const std::string mode = str_at(ing, "ipMode");
        if (!mode.empty() && mode != "VIP") continue;
        if (auto a = address_of(str_at(ing, "ip"), options.family)) s.load_balancer_ips.push_back(*a);
      }
      if (s.type != ServiceType::kLoadBalancer) s.load_balancer_ips.clear();
      s.external_traffic_policy =
          str_at(spec, "externalTrafficPolicy") == "Local" ? TrafficPolicy::kLocal : TrafficPolicy::kCluster;
      s.internal_traffic_policy =
          str_at(spec, "internalTrafficPolicy") == "Local" ? TrafficPolicy::kLocal : TrafficPolicy::kCluster;
      s.session_affinity_client_ip = str_at(spec, "sessionAffinity") == "ClientIP";
      const int64_t timeout = int_at(object_at(object_at(spec, "sessionAffinityConfig"), "clientIP"), "timeoutSeconds", 10800);
      if (timeout < 0 || timeout > 86400)
        throw std::runtime_error("Service " + s.namespaced_name() + " has sessionAffinity timeoutSeconds " +
                                 std::to_string(timeout) + "; Kubernetes allows 1 to 86400");
      s.session_affinity_timeout_seconds = static_cast<int>(timeout);
      if (s.type == ServiceType::kLoadBalancer && s.external_traffic_policy == TrafficPolicy::kLocal)
        s.health_check_node_port = port_number(int_at(spec, "healthCheckNodePort"), "health check node");
      by_name[s.namespaced_name()] = set.services.size();
      set.services.push_back(std::move(s));
    } else if (kind == "EndpointSlice") {
      if (str_at(item, "addressType") != (options.family == IpFamily::kIpv6 ? "IPv6" : "IPv4")) continue;
      std::string service = str_at(object_at(meta, "labels"), "kubernetes.io/service-name");
      if (service.empty()) continue;
      slices.push_back({ns + "/" + service, item});
    }
  }
  for (const auto& slice : slices) {
    auto it = by_name.find(slice.service);
    if (it == by_name.end()) continue;
    Service& s = set.services[it->second];
    for (const auto& sp : array_at(slice.body, "ports")) {
      const std::string port_name = str_at(sp, "name");
      for (auto& port : s.ports) {
        if (port.name != port_name) continue;
        const uint16_t target = port_number(int_at(sp, "port"), "EndpointSlice of " + slice.service);
        if (target == 0) continue;
        for (const auto& ep : array_at(slice.body, "endpoints")) {
          const json& cond = object_at(ep, "conditions");
          const bool ready = bool_at(cond, "ready", true);
          for (const auto& addr : array_at(ep, "addresses")) {
            if (!addr.is_string()) continue;
            auto a = address_of(addr.get<std::string>(), options.family);
            if (!a)
              throw std::runtime_error("EndpointSlice of " + slice.service + " has a bad " +
                                       (options.family == IpFamily::kIpv6 ? "IPv6" : "IPv4") +
                                       " address \"" + addr.get<std::string>() + "\"");
            Endpoint e;
            e.address = *a;
            e.port = target;
            e.ready = ready;
            e.serving = bool_at(cond, "serving", ready);
            e.terminating = bool_at(cond, "terminating", false);
            e.local = !options.node_name.empty() && str_at(ep, "nodeName") == options.node_name;
            port.endpoints.push_back(e);
            break;  // kube-proxy uses the first address of an endpoint
          }
        }
      }
    }
  }
  return set;
}

void remap_into_plan(ServiceSet& set, const AddressPlan& plan) {
  std::map<IpAddress, IpAddress> pods, externals;
  auto pod = [&](IpAddress a) {
    auto [it, fresh] = pods.try_emplace(a, IpAddress{});
    if (fresh) it->second = plan.pods.at(1 + (pods.size() - 1) % (plan.pods.size() - 2));
    return it->second;
  };
  auto external = [&](IpAddress a) {
    auto [it, fresh] = externals.try_emplace(a, IpAddress{});
    if (fresh) it->second = plan.external_ips.at(1 + (externals.size() - 1) % (plan.external_ips.size() - 2));
    return it->second;
  };
  size_t i = 0;
  for (auto& s : set.services) {
    s.cluster_ip = plan.cluster_ips.at(1 + i++ % (plan.cluster_ips.size() - 2));
    for (auto& a : s.external_ips) a = external(a);
    for (auto& a : s.load_balancer_ips) a = external(a);
    for (auto& p : s.ports)
      for (auto& e : p.endpoints) e.address = pod(e.address);
  }
}

}  // namespace svcbench
