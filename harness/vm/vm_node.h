// The vm node: a qemu guest running Debian's stock kernel (it has IPVS where this host's
// kernel may not), joined to the generator namespace by two taps, programmed through the
// guest agent over a 9p share.
//
//   svcb-gen: svcb-t0 (tap, DPDK TX) ==> guest eth0 198.18.0.1/29 ... eth1 198.18.0.9/29 ==> svcb-t1 (tap, DPDK RX)
#pragma once

#include <string>

#include "address_plan.h"
#include "node_shell.h"

namespace svcbench {

class VmShell : public NodeShell {
 public:
  // silence_seconds: how long the agent's heartbeat may stand still before the guest counts
  // as not answering. A command itself may run as long as it takes while the guest is alive.
  static constexpr double kDefaultSilenceSeconds = 120;
  explicit VmShell(std::string share_dir, double silence_seconds = kDefaultSilenceSeconds)
      : share_(std::move(share_dir)), silence_(silence_seconds) {}
  // Throws SetupError "the vm guest stopped answering ..." after that silence, and
  // Interrupted when SIGINT/SIGTERM arrives while waiting (the caller tears the guest down).
  CommandResult run(const std::vector<std::string>& argv, const std::string& input = "") override;
  std::string kind() const override { return "vm"; }
  // scripts/build-vm-image copies every tool in or fails: nothing to check per tool.
  void require_tool(const std::string&, const std::string&) override {}
  // The image puts them in /sbin.
  std::string svcbench_tool(const std::string& name) const override { return "/sbin/" + name; }

 private:
  std::string share_;
  double silence_;
};

struct VmNode {
  static constexpr const char* kShareDir = "/run/svcbench/vm-share";
  static constexpr const char* kTxTap = "svcb-t0";
  static constexpr const char* kRxTap = "svcb-t1";
  static constexpr const char* kGuestIngressMac = "02:53:56:43:00:01";
  static constexpr const char* kGuestEgressMac = "02:53:56:43:00:02";

  // Starts the guest (image from scripts/build-vm-image in image_dir) inside the generator
  // namespace, KVM when it boots a stock kernel here, TCG otherwise, and configures its
  // links like the netns node's. The generator namespace must exist (NetnsTestbed::up(vm)).
  // Throws SetupError (qemu missing, image missing, guest not answering) after stopping it.
  static void start(const std::string& image_dir, const AddressPlan& plan);
  // Stops a guest svcbench started (pid file), if any. Idempotent.
  static void stop();
  // "kvm" or "tcg" for the running guest, "" when none.
  static std::string accelerator();
};

// build/vm beside build/harness/svcbench: where scripts/build-vm-image puts the image.
std::string default_vm_image_dir();

}  // namespace svcbench
