// The uml node: a user-mode Linux guest — a Linux kernel (6.12 or 6.1 built from Debian's
// sources with every mode by scripts/build-uml-kernel, or Debian's user-mode-linux package)
// running as ordinary processes, no KVM and no instruction emulation, so netfilter and IPVS run
// at near-native cost per rule while every guest syscall and process start is slow (tools are slow:
// its update times are the guest's, not a native node's). Its root is this host's / over a
// read-only hostfs, so it runs the host's own iptables, ipset, ipvsadm and svcbench's tools;
// svcb-vm-agent times them on the guest's clock through a hostfs share. Debian's packaged kernel
// has IP_VS but not CONFIG_NF_TABLES_IPV4: iptables-legacy and ipvs only; a built one has all.
// Dual-stack as the other nodes: the guest's links carry both families' plans (2001:2::/48 too).
//
//   svcb-gen: svcb-g0 (DPDK TX) ==veth==> svcb-v0 [svcb-uml] vec0 198.18.0.1/29 (guest)
//             svcb-g1 (DPDK RX) <==veth== svcb-v1 [svcb-uml] vec1 198.18.0.9/29 (guest)
#pragma once

#include <string>

#include "node.h"

namespace svcbench {

// The kernel file --uml-kernel names ("6.12"/"6.1": scripts/build-uml-kernel's cache, "debian":
// the package's linux.uml, else the path itself), and a built kernel's .config ("" if none).
std::string uml_kernel_path(const std::string& choice);
std::string uml_kernel_config(const std::string& choice);

class UmlNode : public Node {
 public:
  static constexpr const char* kUmlNs = "svcb-uml";  // where linux.uml runs, with its veth ends
  static constexpr const char* kTxLink = "svcb-g0";
  static constexpr const char* kRxLink = "svcb-g1";
  static constexpr const char* kGuestIngressLink = "svcb-v0";
  static constexpr const char* kGuestEgressLink = "svcb-v1";
  static constexpr const char* kGuestIngressMac = "02:53:56:43:01:01";
  static constexpr const char* kGuestEgressMac = "02:53:56:43:01:02";
  static constexpr const char* kDir = "/run/svcbench/uml";  // init script, share, pid, log

  explicit UmlNode(NodeOptions options) : options_(std::move(options)) {}
  std::string kind() const override { return "uml"; }
  // Namespaces and links, then the guest (about 2 s to its agent), its links addressed like
  // the netns node's. Throws SetupError (user-mode-linux missing, guest not answering) after
  // undoing everything.
  void up() override;
  void down() override;
  nlohmann::json status() override;
  // Throws NodeStoppedAnswering "the uml guest stopped answering ..." after the silence, and
  // Interrupted when SIGINT/SIGTERM arrives while waiting.
  CommandResult run(const std::vector<std::string>& argv, const std::string& input = "") override;
  // The linux process killed and booted again on the same links (~2 s).
  std::string restart_guest() override;
  // The guest runs this host's binaries (hostfs root).
  void require_tool(const std::string& tool, const std::string& package) override {
    svcbench::require_tool(tool, package);
  }
  // Copied into the guest's share by up(): /mnt/NAME.
  std::string svcbench_tool(const std::string& name) const override;
  // Debian's packaged kernel: IP_VS only; a built one: what its `config` beside it says; a
  // kernel without one: every feature (each mode finds out on it).
  bool kernel_has(KernelFeature feature) const override;
  GeneratorLinks generator_links() override;
  nlohmann::json context() override;
  // One CPU, and a new connection to the last of 10,000 iptables Services costs the guest
  // ~0.2 ms: 1,000 packets/s keeps it below saturation.
  uint64_t default_rate_pps() const override { return 1000; }

 private:
  void start_guest();
  NodeOptions options_;
};

}  // namespace svcbench
