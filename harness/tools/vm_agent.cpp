// svcb-vm-agent: PID 1's helper inside the guest nodes (the vm node, the uml node). It runs the
// commands the host drops into the shared folder and times them on the guest's own clock, so
// rule-update times are the guest's, not the host's plus the control channel's.
//
// Protocol (DIR is the 9p share): the host writes DIR/<id>.in (stdin, optional) and then
// DIR/<id>.req (argv, NUL-separated) by rename. The agent runs it and leaves DIR/<id>.out,
// DIR/<id>.err and, last, DIR/<id>.done = "<exit code> <seconds> <user s> <system s>\n" (the tool's rusage).
// DIR/<id>.cancel (written by the host once its --op-limit passed) makes the agent kill the
// tool's process group; its .done then says 137.
// DIR/agent.alive holds a counter the agent advances every second, also while a command runs:
// the host tells a slow command (a 10,000-Service nft transaction under TCG takes many
// minutes) from a guest that stopped answering.
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

double now() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

bool next_request(const std::string& dir, std::string& id) {
  DIR* d = opendir(dir.c_str());
  if (!d) return false;
  bool found = false;
  while (dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name.size() > 4 && name.compare(name.size() - 4, 4, ".req") == 0) {
      std::string candidate = name.substr(0, name.size() - 4);
      if (!found || candidate < id) id = candidate;
      found = true;
    }
  }
  closedir(d);
  return found;
}

void run(const std::string& dir, const std::string& id) {
  const std::string base = dir + "/" + id;
  std::ifstream req(base + ".req", std::ios::binary);
  std::stringstream ss;
  ss << req.rdbuf();
  std::string text = ss.str();
  std::vector<std::string> args;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\0', start);
    if (end == std::string::npos) end = text.size();
    args.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  unlink((base + ".req").c_str());
  int code = 127;
  double seconds = 0, user = -1, system = -1;
  if (!args.empty()) {
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    const std::string in = access((base + ".in").c_str(), R_OK) == 0 ? base + ".in" : "/dev/null";
    const double t0 = now();
    pid_t pid = fork();
    if (pid == 0) {
      setpgid(0, 0);  // a cancel stops the tool and what it started
      int fd_in = open(in.c_str(), O_RDONLY);
      int fd_out = open((base + ".out.tmp").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      int fd_err = open((base + ".err.tmp").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(fd_in, 0);
      dup2(fd_out, 1);
      dup2(fd_err, 2);
      execvp(argv[0], argv.data());
      _exit(127);
    }
    int status = 0;
    struct rusage usage {};
    // The tool is waited for in one blocking wait4, so its time is exact; a watcher looks for
    // the host's cancel meanwhile.
    std::atomic<bool> finished{false};
    std::thread watcher([&] {
      while (!finished.load()) {
        if (access((base + ".cancel").c_str(), F_OK) == 0) {
          kill(-pid, SIGKILL);
          return;
        }
        usleep(20000);
      }
    });
    while (wait4(pid, &status, 0, &usage) < 0 && errno == EINTR) {
    }
    seconds = now() - t0;
    finished = true;
    watcher.join();
    unlink((base + ".cancel").c_str());
    user = static_cast<double>(usage.ru_utime.tv_sec) + usage.ru_utime.tv_usec / 1e6;
    system = static_cast<double>(usage.ru_stime.tv_sec) + usage.ru_stime.tv_usec / 1e6;
    code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  rename((base + ".out.tmp").c_str(), (base + ".out").c_str());
  rename((base + ".err.tmp").c_str(), (base + ".err").c_str());
  unlink((base + ".in").c_str());
  {
    std::ofstream done(base + ".done.tmp");
    done << code << " " << seconds << " " << user << " " << system << "\n";
  }
  rename((base + ".done.tmp").c_str(), (base + ".done").c_str());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2 && argc != 3) {
    std::fprintf(stderr, "usage: svcb-vm-agent SHARED_DIR [POLL_MS]\n");
    return 2;
  }
  const std::string dir = argv[1];
  // How often the folder is looked at: 2 ms by default; a user-mode Linux guest, where each
  // syscall costs ~100 us on its one CPU, polls less so the data path it measures stays quiet.
  const useconds_t poll_us = argc == 3 ? static_cast<useconds_t>(std::atoi(argv[2])) * 1000 : 2000;
  {
    std::ofstream ready(dir + "/agent.ready.tmp");
    ready << getpid() << "\n";
  }
  rename((dir + "/agent.ready.tmp").c_str(), (dir + "/agent.ready").c_str());
  std::thread([dir] {
    for (unsigned long beat = 0;; ++beat) {
      {
        std::ofstream alive(dir + "/agent.alive.tmp");
        alive << beat << "\n";
      }
      rename((dir + "/agent.alive.tmp").c_str(), (dir + "/agent.alive").c_str());
      sleep(1);
    }
  }).detach();
  std::string id;
  for (;;) {
    if (next_request(dir, id))
      run(dir, id);
    else
      usleep(poll_us);
  }
}
