#include "iptables_renderer_1_12.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <unordered_set>

#include "chain_names.h"
#include "iptables_text.h"

namespace svcbench {
namespace {

using namespace iptables_text;

// fmt.Sprintf("%#08x/%#08x", v, v): the mark and mask 1.12 derived from --iptables-masquerade-bit.
std::string go_mark(unsigned long value) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%08lx/0x%08lx", value, value);
  return buf;
}

std::string host_cidr(IpAddress ip) { return ip.str() + (ip.is_v6() ? "/128" : "/32"); }  // utilproxy.ToCIDR

// apiservice.RequestsOnlyLocalTraffic: NodePort or LoadBalancer with policy Local.
bool only_node_local(const Service& s) {
  return s.type != ServiceType::kClusterIP && s.external_traffic_policy == TrafficPolicy::kLocal;
}

}  // namespace

std::string port_name_1_12(const Service& service, const ServicePort& port) {
  return service.namespaced_name() + ":" + port.name;
}

IptablesPayload render_iptables_1_12(const ServiceSet& set, const IptablesOptions& opt,
                                     const std::vector<std::string>& existing_nat_chains) {
  IptablesPayload out;
  LineBuffer filter_chains, filter_rules, nat_chains, nat_rules;
  nat_rules.reserve(set.endpoint_count() * 300 + set.service_port_count() * 400 + 4096);
  const std::string mark = go_mark(std::strtoul(opt.masquerade_mark.c_str(), nullptr, 0));
  const std::optional<Cidr> detector = opt.local_detector();
  const std::string cluster_cidr = detector ? detector->str() : "";
  const std::string loopback = opt.ip_family == IpFamily::kIpv6 ? "::1/128" : "127.0.0.0/8";

  for (const char* c : {kServices, kExternalServices, kForward}) filter_chains.chain_line(c);
  for (const char* c : {kServices, kNodePorts, kPostrouting, kMarkMasq}) nat_chains.chain_line(c);
  nat_rules.write("-A", kPostrouting, "-m", "comment", "--comment",
                  "\"kubernetes service traffic requiring SNAT\"", "-m", "mark", "--mark", mark,
                  "-j", "MASQUERADE");
  nat_rules.write("-A", kMarkMasq, "-j", "MARK", "--set-xmark", mark);

  // 1.12 walked a Go map (a new order every sync); svcbench sorts by ServicePortName.
  struct Ref {
    const Service* service;
    const ServicePort* port;
    std::string name;
  };
  std::vector<Ref> refs;
  for (const auto& s : set.services)
    for (const auto& p : s.ports) refs.push_back({&s, &p, port_name_1_12(s, p)});
  std::sort(refs.begin(), refs.end(), [](const Ref& a, const Ref& b) { return a.name < b.name; });

  for (const Ref& ref : refs) {
    const Service& svc = *ref.service;
    const ServicePort& port = *ref.port;
    const std::string& name = ref.name;
    const std::string protocol = lowercase(port.protocol);
    const std::string svc_port = std::to_string(port.port);
    const bool local_only = only_node_local(svc);
    // Endpoints: the ready addresses of the Endpoints object, in its order (1.12 read no
    // serving/terminating state and sorted nothing).
    std::vector<const Endpoint*> endpoints;
    for (const auto& e : port.endpoints)
      if (e.ready) endpoints.push_back(&e);
    const bool has_endpoints = !endpoints.empty();
    const std::string svc_chain = service_chain(name, protocol);
    const std::string xlb_chain = load_balancer_chain(name, protocol);
    if (has_endpoints) {
      nat_chains.chain_line(svc_chain);
      out.active_nat_chains.push_back(svc_chain);
    }
    if (local_only) {
      nat_chains.chain_line(xlb_chain);
      out.active_nat_chains.push_back(xlb_chain);
    }

    // Capture the clusterIP.
    if (has_endpoints) {
      const std::vector<std::string> args = {"-A", kServices, "-m", "comment", "--comment",
                                             quoted(name + " cluster IP"), "-m", protocol, "-p",
                                             protocol, "-d", host_cidr(svc.cluster_ip),
                                             "--dport", svc_port};
      if (opt.masquerade_all)
        nat_rules.write(args, "-j", kMarkMasq);
      else if (detector)
        nat_rules.write(args, "! -s", cluster_cidr, "-j", kMarkMasq);
      nat_rules.write(args, "-j", svc_chain);
    } else {
      filter_rules.write("-A", kServices, "-m", "comment", "--comment",
                         quoted(name + " has no endpoints"), "-m", protocol, "-p", protocol, "-d",
                         host_cidr(svc.cluster_ip), "--dport", svc_port, "-j", "REJECT");
    }

    // Capture externalIPs.
    for (const auto& ip : svc.external_ips) {
      if (has_endpoints) {
        const std::vector<std::string> args = {"-A", kServices, "-m", "comment", "--comment",
                                               quoted(name + " external IP"), "-m", protocol,
                                               "-p", protocol, "-d", host_cidr(ip), "--dport",
                                               svc_port};
        nat_rules.write(args, "-j", kMarkMasq);
        nat_rules.write(args, "-m", "physdev", "!", "--physdev-is-in", "-m", "addrtype", "!",
                        "--src-type", "LOCAL", "-j", svc_chain);
        nat_rules.write(args, "-m", "addrtype", "--dst-type", "LOCAL", "-j", svc_chain);
      } else {
        filter_rules.write("-A", kExternalServices, "-m", "comment", "--comment",
                           quoted(name + " has no endpoints"), "-m", protocol, "-p", protocol,
                           "-d", host_cidr(ip), "--dport", svc_port, "-j", "REJECT");
      }
    }

    // Capture load-balancer ingress: a KUBE-FW- chain per ingress IP, source ranges or not.
    if (has_endpoints) {
      const std::string fw_chain = firewall_chain(name, protocol);
      for (const auto& ip : svc.load_balancer_ips) {
        nat_chains.chain_line(fw_chain);
        out.active_nat_chains.push_back(fw_chain);
        nat_rules.write("-A", kServices, "-m", "comment", "--comment",
                        quoted(name + " loadbalancer IP"), "-m", protocol, "-p", protocol, "-d",
                        host_cidr(ip), "--dport", svc_port, "-j", fw_chain);
        const std::vector<std::string> args = {"-A", fw_chain, "-m", "comment", "--comment",
                                               quoted(name + " loadbalancer IP")};
        std::string chosen = xlb_chain;
        if (!local_only) {
          nat_rules.write(args, "-j", kMarkMasq);
          chosen = svc_chain;
        }
        if (svc.load_balancer_source_ranges.empty()) {
          nat_rules.write(args, "-j", chosen);
        } else {
          bool allow_from_node = false;
          for (const auto& cidr : svc.load_balancer_source_ranges) {
            nat_rules.write(args, "-s", cidr.str(), "-j", chosen);
            allow_from_node |= cidr.contains(opt.node_ip);
          }
          if (allow_from_node) nat_rules.write(args, "-s", host_cidr(ip), "-j", chosen);
        }
        // Whatever did not match a source range is dropped.
        nat_rules.write(args, "-j", kMarkDrop);
      }
    }

    // Capture nodeports.
    if (port.node_port != 0) {
      const std::string node_port = std::to_string(port.node_port);
      if (has_endpoints) {
        const std::vector<std::string> args = {"-A", kNodePorts, "-m", "comment", "--comment",
                                               name, "-m", protocol, "-p", protocol, "--dport",
                                               node_port};
        if (!local_only) {
          nat_rules.write(args, "-j", kMarkMasq);
          nat_rules.write(args, "-j", svc_chain);
        } else {
          nat_rules.write(args, "-s", loopback, "-j", kMarkMasq);
          nat_rules.write(args, "-j", xlb_chain);
        }
      } else {
        filter_rules.write("-A", kExternalServices, "-m", "comment", "--comment",
                           quoted(name + " has no endpoints"), "-m", "addrtype", "--dst-type",
                           "LOCAL", "-m", protocol, "-p", protocol, "--dport", node_port, "-j",
                           "REJECT");
      }
    }

    if (!has_endpoints) continue;

    std::vector<std::string> sep_chains;
    sep_chains.reserve(endpoints.size());
    for (const Endpoint* e : endpoints) {
      sep_chains.push_back(endpoint_chain(name, protocol, e->str()));
      nat_chains.chain_line(sep_chains.back());
      out.active_nat_chains.push_back(sep_chains.back());
    }
    const std::string seconds = std::to_string(svc.session_affinity_timeout_seconds);
    if (svc.session_affinity_client_ip)
      for (const auto& sep : sep_chains)
        nat_rules.write("-A", svc_chain, "-m", "comment", "--comment", name, "-m", "recent",
                        "--name", sep, "--rcheck", "--seconds", seconds, "--reap", "-j", sep);
    const size_t n = sep_chains.size();
    for (size_t i = 0; i < n; ++i) {
      const std::string& sep = sep_chains[i];
      if (i + 1 < n)
        nat_rules.write("-A", svc_chain, "-m", "comment", "--comment", name, "-m", "statistic",
                        "--mode", "random", "--probability", probability(n - i, 5), "-j", sep);
      else
        nat_rules.write("-A", svc_chain, "-m", "comment", "--comment", name, "-j", sep);
      nat_rules.write("-A", sep, "-m", "comment", "--comment", name, "-s",
                      host_cidr(endpoints[i]->address), "-j", kMarkMasq);
      if (svc.session_affinity_client_ip)
        nat_rules.write("-A", sep, "-m", "comment", "--comment", name, "-m", "recent", "--name",
                        sep, "--set", "-m", protocol, "-p", protocol, "-j", "DNAT",
                        "--to-destination", endpoints[i]->str());
      else
        nat_rules.write("-A", sep, "-m", "comment", "--comment", name, "-m", protocol, "-p",
                        protocol, "-j", "DNAT", "--to-destination", endpoints[i]->str());
    }

    if (!local_only) continue;
    // The KUBE-XLB- chain: pods go to the Service, the rest to local endpoints only.
    std::vector<const std::string*> local_seps;
    for (size_t i = 0; i < n; ++i)
      if (endpoints[i]->local) local_seps.push_back(&sep_chains[i]);
    if (detector)
      nat_rules.write("-A", xlb_chain, "-m", "comment", "--comment",
                      "\"Redirect pods trying to reach external loadbalancer VIP to clusterIP\"",
                      "-s", cluster_cidr, "-j", svc_chain);
    if (local_seps.empty()) {
      nat_rules.write("-A", xlb_chain, "-m", "comment", "--comment",
                      quoted(name + " has no local endpoints"), "-j", kMarkDrop);
      continue;
    }
    if (svc.session_affinity_client_ip)
      for (const std::string* sep : local_seps)
        nat_rules.write("-A", xlb_chain, "-m", "comment", "--comment", name, "-m", "recent",
                        "--name", *sep, "--rcheck", "--seconds", seconds, "--reap", "-j", *sep);
    const size_t local = local_seps.size();
    for (size_t i = 0; i < local; ++i) {
      const std::string comment = quoted("Balancing rule " + std::to_string(i) + " for " + name);
      if (i + 1 < local)
        nat_rules.write("-A", xlb_chain, "-m", "comment", "--comment", comment, "-m", "statistic",
                        "--mode", "random", "--probability", probability(local - i, 5), "-j",
                        *local_seps[i]);
      else
        nat_rules.write("-A", xlb_chain, "-m", "comment", "--comment", comment, "-j",
                        *local_seps[i]);
    }
  }

  // Delete chains no longer in use.
  const std::unordered_set<std::string> active(out.active_nat_chains.begin(),
                                               out.active_nat_chains.end());
  for (const auto& chain : existing_nat_chains) {
    if (active.contains(chain) || !is_service_chain(chain)) continue;
    nat_chains.chain_line(chain);
    nat_rules.write("-X", chain);
  }

  // The nodeports jump, last: on every local address, or per --nodeport-addresses node IP.
  const char* last_comment =
      "\"kubernetes service nodeports; NOTE: this must be the last rule in this chain\"";
  if (opt.nodeports_on_every_address())
    nat_rules.write("-A", kServices, "-m", "comment", "--comment", last_comment, "-m", "addrtype",
                    "--dst-type", "LOCAL", "-j", kNodePorts);
  else
    for (const auto& ip : opt.nodeport_ips())
      nat_rules.write("-A", kServices, "-m", "comment", "--comment", last_comment, "-d", ip.str(),
                      "-j", kNodePorts);

  filter_rules.write("-A", kForward, "-m", "comment", "--comment",
                     "\"kubernetes forwarding rules\"", "-m", "mark", "--mark", mark, "-j",
                     "ACCEPT");
  if (detector) {
    filter_rules.write("-A", kForward, "-s", cluster_cidr, "-m", "comment", "--comment",
                       "\"kubernetes forwarding conntrack pod source rule\"", "-m", "conntrack",
                       "--ctstate", "RELATED,ESTABLISHED", "-j", "ACCEPT");
    filter_rules.write("-A", kForward, "-m", "comment", "--comment",
                       "\"kubernetes forwarding conntrack pod destination rule\"", "-d",
                       cluster_cidr, "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j",
                       "ACCEPT");
  }

  out.filter_rules = filter_rules.lines();
  out.nat_rules = nat_rules.lines();
  out.nat_chains = nat_chains.lines();
  out.text = restore_payload(filter_chains.text(), filter_rules.text(), nat_chains.text(),
                             nat_rules.text());
  return out;
}

std::string render_iptables_1_12_base_jumps() {
  // kubelet 1.12 (kubelet_network_linux.go) with its default --iptables-drop-bit 15.
  const std::string drop_mark = go_mark(1ul << 15);
  std::string out = "*filter\n";
  out += ":" + std::string(kExternalServices) + " - [0:0]\n";
  out += ":" + std::string(kServices) + " - [0:0]\n";
  out += ":" + std::string(kForward) + " - [0:0]\n";
  out += ":" + std::string(kKubeletFirewall) + " - [0:0]\n";
  out += "-A KUBE-FIREWALL -m comment --comment \"kubernetes firewall for dropping marked packets\" -m mark --mark " +
         drop_mark + " -j DROP\n";
  out += "-I INPUT -j KUBE-FIREWALL\n";
  out += "-I OUTPUT -j KUBE-FIREWALL\n";
  // iptablesJumpChains, each ensured with EnsureRule(Prepend, ...).
  out += "-I INPUT -m conntrack --ctstate NEW -m comment --comment \"kubernetes externally-visible service portals\" -j KUBE-EXTERNAL-SERVICES\n";
  out += "-I OUTPUT -m conntrack --ctstate NEW -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES\n";
  out += "-I FORWARD -m comment --comment \"kubernetes forwarding rules\" -j KUBE-FORWARD\n";
  out += "COMMIT\n*nat\n";
  out += ":" + std::string(kServices) + " - [0:0]\n";
  out += ":" + std::string(kPostrouting) + " - [0:0]\n";
  out += ":" + std::string(kMarkDrop) + " - [0:0]\n";
  out += "-A KUBE-MARK-DROP -j MARK --set-xmark " + drop_mark + "\n";
  out += "-I OUTPUT -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES\n";
  out += "-I PREROUTING -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES\n";
  out += "-I POSTROUTING -m comment --comment \"kubernetes postrouting rules\" -j KUBE-POSTROUTING\n";
  out += "COMMIT\n";
  return out;
}

}  // namespace svcbench
