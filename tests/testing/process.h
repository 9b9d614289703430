// Starts a server binary as a child process (on 127.0.0.1:0), finds the
// address it logged, and stops or kills it. For tests of the real binaries.
#pragma once

#include <signal.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace newsdesk::testing {

class ServerProcess {
 public:
  // `args` are passed after the binary; stderr goes to `log_path`.
  ServerProcess(std::string binary, std::vector<std::string> args, std::string log_path)
      : binary_(std::move(binary)), args_(std::move(args)), log_path_(std::move(log_path)) {}
  ~ServerProcess() { Kill(); }

  // Starts the process and waits (up to 30 s) for its "serving" log line.
  // The server gets SIGKILL if the thread that started it ends first (a test
  // killed by ctest's timeout, or crashed, leaves no server behind), so start
  // it from the test's main thread.
  bool Start() {
    const size_t offset = LogSize();
    const pid_t parent = getpid();
    pid_ = fork();
    if (pid_ == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(127);  // the parent is already gone
      FILE* log = fopen(log_path_.c_str(), "a");
      if (log != nullptr) {
        dup2(fileno(log), STDERR_FILENO);
        dup2(fileno(log), STDOUT_FILENO);
      }
      std::vector<char*> argv;
      argv.push_back(const_cast<char*>(binary_.c_str()));
      for (auto& a : args_) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      execv(binary_.c_str(), argv.data());
      _exit(127);
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    static const std::regex serving("\"message\":\"serving\".*\"address\":\"([^\"]+)\"");
    while (std::chrono::steady_clock::now() < deadline) {
      std::string text = Log().substr(std::min(offset, Log().size()));
      std::smatch m;
      if (std::regex_search(text, m, serving)) {
        address_ = m[1];
        return true;
      }
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  const std::string& address() const { return address_; }
  pid_t pid() const { return pid_; }

  // Sends `sig` and waits for the exit; returns the exit code (or 128 + the
  // signal that ended it) and the time it took, or nullopt after `timeout`.
  std::optional<std::pair<int, double>> Stop(int sig, std::chrono::seconds timeout = std::chrono::seconds(30)) {
    if (pid_ <= 0) return std::nullopt;
    const auto begin = std::chrono::steady_clock::now();
    kill(pid_, sig);
    while (std::chrono::steady_clock::now() - begin < timeout) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
        const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        return std::make_pair(code, seconds);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return std::nullopt;
  }

  void Kill() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
  }

  std::string Log() const {
    std::ifstream in(log_path_);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

 private:
  size_t LogSize() const { return Log().size(); }

  std::string binary_;
  std::vector<std::string> args_;
  std::string log_path_;
  pid_t pid_ = -1;
  std::string address_;
};

}  // namespace newsdesk::testing
