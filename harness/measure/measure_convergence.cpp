#include "measure_convergence.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <exception>
#include <numeric>
#include <thread>

#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include "errors.h"
#include "interruption.h"
#include "traffic_plan.h"
#include "tx_path.h"
#include "update_timing.h"

namespace svcbench {
namespace {

// Repeats stop once an operation's updates took this long in total (as update timing does).
constexpr double kRepeatBudgetSeconds = 20.0;
// The stream's log holds at most this many packets (24 bytes each).
constexpr uint64_t kMaxLoggedPackets = 8'000'000;
// At most this many templates in the stream's cycle.
constexpr size_t kMaxTemplates = 200'000;
// Fixed (established) tuples use source ports above the fresh tuples' range.
constexpr uint16_t kFixedPortBase = 1024 + TxPath::kTuplesPerClient;

ServiceDispatch dispatch_of(const Service& s) {
  const ServicePort& p = s.ports.front();
  ServiceDispatch d;
  d.address = s.cluster_ip;
  d.port = p.port;
  d.protocol = p.protocol;
  d.comment = s.port_name(p);
  d.endpoints = p.endpoints;
  return d;
}

bool same_frontend(const ServiceDispatch& a, const ServiceDispatch& b) {
  return a.address == b.address && a.port == b.port && a.protocol == b.protocol;
}

// What an operation's probes aim at: the changed Service's frontend with every endpoint it
// has before or after the update, each marked kept, added or removed.
struct Probe {
  ServiceDispatch target;
  std::vector<EndpointChange> changes;
  bool udp_flow = false;  // also one established UDP flow (stale conntrack entries)
};

Probe probe_between(const Service& before, const Service& after) {
  Probe p;
  p.target = dispatch_of(after);
  p.target.endpoints.clear();
  const auto& old_eps = before.ports.front().endpoints;
  const auto& new_eps = after.ports.front().endpoints;
  auto has = [](const std::vector<Endpoint>& v, const Endpoint& e) {
    return std::any_of(v.begin(), v.end(),
                       [&](const Endpoint& x) { return x.address == e.address && x.port == e.port; });
  };
  for (const auto& e : old_eps) {
    p.target.endpoints.push_back(e);
    p.changes.push_back(has(new_eps, e) ? EndpointChange::kKept : EndpointChange::kRemoved);
  }
  for (const auto& e : new_eps)
    if (!has(old_eps, e)) {
      p.target.endpoints.push_back(e);
      p.changes.push_back(EndpointChange::kAdded);
    }
  return p;
}

Probe probe_of(const Service& s, EndpointChange change) {
  Probe p;
  p.target = dispatch_of(s);
  p.changes.assign(p.target.endpoints.size(), change);
  return p;
}

struct StreamPlan {
  TrafficPlan traffic;
  StreamRoles roles;
  ConvergenceLoad load;
  double total_pps = 0;
};

// Interleaves classes of templates at the given rates: `slots` per cycle, spread evenly, then
// cycles repeated until every class has visited all its templates.
StreamPlan plan_stream(const std::vector<ServiceDispatch>& background, const Probe* probe,
                       const ConvergenceRequest& request, double window_s, const AddressPlan& plan) {
  StreamPlan out;
  std::vector<ServiceDispatch> flows = background;
  if (probe) flows.push_back(probe->target);
  const TrafficPlan frames = plan_service_traffic(flows, plan);
  out.traffic.flows = frames.flows;
  out.roles.role.assign(flows.size(), FlowRole::kBackground);
  out.roles.endpoint_change.resize(flows.size());
  for (size_t f = 0; f < background.size(); ++f)
    out.roles.endpoint_change[f].assign(background[f].endpoints.size(), EndpointChange::kKept);

  // Classes: new flows, established flows, probe new flows, probe UDP flow.
  struct Class {
    std::vector<TrafficTemplate> templates;
    double pps = 0;
    size_t slots = 0, next = 0;
  };
  std::vector<Class> classes(4);
  const double load = request.load_pps;
  // New flows: half the load, but never more fresh tuples in the window than there are.
  const double new_pps = std::min(load / 2, 0.8 * static_cast<double>(kNewFlowTuples) / window_s);
  classes[0].pps = background.empty() ? 0 : new_pps;
  classes[1].pps = background.empty() ? 0 : load - classes[0].pps;
  for (size_t f = 0; f < background.size(); ++f) {
    TrafficTemplate t = frames.templates[f];
    t.source = SourceTuple::kFresh;
    classes[0].templates.push_back(std::move(t));
  }
  const size_t n_est = std::min(request.established_flows, background.size());
  for (size_t i = 0; i < n_est; ++i) {
    // Spread over the table: first to last.
    const size_t f = n_est > 1 ? i * (background.size() - 1) / (n_est - 1) : 0;
    TrafficTemplate t = frames.templates[f];
    t.source = SourceTuple::kFixed;
    set_source(t.frame.data(), t.layout, plan.client_address(static_cast<uint32_t>(i % 4)),
               static_cast<uint16_t>(kFixedPortBase + i / 4));
    classes[1].templates.push_back(std::move(t));
  }
  if (probe) {
    const uint32_t pf = static_cast<uint32_t>(background.size());
    out.roles.endpoint_change[pf] = probe->changes;
    const double aside_cap = 0.8 * static_cast<double>(TxPath::kTuplesPerClient) / window_s;
    const double probe_new = probe->udp_flow ? request.probe_pps / 2 : request.probe_pps;
    classes[2].pps = std::min(probe_new, aside_cap);
    TrafficTemplate t = frames.templates[pf];
    t.source = SourceTuple::kFreshAside;
    classes[2].templates.push_back(t);
    out.roles.role[pf] = FlowRole::kProbeNewFlows;
    if (probe->udp_flow) {
      // The established UDP probe is a flow of its own (same frontend, same endpoints).
      out.traffic.flows.push_back(probe->target);
      out.roles.role.push_back(FlowRole::kProbeUdpFlow);
      out.roles.endpoint_change.push_back(probe->changes);
      TrafficTemplate u = frames.templates[pf];
      u.flow = pf + 1;
      u.source = SourceTuple::kFixed;
      set_source(u.frame.data(), u.layout, plan.client_address(4), kFixedPortBase);
      classes[3].templates.push_back(std::move(u));
      classes[3].pps = request.probe_pps - probe_new;
    }
  }
  double total = 0;
  for (const auto& c : classes) total += c.templates.empty() ? 0 : c.pps;
  if (total <= 0) throw UsageError("nothing to send while the update runs: give a --load-rate above 0");
  // Slots per cycle in proportion to the rates (largest remainders, at least one each), so
  // the classes' rates add up to the total exactly.
  constexpr size_t kCycle = 100;
  size_t slots = 0;
  std::vector<std::pair<double, size_t>> remainders;
  for (size_t i = 0; i < classes.size(); ++i) {
    auto& c = classes[i];
    if (c.templates.empty() || c.pps <= 0) continue;
    const double share = c.pps / total * kCycle;
    c.slots = std::max<size_t>(1, static_cast<size_t>(share));
    slots += c.slots;
    remainders.push_back({share - std::floor(share), i});
  }
  std::sort(remainders.rbegin(), remainders.rend());
  for (size_t k = 0; slots < kCycle && k < remainders.size(); ++k, ++slots)
    ++classes[remainders[k].second].slots;
  // The cycle: each slot goes to the class furthest behind its share.
  std::vector<size_t> cycle;
  std::vector<double> credit(classes.size(), 0);
  for (size_t k = 0; k < slots; ++k) {
    size_t best = 0;
    double best_credit = -1e18;
    for (size_t c = 0; c < classes.size(); ++c) {
      if (!classes[c].slots) continue;
      credit[c] += static_cast<double>(classes[c].slots) / static_cast<double>(slots);
      if (credit[c] > best_credit) {
        best_credit = credit[c];
        best = c;
      }
    }
    credit[best] -= 1;
    cycle.push_back(best);
  }
  size_t repeats = 1;
  for (const auto& c : classes)
    if (c.slots) repeats = std::max(repeats, (c.templates.size() + c.slots - 1) / c.slots);
  repeats = std::max<size_t>(1, std::min(repeats, kMaxTemplates / slots));
  for (size_t r = 0; r < repeats; ++r)
    for (size_t c : cycle) {
      auto& cls = classes[c];
      out.traffic.templates.push_back(cls.templates[cls.next]);
      cls.next = (cls.next + 1) % cls.templates.size();
    }
  out.total_pps = total;
  auto rate_of = [&](size_t c) { return total * static_cast<double>(classes[c].slots) / static_cast<double>(slots); };
  out.load.new_flow_pps = classes[0].slots ? rate_of(0) : 0;
  out.load.established_pps = classes[1].slots ? rate_of(1) : 0;
  out.load.background_pps = out.load.new_flow_pps + out.load.established_pps;
  out.load.probe_pps = (classes[2].slots ? rate_of(2) : 0) + (classes[3].slots ? rate_of(3) : 0);
  out.load.established_flows = classes[1].slots ? n_est : 0;
  out.load.new_flow_services =
      classes[0].slots ? std::min(classes[0].templates.size(), repeats * classes[0].slots) : 0;
  return out;
}

// conntrack -D exits 1 when nothing matched: that is not a failure.
double delete_conntrack(Node& node, const std::vector<std::string>& filter) {
  std::vector<std::string> argv = {"conntrack", "-D", "-p", "udp"};
  argv.insert(argv.end(), filter.begin(), filter.end());
  const CommandResult r = node.run(argv);
  if (r.exit_code != 0 && r.exit_code != 1)
    throw SetupError("deleting stale UDP conntrack entries failed on the " + node.kind() +
                     " node " + tool_failure("conntrack", r));
  return r.seconds;
}

// The update's thread (and the tools it starts) off the generator's CPUs: threads inherit the
// affinity of the lcore that created them, and a tool sharing the generator's core would
// stall the stream in time slices instead of running beside it, as it does for kube-proxy.
void leave_generator_cpus() {
  cpu_set_t mine, others;
  CPU_ZERO(&others);
  if (pthread_getaffinity_np(pthread_self(), sizeof mine, &mine) != 0) return;
  const long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  for (long c = 0; c < cpus && c < CPU_SETSIZE; ++c)
    if (!CPU_ISSET(c, &mine)) CPU_SET(c, &others);
  if (CPU_COUNT(&others) == 0)
    for (long c = 0; c < cpus && c < CPU_SETSIZE; ++c) CPU_SET(c, &others);
  pthread_setaffinity_np(pthread_self(), sizeof others, &others);
}

size_t middle_index(const std::vector<ConvergenceRun>& runs) {
  std::vector<size_t> order(runs.size());
  std::iota(order.begin(), order.end(), 0);
  const bool by_convergence = std::all_of(runs.begin(), runs.end(), [](const ConvergenceRun& r) {
    return r.convergence_seconds.has_value();
  });
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return by_convergence ? *runs[a].convergence_seconds < *runs[b].convergence_seconds
                          : runs[a].tool_seconds < runs[b].tool_seconds;
  });
  return order.empty() ? 0 : order[order.size() / 2];
}

std::string describe(const char* what, const ServiceDispatch& d) {
  return std::string(what) + " " + d.address.str() + ":" + std::to_string(d.port) + "/" +
         (d.protocol == Protocol::kUdp ? "udp" : "tcp");
}

// The Service change-endpoints moves: the UDP one nearest the middle (so an established UDP
// flow shows what kube-proxy's conntrack deletion does), else the middle one.
size_t service_to_move(const ServiceSet& base) {
  const size_t n = base.services.size(), mid = n / 2;
  auto udp = [&](size_t i) {
    return i < n && base.services[i].ports.front().protocol == Protocol::kUdp &&
           !base.services[i].ports.front().endpoints.empty();
  };
  for (size_t d = 0; d <= mid + 1; ++d) {
    if (d <= mid && udp(mid - d)) return mid - d;
    if (udp(mid + d)) return mid + d;
  }
  return mid;
}

// One operation made under load: what the probes aim at, how to render the update (before the
// window) and what follows it inside the window (conntrack deletion), and the untimed steps that
// put the node in the state the update starts from and back to `base` afterwards.
struct Operation {
  std::optional<Probe> probe;
  std::string probe_text, message;
  std::function<DataplaneMode::Apply()> prepare;
  std::function<double()> cleanup;
  std::function<void()> before_run, after_run;
};

// The sets an operation moves between: base, base plus one Service, base with one Service's
// endpoints moved.
struct UpdateSets {
  const ServiceSet& base;
  ServiceSet grown, moved;
  size_t changed = 0;
};

Operation plan_operation(const std::string& op, Node& node, DataplaneMode& mode,
                         const UpdateSets& sets, bool conntrack_cleanup) {
  Operation o;
  const Service& added = sets.grown.services.back();
  if (op == "add-service") {
    o.probe = probe_of(added, EndpointChange::kAdded);
    o.probe_text = describe("new flows to the added Service", o.probe->target);
    o.prepare = [&] { return mode.prepare_partial_sync(sets.base, sets.grown); };
    o.after_run = [&] { mode.partial_sync(sets.grown, sets.base); };
  } else if (op == "remove-service") {
    o.probe = probe_of(added, EndpointChange::kRemoved);
    o.probe->udp_flow = added.ports.front().protocol == Protocol::kUdp;
    o.probe_text = describe("new flows to the removed Service", o.probe->target);
    o.before_run = [&] { mode.partial_sync(sets.base, sets.grown); };
    o.prepare = [&] { return mode.prepare_partial_sync(sets.grown, sets.base); };
    // kube-proxy: a deleted UDP Service port's entries go, by its ClusterIP.
    if (o.probe->udp_flow && conntrack_cleanup)
      o.cleanup = [&] { return delete_conntrack(node, {"--orig-dst", added.cluster_ip.str()}); };
  } else if (op == "change-endpoints") {
    o.probe = probe_between(sets.base.services[sets.changed], sets.moved.services[sets.changed]);
    o.probe->udp_flow = o.probe->target.protocol == Protocol::kUdp;
    o.probe_text = describe("new flows to the Service whose endpoints move", o.probe->target);
    o.prepare = [&] { return mode.prepare_partial_sync(sets.base, sets.moved); };
    o.after_run = [&] { mode.partial_sync(sets.moved, sets.base); };
    // kube-proxy: a removed endpoint of a UDP Service port loses its entries (ClusterIP, endpoint).
    if (o.probe->udp_flow && conntrack_cleanup)
      o.cleanup = [&node, p = *o.probe] {
        double s = 0;
        for (size_t e = 0; e < p.changes.size(); ++e)
          if (p.changes[e] == EndpointChange::kRemoved)
            s += delete_conntrack(node, {"--orig-dst", p.target.address.str(), "--dst-nat",
                                         p.target.endpoints[e].address.str()});
        return s;
      };
  } else if (op == "full-resync") {
    o.probe_text = "none: a full resync changes nothing (background load only)";
    o.prepare = [&] { return mode.prepare_full_resync(sets.base); };
  } else {
    throw UsageError("unknown update operation '" + op +
                     "'; use add-service, remove-service, change-endpoints or full-resync");
  }
  if (o.probe && o.probe->udp_flow) o.probe_text += ", and one established UDP flow";
  if (o.probe && !o.probe->udp_flow && op != "add-service")
    o.message = "the probed Service is TCP: no established-UDP probe";
  return o;
}

// One run: the stream on this thread, the update (then the cleanup) on another that starts
// lead_s + before_s after the first packet; the stream ends after_s after the update did, at
// once when the update failed (rethrown here, after the thread ended), or on a signal (nullopt).
// `undo` puts the node back once the update was made, also when a signal came.
std::optional<ConvergenceRun> run_under_load(PacketReplayer& through_node, const StreamPlan& stream,
                                             const StreamSettings& settings,
                                             const DataplaneMode::Apply& update,
                                             const std::function<double()>& cleanup,
                                             const std::function<void()>& undo,
                                             const ConvergenceRequest& request) {
  std::atomic<uint64_t> first_ns{0}, start_ns{0}, end_ns{0};
  std::atomic<bool> done{false};
  double tool_s = 0, cleanup_s = 0;
  std::exception_ptr failure;
  const auto before_ns = static_cast<uint64_t>(request.before_s * 1e9);
  const auto after_ns = static_cast<uint64_t>(request.after_s * 1e9);
  const auto lead_ns = static_cast<uint64_t>(request.lead_s * 1e9);
  std::thread updater([&] {
    leave_generator_cpus();
    while (first_ns.load() == 0 && !done.load())
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    const uint64_t due = first_ns.load() + lead_ns + before_ns;
    while (steady_now_ns() < due && !done.load() && !interrupted())
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    if (!done.load() && !interrupted()) {
      start_ns = steady_now_ns();
      try {
        tool_s = update();
        if (cleanup) cleanup_s = cleanup();
      } catch (...) {
        failure = std::current_exception();  // published by done's store below
      }
      end_ns = steady_now_ns();
    }
    done = true;
  });
  StreamLog log;
  try {
    log = through_node.stream(stream.traffic, settings, [&](uint64_t now) {
      if (first_ns.load(std::memory_order_relaxed) == 0) first_ns = now;
      if (!done.load(std::memory_order_acquire)) return true;
      return !failure && end_ns.load() != 0 && now < end_ns.load() + after_ns;
    });
  } catch (...) {
    done = true;
    updater.join();
    throw;
  }
  done = true;  // the stream ended on its own (full log, signal): the updater stops waiting
  updater.join();
  if (failure) std::rethrow_exception(failure);
  if (start_ns.load() != 0 && undo) undo();
  if (interrupted()) return std::nullopt;
  if (start_ns.load() == 0)
    throw SetupError(
        "the stream ended before the update started: the generator sent nothing; check the "
        "testbed (svcbench testbed status)");
  UpdateWindow window;
  window.start_ns = start_ns;
  window.end_ns = end_ns;
  window.before_ns = before_ns;
  window.after_ns = after_ns;
  ConvergenceRun run = analyse_stream(log, stream.roles, window);
  run.tool_seconds = tool_s;
  run.cleanup_seconds = cleanup_s;
  return run;
}

}  // namespace

const std::vector<std::string>& convergence_operations() {
  static const std::vector<std::string> ops = {"add-service", "remove-service",
                                               "change-endpoints", "full-resync"};
  return ops;
}

std::vector<ConvergenceEntry> measure_convergence(
    Node& node, DataplaneMode& mode, PacketReplayer& through_node, const ServiceSet& base,
    const SyntheticSpec& spec, const AddressPlan& plan, const std::vector<ServiceDispatch>& loaded,
    const ConvergenceRequest& request, const std::function<void(const std::string&)>& progress) {
  std::vector<ConvergenceEntry> entries;
  if (base.services.empty()) return entries;
  if (request.load_pps <= 0)
    throw UsageError("the background load must be above 0 pps: give --load-rate");
  UpdateSets sets{base, base, {}, service_to_move(base)};
  sets.grown.services.push_back(extra_service(base, spec, plan, /*prefer_udp=*/true));
  sets.moved = with_moved_endpoints(base, sets.changed, plan);
  const ServiceDispatch moved_frontend = dispatch_of(base.services[sets.changed]);

  for (const std::string& op : request.operations) {
    if (interrupted()) return entries;
    const Operation o = plan_operation(op, node, mode, sets, request.udp_conntrack_cleanup);
    ConvergenceEntry entry;
    entry.mode = mode.name();
    entry.services = base.services.size();
    entry.operation = op;
    entry.udp_conntrack_cleanup = request.udp_conntrack_cleanup;
    entry.probe = o.probe_text;
    entry.message = o.message;
    // The background: every loaded Service but the one whose endpoints move (its new flows
    // would land on endpoints the loaded dispatch does not know).
    std::vector<ServiceDispatch> background;
    for (const auto& d : loaded)
      if (!d.endpoints.empty() && d.protocol != Protocol::kSctp &&
          !(op == "change-endpoints" && same_frontend(d, moved_frontend)))
        background.push_back(d);
    auto it = request.expected_seconds.find(op);
    const double expected = it != request.expected_seconds.end() ? it->second : 1.0;
    const double window_s = request.lead_s + request.before_s + request.after_s + 2 * expected + 1;
    StreamPlan stream = plan_stream(background, o.probe ? &*o.probe : nullptr, request, window_s, plan);
    stream.load.source = request.load_source;
    entry.load = stream.load;
    StreamSettings settings;
    settings.rate_pps = static_cast<uint64_t>(std::llround(stream.total_pps));
    settings.max_packets = std::min<uint64_t>(
        kMaxLoggedPackets,
        static_cast<uint64_t>(stream.total_pps * (request.lead_s + request.before_s +
                                                  request.after_s + 3 * expected + 10)));

    double tool_total = 0;
    while (static_cast<int>(entry.runs.size()) < request.repeats && !interrupted() &&
           (entry.runs.empty() || tool_total < kRepeatBudgetSeconds)) {
      if (progress) {
        char line[160];
        std::snprintf(line, sizeof line,
                      "under load: %s, run %zu (%.0f pps background, %.0f pps probes)", op.c_str(),
                      entry.runs.size() + 1, stream.load.background_pps, stream.load.probe_pps);
        progress(line);
      }
      if (o.before_run) o.before_run();
      const uint64_t render_start = steady_now_ns();
      const DataplaneMode::Apply update = o.prepare();
      const double render_s = static_cast<double>(steady_now_ns() - render_start) / 1e9;
      node.flush_conntrack();
      SyncSteps steps;  // the update's, before the undo's sync replaces them
      const DataplaneMode::Apply timed = [&] {
        const double seconds = update();
        steps = mode.last_sync_steps();
        return seconds;
      };
      std::optional<ConvergenceRun> run =
          run_under_load(through_node, stream, settings, timed, o.cleanup, o.after_run, request);
      if (!run) return entries;
      run->render_seconds = render_s;
      run->steps = std::move(steps);
      tool_total += run->tool_seconds;
      if (run->log_full)
        entry.message = "the stream's log filled before the window ended: the timeline is cut short";
      entry.runs.push_back(std::move(*run));
    }
    if (entry.runs.empty()) return entries;
    entry.timeline_run = middle_index(entry.runs);
    for (size_t i = 0; i < entry.runs.size(); ++i)  // only one run's timeline is kept
      if (i != entry.timeline_run) entry.runs[i].timeline = Timeline{};
    entries.push_back(std::move(entry));
  }
  return entries;
}

}  // namespace svcbench
