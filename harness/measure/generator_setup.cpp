#include "generator_setup.h"

#include "errors.h"

namespace svcbench {
namespace {

MacAddress mac_or_throw(const std::string& text, const char* what) {
  auto mac = parse_mac(text);
  if (!mac)
    throw UsageError(std::string(what) + " '" + text + "' is not a MAC like aa:bb:cc:dd:ee:ff");
  return *mac;
}

}  // namespace

void check_port_choice(const PortChoice& c, bool through_node) {
  if (c.driver != "auto" && c.driver != "af_xdp" && c.driver != "af_packet")
    throw UsageError("--generator-driver takes auto, af_xdp or af_packet, not '" + c.driver + "'");
  if (c.driver != "auto" && !c.eal_args.empty())
    throw UsageError(
        "--generator-driver chooses the virtual devices on the node's links; with your own EAL "
        "arguments name the devices there (--vdev net_af_xdp0,iface=...)");
  const bool named = !c.tx_port.empty() || !c.rx_port.empty() || !c.baseline_tx_port.empty() ||
                     !c.baseline_rx_port.empty();
  if (c.eal_args.empty() && named)
    throw UsageError(
        "--tx-port, --rx-port and the baseline ports name ports of your EAL arguments: give them "
        "after --");
  if (c.tx_port.empty() != c.rx_port.empty())
    throw UsageError("name both ports: --tx-port NAME --rx-port NAME");
  if (c.baseline_tx_port.empty() != c.baseline_rx_port.empty())
    throw UsageError("name both baseline ports: --baseline-tx-port NAME --baseline-rx-port NAME");
  const bool pair = through_node ? !c.tx_port.empty() : !c.baseline_tx_port.empty();
  if (!c.eal_args.empty() && !pair)
    throw UsageError(
        "with EAL arguments after --, name the ports: --tx-port NAME --rx-port NAME (e.g. "
        "net_af_packet0 or 0000:3b:00.0)");
  if (!c.dst_mac.empty()) mac_or_throw(c.dst_mac, "--dst-mac");
}

GeneratorPorts choose_generator_ports(Node* node, const PortChoice& choice) {
  GeneratorPorts p;
  GeneratorLinks links;
  if (node) links = node->generator_links();
  if (choice.eal_args.empty()) {
    if (!node)
      throw SetupError(
          "no node is up: run `svcbench testbed up` first, or give EAL arguments after --");
    using Driver = DpdkEnvironment::VirtualDriver;
    Driver driver = Driver::kAfPacket;
    if (choice.driver == "af_xdp") {
      if (!DpdkEnvironment::af_xdp_supported())
        throw SetupError(
            "this kernel opens no AF_XDP sockets (CONFIG_XDP_SOCKETS): use --generator-driver "
            "af_packet");
      driver = Driver::kAfXdp;
    } else if (choice.driver == "auto" && links.veth && DpdkEnvironment::af_xdp_supported()) {
      driver = Driver::kAfXdp;
    }
    const auto devices = DpdkEnvironment::virtual_devices(
        {links.to_node, links.from_node, links.baseline_tx, links.baseline_rx}, driver);
    p.eal_args = devices.eal_args;
    p.tx = devices.port_names[0];
    p.rx = devices.port_names[1];
    p.baseline_tx = devices.port_names[2];
    p.baseline_rx = devices.port_names[3];
  } else {
    p.eal_args =
        choice.eal_args;  // the user's EAL creates the ports; only the user knows their names
  }
  p.netns = links.netns;  // virtual devices on the node's links live there; PCI ports do not care
  if (!choice.tx_port.empty()) p.tx = choice.tx_port;
  if (!choice.rx_port.empty()) p.rx = choice.rx_port;
  if (!choice.baseline_tx_port.empty()) {
    p.baseline_tx = choice.baseline_tx_port;
    p.baseline_rx = choice.baseline_rx_port;
  }
  p.dst_mac = choice.dst_mac.empty() ? links.node_ingress_mac : choice.dst_mac;
  p.baseline_dst_mac = links.baseline_rx_mac;
  return p;
}

GeneratorSetup::GeneratorSetup(GeneratorPorts ports, const AddressPlan& plan)
    : ports_(std::move(ports)), plan_(plan), env_(ports_.eal_args, ports_.netns) {}

PacketReplayer& GeneratorSetup::through_node() {
  if (ports_.tx.empty())
    throw UsageError("name the ports towards the node: --tx-port NAME --rx-port NAME");
  if (ports_.dst_mac.empty())
    throw UsageError("say where frames go: --dst-mac MAC (the node's ingress port)");
  if (!through_)
    through_ = std::make_unique<TrafficGenerator>(env_, env_.port_by_name(ports_.tx),
                                                  env_.port_by_name(ports_.rx),
                                                  mac_or_throw(ports_.dst_mac, "--dst-mac"), plan_);
  return *through_;
}

std::pair<std::string, std::string> GeneratorSetup::node_port_macs() const {
  return {format_mac(env_.mac_of(env_.port_by_name(ports_.tx))),
          format_mac(env_.mac_of(env_.port_by_name(ports_.rx)))};
}

PacketReplayer* GeneratorSetup::back_to_back() {
  if (ports_.baseline_tx.empty()) return nullptr;
  if (!back_to_back_) {
    // The baseline peer's MAC when it is a link of ours; on ports the user named, the frames
    // go out unchanged and the RX port is promiscuous.
    const std::string mac =
        ports_.baseline_dst_mac.empty() ? "02:00:00:00:00:00" : ports_.baseline_dst_mac;
    back_to_back_ = std::make_unique<TrafficGenerator>(env_, env_.port_by_name(ports_.baseline_tx),
                                                       env_.port_by_name(ports_.baseline_rx),
                                                       mac_or_throw(mac, "baseline MAC"), plan_);
  }
  return back_to_back_.get();
}

}  // namespace svcbench
