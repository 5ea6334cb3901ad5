// The context block every results.json starts with: where and with what it was measured.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace svcbench {

// The host's part: date, host, CPU, cores, kernel, DPDK, svcbench's revision. The node adds
// its own (Node::context(): node_kind, emulated, its tool versions).
nlohmann::json collect_run_context();

std::string svcbench_revision();  // git describe of the build
std::string utc_timestamp();      // 2026-11-27T10:00:00Z

}  // namespace svcbench
