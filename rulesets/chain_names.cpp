#include "chain_names.h"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <array>

namespace svcbench {
namespace {

// OpenSSL 3's one-shot SHA256() looks the algorithm up (under a lock) on every call; a
// rendering thread fetches it once and reuses one context.
std::array<unsigned char, SHA256_DIGEST_LENGTH> sha256(std::string_view input) {
  struct Hasher {
    EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    ~Hasher() {
      EVP_MD_CTX_free(ctx);
      EVP_MD_free(md);
    }
  };
  static thread_local Hasher h;
  std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
  if (h.md && h.ctx && EVP_DigestInit_ex2(h.ctx, h.md, nullptr) == 1 &&
      EVP_DigestUpdate(h.ctx, input.data(), input.size()) == 1 &&
      EVP_DigestFinal_ex(h.ctx, digest.data(), nullptr) == 1)
    return digest;
  SHA256(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest.data());
  return digest;
}

}  // namespace

std::string sha256_base32(std::string_view input) {
  const auto digest = sha256(input);
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

std::string sha256_base32_16(std::string_view input) {
  const auto digest = sha256(input);
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  // 16 base32 characters are exactly the first 10 bytes (80 bits).
  std::string out(16, ' ');
  uint64_t hi = 0;
  for (int i = 0; i < 5; ++i) hi = (hi << 8) | digest[i];
  uint64_t lo = 0;
  for (int i = 5; i < 10; ++i) lo = (lo << 8) | digest[i];
  for (int i = 0; i < 8; ++i) {
    out[7 - i] = kAlphabet[hi & 31];
    out[15 - i] = kAlphabet[lo & 31];
    hi >>= 5;
    lo >>= 5;
  }
  return out;
}

namespace {
std::string hashed(std::string_view prefix, std::string_view input) {
  std::string out;
  out.reserve(prefix.size() + 16);
  out.append(prefix);
  out.append(sha256_base32_16(input));
  return out;
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
std::string load_balancer_chain(std::string_view port_name, std::string_view protocol) {
  return hashed("KUBE-XLB-", join(port_name, protocol));
}
std::string endpoint_chain(std::string_view port_name, std::string_view protocol,
                           std::string_view endpoint) {
  return hashed("KUBE-SEP-", join(join(port_name, protocol), endpoint));
}

bool is_service_chain(std::string_view chain) {
  for (std::string_view prefix : {"KUBE-SVC-", "KUBE-SVL-", "KUBE-EXT-", "KUBE-FW-", "KUBE-SEP-", "KUBE-XLB-"})
    if (chain.starts_with(prefix)) return true;
  return false;
}

}  // namespace svcbench
