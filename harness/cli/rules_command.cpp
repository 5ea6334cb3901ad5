// svcbench rules: the iptables-restore payload kube-proxy would apply, and a matching pcap.
#include <cstdio>

#include "atomic_file.h"
#include "command_line.h"
#include "errors.h"
#include "iptables_dump.h"
#include "iptables_renderer.h"
#include "kubernetes_import.h"
#include "mode_registry.h"
#include "pcap_file.h"
#include "synthetic_services.h"
#include "traffic_plan.h"

namespace svcbench {
namespace {

// `--mode iptables` names the payload both iptables backends load.
constexpr const char* kIptablesAlias = "iptables";

std::vector<OptionSpec> own_specs() {
  std::vector<OptionSpec> specs = {
    {"mode", "MODE", "iptables (= iptables-legacy, iptables-nft: same payload), nftables or ipvs"},
    {"from", "FILE", "a cluster's `kubectl get services,endpointslices -A -o json`"},
    {"node-name", "NAME", "with --from: endpoints on this node are local"},
    {"canonical", "", "print in the order kube-proxy's own tests compare in"},
    {"base-jumps", "", "print the base-chain jump rules instead"},
    {"out", "PATH", "write the payload here instead of stdout"},
    {"pcap", "PATH", "also write a pcap with one packet per Service frontend"},
  };
  for (auto& spec : synthetic_option_specs()) specs.push_back(std::move(spec));
  for (auto& spec : proxy_option_specs()) specs.push_back(std::move(spec));
  return specs;
}

ServiceSet services_from_options(const CommandLine& cl, const AddressPlan& plan, IpFamily family) {
  if (cl.has("from") && cl.has("services"))
    throw UsageError("give either --services N or --from FILE, not both");
  if (cl.has("from")) {
    ImportOptions o;
    o.node_name = cl.get("node-name");
    o.family = family;
    return import_kubernetes_list(read_file(cl.get("from")), o);
  }
  if (!cl.has("services")) throw UsageError("say which Services: --services N or --from FILE");
  return make_synthetic_services(synthetic_spec_from(cl), plan);
}

}  // namespace

int rules_command(const std::vector<std::string>& args) {
  const auto kSpecs = own_specs();
  CommandLine cl("svcbench rules", kSpecs, args);
  if (cl.help()) {
    std::fputs(CommandLine::usage(
                   "svcbench rules --mode iptables|nftables|ipvs (--services N [--endpoints E] "
                   "[--seed S] | --from FILE) [kube-proxy flags] [--out PATH] [--pcap PATH]",
                   kSpecs)
                   .c_str(),
               stdout);
    std::puts("\nThe kube-proxy each mode's rules reproduce (--kube-proxy-version):");
    for (const auto v : {KubeProxyVersion::kCurrent, KubeProxyVersion::k1_12, KubeProxyVersion::k1_33})
      for (const char* m : {"iptables", "nftables", "ipvs"})
        if (version_renders(v, m))
          std::printf("  %-7s %-8s %s\n", version_name(v), m, reproduced_release(v, m).c_str());
    return 0;
  }
  if (!cl.positional().empty())
    throw UsageError("unexpected argument '" + cl.positional()[0] + "'");
  const std::string name = cl.get("mode", kIptablesAlias);
  if (name != kIptablesAlias && !has_mode(name))
    throw UsageError("unknown mode '" + name + "'; available: " + kIptablesAlias + ", " +
                     mode_names());
  const ModeDescription& mode = find_mode(name == kIptablesAlias ? "iptables-legacy" : name);
  IptablesOptions options = iptables_options_from(cl);
  require_version_supports(options.kube_proxy_version, {mode.name});
  if (cl.has("nft-single-endpoint-goto") && mode.name != "nftables")
    throw UsageError("--nft-single-endpoint-goto changes the nftables rules: use it with --mode nftables");
  for (const char* flag : {"nft-list", "nft-split-cold-start", "ipvs-sync"})
    if (cl.has(flag))
      throw UsageError("--" + std::string(flag) + " changes how a sync runs, not the rules: use it "
                       "with run --during or sweep");
  require_one_family(ip_families_from(cl));
  if (!mode.iptables_payload && (cl.has("base-jumps") || cl.has("nfacct")))
    throw UsageError("--base-jumps and --nfacct go with --mode iptables");
  if (!mode.has_canonical && cl.has("canonical"))
    throw UsageError("--canonical goes with --mode iptables or nftables");
  if (cl.has("base-jumps")) {
    std::fputs(render_iptables_base_jumps(options.kube_proxy_version).c_str(), stdout);
    return 0;
  }
  const AddressPlan plan = AddressPlan::of(options.ip_family);
  ServiceSet services = services_from_options(cl, plan, options.ip_family);
  const std::string text = mode.render(services, options, cl.has("canonical"));
  if (cl.has("pcap")) {
    // One packet per frontend, in KUBE-SERVICES order (the same Services in every mode).
    auto dispatch = read_service_dispatch(render_iptables(services, options).text);
    std::vector<std::vector<uint8_t>> frames;
    for (const auto& d : dispatch) {
      if (d.protocol == Protocol::kSctp) continue;
      auto traffic = plan_service_traffic({d}, plan);
      frames.push_back(traffic.templates.front().frame);
    }
    if (frames.empty()) throw UsageError("no Service frontend to write packets for");
    write_pcap(cl.get("pcap"), frames);
  }
  write_output(cl, text);
  return 0;
}

}  // namespace svcbench
