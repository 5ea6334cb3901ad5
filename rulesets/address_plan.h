// The one place that knows svcbench's addresses. Everything lives in the RFC 2544
// benchmarking range 198.18.0.0/15 unless the user overrides it explicitly.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace svcbench {

// An IPv4 address in host byte order.
struct Ipv4Address {
  uint32_t value = 0;

  static std::optional<Ipv4Address> parse(std::string_view text);
  std::string str() const;
  auto operator<=>(const Ipv4Address&) const = default;
};

struct Cidr {
  Ipv4Address network;
  int prefix_length = 32;

  // Accepts "a.b.c.d/n" (host bits must be zero) or a bare address (/32).
  static std::optional<Cidr> parse(std::string_view text);
  bool contains(Ipv4Address address) const;
  bool contains(const Cidr& other) const;
  uint64_t size() const { return uint64_t{1} << (32 - prefix_length); }
  // The index-th address of the block; index must be < size().
  Ipv4Address at(uint64_t index) const { return {network.value + static_cast<uint32_t>(index)}; }
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
  // generator (towards the endpoints). Each is a /29 carved from test_links.
  Ipv4Address node_ingress_address() const { return test_links.at(1); }    // 198.18.0.1
  Ipv4Address client_address(uint32_t i) const { return test_links.at(2 + i % 5); }
  Ipv4Address node_egress_address() const { return test_links.at(9); }     // 198.18.0.9
  Ipv4Address endpoint_next_hop() const { return test_links.at(10); }      // 198.18.0.10
  static constexpr int kLinkPrefix = 29;
  static constexpr uint32_t kClientAddresses = 5;

  // True when every block of the plan lies in the benchmarking range.
  bool inside_benchmarking_range() const;
};

}  // namespace svcbench
