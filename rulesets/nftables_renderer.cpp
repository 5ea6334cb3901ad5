#include "nftables_renderer.h"

#include <algorithm>
#include <map>
#include <tuple>

#include "chain_names.h"
#include "endpoint_categories.h"

namespace svcbench {
namespace {

std::string element_line(const std::string& table, const char* verb, const NftablesElement& e,
                         bool with_value) {
  std::string s = std::string(verb) + " element " + table + " " + e.container + " { " + e.key;
  if (with_value && !e.comment.empty()) s += " comment \"" + e.comment + "\"";
  if (with_value && !e.value.empty()) s += " : " + e.value;
  return s + " }";
}

}  // namespace

std::string nftables_name_base(const std::string& name) {
  std::string base = sha256_base32_16(name).substr(0, 8) + "-" + name;
  constexpr size_t kMax = 256 - 16;  // knftables.NameLengthMax - longest prefix
  if (base.size() > kMax) base = base.substr(0, kMax - 3) + "...";
  return base;
}

std::string nftables_table(IpFamily family) {
  return family == IpFamily::kIpv6 ? "ip6 kube-proxy" : "ip kube-proxy";
}

NftablesRuleset build_nftables(const ServiceSet& set, const NftablesOptions& opt) {
  NftablesRuleset rs;
  rs.table = nftables_table(opt.ip_family);
  const std::string& table = rs.table;
  auto add_rule = [&](const std::string& chain, const std::string& rule) {
    return "add rule " + table + " " + chain + " " + rule;
  };
  auto add_chain = [&](const std::string& chain) { return "add chain " + table + " " + chain; };
  // setupNFTables' ipX, ipvX_addr and noLocalhost.
  const bool v6 = opt.ip_family == IpFamily::kIpv6;
  const std::string ipx = v6 ? "ip6" : "ip";
  const std::string addr_type = v6 ? "ipv6_addr" : "ipv4_addr";
  const std::string no_localhost = v6 ? "ip6 daddr != ::1" : "ip daddr != 127.0.0.0/8";
  const bool match_all = opt.nodeports_on_every_address();
  auto& objs = rs.table_objects;
  objs.push_back("add table " + table + " { comment \"rules for kube-proxy\" ; }");
  // nftablesBaseChains: kube-proxy 1.34+ filters pre-DNAT destinations in two chains at
  // DNAT-10 and the rest at 0 (kubernetes PR #132456); 1.31-1.33 ran every filter chain at
  // DNAT-10 and the ClusterIP check after DNAT, in filter-output-post-dnat at DNAT+10.
  struct Base {
    const char* name;
    const char* spec;
  };
  static constexpr Base kBase[] = {
      {"filter-prerouting-pre-dnat", "{ type filter hook prerouting priority -110 ; }"},
      {"filter-output-pre-dnat", "{ type filter hook output priority -110 ; }"},
      {"filter-forward", "{ type filter hook forward priority 0 ; }"},
      {"filter-input", "{ type filter hook input priority 0 ; }"},
      {"filter-output", "{ type filter hook output priority 0 ; }"},
      {"nat-output", "{ type nat hook output priority -100 ; }"},
      {"nat-postrouting", "{ type nat hook postrouting priority 100 ; }"},
      {"nat-prerouting", "{ type nat hook prerouting priority -100 ; }"},
  };
  static constexpr Base kBase133[] = {  // in 1.33's nftablesBaseChains order
      {"filter-prerouting", "{ type filter hook prerouting priority -110 ; }"},
      {"filter-input", "{ type filter hook input priority -110 ; }"},
      {"filter-forward", "{ type filter hook forward priority -110 ; }"},
      {"filter-output", "{ type filter hook output priority -110 ; }"},
      {"filter-output-post-dnat", "{ type filter hook output priority -90 ; }"},
      {"nat-prerouting", "{ type nat hook prerouting priority -100 ; }"},
      {"nat-output", "{ type nat hook output priority -100 ; }"},
      {"nat-postrouting", "{ type nat hook postrouting priority 100 ; }"},
  };
  const bool v1_33 = opt.kube_proxy_version == KubeProxyVersion::k1_33;
  for (const auto& b : v1_33 ? kBase133 : kBase) {
    objs.push_back(add_chain(b.name) + " " + b.spec);
    rs.base_chains.push_back(b.name);
  }
  for (const char* c : {"nodeport-endpoints-check", "service-endpoints-check", "firewall-check",
                        "services", "masquerading", "cluster-ips-check", "mark-for-masquerade"}) {
    objs.push_back(add_chain(c));
    rs.base_chains.push_back(c);
  }
  objs.push_back(add_chain("reject-chain") + " { comment \"helper for @no-endpoint-services / @no-endpoint-nodeports\" ; }");
  rs.base_chains.push_back("reject-chain");
  objs.push_back("add set " + table + " cluster-ips { type " + addr_type + " ; comment \"Active ClusterIPs\" ; }");
  if (!match_all)
    objs.push_back("add set " + table + " nodeport-ips { type " + addr_type + " ; comment \"IPs that accept NodePort traffic\" ; }");
  objs.push_back("add map " + table + " no-endpoint-services { type " + addr_type + " . inet_proto . inet_service : verdict ; comment \"vmap to drop or reject packets to services with no endpoints\" ; }");
  objs.push_back("add map " + table + " no-endpoint-nodeports { type inet_proto . inet_service : verdict ; comment \"vmap to drop or reject packets to service nodeports with no endpoints\" ; }");
  objs.push_back("add map " + table + " firewall-ips { type " + addr_type + " . inet_proto . inet_service : verdict ; comment \"destinations that are subject to LoadBalancerSourceRanges\" ; }");
  objs.push_back("add map " + table + " service-ips { type " + addr_type + " . inet_proto . inet_service : verdict ; comment \"ClusterIP, ExternalIP and LoadBalancer IP traffic\" ; }");
  objs.push_back("add map " + table + " service-nodeports { type inet_proto . inet_service : verdict ; comment \"NodePort traffic\" ; }");

  auto& fixed = rs.fixed_rules;
  // nftablesJumpChains, in kube-proxy's order.
  fixed.push_back(add_rule("filter-input", "ct state new jump nodeport-endpoints-check"));
  fixed.push_back(add_rule("filter-input", "ct state new jump service-endpoints-check"));
  fixed.push_back(add_rule("filter-forward", "ct state new jump service-endpoints-check"));
  fixed.push_back(add_rule("filter-output", "ct state new jump service-endpoints-check"));
  fixed.push_back(add_rule(v1_33 ? "filter-prerouting" : "filter-prerouting-pre-dnat", "ct state new jump firewall-check"));
  fixed.push_back(add_rule(v1_33 ? "filter-output" : "filter-output-pre-dnat", "ct state new jump firewall-check"));
  fixed.push_back(add_rule("nat-output", "jump services"));
  fixed.push_back(add_rule("nat-prerouting", "jump services"));
  fixed.push_back(add_rule("nat-postrouting", "jump masquerading"));
  fixed.push_back(add_rule("filter-forward", "ct state new jump cluster-ips-check"));
  fixed.push_back(add_rule(v1_33 ? "filter-output-post-dnat" : "filter-output", "ct state new jump cluster-ips-check"));
  fixed.push_back(add_rule("mark-for-masquerade", "mark set mark or " + opt.masquerade_mark));
  fixed.push_back(add_rule("masquerading", "mark and " + opt.masquerade_mark + " == 0 return"));
  fixed.push_back(add_rule("masquerading", "mark set mark xor " + opt.masquerade_mark));
  fixed.push_back(add_rule("masquerading", "masquerade fully-random"));
  fixed.push_back(add_rule("cluster-ips-check", ipx + " daddr @cluster-ips reject comment \"Reject traffic to invalid ports of ClusterIPs\""));
  if (!opt.service_cidrs.empty()) {
    std::string cidrs;
    for (const auto& c : opt.service_cidrs) cidrs += (cidrs.empty() ? "" : ",") + c.str();
    fixed.push_back(add_rule("cluster-ips-check", ipx + " daddr { " + cidrs + " } drop comment \"Drop traffic to unallocated ClusterIPs\""));
  }
  fixed.push_back(add_rule("reject-chain", "reject"));
  fixed.push_back(add_rule("service-endpoints-check", ipx + " daddr . meta l4proto . th dport vmap @no-endpoint-services"));
  if (match_all)
    fixed.push_back(add_rule("nodeport-endpoints-check", no_localhost + " meta l4proto . th dport vmap @no-endpoint-nodeports"));
  else
    fixed.push_back(add_rule("nodeport-endpoints-check", ipx + " daddr @nodeport-ips meta l4proto . th dport vmap @no-endpoint-nodeports"));
  fixed.push_back(add_rule("firewall-check", ipx + " daddr . meta l4proto . th dport vmap @firewall-ips"));
  fixed.push_back(add_rule("services", ipx + " daddr . meta l4proto . th dport vmap @service-ips"));
  if (match_all)
    fixed.push_back(add_rule("services", "fib daddr type local " + no_localhost + " meta l4proto . th dport vmap @service-nodeports"));
  else
    fixed.push_back(add_rule("services", ipx + " daddr @nodeport-ips meta l4proto . th dport vmap @service-nodeports"));
  for (const auto& ip : opt.nodeport_ips())  // localhost NodePorts: never in nftables mode
    if (!ip.is_loopback()) rs.fixed_elements.push_back({"nodeport-ips", ip.str(), "", ""});

  const std::optional<Cidr> detector = opt.local_detector();
  const std::string if_local = detector ? ipx + " saddr " + detector->str() : "";
  const std::string if_not_local = detector ? ipx + " saddr != " + detector->str() : "";

  struct Ref {
    const Service* svc;
    const ServicePort* port;
    std::string name;
  };
  std::vector<Ref> refs;
  for (const auto& s : set.services)
    for (const auto& p : s.ports) refs.push_back({&s, &p, s.port_name(p)});
  std::sort(refs.begin(), refs.end(), [](const Ref& a, const Ref& b) { return a.name < b.name; });

  for (const Ref& ref : refs) {
    const Service& svc = *ref.svc;
    const ServicePort& port = *ref.port;
    const std::string protocol = lowercase(port.protocol);
    const std::string port_text = std::to_string(port.port);
    const std::string base = nftables_name_base(svc.namespace_name + "/" + svc.name + "/" + protocol + "/" + port.name);
    const std::string cluster_chain = "service-" + base;
    const std::string local_chain = "local-" + base;
    const std::string ext_chain = "external-" + base;
    const std::string fw_chain = "firewall-" + base;

    std::vector<std::pair<std::string, const Endpoint*>> keyed;
    for (const auto& e : port.endpoints) keyed.emplace_back(e.str(), &e);
    std::sort(keyed.begin(), keyed.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<const Endpoint*> endpoints;
    for (auto& k : keyed) endpoints.push_back(k.second);

    const bool accessible = svc.externally_accessible(port);
    const bool external_local = svc.external_policy_local(port);
    const EndpointCategories cat = categorize_endpoints(svc, port, endpoints);
    const auto& cluster_eps = cat.cluster;
    const auto& local_eps = cat.local;
    const auto& reachable = cat.all_reachable;
    const bool has_endpoints = cat.has_any;
    const bool uses_cluster = cat.uses_cluster;
    const bool uses_local = cat.uses_local;
    auto endpoint_base = [&](const Endpoint* e) {
      // Colons are not allowed in chain names: an IPv6 endpoint's become dots.
      std::string address = e->address.str();
      std::replace(address.begin(), address.end(), ':', '.');
      return nftables_name_base(svc.namespace_name + "/" + svc.name + "/" + protocol + "/" + port.name +
                                "__" + address + "/" + std::to_string(e->port));
    };

    const bool uses_cluster_chain = !cluster_eps.empty() && uses_cluster;
    const bool uses_local_chain = !local_eps.empty() && uses_local;
    std::string internal_chain = cluster_chain;
    bool has_internal = has_endpoints;
    if (svc.internal_policy_local()) {
      internal_chain = local_chain;
      if (local_eps.empty()) has_internal = false;
    }
    std::string external_policy_chain = cluster_chain;
    bool has_external = has_endpoints;
    if (external_local) {
      external_policy_chain = local_chain;
      if (local_eps.empty()) has_external = false;
    }
    const bool uses_ext_chain = has_endpoints && accessible;
    std::string internal_verdict, external_verdict;
    if (!has_endpoints) {
      internal_verdict = external_verdict = "goto reject-chain";
    } else {
      if (!has_internal) internal_verdict = "drop";
      if (!has_external) external_verdict = "drop";
    }

    auto& el = rs.elements;
    const std::string cip = svc.cluster_ip.str();
    el.push_back({"cluster-ips", cip, "", ""});
    if (has_internal) el.push_back({"service-ips", cip + " . " + protocol + " . " + port_text, "", "goto " + internal_chain});
    else el.push_back({"no-endpoint-services", cip + " . " + protocol + " . " + port_text, ref.name, internal_verdict});
    for (const auto& ip : svc.external_ips) {
      const std::string key = ip.str() + " . " + protocol + " . " + port_text;
      if (has_endpoints) el.push_back({"service-ips", key, "", "goto " + ext_chain});
      if (!has_external) el.push_back({"no-endpoint-services", key, ref.name, external_verdict});
    }
    const bool uses_fw_chain = !svc.load_balancer_ips.empty() && !svc.load_balancer_source_ranges.empty();
    for (const auto& ip : svc.load_balancer_ips) {
      const std::string key = ip.str() + " . " + protocol + " . " + port_text;
      if (has_endpoints) el.push_back({"service-ips", key, "", "goto " + ext_chain});
      if (uses_fw_chain) el.push_back({"firewall-ips", key, "", "goto " + fw_chain});
    }
    if (!has_external)
      for (const auto& ip : svc.load_balancer_ips)
        el.push_back({"no-endpoint-services", ip.str() + " . " + protocol + " . " + port_text, ref.name, external_verdict});
    if (port.node_port != 0) {
      const std::string key = protocol + " . " + std::to_string(port.node_port);
      if (has_endpoints) el.push_back({"service-nodeports", key, "", "goto " + ext_chain});
      if (!has_external) el.push_back({"no-endpoint-nodeports", key, ref.name, external_verdict});
    }

    NftablesServiceObjects so;
    so.service = svc.namespaced_name();
    auto chain = [&](const std::string& c) {
      so.chains.push_back(c);
      rs.service_chains.insert(c);
    };
    for (auto* e : reachable) chain("endpoint-" + endpoint_base(e));
    if (uses_cluster_chain) chain(cluster_chain);
    if (uses_local_chain) chain(local_chain);
    if (uses_ext_chain) chain(ext_chain);
    if (uses_fw_chain) chain(fw_chain);

    if (has_internal) {
      // 1.33 also matched the port (redundant: the service-ips element already did).
      const std::string dest = ipx + " daddr " + cip + (v1_33 ? " " + protocol + " dport " + port_text : "");
      if (opt.masquerade_all)
        so.rules.push_back(add_rule(internal_chain, dest + " jump mark-for-masquerade"));
      else if (detector)
        so.rules.push_back(add_rule(internal_chain, dest + " " + if_not_local + " jump mark-for-masquerade"));
    }
    if (uses_ext_chain) {
      if (!external_local) {
        so.rules.push_back(add_rule(ext_chain, "jump mark-for-masquerade"));
      } else {
        if (detector)
          so.rules.push_back(add_rule(ext_chain, if_local + " goto " + cluster_chain + " comment \"short-circuit pod traffic\""));
        so.rules.push_back(add_rule(ext_chain, "fib saddr type local jump mark-for-masquerade comment \"masquerade local traffic\""));
        so.rules.push_back(add_rule(ext_chain, "fib saddr type local goto " + cluster_chain + " comment \"short-circuit local traffic\""));
      }
      if (has_external) so.rules.push_back(add_rule(ext_chain, "goto " + external_policy_chain));
    }
    if (uses_fw_chain) {
      std::string sources;
      bool allow_from_node = false;
      for (const auto& c : svc.load_balancer_source_ranges) {
        sources += (sources.empty() ? "" : " , ") + c.str();
        allow_from_node |= c.contains(opt.node_ip);
      }
      if (allow_from_node)
        for (const auto& ip : svc.load_balancer_ips) sources += " , " + ip.str();
      so.rules.push_back(add_rule(fw_chain, ipx + " saddr != { " + sources + " } drop"));
    }
    if (svc.session_affinity_client_ip)
      for (auto* e : reachable) {
        const std::string name = "affinity-" + endpoint_base(e);
        so.sets.push_back("add set " + table + " " + name + " { type " + addr_type + " ; flags dynamic,timeout ; timeout " +
                          std::to_string(svc.session_affinity_timeout_seconds) + "s ; }");
        rs.affinity_sets.insert(name);
      }
    auto write_service_to_endpoints = [&](const std::string& c, const std::vector<const Endpoint*>& eps) {
      if (svc.session_affinity_client_ip)
        for (auto* e : eps) {
          const std::string b = endpoint_base(e);
          so.rules.push_back(add_rule(c, ipx + " saddr @affinity-" + b + " goto endpoint-" + b));
        }
      if (eps.size() == 1 && opt.nft_single_endpoint_goto) {
        // No one-element anonymous map: the kernel creates (and names, scanning every set of
        // the table) one per such rule.
        so.rules.push_back(add_rule(c, "goto endpoint-" + endpoint_base(eps.front())));
        return;
      }
      std::string vmap;
      for (size_t i = 0; i < eps.size(); ++i)
        vmap += (i ? " , " : "") + std::to_string(i) + " : goto endpoint-" + endpoint_base(eps[i]);
      so.rules.push_back(add_rule(c, "numgen random mod " + std::to_string(eps.size()) + " vmap { " + vmap + " }"));
    };
    if (uses_cluster_chain) write_service_to_endpoints(cluster_chain, cluster_eps);
    if (uses_local_chain) write_service_to_endpoints(local_chain, local_eps);
    for (auto* e : reachable) {
      const std::string b = endpoint_base(e);
      const std::string ec = "endpoint-" + b;
      so.rules.push_back(add_rule(ec, ipx + " saddr " + e->address.str() + " jump mark-for-masquerade"));
      if (svc.session_affinity_client_ip) so.rules.push_back(add_rule(ec, "update @affinity-" + b + " { " + ipx + " saddr }"));
      so.rules.push_back(add_rule(ec, "meta l4proto " + protocol + " dnat to " + e->str()));
    }
    rs.services.push_back(std::move(so));
  }
  std::sort(rs.elements.begin(), rs.elements.end());
  return rs;
}

namespace {

void append_service(std::string& tx, const std::string& table, const NftablesServiceObjects& so) {
  for (const auto& s : so.sets) tx += s + "\n";
  for (const auto& c : so.chains)
    tx += "add chain " + table + " " + c + "\nflush chain " + table + " " + c + "\n";
  for (const auto& r : so.rules) tx += r + "\n";
}

}  // namespace

std::string nftables_full_sync(const NftablesRuleset& rs, bool first) {
  const std::string& table = rs.table;
  std::string tx;
  tx.reserve(rs.elements.size() * 120 + rs.service_chains.size() * 250 + 8192);
  tx += rs.table_objects.front() + "\n";
  if (first)  // recreate base chains, so changed priorities apply
    for (size_t i = 0; i < 8; ++i)
      tx += "add chain " + table + " " + rs.base_chains[i] + "\ndelete chain " + table + " " + rs.base_chains[i] + "\n";
  for (size_t i = 1; i < rs.table_objects.size(); ++i) {
    const std::string& o = rs.table_objects[i];
    tx += o + "\n";
    // Every object of setupNFTables starts empty: chains flushed, sets and maps emptied.
    const auto words = o.substr(4, o.find(' ', o.find(table) + table.size() + 1) - 4);  // "chain ip kube-proxy X"
    tx += "flush " + words + "\n";
  }
  for (const auto& r : rs.fixed_rules) tx += r + "\n";
  for (const auto& e : rs.fixed_elements) tx += element_line(table, "add", e, true) + "\n";
  for (const auto& so : rs.services) append_service(tx, table, so);
  for (const auto& e : rs.elements) tx += element_line(table, "add", e, true) + "\n";
  return tx;
}

std::vector<std::string> nftables_split_load(const NftablesRuleset& rs, size_t max_operations) {
  const size_t limit = std::max<size_t>(max_operations, 1);
  std::vector<std::string> txs;
  // The fixed part: what nftables_full_sync writes before the first Service.
  NftablesRuleset fixed = rs;
  fixed.services.clear();
  fixed.elements.clear();
  txs.push_back(nftables_full_sync(fixed, true));
  std::string tx;
  size_t ops = 0;
  auto cut = [&] {
    if (!tx.empty()) txs.push_back(std::move(tx));
    tx.clear();
    ops = 0;
  };
  for (const auto& so : rs.services) {
    std::string one;
    append_service(one, rs.table, so);
    ops += static_cast<size_t>(std::count(one.begin(), one.end(), '\n'));
    tx += one;
    if (ops >= limit) cut();
  }
  cut();
  for (const auto& e : rs.elements) {
    tx += element_line(rs.table, "add", e, true) + "\n";
    if (++ops >= limit) cut();
  }
  cut();
  return txs;
}

std::string nftables_partial_sync(const NftablesRuleset& before, const NftablesRuleset& after,
                                  const std::set<std::string>& changed,
                                  std::vector<std::string>* stale_chains) {
  const std::string& table = after.table;
  std::string tx;
  std::map<std::pair<std::string, std::string>, const NftablesElement*> old_elements;
  for (const auto& e : before.elements) old_elements[{e.container, e.key}] = &e;
  for (const auto& so : after.services)
    if (changed.contains(so.service)) append_service(tx, table, so);
  // nftElementStorage.ensureElem / cleanupLeftoverKeys: only what differs.
  for (const auto& e : after.elements) {
    auto it = old_elements.find({e.container, e.key});
    if (it == old_elements.end()) {
      tx += element_line(table, "add", e, true) + "\n";
    } else {
      if (it->second->value != e.value || it->second->comment != e.comment) {
        tx += element_line(table, "delete", e, false) + "\n";
        tx += element_line(table, "add", e, true) + "\n";
      }
      old_elements.erase(it);
    }
  }
  for (const auto& [key, e] : old_elements) tx += element_line(table, "delete", *e, false) + "\n";
  for (const auto& set : before.affinity_sets)
    if (!after.affinity_sets.contains(set)) tx += "delete set " + table + " " + set + "\n";
  // Chains no longer used are flushed now and deleted in a later transaction (kernels
  // before 6.2 notice unreferenced chains only a moment after the map element goes).
  for (const auto& c : before.service_chains)
    if (!after.service_chains.contains(c)) {
      tx += "flush chain " + table + " " + c + "\n";
      if (stale_chains) stale_chains->push_back(c);
    }
  return tx;
}

std::string nftables_delete_chains(IpFamily family, const std::vector<std::string>& chains) {
  const std::string table = nftables_table(family);
  std::string tx;
  for (const auto& c : chains) tx += "delete chain " + table + " " + c + "\n";
  return tx;
}

std::vector<std::string> nftables_dump_lines(const NftablesRuleset& rs) {
  std::vector<std::string> lines = rs.table_objects;
  lines.insert(lines.end(), rs.fixed_rules.begin(), rs.fixed_rules.end());
  for (const auto& e : rs.fixed_elements) lines.push_back(element_line(rs.table, "add", e, true));
  for (const auto& so : rs.services) {
    lines.insert(lines.end(), so.sets.begin(), so.sets.end());
    for (const auto& c : so.chains) lines.push_back("add chain " + rs.table + " " + c);
    lines.insert(lines.end(), so.rules.begin(), so.rules.end());
  }
  for (const auto& e : rs.elements) lines.push_back(element_line(rs.table, "add", e, true));
  std::sort(lines.begin(), lines.end());
  return lines;
}

}  // namespace svcbench
