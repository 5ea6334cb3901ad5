#include "rx_path.h"

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf_dyn.h>

#include "packet_signature.h"

namespace svcbench {

RxPath::RxPath(uint16_t port, const TrafficPlan& traffic, bool validate_dnat, uint64_t tsc_hz,
               const RxClock& clock)
    : port_(port),
      traffic_(traffic),
      validate_(validate_dnat),
      ns_per_cycle_(1e9 / static_cast<double>(tsc_hz)),
      clock_(clock) {}

void RxPath::begin(uint32_t run, uint64_t expected, ReplayResult& result) {
  run_ = run;
  expected_ = expected;
  seen_.assign((expected + 63) / 64, 0);
  highest_ = 0;
  any_ = false;
  last_arrival_tsc_.store(0, std::memory_order_relaxed);
  received_.store(0, std::memory_order_release);
  returned_.store(0, std::memory_order_release);
  result_ = &result;
}

void RxPath::poll() {
  rte_mbuf* mbufs[kBurst];
  const uint16_t n = rte_eth_rx_burst(port_, 0, mbufs, kBurst);
  if (n == 0) return;
  const uint64_t now = rte_rdtsc();
  ReplayResult& r = *result_;
  for (uint16_t i = 0; i < n; ++i) {
    rte_mbuf* m = mbufs[i];
    const uint8_t* data = rte_pktmbuf_mtod(m, const uint8_t*);
    const size_t len = rte_pktmbuf_data_len(m);
    auto layout = parse_layout(data, len);
    if (!layout || len < layout->payload + sizeof(PacketSignature)) {
      ++r.foreign;
      continue;
    }
    const PacketSignature sig = PacketSignature::load(data + layout->payload);
    if (sig.magic != PacketSignature::kMagic || sig.run != run_ || sig.sequence >= expected_ ||
        (!traffic_.flows.empty() && sig.flow >= traffic_.flows.size())) {
      ++r.foreign;
      continue;
    }
    uint64_t& word = seen_[sig.sequence >> 6];
    const uint64_t bit = uint64_t{1} << (sig.sequence & 63);
    if (word & bit) {
      ++r.duplicates;
      continue;
    }
    word |= bit;
    ++r.rx;
    last_arrival_tsc_.store(now, std::memory_order_relaxed);
    if (any_ && sig.sequence < highest_) ++r.reordered;
    if (!any_ || sig.sequence > highest_) highest_ = sig.sequence;
    any_ = true;
    uint64_t arrival = now;
    if (clock_.nic && (m->ol_flags & clock_.dynflag))
      arrival = clock_.tsc_of(*RTE_MBUF_DYNFIELD(m, clock_.dynfield_offset, rte_mbuf_timestamp_t*));
    const uint64_t cycles = arrival > sig.tx_tsc ? arrival - sig.tx_tsc : 0;
    r.latency.record(static_cast<uint64_t>(static_cast<double>(cycles) * ns_per_cycle_));
    int32_t hit = StreamPacket::kNotBack;
    if (validate_ && !traffic_.flows.empty()) {
      const auto& eps = traffic_.flows[sig.flow].endpoints;
      const IpAddress dst = destination_of(data, *layout);
      const uint16_t dport = destination_port_of(data, *layout);
      bool matched = false;
      for (size_t e = 0; e < eps.size(); ++e) {
        if (eps[e].address == dst && eps[e].port == dport) {
          ++r.endpoint_hits[sig.flow][e];
          matched = true;
          hit = static_cast<int32_t>(e);
          break;
        }
      }
      if (!matched) {
        ++r.misrouted;
        hit = StreamPacket::kMisrouted;
      }
    }
    if (log_) {
      log_[sig.sequence].rx_ns = arrival;  // a TSC until the stream converts it
      log_[sig.sequence].endpoint = hit;
    }
  }
  rte_pktmbuf_free_bulk(mbufs, n);  // every frame of the burst, matched or not
  received_.store(r.rx, std::memory_order_release);
  returned_.store(r.rx + r.duplicates, std::memory_order_release);
}

}  // namespace svcbench
