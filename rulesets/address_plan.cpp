#include "address_plan.h"

#include <charconv>

namespace svcbench {

std::optional<Ipv4Address> Ipv4Address::parse(std::string_view text) {
  uint32_t value = 0;
  const char* p = text.data();
  const char* end = text.data() + text.size();
  for (int octet = 0; octet < 4; ++octet) {
    unsigned part = 0;
    auto [next, ec] = std::from_chars(p, end, part);
    if (ec != std::errc() || part > 255 || next == p || next - p > 3) return std::nullopt;
    value = (value << 8) | part;
    p = next;
    if (octet < 3) {
      if (p == end || *p != '.') return std::nullopt;
      ++p;
    }
  }
  if (p != end) return std::nullopt;
  return Ipv4Address{value};
}

std::string Ipv4Address::str() const {
  std::string out;
  out.reserve(15);
  for (int shift = 24; shift >= 0; shift -= 8) {
    const unsigned octet = (value >> shift) & 0xff;
    if (octet >= 100) out.push_back(static_cast<char>('0' + octet / 100));
    if (octet >= 10) out.push_back(static_cast<char>('0' + octet / 10 % 10));
    out.push_back(static_cast<char>('0' + octet % 10));
    if (shift) out.push_back('.');
  }
  return out;
}

std::optional<Cidr> Cidr::parse(std::string_view text) {
  auto slash = text.find('/');
  auto address = Ipv4Address::parse(text.substr(0, slash));
  if (!address) return std::nullopt;
  int prefix = 32;
  if (slash != std::string_view::npos) {
    auto digits = text.substr(slash + 1);
    auto [next, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
    if (ec != std::errc() || next != digits.data() + digits.size() || prefix < 0 || prefix > 32)
      return std::nullopt;
  }
  uint32_t mask = prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix);
  if ((address->value & ~mask) != 0) return std::nullopt;
  return Cidr{*address, prefix};
}

bool Cidr::contains(Ipv4Address address) const {
  uint32_t mask = prefix_length == 0 ? 0 : ~uint32_t{0} << (32 - prefix_length);
  return (address.value & mask) == network.value;
}

bool Cidr::contains(const Cidr& other) const {
  return other.prefix_length >= prefix_length && contains(other.network);
}

std::string Cidr::str() const { return network.str() + "/" + std::to_string(prefix_length); }

bool AddressPlan::inside_benchmarking_range() const {
  const Cidr range = *Cidr::parse("198.18.0.0/15");
  return range.contains(test_links) && range.contains(pods) && range.contains(cluster_ips) &&
         range.contains(external_ips);
}

}  // namespace svcbench
