// rte_eth_read_clock (the NIC clock, for RX timestamps) is still experimental in DPDK 22.11.
#define ALLOW_EXPERIMENTAL_API
#include "dpdk_environment.h"

#include <bpf/libbpf.h>
#include <fcntl.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_mbuf_dyn.h>
#include <sched.h>
#include <sys/socket.h>
#include <xdp/libxdp.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "errors.h"

namespace svcbench {

void enter_netns(const std::string& name) {
  const std::string path = "/run/netns/" + name;
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    throw SetupError("network namespace " + name + " does not exist: run `svcbench testbed up`");
  int rc = setns(fd, CLONE_NEWNET);
  close(fd);
  if (rc != 0)
    throw SetupError("cannot enter namespace " + name + ": " + strerror(errno) + " (run as root)");
}

namespace {

// The first CPU this process may run on. One lcore on the node's veth links: the kernel's
// path (veth, the node's forwarding, the XDP redirect into the RX socket) runs on the core
// whose kick sent the frame, so an RX lcore of its own only adds contention. Measured on the
// netns node, 1,000,000 frames at top speed, af_xdp: one lcore 474k new-flow / 759k
// established, two lcores 421k / 602k. With a NIC the user's EAL may give two (`-l 0,1`).
std::string generator_lcore() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0)
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu)
      if (CPU_ISSET(cpu, &set)) return std::to_string(cpu);
  return "0";
}

// libbpf and libxdp (under net_af_xdp) report what they skip and fall back from on stderr:
// harmless here (no bpffs, metadata sections), so they speak only when SVCBENCH_DEBUG is set.
int quiet_libbpf(enum libbpf_print_level, const char* format, va_list args) {
  return std::getenv("SVCBENCH_DEBUG") ? std::vfprintf(stderr, format, args) : 0;
}
int quiet_libxdp(enum libxdp_print_level, const char* format, va_list args) {
  return std::getenv("SVCBENCH_DEBUG") ? std::vfprintf(stderr, format, args) : 0;
}

}  // namespace

bool DpdkEnvironment::af_xdp_supported() {
  const int fd = socket(AF_XDP, SOCK_RAW | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  close(fd);
  return true;
}

DpdkEnvironment::VirtualDevices DpdkEnvironment::virtual_devices(
    const std::vector<std::string>& interfaces, VirtualDriver driver) {
  const bool xdp = driver == VirtualDriver::kAfXdp;
  const std::string pmd = xdp ? "net_af_xdp" : "net_af_packet";
  VirtualDevices d;
  d.eal_args = {"-l",
                generator_lcore(),
                "--no-huge",
                "-m",
                "256",
                "--no-pci",
                "--no-telemetry",
                "--log-level",
                "lib.eal:error",
                "--log-level",
                "pmd.net." + std::string(xdp ? "af_xdp" : "af_packet") + ":error"};
  for (size_t i = 0; i < interfaces.size(); ++i) {
    d.port_names.push_back(pmd + std::to_string(i));
    d.eal_args.push_back("--vdev");
    d.eal_args.push_back(d.port_names.back() + ",iface=" + interfaces[i] +
                         (xdp ? ",start_queue=0,queue_count=1"
                              : ",blocksz=4096,framesz=2048,framecnt=1024,qpairs=1"));
  }
  return d;
}

DpdkEnvironment::DpdkEnvironment(std::vector<std::string> eal_args, const std::string& netns) {
  if (!netns.empty()) enter_netns(netns);
  libbpf_set_print(quiet_libbpf);
  libxdp_set_print(quiet_libxdp);
  bool has_prefix = std::any_of(eal_args.begin(), eal_args.end(), [](const std::string& a) {
    return a.starts_with("--file-prefix") || a == "--in-memory";
  });
  if (!has_prefix) eal_args.push_back("--file-prefix=svcb-" + std::to_string(getpid()));
  std::vector<std::string> storage = {"svcbench"};
  storage.insert(storage.end(), eal_args.begin(), eal_args.end());
  std::vector<char*> argv;
  for (auto& a : storage) argv.push_back(a.data());
  argv.push_back(nullptr);
  if (rte_eal_init(static_cast<int>(storage.size()), argv.data()) < 0) {
    std::string reason = rte_strerror(rte_errno);
    bool no_huge = std::find(eal_args.begin(), eal_args.end(), "--no-huge") != eal_args.end();
    throw SetupError("DPDK EAL init failed (" + reason + ")" +
                     (no_huge ? std::string("; check the --vdev/-a device arguments")
                              : std::string("; reserve hugepages (echo 512 > "
                                            "/proc/sys/vm/nr_hugepages) or pass --no-huge")));
  }
  if (!has_prefix) owned_runtime_dir_ = rte_eal_get_runtime_dir();  // ours to remove
  static_assert(RTE_MBUF_DEFAULT_DATAROOM >= kMaxFrameBytes,
                "a frame the generator accepts must fit one mbuf");
  pool_ = rte_pktmbuf_pool_create("svcb_pool", 8191, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
                                  static_cast<int>(rte_socket_id()));
  if (!pool_)
    throw SetupError(std::string("DPDK mempool creation failed: ") + rte_strerror(rte_errno) +
                     "; give EAL more memory (-m)");
}

DpdkEnvironment::~DpdkEnvironment() {
  for (uint16_t port : started_) {
    rte_eth_dev_stop(port);
    rte_eth_dev_close(port);
  }
  rte_eal_cleanup();
  // DPDK leaves its runtime directory (/run/dpdk/svcb-PID) behind; `testbed down` would remove
  // it later, but a clean exit leaves nothing.
  std::error_code ec;
  if (!owned_runtime_dir_.empty()) std::filesystem::remove_all(owned_runtime_dir_, ec);
}

std::string DpdkEnvironment::probed_port_names() const {
  std::string names;
  uint16_t port = 0;
  RTE_ETH_FOREACH_DEV(port) {
    char name[RTE_ETH_NAME_MAX_LEN] = {};
    if (rte_eth_dev_get_name_by_port(port, name) == 0)
      names += (names.empty() ? "" : ", ") + std::string(name);
  }
  return names.empty() ? "no ports" : names;
}

uint16_t DpdkEnvironment::port_by_name(const std::string& name) const {
  uint16_t port = 0;
  if (rte_eth_dev_get_port_by_name(name.c_str(), &port) != 0)
    throw UsageError("DPDK has no port named " + name + " (EAL probed " + probed_port_names() +
                     "); name one of those with --tx-port/--rx-port");
  return port;
}

void DpdkEnvironment::start_port(uint16_t port) {
  if (std::find(started_.begin(), started_.end(), port) != started_.end()) return;
  rte_eth_dev_info info{};
  if (int rc = rte_eth_dev_info_get(port, &info); rc != 0)
    throw SetupError("port " + std::to_string(port) + ": dev info: " + rte_strerror(-rc));
  rte_eth_conf conf{};
  RxClock clock;
  if (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_TIMESTAMP) {
    if (rte_mbuf_dyn_rx_timestamp_register(&clock.dynfield_offset, &clock.dynflag) == 0) {
      conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_TIMESTAMP;
      clock.nic = true;
    }
  }
  if (int rc = rte_eth_dev_configure(port, 1, 1, &conf); rc != 0)
    throw SetupError("port " + std::to_string(port) + ": configure: " + rte_strerror(-rc));
  uint16_t rxd = 1024, txd = 1024;
  rte_eth_dev_adjust_nb_rx_tx_desc(port, &rxd, &txd);
  const int socket = rte_eth_dev_socket_id(port);
  const unsigned s = socket < 0 ? rte_socket_id() : static_cast<unsigned>(socket);
  // Each port receives into a pool of its own: net_af_xdp registers an RX pool as the
  // socket's UMEM, which one pool can be for one port only.
  const std::string rx_pool_name = "svcb_rx" + std::to_string(port);
  rte_mempool* rx_pool = rte_pktmbuf_pool_create(rx_pool_name.c_str(), 8191, 256, 0,
                                                 RTE_MBUF_DEFAULT_BUF_SIZE, static_cast<int>(s));
  if (!rx_pool)
    throw SetupError("port " + std::to_string(port) + ": RX mempool: " + rte_strerror(rte_errno) +
                     "; give EAL more memory (-m)");
  if (int rc = rte_eth_rx_queue_setup(port, 0, rxd, s, nullptr, rx_pool); rc != 0)
    throw SetupError("port " + std::to_string(port) + ": rx queue: " + rte_strerror(-rc));
  rte_eth_txconf txconf = info.default_txconf;
  txconf.offloads = conf.txmode.offloads;
  if (int rc = rte_eth_tx_queue_setup(port, 0, txd, s, &txconf); rc != 0)
    throw SetupError("port " + std::to_string(port) + ": tx queue: " + rte_strerror(-rc));
  if (int rc = rte_eth_dev_start(port); rc != 0)
    throw SetupError("port " + std::to_string(port) + ": start: " + rte_strerror(-rc));
  rte_eth_promiscuous_enable(port);
  if (clock.nic) {
    // The NIC clock's rate against the TSC, over 100 ms; a port that cannot be read falls back.
    uint64_t tick0 = 0, tick1 = 0;
    const uint64_t tsc0 = rte_rdtsc();
    if (rte_eth_read_clock(port, &tick0) == 0) {
      rte_delay_ms(100);
      const uint64_t tsc1 = rte_rdtsc();
      if (rte_eth_read_clock(port, &tick1) == 0 && tick1 > tick0)
        clock.tsc_per_tick = static_cast<double>(tsc1 - tsc0) / static_cast<double>(tick1 - tick0);
      else
        clock.nic = false;
    } else {
      clock.nic = false;
    }
  }
  started_.push_back(port);
  clocks_.push_back(clock);
}

RxClock DpdkEnvironment::rx_clock(uint16_t port) {
  const auto it = std::find(started_.begin(), started_.end(), port);
  if (it == started_.end()) throw SetupError("port " + std::to_string(port) + " is not started");
  RxClock& clock = clocks_[static_cast<size_t>(it - started_.begin())];
  if (clock.nic) {
    uint64_t tick = 0;
    const uint64_t tsc = rte_rdtsc();
    if (rte_eth_read_clock(port, &tick) == 0) {
      clock.anchor_tick = tick;
      clock.anchor_tsc = tsc;
    }
  }
  return clock;
}

std::vector<PortFacts> DpdkEnvironment::started_ports() const {
  std::vector<PortFacts> facts;
  for (size_t i = 0; i < started_.size(); ++i) {
    PortFacts f;
    char name[RTE_ETH_NAME_MAX_LEN] = {};
    rte_eth_dev_get_name_by_port(started_[i], name);
    f.name = name;
    rte_eth_dev_info info{};
    if (rte_eth_dev_info_get(started_[i], &info) == 0 && info.driver_name) f.driver = info.driver_name;
    f.socket = rte_eth_dev_socket_id(started_[i]);
    f.rx_clock = clocks_[i].name();
    facts.push_back(std::move(f));
  }
  return facts;
}

unsigned DpdkEnvironment::lcores() const { return rte_lcore_count(); }

MacAddress DpdkEnvironment::mac_of(uint16_t port) const {
  rte_ether_addr addr{};
  rte_eth_macaddr_get(port, &addr);
  MacAddress mac;
  std::memcpy(mac.data(), addr.addr_bytes, 6);
  return mac;
}

uint64_t DpdkEnvironment::tsc_hz() const { return rte_get_tsc_hz(); }

}  // namespace svcbench
