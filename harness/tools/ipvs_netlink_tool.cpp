// svcb-ipvs-netlink: the netlink requests kube-proxy's IPVS proxier makes in-process (moby/ipvs
// for IPVS, vishvananda/netlink for kube-ipvs0), one request per line of stdin, each waiting
// for the kernel's answer as kube-proxy's do:
//   -A/-E/-D -t|-u ADDR:PORT [-s SCHED] [-p SECONDS]   add/edit/delete a virtual server
//   -a/-e/-d -t|-u ADDR:PORT -r ADDR:PORT [-m] [-w W]  add/edit/delete a real server
//   -G -t|-u ADDR:PORT   get a virtual server (GetVirtualServer; "not found" is an answer)
//   -L -t|-u ADDR:PORT   list its real servers (GetRealServers: a dump)
//   -S                   list every virtual server (GetVirtualServers: a dump)
//   dummy NAME           ensure a dummy link (EnsureDummyDevice: "exists" is fine)
//   addrs                list the node's addresses (GetLocalAddresses & co.: a dump)
//   bind ADDR NAME       add a host address to the link (EnsureAddressBind: "exists" is fine)
//   unbind ADDR NAME     remove it (UnbindAddress)
// Runs on the node (in a guest, or in a namespace of a host whose kernel has IP_VS). Exit 1
// names the line that the kernel refused.
#include <arpa/inet.h>
#include <linux/ip_vs.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netfilter.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
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
  return std::string("AEDaedGLS").find(r.verb) != std::string::npos && (r.verb == 'S' || r.port);
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

// Sends one request and reads the kernel's answer (its ack, or a whole dump); 0 or -NLE_*.
int exchange(nl_sock* sock, nl_msg* msg) {
  int err = nl_send_auto(sock, msg);
  nlmsg_free(msg);
  if (err < 0) return err;
  return nl_recvmsgs_default(sock);  // to the ack, or through a dump to its NLMSG_DONE
}

// The kube-ipvs0 side (rtnetlink), as vishvananda/netlink builds these requests.
int route_request(nl_sock* route, const std::vector<std::string>& w) {
  if (w[0] == "addrs") {
    ifaddrmsg hdr{};
    hdr.ifa_family = AF_UNSPEC;
    nl_msg* msg = nlmsg_alloc_simple(RTM_GETADDR, NLM_F_REQUEST | NLM_F_DUMP);
    nlmsg_append(msg, &hdr, sizeof hdr, NLMSG_ALIGNTO);
    return exchange(route, msg);
  }
  if (w[0] == "dummy" && w.size() == 2) {
    ifinfomsg hdr{};
    nl_msg* msg = nlmsg_alloc_simple(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
    nlmsg_append(msg, &hdr, sizeof hdr, NLMSG_ALIGNTO);
    nla_put_string(msg, IFLA_IFNAME, w[1].c_str());
    nlattr* info = nla_nest_start(msg, IFLA_LINKINFO);
    nla_put_string(msg, IFLA_INFO_KIND, "dummy");
    nla_nest_end(msg, info);
    const int err = exchange(route, msg);
    return err == -NLE_EXIST ? 0 : err;
  }
  if ((w[0] == "bind" || w[0] == "unbind") && w.size() == 3) {
    ifaddrmsg hdr{};
    nf_inet_addr addr{};
    hdr.ifa_family = w[1].find(':') == std::string::npos ? AF_INET : AF_INET6;
    if (inet_pton(hdr.ifa_family, w[1].c_str(), &addr) != 1) return -NLE_INVAL;
    hdr.ifa_prefixlen = hdr.ifa_family == AF_INET ? 32 : 128;
    hdr.ifa_index = if_nametoindex(w[2].c_str());
    if (hdr.ifa_index == 0) return -NLE_NODEV;
    const bool bind = w[0] == "bind";
    nl_msg* msg = nlmsg_alloc_simple(bind ? RTM_NEWADDR : RTM_DELADDR,
                                     NLM_F_REQUEST | NLM_F_ACK | (bind ? NLM_F_CREATE | NLM_F_EXCL : 0));
    nlmsg_append(msg, &hdr, sizeof hdr, NLMSG_ALIGNTO);
    const int size = hdr.ifa_family == AF_INET ? 4 : 16;
    nla_put(msg, IFA_LOCAL, size, &addr);
    nla_put(msg, IFA_ADDRESS, size, &addr);
    const int err = exchange(route, msg);
    return bind && err == -NLE_EXIST ? 0 : err;
  }
  return -NLE_INVAL;
}

}  // namespace

int main() {
  nl_sock* sock = nl_socket_alloc();
  nl_sock* route = nl_socket_alloc();
  if (!sock || genl_connect(sock) != 0 || !route || nl_connect(route, NETLINK_ROUTE) != 0) {
    std::fprintf(stderr, "svcb-ipvs-netlink: cannot open a netlink socket\n");
    return 1;
  }
  // Each request asks for exactly the answers it waits for (NLM_F_ACK on writes only): libnl's
  // automatic ack on a get would leave an answer behind for the next request to misread.
  nl_socket_disable_auto_ack(sock);
  nl_socket_disable_auto_ack(route);
  int family = -1;  // resolved at the first IPVS request: a line list of links alone needs none
  std::string line;
  size_t number = 0;
  while (std::getline(std::cin, line)) {
    ++number;
    if (line.empty()) continue;
    std::istringstream words(line);
    std::vector<std::string> w;
    for (std::string t; words >> t;) w.push_back(t);
    if (!w[0].starts_with("-")) {
      const int err = route_request(route, w);
      if (err == -NLE_INVAL) {
        std::fprintf(stderr, "svcb-ipvs-netlink: line %zu not understood: %s\n", number, line.c_str());
        return 2;
      }
      if (err < 0) {
        std::fprintf(stderr, "svcb-ipvs-netlink: line %zu refused by the kernel (%s): %s\n", number,
                     nl_geterror(err), line.c_str());
        return 1;
      }
      continue;
    }
    Request r;
    if (!parse(line, r)) {
      std::fprintf(stderr, "svcb-ipvs-netlink: line %zu not understood: %s\n", number,
                   line.c_str());
      return 2;
    }
    if (family < 0 && (family = genl_ctrl_resolve(sock, IPVS_GENL_NAME)) < 0) {
      std::fprintf(stderr, "svcb-ipvs-netlink: the kernel has no IPVS netlink family (load ip_vs)\n");
      return 1;
    }
    uint8_t cmd = 0;
    int flags = NLM_F_ACK;
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
      case 'G':
        cmd = IPVS_CMD_GET_SERVICE;
        flags = 0;  // the answer is the service, or an error
        break;
      case 'L':
        cmd = IPVS_CMD_GET_DEST;
        flags = NLM_F_DUMP;
        break;
      case 'S':
        cmd = IPVS_CMD_GET_SERVICE;
        flags = NLM_F_DUMP;
        break;
    }
    nl_msg* msg = nlmsg_alloc();
    genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, flags, cmd, IPVS_GENL_VERSION);
    const bool service_only = std::string("AEDGL").find(r.verb) != std::string::npos;
    if (r.verb != 'S') put_service(msg, r, r.verb == 'A' || r.verb == 'E');
    if (!service_only) put_dest(msg, r, r.verb != 'd');
    const int err = exchange(sock, msg);
    // A virtual server that is not there is GetVirtualServer's answer, not a failure.
    if (err < 0 && !(r.verb == 'G' && (err == -NLE_OBJ_NOTFOUND || err == -NLE_NOADDR))) {
      std::fprintf(stderr, "svcb-ipvs-netlink: line %zu refused by the kernel (%s): %s\n", number,
                   nl_geterror(err), line.c_str());
      return 1;
    }
  }
  nl_socket_free(sock);
  nl_socket_free(route);
  return 0;
}
