#include "run_context.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <ctime>
#include <fstream>
#include <thread>

#include "svcbench_version.h"

namespace svcbench {

std::string svcbench_revision() { return SVCBENCH_GIT_REVISION; }

std::string utc_timestamp() {
  std::time_t now = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  return buf;
}

namespace {
std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.starts_with("model name")) return line.substr(line.find(':') + 2);
  return "unknown";
}
}  // namespace

nlohmann::json collect_run_context() {
  utsname u{};
  uname(&u);
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  nlohmann::json c;
  c["date"] = utc_timestamp();
  c["host"] = host;
  c["cpu"] = cpu_model();
  c["cores"] = std::thread::hardware_concurrency();
  c["kernel"] = std::string(u.release);
  c["dpdk"] = SVCBENCH_DPDK_VERSION;
  c["svcbench_revision"] = svcbench_revision();
  return c;
}

}  // namespace svcbench
