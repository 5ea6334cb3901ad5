// A node under test: the Linux machine whose Service dataplane svcbench programs and measures.
// Every kind (a namespace on this host, a qemu guest, later a user-mode Linux guest or a
// remote host) answers the same questions: bring it up and down, run a tool on it (timed on
// its own clock), which links the generator sends on and where frames are addressed, what
// the results' context says of it, and how fast to pace traffic at it by default.
// The kind is named here and in the CLI's list of kinds, and compared nowhere else.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "address_plan.h"
#include "command_runner.h"

namespace svcbench {

// The generator's ends of a node's data links, as interfaces in a namespace of this host
// (DPDK attaches virtual devices to them). PCI ports on bare metal are named by the user.
struct GeneratorLinks {
  std::string netns;                     // where the interfaces live (DPDK enters it)
  std::string to_node, from_node;        // Service traffic in; DNAT-ed traffic back
  std::string baseline_tx, baseline_rx;  // the back-to-back pair, no node between
  std::string node_ingress_mac;          // destination MAC of frames to the node
  std::string baseline_rx_mac;           // destination MAC of back-to-back frames
  bool veth = false;  // all four are veth ends: net_af_xdp attaches natively (auto picks it)
};

// The node kind when none is named: the embedded netns node.
inline constexpr const char* kDefaultNodeKind = "netns";

// Kernel options a mode needs that not every node's kernel has.
enum class KernelFeature {
  kIpVs,          // CONFIG_IP_VS: kube-proxy's IPVS mode
  kNfTablesIpv4,  // CONFIG_NF_TABLES_IPV4: nftables mode and the iptables-nft backend
};
const char* config_option(KernelFeature feature);  // "CONFIG_IP_VS"

// How to reach the ssh node and which of its links carry the traffic.
struct SshAccess {
  std::string target;                // USER@HOST
  std::string identity;              // private key file (ssh -i), empty: ssh's default
  std::vector<std::string> options;  // KEY=VALUE, each passed as ssh -o
  std::string in_link, out_link;     // the node's links wired to the generator's TX and RX ports
};

struct NodeOptions {
  AddressPlan plan;
  SshAccess ssh;
  std::string vm_image_dir;  // the vm node's kernel + initramfs (scripts/build-vm-image)
  // How long the vm guest agent's heartbeat may stand still before the guest counts as not
  // answering; a command itself may run as long as it takes while the guest is alive.
  static constexpr double kDefaultVmSilenceSeconds = 120;
  double vm_silence_seconds = kDefaultVmSilenceSeconds;
  // The uml node's kernel: "6.12" or "6.1" (built by scripts/build-uml-kernel, every mode),
  // "debian" (the user-mode-linux package's 6.1: iptables-legacy and ipvs) or a kernel's path.
  static constexpr const char* kDefaultUmlKernel = "6.12";
  std::string uml_kernel = kDefaultUmlKernel;
};

class Node {
 public:
  virtual ~Node() = default;
  virtual std::string kind() const = 0;

  // Creates the node and its links, replacing leftovers; throws SetupError naming the step
  // that failed, after undoing what it created.
  virtual void up() = 0;
  // Removes what up() created, also after a killed run. Idempotent.
  virtual void down() = 0;
  // `testbed status`: {"up", "node", "namespaces", "root_links", "node_ingress_mac", ...}.
  virtual nlohmann::json status() = 0;

  // Runs a tool on the node; CommandResult::seconds is measured on the node, around the tool.
  // Throws SetupError when the tool cannot be started there.
  virtual CommandResult run(const std::vector<std::string>& argv,
                            const std::string& input = "") = 0;
  // Throws SetupError naming the Debian package when the node lacks `tool`.
  virtual void require_tool(const std::string& tool, const std::string& package) = 0;
  // Plain words that, followed by a command and its arguments, run it on the node from this
  // machine's shell (an external programmer's hook gets it as SVCBENCH_NODE_EXEC): "ip netns
  // exec svcb-node" on netns, ssh's command line on ssh, svcbench's own `testbed exec --` on
  // the guest nodes.
  virtual std::string exec_prefix() const;
  // Where one of svcbench's own node-side tools (svcb-ipvs-netlink) is, as seen from the node.
  virtual std::string svcbench_tool(const std::string& name) const = 0;
  // Whether the node's kernel has `feature`; answerable before up().
  virtual bool kernel_has(KernelFeature feature) const = 0;

  // The generator's links to the node that is up.
  virtual GeneratorLinks generator_links() = 0;
  // Tells the node the MACs of the generator's ports, once DPDK has them: a node whose links
  // svcbench does not create (ssh) points its static neighbours at them. Others know already.
  virtual void attach_generator(const std::string& /*tx_mac*/, const std::string& /*rx_mac*/) {}
  // Throws SetupError when the node that is up cannot carry `family`'s traffic (an ssh node
  // without IPv6). Every other kind carries both.
  virtual void require_family(IpFamily /*family*/) const {}
  // The node's part of the results' context: node_kind, emulated, its tool versions, and
  // what else the kind knows (accelerator, guest kernel).
  virtual nlohmann::json context() = 0;
  // Packets per second a latency run offers by default: below what the node forwards, so
  // latency is the path's and not a queue's.
  virtual uint64_t default_rate_pps() const = 0;
  // The node runs on the generator's own kernel (netns): its /proc/stat system time includes
  // the generator's syscalls, so only softirq time is the node's.
  virtual bool shares_generator_kernel() const { return false; }

  // A guest node (uml, vm) whose guest stopped answering (NodeStoppedAnswering): stops the
  // guest and starts it again as up() left it (links, addresses, no rules), and returns what
  // the stopped guest's kernel printed on its console (stamped, for its warnings). Nodes
  // without a guest throw SetupError.
  virtual std::string restart_guest();

  // Throws SetupError "<what> failed on the KIND node (TOOL exit N): ..." on a non-zero exit.
  CommandResult run_checked(const std::vector<std::string>& argv, const std::string& what,
                            const std::string& input = "");
  // Versions of the rule tools as the node has them: {"iptables_legacy", "iptables_nft",
  // "nft", "ipvsadm"}; "not installed" or "unavailable (...)" where one is missing or cannot run.
  nlohmann::json tool_versions();
  // Empties the node's conntrack table, so the next packets are new flows.
  void flush_conntrack();
};

// The kinds `--node` accepts, for the CLI's help and checks.
const std::vector<std::string>& node_kinds();
// The kinds whose kernel has `feature` ("uml or vm"), for an error's fix.
std::string node_kinds_with(KernelFeature feature);
// A node of that kind (nothing is created until up()); UsageError for an unknown kind.
std::unique_ptr<Node> make_node(const std::string& kind, const NodeOptions& options);
// The node `svcbench testbed up` brought up (the kind it recorded); SetupError when none is.
std::unique_ptr<Node> current_node(const NodeOptions& options);
// `testbed status` whether anything is up or not.
nlohmann::json testbed_status(const NodeOptions& options);
// `testbed down`: every kind's down(), so whatever was up (or left behind) is gone.
void remove_every_node();

}  // namespace svcbench
