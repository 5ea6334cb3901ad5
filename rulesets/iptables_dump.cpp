#include "iptables_dump.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <set>

namespace svcbench {

std::vector<std::string> split_rule_words(std::string_view line) {
  std::vector<std::string> words;
  std::string current;
  bool in_quotes = false, have = false;
  for (char c : line) {
    if (c == '"') {
      in_quotes = !in_quotes;
      current.push_back(c);
      have = true;
    } else if (c == ' ' && !in_quotes) {
      if (have) words.push_back(std::move(current));
      current.clear();
      have = false;
    } else {
      current.push_back(c);
      have = true;
    }
  }
  if (have) words.push_back(std::move(current));
  return words;
}

std::vector<BaseChainJump> base_chain_jumps(std::string_view payload) {
  std::vector<BaseChainJump> jumps;
  std::string table;
  std::vector<std::string> declared, targeted;
  std::vector<BaseChainJump> rules;
  auto flush_table = [&] {
    // Chains no jump leads to, and chains holding rules of their own (1.12's kubelet chains),
    // are created first.
    for (const auto& c : declared) {
      const bool holds_rules = std::any_of(rules.begin(), rules.end(),
                                           [&](const BaseChainJump& r) { return r.source == c; });
      if (holds_rules || std::find(targeted.begin(), targeted.end(), c) == targeted.end())
        jumps.push_back({table, c, "", {}, false});
    }
    jumps.insert(jumps.end(), rules.begin(), rules.end());
    declared.clear();
    targeted.clear();
    rules.clear();
  };
  size_t start = 0;
  while (start < payload.size()) {
    size_t end = payload.find('\n', start);
    if (end == std::string_view::npos) end = payload.size();
    const std::string_view line = payload.substr(start, end - start);
    start = end + 1;
    if (line.starts_with("*")) {
      table = std::string(line.substr(1));
    } else if (line.starts_with(":")) {
      declared.emplace_back(line.substr(1, line.find(' ') - 1));
    } else if (line == "COMMIT") {
      flush_table();
    } else if (line.starts_with("-I ") || line.starts_with("-A ")) {
      auto words = split_rule_words(line);
      BaseChainJump j{table, "", words.at(1), {}, line[1] == 'A'};
      for (size_t w = 2; w < words.size(); ++w) {
        std::string word = words[w];
        if (word.size() >= 2 && word.front() == '"' && word.back() == '"')
          word = word.substr(1, word.size() - 2);
        j.rule.push_back(std::move(word));
      }
      const auto target = std::find(j.rule.begin(), j.rule.end(), "-j");
      if (target != j.rule.end() && target + 1 != j.rule.end() &&
          std::find(declared.begin(), declared.end(), *(target + 1)) != declared.end()) {
        j.chain = *(target + 1);  // EnsureChain(table, dstChain), once per jump
        targeted.push_back(j.chain);
      }
      rules.push_back(std::move(j));
    }
  }
  return jumps;
}

namespace {

std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

int chain_rank(std::string_view chain) {
  if (chain == "KUBE-NODEPORTS") return 0;
  if (chain == "KUBE-SERVICES") return 1;
  return 2;
}

bool chain_less(std::string_view a, std::string_view b) {
  int ra = chain_rank(a), rb = chain_rank(b);
  if (ra != rb) return ra < rb;
  return a < b;
}

std::string_view rule_chain(std::string_view rule) {
  // "-A CHAIN ..." or "-X CHAIN"
  auto words = rule.substr(3);
  return words.substr(0, words.find(' '));
}

}  // namespace

std::string canonical_iptables_dump(std::string_view text) {
  std::string out;
  struct Table {
    std::string header;
    std::vector<std::string> chains;
    std::vector<std::string> rules;
    std::vector<std::string> deletes;
  };
  Table table;
  bool in_table = false;
  for (auto line : lines_of(text)) {
    if (line.empty() || line.front() == '#') continue;
    if (line.front() == '*') {
      table = Table{std::string(line), {}, {}, {}};
      in_table = true;
    } else if (line == "COMMIT" && in_table) {
      std::stable_sort(table.chains.begin(), table.chains.end(), [](const auto& a, const auto& b) {
        return chain_less(std::string_view(a).substr(1, a.find(' ') - 1),
                          std::string_view(b).substr(1, b.find(' ') - 1));
      });
      std::stable_sort(table.rules.begin(), table.rules.end(), [](const auto& a, const auto& b) {
        return chain_less(rule_chain(a), rule_chain(b));
      });
      out += table.header + "\n";
      for (auto& c : table.chains) out += c + "\n";
      for (auto& r : table.rules) out += r + "\n";
      for (auto& d : table.deletes) out += d + "\n";
      out += "COMMIT\n";
      in_table = false;
    } else if (line.front() == ':') {
      // ":NAME POLICY [x:y]" -> counters zeroed
      std::string decl(line.substr(0, line.rfind(' ')));
      table.chains.push_back(decl + " [0:0]");
    } else if (line.starts_with("-X ")) {
      table.deletes.emplace_back(line);
    } else {
      table.rules.emplace_back(line);
    }
  }
  return out;
}

std::string kube_chains_removal(std::string_view save_text) {
  auto is_kube = [](std::string_view chain) { return chain.starts_with("KUBE-"); };
  std::string out, table, declare, unhook, remove;
  auto flush_table = [&] {
    if (!declare.empty()) out += "*" + table + "\n" + declare + unhook + remove + "COMMIT\n";
    declare.clear();
    unhook.clear();
    remove.clear();
  };
  for (std::string_view line : lines_of(save_text)) {
    if (line.starts_with("*")) {
      table = std::string(line.substr(1));
    } else if (line == "COMMIT") {
      flush_table();
    } else if (line.starts_with(":")) {
      const std::string_view chain = line.substr(1, line.find(' ') - 1);
      if (is_kube(chain)) {
        declare += ":" + std::string(chain) + " - [0:0]\n";  // --noflush: declaring flushes it
        remove += "-X " + std::string(chain) + "\n";
      }
    } else if (line.starts_with("-A ")) {
      const auto words = split_rule_words(line);
      const auto jump = std::find(words.begin(), words.end(), "-j");
      if (words.size() > 1 && !is_kube(words[1]) && jump != words.end() &&
          jump + 1 != words.end() && is_kube(*(jump + 1)))
        unhook += "-D " + std::string(line.substr(3)) + "\n";
    }
  }
  return out;
}

std::vector<ServiceDispatch> read_service_dispatch(std::string_view save_text) {
  std::map<std::string, std::vector<std::vector<std::string>>> chains;
  std::vector<std::vector<std::string>> services_rules;
  for (auto line : lines_of(save_text)) {
    if (line.empty() || line.front() == '#') continue;
    if (line.front() == '[') line = line.substr(line.find(']') + 2);  // iptables-save -c
    if (!line.starts_with("-A ")) continue;
    auto words = split_rule_words(line);
    if (words.size() < 2) continue;
    if (words[1] == "KUBE-SERVICES") services_rules.push_back(words);
    chains[words[1]].push_back(std::move(words));
  }
  auto value_after = [](const std::vector<std::string>& w, std::string_view flag) -> std::string {
    for (size_t i = 0; i + 1 < w.size(); ++i)
      if (w[i] == flag && (i == 0 || w[i - 1] != "!")) return w[i + 1];
    return {};
  };
  // Collect DNAT destinations reachable from a chain (depth-limited walk).
  auto collect = [&](auto&& self, const std::string& chain, int depth, std::set<std::string>& seen,
                     std::vector<Endpoint>& out) -> void {
    if (depth > 4 || !seen.insert(chain).second) return;
    auto it = chains.find(chain);
    if (it == chains.end()) return;
    for (const auto& rule : it->second) {
      std::string target = value_after(rule, "-j");
      if (target == "DNAT") {
        auto parsed = Endpoint::parse(value_after(rule, "--to-destination"));
        if (!parsed) continue;
        Endpoint e;  // just where it goes
        e.address = parsed->address;
        e.port = parsed->port;
        bool dup = std::any_of(out.begin(), out.end(), [&](const Endpoint& x) {
          return x.address == e.address && x.port == e.port;
        });
        if (!dup) out.push_back(e);
      } else if (target.starts_with("KUBE-") && target != "KUBE-MARK-MASQ") {
        self(self, target, depth + 1, seen, out);
      }
    }
  };
  std::vector<ServiceDispatch> table;
  for (size_t position = 0; position < services_rules.size(); ++position) {
    const auto& rule = services_rules[position];
    std::string dest = value_after(rule, "-d");
    std::string proto = value_after(rule, "-p");
    std::string dport = value_after(rule, "--dport");
    if (dest.empty() || proto.empty() || dport.empty()) continue;
    if (value_after(rule, "-j") == "KUBE-MARK-MASQ") continue;  // kube-proxy 1.12's masquerade rule
    ServiceDispatch d;
    d.position = position;
    auto slash = dest.find('/');
    auto ip = IpAddress::parse(dest.substr(0, slash));
    if (!ip) continue;
    d.address = *ip;
    std::from_chars(dport.data(), dport.data() + dport.size(), d.port);
    if (proto == "udp")
      d.protocol = Protocol::kUdp;
    else if (proto == "sctp")
      d.protocol = Protocol::kSctp;
    d.comment = value_after(rule, "--comment");
    if (d.comment.size() >= 2 && d.comment.front() == '"')
      d.comment = d.comment.substr(1, d.comment.size() - 2);
    d.target_chain = value_after(rule, "-j");
    std::set<std::string> seen;
    collect(collect, d.target_chain, 0, seen, d.endpoints);
    table.push_back(std::move(d));
  }
  return table;
}

}  // namespace svcbench
