#include "traffic_generator.h"

#include <rte_cycles.h>
#include <rte_launch.h>
#include <rte_lcore.h>

#include <algorithm>
#include <atomic>
#include <cmath>

#include "interruption.h"
#include "rx_path.h"
#include "tx_path.h"

namespace svcbench {
namespace {
// New-flow warm-up: this many packets, with tuples the measurement never uses, so the node's
// caches are warm for the first measured packet.
constexpr uint64_t kNewFlowWarmupPackets = 64;
// How long the warm-up's stragglers may take to come back before the measured run starts.
constexpr uint64_t kWarmupDrainMs = 50;

// The receive side: on an lcore of its own when the EAL gives the generator a second one
// (`-l 0,1`), else polled inline by the transmitting lcore between bursts. start() and stop()
// bracket each stage (warm-up, measured run), so RxPath::begin never races a poll.
class Receiver {
 public:
  explicit Receiver(RxPath& rx) : rx_(rx), lcore_(rte_get_next_lcore(-1, 1, 0)) {}
  ~Receiver() { stop(); }
  Receiver(const Receiver&) = delete;
  Receiver& operator=(const Receiver&) = delete;
  bool own_lcore() const { return lcore_ < RTE_MAX_LCORE; }
  void start() {
    if (!own_lcore() || running_) return;
    stop_.store(false, std::memory_order_release);
    running_ = rte_eal_remote_launch(&Receiver::loop, this, lcore_) == 0;
  }
  void stop() {
    if (!running_) return;
    stop_.store(true, std::memory_order_release);
    rte_eal_wait_lcore(lcore_);
    running_ = false;
  }
  // The transmitting lcore's turn to poll (a no-op while RX runs on its own lcore).
  void poll_inline() {
    if (!running_) rx_.poll();
  }
  RxPath* inline_rx() { return running_ ? nullptr : &rx_; }

 private:
  static int loop(void* self) {
    auto* r = static_cast<Receiver*>(self);
    while (!r->stop_.load(std::memory_order_acquire)) r->rx_.poll();
    r->rx_.poll();  // what arrived while stopping
    return 0;
  }
  RxPath& rx_;
  unsigned lcore_;
  bool running_ = false;
  std::atomic<bool> stop_{false};
};
// Polls RX until `until_rx` packets came back, `ms` passed, or (quiet_ms > 0) nothing arrived
// for quiet_ms: the node's queues hold far less than that, so what is still out is lost.
void drain(RxPath& rx, Receiver& receiver, uint64_t hz, uint32_t ms, uint32_t quiet_ms,
           uint64_t until_rx) {
  const uint64_t deadline = rte_rdtsc() + hz * ms / 1000;
  const uint64_t quiet = hz * quiet_ms / 1000;
  uint64_t last_count = rx.received(), last_change = rte_rdtsc();
  while (rx.received() < until_rx && !interrupted()) {
    const uint64_t now = rte_rdtsc();
    if (now >= deadline) break;
    if (const uint64_t count = rx.received(); count != last_count) {
      last_count = count;
      last_change = now;
    } else if (quiet && now - last_change >= quiet) {
      break;
    }
    receiver.poll_inline();
  }
}
}  // namespace

double ReplayResult::worst_spread_deviation(uint64_t min_packets) const {
  double worst = 0;
  for (const auto& hits : endpoint_hits) {
    if (hits.size() < 2) continue;
    uint64_t total = 0;
    for (auto h : hits) total += h;
    if (total < min_packets) continue;
    const double expected = static_cast<double>(total) / static_cast<double>(hits.size());
    for (auto h : hits)
      worst = std::max(worst, std::abs(static_cast<double>(h) - expected) / expected);
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

ReplayResult TrafficGenerator::replay(const TrafficPlan& traffic, const ReplaySettings& requested,
                                      bool validate_dnat) {
  ReplayResult result;
  result.endpoint_hits.resize(traffic.flows.size());
  for (size_t f = 0; f < traffic.flows.size(); ++f)
    result.endpoint_hits[f].assign(traffic.flows[f].endpoints.size(), 0);
  if (traffic.templates.empty() || requested.packets == 0) return result;

  ReplaySettings settings = requested;
  settings.burst = std::clamp<uint16_t>(settings.burst, 1, ReplaySettings::kMaxBurst);
  result.burst = settings.burst;
  const uint64_t hz = env_.tsc_hz();
  const size_t n_templates = traffic.templates.size();
  const bool established = settings.phase == Phase::kEstablished;
  const uint32_t n_flows = std::max<uint32_t>(1, settings.established_flows);
  TxPath tx(tx_port_, env_.pool(), traffic, settings, src_mac_, dst_mac_, plan_);
  const RxClock clock = env_.rx_clock(rx_port_);
  result.rx_clock = clock.name();
  RxPath rx(rx_port_, traffic, validate_dnat, hz, clock);
  Receiver receiver(rx);

  // Sends `count` packets of `run` at the configured pace, polling RX while it waits; returns
  // how many the port took (the rest it refused after retries).
  struct Sent {
    uint64_t attempted = 0, taken = 0;
  };
  auto send = [&](uint64_t count, uint32_t run, bool measured, uint64_t tuple_base) {
    rte_mbuf* mbufs[ReplaySettings::kMaxBurst];
    tx.begin(run);
    const uint64_t period = settings.rate_pps ? hz * settings.burst / settings.rate_pps : 0;
    const uint64_t start = rte_rdtsc();
    uint64_t next = start;
    uint64_t sent = 0, taken = 0;
    const double cycles_per_ns = static_cast<double>(hz) / 1e9 / std::max(settings.speed, 1e-6);
    const uint64_t first_offset = traffic.templates.front().offset_ns;
    const uint64_t span = traffic.templates.back().offset_ns - first_offset + 1000;
    const uint64_t deadline =
        measured && settings.send_deadline_s > 0
            ? start + static_cast<uint64_t>(settings.send_deadline_s * static_cast<double>(hz))
            : UINT64_MAX;
    while (sent < count && !interrupted()) {
      const uint64_t now = rte_rdtsc();
      if (now >= deadline) break;
      if (settings.capture_timing) {
        const auto& t = traffic.templates[sent % n_templates];
        const uint64_t due =
            start + static_cast<uint64_t>(static_cast<double>(t.offset_ns - first_offset +
                                                              sent / n_templates * span) *
                                          cycles_per_ns);
        if (now < due) {
          receiver.poll_inline();
          continue;
        }
      } else if (period && now < next) {
        receiver.poll_inline();
        continue;
      }
      const auto n = static_cast<uint16_t>(std::min<uint64_t>(settings.burst, count - sent));
      if (!tx.prepare_burst(mbufs, {sent, n, run, measured, tuple_base})) {
        receiver.poll_inline();  // the pool refills as the ports give mbufs back
        continue;
      }
      next += period;
      taken += tx.transmit_burst(mbufs, n, receiver.inline_rx());
      sent += n;
      receiver.poll_inline();
    }
    return Sent{sent, taken};
  };
  // Warm-up (not measured): new-flow warms caches with tuples the measurement never uses;
  // established sends one packet per flow so the node's conntrack knows them all.
  {
    ReplayResult warm;
    warm.endpoint_hits = result.endpoint_hits;
    rx.begin(++run_id_, 1, warm);  // every warm-up packet carries sequence 0
    receiver.start();
    uint64_t warm_sent = 0;
    if (established)
      warm_sent = send(std::min<uint64_t>(n_flows, settings.packets), run_id_, false, 0).taken;
    else if (settings.rewrite_source)
      warm_sent =
          send(std::min(kNewFlowWarmupPackets, settings.packets), run_id_, false, TxPath::kWarmupTupleBase)
              .taken;
    // Sequence 0 counts once, the rest as duplicates: wait until all are back (or the time is up).
    const uint64_t deadline = rte_rdtsc() + hz * kWarmupDrainMs / 1000;
    while (rte_rdtsc() < deadline && rx.returned() < warm_sent && !interrupted())
      receiver.poll_inline();
    receiver.stop();
  }

  rx.begin(++run_id_, settings.packets, result);
  receiver.start();
  const uint64_t t0 = rte_rdtsc();
  const Sent measured = send(settings.packets, run_id_, true, 0);
  result.tx = measured.taken;
  result.tx_failed = measured.attempted - measured.taken;
  if (!interrupted()) result.unsent = settings.packets - measured.attempted;
  result.seconds = static_cast<double>(rte_rdtsc() - t0) / static_cast<double>(hz);
  drain(rx, receiver, hz, settings.drain_ms, settings.drain_quiet_ms, result.tx);
  receiver.stop();
  if (rx.last_arrival_tsc() > t0)
    result.rx_seconds = static_cast<double>(rx.last_arrival_tsc() - t0) / static_cast<double>(hz);
  result.lost = result.tx > result.rx ? result.tx - result.rx : 0;
  return result;
}

StreamLog TrafficGenerator::stream(const TrafficPlan& traffic, const StreamSettings& settings,
                                   const KeepSending& keep_sending) {
  StreamLog log;
  if (traffic.templates.empty() || settings.max_packets == 0 || settings.rate_pps == 0) return log;
  log.packets.assign(settings.max_packets, StreamPacket{});
  ReplaySettings rs;
  rs.rate_pps = settings.rate_pps;
  rs.burst = 1;
  rs.in_order = true;
  rs.rewrite_source = false;  // each template says where its tuple comes from
  const uint64_t hz = env_.tsc_hz();
  TxPath tx(tx_port_, env_.pool(), traffic, rs, src_mac_, dst_mac_, plan_);
  const RxClock clock = env_.rx_clock(rx_port_);
  RxPath rx(rx_port_, traffic, true, hz, clock);
  Receiver receiver(rx);
  ReplayResult counts;  // what RxPath tallies beside the log
  counts.endpoint_hits.resize(traffic.flows.size());
  for (size_t f = 0; f < traffic.flows.size(); ++f)
    counts.endpoint_hits[f].assign(traffic.flows[f].endpoints.size(), 0);
  rte_mbuf* mbuf[1];
  auto send_one = [&](uint64_t seq, uint32_t run, bool measured, uint64_t* stamp) {
    while (!tx.prepare_burst(mbuf, {seq, 1, run, measured, 0})) {
      receiver.poll_inline();
      if (interrupted()) return false;
    }
    return tx.transmit_burst(mbuf, 1, receiver.inline_rx(), stamp) == 1;
  };

  // Establish the fixed-tuple flows: each such template once, under a run id of its own.
  {
    ReplayResult warm = counts;
    rx.begin(++run_id_, 1, warm);
    receiver.start();
    tx.begin(run_id_);
    uint64_t warm_sent = 0;
    for (size_t i = 0; i < traffic.templates.size() && !interrupted(); ++i)
      if (traffic.templates[i].source == SourceTuple::kFixed)
        warm_sent += send_one(i, run_id_, false, nullptr) ? 1 : 0;
    const uint64_t deadline = rte_rdtsc() + hz * kWarmupDrainMs / 1000;
    while (rte_rdtsc() < deadline && rx.returned() < warm_sent && !interrupted())
      receiver.poll_inline();
    receiver.stop();
  }

  // TSC -> steady clock: one pair read back to back.
  const uint64_t tsc0 = rte_rdtsc();
  const uint64_t ns0 = steady_now_ns();
  const double ns_per_cycle = 1e9 / static_cast<double>(hz);
  auto to_ns = [&](uint64_t tsc) {
    return ns0 + static_cast<uint64_t>(static_cast<double>(tsc - tsc0) * ns_per_cycle);
  };

  rx.log_into(log.packets.data());
  rx.begin(++run_id_, settings.max_packets, counts);
  receiver.start();
  tx.begin(run_id_);
  const uint64_t period = std::max<uint64_t>(1, hz / settings.rate_pps);
  uint64_t next = rte_rdtsc();
  uint64_t seq = 0;
  const size_t n = traffic.templates.size();
  while (!interrupted()) {
    const uint64_t now = rte_rdtsc();
    if (now < next) {
      receiver.poll_inline();
      continue;
    }
    if (seq == settings.max_packets) {
      log.full = true;
      break;
    }
    if (!keep_sending(to_ns(now))) break;
    log.max_lag_ns = std::max(
        log.max_lag_ns, static_cast<uint64_t>(static_cast<double>(now - next) * ns_per_cycle));
    StreamPacket& p = log.packets[seq];
    p.flow = traffic.templates[seq % n].flow;
    uint64_t stamp = 0;
    if (send_one(seq, run_id_, true, &stamp)) p.tx_ns = stamp;  // a TSC until converted below
    ++seq;
    next += period;
    receiver.poll_inline();
  }
  log.sent = seq;
  drain(rx, receiver, hz, settings.drain_ms, settings.drain_quiet_ms, seq);
  receiver.stop();
  rx.log_into(nullptr);
  log.packets.resize(seq);
  for (auto& p : log.packets) {
    if (p.tx_ns) p.tx_ns = to_ns(p.tx_ns);
    if (p.rx_ns) p.rx_ns = to_ns(p.rx_ns);
  }
  log.foreign = counts.foreign;
  log.duplicates = counts.duplicates;
  return log;
}

}  // namespace svcbench
