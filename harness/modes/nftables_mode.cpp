#include "nftables_mode.h"

#include "command_runner.h"
#include "errors.h"
#include "nftables_listing.h"
#include "sync_plan.h"

namespace svcbench {

NftablesMode::NftablesMode(Node& node, NftablesOptions options)
    : node_(node), options_(std::move(options)) {
  node_.require_tool("nft", "nftables");
}

double NftablesMode::run(const std::string& transaction, const std::string& what) {
  auto r = sync_.run(node_, what == "stale chain deletion" ? "nft -f (stale chains)" : "nft -f",
                     {"nft", "-f", "-"}, transaction);
  if (!r.ok())
    throw SetupError("nftables " + what + ": the kernel rejected the transaction " +
                     tool_failure("nft", r));
  return r.seconds;
}

void NftablesMode::reset() {
  // knftables' idiom for "delete if present": add, then delete.
  const std::string table = nftables_table(options_.ip_family);
  run("add table " + table + "\ndelete table " + table + "\n", "reset");
  stale_chains_.clear();
  sync_.start();
}

double NftablesMode::sync(const std::vector<std::string>& transactions, bool full,
                          const std::string& what) {
  sync_.start();
  double seconds = 0;
  // Chains an earlier sync flushed: kube-proxy deletes them at the start of its next sync
  // (those older than a second), in a transaction before the sync's own.
  if (!stale_chains_.empty()) {
    seconds += run(nftables_delete_chains(options_.ip_family, stale_chains_), "stale chain deletion");
    stale_chains_.clear();
  }
  // What the table holds (its chains and sets: stale ones), read before the transaction runs:
  // knftables' ListAll, nft --json --terse list table (kubernetes PR #130119, kube-proxy 1.33
  // and later). On a cold start there is no table yet: nft says so, as kube-proxy expects.
  if (full || options_.nft_list_every_sync) {
    const bool v6 = options_.ip_family == IpFamily::kIpv6;
    auto r = sync_.run(node_, "nft list table",
                       {"nft", "--json", "--terse", "list", "table", v6 ? "ip6" : "ip", "kube-proxy"});
    if (!r.ok() && !cold_start_)
      throw SetupError("nftables " + what + ": listing the table " + tool_failure("nft", r));
  }
  for (const auto& tx : transactions) seconds += run(tx, what);
  return seconds;
}

double NftablesMode::initial_load(const ServiceSet& services) {
  reset();
  const auto rs = build_nftables(services, options_);
  cold_start_ = true;  // the table does not exist yet
  const double seconds =
      options_.nft_cold_start_split > 0
          ? sync(nftables_split_load(rs, options_.nft_cold_start_split), true, "initial load")
          : sync({nftables_full_sync(rs, true)}, true, "initial load");
  cold_start_ = false;
  return seconds;
}

DataplaneMode::Apply NftablesMode::prepare_full_resync(const ServiceSet& services) {
  return [this, tx = nftables_full_sync(build_nftables(services, options_), false)] {
    return sync({tx}, true, "full resync");
  };
}

DataplaneMode::Apply NftablesMode::prepare_partial_sync(const ServiceSet& before,
                                                        const ServiceSet& after) {
  std::vector<std::string> stale;
  std::string tx =
      nftables_partial_sync(build_nftables(before, options_), build_nftables(after, options_),
                            changed_services(before, after), &stale);
  return [this, tx = std::move(tx), stale = std::move(stale)] {
    const double seconds = sync({tx}, false, "partial sync");
    stale_chains_ = stale;
    return seconds;
  };
}

std::string NftablesMode::loaded_ruleset() {
  auto r = node_.run({"nft", "list", "table",
                      options_.ip_family == IpFamily::kIpv6 ? "ip6" : "ip", "kube-proxy"});
  return r.ok() ? r.out : "";
}

std::vector<ServiceDispatch> NftablesMode::loaded_dispatch() {
  return read_nftables_dispatch(loaded_ruleset());
}

std::unique_ptr<DataplaneMode> make_nftables_mode(Node& node, const IptablesOptions& options) {
  return std::make_unique<NftablesMode>(node, with_proxy_options<NftablesOptions>(options));
}

std::string render_nftables_text(const ServiceSet& services, const IptablesOptions& options,
                                 bool canonical) {
  const auto ruleset = build_nftables(services, with_proxy_options<NftablesOptions>(options));
  if (!canonical) return nftables_full_sync(ruleset, true);
  std::string text;
  for (const auto& line : nftables_dump_lines(ruleset)) text += line + "\n";
  return text;
}

}  // namespace svcbench
