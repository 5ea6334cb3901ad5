// svcbench sweep: modes x Service counts on one node.
#include <algorithm>
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <random>

#include "command_line.h"
#include "errors.h"
#include "mode_registry.h"
#include "sweep_runner.h"
#include "testbed.h"
#include "vm_node.h"

namespace svcbench {

int sweep_command(const std::vector<std::string>& args) {
  std::vector<OptionSpec> specs = {
      {"modes", "LIST",
       "comma-separated, of " + mode_names() + " (default: every mode the node's kernel has)"},
      {"services", "LIST", "Service counts (default 10,30,100,300,1000,3000,10000)"},
      {"out", "DIR", "results directory (results.json, summary.csv)"},
      {"resume", "DIR", "finish an interrupted sweep in DIR"},
      {"quick", "", "10,100,1000 Services, 500 packets, 2 repeats, a warm-up of at most 60 s (CI)"},
      {"warmup", "S",
       "warm up for at most S seconds before the first point, until the back-to-back p50 holds "
       "still (default 300; 0: none)"},
      {"order", "ORDER",
       "shuffled (default: the points in a seeded random order, so mode and size are not "
       "confounded with time) or grouped (every size of one mode, then the next)"},
      {"order-seed", "S", "seed of the shuffled order (default: a random one, recorded)"},
      {"seed", "S", "seed of the synthetic sets (default 1)"},
      {"udp-share", "F", "fraction of UDP Services (default 0.5)"},
      {"from", "FILE", "sweep a cluster's kubectl JSON (remapped into 198.18.0.0/15)"},
      {"packets", "N", "measured packets per phase x target (default 2000)"},
      {"op-limit", "SECONDS", "stop a rule update still running after this long, record its point "
                              "as limit_reached and go on; skip points predicted past 3x it "
                              "(default 1800; 0: none)"},
      {"rate", "PPS", "generator rate (default: the node's, 5000 netns, 1000 uml, 250 vm)"},
      {"repeats", "N", "runs per update operation (default 5: the fewest whose comparison can be significant is 4)"},
      {"tx-port", "NAME", "with EAL arguments: DPDK port towards the node (e.g. 0000:3b:00.0)"},
      {"rx-port", "NAME", "with EAL arguments: DPDK port back from the node"},
      {"baseline-tx-port", "NAME",
       "with EAL arguments: back-to-back pair for the baseline (else none)"},
      {"baseline-rx-port", "NAME", "with EAL arguments: the other end of that pair"},
      {"dst-mac", "MAC", "destination MAC of frames to the node (default: its ingress link)"},
      {"generator-driver", "DRIVER",
       "af_xdp, af_packet or auto: the generator's devices on the node's links (default auto: "
       "af_xdp on veth links where the kernel has AF_XDP)"},
  };
  for (auto& spec : node_option_specs()) specs.push_back(std::move(spec));
  for (auto& spec : endpoint_option_specs()) specs.push_back(std::move(spec));
  for (auto& spec : proxy_option_specs()) specs.push_back(std::move(spec));
  for (auto& spec : throughput_option_specs()) specs.push_back(std::move(spec));
  specs.push_back({"throughput-targets", "LIST",
                   "with --throughput: of first, middle, last, most-endpoints, uniform (default last)"});
  specs.push_back({"under-load", "",
                   "make each update again under a held load: convergence, stale and blocked "
                   "time, latency during the update, a 1 ms timeline"});
  specs.push_back({"operations", "LIST",
                   "with --under-load: of add-service, remove-service, change-endpoints, "
                   "full-resync (default all)"});
  for (auto& spec : convergence_option_specs()) specs.push_back(std::move(spec));
  for (auto& spec : program_option_specs()) specs.push_back(std::move(spec));
  CommandLine cl("svcbench sweep", specs, args);
  if (cl.help()) {
    std::fputs(CommandLine::usage("svcbench sweep --modes LIST --services LIST --out DIR [--quick] "
                                  "[--resume DIR] [-- EAL arguments]",
                                  specs)
                   .c_str(),
               stdout);
    return 0;
  }
  if (!cl.positional().empty())
    throw UsageError("unexpected argument '" + cl.positional()[0] + "'");
  // Arguments first (run_sweep checks for root): a bad value is named as such, with or without.
  const std::string node_kind = cl.get("node", kDefaultNodeKind);
  const NodeOptions node_options = node_options_from(cl);
  const auto node = make_node(node_kind, node_options);  // an unknown kind is a usage error here
  PortChoice ports;
  if (cl.has_passthrough()) ports.eal_args = cl.passthrough();
  ports.tx_port = cl.get("tx-port");
  ports.rx_port = cl.get("rx-port");
  ports.baseline_tx_port = cl.get("baseline-tx-port");
  ports.baseline_rx_port = cl.get("baseline-rx-port");
  ports.dst_mac = cl.get("dst-mac");
  ports.driver = cl.get("generator-driver", "auto");
  check_port_choice(ports, true);
  if (cl.has("resume")) {
    // A resumed sweep is the recorded one: only the generator's ports may differ.
    for (const auto& s : specs)
      if (s.name != "resume" && s.name != "node" && !s.name.ends_with("-port") &&
          s.name != "dst-mac" && s.name != "generator-driver" && !s.name.starts_with("ssh-") && s.name != "vm-image" &&
          cl.has(s.name))
        throw UsageError("--resume continues the recorded sweep; drop --" + s.name);
    const std::string dir = cl.get("resume");
    if (!std::filesystem::exists(dir + "/results.json"))
      throw UsageError(dir + "/results.json does not exist; nothing to resume");
    SweepConfig c = sweep_config_from_results(dir);
    c.node.vm_image_dir = node_options.vm_image_dir;
    if (!node_options.ssh.target.empty()) c.node.ssh = node_options.ssh;  // a key may have moved
    c.ports = ports;
    return run_sweep(c);
  }
  SweepConfig c;
  c.node_kind = node_kind;
  c.ports = ports;
  c.node = node_options;
  c.quick = cl.has("quick");
  if (c.quick) {
    c.service_counts = {10, 100, 1000};
    c.packets = 500;
    c.repeats = 2;
    c.warmup.max_seconds = 60;
    c.warmup.window_seconds = 1;
    c.warmup.min_windows = 5;
    c.warmup.stable_windows = 3;
  }
  c.warmup.max_seconds = cl.get_number("warmup", c.warmup.max_seconds, 0, 86'400);
  c.order = parse_sweep_order(cl.get("order", "shuffled"));
  if (cl.has("order-seed") && c.order != SweepOrder::kShuffled)
    throw UsageError("--order-seed goes with --order shuffled");
  c.order_seed = cl.has("order-seed") ? cl.get_count("order-seed", 1, UINT64_MAX)
                                      : uint64_t{std::random_device{}()};  // 32 bits: exact in any JSON reader
  // ipvs needs a kernel with IP_VS: in the default sweep where the node has it (vm here).
  if (cl.has("modes"))
    c.modes = cl.get_list("modes", "");
  else
    c.modes = modes_for(*node);
  for (const auto& m : c.modes) require_mode_supported(find_mode(m), *node);
  if (cl.has("services")) {
    c.service_counts.clear();
    for (const auto& s : cl.get_list("services", "")) {
      size_t n = 0;
      auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
      if (ec != std::errc() || p != s.data() + s.size() || n == 0)
        throw UsageError("--services takes counts like 10,100,1000, not '" + s + "'");
      if (n > 200'000)
        throw UsageError("--services " + s +
                         " is more than the node can hold in this sweep (200,000)");
      c.service_counts.push_back(n);
    }
  }
  c.out_dir = cl.get("out");
  if (c.out_dir.empty()) throw UsageError("say where results go: --out DIR (or --resume DIR)");
  if (std::filesystem::exists(c.out_dir + "/results.json"))
    throw UsageError(c.out_dir + " already holds results.json; use --resume " + c.out_dir +
                     " or another --out");
  c.spec.endpoints = endpoint_profile_from(cl);
  if (c.spec.endpoints.smallest() == 0)
    throw UsageError("every Service needs an endpoint for latency runs: --endpoints at least 1 (a "
                     "profile without Services of 0 endpoints)");
  c.spec.seed = cl.get_count("seed", 1, UINT64_MAX);
  c.spec.udp_share = cl.get_number("udp-share", 0.5, 0, 1);
  c.from_file = cl.get("from");
  if (!c.from_file.empty()) c.service_counts = {0};
  c.packets = cl.get_count("packets", c.packets, 10'000'000);
  if (c.packets == 0) throw UsageError("--packets must be at least 1");
  // Paced below what the node forwards, so latency is the path's and not a queue's.
  c.rate_pps = cl.get_count("rate", node->default_rate_pps(), 100'000'000);
  c.repeats = static_cast<int>(cl.get_count("repeats", static_cast<uint64_t>(c.repeats), 1000));
  c.op_limit_seconds = cl.get_number("op-limit", SweepConfig::kDefaultOpLimitSeconds, 0, 7 * 86'400);
  if (c.repeats == 0) throw UsageError("--repeats must be at least 1");
  c.iptables = iptables_options_from(cl);
  c.families = ip_families_from(cl);
  if (!c.iptables.cluster_cidr) {  // the address plan's pods, in every family swept
    c.iptables.cluster_cidr = AddressPlan::of(c.families.front()).pods;
    for (size_t f = 1; f < c.families.size(); ++f)
      c.iptables.more_cluster_cidrs.push_back(AddressPlan::of(c.families[f]).pods);
  }
  if (!cl.has("modes"))  // a release's sweep takes the modes it renders
    std::erase_if(c.modes, [&](const std::string& m) {
      return !version_renders(c.iptables.kube_proxy_version, m);
    });
  const bool ipv6 = c.families.back() == IpFamily::kIpv6;
  require_version_supports(c.iptables.kube_proxy_version, c.modes);
  require_nftables_for_variants(cl, c.modes);
  require_host_kernel_safe(cl, node->kind(), c.modes,
                           c.from_file.empty()
                               ? *std::max_element(c.service_counts.begin(), c.service_counts.end())
                               : imported_services(c).services.size());
  if (ipv6 && !c.from_file.empty())
    throw UsageError("--from imports a cluster's IPv4 Services; drop --ip-family or --from");
  if (cl.has("throughput-targets") && !cl.has("throughput"))
    throw UsageError("--throughput-targets goes with --throughput");
  c.throughput = throughput_request_from(cl);
  if (c.throughput && !c.from_file.empty())
    throw UsageError("--throughput searches synthetic Services' capacity; drop --from");
  if (cl.has("throughput-targets")) {
    c.throughput_targets.clear();
    for (const auto& t : cl.get_list("throughput-targets", "")) c.throughput_targets.push_back(parse_target(t));
  }
  if (cl.has("operations") && !cl.has("under-load"))
    throw UsageError("--operations goes with --under-load");
  c.convergence = convergence_request_from(cl, "under-load", cl.get("operations", "all"));
  c.external = external_program_from(cl);
  if (c.external && c.convergence) drop_full_resync_for_external(*c.convergence, cl.has("operations"));
  return run_sweep(c);
}

}  // namespace svcbench
