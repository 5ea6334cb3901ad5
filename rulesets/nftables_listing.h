// Reading `nft list table ip kube-proxy` back: the Service frontends the service-ips verdict
// map dispatches and the endpoints their chains DNAT to.
#pragma once

#include <string_view>
#include <vector>

#include "service_dispatch.h"

namespace svcbench {

std::vector<ServiceDispatch> read_nftables_dispatch(std::string_view listing);

}  // namespace svcbench
