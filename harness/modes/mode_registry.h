// The one list of kube-proxy modes svcbench drives, used by `rules`, `run` and `sweep`:
// a new mode is one file (its DataplaneMode and rendering) plus one line in the registry.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "dataplane_mode.h"
#include "iptables_renderer.h"
#include "node.h"

namespace svcbench {

struct ModeDescription {
  std::string name;               // "iptables-legacy", ...
  std::string summary;            // one line for --help
  std::vector<KernelFeature> needs;  // what the node's kernel must have
  bool iptables_payload = false;  // renders an iptables-restore payload (--base-jumps, --nfacct)
  bool has_canonical = false;     // `rules --canonical`: the order kube-proxy's tests compare in
  std::unique_ptr<DataplaneMode> (*make)(Node& node, const IptablesOptions& options);
  // What `svcbench rules --mode NAME` prints.
  std::string (*render)(const ServiceSet& services, const IptablesOptions& options, bool canonical);
};

const std::vector<ModeDescription>& dataplane_modes();
bool has_mode(const std::string& name);
// The description of `name`, or UsageError naming the modes there are.
const ModeDescription& find_mode(const std::string& name);
// "iptables-legacy, iptables-nft, nftables, ipvs"
std::string mode_names();
// The modes a node can run: all whose kernel needs it meets (the sweep's default).
std::vector<std::string> modes_for(const Node& node);
// UsageError naming the kernel option when `mode` needs what the node's kernel lacks.
void require_mode_supported(const ModeDescription& mode, const Node& node);
std::unique_ptr<DataplaneMode> make_dataplane_mode(const std::string& name, Node& node,
                                                   const IptablesOptions& options);

}  // namespace svcbench
