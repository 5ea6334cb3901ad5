#include "packet_builder.h"

#include <arpa/inet.h>

#include <cstdio>
#include <cstring>

namespace svcbench {

std::optional<MacAddress> parse_mac(const std::string& text) {
  MacAddress mac{};
  unsigned v[6];
  char tail;
  if (std::sscanf(text.c_str(), "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4],
                  &v[5], &tail) != 6)
    return std::nullopt;
  for (int i = 0; i < 6; ++i) mac[i] = static_cast<uint8_t>(v[i]);
  return mac;
}

namespace {
void put16(uint8_t* p, uint16_t v) {
  v = htons(v);
  std::memcpy(p, &v, 2);
}
void put32(uint8_t* p, uint32_t v) {
  v = htonl(v);
  std::memcpy(p, &v, 4);
}
uint16_t get16(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return ntohs(v);
}
uint32_t get32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return ntohl(v);
}

uint32_t sum16(const uint8_t* p, size_t n, uint32_t acc = 0) {
  for (size_t i = 0; i + 1 < n; i += 2) acc += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
  if (n & 1) acc += static_cast<uint32_t>(p[n - 1] << 8);
  return acc;
}
uint16_t fold(uint32_t acc) {
  while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
  return static_cast<uint16_t>(~acc);
}
}  // namespace

uint16_t ipv4_header_checksum(const uint8_t* ip) {
  size_t ihl = (ip[0] & 0x0f) * 4u;
  uint32_t acc = sum16(ip, 10);
  acc = sum16(ip + 12, ihl - 12, acc);
  return fold(acc);
}

namespace {
constexpr uint16_t kEthIpv4 = 0x0800, kEthIpv6 = 0x86dd;
constexpr size_t kIpv6Header = 40;

bool is_v6(const FrameLayout& layout) { return layout.family == IpFamily::kIpv6; }
// Offsets of the source and destination address in the IP header, and their length.
size_t src_at(const FrameLayout& l) { return is_v6(l) ? 8 : 12; }
size_t dst_at(const FrameLayout& l) { return is_v6(l) ? 24 : 16; }
size_t address_bytes(const FrameLayout& l) { return is_v6(l) ? 16 : 4; }
// Bytes from the IP header's start to the packet's end, as the header says.
size_t ip_total_length(const uint8_t* ip, const FrameLayout& l) {
  return is_v6(l) ? kIpv6Header + get16(ip + 4) : get16(ip + 2);
}
void set_ip_total_length(uint8_t* ip, const FrameLayout& l, size_t total) {
  if (is_v6(l))
    put16(ip + 4, static_cast<uint16_t>(total - kIpv6Header));
  else
    put16(ip + 2, static_cast<uint16_t>(total));
}
void put_address(uint8_t* at, const IpAddress& a) {
  if (a.is_v6())
    std::memcpy(at, a.bytes.data(), 16);
  else
    put32(at, a.value);
}
IpAddress get_address(const uint8_t* at, const FrameLayout& l) {
  if (!is_v6(l)) return IpAddress::v4(get32(at));
  IpAddress a;
  a.family = IpFamily::kIpv6;
  std::memcpy(a.bytes.data(), at, 16);
  return a;
}
// Offset of the L4 checksum from the L4 header.
size_t l4_checksum_at(const FrameLayout& l) { return l.protocol == Protocol::kTcp ? 16 : 6; }
}  // namespace

std::vector<uint8_t> build_frame(const FlowSpec& flow, FrameLayout* layout_out) {
  const bool tcp = flow.protocol == Protocol::kTcp;
  const bool v6 = flow.dst.is_v6();
  FrameLayout layout;
  layout.family = flow.dst.family;
  layout.protocol = flow.protocol;
  layout.l3 = 14;
  layout.l4 = static_cast<uint16_t>(14 + (v6 ? kIpv6Header : 20));
  const size_t l4_len = tcp ? 20 : 8;
  layout.payload = static_cast<uint16_t>(layout.l4 + l4_len);
  const size_t total = layout.payload + flow.payload_bytes;
  std::vector<uint8_t> f(total, 0);
  std::memcpy(f.data(), flow.dst_mac.data(), 6);
  std::memcpy(f.data() + 6, flow.src_mac.data(), 6);
  put16(f.data() + 12, v6 ? kEthIpv6 : kEthIpv4);
  uint8_t* ip = f.data() + 14;
  if (v6) {
    ip[0] = 0x60;
    ip[6] = tcp ? 6 : 17;  // next header
    ip[7] = 64;            // hop limit
  } else {
    ip[0] = 0x45;
    put16(ip + 6, 0x4000);  // DF
    ip[8] = 64;
    ip[9] = tcp ? 6 : 17;
  }
  set_ip_total_length(ip, layout, total - 14);
  put_address(ip + src_at(layout), flow.src);
  put_address(ip + dst_at(layout), flow.dst);
  uint8_t* l4 = f.data() + layout.l4;
  put16(l4, flow.src_port);
  put16(l4 + 2, flow.dst_port);
  if (tcp) {
    put32(l4 + 4, 1);  // sequence number
    l4[12] = 5 << 4;   // data offset
    l4[13] = 0x02;     // SYN
    put16(l4 + 14, 64240);
  } else {
    put16(l4 + 4, static_cast<uint16_t>(8 + flow.payload_bytes));
  }
  fix_checksums(f.data(), f.size(), layout);
  if (layout_out) *layout_out = layout;
  return f;
}

std::string format_mac(const MacAddress& mac) {
  char text[18];
  std::snprintf(text, sizeof text, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
                mac[4], mac[5]);
  return text;
}

std::optional<FrameLayout> parse_layout(const uint8_t* f, size_t len) {
  if (len < 14) return std::nullopt;
  uint16_t l3 = 14;
  uint16_t ethertype = get16(f + 12);
  if (ethertype == 0x8100) {
    if (len < 18) return std::nullopt;
    ethertype = get16(f + 16);
    l3 = 18;
  }
  FrameLayout layout;
  layout.l3 = l3;
  const uint8_t* ip = f + l3;
  uint8_t protocol = 0;
  if (ethertype == kEthIpv4) {
    if (len < l3 + 20u || (ip[0] >> 4) != 4) return std::nullopt;
    uint16_t ihl = (ip[0] & 0x0f) * 4;
    if (ihl < 20 || len < static_cast<size_t>(l3) + ihl) return std::nullopt;
    if ((get16(ip + 6) & 0x1fff) != 0) return std::nullopt;  // not the first fragment
    layout.l4 = static_cast<uint16_t>(l3 + ihl);
    protocol = ip[9];
  } else if (ethertype == kEthIpv6) {
    // Only UDP or TCP right after the fixed header: extension headers (fragments among
    // them) are not replayed.
    if (len < l3 + kIpv6Header || (ip[0] >> 4) != 6) return std::nullopt;
    layout.family = IpFamily::kIpv6;
    layout.l4 = static_cast<uint16_t>(l3 + kIpv6Header);
    protocol = ip[6];
  } else {
    return std::nullopt;
  }
  if (protocol == 17) {
    layout.protocol = Protocol::kUdp;
    layout.payload = layout.l4 + 8;
  } else if (protocol == 6) {
    layout.protocol = Protocol::kTcp;
    if (len < layout.l4 + 20u) return std::nullopt;
    layout.payload = static_cast<uint16_t>(layout.l4 + (f[layout.l4 + 12] >> 4) * 4);
  } else {
    return std::nullopt;
  }
  if (len < layout.payload) return std::nullopt;
  return layout;
}

void fix_checksums(uint8_t* f, size_t len, const FrameLayout& layout) {
  uint8_t* ip = f + layout.l3;
  if (!is_v6(layout)) {
    put16(ip + 10, 0);
    put16(ip + 10, ipv4_header_checksum(ip));
  }
  const size_t l4_len = ip_total_length(ip, layout) - (layout.l4 - layout.l3);
  if (layout.l4 + l4_len > len) return;  // truncated capture: leave as is
  uint8_t* l4 = f + layout.l4;
  const size_t at = l4_checksum_at(layout);
  put16(l4 + at, 0);
  const bool udp = layout.protocol == Protocol::kUdp;
  if (udp && !is_v6(layout)) return;  // IPv4 allows UDP without a checksum
  // Pseudo-header: both addresses, the L4 length and the protocol (RFC 793, RFC 8200 8.1).
  uint32_t acc = sum16(ip + src_at(layout), 2 * address_bytes(layout));
  acc += udp ? 17 : 6;
  acc += static_cast<uint32_t>(l4_len >> 16) + static_cast<uint32_t>(l4_len & 0xffff);
  acc = sum16(l4, l4_len, acc);
  uint16_t sum = fold(acc);
  if (udp && sum == 0) sum = 0xffff;  // zero means "no checksum", which IPv6 forbids
  put16(l4 + at, sum);
}

void set_source(uint8_t* f, const FrameLayout& layout, IpAddress src, uint16_t src_port) {
  put_address(f + layout.l3 + src_at(layout), src);
  put16(f + layout.l4, src_port);
}

void set_destination(uint8_t* f, const FrameLayout& layout, IpAddress dst, uint16_t dst_port) {
  put_address(f + layout.l3 + dst_at(layout), dst);
  put16(f + layout.l4 + 2, dst_port);
}

void set_macs(uint8_t* f, const MacAddress& src, const MacAddress& dst) {
  std::memcpy(f, dst.data(), 6);
  std::memcpy(f + 6, src.data(), 6);
}

IpAddress source_of(const uint8_t* f, const FrameLayout& layout) {
  return get_address(f + layout.l3 + src_at(layout), layout);
}

IpAddress destination_of(const uint8_t* f, const FrameLayout& layout) {
  return get_address(f + layout.l3 + dst_at(layout), layout);
}

uint16_t source_port_of(const uint8_t* f, const FrameLayout& layout) {
  return get16(f + layout.l4);
}

uint16_t destination_port_of(const uint8_t* f, const FrameLayout& layout) {
  return get16(f + layout.l4 + 2);
}

void patch_payload_u64(uint8_t* f, const FrameLayout& layout, size_t offset, uint64_t value) {
  uint8_t* at = f + layout.payload + offset;
  uint8_t* checksum = f + layout.l4 + l4_checksum_at(layout);
  const uint16_t old_sum = get16(checksum);
  if (layout.protocol == Protocol::kUdp && old_sum == 0) {  // a UDP datagram without one
    std::memcpy(at, &value, 8);
    return;
  }
  uint8_t fresh[8];
  std::memcpy(fresh, &value, 8);
  // HC' = ~(~HC + sum(~m) + sum(m')) over the changed 16-bit words (RFC 1624, eqn. 3).
  uint32_t acc = static_cast<uint16_t>(~old_sum);
  for (size_t i = 0; i < 8; i += 2)
    acc += static_cast<uint16_t>(~get16(at + i)) + get16(fresh + i);
  std::memcpy(at, fresh, 8);
  uint16_t sum = fold(acc);
  if (layout.protocol == Protocol::kUdp && sum == 0) sum = 0xffff;
  put16(checksum, sum);
}

bool ensure_payload(std::vector<uint8_t>& frame, const FrameLayout& layout, size_t bytes) {
  if (frame.size() < layout.payload) return false;
  const size_t ip_end = layout.l3 + ip_total_length(frame.data() + layout.l3, layout);
  if (ip_end < layout.payload) return false;
  // Trailing bytes after the IP packet (Ethernet padding) are dropped.
  frame.resize(std::min(frame.size(), ip_end));
  const size_t have = frame.size() - layout.payload;
  if (have < bytes) frame.resize(layout.payload + bytes, 0);
  set_ip_total_length(frame.data() + layout.l3, layout, frame.size() - layout.l3);
  if (layout.protocol == Protocol::kUdp)
    put16(frame.data() + layout.l4 + 4, static_cast<uint16_t>(frame.size() - layout.l4));
  return true;
}

}  // namespace svcbench
