#include "netns_testbed.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "atomic_file.h"
#include "command_runner.h"
#include "errors.h"
#include "vm_node.h"

namespace svcbench {

bool running_as_root() { return geteuid() == 0; }

std::vector<std::string> generator_links(const std::string& node_kind) {
  using N = TestbedNames;
  if (node_kind == "vm") return {VmNode::kTxTap, VmNode::kRxTap, N::kBaselineTx, N::kBaselineRx};
  return {N::kTxLink, N::kRxLink, N::kBaselineTx, N::kBaselineRx};
}

TestbedLock::TestbedLock() {
  std::error_code ec;
  std::filesystem::create_directories("/run/svcbench", ec);
  fd_ = open("/run/svcbench/testbed.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) throw SetupError("cannot open /run/svcbench/testbed.lock (run as root)");
  if (flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    char holder[32] = {};
    ssize_t n = pread(fd_, holder, sizeof holder - 1, 0);
    close(fd_);
    fd_ = -1;
    std::string pid = n > 0 ? std::string(holder, static_cast<size_t>(n)) : "?";
    while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
    throw SetupError("another svcbench (pid " + pid + ") is using the testbed; wait for it or stop it");
  }
  const std::string me = std::to_string(getpid()) + "\n";
  if (ftruncate(fd_, 0) == 0 && pwrite(fd_, me.data(), me.size(), 0) < 0) {
    // The pid is only a hint for the error message above.
  }
}

TestbedLock::~TestbedLock() {
  if (fd_ >= 0) close(fd_);  // releases the flock
}

namespace {

using N = TestbedNames;
constexpr const char* kRecord = "/run/svcbench/testbed";

// A namespace's identity: device and inode of the nsfs file behind /run/netns/NAME (or
// /proc/PID/ns/net). The same for every path to one namespace, different for any other.
std::string namespace_identity(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return "";
  return std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
}

// What `up` created, for status() and require_owned(): "KIND PID" then "NAMESPACE IDENTITY" lines.
void write_record(const std::string& kind, const std::vector<std::string>& namespaces) {
  std::string text = kind + " " + std::to_string(getpid()) + "\n";
  for (const auto& ns : namespaces) text += ns + " " + namespace_identity("/run/netns/" + ns) + "\n";
  std::filesystem::create_directories("/run/svcbench");
  write_file_atomically(kRecord, text);
}

void ip(const std::vector<std::string>& args, const std::string& what) {
  std::vector<std::string> argv = {"ip"};
  argv.insert(argv.end(), args.begin(), args.end());
  run_checked({argv, "", "", true}, what);
}

void sysctl_in(const std::string& netns, const std::string& key, const std::string& value) {
  run_checked({{"sysctl", "-q", "-w", key + "=" + value}, netns, "", true},
              "setting " + key + " in " + netns);
}

std::vector<std::string> svcb_namespaces() {
  std::vector<std::string> out;
  if (DIR* d = opendir("/run/netns")) {
    while (dirent* e = readdir(d)) {
      std::string name = e->d_name;
      if (name.starts_with("svcb-")) out.push_back(name);
    }
    closedir(d);
  }
  return out;
}

std::vector<std::string> svcb_root_links() {
  std::vector<std::string> out;
  for (const auto& entry : std::filesystem::directory_iterator("/sys/class/net")) {
    std::string name = entry.path().filename();
    if (name.starts_with("svcb-")) out.push_back(name);
  }
  return out;
}

}  // namespace

std::string NetnsTestbed::mac_of(const std::string& netns, const std::string& link) {
  auto r = run_checked({{"ip", "-j", "link", "show", "dev", link}, netns, "", true},
                       "reading the MAC of " + link);
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  if (j.is_discarded() || !j.is_array() || j.empty() || !j[0].contains("address"))
    throw SetupError("cannot read the MAC address of " + link + " in " + netns);
  return j[0]["address"].get<std::string>();
}

void NetnsTestbed::up(const std::string& node_kind) {
  if (!running_as_root())
    throw SetupError("the netns testbed needs root (namespaces, veth, iptables): rerun with sudo");
  require_tool("ip", "iproute2");
  require_tool("sysctl", "procps");
  down();
  try {
    ip({"netns", "add", N::kGeneratorNs}, "creating namespace svcb-gen");
    if (node_kind == "vm") {
      ip({"link", "add", N::kBaselineTx, "netns", N::kGeneratorNs, "type", "veth", "peer", "name",
          N::kBaselineRx, "netns", N::kGeneratorNs}, "creating the baseline link");
      sysctl_in(N::kGeneratorNs, "net.ipv6.conf.all.disable_ipv6", "1");
      sysctl_in(N::kGeneratorNs, "net.ipv6.conf.default.disable_ipv6", "1");
      for (const char* tap : {VmNode::kTxTap, VmNode::kRxTap})
        ip({"-n", N::kGeneratorNs, "tuntap", "add", tap, "mode", "tap"}, std::string("creating tap ") + tap);
      for (const char* link : {VmNode::kTxTap, VmNode::kRxTap, N::kBaselineTx, N::kBaselineRx, "lo"})
        ip({"-n", N::kGeneratorNs, "link", "set", link, "up"}, std::string("bringing up ") + link);
      write_record("vm", {N::kGeneratorNs});
      return;
    }
    ip({"netns", "add", N::kNodeNs}, "creating namespace svcb-node");
    // veth ends are created directly inside their namespaces: nothing lands in the root one.
    ip({"link", "add", N::kTxLink, "netns", N::kGeneratorNs, "type", "veth", "peer", "name",
        N::kNodeIngress, "netns", N::kNodeNs}, "creating link A");
    ip({"link", "add", N::kRxLink, "netns", N::kGeneratorNs, "type", "veth", "peer", "name",
        N::kNodeEgress, "netns", N::kNodeNs}, "creating link B");
    ip({"link", "add", N::kBaselineTx, "netns", N::kGeneratorNs, "type", "veth", "peer", "name",
        N::kBaselineRx, "netns", N::kGeneratorNs}, "creating the baseline link");
    for (const char* ns : {N::kGeneratorNs, N::kNodeNs}) {
      sysctl_in(ns, "net.ipv6.conf.all.disable_ipv6", "1");
      sysctl_in(ns, "net.ipv6.conf.default.disable_ipv6", "1");
      ip({"-n", ns, "link", "set", "lo", "up"}, "bringing up lo");
    }
    for (const char* link : {N::kTxLink, N::kRxLink, N::kBaselineTx, N::kBaselineRx})
      ip({"-n", N::kGeneratorNs, "link", "set", link, "up"}, std::string("bringing up ") + link);
    const std::string prefix = "/" + std::to_string(AddressPlan::kLinkPrefix);
    ip({"-n", N::kNodeNs, "addr", "add", plan_.node_ingress_address().str() + prefix, "dev",
        N::kNodeIngress}, "addressing svcb-n0");
    ip({"-n", N::kNodeNs, "addr", "add", plan_.node_egress_address().str() + prefix, "dev",
        N::kNodeEgress}, "addressing svcb-n1");
    for (const char* link : {N::kNodeIngress, N::kNodeEgress})
      ip({"-n", N::kNodeNs, "link", "set", link, "up"}, std::string("bringing up ") + link);
    sysctl_in(N::kNodeNs, "net.ipv4.ip_forward", "1");
    for (const char* conf : {"all", "default", N::kNodeIngress, N::kNodeEgress})
      sysctl_in(N::kNodeNs, std::string("net.ipv4.conf.") + conf + ".rp_filter", "0");
    // Endpoints live behind link B: a static neighbour makes the node forward there without ARP.
    const std::string rx_mac = mac_of(N::kGeneratorNs, N::kRxLink);
    ip({"-n", N::kNodeNs, "neigh", "replace", plan_.endpoint_next_hop().str(), "lladdr", rx_mac,
        "nud", "permanent", "dev", N::kNodeEgress}, "adding the endpoint neighbour");
    ip({"-n", N::kNodeNs, "route", "replace", plan_.pods.str(), "via",
        plan_.endpoint_next_hop().str(), "dev", N::kNodeEgress}, "routing the pod range");
    // Clients are never answered, but give their addresses a neighbour too so the node never ARPs.
    const std::string tx_mac = mac_of(N::kGeneratorNs, N::kTxLink);
    for (uint32_t i = 0; i < AddressPlan::kClientAddresses; ++i)
      ip({"-n", N::kNodeNs, "neigh", "replace", plan_.client_address(i).str(), "lladdr", tx_mac,
          "nud", "permanent", "dev", N::kNodeIngress}, "adding a client neighbour");
    write_record("netns", {N::kGeneratorNs, N::kNodeNs});
  } catch (...) {
    down();
    throw;
  }
}

void NetnsTestbed::down() {
  if (!running_as_root()) throw SetupError("testbed down needs root: rerun with sudo");
  VmNode::stop();  // a guest first: it holds the taps
  for (const auto& ns : svcb_namespaces())
    run_command({{"ip", "netns", "delete", ns}, "", "", true});  // deletes its veths too
  for (const auto& link : svcb_root_links())
    run_command({{"ip", "link", "delete", link}, "", "", true});
  // DPDK runtime directories of svcbench generator processes that no longer run.
  std::error_code ec;
  for (const char* base : {"/var/run/dpdk", "/run/dpdk"}) {
    if (!std::filesystem::exists(base, ec)) continue;
    for (const auto& entry : std::filesystem::directory_iterator(base, ec)) {
      std::string name = entry.path().filename();
      if (!name.starts_with("svcb-")) continue;
      pid_t pid = static_cast<pid_t>(atoi(name.c_str() + 5));
      if (pid > 0 && kill(pid, 0) == 0) continue;
      std::filesystem::remove_all(entry.path(), ec);
    }
  }
  std::filesystem::remove(kRecord, ec);
}

void NetnsTestbed::require_owned(const std::string& netns) {
  const std::string id = namespace_identity("/run/netns/" + netns);
  if (id.empty()) throw SetupError("network namespace " + netns + " does not exist: run `svcbench testbed up`");
  if (id == namespace_identity("/proc/1/ns/net") || id == namespace_identity("/proc/self/ns/net"))
    throw SetupError("network namespace " + netns + " is the host's own namespace; svcbench never programs it: run `svcbench testbed down && svcbench testbed up`");
  std::ifstream record(kRecord);
  std::string line;
  std::getline(record, line);  // kind and pid
  while (std::getline(record, line))
    if (line == netns + " " + id) return;
  throw SetupError("network namespace " + netns + " was not created by `svcbench testbed up` (or was replaced since); svcbench programs only namespaces it created: run `svcbench testbed down && svcbench testbed up`");
}

TestbedStatus NetnsTestbed::status() {
  TestbedStatus s;
  s.namespaces = svcb_namespaces();
  s.root_links = svcb_root_links();
  bool gen = false, node = false;
  for (const auto& n : s.namespaces) {
    gen |= n == N::kGeneratorNs;
    node |= n == N::kNodeNs;
  }
  std::ifstream(kRecord) >> s.node_kind;
  if (s.node_kind == "vm") {
    s.up = gen && !VmNode::accelerator().empty();
    return s;
  }
  s.up = gen && node;
  if (s.up) {
    try {
      s.node_ingress_mac = mac_of(N::kNodeNs, N::kNodeIngress);
    } catch (const std::exception&) {
      s.up = false;
    }
  }
  return s;
}

}  // namespace svcbench
