#include "guest_agent.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "atomic_file.h"
#include "errors.h"
#include "interruption.h"
#include "operation_limit.h"

namespace svcbench {

namespace fs = std::filesystem;

std::string read_if_present(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string log_tail(const std::string& path, size_t bytes) {
  std::string log = read_if_present(path);
  if (log.size() > bytes) log = log.substr(log.size() - bytes);
  for (char& c : log)
    if (c == '\n' || c == '\r') c = ' ';
  return log;
}

pid_t start_guest(const GuestProcess& guest) {
  const std::string path = find_tool(guest.argv.at(0));
  if (path.empty())
    throw SetupError(guest.argv[0] + " not found: install " + guest.package +
                     " (scripts/install-deps)");
  const std::string ns = "/run/netns/" + guest.netns;
  int ns_fd = open(ns.c_str(), O_RDONLY | O_CLOEXEC);
  if (ns_fd < 0)
    throw SetupError("namespace " + guest.netns + " is missing: run `svcbench testbed up`");
  std::vector<std::string> args = guest.argv;
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = fork();
  if (pid < 0) {
    close(ns_fd);
    throw SetupError("fork failed starting " + guest.argv[0]);
  }
  if (pid == 0) {
    setsid();
    if (setns(ns_fd, CLONE_NEWNET) != 0) _exit(126);
    int log = open(guest.log_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int null = open("/dev/null", O_RDONLY);
    dup2(null, 0);
    dup2(log, 1);
    dup2(log, 2);
    signal(SIGINT, SIG_IGN);
    execv(path.c_str(), argv.data());
    _exit(127);
  }
  close(ns_fd);
  std::ofstream(guest.pid_file) << pid << "\n";
  return pid;
}

namespace {

bool gone(pid_t pid) { return waitpid(pid, nullptr, WNOHANG) == pid || kill(pid, 0) != 0; }

}  // namespace

void stop_guest(const std::string& pid_file, const std::string& marker) {
  std::error_code ec;
  if (!fs::exists(pid_file, ec)) return;
  pid_t pid = 0;
  std::ifstream(pid_file) >> pid;
  const std::string cmdline = read_if_present("/proc/" + std::to_string(pid) + "/cmdline");
  if (pid > 0 && cmdline.find(marker) != std::string::npos) {
    kill(-pid, SIGTERM);  // the guest's whole session (user-mode Linux runs several processes)
    for (int i = 0; i < 50 && !gone(pid); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    kill(-pid, SIGKILL);
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
  }
  fs::remove(pid_file, ec);
}

namespace {
// A request's files: <id>.in and .req from the host, .out, .err, .done from the agent (and
// their .tmp while written), .cancel from the host at --op-limit.
constexpr const char* kAnswerExtensions[] = {".done", ".out", ".err", ".cancel"};
}  // namespace

void clear_agent_files(const std::string& share) {
  std::error_code ec;
  std::vector<fs::path> stale;
  for (const auto& e : fs::directory_iterator(share, ec)) {
    const std::string name = e.path().filename().string();
    std::string ext = e.path().extension().string();
    if (ext == ".tmp") ext = e.path().stem().extension().string();
    const bool answer = std::find(std::begin(kAnswerExtensions), std::end(kAnswerExtensions), ext) !=
                        std::end(kAnswerExtensions);
    if (name.rfind("agent.", 0) == 0 || ext == ".req" || ext == ".in" || answer)
      stale.push_back(e.path());
  }
  for (const auto& f : stale) fs::remove(f, ec);
}

bool wait_for_agent(const std::string& share, pid_t pid, double seconds) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < deadline && !interrupted()) {
    if (fs::exists(share + "/agent.ready")) return true;
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

CommandResult run_through_agent(const std::string& share, const std::vector<std::string>& argv,
                                const std::string& input, double silence_seconds,
                                const std::string& guest) {
  static std::atomic<uint64_t> counter{0};
  char id[64];
  std::snprintf(id, sizeof id, "%010d-%08llu", getpid(),
                static_cast<unsigned long long>(counter++));
  const std::string base = share + "/" + id;
  if (!input.empty()) write_file_atomically(base + ".in", input);
  std::string req;
  for (const auto& a : argv) {
    req += a;
    req.push_back('\0');
  }
  write_file_atomically(base + ".req", req);
  // Alive while the heartbeat moves; a command may take as long as it needs.
  std::string beat = read_if_present(share + "/agent.alive");
  auto last_beat = std::chrono::steady_clock::now();
  bool cancelled = false;  // --op-limit passed: the agent kills the tool and answers
  for (int spin = 0; !fs::exists(base + ".done"); ++spin) {
    if (interrupted()) throw Interrupted();
    if (const auto left = operation_seconds_left(); left && *left <= 0 && !cancelled) {
      write_file_atomically(base + ".cancel", "");
      cancelled = true;
    }
    if (spin % 250 == 0) {
      const auto now = std::chrono::steady_clock::now();
      std::string current = read_if_present(share + "/agent.alive");
      if (current != beat) {
        beat = std::move(current);
        last_beat = now;
      } else if (std::chrono::duration<double>(now - last_beat).count() > silence_seconds) {
        throw NodeStoppedAnswering(
            "the " + guest + " guest stopped answering (no heartbeat for " +
                std::to_string(static_cast<int>(silence_seconds)) + " s while running " +
                argv[0] + ")",
            argv[0], silence_seconds);
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  CommandResult r;
  std::istringstream done(read_if_present(base + ".done"));
  done >> r.exit_code >> r.seconds;
  double user = -1, system = -1;  // an agent from before rusage writes neither
  if (done >> user >> system) {
    r.user_seconds = user;
    r.system_seconds = system;
  }
  r.out = read_if_present(base + ".out");
  r.err = read_if_present(base + ".err");
  for (const char* ext : kAnswerExtensions) fs::remove(base + ext);
  if (cancelled) throw OperationLimitReached(argv[0], operation_limit_seconds(), r.seconds);
  return r;
}

}  // namespace svcbench
