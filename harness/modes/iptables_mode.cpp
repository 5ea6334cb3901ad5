#include "iptables_mode.h"

#include "command_runner.h"
#include "ensure_jumps.h"
#include "errors.h"
#include "iptables_dump.h"
#include "sync_plan.h"

namespace svcbench {

IptablesMode::IptablesMode(IptablesBackend backend, Node& node, IptablesOptions options)
    : backend_(backend), node_(node), options_(std::move(options)) {
  node_.require_tool(tool("-restore"), "iptables");
  node_.require_tool(tool("-save"), "iptables");
  node_.require_tool(tool(""), "iptables");  // ensure-jumps: kube-proxy's iptables -N/-C/-I
  if (options_.nfacct) node_.require_tool("nfacct", "nfacct");
}

std::string IptablesMode::name() const {
  return backend_ == IptablesBackend::kLegacy ? "iptables-legacy" : "iptables-nft";
}

std::string IptablesMode::tool(const char* suffix) const {
  // kube-proxy's IPv6 proxier drives ip6tables-restore/-save of the same backend.
  const std::string family = options_.ip_family == IpFamily::kIpv6 ? "ip6tables" : "iptables";
  return family + (backend_ == IptablesBackend::kLegacy ? "-legacy" : "-nft") + suffix;
}

double IptablesMode::restore(const std::string& payload, const std::string& what) {
  // kube-proxy's RestoreAll: iptables-restore -w 5 -W 100000 --noflush --counters (the xtables
  // lock waited for up to 5 s, polled every 100 ms; NoFlushTables, RestoreCounters).
  auto r = sync_.run(node_, "iptables-restore",
                     {tool("-restore"), "-w", "5", "-W", "100000", "--noflush", "--counters"},
                     payload);
  if (!r.ok())
    throw SetupError(name() + " " + what + ": the kernel rejected the ruleset " +
                     tool_failure(tool("-restore"), r));
  return r.seconds;
}

void IptablesMode::ensure_jumps() {
  // Every jump into kube-proxy's chains (iptablesJumpChains and the kubelet's).
  svcbench::ensure_jumps(sync_, node_, tool(""),
                         base_chain_jumps(render_iptables_base_jumps(options_.kube_proxy_version)),
                         name());
}

double IptablesMode::sync(const std::string& payload, bool full, size_t endpoints,
                          const std::string& what) {
  sync_.start();
  // kube-proxy 1.12 ensured its jumps and read both tables back on every sync; today's
  // ensures on full syncs only and reads nat back unless large-cluster mode read it lately.
  const bool v1_12 = options_.kube_proxy_version == KubeProxyVersion::k1_12;
  if (full || v1_12) ensure_jumps();
  const auto now = std::chrono::steady_clock::now();
  const bool save_due = v1_12 || endpoints <= kLargeClusterEndpoints || !last_save_ ||
                        std::chrono::duration<double>(now - *last_save_).count() > kSyncPeriodSeconds;
  if (save_due) {
    for (const char* table : v1_12 ? std::vector<const char*>{"filter", "nat"}
                                   : std::vector<const char*>{"nat"}) {
      auto r = sync_.run(node_, std::string("iptables-save -t ") + table, {tool("-save"), "-t", table});
      if (!r.ok()) throw SetupError(name() + " " + what + ": " + tool_failure(tool("-save"), r));
    }
    last_save_ = now;
  }
  return restore(payload, what);
}

void IptablesMode::reset() {
  // Only what kube-proxy owns (its chains and the jumps to them), as its cleanup does: a node's
  // own rules stay, which matters once the node is somebody's machine.
  const std::string removal =
      kube_chains_removal(node_.run_checked({tool("-save")}, name() + " save").out);
  if (!removal.empty())
    node_.run_checked({tool("-restore"), "--noflush"}, name() + " reset", removal);
}

void IptablesMode::ensure_nfacct_counters() {
  // kube-proxy's nfacct Ensure: get, and add what is missing (counters outlive its restarts).
  for (const char* counter : kKubeProxyNfacctCounters)
    if (!node_.run({"nfacct", "get", counter}).ok())
      node_.run_checked({"nfacct", "add", counter},
                        name() + ": creating kube-proxy's nfacct counter " + counter);
}

double IptablesMode::initial_load(const ServiceSet& services) {
  reset();
  last_save_.reset();  // a restarted kube-proxy has read nothing back yet
  if (options_.nfacct) ensure_nfacct_counters();
  return sync(render_iptables(services, options_).text, true, services.endpoint_count(),
              "initial load");
}

DataplaneMode::Apply IptablesMode::prepare_full_resync(const ServiceSet& services) {
  return [this, payload = render_iptables(services, options_).text,
          endpoints = services.endpoint_count()] {
    return sync(payload, true, endpoints, "full resync");
  };
}

DataplaneMode::Apply IptablesMode::prepare_partial_sync(const ServiceSet& before,
                                                        const ServiceSet& after) {
  // kube-proxy 1.12 has no partial syncs: plan_partial_sync gives its full payload.
  return [this, payload = plan_partial_sync(before, after, options_).text,
          endpoints = after.endpoint_count(),
          full = options_.kube_proxy_version == KubeProxyVersion::k1_12] {
    return sync(payload, full, endpoints, "partial sync");
  };
}

std::string IptablesMode::loaded_ruleset() {
  return node_.run_checked({tool("-save"), "-c"}, name() + " save").out;
}

std::vector<ServiceDispatch> IptablesMode::loaded_dispatch() {
  auto r = node_.run_checked({tool("-save"), "-t", "nat"}, name() + " save");
  return read_service_dispatch(r.out);
}

std::unique_ptr<DataplaneMode> make_iptables_legacy_mode(Node& node,
                                                         const IptablesOptions& options) {
  return std::make_unique<IptablesMode>(IptablesBackend::kLegacy, node, options);
}

std::unique_ptr<DataplaneMode> make_iptables_nft_mode(Node& node, const IptablesOptions& options) {
  return std::make_unique<IptablesMode>(IptablesBackend::kNft, node, options);
}

std::string render_iptables_text(const ServiceSet& services, const IptablesOptions& options,
                                 bool canonical) {
  std::string text = render_iptables(services, options).text;
  return canonical ? canonical_iptables_dump(text) : text;
}

}  // namespace svcbench
