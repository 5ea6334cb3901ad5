#include "measure_throughput.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <sstream>

#include "elapsed.h"
#include "errors.h"
#include "interruption.h"

namespace svcbench {
namespace {

// A trial's frames must be sent within its duration plus this share of it.
constexpr double kDeadlineSlack = 0.002;

// One replay of a search: `rate` packets/s for `seconds`, every new-flow replay on a flushed
// conntrack table (new flows capped at the distinct tuples a replay has).
ReplayResult replay_at(Node& node, PacketReplayer& through_node, const TrafficPlan& traffic,
                       Phase phase, double rate, double seconds, uint16_t burst,
                       const ThroughputRequest& request, double send_deadline_s = 0) {
  ReplaySettings s;
  s.phase = phase;
  s.rate_pps = static_cast<uint64_t>(std::llround(rate));
  s.packets = std::max<uint64_t>(1, static_cast<uint64_t>(std::llround(rate * seconds)));
  if (phase == Phase::kNewFlow) s.packets = std::min(s.packets, kNewFlowTuples);
  s.burst = burst;
  s.drain_ms = request.drain_ms;
  s.drain_quiet_ms = request.drain_quiet_ms;
  s.send_deadline_s = send_deadline_s;
  if (phase == Phase::kNewFlow) node.flush_conntrack();
  return through_node.replay(traffic, s, true);
}

std::optional<NodeCpu> read_node_cpu(Node& node) {
  const CommandResult r = node.run({"cat", "/proc/stat"});
  if (r.exit_code != 0) return std::nullopt;
  return parse_proc_stat(r.out, sysconf(_SC_CLK_TCK));
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

}  // namespace

std::optional<NodeCpu> parse_proc_stat(const std::string& text, long user_hz) {
  // "cpu  user nice system idle iowait irq softirq steal ..." (the aggregate line comes first)
  std::istringstream in(text);
  std::string label;
  uint64_t user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0;
  if (!(in >> label >> user >> nice >> system >> idle >> iowait >> irq >> softirq) ||
      label != "cpu" || user_hz <= 0)
    return std::nullopt;
  const double ns_per_tick = 1e9 / static_cast<double>(user_hz);
  return NodeCpu{static_cast<double>(softirq) * ns_per_tick,
                 static_cast<double>(system) * ns_per_tick};
}

ThroughputEntry measure_throughput(Node& node, PacketReplayer& through_node,
                                   const TrafficPlan& traffic, Phase phase,
                                   const GeneratorMaximum& generator_max,
                                   const ThroughputRequest& request) {
  ThroughputEntry e;
  e.phase = phase;
  e.generator_max = generator_max;
  e.drain_ms = request.drain_ms;
  e.drain_quiet_ms = request.drain_quiet_ms;
  e.burst = request.burst;
  SearchProfile profile = request.profile;
  profile.max_load_pps = generator_max.pps;
  if (phase == Phase::kNewFlow &&
      profile.max_load_pps * profile.trial_duration_s > static_cast<double>(kNewFlowTuples)) {
    profile.max_load_pps = static_cast<double>(kNewFlowTuples) / profile.trial_duration_s;
    e.max_load_reason = "a new-flow trial has " + std::to_string(kNewFlowTuples) +
                        " distinct tuples; more packets per trial would repeat flows";
  }
  e.max_load_pps = profile.max_load_pps;
  const bool own_kernel = !node.shares_generator_kernel();
  e.cpu_counted = own_kernel ? "the node's softirq + system time (its own kernel)"
                             : "this host's softirq time (the node shares the generator's "
                               "kernel; system time would count the generator's syscalls)";

  std::vector<std::optional<double>> cpu_per_trial;  // by trial index
  auto run_trial = [&](double load, double seconds) {
    const auto before = read_node_cpu(node);
    const ReplayResult r = replay_at(node, through_node, traffic, phase, load, seconds,
                                     request.burst, request, seconds * (1 + kDeadlineSlack));
    const auto after = read_node_cpu(node);
    Trial t;
    // The trial offered its load for its duration: frames the port refused, and frames the
    // generator could not send in time because the path held it back (on the netns node the
    // node's forwarding runs in the sending core's syscall), count as lost.
    t.offered = r.tx + r.tx_failed + r.unsent;
    t.received = r.rx;
    if (before && after && r.rx > 0) {
      double ns = after->softirq_ns - before->softirq_ns;
      if (own_kernel) ns += after->system_ns - before->system_ns;
      cpu_per_trial.push_back(ns / static_cast<double>(r.rx));
    } else {
      cpu_per_trial.push_back(std::nullopt);
    }
    return t;
  };
  const auto start = std::chrono::steady_clock::now();
  e.search = mlr_search(profile, run_trial, [] { return interrupted(); });
  e.search_wall_seconds = seconds_since(start);

  const GoalResult* ndr = nullptr;
  const GoalResult* pdr = nullptr;
  for (const auto& g : e.search.goals) {
    if (g.goal.name == "ndr") ndr = &g;
    if (g.goal.name == "pdr") pdr = &g;
  }
  if (ndr && ndr->lower_pps > 0) {
    std::vector<double> at_ndr;
    for (size_t i = 0; i < e.search.trials.size() && i < cpu_per_trial.size(); ++i)
      if (e.search.trials[i].load_pps == ndr->lower_pps && cpu_per_trial[i])
        at_ndr.push_back(*cpu_per_trial[i]);
    if (!at_ndr.empty()) e.cpu_ns_per_packet = median(at_ndr);
  }
  for (const auto& g : e.search.goals)
    if (g.below_min_load) {
      e.message = "the node lost frames even at " + std::to_string(std::llround(profile.min_load_pps)) +
                  " pps, the search's minimum: " + g.goal.name + " is below it (reported as 0)";
      break;
    }
  if (e.search.time_limited && e.message.empty())
    e.message = "the search's time limit ran out; the bounds are those found so far";
  if (e.search.stopped) return e;

  // Latency under load: every packet's latency at fractions of the PDR (else the NDR).
  const double reference = pdr && pdr->lower_pps > 0 ? pdr->conditional_pps
                           : ndr                     ? ndr->conditional_pps
                                                     : 0;
  for (double fraction : request.latency_fractions) {
    if (reference <= 0 || interrupted()) break;
    LoadedLatency l;
    l.fraction = fraction;
    l.rate_pps = std::floor(reference * fraction);
    if (l.rate_pps < 1) continue;
    // Paced packet by packet where the generator keeps the rate that way (the latency is then
    // the node's, not a burst's queue); else in bursts of 4, then of the trials' size.
    for (uint16_t burst : {uint16_t{1}, uint16_t{4}, request.burst}) {
      l.replay = replay_at(node, through_node, traffic, phase, l.rate_pps,
                           request.latency_seconds, burst, request);
      l.burst = burst;
      if (l.replay.tx_pps() >= 0.99 * l.rate_pps || interrupted()) break;
    }
    e.latency_at_load.push_back(std::move(l));
  }
  return e;
}

}  // namespace svcbench
