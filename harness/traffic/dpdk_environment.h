// DPDK's environment and ports for the generator: EAL set up once per process (inside the
// generator's network namespace for virtual devices), a TX mempool and one RX pool per port
// (net_af_xdp makes each its socket's UMEM), ports brought up in the canonical order (dev info
// -> configure -> queues on the port's socket -> start).
#pragma once

#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include <string>
#include <vector>

#include "packet_builder.h"

namespace svcbench {

// Where a port's RX timestamps come from. NIC: the port stamps each frame on arrival
// (RTE_ETH_RX_OFFLOAD_TIMESTAMP) in its own clock's ticks, mapped onto the TSC (which stamps TX)
// through a rate measured at start and an anchor taken before each replay; TSC: the generator
// reads the TSC when rx_burst returns the frame (virtual devices, NICs without the offload).
struct RxClock {
  bool nic = false;
  int dynfield_offset = -1;     // the mbuf's rx timestamp field
  uint64_t dynflag = 0;         // set in ol_flags when the field holds a timestamp
  double tsc_per_tick = 1;      // TSC cycles per NIC clock tick
  uint64_t anchor_tick = 0, anchor_tsc = 0;
  const char* name() const { return nic ? "nic" : "tsc"; }
  // The TSC reading that corresponds to a NIC clock value.
  uint64_t tsc_of(uint64_t tick) const {
    return anchor_tsc + static_cast<uint64_t>(static_cast<double>(static_cast<int64_t>(tick - anchor_tick)) * tsc_per_tick);
  }
};

// What the results' context says of a port.
struct PortFacts {
  std::string name, driver;
  int socket = -1;       // NUMA socket, -1 unknown (virtual devices)
  std::string rx_clock;  // "nic" | "tsc"
};

class DpdkEnvironment {
 public:
  // eal_args: arguments for rte_eal_init (argv[0] added). netns: namespace to enter before
  // EAL probes virtual devices (empty: stay). Throws SetupError with DPDK's reason and a fix.
  DpdkEnvironment(std::vector<std::string> eal_args, const std::string& netns);
  ~DpdkEnvironment();
  DpdkEnvironment(const DpdkEnvironment&) = delete;
  DpdkEnvironment& operator=(const DpdkEnvironment&) = delete;

  // Port id of a probed device by name ("net_af_packet0" or a PCI address), or UsageError
  // naming the ports EAL probed.
  uint16_t port_by_name(const std::string& name) const;
  std::string probed_port_names() const;  // "net_af_packet0, 0000:3b:00.0", for errors
  // Configures one RX and one TX queue (with RX timestamps where the port offers them) and
  // starts the port; idempotent per port.
  void start_port(uint16_t port);
  // The RX clock of a started port, anchored now (call before each replay: the anchor keeps
  // the NIC-to-TSC mapping from drifting).
  RxClock rx_clock(uint16_t port);
  std::vector<PortFacts> started_ports() const;
  unsigned lcores() const;
  MacAddress mac_of(uint16_t port) const;
  rte_mempool* pool() const { return pool_; }  // what TX allocates from
  uint64_t tsc_hz() const;

  // EAL arguments with one virtual device per interface (no hugepages, no PCI, one lcore),
  // and the port names they create, in
  // the interfaces' order. net_af_xdp is the faster (zero syscalls per frame on RX); it needs
  // a kernel with AF_XDP sockets. net_af_packet works everywhere.
  enum class VirtualDriver { kAfPacket, kAfXdp };
  struct VirtualDevices {
    std::vector<std::string> eal_args;
    std::vector<std::string> port_names;
  };
  static VirtualDevices virtual_devices(const std::vector<std::string>& interfaces,
                                        VirtualDriver driver);
  // The kernel opens AF_XDP sockets (CONFIG_XDP_SOCKETS).
  static bool af_xdp_supported();

 private:
  rte_mempool* pool_ = nullptr;
  std::vector<uint16_t> started_;
  std::vector<RxClock> clocks_;  // per started port
  std::string owned_runtime_dir_;  // the --file-prefix we chose, removed on destruction
};

// Enters /run/netns/<name> on the calling thread (before any DPDK thread exists).
void enter_netns(const std::string& name);

}  // namespace svcbench
