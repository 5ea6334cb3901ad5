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

nlohmann::json generator_json(const DpdkEnvironment& env) {
  nlohmann::json ports = nlohmann::json::array();
  for (const auto& p : env.started_ports())
    ports.push_back(
        {{"name", p.name}, {"driver", p.driver}, {"socket", p.socket}, {"rx_clock", p.rx_clock}});
  return {{"lcores", env.lcores()}, {"ports", ports}};
}

std::string summary_csv(const nlohmann::json& doc) {
  std::ostringstream out;
  out << "kind,mode,services,phase,target,operation,packets_tx,packets_rx,packets_lost,"
         "min_ns,p50_ns,p90_ns,p99_ns,p999_ns,max_ns,mean_ns,median_s,min_s,max_s,runs\n";
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
        << num(l, "p999") << "," << num(l, "max") << "," << num(l, "mean") << ",,,,\n";
  };
  if (doc.contains("baseline") && doc["baseline"].is_object())
    latency_row(doc["baseline"], "baseline");
  for (const auto& e : doc.value("latency", nlohmann::json::array())) latency_row(e, "latency");
  for (const auto& e : doc.value("updates", nlohmann::json::array())) {
    const auto& s = e["seconds"];
    out << "update," << e.value("mode", "") << "," << num(e, "services") << ",,,"
        << e.value("operation", "") << ",,,,,,,,,,," << num(s, "median") << "," << num(s, "min")
        << "," << num(s, "max") << "," << num(s, "runs") << "\n";
  }
  return out.str();
}

}  // namespace svcbench
