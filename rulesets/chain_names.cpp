#include "chain_names.h"

#include <openssl/sha.h>

#include <array>

namespace svcbench {

std::string sha256_base32(std::string_view input) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
  SHA256(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest.data());
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  std::string out;
  out.reserve(56);
  uint64_t buffer = 0;
  int bits = 0;
  for (unsigned char byte : digest) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out.push_back(kAlphabet[(buffer >> (bits - 5)) & 31]);
      bits -= 5;
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(buffer << (5 - bits)) & 31]);
  while (out.size() % 8 != 0) out.push_back('=');
  return out;
}

namespace {
std::string hashed(std::string_view prefix, std::string_view input) {
  return std::string(prefix) + sha256_base32(input).substr(0, 16);
}
std::string join(std::string_view a, std::string_view b) {
  std::string s(a);
  s.append(b);
  return s;
}
}  // namespace

std::string service_chain(std::string_view port_name, std::string_view protocol) {
  return hashed("KUBE-SVC-", join(port_name, protocol));
}
std::string local_chain(std::string_view port_name, std::string_view protocol) {
  return hashed("KUBE-SVL-", join(port_name, protocol));
}
std::string external_chain(std::string_view port_name, std::string_view protocol) {
  return hashed("KUBE-EXT-", join(port_name, protocol));
}
std::string firewall_chain(std::string_view port_name, std::string_view protocol) {
  return hashed("KUBE-FW-", join(port_name, protocol));
}
std::string endpoint_chain(std::string_view port_name, std::string_view protocol,
                           std::string_view endpoint) {
  return hashed("KUBE-SEP-", join(join(port_name, protocol), endpoint));
}

bool is_service_chain(std::string_view chain) {
  for (std::string_view prefix : {"KUBE-SVC-", "KUBE-SVL-", "KUBE-EXT-", "KUBE-FW-", "KUBE-SEP-"})
    if (chain.starts_with(prefix)) return true;
  return false;
}

}  // namespace svcbench
