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
#include "interruption.h"
#include "testbed.h"

namespace svcbench {
namespace {

namespace fs = std::filesystem;
constexpr const char* kPidFile = "/run/svcbench/qemu.pid";
constexpr const char* kAccelFile = "/run/svcbench/vm.accel";
constexpr const char* kLogFile = "/run/svcbench/qemu.log";

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

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
  const std::string path = find_tool("qemu-system-x86_64");
  if (path.empty())
    throw SetupError(
        "qemu-system-x86_64 not found: install qemu-system-x86 (scripts/install-deps)");
  const std::string ns = std::string("/run/netns/") + TestbedNames::kGeneratorNs;
  int ns_fd = open(ns.c_str(), O_RDONLY | O_CLOEXEC);
  if (ns_fd < 0)
    throw SetupError("the generator namespace is missing: run `svcbench testbed up --node vm`");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = fork();
  if (pid < 0) throw SetupError("fork failed starting qemu");
  if (pid == 0) {
    setsid();
    if (setns(ns_fd, CLONE_NEWNET) != 0) _exit(126);
    int log = open(kLogFile, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int null = open("/dev/null", O_RDONLY);
    dup2(null, 0);
    dup2(log, 1);
    dup2(log, 2);
    signal(SIGINT, SIG_IGN);
    execv(path.c_str(), argv.data());
    _exit(127);
  }
  close(ns_fd);
  std::ofstream(kPidFile) << pid << "\n";
  return pid;
}

// Waits for the agent's ready file; false if qemu died or the time ran out.
bool wait_for_agent(pid_t pid, double seconds) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < deadline && !interrupted()) {
    if (fs::exists(std::string(VmNode::kShareDir) + "/agent.ready")) return true;
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

void kill_guest(pid_t pid) {
  if (pid <= 0) return;
  kill(pid, SIGTERM);
  for (int i = 0; i < 50; ++i) {
    if (waitpid(pid, nullptr, WNOHANG) == pid || kill(pid, 0) != 0) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
}

}  // namespace

CommandResult VmNode::run(const std::vector<std::string>& argv, const std::string& input) {
  return run_in_guest(argv, input, options_.vm_silence_seconds);
}

CommandResult VmNode::run_in_guest(const std::vector<std::string>& argv, const std::string& input,
                                   double silence_seconds) {
  const std::string share = kShareDir;
  static std::atomic<uint64_t> counter{0};
  char id[64];
  std::snprintf(id, sizeof id, "%010d-%08llu", getpid(),
                static_cast<unsigned long long>(counter++));
  const std::string base = share + "/" + id;
  if (!input.empty()) write_file_atomically(base + ".in", input);
  std::string req;
  for (const auto& a : argv) {
    req += a;
    req.push_back('\0');
  }
  write_file_atomically(base + ".req", req);
  // Alive while the heartbeat moves; a command may take as long as it needs.
  std::string beat = slurp(share + "/agent.alive");
  auto last_beat = std::chrono::steady_clock::now();
  for (int spin = 0; !fs::exists(base + ".done"); ++spin) {
    if (interrupted()) throw Interrupted();
    if (spin % 250 == 0) {
      const auto now = std::chrono::steady_clock::now();
      std::string current = slurp(share + "/agent.alive");
      if (current != beat) {
        beat = std::move(current);
        last_beat = now;
      } else if (std::chrono::duration<double>(now - last_beat).count() > silence_seconds) {
        throw SetupError("the vm guest stopped answering (no heartbeat for " +
                         std::to_string(static_cast<int>(silence_seconds)) + " s while running " +
                         argv[0] + "); see " + kLogFile);
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  CommandResult r;
  std::istringstream done(slurp(base + ".done"));
  done >> r.exit_code >> r.seconds;
  r.out = slurp(base + ".out");
  r.err = slurp(base + ".err");
  for (const char* ext : {".done", ".out", ".err"}) fs::remove(base + ext);
  return r;
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
  // KVM where it runs Debian's kernel; on hosts whose KVM cannot (DESIGN.md), TCG.
  std::string accel = access("/dev/kvm", R_OK | W_OK) == 0 ? "kvm" : "tcg";
  pid_t pid = spawn_qemu(image_dir, accel);
  if (!wait_for_agent(pid, accel == "kvm" ? 20 : 90)) {
    kill_guest(pid);
    if (accel == "kvm" && !interrupted()) {
      accel = "tcg";
      fs::remove_all(kShareDir);
      fs::create_directories(kShareDir);
      pid = spawn_qemu(image_dir, accel);
    }
    if (accel != "tcg" || !wait_for_agent(pid, 90)) {
      kill_guest(pid);
      std::string log = slurp(kLogFile);
      if (log.size() > 300) log = log.substr(log.size() - 300);
      for (char& c : log)
        if (c == '\n' || c == '\r') c = ' ';
      throw SetupError("the vm guest did not boot (no agent after 90 s); qemu said: " + log);
    }
  }
  std::ofstream(kAccelFile) << accel << "\n";
  try {
    auto guest_checked = [&](const std::vector<std::string>& argv, const std::string& what) {
      CommandResult r = run_in_guest(argv, "", 60);
      if (!r.ok()) throw SetupError(what + " failed on the vm node " + tool_failure(argv[0], r));
    };
    const std::string ip = "/usr/bin/ip";  // busybox's own ip lacks what we need
    const std::string prefix = "/" + std::to_string(AddressPlan::kLinkPrefix);
    guest_checked({ip, "link", "set", "lo", "up"}, "guest lo");
    guest_checked({ip, "addr", "add", plan.node_ingress_address().str() + prefix, "dev", "eth0"},
                  "guest eth0 address");
    guest_checked({ip, "addr", "add", plan.node_egress_address().str() + prefix, "dev", "eth1"},
                  "guest eth1 address");
    guest_checked({ip, "link", "set", "eth0", "up"}, "guest eth0 up");
    guest_checked({ip, "link", "set", "eth1", "up"}, "guest eth1 up");
    guest_checked({"sysctl", "-w", "net.ipv4.ip_forward=1"}, "guest forwarding");
    for (const char* conf : {"all", "default", "eth0", "eth1"})
      guest_checked({"sysctl", "-w", std::string("net.ipv4.conf.") + conf + ".rp_filter=0"},
                    "guest rp_filter");
    const std::string rx_mac = mac_of(TestbedNames::kGeneratorNs, kRxTap);
    const std::string tx_mac = mac_of(TestbedNames::kGeneratorNs, kTxTap);
    guest_checked({ip, "neigh", "replace", plan.endpoint_next_hop().str(), "lladdr", rx_mac, "nud",
                   "permanent", "dev", "eth1"},
                  "guest endpoint neighbour");
    guest_checked({ip, "route", "replace", plan.pods.str(), "via", plan.endpoint_next_hop().str(),
                   "dev", "eth1"},
                  "guest pod route");
    for (uint32_t i = 0; i < AddressPlan::kClientAddresses; ++i)
      guest_checked({ip, "neigh", "replace", plan.client_address(i).str(), "lladdr", tx_mac, "nud",
                     "permanent", "dev", "eth0"},
                    "guest client neighbour");
  } catch (...) {
    stop_guest();
    throw;
  }
}

void VmNode::stop_guest() {
  std::error_code ec;
  if (fs::exists(kPidFile, ec)) {
    pid_t pid = 0;
    std::ifstream(kPidFile) >> pid;
    // Only a qemu svcbench started: check its command line names our share.
    std::string cmdline = slurp("/proc/" + std::to_string(pid) + "/cmdline");
    if (pid > 0 && cmdline.find("svcb-t0") != std::string::npos) kill_guest(pid);
    fs::remove(kPidFile, ec);
  }
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
