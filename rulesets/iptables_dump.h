// Reading iptables-restore / iptables-save text: the canonical order kube-proxy's own tests
// compare in, and the Service dispatch table a loaded KUBE-SERVICES chain implements.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "address_plan.h"
#include "service_dispatch.h"
#include "service_model.h"

namespace svcbench {

// Splits one rule line into words, honouring double quotes ("a b" is one word, quotes kept).
std::vector<std::string> split_rule_words(std::string_view line);

// One of kube-proxy's jumps into its chains as its EnsureChain/EnsureRule calls make it, read
// from a base-jumps restore payload (render_iptables_base_jumps): the chain to create (empty:
// none), then the rule to check and, when missing, insert (-I) or append (-A) to `source`,
// its words unquoted as the iptables command takes them (empty: a chain alone).
struct BaseChainJump {
  std::string table, chain, source;
  std::vector<std::string> rule;
  bool append = false;
};
std::vector<BaseChainJump> base_chain_jumps(std::string_view base_jumps_payload);

// kube-proxy proxier_test.go's normalisation: per table, chain declarations with
// KUBE-NODEPORTS and KUBE-SERVICES first and the rest sorted by name, rules grouped by
// chain in that order (relative order within a chain kept), counters zeroed.
std::string canonical_iptables_dump(std::string_view restore_text);


// The iptables-restore --noflush payload that removes what kube-proxy owns from a node whose
// tables `save_text` (iptables-save) shows: every KUBE-* chain, flushed then deleted, and the
// rules of other chains that jump to one (base-chain jumps), deleted one by one. The node's own
// rules and chains stay, as kube-proxy's cleanup leaves them. Empty when there is nothing to do.
std::string kube_chains_removal(std::string_view save_text);

// Parses `iptables-save -t nat` output. Only rules with -d, -p and --dport are returned;
// the trailing KUBE-NODEPORTS jump is not a Service.
std::vector<ServiceDispatch> read_service_dispatch(std::string_view save_text);

}  // namespace svcbench
