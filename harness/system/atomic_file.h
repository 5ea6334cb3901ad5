// Results are never half-written: write to a temporary file beside the target, fsync, rename.
#pragma once

#include <string>

namespace svcbench {

// Throws SetupError naming the path on failure.
void write_file_atomically(const std::string& path, const std::string& content);
std::string read_file(const std::string& path);  // throws UsageError if unreadable

}  // namespace svcbench
