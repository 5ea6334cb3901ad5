// The one place that knows svcbench's addresses. Everything lives in the RFC 2544
// benchmarking range 198.18.0.0/15 unless the user overrides it explicitly.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace svcbench {

enum class IpFamily : uint8_t { kIpv4, kIpv6 };
const char* family_name(IpFamily family);  // "ipv4", "ipv6"

// An IP address of either family: IPv4 in `value` (host byte order), IPv6 in `bytes`
// (network order). Everything svcbench generates is IPv4 today; imports may hold IPv6.
struct IpAddress {
  IpFamily family = IpFamily::kIpv4;
  uint32_t value = 0;
  std::array<uint8_t, 16> bytes{};

  static IpAddress v4(uint32_t value) { return {IpFamily::kIpv4, value, {}}; }
  // Dotted IPv4 or any IPv6 text form (RFC 4291); nullopt otherwise.
  static std::optional<IpAddress> parse(std::string_view text);
  bool is_v6() const { return family == IpFamily::kIpv6; }
  bool is_loopback() const;  // 127.0.0.0/8 or ::1
  std::string str() const;   // dotted, or RFC 5952 ("2001:2::1")
  auto operator<=>(const IpAddress&) const = default;
};

struct Cidr {
  IpAddress network;
  int prefix_length = 32;

  // Accepts "a.b.c.d/n" or "x:y::/n" (host bits must be zero) or a bare address (/32, /128).
  static std::optional<Cidr> parse(std::string_view text);
  IpFamily family() const { return network.family; }
  bool contains(IpAddress address) const;  // false across families
  bool contains(const Cidr& other) const;
  // Addresses in the block (IPv6: at most 2^62, the most a plan draws from).
  uint64_t size() const;
  // The index-th address of the block; index must be < size().
  IpAddress at(uint64_t index) const;
  std::string str() const;
  auto operator<=>(const Cidr&) const = default;
};

struct AddressPlan {
  Cidr benchmarking_range = *Cidr::parse("198.18.0.0/15");
  Cidr test_links = *Cidr::parse("198.18.0.0/24");
  Cidr pods = *Cidr::parse("198.18.128.0/17");
  Cidr cluster_ips = *Cidr::parse("198.19.0.0/17");
  Cidr external_ips = *Cidr::parse("198.19.128.0/17");

  // Test links of the netns node: link A carries traffic generator -> node, link B node ->
  // generator (towards the endpoints). Each is a /29 (IPv6: /125) carved from test_links.
  IpAddress node_ingress_address() const { return test_links.at(1); }    // 198.18.0.1
  IpAddress client_address(uint32_t i) const { return test_links.at(2 + i % 5); }
  IpAddress node_egress_address() const { return test_links.at(9); }     // 198.18.0.9
  IpAddress endpoint_next_hop() const { return test_links.at(10); }      // 198.18.0.10
  int link_prefix() const { return test_links.family() == IpFamily::kIpv6 ? 125 : 29; }
  static constexpr uint32_t kClientAddresses = 5;

  // True when every block of the plan lies in its family's benchmarking range.
  bool inside_benchmarking_range() const;

  // The same plan in IPv6's benchmarking range 2001:2::/48 (RFC 5180): test links 2001:2::/64
  // (node 2001:2::1, clients ::2-::6, egress ::9, next hop ::a), pods 2001:2:0:8000::/64,
  // ClusterIPs 2001:2:0:1::/108 (a Service CIDR's largest allowed size), external IPs
  // 2001:2:0:2::/108.
  static AddressPlan ipv6();
  static AddressPlan of(IpFamily family) { return family == IpFamily::kIpv6 ? ipv6() : AddressPlan{}; }
};

}  // namespace svcbench
