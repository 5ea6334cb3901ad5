#include "testbed.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "atomic_file.h"
#include "command_runner.h"
#include "errors.h"

namespace svcbench {

bool running_as_root() { return geteuid() == 0; }

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
    throw SetupError("another svcbench (pid " + pid +
                     ") is using the testbed; wait for it or stop it");
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

}  // namespace

// What `up` created: "KIND PID" then "NAMESPACE IDENTITY" lines.
void write_testbed_record(const std::string& kind, const std::vector<std::string>& namespaces) {
  std::string text = kind + " " + std::to_string(getpid()) + "\n";
  for (const auto& ns : namespaces)
    text += ns + " " + namespace_identity("/run/netns/" + ns) + "\n";
  std::filesystem::create_directories("/run/svcbench");
  write_file_atomically(kRecord, text);
}

void remove_testbed_record() {
  std::error_code ec;
  std::filesystem::remove(kRecord, ec);
}

std::string recorded_node_kind() {
  std::string kind;
  std::ifstream(kRecord) >> kind;
  return kind;
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

std::string mac_of(const std::string& netns, const std::string& link) {
  auto r = run_checked({{"ip", "-j", "link", "show", "dev", link}, netns, "", true},
                       "reading the MAC of " + link);
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  if (j.is_discarded() || !j.is_array() || j.empty() || !j[0].contains("address"))
    throw SetupError("cannot read the MAC address of " + link + " in " + netns);
  return j[0]["address"].get<std::string>();
}

void create_generator_namespace() {
  if (!running_as_root())
    throw SetupError("the testbed needs root (namespaces, veth, rule tools): rerun with sudo");
  require_tool("ip", "iproute2");
  require_tool("sysctl", "procps");
  ip({"netns", "add", N::kGeneratorNs}, "creating namespace svcb-gen");
  // veth ends are created directly inside their namespaces: nothing lands in the root one.
  ip({"link", "add", N::kBaselineTx, "netns", N::kGeneratorNs, "type", "veth", "peer", "name",
      N::kBaselineRx, "netns", N::kGeneratorNs},
     "creating the baseline link");
  sysctl_in(N::kGeneratorNs, "net.ipv6.conf.all.disable_ipv6", "1");
  sysctl_in(N::kGeneratorNs, "net.ipv6.conf.default.disable_ipv6", "1");
  for (const char* link : {N::kBaselineTx, N::kBaselineRx, "lo"})
    ip({"-n", N::kGeneratorNs, "link", "set", link, "up"}, std::string("bringing up ") + link);
}

void create_node_namespace(const std::string& netns, const std::string& tx_link,
                           const std::string& ingress, const std::string& rx_link,
                           const std::string& egress, bool ipv6) {
  ip({"netns", "add", netns}, "creating namespace " + netns);
  // Set before the links exist, so that they inherit it: IPv6 off, or on and quiet — no
  // link-local address, no duplicate address detection, no router solicitation or
  // advertisement taken in (neighbours are static), and forwarding on.
  for (const char* conf : {"all", "default"})
    sysctl_in(netns, std::string("net.ipv6.conf.") + conf + ".disable_ipv6", ipv6 ? "0" : "1");
  if (ipv6) {
    for (const auto& [key, value] :
         {std::pair{"addr_gen_mode", "1"}, {"accept_dad", "0"}, {"dad_transmits", "0"},
          {"accept_ra", "0"}, {"router_solicitations", "0"}})
      sysctl_in(netns, std::string("net.ipv6.conf.default.") + key, value);
    sysctl_in(netns, "net.ipv6.conf.all.forwarding", "1");
  }
  ip({"link", "add", tx_link, "netns", N::kGeneratorNs, "type", "veth", "peer", "name", ingress,
      "netns", netns},
     "creating link A");
  ip({"link", "add", rx_link, "netns", N::kGeneratorNs, "type", "veth", "peer", "name", egress,
      "netns", netns},
     "creating link B");
  for (const std::string& link : {tx_link, rx_link})
    ip({"-n", N::kGeneratorNs, "link", "set", link, "up"}, "bringing up " + link);
  for (const std::string& link : {ingress, egress, std::string("lo")})
    ip({"-n", netns, "link", "set", link, "up"}, "bringing up " + link);
}

NodeLinkCommands node_link_commands(const AddressPlan& plan, const std::string& ingress,
                                    const std::string& egress, const std::string& tx_mac,
                                    const std::string& rx_mac) {
  const std::string family = plan.test_links.family() == IpFamily::kIpv6 ? "-6" : "-4";
  const std::string prefix = "/" + std::to_string(plan.link_prefix());
  NodeLinkCommands c;
  c.addresses.push_back(
      {family, "addr", "add", plan.node_ingress_address().str() + prefix, "dev", ingress});
  c.addresses.push_back(
      {family, "addr", "add", plan.node_egress_address().str() + prefix, "dev", egress});
  c.routes.push_back({family, "neigh", "replace", plan.endpoint_next_hop().str(), "lladdr", rx_mac,
                      "nud", "permanent", "dev", egress});
  c.routes.push_back({family, "route", "replace", plan.pods.str(), "via",
                      plan.endpoint_next_hop().str(), "dev", egress});
  for (uint32_t i = 0; i < AddressPlan::kClientAddresses; ++i)
    c.routes.push_back({family, "neigh", "replace", plan.client_address(i).str(), "lladdr", tx_mac,
                        "nud", "permanent", "dev", ingress});
  return c;
}

void remove_testbed_leftovers() {
  if (!running_as_root()) throw SetupError("testbed down needs root: rerun with sudo");
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

void require_owned_namespace(const std::string& netns) {
  const std::string id = namespace_identity("/run/netns/" + netns);
  if (id.empty())
    throw SetupError("network namespace " + netns + " does not exist: run `svcbench testbed up`");
  if (id == namespace_identity("/proc/1/ns/net") || id == namespace_identity("/proc/self/ns/net"))
    throw SetupError("network namespace " + netns +
                     " is the host's own namespace; svcbench never programs it: run `svcbench "
                     "testbed down && svcbench testbed up`");
  std::ifstream record(kRecord);
  std::string line;
  std::getline(record, line);  // kind and pid
  while (std::getline(record, line))
    if (line == netns + " " + id) return;
  throw SetupError(
      "network namespace " + netns +
      " was not created by `svcbench testbed up` (or was replaced since); svcbench programs only "
      "namespaces it created: run `svcbench testbed down && svcbench testbed up`");
}

}  // namespace svcbench
