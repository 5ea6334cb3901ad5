// Reading `ipvsadm -Ln` back: the virtual servers the kernel has and their real servers.
#pragma once

#include <string_view>
#include <vector>

#include "service_dispatch.h"

namespace svcbench {

std::vector<ServiceDispatch> read_ipvs_dispatch(std::string_view ipvsadm_listing);

}  // namespace svcbench
