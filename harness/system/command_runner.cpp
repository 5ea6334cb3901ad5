#include "command_runner.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <sstream>

#include "elapsed.h"
#include "errors.h"
#include "operation_limit.h"

namespace svcbench {

std::string find_tool(const std::string& tool) {
  if (tool.find('/') != std::string::npos) return access(tool.c_str(), X_OK) == 0 ? tool : "";
  std::string path = getenv("PATH") ? getenv("PATH") : "";
  path += ":/usr/sbin:/sbin:/usr/bin:/bin";
  std::stringstream ss(path);
  std::string dir;
  while (std::getline(ss, dir, ':')) {
    if (dir.empty()) continue;
    std::string candidate = dir + "/" + tool;
    struct stat st {};
    if (stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        access(candidate.c_str(), X_OK) == 0)
      return candidate;
  }
  return "";
}

namespace {
// What the child of vfork needs, prepared by the parent (the child may not allocate).
struct ChildSetup {
  const char* path;
  char** argv;
  char** envp;
  int netns_fd, stdin_fd, stdout_fd, stderr_fd;
  bool capture_output;
};

// vfork: the child borrows our memory until execve instead of copying our page tables, which
// for a process holding the generator's buffers takes milliseconds with the memory map locked
// (the generator's lcore stalls on its next page fault) -- a stall under a held load. A frame
// of its own, so that no local of the caller lives across the vfork (-Wclobbered).
[[gnu::noinline]] pid_t spawn_child(const ChildSetup& c) {
  const pid_t pid = vfork();
  if (pid == 0) {
    // Child, sharing our memory: only system calls from here on, no allocation, no returns.
    if (c.netns_fd >= 0 && setns(c.netns_fd, CLONE_NEWNET) != 0) _exit(126);
    dup2(c.stdin_fd, 0);
    if (c.capture_output) {
      dup2(c.stdout_fd, 1);
      dup2(c.stderr_fd, 2);
    }
    // A Ctrl-C aimed at svcbench must not cut a ruleset load in half: the tool finishes and
    // svcbench stops at its next check. SIGTERM still ends the tool.
    setpgid(0, 0);  // its own group: --op-limit stops the tool and what it started
    signal(SIGINT, SIG_IGN);
    signal(SIGTERM, SIG_DFL);
    signal(SIGPIPE, SIG_DFL);
    execve(c.path, c.argv, c.envp);
    _exit(127);
  }
  return pid;
}
}  // namespace

void require_tool(const std::string& tool, const std::string& package) {
  if (find_tool(tool).empty())
    throw SetupError(tool + " not found: install the Debian package " + package +
                     " (scripts/install-deps does it)");
}

CommandResult run_command(const Command& command) {
  if (command.argv.empty()) throw SetupError("internal: empty command");
  const std::string path = find_tool(command.argv[0]);
  if (path.empty())
    throw SetupError(command.argv[0] + " not found on PATH: run scripts/install-deps");
  const int ns_fd = [&] {
    if (command.netns.empty()) return -1;
    const std::string ns_path = "/run/netns/" + command.netns;
    const int fd = open(ns_path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
      throw SetupError("network namespace " + command.netns +
                       " does not exist: run `svcbench testbed up`");
    return fd;
  }();
  int in_pipe[2], out_pipe[2], err_pipe[2];
  if (pipe2(in_pipe, O_CLOEXEC) || pipe2(out_pipe, O_CLOEXEC) || pipe2(err_pipe, O_CLOEXEC))
    throw SetupError(std::string("pipe: ") + strerror(errno));
  std::vector<char*> argv;
  for (const auto& a : command.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);

  // The environment, built before vfork (the child may not allocate): ours, with `env`'s
  // entries replacing those of the same name.
  std::vector<std::string> env_storage;
  std::vector<char*> envp;
  auto name_of = [](const std::string& entry) { return entry.substr(0, entry.find('=')); };
  for (char** e = environ; *e; ++e) {
    const std::string entry = *e;
    const bool replaced = std::any_of(command.env.begin(), command.env.end(),
                                      [&](const std::string& x) { return name_of(x) == name_of(entry); });
    if (!replaced) envp.push_back(*e);
  }
  env_storage = command.env;
  for (auto& e : env_storage) envp.push_back(e.data());
  envp.push_back(nullptr);

  const auto start = std::chrono::steady_clock::now();
  const pid_t pid = spawn_child({path.c_str(), argv.data(), envp.data(), ns_fd, in_pipe[0],
                                 out_pipe[1], err_pipe[1], command.capture_output});
  if (pid < 0) throw SetupError(std::string("vfork: ") + strerror(errno));
  if (ns_fd >= 0) close(ns_fd);
  close(in_pipe[0]);
  close(out_pipe[1]);
  close(err_pipe[1]);

  CommandResult result;
  size_t written = 0;
  int in_fd = in_pipe[1];
  if (command.input.empty()) {
    close(in_fd);
    in_fd = -1;
  } else {
    fcntl(in_fd, F_SETFL, O_NONBLOCK);
  }
  int out_fd = out_pipe[0], err_fd = err_pipe[0];
  char buf[65536];
  bool killed = false;  // by --op-limit
  while (out_fd >= 0 || err_fd >= 0 || in_fd >= 0) {
    pollfd fds[3];
    int n = 0;
    if (in_fd >= 0) fds[n++] = {in_fd, POLLOUT, 0};
    if (out_fd >= 0) fds[n++] = {out_fd, POLLIN, 0};
    if (err_fd >= 0) fds[n++] = {err_fd, POLLIN, 0};
    const auto left = operation_seconds_left();
    if (left && *left <= 0 && !killed) {
      kill(-pid, SIGKILL);
      killed = true;
    }
    const int wait_ms = left && !killed ? static_cast<int>(std::max(0.0, *left) * 1000) + 1 : -1;
    if (poll(fds, n, wait_ms) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < n; ++i) {
      if (!fds[i].revents) continue;
      if (fds[i].fd == in_fd) {
        ssize_t w = write(in_fd, command.input.data() + written, command.input.size() - written);
        if (w > 0) written += static_cast<size_t>(w);
        if (w < 0 && errno != EAGAIN) written = command.input.size();
        if (written >= command.input.size()) {
          close(in_fd);
          in_fd = -1;
        }
      } else {
        ssize_t r = read(fds[i].fd, buf, sizeof buf);
        if (r > 0) {
          (fds[i].fd == out_fd ? result.out : result.err).append(buf, static_cast<size_t>(r));
        } else if (r == 0 || errno != EINTR) {
          close(fds[i].fd);
          (fds[i].fd == out_fd ? out_fd : err_fd) = -1;
        }
      }
    }
  }
  int status = 0;
  struct rusage usage {};
  // A tool that closed its output (or never had it captured) may still run past the limit.
  for (;;) {
    const pid_t done = wait4(pid, &status, killed || !operation_seconds_left() ? 0 : WNOHANG, &usage);
    if (done == pid) break;
    if (done < 0 && errno != EINTR) break;
    if (done == 0) {
      if (*operation_seconds_left() <= 0) {
        kill(-pid, SIGKILL);
        killed = true;
      } else {
        usleep(2000);
      }
    }
  }
  result.seconds = seconds_since(start);
  if (killed) throw OperationLimitReached(command.argv[0], operation_limit_seconds(), result.seconds);
  auto cpu = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  result.user_seconds = cpu(usage.ru_utime);
  result.system_seconds = cpu(usage.ru_stime);
  result.max_rss_mib = static_cast<double>(usage.ru_maxrss) / 1024;
  if (WIFEXITED(status))
    result.exit_code = WEXITSTATUS(status);
  else if (WIFSIGNALED(status))
    result.exit_code = 128 + WTERMSIG(status);
  if (result.exit_code == 126 && !command.netns.empty())
    throw SetupError("cannot enter network namespace " + command.netns + " (are you root?)");
  return result;
}

std::string tool_failure(const std::string& tool, const CommandResult& result) {
  std::string first = result.err.substr(0, result.err.find('\n'));
  if (first.empty()) first = result.out.substr(0, result.out.find('\n'));
  return "(" + tool + " exit " + std::to_string(result.exit_code) + "): " + first;
}

CommandResult run_checked(const Command& command, const std::string& what) {
  CommandResult r = run_command(command);
  if (!r.ok()) throw SetupError(what + " failed " + tool_failure(command.argv[0], r));
  return r;
}

}  // namespace svcbench
