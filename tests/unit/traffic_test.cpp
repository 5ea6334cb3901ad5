#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <pcap/pcap.h>

#include <cstddef>
#include <cstdio>
#include <fstream>

#include "errors.h"
#include "latency_histogram.h"
#include "packet_builder.h"
#include "packet_signature.h"
#include "pcap_file.h"
#include "replay.h"
#include "results_json.h"
#include "traffic_plan.h"

namespace svcbench {
namespace {

TEST(LatencyHistogram, PercentilesWithinOnePointSixPercent) {
  LatencyHistogram h;
  for (uint64_t v = 1; v <= 100000; ++v) h.record(v);
  EXPECT_EQ(h.count(), 100000u);
  EXPECT_EQ(h.min(), 1u);
  EXPECT_EQ(h.max(), 100000u);
  EXPECT_NEAR(h.mean(), 50000.5, 0.01);
  for (double p : {50.0, 90.0, 99.0, 99.9}) {
    const double exact = p / 100.0 * 100000;
    EXPECT_NEAR(static_cast<double>(h.percentile(p)), exact, exact * 0.016) << p;
  }
  EXPECT_EQ(h.percentile(100), 100000u);
}

TEST(LatencyHistogram, ExactBelow128AndClampedAtTheTop) {
  LatencyHistogram h;
  h.record(0);
  h.record(127);
  EXPECT_EQ(h.percentile(50), 0u);
  EXPECT_EQ(h.percentile(100), 127u);
  h.record(UINT64_MAX / 2);
  EXPECT_EQ(h.count(), 3u);
  for (size_t i = 1; i < LatencyHistogram::kCounts; ++i)
    ASSERT_EQ(LatencyHistogram::index_of(LatencyHistogram::lowest_value_at(i)), i);
  LatencyHistogram a, b;
  a.record(10);
  b.record(1000);
  a.merge(b);
  EXPECT_EQ(a.count(), 2u);
  EXPECT_EQ(a.max(), 1000u);
  auto cdf = a.cdf();
  EXPECT_DOUBLE_EQ(cdf.back().second, 1.0);
}

FlowSpec udp_flow() {
  FlowSpec f;
  f.src = *IpAddress::parse("198.18.0.2");
  f.dst = *IpAddress::parse("198.19.0.7");
  f.src_port = 40000;
  f.dst_port = 53;
  f.protocol = Protocol::kUdp;
  return f;
}

// Independent Internet checksum over a byte range (RFC 1071).
uint16_t reference_sum(const std::vector<uint8_t>& bytes) {
  uint32_t acc = 0;
  for (size_t i = 0; i + 1 < bytes.size(); i += 2) acc += static_cast<uint32_t>(bytes[i] << 8 | bytes[i + 1]);
  if (bytes.size() & 1) acc += static_cast<uint32_t>(bytes.back() << 8);
  while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
  return static_cast<uint16_t>(acc);
}

// A node that cannot keep up: loss, or packets coming back much slower than they were sent.
TEST(ReplayResult, SaturatedWhenTheNodeFallsBehind) {
  ReplayResult kept_up;
  kept_up.tx = kept_up.rx = 1000;
  kept_up.seconds = 1.0;
  kept_up.rx_seconds = 1.0004;  // the last packet's own latency
  EXPECT_FALSE(kept_up.saturated());
  ReplayResult queued = kept_up;
  queued.rx_seconds = 1.77;  // every packet served in 1.77 ms, sent every 1 ms
  EXPECT_TRUE(queued.saturated());
  EXPECT_NEAR(queued.rx_pps(), 565, 1);
  ReplayResult dropped = kept_up;
  dropped.rx = 774;
  dropped.lost = 226;
  EXPECT_TRUE(dropped.saturated());
  EXPECT_EQ(replay_json(dropped, false)["saturated"], true);
  EXPECT_FALSE(ReplayResult{}.saturated());

  // A short run at 1,000 pps whose packets each need 1.1 ms (iptables-legacy's last Service of
  // 50,000 in the uml guest): 93% came back in the run's time, but the median waited 15 ms.
  ReplayResult short_queue;
  short_queue.tx = short_queue.rx = 300;
  short_queue.seconds = 0.299;
  short_queue.rx_seconds = 0.3215;
  for (int i = 0; i < 300; ++i) short_queue.latency.record(1'100'000 + i * 100'000);
  EXPECT_GT(short_queue.rx_pps(), 0.9 * short_queue.tx_pps());
  EXPECT_TRUE(short_queue.queued());
  EXPECT_TRUE(short_queue.saturated());
  // The same pace with a slow but steady path (every packet 1.1 ms, +-50 us): no queue.
  ReplayResult slow = short_queue;
  slow.latency = LatencyHistogram{};
  for (int i = 0; i < 300; ++i) slow.latency.record(1'100'000 + (i % 100) * 1'000);
  EXPECT_FALSE(slow.saturated());
  // Bursts of 32: packets wait behind their burst; that is no queue of the node's.
  ReplayResult bursts = slow;
  bursts.burst = 32;
  bursts.latency = LatencyHistogram{};
  for (int i = 0; i < 300; ++i) bursts.latency.record(50'000 + (i % 32) * 200'000);
  EXPECT_FALSE(bursts.saturated());
}

TEST(PacketBuilder, UdpAndTcpFramesHaveValidChecksums) {
  for (Protocol p : {Protocol::kUdp, Protocol::kTcp}) {
    FlowSpec f = udp_flow();
    f.protocol = p;
    FrameLayout layout;
    auto frame = build_frame(f, &layout);
    auto parsed = parse_layout(frame.data(), frame.size());
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->payload, layout.payload);
    std::vector<uint8_t> ip(frame.begin() + 14, frame.begin() + 34);
    EXPECT_EQ(reference_sum(ip), 0xffff);  // header sums to all ones with its checksum
    PacketSignature sig;
    sig.sequence = 42;
    sig.store(frame.data() + layout.payload);
    set_source(frame.data(), layout, *IpAddress::parse("198.18.0.3"), 1234);
    fix_checksums(frame.data(), frame.size(), layout);
    if (p == Protocol::kTcp) {
      std::vector<uint8_t> pseudo(frame.begin() + 26, frame.begin() + 34);  // src, dst
      pseudo.push_back(0);
      pseudo.push_back(6);
      const uint16_t tcp_len = static_cast<uint16_t>(frame.size() - 34);
      pseudo.push_back(static_cast<uint8_t>(tcp_len >> 8));
      pseudo.push_back(static_cast<uint8_t>(tcp_len));
      pseudo.insert(pseudo.end(), frame.begin() + 34, frame.end());
      EXPECT_EQ(reference_sum(pseudo), 0xffff);
    }
    EXPECT_EQ(PacketSignature::load(frame.data() + layout.payload).sequence, 42u);
    EXPECT_EQ(destination_of(frame.data(), layout).str(), "198.19.0.7");
    EXPECT_EQ(destination_port_of(frame.data(), layout), 53);
  }
}

// The burst loop restamps tx_tsc right before tx_burst without summing the frame again: the
// incremental update must give the checksum a full recomputation gives.
TEST(PacketBuilder, PatchingThePayloadKeepsTheTcpChecksumRight) {
  for (Protocol p : {Protocol::kUdp, Protocol::kTcp}) {
    FlowSpec f = udp_flow();
    f.protocol = p;
    FrameLayout layout;
    auto frame = build_frame(f, &layout);
    PacketSignature sig;
    sig.sequence = 7;
    sig.store(frame.data() + layout.payload);
    fix_checksums(frame.data(), frame.size(), layout);
    for (uint64_t tsc : {uint64_t{0}, uint64_t{0x0123456789abcdef}, ~uint64_t{0}, uint64_t{0xffff0000ffff0000}}) {
      patch_payload_u64(frame.data(), layout, offsetof(PacketSignature, tx_tsc), tsc);
      EXPECT_EQ(PacketSignature::load(frame.data() + layout.payload).tx_tsc, tsc);
      auto recomputed = frame;
      fix_checksums(recomputed.data(), recomputed.size(), layout);
      const size_t sum_at = layout.l4 + (p == Protocol::kTcp ? 16 : 6);
      // Equal, or the other ones'-complement zero (0x0000 and 0xffff both verify).
      const unsigned a = frame[sum_at] << 8 | frame[sum_at + 1], b = recomputed[sum_at] << 8 | recomputed[sum_at + 1];
      EXPECT_TRUE(a == b || (a ^ b) == 0xffff) << lowercase(p) << " " << std::hex << a << " vs " << b;
    }
  }
}

TEST(PacketBuilder, EnsurePayloadGrowsShortFrames) {
  FlowSpec f = udp_flow();
  f.payload_bytes = 4;
  FrameLayout layout;
  auto frame = build_frame(f, &layout);
  ASSERT_TRUE(ensure_payload(frame, layout, sizeof(PacketSignature)));
  EXPECT_EQ(frame.size(), layout.payload + sizeof(PacketSignature));
  auto parsed = parse_layout(frame.data(), frame.size());
  ASSERT_TRUE(parsed);
  EXPECT_EQ(frame[16] << 8 | frame[17], static_cast<int>(frame.size() - 14));  // IP total length
  EXPECT_FALSE(parse_layout(frame.data(), 20));
  EXPECT_FALSE(parse_mac("zz:00:00:00:00:00"));
  EXPECT_TRUE(parse_mac("02:00:00:00:00:0a"));
}

// IPv6 (RFC 8200): no header checksum, a mandatory UDP checksum, the pseudo-header of both
// 16-byte addresses, a 32-bit upper-layer length and the next header.
uint16_t ipv6_l4_sum(const std::vector<uint8_t>& frame, uint8_t next_header) {
  std::vector<uint8_t> pseudo(frame.begin() + 22, frame.begin() + 54);  // src, dst
  const uint32_t l4_len = static_cast<uint32_t>(frame.size() - 54);
  for (int shift : {24, 16, 8, 0}) pseudo.push_back(static_cast<uint8_t>(l4_len >> shift));
  pseudo.insert(pseudo.end(), {0, 0, 0, next_header});
  pseudo.insert(pseudo.end(), frame.begin() + 54, frame.end());
  return reference_sum(pseudo);
}

FlowSpec ipv6_flow(Protocol protocol) {
  FlowSpec f;
  f.src = *IpAddress::parse("2001:2::2");
  f.dst = *IpAddress::parse("2001:2:0:1::7");
  f.src_port = 40000;
  f.dst_port = 53;
  f.protocol = protocol;
  return f;
}

TEST(PacketBuilder, Ipv6UdpAndTcpFramesCarryTheirChecksumThroughEveryEdit) {
  for (Protocol p : {Protocol::kUdp, Protocol::kTcp}) {
    const uint8_t next_header = p == Protocol::kTcp ? 6 : 17;
    FrameLayout layout;
    auto frame = build_frame(ipv6_flow(p), &layout);
    EXPECT_EQ(frame[12] << 8 | frame[13], 0x86dd);
    EXPECT_EQ(frame[14] >> 4, 6);
    EXPECT_EQ(frame[20], next_header);
    EXPECT_EQ(frame[18] << 8 | frame[19], static_cast<int>(frame.size() - 54));  // payload length
    EXPECT_EQ(layout.family, IpFamily::kIpv6);
    EXPECT_EQ(layout.l4, 54);
    auto parsed = parse_layout(frame.data(), frame.size());
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->family, IpFamily::kIpv6);
    EXPECT_EQ(parsed->protocol, p);
    EXPECT_EQ(parsed->payload, layout.payload);
    EXPECT_EQ(ipv6_l4_sum(frame, next_header), 0xffff) << lowercase(p);
    const size_t sum_at = layout.l4 + (p == Protocol::kTcp ? 16 : 6);
    EXPECT_NE(frame[sum_at] << 8 | frame[sum_at + 1], 0) << "IPv6 UDP must carry a checksum";

    set_source(frame.data(), layout, *IpAddress::parse("2001:2::6"), 1234);
    set_destination(frame.data(), layout, *IpAddress::parse("2001:2:0:1::a"), 8080);
    PacketSignature sig;
    sig.sequence = 42;
    sig.store(frame.data() + layout.payload);
    fix_checksums(frame.data(), frame.size(), layout);
    EXPECT_EQ(ipv6_l4_sum(frame, next_header), 0xffff);
    for (uint64_t tsc : {uint64_t{0}, uint64_t{0x0123456789abcdef}, ~uint64_t{0}}) {
      patch_payload_u64(frame.data(), layout, offsetof(PacketSignature, tx_tsc), tsc);
      EXPECT_EQ(ipv6_l4_sum(frame, next_header), 0xffff) << lowercase(p) << " tsc " << tsc;
      EXPECT_NE(frame[sum_at] << 8 | frame[sum_at + 1], 0);
    }
    EXPECT_EQ(source_of(frame.data(), layout).str(), "2001:2::6");
    EXPECT_EQ(source_port_of(frame.data(), layout), 1234);
    EXPECT_EQ(destination_of(frame.data(), layout).str(), "2001:2:0:1::a");
    EXPECT_EQ(destination_port_of(frame.data(), layout), 8080);
    EXPECT_EQ(PacketSignature::load(frame.data() + layout.payload).sequence, 42u);
  }
}

TEST(PacketBuilder, Ipv6ShortFramesGrowAndExtensionHeadersAreNotReplayed) {
  FlowSpec f = ipv6_flow(Protocol::kUdp);
  f.payload_bytes = 4;
  FrameLayout layout;
  auto frame = build_frame(f, &layout);
  ASSERT_TRUE(ensure_payload(frame, layout, sizeof(PacketSignature)));
  EXPECT_EQ(frame.size(), layout.payload + sizeof(PacketSignature));
  EXPECT_EQ(frame[18] << 8 | frame[19], static_cast<int>(frame.size() - 54));
  EXPECT_EQ(frame[58] << 8 | frame[59], static_cast<int>(frame.size() - 54));  // UDP length
  EXPECT_FALSE(parse_layout(frame.data(), 53));  // cut inside the IPv6 header
  auto fragment = frame;
  fragment[20] = 44;  // a fragment header follows
  EXPECT_FALSE(parse_layout(fragment.data(), fragment.size()));
}

// A capture's IPv6 flows map onto IPv6 Services only; with IPv4 Services alone nothing of it
// can be replayed.
TEST(TrafficPlan, CaptureFlowsMapOntoServicesOfTheirFamily) {
  auto service = [](const char* address, const char* endpoint) {
    ServiceDispatch d;
    d.address = *IpAddress::parse(address);
    d.port = 80;
    d.protocol = Protocol::kUdp;
    d.endpoints.push_back({*IpAddress::parse(endpoint), 8080});
    return d;
  };
  const ServiceDispatch v4 = service("198.19.0.1", "198.18.128.1");
  const ServiceDispatch v6 = service("2001:2:0:1::1", "2001:2:0:8000::1");
  std::vector<CapturedFrame> frames(2);
  frames[0].bytes = build_frame(ipv6_flow(Protocol::kUdp));
  frames[1].bytes = build_frame(udp_flow());
  size_t skipped = 0;
  const TrafficPlan plan = plan_pcap_traffic(frames, {v4, v6}, true, &skipped);
  ASSERT_EQ(plan.templates.size(), 2u);
  EXPECT_EQ(skipped, 0u);
  const auto& t6 = plan.templates[0];
  EXPECT_EQ(t6.flow, 1u);
  EXPECT_EQ(destination_of(t6.frame.data(), t6.layout).str(), "2001:2:0:1::1");
  EXPECT_EQ(ipv6_l4_sum(t6.frame, 17), 0xffff);
  EXPECT_EQ(plan.templates[1].flow, 0u);
  plan_pcap_traffic(frames, {v4}, true, &skipped);
  EXPECT_EQ(skipped, 1u);
  EXPECT_THROW(plan_pcap_traffic({frames[0]}, {v4}, true), UsageError);
}

class TempDir : public ::testing::Test {
 protected:
  void SetUp() override {
    char d[] = "/tmp/svcb-pcap-XXXXXX";
    ASSERT_NE(mkdtemp(d), nullptr);
    dir_ = d;
  }
  void TearDown() override { std::system(("rm -rf " + dir_).c_str()); }
  std::string path(const char* name) { return dir_ + "/" + name; }
  void write_bytes(const std::string& p, const std::vector<uint8_t>& bytes) {
    std::ofstream(p, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  }
  std::string dir_;
};

std::vector<uint8_t> le32(uint32_t v) { return {uint8_t(v), uint8_t(v >> 8), uint8_t(v >> 16), uint8_t(v >> 24)}; }
std::vector<uint8_t> be32(uint32_t v) { return {uint8_t(v >> 24), uint8_t(v >> 16), uint8_t(v >> 8), uint8_t(v)}; }
std::vector<uint8_t> le16(uint16_t v) { return {uint8_t(v), uint8_t(v >> 8)}; }
std::vector<uint8_t> be16(uint16_t v) { return {uint8_t(v >> 8), uint8_t(v)}; }
void append(std::vector<uint8_t>& a, const std::vector<uint8_t>& b) { a.insert(a.end(), b.begin(), b.end()); }

// A classic pcap written by hand: byte order and timestamp precision chosen by the test.
std::vector<uint8_t> handmade_pcap(bool big_endian, bool nanos, const std::vector<std::vector<uint8_t>>& frames, uint32_t link = 1) {
  auto u32 = big_endian ? be32 : le32;
  auto u16 = big_endian ? be16 : le16;
  std::vector<uint8_t> f;
  append(f, u32(nanos ? 0xa1b23c4d : 0xa1b2c3d4));
  append(f, u16(2));
  append(f, u16(4));
  append(f, u32(0));
  append(f, u32(0));
  append(f, u32(65535));
  append(f, u32(link));
  uint32_t sub = 0;
  for (const auto& frame : frames) {
    append(f, u32(1700000000));
    append(f, u32(sub));
    sub += nanos ? 500 : 1;  // 500 ns or 1 us apart
    append(f, u32(static_cast<uint32_t>(frame.size())));
    append(f, u32(static_cast<uint32_t>(frame.size())));
    f.insert(f.end(), frame.begin(), frame.end());
  }
  return f;
}

TEST_F(TempDir, ReadsBothByteOrdersAndTimestampPrecisions) {
  auto frame = build_frame(udp_flow());
  for (bool big : {false, true}) {
    for (bool nanos : {false, true}) {
      write_bytes(path("c.pcap"), handmade_pcap(big, nanos, {frame, frame}));
      auto frames = read_ethernet_frames(path("c.pcap"));
      ASSERT_EQ(frames.size(), 2u);
      EXPECT_EQ(frames[1].timestamp_ns - frames[0].timestamp_ns, nanos ? 500u : 1000u);
      EXPECT_EQ(frames[0].bytes, frame);
      auto facts = inspect_pcap(path("c.pcap"));
      EXPECT_EQ(facts["packets"], 2);
      EXPECT_EQ(facts["udp"], 2);
      EXPECT_EQ(facts["flows"], 1);
    }
  }
}

TEST_F(TempDir, ReadsPcapng) {
  auto frame = build_frame(udp_flow());
  std::vector<uint8_t> f;
  // Section header block
  append(f, le32(0x0A0D0D0A)); append(f, le32(28)); append(f, le32(0x1A2B3C4D));
  append(f, le16(1)); append(f, le16(0)); append(f, le32(0xffffffff)); append(f, le32(0xffffffff));
  append(f, le32(28));
  // Interface description block (Ethernet, default microsecond resolution)
  append(f, le32(1)); append(f, le32(20)); append(f, le16(1)); append(f, le16(0)); append(f, le32(65535)); append(f, le32(20));
  // Enhanced packet block
  const uint32_t padded = static_cast<uint32_t>((frame.size() + 3) & ~size_t{3});
  const uint32_t len = 32 + padded;
  append(f, le32(6)); append(f, le32(len)); append(f, le32(0)); append(f, le32(0)); append(f, le32(1000));
  append(f, le32(static_cast<uint32_t>(frame.size()))); append(f, le32(static_cast<uint32_t>(frame.size())));
  f.insert(f.end(), frame.begin(), frame.end());
  f.resize(f.size() + (padded - frame.size()), 0);
  append(f, le32(len));
  write_bytes(path("c.pcapng"), f);
  auto frames = read_ethernet_frames(path("c.pcapng"));
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].timestamp_ns, 1000u * 1000u);
}

TEST_F(TempDir, RejectsMalformedCaptures) {
  auto frame = build_frame(udp_flow());
  write_bytes(path("empty.pcap"), {});
  EXPECT_THROW(PcapReader(path("empty.pcap")), UsageError);
  write_bytes(path("magic.pcap"), std::vector<uint8_t>(64, 0x42));
  EXPECT_THROW(PcapReader(path("magic.pcap")), UsageError);
  auto whole = handmade_pcap(false, false, {frame});
  whole.resize(whole.size() - 10);
  write_bytes(path("trunc.pcap"), whole);
  EXPECT_THROW(read_ethernet_frames(path("trunc.pcap")), UsageError);
  write_bytes(path("header-only.pcap"), handmade_pcap(false, false, {}));
  EXPECT_THROW(read_ethernet_frames(path("header-only.pcap")), UsageError);
  EXPECT_EQ(inspect_pcap(path("header-only.pcap"))["packets"], 0);
  write_bytes(path("raw.pcap"), handmade_pcap(false, false, {frame}, 101));  // LINKTYPE_RAW
  EXPECT_THROW(read_ethernet_frames(path("raw.pcap")), UsageError);
  // A jumbo (or TSO-sized) frame is more than one generator frame: refused when read, naming it.
  std::vector<uint8_t> jumbo = frame;
  jumbo.resize(9014);
  write_bytes(path("jumbo.pcap"), handmade_pcap(false, false, {frame, jumbo}));
  try {
    read_ethernet_frames(path("jumbo.pcap"));
    ADD_FAILURE() << "a 9014-byte frame was accepted";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("packet 2 is 9014 bytes"), std::string::npos) << e.what();
  }
  EXPECT_EQ(inspect_pcap(path("jumbo.pcap"))["packets"], 2);  // inspecting it is fine
  EXPECT_THROW(PcapReader{dir_}, UsageError);
  EXPECT_THROW(PcapReader("/dev/null"), UsageError);
  EXPECT_THROW(PcapReader(path("missing.pcap")), UsageError);
}

TEST_F(TempDir, WritesWhatItReads) {
  std::vector<std::vector<uint8_t>> frames = {build_frame(udp_flow()), build_frame(udp_flow())};
  write_pcap(path("w.pcap"), frames, 250);
  auto back = read_ethernet_frames(path("w.pcap"));
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[1].timestamp_ns - back[0].timestamp_ns, 250u);
  EXPECT_EQ(back[0].bytes, frames[0]);
}

TEST(TrafficPlan, MapsCaptureFlowsOntoServices) {
  ServiceDispatch svc;
  svc.address = *IpAddress::parse("198.19.0.1");
  svc.port = 53;
  svc.protocol = Protocol::kUdp;
  svc.endpoints.push_back(Endpoint{});
  FlowSpec f = udp_flow();
  f.dst = *IpAddress::parse("8.8.8.8");  // a capture from elsewhere
  f.payload_bytes = 2;
  CapturedFrame c;
  c.bytes = build_frame(f);
  std::vector<uint8_t> arp(60, 0);
  arp[12] = 0x08;
  arp[13] = 0x06;
  CapturedFrame a;
  a.bytes = arp;
  size_t skipped = 0;
  auto plan = plan_pcap_traffic({c, a}, {svc}, true, &skipped);
  ASSERT_EQ(plan.templates.size(), 1u);
  EXPECT_EQ(skipped, 1u);
  const auto& t = plan.templates[0];
  EXPECT_EQ(destination_of(t.frame.data(), t.layout).str(), "198.19.0.1");
  EXPECT_GE(t.frame.size(), t.layout.payload + sizeof(PacketSignature));
  EXPECT_THROW(plan_pcap_traffic({c}, {svc}, false), UsageError);  // 8.8.8.8 is no Service
  EXPECT_THROW(plan_pcap_traffic({a}, {svc}, true), UsageError);
  EXPECT_EQ(select_targets({svc, svc, svc}, TargetPosition::kUniform).size(), 3u);
  EXPECT_THROW(parse_target("sideways"), UsageError);
}

TEST(TrafficPlan, MostEndpointsTargetsTheEarliestOfTheLargestServices) {
  // Endpoint counts in chain order: 5 5 30 250 5 250 5 (cl2's shape), and one without endpoints.
  std::vector<ServiceDispatch> loaded;
  for (size_t count : {5, 5, 30, 250, 5, 250, 5, 0}) {
    ServiceDispatch d;
    d.address = IpAddress::v4(0xC6130000u + static_cast<uint32_t>(loaded.size()) + 1);
    d.port = 80;
    d.protocol = Protocol::kTcp;
    d.position = loaded.size();
    d.endpoints.resize(count);
    loaded.push_back(d);
  }
  const auto most = select_targets(loaded, TargetPosition::kMostEndpoints);
  ASSERT_EQ(most.size(), 1u);
  EXPECT_EQ(most[0].position, 3u);
  EXPECT_EQ(most[0].endpoints.size(), 250u);
  EXPECT_EQ(select_targets(loaded, TargetPosition::kLast)[0].position, 6u);  // has endpoints
  EXPECT_EQ(parse_target("most-endpoints"), TargetPosition::kMostEndpoints);
  EXPECT_STREQ(to_string(TargetPosition::kMostEndpoints), "most-endpoints");

  // Added to the standard targets only where the Services differ in endpoints.
  const std::vector<TargetPosition> varied = {TargetPosition::kFirst, TargetPosition::kMiddle,
                                              TargetPosition::kLast, TargetPosition::kMostEndpoints,
                                              TargetPosition::kUniform};
  EXPECT_EQ(standard_targets(loaded), varied);
  std::vector<ServiceDispatch> uniform(loaded.begin(), loaded.begin() + 2);
  uniform.push_back(loaded.back());  // no endpoints: not a target, not a difference
  EXPECT_EQ(standard_targets(uniform),
            (std::vector<TargetPosition>{TargetPosition::kFirst, TargetPosition::kMiddle,
                                         TargetPosition::kLast, TargetPosition::kUniform}));
}

}  // namespace
}  // namespace svcbench
