// The signature every generated packet carries at the start of its L4 payload. RX matches
// it to compute latency (rx TSC - tx TSC), detect loss, duplicates and reordering, and check
// which endpoint the node DNAT-ed the packet to.
#pragma once

#include <cstdint>
#include <cstring>

namespace svcbench {

struct PacketSignature {
  static constexpr uint64_t kMagic = 0x5356'4342'454e'4348ULL;  // "SVCBENCH"
  uint64_t magic = kMagic;
  uint64_t sequence = 0;  // 0-based per run
  uint64_t tx_tsc = 0;    // rte_rdtsc() just before the packet's tx_burst
  uint32_t flow = 0;      // index of the targeted Service in the run's flow table
  uint32_t run = 0;       // run id: packets from an earlier run are ignored

  // Unaligned-safe access to the payload bytes.
  void store(uint8_t* at) const { std::memcpy(at, this, sizeof *this); }
  static PacketSignature load(const uint8_t* at) {
    PacketSignature s;
    std::memcpy(&s, at, sizeof s);
    return s;
  }
};
static_assert(sizeof(PacketSignature) == 32);

}  // namespace svcbench
