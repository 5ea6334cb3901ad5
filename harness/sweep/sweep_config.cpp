#include "sweep_config.h"

#include <algorithm>


#include "errors.h"
#include "results_document.h"

namespace svcbench {

namespace {

nlohmann::json throughput_json(const SweepConfig& c) {
  if (!c.throughput) return nullptr;
  const SearchProfile& p = c.throughput->profile;
  nlohmann::json goals = nlohmann::json::array();
  for (const auto& g : p.goals)
    goals.push_back({{"name", g.name},
                     {"loss_ratio", g.loss_ratio},
                     {"exceed_ratio", g.exceed_ratio},
                     {"duration_sum_s", g.duration_sum_s},
                     {"relative_width", g.relative_width}});
  nlohmann::json targets = nlohmann::json::array();
  for (auto t : c.throughput_targets) targets.push_back(to_string(t));
  return {{"profile", p.name},
          {"goals", goals},
          {"trial_duration_s", p.trial_duration_s},
          {"min_load_pps", p.min_load_pps},
          {"max_search_s", p.max_search_s},
          {"burst", c.throughput->burst},
          {"late_frames_wait_ms", c.throughput->drain_ms},
          {"late_frames_quiet_ms", c.throughput->drain_quiet_ms},
          {"latency_fractions", c.throughput->latency_fractions},
          {"targets", targets}};
}

void throughput_from_json(const nlohmann::json& j, SweepConfig& c) {
  if (j.is_null()) return;
  ThroughputRequest r;
  r.profile.name = j.at("profile").get<std::string>();
  r.profile.goals.clear();
  for (const auto& g : j.at("goals"))
    r.profile.goals.push_back({g.at("name").get<std::string>(), g.at("loss_ratio").get<double>(),
                               g.at("exceed_ratio").get<double>(),
                               g.at("duration_sum_s").get<double>(),
                               g.at("relative_width").get<double>()});
  r.profile.trial_duration_s = j.at("trial_duration_s").get<double>();
  r.profile.min_load_pps = j.at("min_load_pps").get<double>();
  r.profile.max_search_s = j.at("max_search_s").get<double>();
  r.burst = j.at("burst").get<uint16_t>();
  r.drain_ms = j.at("late_frames_wait_ms").get<uint32_t>();
  r.drain_quiet_ms = j.at("late_frames_quiet_ms").get<uint32_t>();
  r.latency_fractions = j.at("latency_fractions").get<std::vector<double>>();
  c.throughput_targets.clear();
  for (const auto& t : j.at("targets")) c.throughput_targets.push_back(parse_target(t.get<std::string>()));
  c.throughput = r;
}

nlohmann::json convergence_json(const SweepConfig& c) {
  if (!c.convergence) return nullptr;
  const ConvergenceRequest& r = *c.convergence;
  return {{"operations", r.operations},     {"runs", r.repeats},
          {"load_pps", r.load_pps},         {"probe_pps", r.probe_pps},
          {"udp_conntrack_cleanup", r.udp_conntrack_cleanup},
          {"established_flows", r.established_flows},
          {"before_s", r.before_s},         {"after_s", r.after_s},
          {"lead_s", r.lead_s}};
}

void convergence_from_json(const nlohmann::json& j, SweepConfig& c) {
  if (j.is_null()) return;
  ConvergenceRequest r;
  r.operations = j.at("operations").get<std::vector<std::string>>();
  r.repeats = j.at("runs").get<int>();
  r.load_pps = j.at("load_pps").get<double>();
  r.probe_pps = j.at("probe_pps").get<double>();
  r.udp_conntrack_cleanup = j.at("udp_conntrack_cleanup").get<bool>();
  r.established_flows = j.at("established_flows").get<size_t>();
  r.before_s = j.at("before_s").get<double>();
  r.after_s = j.at("after_s").get<double>();
  r.lead_s = j.value("lead_s", r.lead_s);
  c.convergence = r;
}

template <typename T>
std::vector<std::string> texts(const std::vector<T>& values) {
  std::vector<std::string> out;
  for (const auto& v : values) out.push_back(v.str());
  return out;
}

}  // namespace

nlohmann::json endpoint_profile_json(const EndpointProfile& p) {
  nlohmann::json j = {{"name", p.name()}};
  if (p.kind() == EndpointProfile::Kind::kHistogram) {
    nlohmann::json buckets = nlohmann::json::array();
    for (const auto& b : p.buckets()) buckets.push_back({b.endpoints, b.service_ports});
    j["histogram"] = buckets;
  }
  return j;
}

namespace {

EndpointProfile endpoint_profile_from_json(const nlohmann::json& j) {
  const std::string name = j.at("name").get<std::string>();
  if (name.starts_with("file:")) {
    std::vector<EndpointProfile::Bucket> buckets;
    for (const auto& b : j.at("histogram"))
      buckets.push_back({b.at(0).get<size_t>(), b.at(1).get<uint64_t>()});
    return EndpointProfile::histogram(std::move(buckets), name.substr(5));
  }
  auto p = EndpointProfile::parse(name);
  if (!p) throw UsageError("results.json names an unknown endpoints profile '" + name + "'; cannot resume it");
  return *p;
}

// --cluster-cidr as kube-proxy takes it: "A" or a dual-stack pair "A,B".
std::string cluster_cidr_text(const IptablesOptions& o) {
  std::string text = o.cluster_cidr ? o.cluster_cidr->str() : "";
  for (const auto& c : o.more_cluster_cidrs) text += "," + c.str();
  return text;
}

void cluster_cidr_from_text(const std::string& text, IptablesOptions& o) {
  size_t start = 0;
  while (start < text.size()) {
    const size_t comma = std::min(text.find(',', start), text.size());
    if (auto c = Cidr::parse(text.substr(start, comma - start))) {
      if (!o.cluster_cidr)
        o.cluster_cidr = c;
      else
        o.more_cluster_cidrs.push_back(*c);
    }
    start = comma + 1;
  }
}

std::vector<std::string> family_names(const std::vector<IpFamily>& families) {
  std::vector<std::string> names;
  for (IpFamily f : families) names.push_back(family_name(f));
  return names;
}

// kube-proxy's flags the sweep ran with, beyond --cluster-cidr (and back, for --resume).
nlohmann::json kube_proxy_json(const IptablesOptions& o, const std::vector<std::string>& modes) {
  std::vector<std::string> node_ips = {o.node_ip.str()};
  for (const auto& ip : texts(o.more_node_ips)) node_ips.push_back(ip);
  nlohmann::json releases = nlohmann::json::object();  // what each mode's rules reproduce
  for (const auto& m : modes) releases[m] = reproduced_release(o.kube_proxy_version, m);
  return {{"version", version_name(o.kube_proxy_version)},
          {"releases", releases},
          {"nft_list", o.nft_list_every_sync ? "every-sync" : "full-syncs"},
          {"nft_split_cold_start", o.nft_cold_start_split},
          {"nft_single_endpoint_goto", o.nft_single_endpoint_goto},
          {"ipvs_sync", o.ipvs_kube_proxy_sync ? "kube-proxy" : "batched"},
          {"masquerade_all", o.masquerade_all},
          {"nodeport_addresses", texts(o.node_port_addresses)},
          {"node_ips", node_ips},
          {"localhost_nodeports", o.localhost_node_ports},
          {"service_cidrs", texts(o.service_cidrs)}};
}

void kube_proxy_from_json(const nlohmann::json& j, IptablesOptions& o) {
  o.kube_proxy_version = parse_kube_proxy_version(j.value("version", "current"))
                             .value_or(KubeProxyVersion::kCurrent);
  o.masquerade_all = j.value("masquerade_all", false);
  o.nft_list_every_sync = j.value("nft_list", std::string("every-sync")) == "every-sync";
  o.nft_cold_start_split = j.value("nft_split_cold_start", size_t{0});
  o.nft_single_endpoint_goto = j.value("nft_single_endpoint_goto", false);
  // Sweeps from before the key applied IPVS's changes batched.
  o.ipvs_kube_proxy_sync = j.value("ipvs_sync", std::string("batched")) == "kube-proxy";
  for (const auto& t : j.value("nodeport_addresses", std::vector<std::string>{}))
    if (auto c = Cidr::parse(t)) o.node_port_addresses.push_back(*c);
  const auto ips = j.value("node_ips", std::vector<std::string>{});
  for (size_t i = 0; i < ips.size(); ++i) {
    auto ip = IpAddress::parse(ips[i]);
    if (!ip) continue;
    if (i == 0)
      o.node_ip = *ip;
    else
      o.more_node_ips.push_back(*ip);
  }
  o.localhost_node_ports = j.value("localhost_nodeports", true);
  for (const auto& t : j.value("service_cidrs", std::vector<std::string>{}))
    if (auto c = Cidr::parse(t)) o.service_cidrs.push_back(*c);
}

}  // namespace

nlohmann::json program_json(const std::optional<ExternalProgram>& external) {
  if (!external) return {{"by", "svcbench"}};
  return {{"by", "external"},
          {"apply_hook", external->apply_hook},
          {"apply_limit_s", external->apply_limit_seconds}};
}


nlohmann::json config_json(const SweepConfig& c) {
  return {{"modes", c.modes},
          {"services", c.service_counts},
          {"endpoints_per_service", {c.spec.endpoints.smallest(), c.spec.endpoints.largest()}},
          {"endpoints_profile", endpoint_profile_json(c.spec.endpoints)},
          {"seed", c.spec.seed},
          {"udp_share", c.spec.udp_share},
          {"from", c.from_file},
          {"packets_per_point", c.packets},
          {"rate_pps", c.rate_pps},
          {"update_repeats", c.repeats},
          {"burst", 1},
          {"quick", c.quick},
          {"order", to_string(c.order)},
          {"order_seed", c.order_seed},
          {"warmup",
           {{"max_s", c.warmup.max_seconds},
            {"window_s", c.warmup.window_seconds},
            {"min_windows", c.warmup.min_windows},
            {"stable_windows", c.warmup.stable_windows},
            {"tolerance", c.warmup.tolerance}}},
          {"baseline_drift_tolerance", c.baseline_drift_tolerance},
          {"node", c.node_kind},
          {"vm_silence_s", c.node.vm_silence_seconds},
          {"op_limit_s", c.op_limit_seconds},
          {"uml_kernel", c.node.uml_kernel},
          {"cluster_cidr", cluster_cidr_text(c.iptables)},
          {"ip_families", family_names(c.families)},
          {"nfacct", c.iptables.nfacct},
          {"random_fully", c.iptables.random_fully},
          {"kube_proxy", kube_proxy_json(c.iptables, c.modes)},
          {"program", program_json(c.external)},
          {"throughput", throughput_json(c)},
          {"under_load", convergence_json(c)},
          {"ssh_access",
           {{"target", c.node.ssh.target},
            {"identity", c.node.ssh.identity},
            {"options", c.node.ssh.options},
            {"node_links", {c.node.ssh.in_link, c.node.ssh.out_link}}}}};
}

SweepConfig sweep_config_from_results(const std::string& directory) {
  const auto doc = ResultsDocument::load(directory);
  const auto& j = doc.json()["config"];
  SweepConfig c;
  try {
    c.modes = j.at("modes").get<std::vector<std::string>>();
    c.service_counts = j.at("services").get<std::vector<size_t>>();
    c.spec.endpoints = EndpointProfile::range(j.at("endpoints_per_service").at(0).get<size_t>(),
                                              j.at("endpoints_per_service").at(1).get<size_t>());
    if (j.contains("endpoints_profile")) c.spec.endpoints = endpoint_profile_from_json(j["endpoints_profile"]);
    c.spec.seed = j.at("seed").get<uint64_t>();
    c.spec.udp_share = j.at("udp_share").get<double>();
    c.from_file = j.at("from").get<std::string>();
    c.packets = j.at("packets_per_point").get<uint64_t>();
    c.rate_pps = j.at("rate_pps").get<uint64_t>();
    c.repeats = j.at("update_repeats").get<int>();
    c.quick = j.at("quick").get<bool>();
    // Runs from before the order was recorded measured mode after mode.
    c.order = parse_sweep_order(j.value("order", "grouped"));
    c.order_seed = j.value("order_seed", uint64_t{1});
    if (j.contains("warmup")) {
      const auto& w = j["warmup"];
      c.warmup.max_seconds = w.at("max_s").get<double>();
      c.warmup.window_seconds = w.at("window_s").get<double>();
      c.warmup.min_windows = w.at("min_windows").get<size_t>();
      c.warmup.stable_windows = w.at("stable_windows").get<size_t>();
      c.warmup.tolerance = w.at("tolerance").get<double>();
    }
    c.baseline_drift_tolerance = j.value("baseline_drift_tolerance", c.baseline_drift_tolerance);
    c.node_kind = j.value("node", kDefaultNodeKind);
    c.node.vm_silence_seconds = j.value("vm_silence_s", c.node.vm_silence_seconds);
    c.op_limit_seconds = j.value("op_limit_s", 0.0);  // sweeps from before the key had none
    c.node.uml_kernel = j.value("uml_kernel", std::string("debian"));  // before the key: Debian's
    cluster_cidr_from_text(j.at("cluster_cidr").get<std::string>(), c.iptables);
    c.families.clear();
    for (const auto& name : j.value("ip_families", std::vector<std::string>{"ipv4"}))
      c.families.push_back(name == "ipv6" ? IpFamily::kIpv6 : IpFamily::kIpv4);
    c.iptables.nfacct = j.value("nfacct", false);
    c.iptables.random_fully = j.value("random_fully", true);
    if (j.contains("kube_proxy")) kube_proxy_from_json(j["kube_proxy"], c.iptables);
    if (j.contains("throughput")) throughput_from_json(j["throughput"], c);
    if (j.contains("under_load")) convergence_from_json(j["under_load"], c);
    if (j.contains("program") && j["program"].value("by", "svcbench") == "external")
      c.external = ExternalProgram{j["program"].at("apply_hook").get<std::string>(),
                                   j["program"].at("apply_limit_s").get<double>()};
    if (j.contains("ssh_access")) {
      const auto& ssh = j["ssh_access"];
      c.node.ssh.target = ssh.value("target", "");
      c.node.ssh.identity = ssh.value("identity", "");
      c.node.ssh.options = ssh.value("options", std::vector<std::string>{});
      c.node.ssh.in_link = ssh.at("node_links").at(0).get<std::string>();
      c.node.ssh.out_link = ssh.at("node_links").at(1).get<std::string>();
    }
  } catch (const nlohmann::json::exception&) {
    throw UsageError(directory +
                     "/results.json has no complete \"config\" block; cannot resume it");
  }
  c.resume_dir = directory;
  c.out_dir = directory;
  return c;
}

}  // namespace svcbench
