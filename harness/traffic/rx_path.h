// The generator's receive side: one rx_burst at a time, each frame matched by its signature
// to the run that sent it; latency (rx TSC - tx TSC), loss bitmap, duplicates, reordering,
// and the endpoint the node DNAT-ed it to. begin() sizes everything; poll() never allocates.
// poll() runs on one thread at a time: the transmitting lcore between bursts, or an lcore of
// its own (RxWorker); received() and last_arrival_tsc() may be read from the other.
#pragma once

#include <rte_mbuf.h>

#include <atomic>
#include <cstdint>
#include <vector>

#include "dpdk_environment.h"
#include "replay.h"

namespace svcbench {

class RxPath {
 public:
  static constexpr uint16_t kBurst = 64;

  // validate_dnat: a packet whose destination is not one of its flow's endpoints is misrouted.
  // clock: where arrival times come from (the NIC's stamp where the port offers one).
  RxPath(uint16_t port, const TrafficPlan& traffic, bool validate_dnat, uint64_t tsc_hz, const RxClock& clock);
  // Counts frames of `run` with sequence numbers below `expected` into `result`; anything else
  // is foreign. Setup: allocates the sequence bitmap.
  void begin(uint32_t run, uint64_t expected, ReplayResult& result);
  // Also record each matched arrival into log[sequence] (rx TSC, endpoint index); null: don't.
  // Set before begin(); log must hold `expected` packets.
  void log_into(StreamPacket* log) { log_ = log; }
  // One rx_burst: matches, records and frees what arrived.
  void poll();
  // Matched arrivals of this run so far (what poll() counted into result.rx).
  uint64_t received() const { return received_.load(std::memory_order_acquire); }
  // Frames of this run that came back, duplicates included (the warm-up's all share sequence 0).
  uint64_t returned() const { return returned_.load(std::memory_order_acquire); }
  // TSC of the last matched arrival (0: none yet).
  uint64_t last_arrival_tsc() const { return last_arrival_tsc_.load(std::memory_order_acquire); }

 private:
  uint16_t port_;
  const TrafficPlan& traffic_;
  bool validate_;
  double ns_per_cycle_;
  RxClock clock_;
  uint32_t run_ = 0;
  uint64_t expected_ = 0;
  std::vector<uint64_t> seen_;  // bitmap over sequence numbers
  uint64_t highest_ = 0;
  bool any_ = false;
  std::atomic<uint64_t> received_{0}, returned_{0};
  std::atomic<uint64_t> last_arrival_tsc_{0};
  ReplayResult* result_ = nullptr;
  StreamPacket* log_ = nullptr;
};

}  // namespace svcbench
