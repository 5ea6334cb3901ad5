// kube-proxy's nftables mode (pkg/proxy/nftables/proxier.go): table `ip kube-proxy` (IPv6:
// `ip6 kube-proxy`, ip6 matches and ipv6_addr sets), its base
// chains, the service-ips / service-nodeports verdict maps and per-Service chains, rendered as
// the transactions kube-proxy hands to `nft -f`: a full sync, and a partial sync that only
// touches changed Services' chains and the map elements that differ.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "proxy_options.h"
#include "service_model.h"

namespace svcbench {

// random_fully is not read: kube-proxy's nftables mode always masquerades fully-random.
// Its own flags (--nodeport-addresses, --service-cidr) are ProxyOptions'.
struct NftablesOptions : ProxyOptions {};

// One map or set element: `add element ip kube-proxy <container> { <key>[ comment "c"][ : <value>] }`.
struct NftablesElement {
  std::string container, key, comment, value;
  bool operator<(const NftablesElement& o) const { return std::tie(container, key) < std::tie(o.container, o.key); }
};

// The objects one Service port owns: affinity sets, chains and their rules.
struct NftablesServiceObjects {
  std::string service;                   // namespaced name
  std::vector<std::string> sets;         // "add set ..." lines
  std::vector<std::string> chains;       // chain names, in creation order
  std::vector<std::string> rules;        // "add rule ..." lines, in order
};

struct NftablesRuleset {
  std::string table;                       // "ip kube-proxy" or "ip6 kube-proxy"
  std::vector<std::string> table_objects;  // "add table/set/map/chain" lines of setupNFTables
  std::vector<std::string> base_chains;    // names of the chains setupNFTables owns
  std::vector<std::string> fixed_rules;    // their rules, in order
  std::vector<NftablesElement> fixed_elements;  // nodeport-ips
  std::vector<NftablesServiceObjects> services;  // sorted by ServicePortName
  std::vector<NftablesElement> elements;   // service-ips, cluster-ips, ... (sorted)
  std::set<std::string> service_chains;    // every per-Service chain
  std::set<std::string> affinity_sets;
};

// "ip kube-proxy" or "ip6 kube-proxy": the table of that family's proxier.
std::string nftables_table(IpFamily family);
NftablesRuleset build_nftables(const ServiceSet& services, const NftablesOptions& options);

// The chain-name base kube-proxy uses: base32(sha256(name))[:8] + "-" + name.
std::string nftables_name_base(const std::string& name);

// kube-proxy's first (or forced full) sync on a node: table, base chains (recreated when
// `first`), every map flushed and refilled, every Service chain added, flushed and filled.
std::string nftables_full_sync(const NftablesRuleset& ruleset, bool first);
// The first full sync split into transactions of about `max_operations` lines each (cut
// between Services): the table and its fixed objects first, then each Service's affinity
// sets, chains and rules, then the set and map elements that lead into them. Applied in
// order, they leave what nftables_full_sync(ruleset, true) does.
std::vector<std::string> nftables_split_load(const NftablesRuleset& ruleset, size_t max_operations);

// A partial sync from `before` (what is loaded) to `after`: element adds/deletes, the
// changed Services' chains, and flushes of chains no longer used. `stale_chains` receives
// those chains; kube-proxy deletes them in a later transaction (nftables_delete_chains).
std::string nftables_partial_sync(const NftablesRuleset& before, const NftablesRuleset& after,
                                  const std::set<std::string>& changed_services,
                                  std::vector<std::string>* stale_chains);
std::string nftables_delete_chains(IpFamily family, const std::vector<std::string>& chains);

// All objects as `add ...` lines, sorted: the form kube-proxy's tests compare (knftables'
// fake dump, compared line by line regardless of order).
std::vector<std::string> nftables_dump_lines(const NftablesRuleset& ruleset);

}  // namespace svcbench
