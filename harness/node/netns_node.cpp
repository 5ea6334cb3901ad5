#include "netns_node.h"

#include <algorithm>
#include <filesystem>

#include "errors.h"
#include "testbed.h"

namespace svcbench {
namespace {
using N = TestbedNames;
}  // namespace

void NetnsNode::up() {
  down();
  try {
    create_generator_namespace();
    create_node_namespace(kNodeNs, kTxLink, kNodeIngress, kRxLink, kNodeEgress, /*ipv6=*/true);
    sysctl_in(kNodeNs, "net.ipv4.ip_forward", "1");
    for (const char* conf : {"all", "default", kNodeIngress, kNodeEgress})
      sysctl_in(kNodeNs, std::string("net.ipv4.conf.") + conf + ".rp_filter", "0");
    // A dual-stack node: the same links, routes and neighbours in either family's plan.
    address_links(options_.plan);
    address_links(AddressPlan::ipv6());
    write_testbed_record(kind(), {N::kGeneratorNs, kNodeNs});
  } catch (...) {
    down();
    throw;
  }
}

void NetnsNode::address_links(const AddressPlan& plan) {
  const std::string family = plan.test_links.family() == IpFamily::kIpv6 ? "-6" : "-4";
  const std::string prefix = "/" + std::to_string(plan.link_prefix());
  ip({"-n", kNodeNs, family, "addr", "add", plan.node_ingress_address().str() + prefix, "dev",
      kNodeIngress},
     "addressing svcb-n0");
  ip({"-n", kNodeNs, family, "addr", "add", plan.node_egress_address().str() + prefix, "dev",
      kNodeEgress},
     "addressing svcb-n1");
  // Endpoints live behind link B: a static neighbour makes the node forward there without
  // ARP or neighbour discovery.
  const std::string rx_mac = mac_of(N::kGeneratorNs, kRxLink);
  ip({"-n", kNodeNs, family, "neigh", "replace", plan.endpoint_next_hop().str(), "lladdr", rx_mac,
      "nud", "permanent", "dev", kNodeEgress},
     "adding the endpoint neighbour");
  ip({"-n", kNodeNs, family, "route", "replace", plan.pods.str(), "via",
      plan.endpoint_next_hop().str(), "dev", kNodeEgress},
     "routing the pod range");
  // Clients are never answered, but give their addresses a neighbour too so the node never
  // asks for them.
  const std::string tx_mac = mac_of(N::kGeneratorNs, kTxLink);
  for (uint32_t i = 0; i < AddressPlan::kClientAddresses; ++i)
    ip({"-n", kNodeNs, family, "neigh", "replace", plan.client_address(i).str(), "lladdr", tx_mac,
        "nud", "permanent", "dev", kNodeIngress},
       "adding a client neighbour");
}

void NetnsNode::down() { remove_testbed_leftovers(); }

nlohmann::json NetnsNode::status() {
  const auto namespaces = svcb_namespaces();
  auto has = [&](const char* ns) {
    return std::find(namespaces.begin(), namespaces.end(), ns) != namespaces.end();
  };
  bool up = has(N::kGeneratorNs) && has(kNodeNs);
  std::string mac;
  if (up) {
    try {
      mac = mac_of(kNodeNs, kNodeIngress);
    } catch (const std::exception&) {
      up = false;
    }
  }
  return {{"up", up},
          {"node", kind()},
          {"accelerator", ""},
          {"namespaces", namespaces},
          {"root_links", svcb_root_links()},
          {"node_ingress_mac", mac}};
}

CommandResult NetnsNode::run(const std::vector<std::string>& argv, const std::string& input) {
  require_owned_namespace(netns_);
  return run_command({argv, netns_, input, true});
}

std::string NetnsNode::svcbench_tool(const std::string& name) const {
  std::error_code ec;
  return (std::filesystem::read_symlink("/proc/self/exe", ec).parent_path() / name).string();
}

bool NetnsNode::kernel_has(KernelFeature feature) const {
  return feature != KernelFeature::kIpVs || std::filesystem::exists("/proc/net/ip_vs");
}

GeneratorLinks NetnsNode::generator_links() {
  for (const char* ns : {N::kGeneratorNs, kNodeNs})
    require_owned_namespace(ns);  // before DPDK attaches
  return {N::kGeneratorNs,
          kTxLink,
          kRxLink,
          N::kBaselineTx,
          N::kBaselineRx,
          mac_of(kNodeNs, kNodeIngress),
          mac_of(N::kGeneratorNs, N::kBaselineRx),
          /*veth=*/true};
}

nlohmann::json NetnsNode::context() {
  nlohmann::json c = {{"node_kind", kind()}, {"emulated", false}};
  c.update(tool_versions());
  return c;
}

}  // namespace svcbench
