// The generator's transmit side, in the manner of DPDK testpmd's txonly: templates are set up
// once (MACs written), prepare_burst() fills a burst of mbufs from them and patches what
// varies per packet (source tuple, signature, checksums), transmit_burst() stamps each
// packet's tx TSC just before rte_eth_tx_burst (again before a retry, keeping the TCP
// checksum right incrementally) and frees what the port would not take. No allocation, no
// logging, no exceptions after construction.
#pragma once

#include <rte_mbuf.h>

#include <cstdint>
#include <vector>

#include "packet_builder.h"
#include "replay.h"
#include "rx_path.h"

namespace svcbench {

class TxPath {
 public:
  // Source tuples are (client address, port) pairs, 60,000 per client; measured new flows use
  // tuples below this, warm-up tuples start here (client address 4), so none is reused.
  static constexpr uint64_t kTuplesPerClient = 60000;
  static constexpr uint64_t kWarmupTupleBase = 4 * kTuplesPerClient;
  static_assert(kWarmupTupleBase == kNewFlowTuples);

  // Throws UsageError when a template frame does not fit one of the pool's mbufs.
  TxPath(uint16_t port, rte_mempool* pool, const TrafficPlan& traffic,
         const ReplaySettings& settings, MacAddress src_mac, MacAddress dst_mac,
         const AddressPlan& plan);

  // Which packets a burst carries: sequence numbers [first_sequence, first_sequence + count).
  struct Burst {
    uint64_t first_sequence = 0;
    uint16_t count = 0;  // 1..ReplaySettings::kMaxBurst
    uint32_t run = 0;
    bool measured = true;     // false: warm-up packets all carry sequence 0
    uint64_t tuple_base = 0;  // source tuples start here (warm-up tuples are kept apart)
  };
  // Restarts the per-run choice of templates (the uniform target's random draw).
  void begin(uint32_t run);
  // Fills mbufs[0..count); false (and nothing taken from the pool) when it is empty.
  bool prepare_burst(rte_mbuf** mbufs, const Burst& burst);
  // Sends mbufs[0..count), polling `inline_rx` between retries (null: RX has an lcore of its
  // own); returns how many the port took and frees the rest. stamps (when given) receives
  // each taken packet's tx TSC.
  uint16_t transmit_burst(rte_mbuf** mbufs, uint16_t count, RxPath* inline_rx,
                          uint64_t* stamps = nullptr);

 private:
  size_t template_for(uint64_t sequence, uint32_t* flow_slot);

  uint16_t port_;
  rte_mempool* pool_;
  std::vector<TrafficTemplate> templates_;  // with this port's MACs
  ReplaySettings settings_;
  // Whose client addresses a template's source takes: the plan's for its own family, the
  // other family's default plan for frames of the other family.
  AddressPlan plan_, other_family_plan_;
  const AddressPlan& clients_for(const FrameLayout& layout) const {
    return layout.family == plan_.benchmarking_range.family() ? plan_ : other_family_plan_;
  }
  uint64_t rng_ = 0;
  uint64_t fresh_ = 0, fresh_aside_ = 0;  // the next kFresh / kFreshAside tuple
  FrameLayout burst_layouts_[ReplaySettings::kMaxBurst];  // of the burst being sent
};

}  // namespace svcbench
