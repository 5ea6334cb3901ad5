#include "replay_engine.h"

#include <rte_cycles.h>

#include <algorithm>
#include <cmath>

#include "interruption.h"
#include "packet_signature.h"

namespace svcbench {

nlohmann::json ReplayResult::to_json(bool with_cdf) const {
  nlohmann::json j = {{"packets_tx", tx},
                      {"packets_rx", rx},
                      {"packets_lost", lost},
                      {"duplicates", duplicates},
                      {"reordered", reordered},
                      {"misrouted", misrouted},
                      {"foreign", foreign},
                      {"tx_failed", tx_failed},
                      {"seconds", seconds},
                      {"tx_pps", std::round(tx_pps())},
                      {"rx_seconds", rx_seconds},
                      {"rx_pps", std::round(rx_pps())},
                      {"saturated", saturated()},
                      {"latency_ns", latency.summary()},
                      {"endpoint_spread_max_deviation", worst_spread_deviation()}};
  if (with_cdf) j["latency_cdf"] = latency.cdf();
  return j;
}

double ReplayResult::worst_spread_deviation(uint64_t min_packets) const {
  double worst = 0;
  for (const auto& hits : endpoint_hits) {
    if (hits.size() < 2) continue;
    uint64_t total = 0;
    for (auto h : hits) total += h;
    if (total < min_packets) continue;
    const double expected = static_cast<double>(total) / static_cast<double>(hits.size());
    for (auto h : hits) worst = std::max(worst, std::abs(static_cast<double>(h) - expected) / expected);
  }
  return worst;
}

TrafficGenerator::TrafficGenerator(DpdkEnvironment& env, uint16_t tx_port, uint16_t rx_port,
                                   MacAddress dst_mac, const AddressPlan& plan)
    : env_(env), tx_port_(tx_port), rx_port_(rx_port), dst_mac_(dst_mac), plan_(plan) {
  env_.start_port(tx_port_);
  env_.start_port(rx_port_);
  src_mac_ = env_.mac_of(tx_port_);
}

namespace {

constexpr uint16_t kRxBurst = 64;
// New-flow warm-up tuples start at client address 4, beyond any measured tuple (< 240,000).
constexpr uint64_t kWarmupTupleBase = 4 * 60000;

// Everything the RX side needs, sized before the loop starts.
struct RxState {
  uint32_t run = 0;
  uint64_t expected = 0;
  std::vector<uint64_t> seen;            // bitmap over sequence numbers
  uint64_t highest = 0;
  bool any = false;
  uint64_t last_arrival_tsc = 0;
  bool validate = false;
  double ns_per_cycle = 1;
  const TrafficPlan* traffic = nullptr;
  ReplayResult* result = nullptr;
};

void receive(uint16_t port, RxState& st) {
  rte_mbuf* mbufs[kRxBurst];
  const uint16_t n = rte_eth_rx_burst(port, 0, mbufs, kRxBurst);
  if (n == 0) return;
  const uint64_t now = rte_rdtsc();
  ReplayResult& r = *st.result;
  for (uint16_t i = 0; i < n; ++i) {
    rte_mbuf* m = mbufs[i];
    const uint8_t* data = rte_pktmbuf_mtod(m, const uint8_t*);
    const size_t len = rte_pktmbuf_data_len(m);
    auto layout = parse_layout(data, len);
    if (!layout || len < layout->payload + sizeof(PacketSignature)) {
      ++r.foreign;
      rte_pktmbuf_free(m);
      continue;
    }
    const PacketSignature sig = PacketSignature::load(data + layout->payload);
    if (sig.magic != PacketSignature::kMagic || sig.run != st.run || sig.sequence >= st.expected ||
        (!st.traffic->flows.empty() && sig.flow >= st.traffic->flows.size())) {
      ++r.foreign;
      rte_pktmbuf_free(m);
      continue;
    }
    uint64_t& word = st.seen[sig.sequence >> 6];
    const uint64_t bit = uint64_t{1} << (sig.sequence & 63);
    if (word & bit) {
      ++r.duplicates;
      rte_pktmbuf_free(m);
      continue;
    }
    word |= bit;
    ++r.rx;
    st.last_arrival_tsc = now;
    if (st.any && sig.sequence < st.highest) ++r.reordered;
    if (!st.any || sig.sequence > st.highest) st.highest = sig.sequence;
    st.any = true;
    r.latency.record(static_cast<uint64_t>(static_cast<double>(now - sig.tx_tsc) * st.ns_per_cycle));
    if (st.validate && !st.traffic->flows.empty()) {
      const auto& eps = st.traffic->flows[sig.flow].endpoints;
      const Ipv4Address dst = destination_of(data, *layout);
      const uint16_t dport = destination_port_of(data, *layout);
      bool matched = false;
      for (size_t e = 0; e < eps.size(); ++e) {
        if (eps[e].address == dst && eps[e].port == dport) {
          ++r.endpoint_hits[sig.flow][e];
          matched = true;
          break;
        }
      }
      if (!matched) ++r.misrouted;
    }
    rte_pktmbuf_free(m);
  }
}

// xorshift64*: a cheap per-packet choice of Service for the uniform target.
inline uint64_t next_random(uint64_t& s) {
  s ^= s >> 12;
  s ^= s << 25;
  s ^= s >> 27;
  return s * 0x2545F4914F6CDD1DULL;
}

}  // namespace

ReplayResult TrafficGenerator::replay(const TrafficPlan& traffic, const ReplaySettings& settings,
                                      bool validate_dnat) {
  ReplayResult result;
  result.endpoint_hits.resize(traffic.flows.size());
  for (size_t f = 0; f < traffic.flows.size(); ++f)
    result.endpoint_hits[f].assign(traffic.flows[f].endpoints.size(), 0);
  if (traffic.templates.empty() || settings.packets == 0) return result;

  const uint64_t hz = env_.tsc_hz();
  const size_t n_templates = traffic.templates.size();
  const bool established = settings.phase == Phase::kEstablished;
  const uint32_t n_flows = std::max<uint32_t>(1, settings.established_flows);
  const uint16_t burst = std::clamp<uint16_t>(settings.burst, 1, 64);

  // Established phase: warm the node's conntrack with one packet per flow under another run id.
  auto send_all = [&](uint64_t count, uint32_t run, bool measure, RxState& rx, uint64_t tuple_base = 0) {
    rte_mbuf* mbufs[64];
    uint64_t rng = 0x9E3779B97F4A7C15ULL ^ run;
    const uint64_t period = settings.rate_pps ? hz * burst / settings.rate_pps : 0;
    const uint64_t start = rte_rdtsc();
    uint64_t next = start;
    uint64_t sent = 0;
    const double cycles_per_ns = static_cast<double>(hz) / 1e9 / std::max(settings.speed, 1e-6);
    const uint64_t first_offset = traffic.templates.front().offset_ns;
    while (sent < count && !interrupted()) {
      const uint64_t now = rte_rdtsc();
      if (settings.capture_timing) {
        const auto& t = traffic.templates[sent % n_templates];
        const uint64_t loop = sent / n_templates;
        const uint64_t span = traffic.templates.back().offset_ns - first_offset + 1000;
        const uint64_t due = start + static_cast<uint64_t>(
            static_cast<double>(t.offset_ns - first_offset + loop * span) * cycles_per_ns);
        if (now < due) {
          receive(rx_port_, rx);
          continue;
        }
      } else if (period && now < next) {
        receive(rx_port_, rx);
        continue;
      }
      next += period;
      const uint16_t n = static_cast<uint16_t>(std::min<uint64_t>(burst, count - sent));
      if (rte_pktmbuf_alloc_bulk(env_.pool(), mbufs, n) != 0) {
        receive(rx_port_, rx);
        continue;
      }
      for (uint16_t i = 0; i < n; ++i) {
        const uint64_t seq = sent + i;
        size_t index;
        uint32_t flow_slot = 0;
        if (established) {
          flow_slot = static_cast<uint32_t>(seq % n_flows);
          index = flow_slot % n_templates;
        } else if (settings.capture_timing || n_templates == 1) {
          index = seq % n_templates;
        } else {
          index = next_random(rng) % n_templates;
        }
        const TrafficTemplate& t = traffic.templates[index];
        uint8_t* data = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(mbufs[i], static_cast<uint16_t>(t.frame.size())));
        std::memcpy(data, t.frame.data(), t.frame.size());
        set_macs(data, src_mac_, dst_mac_);
        if (settings.rewrite_source) {
          // New flows: a fresh (client, source port) per packet; established: per flow slot.
          const uint64_t tuple = tuple_base + (established ? flow_slot : seq % kWarmupTupleBase);
          set_source(data, t.layout, plan_.client_address(static_cast<uint32_t>(tuple / 60000)),
                     static_cast<uint16_t>(1024 + tuple % 60000));
        }
        PacketSignature sig;
        sig.sequence = measure ? seq : 0;
        sig.flow = t.flow;
        sig.run = run;
        sig.tx_tsc = rte_rdtsc();
        sig.store(data + t.layout.payload);
        fix_checksums(data, t.frame.size(), t.layout);
      }
      uint16_t done = 0;
      for (int attempt = 0; attempt < 1000 && done < n; ++attempt) {
        done += rte_eth_tx_burst(tx_port_, 0, mbufs + done, static_cast<uint16_t>(n - done));
        if (done < n) receive(rx_port_, rx);
      }
      for (uint16_t i = done; i < n; ++i) rte_pktmbuf_free(mbufs[i]);
      result.tx_failed += measure ? n - done : 0;
      sent += n;
      receive(rx_port_, rx);
    }
    return sent;
  };
  auto drain = [&](RxState& rx, uint64_t until_rx) {
    const uint64_t deadline = rte_rdtsc() + hz * settings.drain_ms / 1000;
    while (rte_rdtsc() < deadline && result.rx < until_rx && !interrupted()) receive(rx_port_, rx);
  };

  RxState rx;
  rx.validate = validate_dnat;
  rx.ns_per_cycle = 1e9 / static_cast<double>(hz);
  rx.traffic = &traffic;
  rx.result = &result;

  // Warm-up (not measured): new-flow warms caches with tuples the measurement never uses;
  // established sends one packet per flow so the node's conntrack knows them all.
  {
    ReplayResult warm;
    warm.endpoint_hits = result.endpoint_hits;
    RxState wrx = rx;
    wrx.run = ++run_id_;
    wrx.result = &warm;
    wrx.expected = 1;
    wrx.seen.assign(1, 0);
    if (established)
      send_all(std::min<uint64_t>(n_flows, settings.packets), wrx.run, false, wrx);
    else if (settings.rewrite_source)
      send_all(std::min<uint64_t>(64, settings.packets), wrx.run, false, wrx, kWarmupTupleBase);
    const uint64_t deadline = rte_rdtsc() + hz * 50 / 1000;
    while (rte_rdtsc() < deadline) receive(rx_port_, wrx);
  }

  rx.run = ++run_id_;
  rx.expected = settings.packets;
  rx.seen.assign((settings.packets + 63) / 64, 0);
  const uint64_t t0 = rte_rdtsc();
  result.tx = send_all(settings.packets, rx.run, true, rx) - result.tx_failed;
  result.seconds = static_cast<double>(rte_rdtsc() - t0) / static_cast<double>(hz);
  drain(rx, result.tx);
  if (rx.last_arrival_tsc > t0)
    result.rx_seconds = static_cast<double>(rx.last_arrival_tsc - t0) / static_cast<double>(hz);
  result.lost = result.tx > result.rx ? result.tx - result.rx : 0;
  return result;
}

}  // namespace svcbench
