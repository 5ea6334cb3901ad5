#include "address_plan.h"

#include <arpa/inet.h>

#include <charconv>

namespace svcbench {

namespace {

std::optional<uint32_t> parse_v4(std::string_view text) {
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
  return value;
}

}  // namespace

const char* family_name(IpFamily family) { return family == IpFamily::kIpv6 ? "ipv6" : "ipv4"; }

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  if (auto v4 = parse_v4(text)) return IpAddress::v4(*v4);
  if (text.find(':') == std::string_view::npos || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  IpAddress a;
  a.family = IpFamily::kIpv6;
  const std::string copy(text);  // inet_pton wants a terminated string
  if (inet_pton(AF_INET6, copy.c_str(), a.bytes.data()) != 1) return std::nullopt;
  return a;
}

bool IpAddress::is_loopback() const {
  if (!is_v6()) return value >> 24 == 127;
  std::array<uint8_t, 16> one{};
  one[15] = 1;
  return bytes == one;
}

std::string IpAddress::str() const {
  if (is_v6()) {
    char buf[INET6_ADDRSTRLEN];
    inet_ntop(AF_INET6, bytes.data(), buf, sizeof buf);
    return buf;
  }
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

namespace {
// Whether the first `prefix` bits of a and b agree (same family).
bool same_prefix(const IpAddress& a, const IpAddress& b, int prefix) {
  if (!a.is_v6()) {
    const uint32_t mask = prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix);
    return (a.value & mask) == (b.value & mask);
  }
  for (int i = 0; i < 16 && prefix > 0; ++i, prefix -= 8) {
    const uint8_t mask = prefix >= 8 ? 0xff : static_cast<uint8_t>(0xff << (8 - prefix));
    if ((a.bytes[i] & mask) != (b.bytes[i] & mask)) return false;
  }
  return true;
}
}  // namespace

std::optional<Cidr> Cidr::parse(std::string_view text) {
  auto slash = text.find('/');
  auto address = IpAddress::parse(text.substr(0, slash));
  if (!address) return std::nullopt;
  const int max = address->is_v6() ? 128 : 32;
  int prefix = max;
  if (slash != std::string_view::npos) {
    auto digits = text.substr(slash + 1);
    auto [next, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
    if (ec != std::errc() || next != digits.data() + digits.size() || prefix < 0 || prefix > max)
      return std::nullopt;
  }
  // Host bits must be zero: the address equals itself with them cleared.
  IpAddress cleared = *address;
  if (!cleared.is_v6()) {
    cleared.value &= prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix);
  } else {
    for (int bit = prefix; bit < 128; ++bit) cleared.bytes[bit / 8] &= static_cast<uint8_t>(~(0x80 >> (bit % 8)));
  }
  if (cleared != *address) return std::nullopt;
  return Cidr{*address, prefix};
}

bool Cidr::contains(IpAddress address) const {
  return address.family == network.family && same_prefix(address, network, prefix_length);
}

bool Cidr::contains(const Cidr& other) const {
  return other.prefix_length >= prefix_length && contains(other.network);
}

uint64_t Cidr::size() const {
  const int host_bits = (network.is_v6() ? 128 : 32) - prefix_length;
  return host_bits >= 62 ? uint64_t{1} << 62 : uint64_t{1} << host_bits;
}

IpAddress Cidr::at(uint64_t index) const {
  IpAddress a = network;
  if (!a.is_v6()) {
    a.value += static_cast<uint32_t>(index);
    return a;
  }
  for (int i = 15; i >= 0 && index; --i) {  // add to the low 64 bits, carrying
    const uint64_t sum = a.bytes[i] + (index & 0xff);
    a.bytes[i] = static_cast<uint8_t>(sum);
    index = (index >> 8) + (sum >> 8);
  }
  return a;
}

std::string Cidr::str() const { return network.str() + "/" + std::to_string(prefix_length); }

bool AddressPlan::inside_benchmarking_range() const {
  const Cidr range = *Cidr::parse(benchmarking_range.family() == IpFamily::kIpv6 ? "2001:2::/48" : "198.18.0.0/15");
  return range.contains(benchmarking_range) && range.contains(test_links) && range.contains(pods) &&
         range.contains(cluster_ips) && range.contains(external_ips);
}

AddressPlan AddressPlan::ipv6() {
  AddressPlan p;
  p.benchmarking_range = *Cidr::parse("2001:2::/48");
  p.test_links = *Cidr::parse("2001:2::/64");
  p.pods = *Cidr::parse("2001:2:0:8000::/64");
  p.cluster_ips = *Cidr::parse("2001:2:0:1::/108");
  p.external_ips = *Cidr::parse("2001:2:0:2::/108");
  return p;
}

}  // namespace svcbench
