#include "sweep_runner.h"

#include <chrono>
#include <cstdio>
#include <memory>

#include "atomic_file.h"
#include "dataplane_mode.h"
#include "dpdk_ports.h"
#include "errors.h"
#include "interruption.h"
#include "kubernetes_import.h"
#include "netns_testbed.h"
#include "replay_engine.h"
#include "results_document.h"
#include "run_context.h"
#include "update_timing.h"
#include "vm_node.h"

namespace svcbench {
namespace {

using Clock = std::chrono::steady_clock;

void progress(const char* fmt, const std::string& a = "", const std::string& b = "") {
  std::fprintf(stderr, fmt, a.c_str(), b.c_str());
  std::fflush(stderr);
}

// Tears the node down however the sweep ends (return, exception, signal).
struct TestbedGuard {
  ~TestbedGuard() {
    try {
      NetnsTestbed::down();
    } catch (...) {
    }
  }
};

nlohmann::json config_json(const SweepConfig& c) {
  return {{"modes", c.modes},
          {"services", c.service_counts},
          {"endpoints_per_service", {c.spec.endpoints_min, c.spec.endpoints_max}},
          {"seed", c.spec.seed},
          {"udp_share", c.spec.udp_share},
          {"from", c.from_file},
          {"packets_per_point", c.packets},
          {"rate_pps", c.rate_pps},
          {"update_repeats", c.repeats},
          {"burst", 1},
          {"quick", c.quick},
          {"node", c.node_kind},
          {"vm_silence_s", c.vm_silence_seconds},
          {"cluster_cidr", c.iptables.cluster_cidr ? c.iptables.cluster_cidr->str() : ""},
          {"nfacct", c.iptables.nfacct},
          {"random_fully", c.iptables.random_fully}};
}

int measure(const SweepConfig& cfg, const AddressPlan& plan, const ServiceSet& imported, ResultsDocument& doc);

}  // namespace

SweepConfig sweep_config_from_results(const std::string& directory) {
  const auto doc = ResultsDocument::load(directory);
  const auto& j = doc.json()["config"];
  SweepConfig c;
  try {
    c.modes = j.at("modes").get<std::vector<std::string>>();
    c.service_counts = j.at("services").get<std::vector<size_t>>();
    c.spec.endpoints_min = j.at("endpoints_per_service").at(0).get<size_t>();
    c.spec.endpoints_max = j.at("endpoints_per_service").at(1).get<size_t>();
    c.spec.seed = j.at("seed").get<uint64_t>();
    c.spec.udp_share = j.at("udp_share").get<double>();
    c.from_file = j.at("from").get<std::string>();
    c.packets = j.at("packets_per_point").get<uint64_t>();
    c.rate_pps = j.at("rate_pps").get<uint64_t>();
    c.repeats = j.at("update_repeats").get<int>();
    c.quick = j.at("quick").get<bool>();
    c.node_kind = j.value("node", "netns");
    c.vm_silence_seconds = j.value("vm_silence_s", VmShell::kDefaultSilenceSeconds);
    const std::string cidr = j.at("cluster_cidr").get<std::string>();
    if (!cidr.empty()) c.iptables.cluster_cidr = Cidr::parse(cidr);
    c.iptables.nfacct = j.value("nfacct", false);
    c.iptables.random_fully = j.value("random_fully", true);
  } catch (const nlohmann::json::exception&) {
    throw UsageError(directory + "/results.json has no complete \"config\" block; cannot resume it");
  }
  c.resume_dir = directory;
  c.out_dir = directory;
  return c;
}

int run_sweep(const SweepConfig& cfg) {
  if (!running_as_root())
    throw SetupError("svcbench sweep programs a node and needs root: rerun with sudo");
  install_interrupt_handlers();
  const AddressPlan plan;
  ServiceSet imported;
  if (!cfg.from_file.empty()) {
    imported = import_kubernetes_list(read_file(cfg.from_file), {});
    remap_into_plan(imported, plan);
  }

  TestbedLock lock;
  // results.json exists from here on, whatever happens next: a sweep stopped while the node
  // comes up still says so ("interrupted" or "failed" with the error) and can be resumed.
  auto doc = cfg.resume_dir.empty() ? ResultsDocument(cfg.out_dir, collect_run_context(cfg.node_kind, false), config_json(cfg))
                                    : ResultsDocument::load(cfg.resume_dir);
  doc.set_state("setting up");
  doc.save();
  try {
    return measure(cfg, plan, imported, doc);
  } catch (const std::exception& e) {
    // The node is down by now (TestbedGuard in measure()).
    doc.set_state(interrupted() ? "interrupted" : "failed");
    if (!interrupted()) doc.set_error(e.what());
    doc.save();
    throw;
  }
}

namespace {

// Brings the node up, measures every point not yet completed, tears the node down.
int measure(const SweepConfig& cfg, const AddressPlan& plan, const ServiceSet& imported, ResultsDocument& doc) {
  const bool vm = cfg.node_kind == "vm";
  TestbedGuard guard;
  progress("svcbench: bringing up the %s node%s\n", cfg.node_kind);
  NetnsTestbed testbed(plan);
  testbed.up(cfg.node_kind);
  if (vm) VmNode::start(cfg.vm_image_dir, plan);
  std::shared_ptr<NodeShell> node = vm ? std::shared_ptr<NodeShell>(std::make_shared<VmShell>(VmNode::kShareDir, cfg.vm_silence_seconds))
                                       : std::make_shared<NetnsShell>(TestbedNames::kNodeNs);
  if (cfg.resume_dir.empty() || doc.json()["progress"]["completed"].empty()) {  // this node's context
    auto context = collect_run_context(cfg.node_kind, vm && VmNode::accelerator() == "tcg");
    context.update(node->tool_versions());
    if (vm) {
      context["accelerator"] = VmNode::accelerator();
      const std::string release = node->run({"uname", "-r"}).out;
      context["guest_kernel"] = release.substr(0, release.find('\n'));
      if (context["emulated"] == true) context["note"] = "emulated node (TCG): compare ratios within this run only";
    }
    doc.set_context(context);
  }
  doc.set_state("running");
  doc.save();
  const std::string node_mac_text = vm ? std::string(VmNode::kGuestIngressMac)
                                       : NetnsTestbed::mac_of(TestbedNames::kNodeNs, TestbedNames::kNodeIngress);
  const std::string baseline_mac_text = NetnsTestbed::mac_of(TestbedNames::kGeneratorNs, TestbedNames::kBaselineRx);

  int failures = 0;
  {
    DpdkEnvironment env(cfg.eal_args.empty() ? DpdkEnvironment::af_packet_args(generator_links(cfg.node_kind)) : cfg.eal_args,
                        TestbedNames::kGeneratorNs);
    TrafficGenerator through_node(env, env.port_by_name("net_af_packet0"), env.port_by_name("net_af_packet1"),
                                  *parse_mac(node_mac_text), plan);
    TrafficGenerator back_to_back(env, env.port_by_name("net_af_packet2"), env.port_by_name("net_af_packet3"),
                                  *parse_mac(baseline_mac_text), plan);

    ReplaySettings base_settings;
    base_settings.packets = cfg.packets;
    base_settings.rate_pps = cfg.rate_pps;

    if (!doc.completed("baseline")) {
      SyntheticSpec spec = cfg.spec;
      spec.services = 10;
      auto dispatch = read_service_dispatch(render_iptables(make_synthetic_services(spec, plan), cfg.iptables).text);
      auto traffic = plan_service_traffic(select_targets(dispatch, TargetPosition::kUniform), plan);
      auto r = back_to_back.replay(traffic, base_settings, false);
      auto j = r.to_json();
      j["mode"] = "baseline";
      j["phase"] = "new-flow";
      j["target"] = "uniform";
      j["services"] = 0;
      if (!interrupted()) {  // a baseline cut short is not one
        doc.set_baseline(j);
        doc.mark_completed("baseline");
        doc.save();
        progress("svcbench: baseline (back-to-back) p50 %s ns, p99 %s ns\n",
                 std::to_string(r.latency.percentile(50)), std::to_string(r.latency.percentile(99)));
      }
    }

    std::vector<std::unique_ptr<DataplaneMode>> modes;
    for (const auto& m : cfg.modes) modes.push_back(make_dataplane_mode(m, node, cfg.iptables));
    const size_t total_points = modes.size() * cfg.service_counts.size();
    size_t done_points = 0;
    const auto sweep_start = Clock::now();

    for (auto& mode : modes) {
      for (size_t count : cfg.service_counts) {
        if (interrupted()) break;
        const size_t n = cfg.from_file.empty() ? count : imported.services.size();
        const std::string point = mode->name() + "/" + std::to_string(n);
        ++done_points;
        if (doc.completed(point)) continue;
        doc.forget_point(mode->name(), n);  // what an interrupted or failed attempt left
        const auto t0 = Clock::now();
        try {
          for (auto& other : modes) other->reset();  // one backend's rules at a time
          ServiceSet services;
          if (cfg.from_file.empty()) {
            SyntheticSpec spec = cfg.spec;
            spec.services = n;
            services = make_synthetic_services(spec, plan);
          } else {
            services = imported;
          }
          progress("svcbench: %s: rule updates\n", point);
          auto timings = time_updates(*mode, services, cfg.spec, plan, cfg.repeats);
          for (const auto& op : update_operations()) {
            auto it = timings.seconds.find(op);
            if (it == timings.seconds.end()) continue;
            doc.add_update({{"mode", mode->name()}, {"services", n}, {"operation", op},
                            {"seconds", UpdateTimings::summarize(it->second)}});
          }
          progress("svcbench: %s: traffic\n", point);
          auto dispatch = mode->loaded_dispatch();
          for (Phase phase : {Phase::kNewFlow, Phase::kEstablished}) {
            for (TargetPosition target : {TargetPosition::kFirst, TargetPosition::kMiddle,
                                          TargetPosition::kLast, TargetPosition::kUniform}) {
              if (interrupted()) break;
              auto targets = select_targets(dispatch, target);
              auto traffic = plan_service_traffic(targets, plan);
              flush_conntrack(*node);
              ReplaySettings s = base_settings;
              s.phase = phase;
              auto r = through_node.replay(traffic, s, true);
              if (r.saturated() && !interrupted()) {
                char line[256];
                std::snprintf(line, sizeof line, "%s %s: the node fell behind (%llu of %llu packets back, %.0f of %.0f pps); latency is queueing, min %.0f us\n",
                              to_string(phase), to_string(target), static_cast<unsigned long long>(r.rx),
                              static_cast<unsigned long long>(r.tx), r.rx_pps(), r.tx_pps(), static_cast<double>(r.latency.min()) / 1000);
                progress("svcbench: %s %s", point, line);
              }
              auto j = r.to_json(target == TargetPosition::kUniform);
              j["mode"] = mode->name();
              j["services"] = n;
              j["phase"] = to_string(phase);
              j["target"] = to_string(target);
              j["target_positions"] = targets.size() == 1 ? nlohmann::json(targets[0].position)
                                                          : nlohmann::json(dispatch.size());
              doc.add_latency(j);
            }
          }
          if (interrupted()) {
            doc.forget_point(mode->name(), n);  // only complete points have numbers in the file
            break;
          }
          doc.mark_completed(point);
        } catch (const std::exception& e) {
          doc.forget_point(mode->name(), n);
          if (interrupted()) break;  // not a failure of the point: --resume runs it again
          ++failures;
          doc.mark_failed(point, e.what());
          progress("svcbench: %s failed: %s\n", point, e.what());
        }
        doc.save();
        const double took = std::chrono::duration<double>(Clock::now() - t0).count();
        const double elapsed = std::chrono::duration<double>(Clock::now() - sweep_start).count();
        char line[256];
        std::snprintf(line, sizeof line, "[%zu/%zu] %s done in %.1f s (%.0f s elapsed)\n", done_points,
                      total_points, point.c_str(), took, elapsed);
        progress("svcbench: %s%s", line);
      }
    }
    for (auto& mode : modes) {
      try {
        mode->reset();
      } catch (...) {
      }
    }
  }  // DPDK ports stop before the namespaces go away

  if (interrupted()) {
    doc.set_state("interrupted");
    doc.save();
    progress("svcbench: interrupted; partial results in %s, finish with --resume %s\n", cfg.out_dir, cfg.out_dir);
    return 128 + interrupt_signal();
  }
  doc.set_state("finished");
  doc.save();
  return failures ? 1 : 0;
}

}  // namespace

}  // namespace svcbench
