// svcb-ipvs-netlink: programs IPVS virtual and real servers over generic netlink, one request
// per service or destination as kube-proxy's IPVS mode does (moby/ipvs), from `ipvsadm -R`
// style lines on stdin (-A/-E/-D services, -a/-e/-d destinations). Runs on the node (in the
// vm guest, or in a namespace of a host whose kernel has IP_VS). Exit 1 names the line that
// the kernel refused.
#include <arpa/inet.h>
#include <linux/ip_vs.h>
#include <linux/netfilter.h>
#include <netinet/in.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include <cstdio>
#include <cstring>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace {

struct Request {
  char verb = 0;  // A E D a e d
  uint16_t protocol = IPPROTO_TCP;
  int family = AF_INET;  // of the virtual server (its real servers share it)
  nf_inet_addr address{};
  uint16_t port = 0;
  std::string scheduler = "rr";
  uint32_t persistence = 0;  // seconds; 0: not persistent
  nf_inet_addr real{};
  int real_family = AF_INET;
  uint16_t real_port = 0;
  uint32_t weight = 1;
};

// "a.b.c.d:port" or "[v6]:port", as ipvsadm writes them.
bool parse_endpoint(const std::string& text, nf_inet_addr& addr, int& family, uint16_t& port) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon + 1 == text.size()) return false;
  std::string host = text.substr(0, colon);
  family = AF_INET;
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
    family = AF_INET6;
  }
  if (inet_pton(family, host.c_str(), family == AF_INET6 ? static_cast<void*>(&addr.in6)
                                                          : static_cast<void*>(&addr.ip)) != 1)
    return false;
  port = static_cast<uint16_t>(std::stoul(text.substr(colon + 1)));
  return true;
}

bool parse(const std::string& line, Request& r) {
  std::istringstream in(line);
  std::vector<std::string> w;
  for (std::string t; in >> t;) w.push_back(t);
  if (w.empty() || w[0].size() != 2 || w[0][0] != '-') return false;
  r.verb = w[0][1];
  for (size_t i = 1; i < w.size(); ++i) {
    const std::string& t = w[i];
    auto next = [&]() -> std::string { return i + 1 < w.size() ? w[++i] : ""; };
    if (t == "-t" || t == "-u" || t == "--sctp-service") {
      r.protocol = t == "-t" ? IPPROTO_TCP : t == "-u" ? IPPROTO_UDP : IPPROTO_SCTP;
      if (!parse_endpoint(next(), r.address, r.family, r.port)) return false;
    } else if (t == "-s") {
      r.scheduler = next();
    } else if (t == "-p") {
      r.persistence = static_cast<uint32_t>(std::stoul(next()));
    } else if (t == "-r") {
      if (!parse_endpoint(next(), r.real, r.real_family, r.real_port)) return false;
    } else if (t == "-w") {
      r.weight = static_cast<uint32_t>(std::stoul(next()));
    } else if (t != "-m") {
      return false;
    }
  }
  return std::string("AEDaed").find(r.verb) != std::string::npos;
}

void put_service(nl_msg* msg, const Request& r, bool full) {
  nlattr* svc = nla_nest_start(msg, IPVS_CMD_ATTR_SERVICE);
  nla_put_u16(msg, IPVS_SVC_ATTR_AF, static_cast<uint16_t>(r.family));
  nla_put_u16(msg, IPVS_SVC_ATTR_PROTOCOL, r.protocol);
  nla_put(msg, IPVS_SVC_ATTR_ADDR, sizeof r.address, &r.address);
  nla_put_u16(msg, IPVS_SVC_ATTR_PORT, htons(r.port));
  if (full) {
    nla_put_string(msg, IPVS_SVC_ATTR_SCHED_NAME, r.scheduler.c_str());
    ip_vs_flags flags{r.persistence ? static_cast<__u32>(IP_VS_SVC_F_PERSISTENT) : 0u, ~0u};
    nla_put(msg, IPVS_SVC_ATTR_FLAGS, sizeof flags, &flags);
    nla_put_u32(msg, IPVS_SVC_ATTR_TIMEOUT, r.persistence);
    // A host's mask: all ones for IPv4, the prefix length 128 for IPv6 (as libipvs).
    nla_put_u32(msg, IPVS_SVC_ATTR_NETMASK, r.family == AF_INET6 ? 128 : 0xffffffff);
  }
  nla_nest_end(msg, svc);
}

void put_dest(nl_msg* msg, const Request& r, bool full) {
  nlattr* dest = nla_nest_start(msg, IPVS_CMD_ATTR_DEST);
  nla_put(msg, IPVS_DEST_ATTR_ADDR, sizeof r.real, &r.real);
  nla_put_u16(msg, IPVS_DEST_ATTR_PORT, htons(r.real_port));
  if (full) {
    nla_put_u32(msg, IPVS_DEST_ATTR_FWD_METHOD, IP_VS_CONN_F_MASQ);
    nla_put_u32(msg, IPVS_DEST_ATTR_WEIGHT, r.weight);
    nla_put_u32(msg, IPVS_DEST_ATTR_U_THRESH, 0);
    nla_put_u32(msg, IPVS_DEST_ATTR_L_THRESH, 0);
    nla_put_u16(msg, IPVS_DEST_ATTR_ADDR_FAMILY, static_cast<uint16_t>(r.real_family));
  }
  nla_nest_end(msg, dest);
}

}  // namespace

int main() {
  nl_sock* sock = nl_socket_alloc();
  if (!sock || genl_connect(sock) != 0) {
    std::fprintf(stderr, "svcb-ipvs-netlink: cannot open a generic netlink socket\n");
    return 1;
  }
  const int family = genl_ctrl_resolve(sock, IPVS_GENL_NAME);
  if (family < 0) {
    std::fprintf(stderr, "svcb-ipvs-netlink: the kernel has no IPVS netlink family (load ip_vs)\n");
    return 1;
  }
  std::string line;
  size_t number = 0;
  while (std::getline(std::cin, line)) {
    ++number;
    if (line.empty()) continue;
    Request r;
    if (!parse(line, r)) {
      std::fprintf(stderr, "svcb-ipvs-netlink: line %zu not understood: %s\n", number,
                   line.c_str());
      return 2;
    }
    uint8_t cmd = 0;
    switch (r.verb) {
      case 'A':
        cmd = IPVS_CMD_NEW_SERVICE;
        break;
      case 'E':
        cmd = IPVS_CMD_SET_SERVICE;
        break;
      case 'D':
        cmd = IPVS_CMD_DEL_SERVICE;
        break;
      case 'a':
        cmd = IPVS_CMD_NEW_DEST;
        break;
      case 'e':
        cmd = IPVS_CMD_SET_DEST;
        break;
      case 'd':
        cmd = IPVS_CMD_DEL_DEST;
        break;
    }
    nl_msg* msg = nlmsg_alloc();
    genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, NLM_F_ACK, cmd, IPVS_GENL_VERSION);
    const bool service_only = r.verb == 'A' || r.verb == 'E' || r.verb == 'D';
    put_service(msg, r, r.verb == 'A' || r.verb == 'E');
    if (!service_only) put_dest(msg, r, r.verb != 'd');
    const int err = nl_send_sync(sock, msg);  // frees msg, waits for the kernel's ack
    if (err < 0) {
      std::fprintf(stderr, "svcb-ipvs-netlink: line %zu refused by the kernel (%s): %s\n", number,
                   nl_geterror(err), line.c_str());
      return 1;
    }
  }
  nl_socket_free(sock);
  return 0;
}
