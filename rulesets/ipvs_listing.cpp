#include "ipvs_listing.h"

#include <sstream>
#include <string>

namespace svcbench {
namespace {

bool parse_ip_port(const std::string& text, IpAddress& ip, uint16_t& port) {
  auto endpoint = Endpoint::parse(text);  // ipvsadm writes IPv6 as [addr]:port
  if (!endpoint) return false;
  ip = endpoint->address;
  port = endpoint->port;
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
