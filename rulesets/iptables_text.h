// What both iptables renderers (today's kube-proxy and 1.12's) write with: kube-proxy's fixed
// chain names, its LineBuffer, and the precomputed 1/n probabilities.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace svcbench::iptables_text {

inline constexpr const char* kServices = "KUBE-SERVICES";
inline constexpr const char* kExternalServices = "KUBE-EXTERNAL-SERVICES";
inline constexpr const char* kNodePorts = "KUBE-NODEPORTS";
inline constexpr const char* kPostrouting = "KUBE-POSTROUTING";
inline constexpr const char* kMarkMasq = "KUBE-MARK-MASQ";
inline constexpr const char* kMarkDrop = "KUBE-MARK-DROP";  // kubelet's (1.12's rules jump to it)
inline constexpr const char* kForward = "KUBE-FORWARD";
inline constexpr const char* kProxyFirewall = "KUBE-PROXY-FIREWALL";
inline constexpr const char* kKubeletFirewall = "KUBE-FIREWALL";

// A double-quoted word built from pieces without a temporary string: "a" + "b" + "c".
struct Quote {
  std::string_view a, b = {}, c = {};
};
// "-m comment --comment <quote>", or nothing when comments are dropped (large clusters).
struct OptionalComment {
  bool on;
  Quote text;
  bool quoted = true;
};

// kube-proxy's LineBuffer: words joined by single spaces, one rule per line. A discarding
// buffer counts lines without keeping them (partial sync of unchanged Services).
class LineBuffer {
 public:
  explicit LineBuffer(bool keep = true) : keep_(keep) {}
  template <typename... Words>
  void write(const Words&... words) {
    ++lines_;
    if (!keep_) return;
    bool first = true;
    (append(first, words), ...);
    text_.push_back('\n');
  }
  void chain_line(const std::string& chain) {
    ++lines_;
    if (!keep_) return;
    text_.push_back(':');
    text_.append(chain);
    text_.append(" - [0:0]\n");
  }
  const std::string& text() const { return text_; }
  size_t lines() const { return lines_; }
  // Empties the buffer but keeps its memory, as kube-proxy reuses its buffers across syncs.
  void reset() {
    text_.clear();
    lines_ = 0;
  }
  void reserve(size_t n) { text_.reserve(n); }

 private:
  void append(bool& first, const std::string& word) { put(first, word); }
  void append(bool& first, const char* word) { put(first, word); }
  void append(bool& first, const std::vector<std::string>& words) {
    for (const auto& w : words) put(first, w);
  }
  void append(bool& first, const Quote& q) {
    if (!keep_) return;
    if (!first) text_.push_back(' ');
    text_.push_back('"');
    text_.append(q.a);
    text_.append(q.b);
    text_.append(q.c);
    text_.push_back('"');
    first = false;
  }
  void append(bool& first, const OptionalComment& c) {
    if (!c.on) return;
    put(first, "-m comment --comment");
    if (c.quoted) append(first, c.text);
    else put(first, c.text.a);
  }
  void put(bool& first, std::string_view word) {
    if (!keep_ || word.empty()) return;
    if (!first) text_.push_back(' ');
    text_.append(word);
    first = false;
  }
  bool keep_;
  size_t lines_ = 0;
  std::string text_;
};

inline std::string quoted(const std::string& s) { return "\"" + s + "\""; }

// kube-proxy precomputes these too (formatting floats is the expensive part): 1/n printed with
// `decimals` places (today's %0.10f, 1.12's %0.5f).
inline const std::string& probability(size_t n, int decimals) {
  static thread_local std::vector<std::string> cache[11];
  auto& c = cache[decimals];
  while (c.size() <= n) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%0.*f", decimals, c.empty() ? 0.0 : 1.0 / static_cast<double>(c.size()));
    c.emplace_back(buf);
  }
  return c[n];
}

}  // namespace svcbench::iptables_text
