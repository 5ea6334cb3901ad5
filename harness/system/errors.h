// Errors that reach the user as one line. UsageError: the user asked for something that
// cannot work (exit 2). SetupError: the machine is missing something (exit 1 unless noted).
#pragma once

#include <stdexcept>
#include <string>

namespace svcbench {

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct SetupError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace svcbench
