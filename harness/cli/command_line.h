// A small option parser for svcbench's subcommands: --name value, --name=value, flags, and
// everything after `--` kept apart (EAL arguments, in DPDK's usual way).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "endpoint_profile.h"
#include "external_programmer.h"
#include "iptables_renderer.h"
#include "synthetic_services.h"
#include "measure_convergence.h"
#include "measure_throughput.h"
#include "node.h"

namespace svcbench {

struct OptionSpec {
  std::string name;   // without dashes
  std::string value;  // placeholder, empty for a flag
  std::string help;
};

class CommandLine {
 public:
  // Throws UsageError for an unknown option or a missing value, naming the subcommand.
  CommandLine(const std::string& command, const std::vector<OptionSpec>& specs,
              const std::vector<std::string>& args);
  bool help() const { return help_; }
  bool has(const std::string& name) const { return values_.contains(name); }
  std::string get(const std::string& name, const std::string& fallback = "") const;
  uint64_t get_count(const std::string& name, uint64_t fallback, uint64_t max) const;
  double get_number(const std::string& name, double fallback, double min, double max) const;
  std::vector<std::string> get_list(const std::string& name, const std::string& fallback) const;
  // Every value of an option given more than once (--ssh-option A=1 --ssh-option B=2).
  std::vector<std::string> get_all(const std::string& name) const;
  const std::vector<std::string>& positional() const { return positional_; }
  const std::vector<std::string>& passthrough() const { return passthrough_; }
  bool has_passthrough() const { return saw_separator_; }

  static std::string usage(const std::string& synopsis, const std::vector<OptionSpec>& specs);

 private:
  std::string command_;
  bool help_ = false;
  bool saw_separator_ = false;
  std::map<std::string, std::string> values_;  // the last value of each option
  std::map<std::string, std::vector<std::string>> all_values_;
  std::vector<std::string> positional_, passthrough_;
};

// A command's output: to --out PATH (atomically: complete or absent) or to stdout.
void write_output(const CommandLine& cl, const std::string& text);

// The options that say which node and how to reach it, shared by testbed, run and sweep.
std::vector<OptionSpec> node_option_specs();
// NodeOptions from them (--vm-image, --vm-silence, --ssh-*, --node-links); UsageError on nonsense.
NodeOptions node_options_from(const CommandLine& cl);
// The netns node runs on this machine's own kernel: nf_tables-backed modes (nftables,
// iptables-nft) above this many Services are refused there (UsageError naming the uml and ssh
// nodes) unless --accept-host-risk.
constexpr size_t kHostNfTablesServiceLimit = 10'000;
void require_host_kernel_safe(const CommandLine& cl, const std::string& node_kind,
                              const std::vector<std::string>& modes, size_t services);

// The capacity search's options (--throughput, --search-profile, --goals, ...), shared by
// `run` and `sweep`.
std::vector<OptionSpec> throughput_option_specs();
// The search they ask for; nullopt without --throughput (UsageError when another search
// option comes without it, or a value makes no sense).
std::optional<ThroughputRequest> throughput_request_from(const CommandLine& cl);

// How updates under load are measured (--load-rate, --probe-rate, --convergence-runs,
// --keep-udp-conntrack), shared by `run --during` and `sweep --under-load`.
std::vector<OptionSpec> convergence_option_specs();
// The request they make for `operations` (a list of convergence_operations(), or "all");
// `switch_name` is the option that turns it on, for errors. nullopt when it is off (UsageError
// when a tuning option comes without it).
std::optional<ConvergenceRequest> convergence_request_from(const CommandLine& cl,
                                                           const std::string& switch_name,
                                                           const std::string& operations);

// Who programs the node: --program svcbench|external, --apply-hook CMD, --apply-limit S,
// shared by `run --during` and `sweep`.
std::vector<OptionSpec> program_option_specs();
// nullopt for svcbench (the default); UsageError for a hook without --program external or the
// other way round.
std::optional<ExternalProgram> external_program_from(const CommandLine& cl);
// With an external programmer, full-resync is the programmer's to decide: dropped from "all",
// UsageError when asked for by name.
void drop_full_resync_for_external(ConvergenceRequest& request, bool named);

// kube-proxy's flags that change its rules (--cluster-cidr, --masquerade-all,
// --nodeport-addresses, --node-ip, --no-localhost-nodeports, --service-cidr,
// --kube-proxy-version, --nfacct, --no-random-fully), shared by rules, run and sweep.
std::vector<OptionSpec> proxy_option_specs();
bool has_proxy_option(const CommandLine& cl);
// None of them but --ip-family (which `run` takes alone: the family of what is loaded).
bool only_family_option(const CommandLine& cl);
// UsageError on nonsense. ip_family is --ip-family's first family (dual: IPv4).
IptablesOptions iptables_options_from(const CommandLine& cl);
// --ip-family: {ipv4} (default), {ipv6} or, for dual, both (UsageError otherwise).
std::vector<IpFamily> ip_families_from(const CommandLine& cl);
// UsageError for --ip-family dual in a command that takes one family (run, rules, manifests).
void require_one_family(const std::vector<IpFamily>& families);
// UsageError when `version` has no rules for one of `modes` (1.12: iptables modes only).
void require_version_supports(KubeProxyVersion version, const std::vector<std::string>& modes);
// --nft-list, --nft-split-cold-start and --nft-single-endpoint-goto go with the nftables mode,
// --ipvs-sync with the ipvs mode.
void require_nftables_for_variants(const CommandLine& cl, const std::vector<std::string>& modes);

// How many endpoints synthetic Services get (--endpoints, --endpoints-profile), shared by
// rules, manifests, run --during and sweep; UsageError on nonsense (a profile file included).
std::vector<OptionSpec> endpoint_option_specs();
EndpointProfile endpoint_profile_from(const CommandLine& cl);
// A whole synthetic set (--services N, --seed, the shares, --namespace and the endpoints), shared
// by rules and manifests so both draw the same Services.
std::vector<OptionSpec> synthetic_option_specs();
SyntheticSpec synthetic_spec_from(const CommandLine& cl);

// Subcommands: each returns the process exit code.
int rules_command(const std::vector<std::string>& args);
int pcap_command(const std::vector<std::string>& args);
int profile_command(const std::vector<std::string>& args);
int compare_command(const std::vector<std::string>& args);
int manifests_command(const std::vector<std::string>& args);
int testbed_command(const std::vector<std::string>& args);
int run_command_line(const std::vector<std::string>& args);
int sweep_command(const std::vector<std::string>& args);

}  // namespace svcbench
