// Errors that reach the user as one line on stderr and exit code 2 (main() decides it).
// UsageError: the user asked for something that cannot work. SetupError: the machine or the
// node is missing something, or a tool on it failed. (A sweep whose points partly failed
// records them and exits 1; a signal exits 128 + its number.)
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
