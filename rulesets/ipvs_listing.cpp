#include "ipvs_listing.h"

#include <charconv>
#include <sstream>
#include <string>

namespace svcbench {
namespace {

bool parse_ip_port(const std::string& text, IpAddress& ip, uint16_t& port) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos) return false;
  auto a = IpAddress::parse(std::string_view(text).substr(0, colon));
  if (!a) return false;
  auto p = std::string_view(text).substr(colon + 1);
  auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), port);
  if (ec != std::errc() || ptr != p.data() + p.size()) return false;
  ip = *a;
  return true;
}

}  // namespace

std::vector<ServiceDispatch> read_ipvs_dispatch(std::string_view listing) {
  std::vector<ServiceDispatch> table;
  std::istringstream in{std::string(listing)};
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string first, second;
    words >> first >> second;
    if (first == "TCP" || first == "UDP" || first == "SCTP") {
      ServiceDispatch d;
      if (!parse_ip_port(second, d.address, d.port)) continue;
      d.protocol = first == "UDP" ? Protocol::kUdp : first == "SCTP" ? Protocol::kSctp : Protocol::kTcp;
      d.position = table.size();
      d.target_chain = line.substr(line.find_first_not_of(' '));
      table.push_back(std::move(d));
    } else if (first == "->" && !table.empty()) {
      Endpoint e;
      if (parse_ip_port(second, e.address, e.port)) table.back().endpoints.push_back(e);
    }
  }
  return table;
}

}  // namespace svcbench
