// What kube-proxy's IPVS mode (pkg/proxy/ipvs/proxier.go) programs for a ServiceSet: the
// kube-ipvs0 dummy interface holding every Service IP, IPVS virtual servers with masquerading
// real servers, the KUBE-* ipsets, and the constant-size iptables rules that match them.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "proxy_options.h"
#include "service_model.h"

namespace svcbench {

// NodePort virtual servers listen on node_ip.
struct IpvsOptions : ProxyOptions {
  std::string scheduler = "rr";
};

struct IpvsVirtualServer {
  Protocol protocol = Protocol::kTcp;
  IpAddress address;
  uint16_t port = 0;
  int persistence_seconds = 0;              // ClientIP affinity
  std::vector<Endpoint> real_servers;       // weight 1, masquerading
  std::string key() const;                  // "-t 198.19.0.1:80" as ipvsadm names it
  bool operator==(const IpvsVirtualServer&) const = default;
};

struct IpvsProgramme {
  IpFamily family = IpFamily::kIpv4;                        // the proxier's
  std::set<std::string> bound_addresses;                    // on kube-ipvs0, "a.b.c.d"
  std::map<std::string, IpvsVirtualServer> virtual_servers;  // by key()
  // set name (IPv4's, as kube-proxy's ipsetInfo names it) -> entries
  std::map<std::string, std::set<std::string>> ipset_entries;
  std::string iptables;                                      // iptables-restore --noflush input
};

IpvsProgramme build_ipvs(const ServiceSet& services, const IpvsOptions& options);

// The set's name for the proxier of `family`: IPv6's replace "KUBE-" with "KUBE-6-", cut at
// ipset's 31 characters (kube-proxy's NewIPSet), so both families' sets coexist.
std::string ipvs_set_name(const std::string& name, IpFamily family);

// `ipset restore` input: create every set (-exist), then add the entries `to` has and
// `from` lacks, delete those `from` has and `to` lacks (from = nullptr: add everything).
std::string ipvs_ipset_restore(const IpvsProgramme& to, const IpvsProgramme* from);
// `ip -batch -` input binding/unbinding Service addresses on kube-ipvs0.
std::string ipvs_address_batch(const IpvsProgramme& to, const IpvsProgramme* from);
// `ipvsadm -R` input: add/edit/delete virtual and real servers to get from `from` to `to`.
std::string ipvs_ipvsadm_restore(const IpvsProgramme& to, const IpvsProgramme* from,
                                 const std::string& scheduler);

// What kube-proxy's IPVS proxier calls in one sync (syncProxyRules: every sync walks every
// Service; nothing is batched), from the node holding `from` (nullptr: nothing) to `to`:
struct IpvsSyncCalls {
  // One `ipset` process per call (pkg/util/ipset execs the tool): `ipset create SET ... -exist`
  // for every set (ensureIPSet), `ipset list SET` for every set (syncIPSetEntries), then per
  // set `ipset del SET ENTRY` for entries to drop and `ipset add SET ENTRY -exist` for new ones.
  std::vector<std::string> ipset_create, ipset_list, ipset_change;
  // svcb-ipvs-netlink input for the in-process netlink calls, in kube-proxy's order: the dummy
  // link, the address listings, then per virtual server GetVirtualServer, Add/Update when
  // missing or changed, EnsureAddressBind for Service addresses not bound when the sync
  // started, GetVirtualServer and GetRealServers again (syncEndpoint), AddRealServer for
  // missing destinations, DeleteRealServer for stale ones.
  std::string netlink_sync;
  // After iptables-restore: UnbindAddress for superfluous addresses, GetVirtualServers, and
  // DeleteVirtualServer for this family's services no Service has any more (cleanLegacyService).
  std::string netlink_cleanup;
};
IpvsSyncCalls ipvs_sync_calls(const IpvsProgramme& to, const IpvsProgramme* from,
                              const std::string& scheduler);

// The whole programme, readable and appliable by hand: ipset, ip, ipvsadm and iptables
// sections, each introduced by a "# <tool invocation>" line.
std::string render_ipvs(const ServiceSet& services, const IpvsOptions& options);

}  // namespace svcbench
