// The DPDK side of a measurement: which ports carry what and the EAL that creates them,
// either the af_packet devices on a node's generator links or the user's own EAL arguments
// and port names (PCI ports on bare metal), then the generators on those ports.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dpdk_environment.h"
#include "node.h"
#include "traffic_generator.h"

namespace svcbench {

// What the user named on the command line; empty fields take the node's defaults.
struct PortChoice {
  std::vector<std::string> eal_args;  // after `--`; empty: af_packet on the node's links
  std::string tx_port, rx_port;       // DPDK port names through the node
  std::string baseline_tx_port, baseline_rx_port;
  std::string dst_mac;  // frames to the node (default: its ingress MAC)
  // Virtual devices on the node's links: "af_xdp", "af_packet" or "auto" (af_xdp where the
  // links are veth and the kernel opens AF_XDP sockets, else af_packet).
  std::string driver = "auto";
};

struct GeneratorPorts {
  std::vector<std::string> eal_args;
  std::string netns;                     // entered before EAL probes (virtual devices)
  std::string tx, rx;                    // through the node
  std::string baseline_tx, baseline_rx;  // back-to-back; empty: no baseline
  std::string dst_mac, baseline_dst_mac;
};

// UsageError for a choice that cannot work: an unknown driver, a driver with EAL arguments,
// port names without EAL arguments, EAL arguments
// without the pair the measurement sends on (towards the node when `through_node`, else the
// baseline pair), half a pair, a malformed MAC. The CLI calls it before anything is touched.
void check_port_choice(const PortChoice& choice, bool through_node);

// node: the node that is up (null: none, the user must name everything).
GeneratorPorts choose_generator_ports(Node* node, const PortChoice& choice);

// EAL and the generators, created on first use (so a run starts only the ports it sends on).
class GeneratorSetup {
 public:
  GeneratorSetup(GeneratorPorts ports, const AddressPlan& plan);
  // UsageError when no destination MAC is known (no node up and no --dst-mac).
  PacketReplayer& through_node();
  // nullptr when no baseline ports were named.
  PacketReplayer* back_to_back();
  const GeneratorPorts& ports() const { return ports_; }
  const DpdkEnvironment& environment() const { return env_; }
  // The MACs of the ports towards and back from the node ("aa:bb:..."), for Node::attach_generator.
  std::pair<std::string, std::string> node_port_macs() const;

 private:
  GeneratorPorts ports_;
  AddressPlan plan_;
  DpdkEnvironment env_;
  std::unique_ptr<TrafficGenerator> through_, back_to_back_;
};

}  // namespace svcbench
