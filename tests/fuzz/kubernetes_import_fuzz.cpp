// libFuzzer target: `svcbench rules --from` input. Any input may be rejected with
// std::runtime_error (the one-line error users see); nothing else may escape, crash or leak.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string_view>

#include "kubernetes_import.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    auto set = svcbench::import_kubernetes_list(
        std::string_view(reinterpret_cast<const char*>(data), size), {"node-a"});
    svcbench::remap_into_plan(set, svcbench::AddressPlan{});
  } catch (const std::runtime_error&) {
  }
  return 0;
}
