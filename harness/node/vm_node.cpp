#include "vm_node.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "atomic_file.h"
#include "errors.h"
#include "guest_agent.h"
#include "interruption.h"
#include "testbed.h"

namespace svcbench {
namespace {

namespace fs = std::filesystem;
constexpr const char* kPidFile = "/run/svcbench/qemu.pid";
constexpr const char* kAccelFile = "/run/svcbench/vm.accel";
constexpr const char* kLogFile = "/run/svcbench/qemu.log";

pid_t spawn_qemu(const std::string& image_dir, const std::string& accel) {
  std::vector<std::string> args = {
      "qemu-system-x86_64",
      "-machine",
      "q35",
      "-accel",
      accel,
      "-m",
      "2048",
      "-smp",
      "1",
      "-nographic",
      "-no-reboot",
      "-kernel",
      image_dir + "/vmlinuz",
      "-initrd",
      image_dir + "/initramfs.gz",
      "-append",
      "console=ttyS0 panic=-1 quiet",
      "-virtfs",
      std::string("local,path=") + VmNode::kShareDir + ",mount_tag=host,security_model=none",
      "-netdev",
      std::string("tap,id=n0,ifname=") + VmNode::kTxTap + ",script=no,downscript=no",
      "-device",
      std::string("virtio-net-pci,netdev=n0,mac=") + VmNode::kGuestIngressMac,
      "-netdev",
      std::string("tap,id=n1,ifname=") + VmNode::kRxTap + ",script=no,downscript=no",
      "-device",
      std::string("virtio-net-pci,netdev=n1,mac=") + VmNode::kGuestEgressMac};
  if (accel == "kvm") args.insert(args.begin() + 5, {"-cpu", "host"});
  return start_guest({args, "qemu-system-x86", TestbedNames::kGeneratorNs, kLogFile, kPidFile});
}

// Only a qemu svcbench started names our tap in its command line.
constexpr const char* kQemuMarker = "svcb-t0";

}  // namespace

CommandResult VmNode::run(const std::vector<std::string>& argv, const std::string& input) {
  return run_in_guest(argv, input, options_.vm_silence_seconds);
}

CommandResult VmNode::run_in_guest(const std::vector<std::string>& argv, const std::string& input,
                                   double silence_seconds) {
  return run_through_agent(kShareDir, argv, input, silence_seconds, "vm");
}

void VmNode::up() {
  down();
  try {
    create_generator_namespace();
    for (const char* tap : {kTxTap, kRxTap}) {
      ip({"-n", TestbedNames::kGeneratorNs, "tuntap", "add", tap, "mode", "tap"},
         std::string("creating tap ") + tap);
      ip({"-n", TestbedNames::kGeneratorNs, "link", "set", tap, "up"},
         std::string("bringing up ") + tap);
    }
    write_testbed_record(kind(), {TestbedNames::kGeneratorNs});
    start_guest();
  } catch (...) {
    down();
    throw;
  }
}

std::string VmNode::restart_guest() {
  const std::string console = read_if_present(kLogFile);  // spawn_qemu truncates it
  stop_guest();
  start_guest();
  return console;
}

void VmNode::down() {
  stop_guest();
  remove_testbed_leftovers();
}

nlohmann::json VmNode::status() {
  const auto namespaces = svcb_namespaces();
  const bool gen = std::find(namespaces.begin(), namespaces.end(), TestbedNames::kGeneratorNs) !=
                   namespaces.end();
  return {{"up", gen && !accelerator().empty()}, {"node", kind()},
          {"accelerator", accelerator()},        {"namespaces", namespaces},
          {"root_links", svcb_root_links()},     {"node_ingress_mac", ""}};
}

GeneratorLinks VmNode::generator_links() {
  require_owned_namespace(TestbedNames::kGeneratorNs);  // before DPDK attaches
  return {TestbedNames::kGeneratorNs,
          kTxTap,
          kRxTap,
          TestbedNames::kBaselineTx,
          TestbedNames::kBaselineRx,
          kGuestIngressMac,
          mac_of(TestbedNames::kGeneratorNs, TestbedNames::kBaselineRx)};
}

nlohmann::json VmNode::context() {
  const std::string accel = accelerator();
  nlohmann::json c = {{"node_kind", kind()}, {"emulated", accel == "tcg"}};
  c.update(tool_versions());
  c["accelerator"] = accel;
  const std::string release = run({"uname", "-r"}).out;
  c["guest_kernel"] = release.substr(0, release.find('\n'));
  if (accel == "tcg") c["note"] = "emulated node (TCG): compare ratios within this run only";
  return c;
}

void VmNode::start_guest() {
  const std::string& image_dir = options_.vm_image_dir;
  const AddressPlan& plan = options_.plan;
  for (const char* f : {"/vmlinuz", "/initramfs.gz"})
    if (!fs::exists(image_dir + f))
      throw SetupError("vm image missing (" + image_dir + f +
                       "): run scripts/build-vm-image or scripts/sweep --node vm");
  fs::remove_all(kShareDir);
  fs::create_directories(kShareDir);
  // KVM where it runs Debian's kernel; on hosts whose KVM cannot (this class: cmpxchg16b/xrstor), TCG.
  std::string accel = access("/dev/kvm", R_OK | W_OK) == 0 ? "kvm" : "tcg";
  pid_t pid = spawn_qemu(image_dir, accel);
  if (!wait_for_agent(kShareDir, pid, accel == "kvm" ? 20 : 90)) {
    svcbench::stop_guest(kPidFile, kQemuMarker);
    if (accel == "kvm" && !interrupted()) {
      accel = "tcg";
      fs::remove_all(kShareDir);
      fs::create_directories(kShareDir);
      pid = spawn_qemu(image_dir, accel);
    }
    if (accel != "tcg" || !wait_for_agent(kShareDir, pid, 90)) {
      svcbench::stop_guest(kPidFile, kQemuMarker);
      throw SetupError("the vm guest did not boot (no agent after 90 s); qemu said: " +
                       log_tail(kLogFile));
    }
  }
  std::ofstream(kAccelFile) << accel << "\n";
  try {
    auto guest_checked = [&](const std::vector<std::string>& argv, const std::string& what) {
      CommandResult r = run_in_guest(argv, "", 60);
      if (!r.ok()) throw SetupError(what + " failed on the vm node " + tool_failure(argv[0], r));
    };
    const std::string ip = "/usr/bin/ip";  // busybox's own ip lacks what we need
    guest_checked({ip, "link", "set", "lo", "up"}, "guest lo");
    guest_checked({"sysctl", "-w", "net.ipv4.ip_forward=1"}, "guest forwarding");
    for (const char* conf : {"all", "default", "eth0", "eth1"})
      guest_checked({"sysctl", "-w", std::string("net.ipv4.conf.") + conf + ".rp_filter=0"},
                    "guest rp_filter");
    // Dual-stack, IPv6 silent as on the netns node: no link-local address, DAD or router
    // solicitation (set before the links come up), forwarding on.
    for (const char* conf : {"all", "default", "eth0", "eth1"})
      for (const char* key : {"accept_dad=0", "accept_ra=0", "router_solicitations=0"})
        guest_checked({"sysctl", "-w", std::string("net.ipv6.conf.") + conf + "." + key},
                      "guest IPv6 settings");
    for (const char* link : {"eth0", "eth1"})
      guest_checked({"sysctl", "-w", std::string("net.ipv6.conf.") + link + ".addr_gen_mode=1"},
                    "guest IPv6 settings");
    guest_checked({"sysctl", "-w", "net.ipv6.conf.all.forwarding=1"}, "guest IPv6 forwarding");
    // Both families' plans on the guest's links, as on the netns node.
    std::vector<NodeLinkCommands> families;
    for (const AddressPlan& family_plan : {plan, AddressPlan::ipv6()})
      families.push_back(node_link_commands(family_plan, "eth0", "eth1",
                                            mac_of(TestbedNames::kGeneratorNs, kTxTap),
                                            mac_of(TestbedNames::kGeneratorNs, kRxTap)));
    auto guest_ip = [&](const std::vector<std::string>& args) {
      std::vector<std::string> argv = {ip};
      argv.insert(argv.end(), args.begin(), args.end());
      guest_checked(argv, "guest " + args[1] + " " + args[2] + " " + args[3]);
    };
    for (const auto& f : families)
      for (const auto& args : f.addresses) guest_ip(args);
    guest_checked({ip, "link", "set", "eth0", "up"}, "guest eth0 up");
    guest_checked({ip, "link", "set", "eth1", "up"}, "guest eth1 up");
    for (const auto& f : families)
      for (const auto& args : f.routes) guest_ip(args);
  } catch (...) {
    stop_guest();
    throw;
  }
}

void VmNode::stop_guest() {
  std::error_code ec;
  svcbench::stop_guest(kPidFile, kQemuMarker);
  fs::remove(kAccelFile, ec);
  fs::remove_all(kShareDir, ec);
}

std::string default_vm_image_dir() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return "build/vm";
  return (exe.parent_path().parent_path() / "vm").string();
}

std::string VmNode::accelerator() {
  std::string a;
  std::ifstream(kAccelFile) >> a;
  return a;
}

}  // namespace svcbench
