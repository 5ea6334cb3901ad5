#include "tx_path.h"

#include <rte_cycles.h>
#include <rte_ethdev.h>

#include <cstddef>
#include <cstring>

#include "errors.h"
#include "packet_signature.h"

namespace svcbench {
namespace {

constexpr int kTxAttempts = 1000;

// xorshift64*: a cheap per-packet choice of Service for the uniform target.
inline uint64_t next_random(uint64_t& s) {
  s ^= s >> 12;
  s ^= s << 25;
  s ^= s >> 27;
  return s * 0x2545F4914F6CDD1DULL;
}

}  // namespace

TxPath::TxPath(uint16_t port, rte_mempool* pool, const TrafficPlan& traffic,
               const ReplaySettings& settings, MacAddress src_mac, MacAddress dst_mac,
               const AddressPlan& plan)
    : port_(port),
      pool_(pool),
      templates_(traffic.templates),
      settings_(settings),
      plan_(plan),
      other_family_plan_(AddressPlan::of(plan.benchmarking_range.family() == IpFamily::kIpv4
                                             ? IpFamily::kIpv6
                                             : IpFamily::kIpv4)) {
  const size_t room = rte_pktmbuf_data_room_size(pool_) - RTE_PKTMBUF_HEADROOM;
  for (auto& t : templates_) {
    if (t.frame.size() > room)
      throw UsageError("a frame of " + std::to_string(t.frame.size()) +
                       " bytes does not fit the generator's " + std::to_string(room) +
                       "-byte buffers; replay frames of at most " + std::to_string(room) +
                       " bytes");
    set_macs(t.frame.data(), src_mac, dst_mac);
  }
}

void TxPath::begin(uint32_t run) {
  rng_ = 0x9E3779B97F4A7C15ULL ^ run;
  fresh_ = fresh_aside_ = 0;
}

size_t TxPath::template_for(uint64_t seq, uint32_t* flow_slot) {
  const size_t n = templates_.size();
  if (settings_.phase == Phase::kEstablished) {
    *flow_slot = static_cast<uint32_t>(seq % std::max<uint32_t>(1, settings_.established_flows));
    return *flow_slot % n;
  }
  if (settings_.capture_timing || settings_.in_order || n == 1) return seq % n;
  return next_random(rng_) % n;
}

bool TxPath::prepare_burst(rte_mbuf** mbufs, const Burst& b) {
  if (rte_pktmbuf_alloc_bulk(pool_, mbufs, b.count) != 0) return false;
  const bool established = settings_.phase == Phase::kEstablished;
  for (uint16_t i = 0; i < b.count; ++i) {
    const uint64_t seq = b.first_sequence + i;
    uint32_t flow_slot = 0;
    const TrafficTemplate& t = templates_[template_for(seq, &flow_slot)];
    // Fits: the constructor checked every template against the data room.
    auto* data = reinterpret_cast<uint8_t*>(
        rte_pktmbuf_append(mbufs[i], static_cast<uint16_t>(t.frame.size())));
    std::memcpy(data, t.frame.data(), t.frame.size());
    if (t.source == SourceTuple::kFresh) {
      const uint64_t tuple = fresh_++ % kWarmupTupleBase;
      set_source(data, t.layout,
                 clients_for(t.layout).client_address(static_cast<uint32_t>(tuple / kTuplesPerClient)),
                 static_cast<uint16_t>(1024 + tuple % kTuplesPerClient));
    } else if (t.source == SourceTuple::kFreshAside) {
      set_source(data, t.layout, clients_for(t.layout).client_address(kWarmupTupleBase / kTuplesPerClient),
                 static_cast<uint16_t>(1024 + fresh_aside_++ % kTuplesPerClient));
    } else if (t.source == SourceTuple::kPhase && settings_.rewrite_source) {
      // New flows: a fresh (client, source port) per packet; established: per flow slot.
      const uint64_t tuple = b.tuple_base + (established ? flow_slot : seq % kWarmupTupleBase);
      set_source(data, t.layout,
                 clients_for(t.layout).client_address(static_cast<uint32_t>(tuple / kTuplesPerClient)),
                 static_cast<uint16_t>(1024 + tuple % kTuplesPerClient));
    }
    PacketSignature sig;
    sig.sequence = b.measured ? seq : 0;
    sig.flow = t.flow;
    sig.run = b.run;
    sig.tx_tsc = 0;  // stamped in transmit_burst
    sig.store(data + t.layout.payload);
    fix_checksums(data, t.frame.size(), t.layout);
    burst_layouts_[i] = t.layout;
  }
  return true;
}

uint16_t TxPath::transmit_burst(rte_mbuf** mbufs, uint16_t count, RxPath* inline_rx,
                                uint64_t* stamps) {
  uint16_t done = 0;
  for (int attempt = 0; attempt < kTxAttempts && done < count; ++attempt) {
    const uint64_t now = rte_rdtsc();
    for (uint16_t i = done; i < count; ++i)
      patch_payload_u64(rte_pktmbuf_mtod(mbufs[i], uint8_t*), burst_layouts_[i],
                        offsetof(PacketSignature, tx_tsc), now);
    const uint16_t before = done;
    done += rte_eth_tx_burst(port_, 0, mbufs + done, static_cast<uint16_t>(count - done));
    if (stamps)
      for (uint16_t i = before; i < done; ++i) stamps[i] = now;
    if (done < count && inline_rx) inline_rx->poll();
  }
  for (uint16_t i = done; i < count; ++i) rte_pktmbuf_free(mbufs[i]);
  return done;
}

}  // namespace svcbench
