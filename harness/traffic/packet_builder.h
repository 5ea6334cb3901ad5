// Ethernet/IPv4|IPv6/UDP|TCP frames for the generator and the pcap writer, and the header edits
// the burst loop makes per packet (source rewrite, checksums). No allocation in the edits.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "address_plan.h"
#include "service_model.h"

namespace svcbench {

using MacAddress = std::array<uint8_t, 6>;

// The largest frame the generator sends: one mbuf's data room (DPDK's default, 2048 bytes).
// Captures holding larger frames (jumbo, TSO-sized) are refused when read.
constexpr size_t kMaxFrameBytes = 2048;
std::optional<MacAddress> parse_mac(const std::string& text);  // "aa:bb:cc:dd:ee:ff"
std::string format_mac(const MacAddress& mac);                 // "aa:bb:cc:dd:ee:ff"

struct FrameLayout {
  uint16_t l3 = 14;       // IP header offset
  uint16_t l4 = 34;       // TCP/UDP header offset
  uint16_t payload = 42;  // L4 payload offset (where the signature goes)
  Protocol protocol = Protocol::kUdp;
  IpFamily family = IpFamily::kIpv4;
};

struct FlowSpec {
  MacAddress src_mac{}, dst_mac{};
  IpAddress src, dst;
  uint16_t src_port = 1024, dst_port = 0;
  Protocol protocol = Protocol::kUdp;
  size_t payload_bytes = 32;  // at least sizeof(PacketSignature)
};

// A complete frame (checksums valid, payload zeroed); TCP frames are SYNs carrying data.
// The family is the destination's (src must be of the same family).
std::vector<uint8_t> build_frame(const FlowSpec& flow, FrameLayout* layout = nullptr);

// Finds the IP and L4 headers of an Ethernet frame (one 802.1Q tag allowed). nullopt when
// not UDP/TCP over IPv4 (first fragment) or over IPv6 right after its fixed header (no
// extension headers), or truncated.
std::optional<FrameLayout> parse_layout(const uint8_t* frame, size_t length);

uint16_t ipv4_header_checksum(const uint8_t* ip_header);  // over IHL*4 bytes
// Recomputes the IPv4 header checksum and the L4 checksum: the full pseudo-header checksum
// over the segment for TCP and for IPv6 UDP (mandatory there, RFC 8200), 0 ("none", which
// IPv4 allows) for IPv4 UDP.
void fix_checksums(uint8_t* frame, size_t length, const FrameLayout& layout);

// Per-packet edits (host-order values), followed by fix_checksums by the caller.
void set_source(uint8_t* frame, const FrameLayout& layout, IpAddress src, uint16_t src_port);
void set_destination(uint8_t* frame, const FrameLayout& layout, IpAddress dst, uint16_t dst_port);
void set_macs(uint8_t* frame, const MacAddress& src, const MacAddress& dst);
IpAddress source_of(const uint8_t* frame, const FrameLayout& layout);
IpAddress destination_of(const uint8_t* frame, const FrameLayout& layout);
uint16_t source_port_of(const uint8_t* frame, const FrameLayout& layout);
uint16_t destination_port_of(const uint8_t* frame, const FrameLayout& layout);

// Overwrites the 8 bytes at `offset` (even) from the L4 payload's start with `value` as stored
// in memory, and keeps the L4 checksum valid by updating it incrementally (RFC 1624): the
// burst loop restamps a packet just before each tx_burst without summing it again. A UDP
// checksum of zero (none, as fix_checksums leaves IPv4's) stays zero.
void patch_payload_u64(uint8_t* frame, const FrameLayout& layout, size_t offset, uint64_t value);

// Makes room for `bytes` of payload after the L4 header (grows the frame, fixes IP total
// length (IPv6: payload length) and UDP length). Returns false when the IP header's length
// does not reach the payload.
bool ensure_payload(std::vector<uint8_t>& frame, const FrameLayout& layout, size_t bytes);

}  // namespace svcbench
