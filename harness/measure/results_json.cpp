#include "results_json.h"

#include <algorithm>
#include <cmath>
#include <sstream>

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
  j["phase"] = to_string(e.phase);
  j["target"] = e.target;
  if (e.target_positions) j["target_positions"] = *e.target_positions;
  if (e.pcap_skipped_packets) j["pcap_skipped_packets"] = *e.pcap_skipped_packets;
  return j;
}

nlohmann::json to_json(const UpdateEntry& e) {
  nlohmann::json seconds = {{"median", nullptr}, {"min", nullptr}, {"max", nullptr}, {"runs", 0}};
  if (!e.seconds.empty()) {
    std::vector<double> v = e.seconds;
    std::sort(v.begin(), v.end());
    const double median =
        v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
    seconds = {{"median", median}, {"min", v.front()}, {"max", v.back()}, {"runs", v.size()}};
  }
  return {
      {"mode", e.mode}, {"services", e.services}, {"operation", e.operation}, {"seconds", seconds}};
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

std::string summary_csv(const nlohmann::json& doc) {
  std::ostringstream out;
  out << "kind,mode,services,phase,target,operation,packets_tx,packets_rx,packets_lost,"
         "min_ns,p50_ns,p90_ns,p99_ns,p999_ns,max_ns,mean_ns,median_s,min_s,max_s,runs,"
         "ndr_lower_pps,ndr_upper_pps,ndr_conditional_pps,pdr_lower_pps,pdr_upper_pps,"
         "pdr_conditional_pps,generator_max_pps,cpu_ns_per_packet\n";
  auto num = [](const nlohmann::json& j, const char* k) -> std::string {
    if (!j.contains(k) || j[k].is_null()) return "";
    return j[k].dump();
  };
  auto latency_row = [&](const nlohmann::json& e, const std::string& kind) {
    const auto& l = e["latency_ns"];
    out << kind << "," << e.value("mode", "") << "," << num(e, "services") << ","
        << e.value("phase", "") << "," << e.value("target", "") << ",," << num(e, "packets_tx")
        << "," << num(e, "packets_rx") << "," << num(e, "packets_lost") << "," << num(l, "min")
        << "," << num(l, "p50") << "," << num(l, "p90") << "," << num(l, "p99") << ","
        << num(l, "p999") << "," << num(l, "max") << "," << num(l, "mean") << ",,,,,,,,,,,,\n";
  };
  if (doc.contains("baseline") && doc["baseline"].is_object())
    latency_row(doc["baseline"], "baseline");
  for (const auto& e : doc.value("latency", nlohmann::json::array())) latency_row(e, "latency");
  for (const auto& e : doc.value("updates", nlohmann::json::array())) {
    const auto& s = e["seconds"];
    out << "update," << e.value("mode", "") << "," << num(e, "services") << ",,,"
        << e.value("operation", "") << ",,,,,,,,,,," << num(s, "median") << "," << num(s, "min")
        << "," << num(s, "max") << "," << num(s, "runs") << ",,,,,,,,\n";
  }
  for (const auto& e : doc.value("throughput", nlohmann::json::array())) {
    const auto& g = e["goals"];
    auto goal = [&](const char* name, const char* key) {
      return g.contains(name) ? num(g[name], key) : std::string();
    };
    out << "throughput," << e.value("mode", "") << "," << num(e, "services") << ","
        << e.value("phase", "") << "," << e.value("target", "") << ",,,,,,,,,,,,,,,,"
        << goal("ndr", "lower_pps") << "," << goal("ndr", "upper_pps") << ","
        << goal("ndr", "conditional_pps") << "," << goal("pdr", "lower_pps") << ","
        << goal("pdr", "upper_pps") << "," << goal("pdr", "conditional_pps") << ","
        << num(e, "generator_max_pps") << "," << num(e, "cpu_ns_per_packet") << "\n";
  }
  return out.str();
}

}  // namespace svcbench
