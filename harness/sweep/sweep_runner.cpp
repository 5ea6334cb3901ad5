#include "sweep_runner.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <optional>

#include "atomic_file.h"
#include "elapsed.h"
#include "errors.h"
#include "generator_setup.h"
#include "interruption.h"
#include "kubernetes_import.h"
#include "measure_point.h"
#include "mode_registry.h"
#include "point_prediction.h"
#include "results_json.h"
#include "run_context.h"
#include "testbed.h"

namespace svcbench {
namespace {

using Clock = std::chrono::steady_clock;

void progress(const std::string& line) {
  std::fprintf(stderr, "svcbench: %s\n", line.c_str());
  std::fflush(stderr);
}

// Tears the node down however the sweep ends (return, exception, signal).
struct NodeGuard {
  Node& node;
  ~NodeGuard() {
    try {
      node.down();
    } catch (...) {
    }
  }
};

// The generator's own back-to-back link around the points: the warm-up before the first, the
// baseline at the start, and at the end (after the node is emptied) the stream settling again
// and the baseline once more, all on the same ten untranslated frontends at the sweep's rate —
// in IPv4, and in IPv6 too when the sweep measures IPv6 (its frames are 20 bytes longer).
class BackToBack {
 public:
  BackToBack(PacketReplayer& link, const SweepConfig& cfg, const ReplaySettings& replay,
             ResultsDocument& doc)
      : link_(link), cfg_(cfg), replay_(replay), doc_(doc) {
    SyntheticSpec spec = cfg.spec;
    spec.services = 10;
    services_ = make_synthetic_services(spec, cfg.node.plan);
    if (std::find(cfg.families.begin(), cfg.families.end(), IpFamily::kIpv6) != cfg.families.end())
      ipv6_services_ = make_synthetic_services(spec, AddressPlan::ipv6());
  }

  // The calibration stream until its p50 holds still, recorded under `key` ("warmup" or
  // "warmup_end"); `what` names it in the progress lines.
  void warm_up(const char* key, const char* what) {
    if (cfg_.warmup.max_seconds <= 0 || interrupted()) return;
    char line[200];
    std::snprintf(line, sizeof line,
                  "%s: back-to-back windows of %g s until their p50 holds still (at most %g s)",
                  what, cfg_.warmup.window_seconds, cfg_.warmup.max_seconds);
    progress(line);
    const WarmupResult w =
        svcbench::warm_up(link_, services_, replay_, cfg_.node.plan, cfg_.warmup);
    doc_.set_warmup(key, w);
    doc_.save();
    std::snprintf(line, sizeof line, "%s %s after %.0f s, %zu windows, last p50 %.1f us", what,
                  w.stable ? "stable" : "NOT stable", w.seconds, w.window_p50_ns.size(),
                  w.window_p50_ns.empty() ? 0.0 : w.window_p50_ns.back() / 1e3);
    progress(line);
  }

  // The start's baseline in each family, unless an earlier start of this sweep completed it.
  void measure_start() {
    for (IpFamily family : families()) {
      const std::string done = family == IpFamily::kIpv4 ? "baseline" : "baseline/ipv6";
      if (doc_.completed(done) || interrupted()) continue;
      const LatencyEntry e = measure(family);
      if (interrupted()) return;  // a baseline cut short is not one
      doc_.set_baseline(e);
      doc_.mark_completed(done);
      doc_.save();
      progress(line("start", e));
    }
  }

  // The end's baseline in each family and its drift from the start's.
  void measure_end() {
    for (IpFamily family : families()) {
      if (interrupted()) return;
      const LatencyEntry e = measure(family);
      if (interrupted()) return;
      doc_.set_baseline_end(e, cfg_.baseline_drift_tolerance);
      doc_.save();
      const bool drifted =
          doc_.json()[baseline_key("baseline_drift", family)].value("flagged", false);
      progress(line("end", e) + (drifted ? " — DRIFTED from the start's beyond " +
                                               std::to_string(std::lround(
                                                   cfg_.baseline_drift_tolerance * 100)) +
                                               "%"
                                         : ""));
    }
  }

 private:
  std::vector<IpFamily> families() const {
    if (ipv6_services_.services.empty()) return {IpFamily::kIpv4};
    return {IpFamily::kIpv4, IpFamily::kIpv6};
  }
  LatencyEntry measure(IpFamily family) {
    if (family == IpFamily::kIpv6)
      return measure_baseline(link_, ipv6_services_, TargetPosition::kUniform, replay_,
                              AddressPlan::ipv6());
    return measure_baseline(link_, services_, TargetPosition::kUniform, replay_, cfg_.node.plan);
  }
  static std::string line(const char* when, const LatencyEntry& e) {
    char text[160];
    std::snprintf(text, sizeof text, "baseline (back-to-back%s) at the %s: p50 %.1f us, p99 %.1f us",
                  e.ip_family == IpFamily::kIpv6 ? ", IPv6" : "", when,
                  e.replay.latency.percentile(50) / 1e3, e.replay.latency.percentile(99) / 1e3);
    return text;
  }

  PacketReplayer& link_;
  const SweepConfig& cfg_;
  const ReplaySettings& replay_;
  ResultsDocument& doc_;
  ServiceSet services_, ipv6_services_;  // the latter only when the sweep measures IPv6
};

// Why the point (mode, family, n) should not run, from what the sweep recorded so far: a
// smaller size of the mode already reached --op-limit, the netns node's kernel (this machine's)
// logged warnings at a smaller size, or its slowest update is predicted past kSkipFactor times
// the limit. Empty: run it. Prints the prediction either way.
std::optional<LimitReachedEntry> skip_reason(const SweepConfig& cfg, const Node& node,
                                             const ResultsDocument& doc, const std::string& mode,
                                             IpFamily family, size_t n, const std::string& point) {
  const nlohmann::json& d = doc.json();
  const std::string fam = family_name(family);
  LimitReachedEntry skip{.mode = mode,
                         .services = n,
                         .ip_family = family,
                         .outcome = "skipped",
                         .limit_seconds = cfg.op_limit_seconds};
  if (d.contains("limit_reached"))
    for (const auto& e : d["limit_reached"])
      if (e.value("mode", "") == mode && e.value("ip_family", "ipv4") == fam &&
          e.value("services", size_t{0}) < n) {
        skip.operation = e.value("operation", "");
        skip.reason = (e.value("outcome", "") == "unresponsive"
                           ? "the guest already stopped answering in "
                           : "the limit already stopped or skipped ") +
                      mode + " at " + std::to_string(e.value("services", size_t{0})) +
                      " Services";
        return skip;
      }
  if (node.shares_generator_kernel() && d.contains("kernel_warnings"))  // this machine's kernel
    for (const auto& e : d["kernel_warnings"])
      if (e.value("services", size_t{0}) < n) {
        skip.reason = "this machine's own kernel (the netns node) logged warnings at " +
                      std::to_string(e.value("services", size_t{0})) + " Services in " +
                      e.value("mode", "") + "; larger sizes belong in a guest (--node uml)";
        return skip;
      }
  const auto p = d.contains("updates") ? predict_slowest_update(d["updates"], mode, fam, n) : std::nullopt;
  if (!p) return std::nullopt;
  progress(point + ": " + prediction_text(*p, d["updates"], mode, fam));
  if (cfg.op_limit_seconds <= 0 || p->seconds <= SweepConfig::kSkipFactor * cfg.op_limit_seconds)
    return std::nullopt;
  skip.operation = p->operation;
  skip.predicted_seconds = p->seconds;
  skip.reason = p->operation + " predicted far past --op-limit (" +
                prediction_text(*p, d["updates"], mode, fam) + ")";
  return skip;
}

}  // namespace

ServiceSet imported_services(const SweepConfig& cfg) {
  ServiceSet imported;
  if (!cfg.from_file.empty()) {
    imported = import_kubernetes_list(read_file(cfg.from_file), {});
    remap_into_plan(imported, cfg.node.plan);
  }
  return imported;
}

int sweep_points(const SweepConfig& cfg, Node& node, PacketReplayer& through_node,
                 PacketReplayer* back_to_back, ResultsDocument& doc, const ServiceSet& imported) {
  const AddressPlan& plan = cfg.node.plan;
  ReplaySettings replay;
  replay.packets = cfg.packets;
  replay.rate_pps = cfg.rate_pps;

  std::optional<BackToBack> own_link;
  if (back_to_back) own_link.emplace(*back_to_back, cfg, replay, doc);
  if (own_link) {
    own_link->warm_up("warmup", "warm-up");  // every start: a resumed one's machine is as cold
    own_link->measure_start();
  }

  GeneratorMaximum generator_max;
  if (cfg.throughput && !interrupted()) {
    generator_max = measure_generator_max(back_to_back ? *back_to_back : through_node,
                                          back_to_back != nullptr, plan, cfg.throughput->burst);
    doc.add_context("generator_max", {{"pps", std::llround(generator_max.pps)},
                                      {"measured_on", generator_max.measured_on}});
    doc.save();
    progress("generator maximum " + std::to_string(std::llround(generator_max.pps)) + " pps (" +
             generator_max.measured_on + ")");
  }

  // One DataplaneMode per mode and family: each family's proxier reads the flags its way.
  struct FamilyMode {
    IpFamily family;
    std::unique_ptr<DataplaneMode> mode;
  };
  std::vector<std::vector<FamilyMode>> modes;  // [mode][family]
  for (const auto& m : cfg.modes) {
    modes.emplace_back();
    for (IpFamily f : cfg.families)
      modes.back().push_back(
          {f, cfg.external ? make_external_programmer(
                                 make_dataplane_mode(m, node, options_for_family(cfg.iptables, f)),
                                 node, *cfg.external, f)
                           : make_dataplane_mode(m, node, options_for_family(cfg.iptables, f))});
  }
  auto reset_all = [&] {
    for (auto& per_family : modes)
      for (auto& fm : per_family) fm.mode->reset();
  };
  const size_t total_points = modes.size() * cfg.service_counts.size() * cfg.families.size();
  size_t done_points = 0;
  size_t measured = 0;  // points measured (or failed) by this start of the sweep
  int failures = 0;
  const auto sweep_start = Clock::now();

  for (const SweepSlot& slot :
       sweep_slot_order(modes.size(), cfg.service_counts.size(), cfg.order, cfg.order_seed)) {
    const size_t count = cfg.service_counts[slot.count];
    for (auto& [family, mode] : modes[slot.mode]) {  // both families side by side
      if (interrupted()) break;
      const AddressPlan family_plan =
          family == plan.benchmarking_range.family() ? plan : AddressPlan::of(family);
      const size_t n = cfg.from_file.empty() ? count : imported.services.size();
      const std::string point = point_name(mode->name(), family, n);
      ++done_points;
      if (doc.completed(point)) continue;
      doc.forget_point(mode->name(), family, n);  // what an interrupted or failed attempt left
      if (auto skip = skip_reason(cfg, node, doc, mode->name(), family, n, point)) {
        PointResult skipped;
        skipped.limit_reached = std::move(*skip);
        progress(point + ": skipped: " + skipped.limit_reached->reason);
        doc.add(skipped);
        doc.mark_completed(point);
        doc.save();
        continue;
      }
      ++measured;
      const auto t0 = Clock::now();
      try {
        reset_all();  // one backend's rules at a time
        ServiceSet services = imported;
        if (cfg.from_file.empty()) {
          SyntheticSpec spec = cfg.spec;
          spec.services = n;
          services = make_synthetic_services(spec, family_plan);
        }
        PointRequest request;
        request.load = &services;
        request.update_repeats = cfg.repeats;
        request.op_limit_seconds = cfg.op_limit_seconds;
        request.spec = cfg.spec;
        request.plan = family_plan;
        request.replay = replay;
        if (cfg.throughput) {
          request.throughput = &*cfg.throughput;
          request.throughput_targets = cfg.throughput_targets;
          request.generator_max = generator_max;
        }
        if (cfg.convergence) request.convergence = &*cfg.convergence;
        request.progress = [&](const std::string& line) { progress(point + ": " + line); };
        PointResult result = measure_point(node, *mode, through_node, request);
        if (interrupted()) break;  // only complete points have numbers in the file
        doc.add(result);
        doc.mark_completed(point);
      } catch (const std::exception& e) {
        doc.forget_point(mode->name(), family, n);
        if (interrupted()) break;  // not a failure of the point: --resume runs it again
        ++failures;
        doc.mark_failed(point, e.what());
        progress(point + " failed: " + e.what());
        // The guest stopped answering before the point's measurement began (emptying the
        // node): the points after it get a guest restarted for them.
        if (dynamic_cast<const NodeStoppedAnswering*>(&e)) {
          progress("restarting the " + node.kind() + " guest");
          node.restart_guest();
        }
      }
      doc.save();
      const double took = seconds_since(t0);
      const double elapsed = seconds_since(sweep_start);
      char line[256];
      std::snprintf(line, sizeof line, "[%zu/%zu] %s done in %.1f s (%.0f s elapsed)",
                    done_points, total_points, point.c_str(), took, elapsed);
      progress(line);
    }
  }
  try {
    reset_all();
  } catch (...) {
  }
  // The baseline again after the last point, as the start's was taken: on an emptied node once
  // the stream holds still (the last point's aftermath — a kernel still freeing a large table —
  // is that point's, not the machine's drift). A machine that drifted shows.
  if (own_link && measured > 0) {
    own_link->warm_up("warmup_end", "settle before the end's baseline");
    own_link->measure_end();
  }
  return failures;
}

int run_sweep(const SweepConfig& cfg) {
  if (!running_as_root())
    throw SetupError("svcbench sweep programs a node and needs root: rerun with sudo");
  install_interrupt_handlers();
  auto node = make_node(cfg.node_kind, cfg.node);
  const ServiceSet imported = imported_services(cfg);  // bad input fails here, before anything

  TestbedLock lock;
  // results.json exists from here on, whatever happens next: a sweep stopped while the node
  // comes up still says so ("interrupted" or "failed" with the error) and can be resumed.
  nlohmann::json host_context = collect_run_context();
  host_context["node_kind"] = node->kind();
  auto doc = cfg.resume_dir.empty() ? ResultsDocument(cfg.out_dir, host_context, config_json(cfg))
                                    : ResultsDocument::load(cfg.resume_dir);
  doc.set_state("setting up");
  doc.save();
  int failures = 0;
  try {
    NodeGuard guard{*node};
    progress("bringing up the " + node->kind() + " node");
    node->up();
    for (IpFamily family : cfg.families) node->require_family(family);
    if (cfg.resume_dir.empty() ||
        doc.json()["progress"]["completed"].empty()) {  // this node's context
      auto context = collect_run_context();
      context.update(node->context());
      doc.set_context(context);
    }
    doc.set_state("running");
    doc.save();
    GeneratorSetup generators(choose_generator_ports(node.get(), cfg.ports), cfg.node.plan);
    PacketReplayer& through_node = generators.through_node();
    const auto [tx_mac, rx_mac] = generators.node_port_macs();
    node->attach_generator(tx_mac, rx_mac);
    PacketReplayer* back_to_back = generators.back_to_back();
    doc.add_context("generator", generator_json(generators.environment()));
    failures = sweep_points(cfg, *node, through_node, back_to_back, doc, imported);
  } catch (const std::exception& e) {  // the node is down by now (NodeGuard)
    doc.set_state(interrupted() ? "interrupted" : "failed");
    if (!interrupted()) doc.set_error(e.what());
    doc.save();
    throw;
  }
  if (interrupted()) {
    doc.set_state("interrupted");
    doc.save();
    progress("interrupted; partial results in " + cfg.out_dir + ", finish with --resume " +
             cfg.out_dir);
    return 128 + interrupt_signal();
  }
  doc.set_state("finished");
  doc.save();
  return failures ? 1 : 0;
}

}  // namespace svcbench
