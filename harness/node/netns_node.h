// The embedded default node: a network namespace on this host's kernel, joined to the
// generator namespace by veth pairs. Everything is named svcb-* so `down` finds leftovers.
//
//   svcb-gen                          svcb-node
//   svcb-g0 (DPDK TX)  <== link A ==>  svcb-n0 198.18.0.1/29   (Service traffic in)
//   svcb-g1 (DPDK RX)  <== link B ==>  svcb-n1 198.18.0.9/29   (DNAT-ed traffic out, to
//                                      198.18.128.0/17 via 198.18.0.10 = svcb-g1's MAC)
//   svcb-b0 (DPDK TX)  <== baseline ==> svcb-b1 (DPDK RX)   back-to-back, no node
//
// Dual-stack: the same links carry IPv6 from 2001:2::/48 (svcb-n0 2001:2::1/125, svcb-n1
// 2001:2::9/125, pods 2001:2:0:8000::/64 via 2001:2::a), static neighbours in both families.
#pragma once

#include "node.h"

namespace svcbench {

class NetnsNode : public Node {
 public:
  static constexpr const char* kNodeNs = "svcb-node";
  static constexpr const char* kTxLink = "svcb-g0";
  static constexpr const char* kNodeIngress = "svcb-n0";
  static constexpr const char* kNodeEgress = "svcb-n1";
  static constexpr const char* kRxLink = "svcb-g1";

  // netns: the namespace tools run in (the node's own; another name only to test that
  // svcbench refuses namespaces it did not create).
  explicit NetnsNode(NodeOptions options, std::string netns = kNodeNs)
      : options_(std::move(options)), netns_(std::move(netns)) {}
  std::string kind() const override { return "netns"; }
  void up() override;
  void down() override;
  nlohmann::json status() override;
  // Checks the namespace is the one `up` created before every command (a stat and a small
  // read), so a namespace swapped in mid-run is caught too.
  CommandResult run(const std::vector<std::string>& argv, const std::string& input = "") override;
  // The namespace runs this host's binaries.
  void require_tool(const std::string& tool, const std::string& package) override {
    svcbench::require_tool(tool, package);
  }
  std::string exec_prefix() const override { return "ip netns exec " + netns_; }
  // Built beside this svcbench binary.
  std::string svcbench_tool(const std::string& name) const override;
  // This host's kernel: IP_VS only where /proc/net/ip_vs exists (not on this machine class).
  bool kernel_has(KernelFeature feature) const override;
  GeneratorLinks generator_links() override;
  nlohmann::json context() override;
  uint64_t default_rate_pps() const override { return 5000; }
  bool shares_generator_kernel() const override { return true; }

 private:
  // Addresses, pod route and static neighbours of one family's plan on the node's links.
  void address_links(const AddressPlan& plan);

  NodeOptions options_;
  std::string netns_;
};

}  // namespace svcbench
