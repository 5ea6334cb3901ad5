// The context block every results.json starts with: where and with what it was measured.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace svcbench {

// node_kind: "netns" | "vm" | "remote"; emulated: the node runs under software emulation.
// The node's tool versions come from the node itself (NodeShell::tool_versions).
nlohmann::json collect_run_context(const std::string& node_kind, bool emulated);

std::string svcbench_revision();  // git describe of the build
std::string utc_timestamp();      // 2026-11-27T10:00:00Z

}  // namespace svcbench
