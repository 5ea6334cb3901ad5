#include "nftables_mode.h"

#include "command_runner.h"
#include "errors.h"
#include "nftables_listing.h"
#include "sync_plan.h"

namespace svcbench {

NftablesMode::NftablesMode(std::shared_ptr<NodeShell> node, NftablesOptions options)
    : node_(std::move(node)), options_(std::move(options)) {
  node_->require_tool("nft", "nftables");
}

double NftablesMode::run(const std::string& transaction, const std::string& what) {
  auto r = node_->run({"nft", "-f", "-"}, transaction);
  if (!r.ok()) {
    std::string first = r.err.substr(0, r.err.find('\n'));
    throw SetupError("nftables " + what + ": the kernel rejected the transaction (nft exit " +
                     std::to_string(r.exit_code) + "): " + first);
  }
  return r.seconds;
}

void NftablesMode::reset() {
  // knftables' idiom for "delete if present": add, then delete.
  run("add table ip kube-proxy\ndelete table ip kube-proxy\n", "reset");
  stale_chains_.clear();
}

double NftablesMode::initial_load(const ServiceSet& services) {
  reset();
  return run(nftables_full_sync(build_nftables(services, options_), true), "initial load");
}

double NftablesMode::full_resync(const ServiceSet& services) {
  return run(nftables_full_sync(build_nftables(services, options_), false), "full resync");
}

double NftablesMode::partial_sync(const ServiceSet& before, const ServiceSet& after) {
  double seconds = 0;
  if (!stale_chains_.empty()) {
    seconds += run(nftables_delete_chains(stale_chains_), "stale chain deletion");
    stale_chains_.clear();
  }
  std::vector<std::string> stale;
  const auto tx = nftables_partial_sync(build_nftables(before, options_), build_nftables(after, options_),
                                        changed_services(before, after), &stale);
  seconds += run(tx, "partial sync");
  stale_chains_ = std::move(stale);
  return seconds;
}

std::string NftablesMode::loaded_ruleset() {
  auto r = node_->run({"nft", "list", "table", "ip", "kube-proxy"});
  return r.ok() ? r.out : "";
}

std::vector<ServiceDispatch> NftablesMode::loaded_dispatch() {
  return read_nftables_dispatch(loaded_ruleset());
}

}  // namespace svcbench
