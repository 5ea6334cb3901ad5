// The synthetic Services' flags: how many endpoints they get (--endpoints,
// --endpoints-profile: rules, manifests, run --during and sweep) and the rest of the set
// (--services N, --seed, shares, --namespace: rules and manifests, which must draw the same set).
#include "atomic_file.h"
#include "command_line.h"
#include "errors.h"

namespace svcbench {

std::vector<OptionSpec> endpoint_option_specs() {
  return {
      {"endpoints", "E|MIN-MAX", "endpoints per Service (default 2): uniform:E or range:MIN-MAX"},
      {"endpoints-profile", "P",
       "uniform:E | range:MIN-MAX | cl2 (ClusterLoader2's load mix: 5, 30 and 250 endpoints) | "
       "file:PATH (written by svcbench profile --from FILE)"},
  };
}

EndpointProfile endpoint_profile_from(const CommandLine& cl) {
  if (cl.has("endpoints") && cl.has("endpoints-profile"))
    throw UsageError("give either --endpoints or --endpoints-profile, not both");
  if (cl.has("endpoints")) {
    auto p = EndpointProfile::parse(cl.get("endpoints"));
    if (!p || p->kind() == EndpointProfile::Kind::kCl2)
      throw UsageError("--endpoints takes E or MIN-MAX (0 to 1000), not '" + cl.get("endpoints") + "'");
    return *p;
  }
  if (!cl.has("endpoints-profile")) return EndpointProfile::uniform(2);
  const std::string text = cl.get("endpoints-profile");
  if (text.starts_with("file:")) {
    const std::string path = text.substr(5);
    try {
      return EndpointProfile::from_profile_text(read_file(path), path);
    } catch (const UsageError&) {
      throw;
    } catch (const std::exception& e) {
      throw UsageError(e.what());
    }
  }
  auto p = EndpointProfile::parse(text);
  if (!p)
    throw UsageError("--endpoints-profile takes uniform:E, range:MIN-MAX, cl2 or file:PATH "
                     "(E up to 1000), not '" + text + "'");
  return *p;
}

namespace {
// Kubernetes' DNS-1123 label: lowercase letters, digits and '-', 1 to 63, alphanumeric ends.
bool is_dns_label(const std::string& name) {
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (name.empty() || name.size() > 63 || !alnum(name.front()) || !alnum(name.back())) return false;
  for (char c : name)
    if (!alnum(c) && c != '-') return false;
  return true;
}
}  // namespace

std::vector<OptionSpec> synthetic_option_specs() {
  std::vector<OptionSpec> specs = {
      {"services", "N", "synthetic Services (1 to 1,000,000)"},
      {"seed", "S", "seed of the synthetic set (default 1)"},
      {"udp-share", "F", "fraction of UDP Services (default 0.5)"},
      {"nodeport-share", "F", "fraction of NodePort Services (default 0)"},
      {"loadbalancer-share", "F", "fraction of LoadBalancer Services (default 0)"},
      {"namespace", "NS", "every Service in namespace NS (default: ns-0, ns-1, ... per 100)"},
  };
  for (auto& spec : endpoint_option_specs()) specs.push_back(std::move(spec));
  return specs;
}

SyntheticSpec synthetic_spec_from(const CommandLine& cl) {
  SyntheticSpec spec;
  spec.services = cl.get_count("services", 0, 1'000'000);
  if (spec.services == 0) throw UsageError("--services must be at least 1");
  spec.endpoints = endpoint_profile_from(cl);
  spec.seed = cl.get_count("seed", 1, UINT64_MAX);
  spec.udp_share = cl.get_number("udp-share", 0.5, 0, 1);
  spec.node_port_share = cl.get_number("nodeport-share", 0, 0, 1);
  spec.load_balancer_share = cl.get_number("loadbalancer-share", 0, 0, 1);
  if (spec.node_port_share + spec.load_balancer_share > 1)
    throw UsageError("--nodeport-share plus --loadbalancer-share exceed 1");
  spec.namespace_name = cl.get("namespace");
  if (cl.has("namespace") && !is_dns_label(spec.namespace_name))
    throw UsageError("--namespace '" + spec.namespace_name + "' is not a Kubernetes namespace name "
                     "(lowercase letters, digits and '-', at most 63)");
  return spec;
}

}  // namespace svcbench
