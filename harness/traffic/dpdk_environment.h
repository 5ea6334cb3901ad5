// DPDK's environment and ports for the generator: EAL set up once per process (inside the
// generator's network namespace for virtual devices), one mempool, ports brought up in the
// canonical order (dev info -> configure -> queues on the port's socket -> start).
#pragma once

#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include <string>
#include <vector>

#include "packet_builder.h"

namespace svcbench {

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
  // Configures one RX and one TX queue and starts the port; idempotent per port.
  void start_port(uint16_t port);
  MacAddress mac_of(uint16_t port) const;
  rte_mempool* pool() const { return pool_; }
  uint64_t tsc_hz() const;

  // EAL arguments with one net_af_packet device per interface (one lcore, no hugepages, no
  // PCI), and the port names they create, in the interfaces' order.
  struct VirtualDevices {
    std::vector<std::string> eal_args;
    std::vector<std::string> port_names;
  };
  static VirtualDevices af_packet_devices(const std::vector<std::string>& interfaces);

 private:
  rte_mempool* pool_ = nullptr;
  std::vector<uint16_t> started_;
  std::string owned_runtime_dir_;  // the --file-prefix we chose, removed on destruction
};

// Enters /run/netns/<name> on the calling thread (before any DPDK thread exists).
void enter_netns(const std::string& name);

}  // namespace svcbench
