#include "nftables_listing.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <set>
#include <string>

namespace svcbench {
namespace {

std::vector<std::string> words_of(std::string_view text) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : text) {
    if (c == ' ' || c == '\t' || c == '\n' || c == ',' || c == '{' || c == '}') {
      if (!cur.empty()) out.push_back(std::move(cur));
      cur.clear();
      if (c == '{' || c == '}') out.emplace_back(1, c);
    } else {
      cur.push_back(c);
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

}  // namespace

std::vector<ServiceDispatch> read_nftables_dispatch(std::string_view listing) {
  // Split into blocks: "chain NAME { ... }" and "map NAME { ... }" (one level of nesting
  // inside for vmaps and element lists).
  std::map<std::string, std::vector<std::string>> chains;
  std::vector<std::string> service_ips;
  const auto words = words_of(listing);
  for (size_t i = 0; i + 2 < words.size(); ++i) {
    if ((words[i] != "chain" && words[i] != "map") || words[i + 2] != "{") continue;
    const bool is_chain = words[i] == "chain";
    const std::string name = words[i + 1];
    int depth = 0;
    size_t j = i + 2;
    std::vector<std::string> body;
    for (; j < words.size(); ++j) {
      if (words[j] == "{") ++depth;
      else if (words[j] == "}" && --depth == 0) break;
      body.push_back(words[j]);
    }
    if (is_chain) chains[name] = std::move(body);
    else if (name == "service-ips") service_ips = std::move(body);
    i = j;
  }
  auto collect = [&](auto&& self, const std::string& chain, int depth, std::set<std::string>& seen,
                     std::vector<Endpoint>& out) -> void {
    if (depth > 4 || !seen.insert(chain).second) return;
    auto it = chains.find(chain);
    if (it == chains.end()) return;
    const auto& body = it->second;
    for (size_t k = 0; k + 1 < body.size(); ++k) {
      if ((body[k] == "goto" || body[k] == "jump") && body[k + 1] != "mark-for-masquerade") {
        self(self, body[k + 1], depth + 1, seen, out);
      } else if (body[k] == "dnat") {
        for (size_t m = k + 1; m < body.size() && m < k + 4; ++m) {
          auto parsed = Endpoint::parse(body[m]);
          if (!parsed) continue;
          Endpoint e;  // just where it goes
          e.address = parsed->address;
          e.port = parsed->port;
          if (std::none_of(out.begin(), out.end(), [&](const Endpoint& x) { return x == e; })) out.push_back(e);
          break;
        }
      }
    }
  };
  std::vector<ServiceDispatch> table;
  // Elements look like: ADDR . PROTO . PORT : goto CHAIN
  for (size_t k = 0; k + 7 < service_ips.size() + 1 && k + 6 < service_ips.size(); ++k) {
    if (service_ips[k + 1] != "." || service_ips[k + 3] != "." || service_ips[k + 5] != ":") continue;
    auto ip = IpAddress::parse(service_ips[k]);
    if (!ip) continue;
    ServiceDispatch d;
    d.position = table.size();
    d.address = *ip;
    d.protocol = service_ips[k + 2] == "udp" ? Protocol::kUdp : service_ips[k + 2] == "sctp" ? Protocol::kSctp : Protocol::kTcp;
    const auto& port = service_ips[k + 4];
    std::from_chars(port.data(), port.data() + port.size(), d.port);
    if (k + 7 < service_ips.size() + 1 && service_ips[k + 6] == "goto" && k + 7 < service_ips.size()) {
      d.target_chain = service_ips[k + 7];
      std::set<std::string> seen;
      collect(collect, d.target_chain, 0, seen, d.endpoints);
    }
    table.push_back(std::move(d));
    k += 7;
  }
  return table;
}

}  // namespace svcbench
