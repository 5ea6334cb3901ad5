#include "measure_point.h"

#include <algorithm>
#include <cstdio>

#include "errors.h"
#include "kernel_log.h"
#include "interruption.h"
#include "update_timing.h"

namespace svcbench {
namespace {

void say(const PointRequest& request, const std::string& line) {
  if (request.progress) request.progress(line);
}

std::string saturation_warning(const LatencyEntry& e) {
  const ReplayResult& r = e.replay;
  char line[256];
  std::snprintf(line, sizeof line,
                "%s %s: the node fell behind (%llu of %llu packets back, %.0f of %.0f pps, "
                "p50 %.0f us); latency is queueing, min %.0f us",
                to_string(e.phase), e.target.c_str(), static_cast<unsigned long long>(r.rx),
                static_cast<unsigned long long>(r.tx), r.rx_pps(), r.tx_pps(),
                static_cast<double>(r.latency.percentile(50)) / 1000,
                static_cast<double>(r.latency.min()) / 1000);
  return line;
}

std::string throughput_line(const ThroughputEntry& e) {
  std::string line = std::string(to_string(e.phase)) + " " + e.target + ":";
  for (const auto& g : e.search.goals) {
    char part[128];
    std::snprintf(part, sizeof part, " %s %.0f pps%s", g.goal.name.c_str(), g.conditional_pps,
                  g.at_max_load ? " (generator's maximum: not limited by the node)" : "");
    line += part;
  }
  char tail[160];
  std::snprintf(tail, sizeof tail, " (%zu trials, %.0f s)", e.search.trials.size(),
                e.search_wall_seconds);
  line += tail;
  if (!e.message.empty()) line += "; " + e.message;
  return line;
}

// The background load under updates: the rate asked for, else half the lowest PDR the
// capacity search found at this point, else the node's default rate.
ConvergenceRequest convergence_request(const Node& node, const PointRequest& request,
                                       const PointResult& point) {
  ConvergenceRequest c = *request.convergence;
  for (const auto& u : point.updates) {
    std::vector<double> v = u.seconds;
    if (v.empty()) continue;
    std::sort(v.begin(), v.end());
    c.expected_seconds[u.operation] = v[v.size() / 2];
  }
  double pdr = 0;
  std::string phase;
  for (const auto& t : point.throughput)
    for (const auto& g : t.search.goals)
      if (g.goal.name == "pdr" && g.conditional_pps > 0 && (pdr == 0 || g.conditional_pps < pdr)) {
        pdr = g.conditional_pps;
        phase = to_string(t.phase);
      }
  char source[160];
  if (c.load_pps > 0) {
    c.load_source = "--load-rate";
  } else if (pdr > 0) {
    c.load_pps = pdr / 2;
    std::snprintf(source, sizeof source, "50%% of the %s PDR (%.0f pps)", phase.c_str(), pdr);
    c.load_source = source;
  } else {
    c.load_pps = static_cast<double>(node.default_rate_pps());
    c.load_source = "the node's default rate";
  }
  return c;
}

// Capacity per phase x throughput target into point.throughput (a search cut short by a
// signal is dropped).
void measure_capacity(Node& node, DataplaneMode& mode, PacketReplayer& through_node,
                      const PointRequest& request, const std::vector<ServiceDispatch>& dispatch,
                      size_t services, PointResult& point);

}  // namespace

void require_benchmarking_range(const TrafficPlan& traffic, const AddressPlan& plan) {
  auto outside = [&](IpAddress a) { return !plan.benchmarking_range.contains(a); };
  for (const auto& t : traffic.templates) {
    const IpAddress dst = destination_of(t.frame.data(), t.layout);
    if (outside(dst))
      throw UsageError("destination " + dst.str() + " is outside the benchmarking range " +
                       plan.benchmarking_range.str() +
                       "; load Services from the address plan (sweep --from remaps), use "
                       "--map-services, or pass --allow-any-address");
  }
  for (const auto& f : traffic.flows)
    for (const auto& e : f.endpoints)
      if (outside(e.address))
        throw UsageError("endpoint " + e.address.str() + " of " + f.address.str() +
                         " is outside the benchmarking range " + plan.benchmarking_range.str() +
                         "; pass --allow-any-address to send anyway");
}

namespace {
PointResult measure_point_entries(Node& node, DataplaneMode& mode, PacketReplayer& through_node,
                                  const PointRequest& request) {
  PointResult point;
  size_t services = 0;
  if (request.load) {
    services = request.load->services.size();
    say(request, "rule updates");
    const auto timings = time_updates(mode, *request.load, request.spec, request.plan,
                                      request.update_repeats, request.op_limit_seconds);
    for (const auto& op : update_operations()) {
      auto it = timings.seconds.find(op);
      if (it == timings.seconds.end() || it->second.empty()) continue;  // stopped before a run
      UpdateEntry entry{mode.name(), services, op, it->second};
      if (auto st = timings.steps.find(op); st != timings.steps.end()) entry.steps = st->second;
      point.updates.push_back(std::move(entry));
    }
    if (const auto& lr = timings.limit_reached) {
      // The node holds what the stopped tool left: no traffic is measured through it.
      char reason[600];
      if (lr->outcome == "unresponsive")
        std::snprintf(reason, sizeof reason, "%s stopped: %s; the guest is restarted",
                      lr->operation.c_str(), lr->detail.c_str());
      else
        std::snprintf(reason, sizeof reason, "%s ran past --op-limit %g s (%s stopped)",
                      lr->operation.c_str(), lr->limit_seconds, lr->stopped_tool.c_str());
      point.limit_reached = LimitReachedEntry{.mode = mode.name(),
                                              .services = services,
                                              .ip_family = IpFamily::kIpv4,
                                              .outcome = lr->outcome,
                                              .operation = lr->operation,
                                              .limit_seconds = lr->limit_seconds,
                                              .elapsed_seconds = lr->elapsed_seconds,
                                              .stopped_tool = lr->stopped_tool,
                                              .steps_done = lr->steps_done,
                                              .reason = reason};
      say(request, reason);
      return point;
    }
  }
  const auto dispatch = mode.loaded_dispatch();
  if (!request.load) services = dispatch.size();
  const bool v6 = request.plan.benchmarking_range.family() == IpFamily::kIpv6;
  if (dispatch.empty() && !request.capture)
    throw UsageError(
        "the node has no " + std::string(v6 ? "IPv6 " : "") +
        "Services loaded in " + mode.name() + ": load a ruleset first (svcbench rules " +
        (v6 ? "--ip-family ipv6 ... | ip netns exec svcb-node ip6tables-restore)"
            : "... | ip netns exec svcb-node iptables-restore)"));
  say(request, "traffic");
  const std::vector<TargetPosition> targets =
      request.capture           ? std::vector<TargetPosition>{TargetPosition::kUniform}
      : request.targets.empty() ? standard_targets(dispatch)
                                : request.targets;
  for (Phase phase : request.phases) {
    for (TargetPosition target : targets) {
      if (interrupted()) return point;
      LatencyEntry entry;
      entry.mode = mode.name();
      entry.services = services;
      entry.phase = phase;
      ReplaySettings settings = request.replay;
      settings.phase = phase;
      TrafficPlan traffic;
      if (request.capture) {
        size_t skipped = 0;
        traffic = plan_pcap_traffic(*request.capture, dispatch, request.map_services, &skipped);
        settings.packets = traffic.templates.size() * request.loops;
        settings.rewrite_source = phase == Phase::kNewFlow && !settings.capture_timing;
        entry.target = "pcap";
        entry.pcap_skipped_packets = skipped;
      } else {
        const auto selected = select_targets(dispatch, target);
        traffic = plan_service_traffic(selected, request.plan);
        entry.target = to_string(target);
        entry.target_positions = selected.size() == 1 ? selected[0].position : dispatch.size();
        if (selected.size() == 1) entry.target_endpoints = selected[0].endpoints.size();
        entry.with_cdf = target == TargetPosition::kUniform;
      }
      if (!request.allow_any_address) require_benchmarking_range(traffic, request.plan);
      node.flush_conntrack();
      entry.replay = through_node.replay(traffic, settings, true);
      if (interrupted()) return point;
      if (entry.replay.saturated()) say(request, saturation_warning(entry));
      point.latency.push_back(std::move(entry));
    }
  }
  if (request.throughput && !request.capture)
    measure_capacity(node, mode, through_node, request, dispatch, services, point);
  if (request.convergence && request.load && !interrupted())
    point.convergence = measure_convergence(node, mode, through_node, *request.load, request.spec,
                                            request.plan, dispatch,
                                            convergence_request(node, request, point),
                                            request.progress);
  return point;
}
}  // namespace

PointResult measure_point(Node& node, DataplaneMode& mode, PacketReplayer& through_node,
                          const PointRequest& request) {
  KernelLogWatch kernel_log(node);
  PointResult point;
  try {
    point = measure_point_entries(node, mode, through_node, request);
  } catch (const NodeStoppedAnswering& e) {
    // Outside the rule updates (traffic, read-back): the point fails, the guest is restarted
    // for the next one, and its last console says why.
    const auto warnings = kernel_log.warnings_in(node.restart_guest());
    throw SetupError(std::string(e.what()) + "; the guest was restarted" +
                     (warnings.empty() ? "" : "; its kernel had logged: " + warnings.front()));
  } catch (const std::exception& e) {
    // A point the node failed: what its kernel logged meanwhile is part of why.
    const auto warnings = kernel_log.warnings();
    if (warnings.empty()) throw;
    throw SetupError(std::string(e.what()) + "; meanwhile the node's kernel logged: " +
                     warnings.front());
  }
  const bool unresponsive = point.limit_reached && point.limit_reached->outcome == "unresponsive";
  // A guest that stopped answering is restarted for the next point; what its kernel printed
  // before is on its console (its dmesg went with it).
  if (auto lines = unresponsive ? kernel_log.warnings_in(node.restart_guest()) : kernel_log.warnings();
      !lines.empty()) {
    const size_t services = request.load               ? request.load->services.size()
                            : point.latency.empty()    ? 0
                                                       : point.latency.front().services;
    point.kernel_warnings = KernelWarningsEntry{mode.name(), services, {}, std::move(lines)};
    say(request, "the node's kernel logged: " + point.kernel_warnings->lines.front());
  }
  point.set_ip_family(request.plan.benchmarking_range.family());
  return point;
}

namespace {
void measure_capacity(Node& node, DataplaneMode& mode, PacketReplayer& through_node,
                      const PointRequest& request, const std::vector<ServiceDispatch>& dispatch,
                      size_t services, PointResult& point) {
  for (Phase phase : request.phases) {
    for (TargetPosition target : request.throughput_targets) {
      if (interrupted()) return;
      const auto selected = select_targets(dispatch, target);
      const TrafficPlan traffic = plan_service_traffic(selected, request.plan);
      if (!request.allow_any_address) require_benchmarking_range(traffic, request.plan);
      say(request, std::string("capacity ") + to_string(phase) + " " + to_string(target));
      ThroughputEntry entry = measure_throughput(node, through_node, traffic, phase,
                                                 request.generator_max, *request.throughput);
      entry.mode = mode.name();
      entry.services = services;
      entry.target = to_string(target);
      entry.target_positions = selected.size() == 1 ? selected[0].position : dispatch.size();
      if (entry.search.stopped) return;  // a search cut short is not a result
      say(request, throughput_line(entry));
      point.throughput.push_back(std::move(entry));
    }
  }
}
}  // namespace

std::vector<ServiceDispatch> untranslated_targets(const ServiceSet& services) {
  std::vector<ServiceDispatch> out;
  for (const auto& s : services.services) {
    for (const auto& p : s.ports) {
      ServiceDispatch d;
      d.position = out.size();
      d.address = s.cluster_ip;
      d.port = p.port;
      d.protocol = p.protocol;
      d.comment = s.port_name(p);
      Endpoint itself;
      itself.address = d.address;
      itself.port = d.port;
      d.endpoints = {itself};  // nothing translates between the back-to-back ports
      out.push_back(std::move(d));
    }
  }
  return out;
}

LatencyEntry measure_baseline(PacketReplayer& back_to_back, const ServiceSet& services,
                              TargetPosition target, const ReplaySettings& settings,
                              const AddressPlan& plan) {
  const auto selected = select_targets(untranslated_targets(services), target);
  auto traffic = plan_service_traffic(selected, plan);
  require_benchmarking_range(traffic, plan);
  LatencyEntry e;
  e.mode = "baseline";
  e.services = 0;
  e.ip_family = plan.benchmarking_range.family();
  e.phase = settings.phase;
  e.target = to_string(target);
  e.replay = back_to_back.replay(traffic, settings, true);
  return e;
}

GeneratorMaximum measure_generator_max(PacketReplayer& replayer, bool back_to_back,
                                       const AddressPlan& plan, uint16_t burst) {
  SyntheticSpec spec;  // ten UDP frontends, nothing translates them
  spec.services = 10;
  spec.udp_share = 1;
  const auto selected =
      select_targets(untranslated_targets(make_synthetic_services(spec, plan)), TargetPosition::kUniform);
  const TrafficPlan traffic = plan_service_traffic(selected, plan);
  require_benchmarking_range(traffic, plan);
  ReplaySettings s;
  s.phase = Phase::kEstablished;  // conntrack plays no part on a back-to-back link
  s.rate_pps = 0;
  s.burst = burst;
  s.packets = 2'000'000;  // about a second at this class's af_xdp rate
  s.drain_ms = 2000;
  s.drain_quiet_ms = 100;
  // Twice; the better one (the first also warms the path).
  GeneratorMaximum best;
  for (int i = 0; i < 2 && !interrupted(); ++i) {
    const ReplayResult r = replayer.replay(traffic, s, back_to_back);
    const double pps = back_to_back ? r.rx_pps() : r.tx_pps();
    best.pps = std::max(best.pps, pps);
  }
  if (interrupted()) return best;
  if (best.pps <= 0)
    throw SetupError(
        "the generator delivered nothing at top speed on its back-to-back link: check the "
        "testbed (svcbench testbed status) and the EAL ports");
  best.measured_on = back_to_back ? "back-to-back" : "through the node (transmit rate)";
  return best;
}

}  // namespace svcbench
