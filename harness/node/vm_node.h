// The vm node: a qemu guest running Debian's stock kernel (it has IPVS where this host's
// kernel may not), joined to the generator namespace by two taps, programmed through the
// guest agent over a 9p share; the agent times every tool on the guest's clock.
//
//   svcb-gen: svcb-t0 (tap, DPDK TX) ==> guest eth0 198.18.0.1/29 ... eth1 198.18.0.9/29 ==>
//   svcb-t1 (tap, DPDK RX)
#pragma once

#include <string>

#include "node.h"

namespace svcbench {

class VmNode : public Node {
 public:
  static constexpr const char* kShareDir = "/run/svcbench/vm-share";
  static constexpr const char* kTxTap = "svcb-t0";
  static constexpr const char* kRxTap = "svcb-t1";
  static constexpr const char* kGuestIngressMac = "02:53:56:43:00:01";
  static constexpr const char* kGuestEgressMac = "02:53:56:43:00:02";

  explicit VmNode(NodeOptions options) : options_(std::move(options)) {}
  std::string kind() const override { return "vm"; }
  // The generator namespace, the baseline pair and two taps, then the guest (image from
  // scripts/build-vm-image), KVM when it boots a stock kernel here, TCG otherwise, with its
  // links configured like the netns node's. Throws SetupError (qemu missing, image missing,
  // guest not answering) after stopping it.
  void up() override;
  // Stops a guest svcbench started (pid file), if any, then removes the namespaces.
  void down() override;
  nlohmann::json status() override;
  // Throws SetupError "the vm guest stopped answering ..." after the silence, and
  // Interrupted when SIGINT/SIGTERM arrives while waiting (the caller tears the guest down).
  CommandResult run(const std::vector<std::string>& argv, const std::string& input = "") override;
  // scripts/build-vm-image copies every tool in or fails: nothing to check per tool.
  void require_tool(const std::string&, const std::string&) override {}
  // The image puts them in /sbin.
  std::string svcbench_tool(const std::string& name) const override { return "/sbin/" + name; }
  bool kernel_has(KernelFeature) const override {
    return true;
  }  // Debian's kernel, modules in the image
  // qemu killed and booted again on the same taps.
  std::string restart_guest() override;
  GeneratorLinks generator_links() override;
  // Under TCG: emulated, with a note to compare ratios only.
  nlohmann::json context() override;
  // An emulated guest needs 1.8 ms for a new connection to the last of 10,000 iptables-nft
  // Services: 1,000/s saturated it (results/20261127T122432Z-vm); 250/s does not.
  uint64_t default_rate_pps() const override { return 250; }

  // "kvm" or "tcg" for the running guest, "" when none.
  static std::string accelerator();

 private:
  void start_guest();
  void stop_guest();
  CommandResult run_in_guest(const std::vector<std::string>& argv, const std::string& input,
                             double silence_seconds);
  NodeOptions options_;
};

// build/vm beside build/harness/svcbench: where scripts/build-vm-image puts the image.
std::string default_vm_image_dir();

}  // namespace svcbench
