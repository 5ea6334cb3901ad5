#include "ipvs_mode.h"

#include <sstream>

#include "command_runner.h"
#include "ensure_jumps.h"
#include "errors.h"
#include "iptables_dump.h"
#include "ipvs_listing.h"

namespace svcbench {
namespace {

// The chains kube-proxy's IPVS mode ensures on every sync (iptablesChains) and the jumps to
// them from the base chains (iptablesJumpChain).
constexpr const char* kBaseJumps =
    "*nat\n:KUBE-SERVICES - [0:0]\n:KUBE-POSTROUTING - [0:0]\n:KUBE-NODE-PORT - [0:0]\n"
    ":KUBE-LOAD-BALANCER - [0:0]\n:KUBE-MARK-MASQ - [0:0]\n"
    "-I OUTPUT -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES\n"
    "-I PREROUTING -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES\n"
    "-I POSTROUTING -m comment --comment \"kubernetes postrouting rules\" -j KUBE-POSTROUTING\n"
    "COMMIT\n*filter\n:KUBE-FORWARD - [0:0]\n:KUBE-NODE-PORT - [0:0]\n:KUBE-PROXY-FIREWALL - "
    "[0:0]\n:KUBE-SOURCE-RANGES-FIREWALL - [0:0]\n"
    ":KUBE-IPVS-FILTER - [0:0]\n:KUBE-IPVS-OUT-FILTER - [0:0]\n"
    "-I FORWARD -m comment --comment \"kubernetes forwarding rules\" -j KUBE-FORWARD\n"
    "-I INPUT -m comment --comment \"kubernetes health check rules\" -j KUBE-NODE-PORT\n"
    "-I INPUT -m comment --comment \"kube-proxy firewall rules\" -j KUBE-PROXY-FIREWALL\n"
    "-I FORWARD -m comment --comment \"kube-proxy firewall rules\" -j KUBE-PROXY-FIREWALL\n"
    "-I INPUT -m comment --comment \"kubernetes ipvs access filter\" -j KUBE-IPVS-FILTER\n"
    "-I OUTPUT -m comment --comment \"kubernetes ipvs access filter\" -j KUBE-IPVS-OUT-FILTER\n"
    "COMMIT\n";

}  // namespace

IpvsMode::IpvsMode(Node& node, IpvsOptions options) : node_(node), options_(std::move(options)) {
  netlink_tool_ = node_.svcbench_tool("svcb-ipvs-netlink");
  if (options_.ipvs_kube_proxy_sync)  // ensure-jumps: kube-proxy's iptables -N/-C/-I
    node_.require_tool(iptables_tool(""), "iptables");
  auto probe = node_.run({"cat", "/proc/net/ip_vs"});
  if (!probe.ok())
    throw SetupError(
        "mode ipvs: the " + node_.kind() +
        " node has no /proc/net/ip_vs (IP_VS not loaded): " + tool_failure("cat", probe));
}

// Runs kube-proxy's one-process-per-call lines (`ipset ...`) as one shell script on the node:
// each a fork and exec as kube-proxy's exec.Command makes them, the step's time and CPU theirs.
double IpvsMode::calls(const std::string& name, const std::vector<std::string>& lines,
                       const std::string& what) {
  if (lines.empty()) return 0;
  std::string script = "set -e\nPATH=/usr/sbin:/usr/bin:/sbin:/bin\n";
  for (const auto& l : lines) script += l + " >/dev/null\n";
  auto r = node_.run({"sh", "-s"}, script);
  sync_.record(name, r, static_cast<int>(lines.size()));
  if (!r.ok()) throw SetupError("ipvs " + what + " (" + name + ") failed " + tool_failure("sh", r));
  return r.seconds;
}

double IpvsMode::kube_proxy_sync(const IpvsProgramme& to, const IpvsProgramme* from,
                                 const std::string& what) {
  // syncProxyRules' order: chains and jumps, the sets, the per-Service netlink calls, the sets'
  // entries, the iptables rules, then what is left over from Services gone.
  sync_.start();
  const IpvsSyncCalls c = ipvs_sync_calls(to, from, options_.scheduler);
  ensure_jumps(sync_, node_, iptables_tool(""), base_chain_jumps(kBaseJumps), "ipvs " + what);
  calls("ipset create", c.ipset_create, what);
  step("netlink (services, real servers, addresses)", {netlink_tool_}, c.netlink_sync, what);
  calls("ipset list", c.ipset_list, what);
  calls("ipset add/del", c.ipset_change, what);
  step("iptables-restore",
       {iptables_tool("-restore"), "-w", "5", "-W", "100000", "--noflush", "--counters"},
       to.iptables, what);
  step("netlink (stale addresses, services)", {netlink_tool_}, c.netlink_cleanup, what);
  return sync_seconds(sync_.steps());
}

IpvsMode::Steps IpvsMode::steps(const IpvsProgramme& to, const IpvsProgramme* from) const {
  return {ipvs_ipset_restore(to, from), ipvs_address_batch(to, from),
          ipvs_ipvsadm_restore(to, from, options_.scheduler), to.iptables};
}

double IpvsMode::step(const std::string& name, const std::vector<std::string>& argv,
                      const std::string& input, const std::string& what) {
  auto r = sync_.run(node_, name, argv, input);
  if (!r.ok()) throw SetupError("ipvs " + what + " (" + name + ") failed " + tool_failure(argv[0], r));
  return r.seconds;
}

double IpvsMode::apply_batched(const Steps& s, const std::string& what) {
  sync_.start();
  double seconds = 0;
  auto timed = [&](const std::vector<std::string>& argv, const std::string& input,
                   const char* name) {
    if (!input.empty()) seconds += step(name, argv, input, what);
  };
  timed({"ipset", "restore"}, s.ipsets, "ipset restore");
  timed({"/usr/bin/ip", "-batch", "-"}, s.addresses, "ip -batch (kube-ipvs0 addresses)");
  // One netlink request per virtual/real server, as kube-proxy issues them.
  timed({netlink_tool_}, s.servers, "ipvs netlink (virtual/real servers)");
  timed({iptables_tool("-restore"), "--noflush", "--counters"}, s.iptables, "iptables-restore");
  return seconds;
}

std::string IpvsMode::iptables_tool(const char* suffix) const {
  // The IPv6 proxier's constant rules go through ip6tables.
  return std::string(options_.ip_family == IpFamily::kIpv6 ? "ip6tables-legacy" : "iptables-legacy") +
         suffix;
}

void IpvsMode::reset() {
  node_.run({"ipvsadm", "-C"});  // kube-proxy's IPVS cleanup flushes IPVS as well
  node_.run({"/usr/bin/ip", "link", "del", "kube-ipvs0"});
  const std::string removal =
      kube_chains_removal(node_.run_checked({iptables_tool("-save")}, "ipvs reset (save)").out);
  if (!removal.empty())
    node_.run_checked({iptables_tool("-restore"), "--noflush"}, "ipvs reset", removal);
  // kube-proxy's sets of this family only (the other's rules may still refer to theirs),
  // once no rule refers to them.
  const bool v6 = options_.ip_family == IpFamily::kIpv6;
  std::string destroy;
  std::istringstream sets(node_.run({"ipset", "list", "-n"}).out);
  for (std::string set; std::getline(sets, set);)
    if (set.starts_with("KUBE-") && set.starts_with("KUBE-6-") == v6)
      destroy += "destroy " + set + "\n";
  if (!destroy.empty()) node_.run_checked({"ipset", "restore"}, "ipvs reset (ipsets)", destroy);
}

double IpvsMode::initial_load(const ServiceSet& services) {
  reset();
  // What kube-proxy sets once when it starts, before its first sync.
  for (const char* s : {"net.ipv4.vs.conntrack=1", "net.ipv4.vs.expire_nodest_conn=1",
                        "net.ipv4.vs.expire_quiescent_template=1"})
    node_.run_checked({"sysctl", "-w", s}, "ipvs sysctl");
  const auto to = build_ipvs(services, options_);
  if (options_.ipvs_kube_proxy_sync) return kube_proxy_sync(to, nullptr, "initial load");
  node_.run_checked({"/usr/bin/ip", "link", "add", "kube-ipvs0", "type", "dummy"},
                    "creating kube-ipvs0");
  node_.run_checked({iptables_tool("-restore"), "--noflush"}, "ipvs base-chain jumps", kBaseJumps);
  return apply_batched(steps(to, nullptr), "initial load");
}

DataplaneMode::Apply IpvsMode::prepare_full_resync(const ServiceSet& services) {
  // A full sync re-reads the kernel's state (virtual servers, bound addresses) and
  // re-asserts every set entry and the iptables rules; nothing changes, nothing is re-added.
  auto p = build_ipvs(services, options_);
  if (options_.ipvs_kube_proxy_sync)  // every IPVS sync is this walk; here nothing changed
    return [this, p = std::move(p)] { return kube_proxy_sync(p, &p, "full resync"); };
  return [this, ipsets = ipvs_ipset_restore(p, nullptr), iptables = p.iptables] {
    sync_.start();
    const std::string what = "full resync";
    double seconds = step("ipvsadm -Ln (virtual servers)", {"ipvsadm", "-Ln"}, "", what);
    seconds += step("ip addr show (kube-ipvs0)",
                    {"/usr/bin/ip", "-o", "addr", "show", "dev", "kube-ipvs0"}, "", what);
    seconds += step("ipset restore", {"ipset", "restore"}, ipsets, what);
    seconds += step("iptables-restore", {iptables_tool("-restore"), "--noflush", "--counters"},
                    iptables, what);
    return seconds;
  };
}

DataplaneMode::Apply IpvsMode::prepare_partial_sync(const ServiceSet& before,
                                                    const ServiceSet& after) {
  auto from = build_ipvs(before, options_);
  auto to = build_ipvs(after, options_);
  if (options_.ipvs_kube_proxy_sync)
    return [this, from = std::move(from), to = std::move(to)] {
      return kube_proxy_sync(to, &from, "partial sync");
    };
  return [this, s = steps(to, &from)] { return apply_batched(s, "partial sync"); };
}

std::string IpvsMode::loaded_ruleset() {
  return node_.run({"ipvsadm", "-Ln"}).out + node_.run({iptables_tool("-save")}).out;
}

std::vector<ServiceDispatch> IpvsMode::loaded_dispatch() {
  // IPVS holds both families' virtual servers: this proxier's are its own family's.
  auto dispatch = read_ipvs_dispatch(node_.run_checked({"ipvsadm", "-Ln"}, "ipvs list").out);
  std::erase_if(dispatch, [&](const ServiceDispatch& d) { return d.address.family != options_.ip_family; });
  return dispatch;
}

std::unique_ptr<DataplaneMode> make_ipvs_mode(Node& node, const IptablesOptions& options) {
  return std::make_unique<IpvsMode>(node, with_proxy_options<IpvsOptions>(options));
}

std::string render_ipvs_text(const ServiceSet& services, const IptablesOptions& options, bool) {
  return render_ipvs(services, with_proxy_options<IpvsOptions>(options));
}

}  // namespace svcbench
