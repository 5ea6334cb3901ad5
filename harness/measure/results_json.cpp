#include "results_json.h"

#include <algorithm>
#include <map>
#include <cmath>
#include <sstream>

#include "results_document.h"

namespace svcbench {

nlohmann::json latency_summary_json(const LatencyHistogram& h) {
  return {{"min", h.min()},
          {"p50", h.percentile(50)},
          {"p90", h.percentile(90)},
          {"p99", h.percentile(99)},
          {"p999", h.percentile(99.9)},
          {"max", h.max()},
          {"mean", std::round(h.mean() * 10) / 10}};
}

nlohmann::json replay_json(const ReplayResult& r, bool with_cdf) {
  nlohmann::json j = {
      {"packets_tx", r.tx},         {"packets_rx", r.rx},
      {"packets_lost", r.lost},     {"duplicates", r.duplicates},
      {"reordered", r.reordered},   {"misrouted", r.misrouted},
      {"foreign", r.foreign},       {"tx_failed", r.tx_failed},
      {"unsent", r.unsent},
      {"seconds", r.seconds},       {"tx_pps", std::round(r.tx_pps())},
      {"rx_seconds", r.rx_seconds}, {"rx_pps", std::round(r.rx_pps())},
      {"saturated", r.saturated()}, {"latency_ns", latency_summary_json(r.latency)},
      {"rx_clock", r.rx_clock},     {"endpoint_spread_max_deviation", r.worst_spread_deviation()}};
  if (with_cdf) {
    nlohmann::json points = nlohmann::json::array();
    for (const auto& [value_ns, fraction] : r.latency.cdf()) points.push_back({value_ns, fraction});
    j["latency_cdf"] = std::move(points);
  }
  return j;
}

nlohmann::json to_json(const LatencyEntry& e) {
  nlohmann::json j = replay_json(e.replay, e.with_cdf);
  j["mode"] = e.mode;
  j["services"] = e.services;
  j["ip_family"] = family_name(e.ip_family);
  j["phase"] = to_string(e.phase);
  j["target"] = e.target;
  if (e.target_positions) j["target_positions"] = *e.target_positions;
  if (e.target_endpoints) j["target_endpoints"] = *e.target_endpoints;
  if (e.pcap_skipped_packets) j["pcap_skipped_packets"] = *e.pcap_skipped_packets;
  nlohmann::json buckets = nlohmann::json::array();  // every packet's latency, grouped
  for (const auto& [value_ns, count] : e.replay.latency.buckets()) buckets.push_back({value_ns, count});
  j["latency_histogram"] = std::move(buckets);
  return j;
}

namespace {

double median_of(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

// Per step (in the order the syncs ran them): the median over the runs that had it of its
// wall seconds and its user and kernel CPU seconds (null where the node could not say).
nlohmann::json steps_json(const std::vector<SyncSteps>& runs) {
  std::vector<std::string> order;
  std::map<std::string, std::vector<const SyncStep*>> by_name;
  for (const auto& run : runs) {
    // A step only some runs had (a stale-chain transaction) goes where its run had it.
    auto at = order.begin();
    for (const auto& step : run) {
      auto found = std::find(order.begin(), order.end(), step.name);
      at = found != order.end() ? found + 1 : order.insert(at, step.name) + 1;
      by_name[step.name].push_back(&step);
    }
  }
  nlohmann::json out = nlohmann::json::array();
  for (const auto& name : order) {
    std::vector<double> wall, user, system;
    int invocations = 0;
    bool cpu_known = true;
    for (const SyncStep* st : by_name[name]) {
      wall.push_back(st->seconds);
      cpu_known = cpu_known && st->user_seconds >= 0 && st->system_seconds >= 0;
      user.push_back(st->user_seconds);
      system.push_back(st->system_seconds);
      invocations = std::max(invocations, st->invocations);
    }
    nlohmann::json j = {{"name", name},
                        {"seconds", median_of(wall)},
                        {"user_seconds", cpu_known ? nlohmann::json(median_of(user)) : nlohmann::json()},
                        {"system_seconds", cpu_known ? nlohmann::json(median_of(system)) : nlohmann::json()},
                        {"invocations", invocations},
                        {"runs", wall.size()}};
    out.push_back(std::move(j));
  }
  return out;
}

}  // namespace

nlohmann::json to_json(const UpdateEntry& e) {
  nlohmann::json seconds = {{"median", nullptr}, {"min", nullptr}, {"max", nullptr}, {"runs", 0}};
  if (!e.seconds.empty()) {
    std::vector<double> v = e.seconds;
    std::sort(v.begin(), v.end());
    const double median =
        v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
    seconds = {{"median", median}, {"min", v.front()}, {"max", v.back()}, {"runs", v.size()},
               {"values", e.seconds}};  // in the order they ran
  }
  nlohmann::json j = {{"mode", e.mode},
                      {"services", e.services},
                      {"ip_family", family_name(e.ip_family)},
                      {"operation", e.operation},
                      {"seconds", seconds}};
  if (!e.steps.empty()) {
    // The sync as kube-proxy waits for it: every step's seconds, per run.
    std::vector<double> totals;
    for (const auto& run : e.steps) totals.push_back(sync_seconds(run));
    j["sync_seconds"] = {{"median", median_of(totals)},
                         {"min", *std::min_element(totals.begin(), totals.end())},
                         {"max", *std::max_element(totals.begin(), totals.end())},
                         {"values", totals}};
    j["steps"] = steps_json(e.steps);
  }
  return j;
}

nlohmann::json to_json(const ThroughputEntry& e) {
  auto pps = [](double v) { return std::round(v); };
  nlohmann::json goals = nlohmann::json::object();
  for (const auto& g : e.search.goals) {
    nlohmann::json j = {{"loss_ratio", g.goal.loss_ratio},
                        {"exceed_ratio", g.goal.exceed_ratio},
                        {"duration_sum_s", g.goal.duration_sum_s},
                        {"relative_width", g.goal.relative_width},
                        {"lower_pps", pps(g.lower_pps)},
                        {"upper_pps", nullptr},
                        {"conditional_pps", pps(g.conditional_pps)},
                        {"at_max_load", g.at_max_load},
                        {"below_min_load", g.below_min_load}};
    if (g.upper_pps) j["upper_pps"] = pps(*g.upper_pps);
    goals[g.goal.name] = std::move(j);
  }
  nlohmann::json trials = nlohmann::json::array();
  for (const auto& t : e.search.trials)
    trials.push_back({t.load_pps, t.offered, t.received});
  nlohmann::json loaded = nlohmann::json::array();
  for (const auto& l : e.latency_at_load) {
    nlohmann::json j = replay_json(l.replay, false);
    j["fraction"] = l.fraction;
    j["rate_pps"] = pps(l.rate_pps);
    j["burst"] = l.burst;
    loaded.push_back(std::move(j));
  }
  nlohmann::json j = {
      {"mode", e.mode},
      {"services", e.services},
      {"ip_family", family_name(e.ip_family)},
      {"phase", to_string(e.phase)},
      {"target", e.target},
      {"goals", goals},
      {"generator_max_pps", pps(e.generator_max.pps)},
      {"generator_max_measured", e.generator_max.measured_on},
      {"max_load_pps", pps(e.max_load_pps)},
      {"cpu_ns_per_packet", nullptr},
      {"cpu_counted", e.cpu_counted},
      {"latency_at_load", loaded},
      {"search",
       {{"trials", e.search.trials.size()},
        {"trial_seconds", e.search.trial_seconds},
        {"wall_seconds", std::round(e.search_wall_seconds * 10) / 10},
        {"burst", e.burst},
        {"late_frames_wait_ms", e.drain_ms},
        {"late_frames_quiet_ms", e.drain_quiet_ms},
        {"stopped", e.search.stopped},
        {"time_limited", e.search.time_limited},
        {"trial_log", trials}}}};
  if (!e.max_load_reason.empty()) j["max_load_reason"] = e.max_load_reason;
  if (e.target_positions) j["target_positions"] = *e.target_positions;
  if (e.cpu_ns_per_packet) j["cpu_ns_per_packet"] = std::round(*e.cpu_ns_per_packet * 10) / 10;
  if (!e.message.empty()) j["message"] = e.message;
  return j;
}

nlohmann::json generator_json(const DpdkEnvironment& env) {
  nlohmann::json ports = nlohmann::json::array();
  for (const auto& p : env.started_ports())
    ports.push_back(
        {{"name", p.name}, {"driver", p.driver}, {"socket", p.socket}, {"rx_clock", p.rx_clock}});
  return {{"lcores", env.lcores()}, {"ports", ports}, {"tsc_hz", env.tsc_hz()}};
}

nlohmann::json to_json(const LimitReachedEntry& e) {
  nlohmann::json j = {{"mode", e.mode},
                      {"services", e.services},
                      {"ip_family", family_name(e.ip_family)},
                      {"outcome", e.outcome},
                      {"operation", e.operation},
                      {"limit_s", e.limit_seconds},
                      {"reason", e.reason}};
  if (e.elapsed_seconds >= 0) j["elapsed_s"] = e.elapsed_seconds;
  if (!e.stopped_tool.empty()) j["stopped_tool"] = e.stopped_tool;
  if (e.outcome != "skipped") j["steps_done"] = steps_json({e.steps_done});
  if (e.predicted_seconds >= 0) j["predicted_s"] = e.predicted_seconds;
  return j;
}

nlohmann::json to_json(const KernelWarningsEntry& e) {
  return {{"mode", e.mode},
          {"services", e.services},
          {"ip_family", family_name(e.ip_family)},
          {"lines", e.lines}};
}

nlohmann::json to_json(const WarmupResult& w) {
  return {{"stable", w.stable},
          {"seconds", std::round(w.seconds * 10) / 10},
          {"window_packets", w.window_packets},
          {"window_p50_ns", w.window_p50_ns}};
}

nlohmann::json stats_json(const std::vector<double>& values) {
  if (values.empty()) return nullptr;
  return {{"p50", percentile_of(values, 50)},
          {"p99", percentile_of(values, 99)},
          {"max", percentile_of(values, 100)},
          {"runs", values.size()}};
}

nlohmann::json to_json(const ConvergenceEntry& e) {
  std::vector<double> tool, update, render, cleanup, convergence, margin, stale, udp_stale, blocked;
  std::vector<SyncSteps> steps;
  uint64_t sent = 0, lost = 0, misrouted = 0, probe_misrouted = 0, lag = 0, still_stale = 0;
  LatencyHistogram before, during;
  nlohmann::json per_run = nlohmann::json::array();
  auto opt = [](const std::optional<double>& v) -> nlohmann::json {
    return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
  };
  for (const auto& r : e.runs) {
    tool.push_back(r.tool_seconds);
    if (!r.steps.empty()) steps.push_back(r.steps);
    update.push_back(r.update_seconds);
    render.push_back(r.render_seconds);
    cleanup.push_back(r.cleanup_seconds);
    if (r.convergence_seconds) {
      convergence.push_back(*r.convergence_seconds);
      margin.push_back(*r.convergence_seconds - r.tool_seconds);
    }
    if (r.stale_seconds) stale.push_back(*r.stale_seconds);
    if (r.udp_stale_seconds) udp_stale.push_back(*r.udp_stale_seconds);
    blocked.push_back(r.blocked_seconds);
    sent += r.background_sent;
    lost += r.background_lost;
    misrouted += r.background_misrouted;
    probe_misrouted += r.probe_misrouted;
    lag = std::max(lag, r.max_lag_ns);
    still_stale += r.udp_still_stale ? 1 : 0;
    before.merge(r.latency_before);
    during.merge(r.latency_during);
    per_run.push_back({{"tool_s", r.tool_seconds},
                       {"update_s", r.update_seconds},
                       {"render_s", r.render_seconds},
                       {"cleanup_s", r.cleanup_seconds},
                       {"convergence_s", opt(r.convergence_seconds)},
                       {"stale_s", opt(r.stale_seconds)},
                       {"udp_stale_s", opt(r.udp_stale_seconds)},
                       {"udp_still_stale", r.udp_still_stale},
                       {"blocked_s", r.blocked_seconds},
                       {"background_sent", r.background_sent},
                       {"background_lost", r.background_lost}});
  }
  nlohmann::json j = {
      {"mode", e.mode},
      {"services", e.services},
      {"ip_family", family_name(e.ip_family)},
      {"operation", e.operation},
      {"runs", e.runs.size()},
      {"load",
       {{"background_pps", std::round(e.load.background_pps)},
        {"new_flow_pps", std::round(e.load.new_flow_pps)},
        {"established_pps", std::round(e.load.established_pps)},
        {"established_flows", e.load.established_flows},
        {"new_flow_services", e.load.new_flow_services},
        {"probe_pps", std::round(e.load.probe_pps)},
        {"source", e.load.source}}},
      {"udp_conntrack_cleanup", e.udp_conntrack_cleanup},
      {"probe", e.probe},
      {"tool_seconds", stats_json(tool)},
      {"steps", steps_json(steps)},
      {"update_seconds", stats_json(update)},
      {"render_seconds", stats_json(render)},
      {"cleanup_seconds", stats_json(cleanup)},
      {"convergence_seconds", stats_json(convergence)},
      // Convergence minus the tool's own time, smallest over runs: below minus the probe
      // interval means a wrong clock or a wrong probe.
      {"convergence_minus_tool_min_s",
       margin.empty() ? nlohmann::json(nullptr)
                      : nlohmann::json(*std::min_element(margin.begin(), margin.end()))},
      {"network_programming_buckets",
       {{"le", network_programming_buckets()}, {"counts", bucket_counts(convergence)}}},
      {"stale_seconds", stats_json(stale)},
      {"udp_stale_seconds", stats_json(udp_stale)},
      {"udp_still_stale_runs", still_stale},
      {"blocked_seconds", stats_json(blocked)},
      {"background_sent", sent},
      {"background_lost", lost},
      {"background_misrouted", misrouted},
      {"probe_misrouted", probe_misrouted},
      {"max_send_lag_ms", static_cast<double>(lag) / 1e6},
      {"background_latency_ns",
       {{"before", latency_summary_json(before)}, {"during", latency_summary_json(during)}}},
      {"per_run", per_run}};
  if (!e.runs.empty()) {
    const Timeline& t = e.runs.at(e.timeline_run).timeline;
    j["timeline"] = {{"run", e.timeline_run},     {"first_bin_s", t.first_bin_s},
                     {"bin_ms", t.bin_ms},         {"sent", t.sent},
                     {"received", t.received},     {"lost", t.lost},
                     {"p50_ns", t.p50_ns},         {"p99_ns", t.p99_ns},
                     {"probe_added", t.probe_added}, {"probe_removed", t.probe_removed}};
  }
  if (!e.message.empty()) j["message"] = e.message;
  return j;
}

std::string summary_csv(const nlohmann::json& doc) {
  static const std::vector<std::string> columns = {
      "kind", "mode", "ip_family", "services", "phase", "target", "operation", "packets_tx", "packets_rx",
      "packets_lost", "min_ns", "p50_ns", "p90_ns", "p99_ns", "p999_ns", "max_ns", "mean_ns",
      "median_s", "min_s", "max_s", "runs", "ndr_lower_pps", "ndr_upper_pps",
      "ndr_conditional_pps", "pdr_lower_pps", "pdr_upper_pps", "pdr_conditional_pps",
      "generator_max_pps", "cpu_ns_per_packet", "convergence_p50_s", "convergence_p99_s",
      "stale_p99_s", "udp_stale_p99_s", "blocked_max_s", "background_pps"};
  std::ostringstream out;
  for (size_t i = 0; i < columns.size(); ++i) out << (i ? "," : "") << columns[i];
  out << "\n";
  auto num = [](const nlohmann::json& j, const char* k) -> std::string {
    if (!j.is_object() || !j.contains(k) || j[k].is_null()) return "";
    return j[k].dump();
  };
  auto row = [&](const std::map<std::string, std::string>& fields) {
    for (size_t i = 0; i < columns.size(); ++i) {
      auto it = fields.find(columns[i]);
      out << (i ? "," : "") << (it == fields.end() ? "" : it->second);
    }
    out << "\n";
  };
  auto point = [&](const nlohmann::json& e, const std::string& kind) {
    return std::map<std::string, std::string>{{"kind", kind},
                                              {"mode", e.value("mode", "")},
                                              {"ip_family", e.value("ip_family", "ipv4")},
                                              {"services", num(e, "services")},
                                              {"phase", e.value("phase", "")},
                                              {"target", e.value("target", "")},
                                              {"operation", e.value("operation", "")}};
  };
  auto latency_row = [&](const nlohmann::json& e, const std::string& kind) {
    auto f = point(e, kind);
    const auto& l = e["latency_ns"];
    for (const char* k : {"packets_tx", "packets_rx", "packets_lost"}) f[k] = num(e, k);
    for (const char* k : {"min", "p50", "p90", "p99", "p999", "max", "mean"})
      f[std::string(k) + "_ns"] = num(l, k);
    row(f);
  };
  for (IpFamily family : {IpFamily::kIpv4, IpFamily::kIpv6}) {  // each row says its ip_family
    const std::string start = baseline_key("baseline", family);
    const std::string end = baseline_key("baseline_end", family);
    if (doc.contains(start) && doc[start].is_object()) latency_row(doc[start], "baseline");
    if (doc.contains(end) && doc[end].is_object()) latency_row(doc[end], "baseline-end");
  }
  for (const auto& e : doc.value("latency", nlohmann::json::array())) latency_row(e, "latency");
  for (const auto& e : doc.value("updates", nlohmann::json::array())) {
    auto f = point(e, "update");
    const auto& s = e["seconds"];
    f["median_s"] = num(s, "median");
    f["min_s"] = num(s, "min");
    f["max_s"] = num(s, "max");
    f["runs"] = num(s, "runs");
    row(f);
  }
  for (const auto& e : doc.value("throughput", nlohmann::json::array())) {
    auto f = point(e, "throughput");
    const auto& g = e["goals"];
    for (const char* goal : {"ndr", "pdr"})
      for (const char* k : {"lower_pps", "upper_pps", "conditional_pps"})
        f[std::string(goal) + "_" + k] = g.contains(goal) ? num(g[goal], k) : "";
    f["generator_max_pps"] = num(e, "generator_max_pps");
    f["cpu_ns_per_packet"] = num(e, "cpu_ns_per_packet");
    row(f);
  }
  for (const auto& e : doc.value("convergence", nlohmann::json::array())) {
    auto f = point(e, "convergence");
    const auto& tool = e["tool_seconds"];
    f["median_s"] = num(tool, "p50");
    f["max_s"] = num(tool, "max");
    f["runs"] = num(e, "runs");
    f["convergence_p50_s"] = num(e["convergence_seconds"], "p50");
    f["convergence_p99_s"] = num(e["convergence_seconds"], "p99");
    f["stale_p99_s"] = num(e["stale_seconds"], "p99");
    f["udp_stale_p99_s"] = num(e["udp_stale_seconds"], "p99");
    f["blocked_max_s"] = num(e["blocked_seconds"], "max");
    f["background_pps"] = num(e["load"], "background_pps");
    row(f);
  }
  return out.str();
}

}  // namespace svcbench
