#include "operation_limit.h"

#include <cstdio>

namespace svcbench {
namespace {

using Clock = std::chrono::steady_clock;
std::optional<Clock::time_point> g_deadline;  // one sweep or run at a time drives the node
double g_limit_seconds = 0;

std::string message(const std::string& tool, double limit, double ran) {
  char text[200];
  std::snprintf(text, sizeof text, "%s stopped after %.1f s: the operation passed --op-limit %g s",
                tool.c_str(), ran, limit);
  return text;
}

}  // namespace

OperationLimitReached::OperationLimitReached(const std::string& t, double limit, double ran)
    : std::runtime_error(message(t, limit, ran)), tool(t), limit_seconds(limit), tool_seconds(ran) {}

OperationLimit::OperationLimit(double seconds) : previous_(g_deadline), previous_seconds_(g_limit_seconds) {
  if (seconds <= 0) return;
  g_deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                  std::chrono::duration<double>(seconds));
  g_limit_seconds = seconds;
}

OperationLimit::~OperationLimit() {
  g_deadline = previous_;
  g_limit_seconds = previous_seconds_;
}

std::optional<double> operation_seconds_left() {
  if (!g_deadline) return std::nullopt;
  return std::chrono::duration<double>(*g_deadline - Clock::now()).count();
}

double operation_limit_seconds() { return g_limit_seconds; }

}  // namespace svcbench
