// The kube-proxy settings every mode reads (the flags common to its iptables, nftables and
// IPVS proxiers). Each mode's options extend these, so one set converts to another.
#pragma once

#include <optional>
#include <string>

#include "address_plan.h"

namespace svcbench {

struct ProxyOptions {
  std::optional<Cidr> cluster_cidr;  // --cluster-cidr: the local traffic detector
  bool masquerade_all = false;
  std::string masquerade_mark = "0x4000";
  bool random_fully = true;          // MASQUERADE --random-fully (iptables >= 1.6.2)
  Ipv4Address node_ip = *Ipv4Address::parse("198.18.0.1");
};

// The same proxy settings as another mode's options, that mode's own settings at defaults.
template <typename ModeOptions>
ModeOptions with_proxy_options(const ProxyOptions& proxy) {
  ModeOptions m;
  static_cast<ProxyOptions&>(m) = proxy;
  return m;
}

}  // namespace svcbench
