// svcbench run: one measurement against the node as it is loaded now.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "atomic_file.h"
#include "command_line.h"
#include "dataplane_mode.h"
#include "dpdk_ports.h"
#include "errors.h"
#include "interruption.h"
#include "netns_testbed.h"
#include "replay_engine.h"
#include "run_context.h"
#include "vm_node.h"

namespace svcbench {
namespace {

const std::vector<OptionSpec> kSpecs = {
    {"mode", "MODE", "the mode loaded on the node: iptables-legacy (default), iptables-nft or nftables"},
    {"phase", "PHASE", "new-flow, established or both (default both)"},
    {"target", "POS", "first, middle, last, uniform or all (default all)"},
    {"packets", "N", "measured packets per phase x target (default 2000)"},
    {"rate", "PPS", "packets per second, 0 = top speed (default 5000)"},
    {"burst", "N", "packets per tx burst, 1-64 (default 1: per-packet latency)"},
    {"pcap", "FILE", "replay this capture instead of generated packets"},
    {"map-services", "", "with --pcap: map the capture's flows onto the node's Services"},
    {"capture-timing", "", "with --pcap: keep the capture's inter-packet gaps"},
    {"speed", "X", "with --capture-timing: replay X times faster (default 1)"},
    {"loops", "N", "with --pcap: replay the capture N times (default 1)"},
    {"baseline", "", "back-to-back: generator ports joined without the node"},
    {"tx-port", "NAME", "DPDK port to send on (default net_af_packet0)"},
    {"rx-port", "NAME", "DPDK port to receive on (default net_af_packet1)"},
    {"dst-mac", "MAC", "destination MAC (default: the node's ingress link)"},
    {"out", "PATH", "write the JSON here instead of stdout"},
    {"allow-any-address", "", "send to Service/endpoint addresses outside 198.18.0.0/15 too"},
};

// Only the RFC 2544 benchmarking range is ever a destination, unless the user says otherwise.
void require_benchmarking_range(const TrafficPlan& traffic, bool allowed) {
  if (allowed) return;
  const AddressPlan plan;
  auto outside = [&](Ipv4Address a) { return !plan.benchmarking_range.contains(a); };
  for (const auto& t : traffic.templates) {
    const Ipv4Address dst = destination_of(t.frame.data(), t.layout);
    if (outside(dst))
      throw UsageError("destination " + dst.str() + " is outside the benchmarking range " +
                       plan.benchmarking_range.str() + "; load Services from the address plan (sweep --from remaps), use --map-services, or pass --allow-any-address");
  }
  for (const auto& f : traffic.flows)
    for (const auto& e : f.endpoints)
      if (outside(e.address))
        throw UsageError("endpoint " + e.address.str() + " of " + f.address.str() + " is outside the benchmarking range " +
                         plan.benchmarking_range.str() + "; pass --allow-any-address to send anyway");
}

}  // namespace

int run_command_line(const std::vector<std::string>& args) {
  CommandLine cl("svcbench run", kSpecs, args);
  if (cl.help()) {
    std::fputs(CommandLine::usage("svcbench run [options] [-- EAL arguments]", kSpecs).c_str(), stdout);
    std::fputs("\nWithout EAL arguments the netns testbed's af_packet devices are used (--no-huge);\n"
               "on bare metal pass e.g. `-- -l 1 -a 0000:3b:00.0 -a 0000:3b:00.1` and --tx-port/--rx-port.\n", stdout);
    return 0;
  }
  if (!cl.positional().empty()) throw UsageError("unexpected argument '" + cl.positional()[0] + "'");
  if (!running_as_root()) throw SetupError("svcbench run drives DPDK and the node and needs root: rerun with sudo");
  const std::string mode_name = cl.get("mode", "iptables-legacy");
  std::vector<Phase> phases;
  const std::string phase = cl.get("phase", "both");
  if (phase == "new-flow" || phase == "both") phases.push_back(Phase::kNewFlow);
  if (phase == "established" || phase == "both") phases.push_back(Phase::kEstablished);
  if (phases.empty()) throw UsageError("--phase must be new-flow, established or both");
  std::vector<TargetPosition> targets;
  const std::string target = cl.get("target", "all");
  if (target == "all") targets = {TargetPosition::kFirst, TargetPosition::kMiddle, TargetPosition::kLast, TargetPosition::kUniform};
  else targets = {parse_target(target)};
  ReplaySettings settings;
  settings.packets = cl.get_count("packets", 2000, 100'000'000);
  if (settings.packets == 0) throw UsageError("--packets must be at least 1");
  settings.rate_pps = cl.get_count("rate", 5000, 100'000'000);
  settings.burst = static_cast<uint16_t>(cl.get_count("burst", 1, 64));
  if (settings.burst == 0) throw UsageError("--burst must be 1 to 64");
  const bool baseline = cl.has("baseline");
  const bool pcap = cl.has("pcap");
  if (!pcap && (cl.has("map-services") || cl.has("capture-timing") || cl.has("loops")))
    throw UsageError("--map-services, --capture-timing and --loops go with --pcap FILE");
  std::vector<CapturedFrame> captured;
  if (pcap) captured = read_ethernet_frames(cl.get("pcap"));  // validate before touching anything
  const uint64_t loops = cl.get_count("loops", 1, 1'000'000);
  settings.capture_timing = cl.has("capture-timing");
  settings.speed = cl.get_number("speed", 1.0, 0.001, 1000);
  install_interrupt_handlers();

  TestbedLock lock;  // no sweep may reprogram or remove the node while we measure it
  auto status = NetnsTestbed::status();
  const bool custom_eal = cl.has_passthrough();
  if (!custom_eal && !status.up) throw SetupError("the netns node is not up: run `svcbench testbed up` first");
  std::vector<ServiceDispatch> dispatch;
  std::unique_ptr<DataplaneMode> mode;
  const bool vm = status.node_kind == "vm";
  auto node = current_node_shell();
  if (!baseline) {
    mode = make_dataplane_mode(mode_name, node, {});
    dispatch = mode->loaded_dispatch();
    if (dispatch.empty() && !pcap)
      throw UsageError("the node has no Services loaded in " + mode_name + ": load a ruleset first (svcbench rules ... | ip netns exec svcb-node iptables-restore)");
  }
  const std::string dst_mac_text = cl.get("dst-mac", baseline ? NetnsTestbed::mac_of(TestbedNames::kGeneratorNs, TestbedNames::kBaselineRx)
                                                    : vm      ? std::string(VmNode::kGuestIngressMac)
                                                              : status.node_ingress_mac);
  auto dst_mac = parse_mac(dst_mac_text);
  if (!dst_mac) throw UsageError("--dst-mac '" + dst_mac_text + "' is not a MAC like aa:bb:cc:dd:ee:ff");

  auto context = collect_run_context(custom_eal ? "remote" : status.node_kind, vm && VmNode::accelerator() == "tcg");
  if (vm) context["accelerator"] = VmNode::accelerator();
  if (!custom_eal) context.update(node->tool_versions());
  nlohmann::json out = {{"context", context},
                        {"latency", nlohmann::json::array()}};
  {
    DpdkEnvironment env(custom_eal ? cl.passthrough() : DpdkEnvironment::af_packet_args(generator_links(status.node_kind)),
                        custom_eal ? "" : TestbedNames::kGeneratorNs);
    const std::string tx_name = cl.get("tx-port", baseline ? "net_af_packet2" : "net_af_packet0");
    const std::string rx_name = cl.get("rx-port", baseline ? "net_af_packet3" : "net_af_packet1");
    TrafficGenerator gen(env, env.port_by_name(tx_name), env.port_by_name(rx_name), *dst_mac, AddressPlan{});
    for (Phase ph : phases) {
      for (TargetPosition t : pcap ? std::vector<TargetPosition>{TargetPosition::kUniform} : targets) {
        if (interrupted()) break;
        TrafficPlan traffic;
        size_t skipped = 0;
        if (pcap) {
          traffic = plan_pcap_traffic(captured, dispatch, cl.has("map-services"), &skipped);
          settings.packets = traffic.templates.size() * loops;
          settings.rewrite_source = ph == Phase::kNewFlow && !settings.capture_timing;
        } else {
          std::vector<ServiceDispatch> loaded = dispatch;
          if (baseline) {
            // Nothing translates on the baseline path: aim at the plan's first ClusterIP.
            ServiceDispatch d;
            d.address = AddressPlan{}.cluster_ips.at(1);
            d.port = 53;
            d.protocol = Protocol::kUdp;
            d.endpoints.push_back(Endpoint{});
            loaded = {d};
          }
          traffic = plan_service_traffic(select_targets(loaded, t), AddressPlan{});
        }
        require_benchmarking_range(traffic, cl.has("allow-any-address"));
        if (!baseline && !custom_eal) flush_conntrack(*node);
        ReplaySettings s = settings;
        s.phase = ph;
        auto r = gen.replay(traffic, s, !baseline);
        auto j = r.to_json();
        j["mode"] = baseline ? "baseline" : mode_name;
        j["services"] = dispatch.size();
        j["phase"] = to_string(ph);
        j["target"] = pcap ? "pcap" : to_string(t);
        if (pcap) j["pcap_skipped_packets"] = skipped;
        out["latency"].push_back(j);
      }
    }
  }
  const std::string text = out.dump(1) + "\n";
  if (cl.has("out")) write_file_atomically(cl.get("out"), text);
  else std::fputs(text.c_str(), stdout);
  return interrupted() ? 128 + interrupt_signal() : 0;
}

}  // namespace svcbench
