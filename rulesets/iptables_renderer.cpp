#include "iptables_renderer.h"

#include <algorithm>
#include <cstdio>
#include <unordered_set>

#include "chain_names.h"
#include "endpoint_categories.h"
#include "iptables_renderer_1_12.h"
#include "iptables_text.h"

namespace svcbench {
namespace {

using namespace iptables_text;

struct PortRef {
  const Service* service;
  const ServicePort* port;
  std::string name;  // ServicePortName.String()
};

std::vector<PortRef> sorted_ports(const ServiceSet& set) {
  std::vector<PortRef> refs;
  refs.reserve(set.service_port_count());
  for (const auto& s : set.services)
    for (const auto& p : s.ports) refs.push_back({&s, &p, s.port_name(p)});
  std::sort(refs.begin(), refs.end(),
            [](const PortRef& a, const PortRef& b) { return a.name < b.name; });
  return refs;
}

// A service port's endpoints sorted as kube-proxy sorts them, by their "ip:port" string,
// with that string kept (it is written several times).
struct SortedEndpoints {
  std::vector<const Endpoint*> order;
  std::vector<std::string> text;  // text[i] is order[i]->str()
};

SortedEndpoints sorted_endpoints(const ServicePort& port) {
  std::vector<std::pair<std::string, const Endpoint*>> keyed;
  keyed.reserve(port.endpoints.size());
  for (const auto& e : port.endpoints) keyed.emplace_back(e.str(), &e);
  std::sort(keyed.begin(), keyed.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  SortedEndpoints out;
  out.order.reserve(keyed.size());
  out.text.reserve(keyed.size());
  for (auto& [text, e] : keyed) {
    out.order.push_back(e);
    out.text.push_back(std::move(text));
  }
  return out;
}

}  // namespace

IptablesPayload render_iptables(const ServiceSet& set, const IptablesOptions& opt,
                                const std::optional<SyncScope>& scope) {
  if (opt.kube_proxy_version == KubeProxyVersion::k1_12)
    return render_iptables_1_12(set, opt, scope ? scope->existing_nat_chains : std::vector<std::string>{});
  IptablesPayload out;
  static thread_local LineBuffer filter_chains, filter_rules, nat_chains, nat_rules;
  for (LineBuffer* b : {&filter_chains, &filter_rules, &nat_chains, &nat_rules}) b->reset();
  LineBuffer skipped_chains(false), skipped_rules(false);
  nat_rules.reserve(set.endpoint_count() * 400 + set.service_port_count() * 300 + 4096);
  nat_chains.reserve((set.endpoint_count() + set.service_port_count()) * 32 + 1024);
  const std::string mark = opt.masquerade_mark;
  const std::string mark_mask = mark + "/" + mark;

  for (const char* c : {kServices, kExternalServices, kForward, kNodePorts, kProxyFirewall})
    filter_chains.chain_line(c);
  for (const char* c : {kServices, kNodePorts, kPostrouting, kMarkMasq}) nat_chains.chain_line(c);

  nat_rules.write("-A", kPostrouting, "-m", "mark", "!", "--mark", mark_mask, "-j", "RETURN");
  nat_rules.write("-A", kPostrouting, "-j", "MARK", "--xor-mark", mark);
  if (opt.random_fully)
    nat_rules.write("-A", kPostrouting, "-m", "comment", "--comment",
                    "\"kubernetes service traffic requiring SNAT\"", "-j", "MASQUERADE",
                    "--random-fully");
  else
    nat_rules.write("-A", kPostrouting, "-m", "comment", "--comment",
                    "\"kubernetes service traffic requiring SNAT\"", "-j", "MASQUERADE");
  nat_rules.write("-A", kMarkMasq, "-j", "MARK", "--or-mark", mark);

  // NewProxier: localhost NodePorts only where --nodeport-addresses takes in 127.0.0.1 (IPv4).
  const bool v6 = opt.ip_family == IpFamily::kIpv6;
  const bool localhost_node_ports = opt.localhost_node_ports && opt.nodeports_on_loopback();
  const std::optional<Cidr> cluster_cidr = opt.local_detector();
  if (localhost_node_ports) {
    filter_chains.chain_line(kKubeletFirewall);
    filter_rules.write("-A", kKubeletFirewall, "-m", "comment", "--comment",
                       "\"block incoming localnet connections\"", "-d", "127.0.0.0/8", "!", "-s",
                       "127.0.0.0/8", "-m", "conntrack", "!", "--ctstate",
                       "RELATED,ESTABLISHED,DNAT", "-j", "DROP");
  }

  out.large_cluster_mode = set.endpoint_count() > opt.large_cluster_endpoints_threshold;
  const bool large = out.large_cluster_mode;
  std::vector<std::string> if_local, if_not_local;
  if (cluster_cidr) {
    if_local = {"-s", cluster_cidr->str()};
    if_not_local = {"!", "-s", cluster_cidr->str()};
  }
  out.active_nat_chains.reserve(set.endpoint_count() + 2 * set.service_port_count());

  for (const PortRef& ref : sorted_ports(set)) {
    const Service& svc = *ref.service;
    const ServicePort& port = *ref.port;
    const std::string protocol = lowercase(port.protocol);
    const std::string& name = ref.name;
    const std::string svc_port = std::to_string(port.port);
    const std::string cluster_ip = svc.cluster_ip.str();

    const SortedEndpoints sorted = sorted_endpoints(port);
    const auto& endpoints = sorted.order;
    const EndpointCategories cat = categorize_endpoints(svc, port, endpoints);
    const std::string cluster_chain = service_chain(name, protocol);
    const bool needs_local_chain = svc.internal_policy_local() || svc.external_policy_local(port);
    const std::string local_policy_chain = needs_local_chain ? local_chain(name, protocol) : std::string();
    const bool external_local = svc.external_policy_local(port);
    const bool uses_cluster_chain = !cat.cluster.empty() && cat.uses_cluster;
    const bool uses_local_chain = !cat.local.empty() && cat.uses_local;

    std::string internal_chain = cluster_chain;
    bool has_internal = cat.has_any;
    if (svc.internal_policy_local()) {
      internal_chain = local_policy_chain;
      if (cat.local.empty()) has_internal = false;
    }
    std::string external_policy_chain = cluster_chain;
    bool has_external = cat.has_any;
    if (external_local) {
      external_policy_chain = local_policy_chain;
      if (cat.local.empty()) has_external = false;
    }
    const bool accessible = svc.externally_accessible(port);
    const std::string ext_chain = accessible ? external_chain(name, protocol) : std::string();
    const bool uses_ext_chain = cat.has_any && accessible;
    const bool uses_fw_chain = cat.has_any && !svc.load_balancer_ips.empty() &&
                               !svc.load_balancer_source_ranges.empty();
    const std::string fw_chain = uses_fw_chain ? firewall_chain(name, protocol) : std::string();
    const std::string lb_chain = uses_fw_chain ? fw_chain : ext_chain;

    std::string internal_filter_target, internal_filter_comment;
    std::string external_filter_target, external_filter_comment;
    if (!cat.has_any) {
      internal_filter_target = external_filter_target = "REJECT";
      internal_filter_comment = external_filter_comment = quoted(name + " has no endpoints");
    } else {
      if (!has_internal) {
        internal_filter_target = "DROP";
        internal_filter_comment = quoted(name + " has no local endpoints");
      }
      if (!has_external) {
        external_filter_target = "DROP";
        external_filter_comment = quoted(name + " has no local endpoints");
      }
    }

    // Top-level chains are always written in full, even in a partial sync.
    const Quote cluster_ip_comment{name, " cluster IP"};
    if (has_internal) {
      nat_rules.write("-A", kServices, "-m", "comment", "--comment", cluster_ip_comment,
                      "-m", protocol, "-p", protocol, "-d", cluster_ip, "--dport", svc_port, "-j",
                      internal_chain);
    } else {
      filter_rules.write("-A", kServices, "-m", "comment", "--comment", internal_filter_comment,
                         "-m", protocol, "-p", protocol, "-d", cluster_ip, "--dport", svc_port,
                         "-j", internal_filter_target);
    }
    for (const auto& ip : svc.external_ips) {
      if (cat.has_any)
        nat_rules.write("-A", kServices, "-m", "comment", "--comment",
                        quoted(name + " external IP"), "-m", protocol, "-p", protocol, "-d",
                        ip.str(), "--dport", svc_port, "-j", ext_chain);
      if (!has_external)
        filter_rules.write("-A", kExternalServices, "-m", "comment", "--comment",
                           external_filter_comment, "-m", protocol, "-p", protocol, "-d",
                           ip.str(), "--dport", svc_port, "-j", external_filter_target);
    }
    for (const auto& ip : svc.load_balancer_ips) {
      if (cat.has_any)
        nat_rules.write("-A", kServices, "-m", "comment", "--comment",
                        quoted(name + " loadbalancer IP"), "-m", protocol, "-p", protocol, "-d",
                        ip.str(), "--dport", svc_port, "-j", lb_chain);
      if (uses_fw_chain)
        filter_rules.write("-A", kProxyFirewall, "-m", "comment", "--comment",
                           quoted(name + " traffic not accepted by " + fw_chain), "-m", protocol,
                           "-p", protocol, "-d", ip.str(), "--dport", svc_port, "-j", "DROP");
    }
    if (!has_external)
      for (const auto& ip : svc.load_balancer_ips)
        filter_rules.write("-A", kExternalServices, "-m", "comment", "--comment",
                           external_filter_comment, "-m", protocol, "-p", protocol, "-d",
                           ip.str(), "--dport", svc_port, "-j", external_filter_target);
    if (port.node_port != 0) {
      const std::string node_port = std::to_string(port.node_port);
      if (cat.has_any) {
        if (localhost_node_ports && opt.nfacct)
          nat_rules.write("-A", kNodePorts, "-m", "comment", "--comment", name, "-m", protocol,
                          "-p", protocol, "-d", "127.0.0.0/8", "--dport", node_port, "-m",
                          "nfacct", "--nfacct-name", kNfacctLocalhostNodePorts, "-j",
                          ext_chain);
        nat_rules.write("-A", kNodePorts, "-m", "comment", "--comment", name, "-m", protocol,
                        "-p", protocol, "--dport", node_port, "-j", ext_chain);
      }
      if (!has_external)
        filter_rules.write("-A", kExternalServices, "-m", "comment", "--comment",
                           external_filter_comment, "-m", "addrtype", "--dst-type", "LOCAL", "-m",
                           protocol, "-p", protocol, "--dport", node_port, "-j",
                           external_filter_target);
    }
    if (svc.health_check_node_port != 0)
      filter_rules.write("-A", kNodePorts, "-m", "comment", "--comment",
                         quoted(name + " health check node port"), "-m", "tcp", "-p", "tcp",
                         "--dport", std::to_string(svc.health_check_node_port), "-j", "ACCEPT");

    // Per-service chains: skipped (but counted) for unchanged Services in a partial sync.
    const bool skip = scope && !scope->changed_services.contains(svc.namespaced_name());
    LineBuffer& chains = skip ? skipped_chains : nat_chains;
    LineBuffer& rules = skip ? skipped_rules : nat_rules;

    if (has_internal) {
      if (opt.masquerade_all)
        rules.write("-A", internal_chain, "-m", "comment", "--comment", cluster_ip_comment, "-m",
                    protocol, "-p", protocol, "-d", cluster_ip, "--dport", svc_port, "-j", kMarkMasq);
      else if (cluster_cidr)
        rules.write("-A", internal_chain, "-m", "comment", "--comment", cluster_ip_comment, "-m",
                    protocol, "-p", protocol, "-d", cluster_ip, "--dport", svc_port, if_not_local,
                    "-j", kMarkMasq);
    }
    if (uses_ext_chain) {
      chains.chain_line(ext_chain);
      out.active_nat_chains.push_back(ext_chain);
      if (!external_local) {
        rules.write("-A", ext_chain, "-m", "comment", "--comment",
                    quoted("masquerade traffic for " + name + " external destinations"), "-j",
                    kMarkMasq);
      } else {
        if (cluster_cidr)
          rules.write("-A", ext_chain, "-m", "comment", "--comment",
                      quoted("pod traffic for " + name + " external destinations"), if_local,
                      "-j", cluster_chain);
        rules.write("-A", ext_chain, "-m", "comment", "--comment",
                    quoted("masquerade LOCAL traffic for " + name + " external destinations"),
                    "-m", "addrtype", "--src-type", "LOCAL", "-j", kMarkMasq);
        rules.write("-A", ext_chain, "-m", "comment", "--comment",
                    quoted("route LOCAL traffic for " + name + " external destinations"), "-m",
                    "addrtype", "--src-type", "LOCAL", "-j", cluster_chain);
      }
      if (has_external) rules.write("-A", ext_chain, "-j", external_policy_chain);
    }
    if (uses_fw_chain) {
      chains.chain_line(fw_chain);
      out.active_nat_chains.push_back(fw_chain);
      std::vector<std::string> args = {"-A", fw_chain, "-m", "comment", "--comment",
                                       quoted(name + " loadbalancer IP")};
      bool allow_from_node = false;
      for (const auto& cidr : svc.load_balancer_source_ranges) {
        rules.write(args, "-s", cidr.str(), "-j", ext_chain);
        if (cidr.contains(opt.node_ip)) allow_from_node = true;
      }
      if (allow_from_node)
        for (const auto& ip : svc.load_balancer_ips) rules.write(args, "-s", ip.str(), "-j", ext_chain);
      rules.write("-A", fw_chain, "-m", "comment", "--comment",
                  quoted("other traffic to " + name + " will be dropped by KUBE-PROXY-FIREWALL"));
    }

    // Endpoint strings and KUBE-SEP- names, computed once per endpoint.
    std::vector<std::pair<std::string, std::string>> endpoint_names(endpoints.size());
    auto names_of = [&](const Endpoint* e) -> const std::pair<std::string, std::string>& {
      const size_t i = static_cast<size_t>(
          std::find(endpoints.begin(), endpoints.end(), e) - endpoints.begin());
      auto& n = endpoint_names[i];
      if (n.first.empty()) {
        n.first = sorted.text[i];
        n.second = endpoint_chain(name, protocol, n.first);
      }
      return n;
    };
    auto write_service_to_endpoints = [&](const std::string& chain,
                                          const std::vector<const Endpoint*>& eps) {
      if (svc.session_affinity_client_ip) {
        for (const Endpoint* e : eps) {
          const auto& [ep, sep] = names_of(e);
          rules.write("-A", chain, OptionalComment{!large, {name, " -> ", ep}}, "-m", "recent", "--name",
                      sep, "--rcheck", "--seconds",
                      std::to_string(svc.session_affinity_timeout_seconds), "--reap", "-j", sep);
        }
      }
      for (size_t i = 0; i < eps.size(); ++i) {
        const auto& [ep, sep] = names_of(eps[i]);
        if (i + 1 < eps.size())
          rules.write("-A", chain, OptionalComment{!large, {name, " -> ", ep}}, "-m", "statistic",
                      "--mode", "random", "--probability", probability(eps.size() - i, 10), "-j", sep);
        else
          rules.write("-A", chain, OptionalComment{!large, {name, " -> ", ep}}, "-j", sep);
      }
    };
    if (uses_cluster_chain) {
      chains.chain_line(cluster_chain);
      out.active_nat_chains.push_back(cluster_chain);
      write_service_to_endpoints(cluster_chain, cat.cluster);
    }
    if (uses_local_chain) {
      chains.chain_line(local_policy_chain);
      out.active_nat_chains.push_back(local_policy_chain);
      write_service_to_endpoints(local_policy_chain, cat.local);
    }
    const OptionalComment sep_comment{!large, {name}, false};
    for (const Endpoint* e : cat.all_reachable) {
      const auto& [ep, sep] = names_of(e);
      chains.chain_line(sep);
      out.active_nat_chains.push_back(sep);
      rules.write("-A", sep, sep_comment, "-s", e->address.str(), "-j", kMarkMasq);
      if (svc.session_affinity_client_ip)
        rules.write("-A", sep, sep_comment, "-m", "recent", "--name", sep, "--set", "-m", protocol,
                    "-p", protocol, "-j", "DNAT", "--to-destination", ep);
      else
        rules.write("-A", sep, sep_comment, "-m", protocol, "-p", protocol, "-j", "DNAT",
                    "--to-destination", ep);
    }
  }

  if (scope && !scope->existing_nat_chains.empty()) {
    const std::unordered_set<std::string> active(out.active_nat_chains.begin(), out.active_nat_chains.end());
    for (const auto& chain : scope->existing_nat_chains) {
      if (active.contains(chain) || !is_service_chain(chain)) continue;
      nat_chains.chain_line(chain);
      nat_rules.write("-X", chain);
    }
  }

  const char* last_comment =
      "\"kubernetes service nodeports; NOTE: this must be the last rule in this chain\"";
  if (!opt.nodeports_on_every_address()) {
    // One jump per node IP inside --nodeport-addresses (localhost only when it is allowed).
    for (const auto& ip : opt.nodeport_ips())
      if (!ip.is_loopback() || localhost_node_ports)
        nat_rules.write("-A", kServices, "-m", "comment", "--comment", last_comment, "-d",
                        ip.str(), "-j", kNodePorts);
  } else if (v6) {
    nat_rules.write("-A", kServices, "-m", "comment", "--comment", last_comment, "-m",
                    "addrtype", "--dst-type", "LOCAL", "!", "-d", "::1/128", "-j", kNodePorts);
  } else if (localhost_node_ports) {
    nat_rules.write("-A", kServices, "-m", "comment", "--comment", last_comment, "-m",
                    "addrtype", "--dst-type", "LOCAL", "-j", kNodePorts);
  } else {
    nat_rules.write("-A", kServices, "-m", "comment", "--comment", last_comment, "-m",
                    "addrtype", "--dst-type", "LOCAL", "!", "-d", "127.0.0.0/8", "-j", kNodePorts);
  }

  if (!opt.conntrack_tcp_liberal) {
    if (opt.nfacct)
      filter_rules.write("-A", kForward, "-m", "conntrack", "--ctstate", "INVALID", "-m", "nfacct",
                         "--nfacct-name", kNfacctInvalidDropped, "-j", "DROP");
    else
      filter_rules.write("-A", kForward, "-m", "conntrack", "--ctstate", "INVALID", "-j", "DROP");
  }
  filter_rules.write("-A", kForward, "-m", "comment", "--comment",
                     "\"kubernetes forwarding rules\"", "-m", "mark", "--mark", mark_mask, "-j",
                     "ACCEPT");
  filter_rules.write("-A", kForward, "-m", "comment", "--comment",
                     "\"kubernetes forwarding conntrack rule\"", "-m", "conntrack", "--ctstate",
                     "RELATED,ESTABLISHED", "-j", "ACCEPT");

  out.filter_rules = filter_rules.lines();
  out.nat_rules = nat_rules.lines();
  out.nat_chains = nat_chains.lines();
  out.text = restore_payload(filter_chains.text(), filter_rules.text(), nat_chains.text(),
                             nat_rules.text());
  return out;
}

std::string restore_payload(const std::string& filter_chains, const std::string& filter_rules,
                            const std::string& nat_chains, const std::string& nat_rules) {
  std::string text;
  text.reserve(filter_chains.size() + filter_rules.size() + nat_chains.size() + nat_rules.size() + 32);
  text += "*filter\n";
  text += filter_chains;
  text += filter_rules;
  text += "COMMIT\n*nat\n";
  text += nat_chains;
  text += nat_rules;
  text += "COMMIT\n";
  return text;
}

std::string render_iptables_base_jumps(KubeProxyVersion version) {
  if (version == KubeProxyVersion::k1_12) return render_iptables_1_12_base_jumps();
  // pkg/proxy/iptables/proxier.go: iptablesJumpChains and iptablesKubeletJumpChains.
  struct Jump {
    const char* table;
    const char* dst;
    const char* src;
    const char* comment;
    const char* extra;
  };
  static constexpr Jump kJumps[] = {
      {"filter", kExternalServices, "INPUT", "kubernetes externally-visible service portals", "-m conntrack --ctstate NEW"},
      {"filter", kExternalServices, "FORWARD", "kubernetes externally-visible service portals", "-m conntrack --ctstate NEW"},
      {"filter", kNodePorts, "INPUT", "kubernetes health check service ports", ""},
      {"filter", kServices, "FORWARD", "kubernetes service portals", "-m conntrack --ctstate NEW"},
      {"filter", kServices, "OUTPUT", "kubernetes service portals", "-m conntrack --ctstate NEW"},
      {"filter", kForward, "FORWARD", "kubernetes forwarding rules", ""},
      {"filter", kProxyFirewall, "INPUT", "kubernetes load balancer firewall", "-m conntrack --ctstate NEW"},
      {"filter", kProxyFirewall, "OUTPUT", "kubernetes load balancer firewall", "-m conntrack --ctstate NEW"},
      {"filter", kProxyFirewall, "FORWARD", "kubernetes load balancer firewall", "-m conntrack --ctstate NEW"},
      {"nat", kServices, "OUTPUT", "kubernetes service portals", ""},
      {"nat", kServices, "PREROUTING", "kubernetes service portals", ""},
      {"nat", kPostrouting, "POSTROUTING", "kubernetes postrouting rules", ""},
      {"filter", kKubeletFirewall, "INPUT", "", ""},
      {"filter", kKubeletFirewall, "OUTPUT", "", ""},
  };
  std::string out;
  for (const char* table : {"filter", "nat"}) {
    out += std::string("*") + table + "\n";
    std::set<std::string> declared;
    for (const auto& j : kJumps)
      if (std::string_view(j.table) == table && declared.insert(j.dst).second)
        out += std::string(":") + j.dst + " - [0:0]\n";
    for (const auto& j : kJumps) {
      if (std::string_view(j.table) != table) continue;
      out += std::string("-I ") + j.src;
      if (*j.extra) out += std::string(" ") + j.extra;
      if (*j.comment) out += std::string(" -m comment --comment \"") + j.comment + "\"";
      out += std::string(" -j ") + j.dst + "\n";
    }
    out += "COMMIT\n";
  }
  return out;
}

}  // namespace svcbench
