#include "ipvs_renderer.h"

#include <algorithm>
#include <sstream>

#include "endpoint_categories.h"

namespace svcbench {
namespace {

struct SetInfo {
  const char* name;
  const char* type;
  const char* comment;
};
// pkg/proxy/ipvs: ipsetInfo (names, types and comments).
constexpr SetInfo kSets[] = {
    {"KUBE-LOOP-BACK", "hash:ip,port,ip", "Kubernetes endpoints dst ip:port, source ip for solving hairpin purpose"},
    {"KUBE-CLUSTER-IP", "hash:ip,port", "Kubernetes service cluster ip + port for masquerade purpose"},
    {"KUBE-EXTERNAL-IP", "hash:ip,port", "Kubernetes service external ip + port for masquerade and filter purpose"},
    {"KUBE-EXTERNAL-IP-LOCAL", "hash:ip,port", "Kubernetes service external ip + port with externalTrafficPolicy=local"},
    {"KUBE-LOAD-BALANCER", "hash:ip,port", "Kubernetes service lb portal"},
    {"KUBE-LOAD-BALANCER-FW", "hash:ip,port", "Kubernetes service load balancer ip + port for load balancer with sourceRange"},
    {"KUBE-LOAD-BALANCER-LOCAL", "hash:ip,port", "Kubernetes service load balancer ip + port with externalTrafficPolicy=local"},
    {"KUBE-LOAD-BALANCER-SOURCE-IP", "hash:ip,port,ip", "Kubernetes service load balancer ip + port + source IP for packet filter purpose"},
    {"KUBE-LOAD-BALANCER-SOURCE-CIDR", "hash:ip,port,net", "Kubernetes service load balancer ip + port + source cidr for packet filter purpose"},
    {"KUBE-NODE-PORT-TCP", "bitmap:port", "Kubernetes nodeport TCP port for masquerade purpose"},
    {"KUBE-NODE-PORT-LOCAL-TCP", "bitmap:port", "Kubernetes nodeport TCP port with externalTrafficPolicy=local"},
    {"KUBE-NODE-PORT-UDP", "bitmap:port", "Kubernetes nodeport UDP port for masquerade purpose"},
    {"KUBE-NODE-PORT-LOCAL-UDP", "bitmap:port", "Kubernetes nodeport UDP port with externalTrafficPolicy=local"},
    {"KUBE-NODE-PORT-SCTP-HASH", "hash:ip,port", "Kubernetes nodeport SCTP port for masquerade purpose with type 'hash ip:port'"},
    {"KUBE-NODE-PORT-LOCAL-SCTP-HASH", "hash:ip,port", "Kubernetes nodeport SCTP port with externalTrafficPolicy=local with type 'hash ip:port'"},
    {"KUBE-HEALTH-CHECK-NODE-PORT", "bitmap:port", "Kubernetes health check node port"},
    {"KUBE-IPVS-IPS", "hash:ip", "Kubernetes service IP list"},
};

std::string set_comment(const std::string& name) {
  for (const auto& s : kSets)
    if (name == s.name) return std::string("\"") + s.comment + "\"";
  return "\"\"";
}

std::string ip_port(const IpAddress& ip, Protocol p, uint16_t port) {
  return ip.str() + "," + lowercase(p) + ":" + std::to_string(port);
}

const char* ipvsadm_protocol_flag(Protocol p) {
  switch (p) {
    case Protocol::kTcp: return "-t";
    case Protocol::kUdp: return "-u";
    case Protocol::kSctp: return "--sctp-service";
  }
  return "-t";
}

std::vector<const Endpoint*> usable(const ServicePort& port, bool local_only) {
  std::vector<const Endpoint*> candidates;
  for (const auto& e : port.endpoints)
    if (!local_only || e.local) candidates.push_back(&e);
  return usable_endpoints(candidates);
}

}  // namespace

std::string IpvsVirtualServer::key() const {
  // ipvsadm's [addr]:port for IPv6, as an endpoint's.
  return std::string(ipvsadm_protocol_flag(protocol)) + " " + Endpoint{address, port}.str();
}

std::string ipvs_set_name(const std::string& name, IpFamily family) {
  if (family != IpFamily::kIpv6 || !name.starts_with("KUBE-")) return name;
  const std::string v6 = "KUBE-6-" + name.substr(5);
  return v6.substr(0, 31);
}

IpvsProgramme build_ipvs(const ServiceSet& set, const IpvsOptions& opt) {
  IpvsProgramme p;
  p.family = opt.ip_family;
  auto name = [&](const std::string& set_name) { return ipvs_set_name(set_name, p.family); };
  auto& sets = p.ipset_entries;
  for (const auto& s : kSets) sets[s.name];
  // NodePort virtual servers: on each node IP (all of them, or those in --nodeport-addresses).
  std::vector<IpAddress> node_port_ips;
  if (opt.nodeports_on_every_address()) {
    node_port_ips = {opt.node_ip};
    node_port_ips.insert(node_port_ips.end(), opt.more_node_ips.begin(), opt.more_node_ips.end());
  } else {
    for (const auto& ip : opt.nodeport_ips())
      if (!ip.is_loopback()) node_port_ips.push_back(ip);
  }
  auto add_vs = [&](IpAddress ip, Protocol proto, uint16_t port, int persistence,
                    const std::vector<const Endpoint*>& eps) {
    IpvsVirtualServer vs;
    vs.protocol = proto;
    vs.address = ip;
    vs.port = port;
    vs.persistence_seconds = persistence;
    for (auto* e : eps) vs.real_servers.push_back(*e);
    std::sort(vs.real_servers.begin(), vs.real_servers.end(),
              [](const Endpoint& a, const Endpoint& b) { return a.str() < b.str(); });
    p.virtual_servers[vs.key()] = std::move(vs);
  };
  for (const auto& svc : set.services) {
    const int persistence = svc.session_affinity_client_ip ? svc.session_affinity_timeout_seconds : 0;
    for (const auto& port : svc.ports) {
      const bool external_local = svc.external_policy_local(port);
      const auto cluster_eps = usable(port, svc.internal_policy_local());
      const auto external_eps = external_local ? usable(port, true) : usable(port, false);
      for (const auto& e : port.endpoints)
        if (e.local) sets["KUBE-LOOP-BACK"].insert(e.address.str() + "," + lowercase(port.protocol) + ":" +
                                                   std::to_string(e.port) + "," + e.address.str());
      // ClusterIP: always a virtual server (kube-proxy keeps it even without endpoints).
      sets["KUBE-CLUSTER-IP"].insert(ip_port(svc.cluster_ip, port.protocol, port.port));
      add_vs(svc.cluster_ip, port.protocol, port.port, persistence, cluster_eps);
      p.bound_addresses.insert(svc.cluster_ip.str());
      for (const auto& ip : svc.external_ips) {
        sets[external_local ? "KUBE-EXTERNAL-IP-LOCAL" : "KUBE-EXTERNAL-IP"].insert(ip_port(ip, port.protocol, port.port));
        add_vs(ip, port.protocol, port.port, persistence, external_eps);
        p.bound_addresses.insert(ip.str());
      }
      for (const auto& ip : svc.load_balancer_ips) {
        sets["KUBE-LOAD-BALANCER"].insert(ip_port(ip, port.protocol, port.port));
        if (external_local) sets["KUBE-LOAD-BALANCER-LOCAL"].insert(ip_port(ip, port.protocol, port.port));
        if (!svc.load_balancer_source_ranges.empty()) {
          sets["KUBE-LOAD-BALANCER-FW"].insert(ip_port(ip, port.protocol, port.port));
          for (const auto& c : svc.load_balancer_source_ranges)
            sets["KUBE-LOAD-BALANCER-SOURCE-CIDR"].insert(ip_port(ip, port.protocol, port.port) + "," + c.str());
        }
        add_vs(ip, port.protocol, port.port, persistence, external_eps);
        p.bound_addresses.insert(ip.str());
      }
      if (port.node_port != 0) {
        const std::string np = std::to_string(port.node_port);
        if (port.protocol == Protocol::kTcp) {
          sets["KUBE-NODE-PORT-TCP"].insert(np);
          if (external_local) sets["KUBE-NODE-PORT-LOCAL-TCP"].insert(np);
        } else if (port.protocol == Protocol::kUdp) {
          sets["KUBE-NODE-PORT-UDP"].insert(np);
          if (external_local) sets["KUBE-NODE-PORT-LOCAL-UDP"].insert(np);
        }
        for (const auto& ip : node_port_ips) add_vs(ip, port.protocol, port.node_port, persistence, external_eps);
      }
      if (svc.health_check_node_port) sets["KUBE-HEALTH-CHECK-NODE-PORT"].insert(std::to_string(svc.health_check_node_port));
    }
  }
  for (const auto& a : p.bound_addresses) sets["KUBE-IPVS-IPS"].insert(a);

  // writeIptablesRules, with the chains createAndLinkKubeChain declares.
  std::string filter = "*filter\n", nat = "*nat\n";
  for (const char* c : {"KUBE-SERVICES", "KUBE-POSTROUTING", "KUBE-NODE-PORT", "KUBE-LOAD-BALANCER", "KUBE-MARK-MASQ"})
    nat += std::string(":") + c + " - [0:0]\n";
  for (const char* c : {"KUBE-FORWARD", "KUBE-NODE-PORT", "KUBE-PROXY-FIREWALL", "KUBE-SOURCE-RANGES-FIREWALL",
                        "KUBE-IPVS-FILTER", "KUBE-IPVS-OUT-FILTER"})
    filter += std::string(":") + c + " - [0:0]\n";
  const std::string mark = opt.masquerade_mark;
  // Dismiss connections from localhost early.
  nat += std::string("-A KUBE-SERVICES -s ") +
         (p.family == IpFamily::kIpv6 ? "::1/128" : "127.0.0.0/8") + " -j RETURN\n";
  struct Jump {
    const char* set;
    bool filter_table;
    const char* from;
    const char* to;
    const char* match;
    const char* proto;
  };
  static constexpr Jump kJumps[] = {
      {"KUBE-LOOP-BACK", false, "KUBE-POSTROUTING", "MASQUERADE", "dst,dst,src", ""},
      {"KUBE-LOAD-BALANCER", false, "KUBE-SERVICES", "KUBE-LOAD-BALANCER", "dst,dst", ""},
      {"KUBE-LOAD-BALANCER-LOCAL", false, "KUBE-LOAD-BALANCER", "RETURN", "dst,dst", ""},
      {"KUBE-NODE-PORT-LOCAL-TCP", false, "KUBE-NODE-PORT", "RETURN", "dst", "tcp"},
      {"KUBE-NODE-PORT-TCP", false, "KUBE-NODE-PORT", "KUBE-MARK-MASQ", "dst", "tcp"},
      {"KUBE-NODE-PORT-LOCAL-UDP", false, "KUBE-NODE-PORT", "RETURN", "dst", "udp"},
      {"KUBE-NODE-PORT-UDP", false, "KUBE-NODE-PORT", "KUBE-MARK-MASQ", "dst", "udp"},
      {"KUBE-NODE-PORT-LOCAL-SCTP-HASH", false, "KUBE-NODE-PORT", "RETURN", "dst,dst", "sctp"},
      {"KUBE-NODE-PORT-SCTP-HASH", false, "KUBE-NODE-PORT", "KUBE-MARK-MASQ", "dst,dst", "sctp"},
      {"KUBE-LOAD-BALANCER-FW", true, "KUBE-PROXY-FIREWALL", "KUBE-SOURCE-RANGES-FIREWALL", "dst,dst", ""},
      {"KUBE-LOAD-BALANCER-SOURCE-CIDR", true, "KUBE-SOURCE-RANGES-FIREWALL", "RETURN", "dst,dst,src", ""},
      {"KUBE-LOAD-BALANCER-SOURCE-IP", true, "KUBE-SOURCE-RANGES-FIREWALL", "RETURN", "dst,dst,src", ""},
  };
  for (const auto& j : kJumps) {
    if (sets[j.set].empty()) continue;
    std::string line = std::string("-A ") + j.from;
    if (*j.proto) line += std::string(" -p ") + j.proto;
    line += " -m comment --comment " + set_comment(j.set) + " -m set --match-set " + name(j.set) + " " + j.match + " -j " + j.to + "\n";
    (j.filter_table ? filter : nat) += line;
  }
  if (!sets["KUBE-CLUSTER-IP"].empty()) {
    const std::string base = "-A KUBE-SERVICES -m comment --comment " + set_comment("KUBE-CLUSTER-IP") +
                             " -m set --match-set " + name("KUBE-CLUSTER-IP");
    if (opt.masquerade_all) nat += base + " dst,dst -j KUBE-MARK-MASQ\n";
    else if (const auto detector = opt.local_detector())
      nat += base + " dst,dst ! -s " + detector->str() + " -j KUBE-MARK-MASQ\n";
    else nat += base + " src,dst -j KUBE-MARK-MASQ\n";
  }
  auto external_rules = [&](const std::string& args) {
    nat += args + " -m physdev ! --physdev-is-in -m addrtype ! --src-type LOCAL -j ACCEPT\n";
    nat += args + " -m addrtype --dst-type LOCAL -j ACCEPT\n";
  };
  if (!sets["KUBE-EXTERNAL-IP"].empty()) {
    const std::string args = "-A KUBE-SERVICES -m comment --comment " + set_comment("KUBE-EXTERNAL-IP") +
                             " -m set --match-set " + name("KUBE-EXTERNAL-IP") + " dst,dst";
    nat += args + " -j KUBE-MARK-MASQ\n";
    external_rules(args);
  }
  if (!sets["KUBE-EXTERNAL-IP-LOCAL"].empty())
    external_rules("-A KUBE-SERVICES -m comment --comment " + set_comment("KUBE-EXTERNAL-IP-LOCAL") +
                   " -m set --match-set " + name("KUBE-EXTERNAL-IP-LOCAL") + " dst,dst");
  nat += "-A KUBE-SERVICES -m addrtype --dst-type LOCAL -j KUBE-NODE-PORT\n";
  nat += "-A KUBE-LOAD-BALANCER -j KUBE-MARK-MASQ\n";
  filter += "-A KUBE-SOURCE-RANGES-FIREWALL -j DROP\n";
  // acceptIPVSTraffic: must stay at the end of KUBE-SERVICES.
  for (const char* s : {"KUBE-CLUSTER-IP", "KUBE-LOAD-BALANCER"})
    if (!sets[s].empty()) nat += "-A KUBE-SERVICES -m set --match-set " + name(s) + " dst,dst -j ACCEPT\n";
  filter += "-A KUBE-FORWARD -m comment --comment \"kubernetes forwarding rules\" -m mark --mark " + mark + "/" + mark + " -j ACCEPT\n";
  filter += "-A KUBE-FORWARD -m comment --comment \"kubernetes forwarding conntrack rule\" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n";
  filter += "-A KUBE-NODE-PORT -m comment --comment " + set_comment("KUBE-HEALTH-CHECK-NODE-PORT") +
            " -m set --match-set " + name("KUBE-HEALTH-CHECK-NODE-PORT") + " dst -j ACCEPT\n";
  for (const char* s : {"KUBE-LOAD-BALANCER", "KUBE-CLUSTER-IP", "KUBE-EXTERNAL-IP", "KUBE-EXTERNAL-IP-LOCAL"})
    filter += "-A KUBE-IPVS-FILTER -m set --match-set " + name(s) + " dst,dst -j RETURN\n";
  filter += "-A KUBE-IPVS-FILTER -m set --match-set " + name("KUBE-HEALTH-CHECK-NODE-PORT") + " dst -j RETURN\n";
  filter += "-A KUBE-IPVS-FILTER -m conntrack --ctstate NEW -m set --match-set " + name("KUBE-IPVS-IPS") +
            " dst -j REJECT\n";
  nat += "-A KUBE-POSTROUTING -m mark ! --mark " + mark + "/" + mark + " -j RETURN\n";
  nat += "-A KUBE-POSTROUTING -j MARK --xor-mark " + mark + "\n";
  nat += std::string("-A KUBE-POSTROUTING -m comment --comment \"kubernetes service traffic requiring SNAT\" -j MASQUERADE") +
         (opt.random_fully ? " --random-fully" : "") + "\n";
  nat += "-A KUBE-MARK-MASQ -j MARK --or-mark " + mark + "\n";
  p.iptables = filter + "COMMIT\n" + nat + "COMMIT\n";
  return p;
}

std::string ipvs_ipset_restore(const IpvsProgramme& to, const IpvsProgramme* from) {
  std::string out;
  for (const auto& s : kSets) {
    out += "create " + ipvs_set_name(s.name, to.family) + " " + s.type;
    if (std::string_view(s.type) == "bitmap:port") out += " range 0-65535";
    else out += std::string(" family ") + (to.family == IpFamily::kIpv6 ? "inet6" : "inet") +
                " hashsize 1024 maxelem 65536";
    out += " comment -exist\n";
  }
  for (const auto& [name, entries] : to.ipset_entries) {
    const std::set<std::string>* old = nullptr;
    if (from) {
      auto it = from->ipset_entries.find(name);
      if (it != from->ipset_entries.end()) old = &it->second;
    }
    const std::string set = ipvs_set_name(name, to.family);
    for (const auto& e : entries)
      if (!old || !old->contains(e)) out += "add " + set + " " + e + " -exist\n";
    if (old)
      for (const auto& e : *old)
        if (!entries.contains(e)) out += "del " + set + " " + e + "\n";
  }
  return out;
}

std::string ipvs_address_batch(const IpvsProgramme& to, const IpvsProgramme* from) {
  const std::string host = to.family == IpFamily::kIpv6 ? "/128" : "/32";
  std::string out;
  for (const auto& a : to.bound_addresses)
    if (!from || !from->bound_addresses.contains(a)) out += "address add " + a + host + " dev kube-ipvs0\n";
  if (from)
    for (const auto& a : from->bound_addresses)
      if (!to.bound_addresses.contains(a)) out += "address del " + a + host + " dev kube-ipvs0\n";
  return out;
}

IpvsSyncCalls ipvs_sync_calls(const IpvsProgramme& to, const IpvsProgramme* from,
                              const std::string& scheduler) {
  IpvsSyncCalls calls;
  std::istringstream restore(ipvs_ipset_restore(to, nullptr));
  for (std::string line; std::getline(restore, line);) {
    if (!line.starts_with("create ")) continue;
    calls.ipset_create.push_back("ipset " + line);
    const std::string set = line.substr(7, line.find(' ', 7) - 7);
    calls.ipset_list.push_back("ipset list " + set);
  }
  static const std::set<std::string> kNone;
  for (const auto& s : kSets) {
    const std::string set = ipvs_set_name(s.name, to.family);
    auto entries = [&](const IpvsProgramme* p) -> const std::set<std::string>& {
      if (!p) return kNone;
      auto it = p->ipset_entries.find(s.name);
      return it == p->ipset_entries.end() ? kNone : it->second;
    };
    const auto& now = entries(&to);
    const auto& before = entries(from);
    for (const auto& e : before)
      if (!now.contains(e)) calls.ipset_change.push_back("ipset del " + set + " " + e);
    for (const auto& e : now)
      if (!before.contains(e)) calls.ipset_change.push_back("ipset add " + set + " " + e + " -exist");
  }

  std::string& sync = calls.netlink_sync;
  sync = "dummy kube-ipvs0\naddrs\naddrs\n";  // GetLocalAddresses, GetAllLocalAddressesExcept
  for (const auto& [key, vs] : to.virtual_servers) {
    const IpvsVirtualServer* old = nullptr;
    if (from) {
      auto it = from->virtual_servers.find(key);
      if (it != from->virtual_servers.end()) old = &it->second;
    }
    sync += "-G " + key + "\n";
    if (!old || old->persistence_seconds != vs.persistence_seconds) {
      sync += std::string(old ? "-E " : "-A ") + key + " -s " + scheduler;
      if (vs.persistence_seconds) sync += " -p " + std::to_string(vs.persistence_seconds);
      sync += "\n";
    }
    const std::string address = vs.address.str();
    if (to.bound_addresses.contains(address) && (!from || !from->bound_addresses.contains(address)))
      sync += "bind " + address + " kube-ipvs0\n";
    sync += "-G " + key + "\n-L " + key + "\n";
    auto has = [](const IpvsVirtualServer* v, const Endpoint& e) {
      return v && std::find(v->real_servers.begin(), v->real_servers.end(), e) != v->real_servers.end();
    };
    for (const auto& e : vs.real_servers)
      if (!has(old, e)) sync += "-a " + key + " -r " + e.str() + " -m -w 1\n";
    if (old)
      for (const auto& e : old->real_servers)
        if (!has(&vs, e)) sync += "-d " + key + " -r " + e.str() + "\n";
  }

  std::string& cleanup = calls.netlink_cleanup;
  if (from)
    for (const auto& a : from->bound_addresses)
      if (!to.bound_addresses.contains(a)) cleanup += "unbind " + a + " kube-ipvs0\n";
  cleanup += "-S\n";
  if (from)
    for (const auto& [key, vs] : from->virtual_servers)
      if (!to.virtual_servers.contains(key)) cleanup += "-D " + key + "\n";
  return calls;
}

std::string ipvs_ipvsadm_restore(const IpvsProgramme& to, const IpvsProgramme* from, const std::string& scheduler) {
  std::string out;
  auto service_line = [&](const char* verb, const IpvsVirtualServer& vs) {
    std::string l = std::string(verb) + " " + vs.key() + " -s " + scheduler;
    if (vs.persistence_seconds) l += " -p " + std::to_string(vs.persistence_seconds);
    return l + "\n";
  };
  auto real_line = [](const char* verb, const IpvsVirtualServer& vs, const Endpoint& e, bool full) {
    std::string l = std::string(verb) + " " + vs.key() + " -r " + e.str();
    if (full) l += " -m -w 1";
    return l + "\n";
  };
  for (const auto& [key, vs] : to.virtual_servers) {
    const IpvsVirtualServer* old = nullptr;
    if (from) {
      auto it = from->virtual_servers.find(key);
      if (it != from->virtual_servers.end()) old = &it->second;
    }
    if (!old) {
      out += service_line("-A", vs);
      for (const auto& e : vs.real_servers) out += real_line("-a", vs, e, true);
      continue;
    }
    if (old->persistence_seconds != vs.persistence_seconds) out += service_line("-E", vs);
    for (const auto& e : vs.real_servers)
      if (std::find(old->real_servers.begin(), old->real_servers.end(), e) == old->real_servers.end())
        out += real_line("-a", vs, e, true);
    for (const auto& e : old->real_servers)
      if (std::find(vs.real_servers.begin(), vs.real_servers.end(), e) == vs.real_servers.end())
        out += real_line("-d", vs, e, false);
  }
  if (from)
    for (const auto& [key, vs] : from->virtual_servers)
      if (!to.virtual_servers.contains(key)) out += "-D " + key + "\n";
  return out;
}

std::string render_ipvs(const ServiceSet& services, const IpvsOptions& options) {
  const auto p = build_ipvs(services, options);
  return "# ip link add kube-ipvs0 type dummy; ipset restore <<EOF\n" + ipvs_ipset_restore(p, nullptr) +
         "# ip -batch - <<EOF\n" + ipvs_address_batch(p, nullptr) +
         "# ipvsadm -R <<EOF\n" + ipvs_ipvsadm_restore(p, nullptr, options.scheduler) +
         "# " + (p.family == IpFamily::kIpv6 ? "ip6tables" : "iptables") +
         "-restore --noflush --counters <<EOF\n" + p.iptables;
}

}  // namespace svcbench
