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
  const auto commands = node_link_commands(plan, kNodeIngress, kNodeEgress,
                                           mac_of(N::kGeneratorNs, kTxLink),
                                           mac_of(N::kGeneratorNs, kRxLink));
  for (const auto& group : {commands.addresses, commands.routes})
    for (const auto& args : group) {
      std::vector<std::string> argv = {"-n", kNodeNs};
      argv.insert(argv.end(), args.begin(), args.end());
      ip(argv, "addressing the node's links (ip " + args[1] + " " + args[2] + ")");
    }
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
