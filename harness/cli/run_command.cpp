// svcbench run: one measurement against the node as it is loaded now.
#include <cmath>
#include <cstdio>
#include <utility>

#include "command_line.h"
#include "errors.h"
#include "generator_setup.h"
#include "interruption.h"
#include "measure_point.h"
#include "mode_registry.h"
#include "results_document.h"
#include "results_json.h"
#include "run_context.h"
#include "sweep_config.h"
#include "testbed.h"

namespace svcbench {
namespace {

std::vector<OptionSpec> specs() {
  return {
      {"mode", "MODE",
       "the mode loaded on the node: " + mode_names() + " (default iptables-legacy)"},
      {"phase", "PHASE", "new-flow, established or both (default both)"},
      {"target", "POS",
       "first, middle, last, most-endpoints, uniform or all (default all: first, middle, last, "
       "uniform, and most-endpoints where the loaded Services differ in endpoints)"},
      {"packets", "N", "measured packets per phase x target (default 2000)"},
      {"rate", "PPS", "packets per second, 0 = top speed (default: the node's, 5000 on netns)"},
      {"burst", "N", "packets per tx burst, 1-64 (default 1: per-packet latency)"},
      {"pcap", "FILE", "replay this capture instead of generated packets"},
      {"map-services", "", "with --pcap: map the capture's flows onto the node's Services"},
      {"capture-timing", "", "with --pcap: keep the capture's inter-packet gaps"},
      {"speed", "X", "with --capture-timing: replay X times faster (default 1)"},
      {"loops", "N", "with --pcap: replay the capture N times (default 1)"},
      {"baseline", "", "back-to-back: generator ports joined without the node"},
      {"tx-port", "NAME",
       "with EAL arguments: DPDK port to send on (e.g. 0000:3b:00.0; without them svcbench "
       "opens devices on the node's links itself)"},
      {"rx-port", "NAME", "with EAL arguments: DPDK port to receive on"},
      {"dst-mac", "MAC", "destination MAC (default: the node's ingress link)"},
      {"generator-driver", "DRIVER",
       "af_xdp, af_packet or auto: the generator's devices on the node's links (default auto: "
       "af_xdp on veth links where the kernel has AF_XDP)"},
      {"out", "PATH", "write the JSON here instead of stdout"},
      {"allow-any-address", "", "send to Service/endpoint addresses outside 198.18.0.0/15 too"},
      {"during", "OPS",
       "load --services N Services, then make each update (all, or a list of add-service, "
       "remove-service, change-endpoints, full-resync) under a held load"},
      {"services", "N", "with --during: the synthetic Services loaded (replacing the mode's rules)"},
  };
}

}  // namespace

int run_command_line(const std::vector<std::string>& args) {
  auto kSpecs = specs();
  for (auto& spec : node_option_specs())
    if (spec.name != "node") kSpecs.push_back(std::move(spec));  // the node is the one that is up
  for (auto& spec : throughput_option_specs()) kSpecs.push_back(std::move(spec));
  for (auto& spec : convergence_option_specs()) kSpecs.push_back(std::move(spec));
  for (auto& spec : endpoint_option_specs()) kSpecs.push_back(std::move(spec));
  for (auto& spec : proxy_option_specs()) kSpecs.push_back(std::move(spec));
  for (auto& spec : program_option_specs()) kSpecs.push_back(std::move(spec));
  CommandLine cl("svcbench run", kSpecs, args);
  if (cl.help()) {
    std::fputs(CommandLine::usage("svcbench run [options] [-- EAL arguments]", kSpecs).c_str(),
               stdout);
    std::fputs(
        "\nWithout EAL arguments the node's links are used through af_xdp or af_packet devices\n"
        "(--no-huge, one lcore); with EAL arguments giving two lcores (-l 0,1) RX runs on the second;\n"
        "on bare metal pass e.g. `-- -l 1 -a 0000:3b:00.0 -a 0000:3b:00.1` and "
        "--tx-port/--rx-port.\n",
        stdout);
    return 0;
  }
  if (!cl.positional().empty())
    throw UsageError("unexpected argument '" + cl.positional()[0] + "'");
  const std::string mode_name = cl.get("mode", "iptables-legacy");
  find_mode(mode_name);  // an unknown mode is a usage error before anything else
  PointRequest request;
  request.phases.clear();
  const std::string phase = cl.get("phase", "both");
  if (phase == "new-flow" || phase == "both") request.phases.push_back(Phase::kNewFlow);
  if (phase == "established" || phase == "both") request.phases.push_back(Phase::kEstablished);
  if (request.phases.empty()) throw UsageError("--phase must be new-flow, established or both");
  const std::string target = cl.get("target", "all");
  if (target != "all") request.targets = {parse_target(target)};
  ReplaySettings& settings = request.replay;
  settings.packets = cl.get_count("packets", 2000, 100'000'000);
  if (settings.packets == 0) throw UsageError("--packets must be at least 1");
  settings.burst = static_cast<uint16_t>(cl.get_count("burst", 1, ReplaySettings::kMaxBurst));
  if (settings.burst == 0) throw UsageError("--burst must be 1 to 64");
  const bool baseline = cl.has("baseline");
  const bool pcap = cl.has("pcap");
  if (!pcap && (cl.has("map-services") || cl.has("capture-timing") || cl.has("loops")))
    throw UsageError("--map-services, --capture-timing and --loops go with --pcap FILE");
  if (baseline && pcap) throw UsageError("--baseline sends generated packets; drop --pcap");
  const std::optional<ThroughputRequest> throughput = throughput_request_from(cl);
  if (throughput && (baseline || pcap))
    throw UsageError("--throughput searches the node's capacity for generated traffic; drop " +
                     std::string(baseline ? "--baseline" : "--pcap"));
  if (throughput) {
    request.throughput = &*throughput;
    request.throughput_targets = target == "all"
                                     ? std::vector<TargetPosition>{TargetPosition::kFirst,
                                                                   TargetPosition::kLast,
                                                                   TargetPosition::kUniform}
                                     : request.targets;
  }
  std::optional<ConvergenceRequest> convergence =
      convergence_request_from(cl, "during", cl.get("during", "all"));
  const std::optional<ExternalProgram> external = external_program_from(cl);
  if (external && !convergence)
    throw UsageError("--program external makes changes for something else to program: it goes "
                     "with --during");
  if (external) drop_full_resync_for_external(*convergence, cl.get("during", "all") != "all");
  if (!convergence && (cl.has("services") || cl.has("endpoints") || cl.has("endpoints-profile") ||
                       (has_proxy_option(cl) && !only_family_option(cl))))
    throw UsageError("--services, --endpoints and kube-proxy's flags (--cluster-cidr, ...) go with "
                     "--during (run measures what is loaded; sweep loads Services)");
  if (convergence && (baseline || pcap))
    throw UsageError("--during makes updates on the node under generated traffic; drop " +
                     std::string(baseline ? "--baseline" : "--pcap"));
  if (convergence && !cl.has("services"))
    throw UsageError("--during needs the Services to load and update: add --services N");
  SyntheticSpec spec;
  ServiceSet services;
  IptablesOptions iptables = iptables_options_from(cl);
  require_nftables_for_variants(cl, {mode_name});
  // The family of the rules loaded on the node, of the traffic and of the baseline.
  const AddressPlan plan = AddressPlan::of(iptables.ip_family);
  request.plan = plan;
  if (convergence) {
    spec.services = cl.get_count("services", 10, 200'000);
    if (spec.services == 0) throw UsageError("--services must be at least 1");
    spec.endpoints = endpoint_profile_from(cl);
    services = make_synthetic_services(spec, plan);
    if (!iptables.cluster_cidr) iptables.cluster_cidr = plan.pods;
    require_version_supports(iptables.kube_proxy_version, {mode_name});
    request.load = &services;
    request.update_repeats = 1;  // the load itself, timed once; the updates run under load
    request.spec = spec;
    request.convergence = &*convergence;
  }
  std::vector<CapturedFrame> captured;
  if (pcap) captured = read_ethernet_frames(cl.get("pcap"));  // validate before touching anything
  request.capture = pcap ? &captured : nullptr;
  request.map_services = cl.has("map-services");
  request.loops = cl.get_count("loops", 1, 1'000'000);
  settings.capture_timing = cl.has("capture-timing");
  settings.speed = cl.get_number("speed", 1.0, 0.001, 1000);
  request.allow_any_address = cl.has("allow-any-address");
  PortChoice choice;
  choice.eal_args = cl.passthrough();
  choice.tx_port = cl.get("tx-port");
  choice.rx_port = cl.get("rx-port");
  choice.dst_mac = cl.get("dst-mac");
  choice.driver = cl.get("generator-driver", "auto");
  check_port_choice(choice, true);
  if (baseline) {  // the named ports are the back-to-back pair
    std::swap(choice.tx_port, choice.baseline_tx_port);
    std::swap(choice.rx_port, choice.baseline_rx_port);
  }
  // Arguments first: a bad value is named as such, with or without root.
  require_one_family(ip_families_from(cl));
  if (!running_as_root())
    throw SetupError("svcbench run drives DPDK and the node and needs root: rerun with sudo");
  install_interrupt_handlers();

  if (convergence) require_host_kernel_safe(cl, recorded_node_kind(), {mode_name}, spec.services);
  TestbedLock lock;  // no sweep may reprogram or remove the node while we measure it
  const bool custom_eal = cl.has_passthrough();
  std::unique_ptr<Node> node;
  if (!recorded_node_kind().empty())
    node = current_node(node_options_from(cl));
  else if (!custom_eal)
    throw SetupError("no node is up: run `svcbench testbed up` first");
  else if (!baseline)
    throw SetupError(
        "no node is up to measure: run `svcbench testbed up` (or use --baseline with your own "
        "ports)");
  if (node && !baseline) node->require_family(iptables.ip_family);
  settings.rate_pps = cl.get_count("rate", node ? node->default_rate_pps() : 5000, 100'000'000);

  const GeneratorPorts ports = choose_generator_ports(node.get(), choice);

  nlohmann::json context = collect_run_context();
  if (node)
    context.update(node->context());
  else
    context["node_kind"] = "none";
  ResultsDocument doc("", context,
                      {{"mode", baseline ? "baseline" : mode_name},
                       {"phase", phase},
                       {"target", target},
                       {"packets", settings.packets},
                       {"rate_pps", settings.rate_pps},
                       {"burst", settings.burst},
                       {"during", convergence ? nlohmann::json(convergence->operations)
                                              : nlohmann::json(nullptr)},
                       {"program", program_json(external)},
                       {"services",
                        convergence ? nlohmann::json(spec.services) : nlohmann::json(nullptr)},
                       {"endpoints_profile", convergence ? endpoint_profile_json(spec.endpoints)
                                                        : nlohmann::json(nullptr)}});
  {
    GeneratorSetup generators(ports, plan);
    if (!baseline) {
      const auto [tx_mac, rx_mac] = generators.node_port_macs();
      node->attach_generator(tx_mac, rx_mac);
    }
    if (baseline) {
      SyntheticSpec spec;  // ten UDP frontends, nothing translates them
      spec.services = 10;
      spec.udp_share = 1;
      const ServiceSet services = make_synthetic_services(spec, plan);
      PointResult point;
      const std::vector<TargetPosition> targets =
          request.targets.empty() ? standard_targets(untranslated_targets(services))
                                  : request.targets;
      for (Phase ph : request.phases) {
        for (TargetPosition t : targets) {
          if (interrupted()) break;
          ReplaySettings s = settings;
          s.phase = ph;
          point.latency.push_back(
              measure_baseline(*generators.back_to_back(), services, t, s, plan));
        }
      }
      doc.add(point);
    } else {
      auto mode = make_dataplane_mode(mode_name, *node, iptables);
      if (external) mode = make_external_programmer(std::move(mode), *node, *external, plan.benchmarking_range.family());
      if (throughput || convergence)
        request.progress = [](const std::string& line) {
          std::fprintf(stderr, "svcbench: %s\n", line.c_str());
        };
      if (throughput) {
        PacketReplayer* own_link = generators.back_to_back();
        request.generator_max =
            measure_generator_max(own_link ? *own_link : generators.through_node(),
                                  own_link != nullptr, plan, throughput->burst);
        request.progress("generator maximum " +
                         std::to_string(std::llround(request.generator_max.pps)) + " pps (" +
                         request.generator_max.measured_on + ")");
      }
      doc.add(measure_point(*node, *mode, generators.through_node(), request));
    }
    doc.add_context("generator", generator_json(generators.environment()));
  }
  doc.set_state(interrupted() ? "interrupted" : "finished");
  write_output(cl, doc.text());
  return interrupted() ? 128 + interrupt_signal() : 0;
}

}  // namespace svcbench
