// bench-startup: how long a server takes from exec to health SERVING, its
// resident memory when idle, and how long it takes to stop on SIGTERM.
//
//   bench-startup --server=build/services/content/content-server
//       --db_path=var/bench/corpus-100000-s42 --runs=3
//
// Each run picks a free port on 127.0.0.1, starts the server there, polls
// grpc.health.v1.Health/Check every millisecond until SERVING (a fresh
// channel per attempt, so no client reconnect backoff is included), reads
// VmRSS/VmHWM from /proc/<pid>/status right away and after --idle_ms, then
// sends SIGTERM and waits for the exit. The server is always stopped
// (SIGKILL after --timeout_seconds if it does not exit).
#include <grpcpp/grpcpp.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "bench/stats.h"
#include "grpc/health/v1/health.grpc.pb.h"

ABSL_FLAG(std::string, server, "", "Server binary (content-server or bench-echo-server)");
ABSL_FLAG(std::string, db_path, "", "Passed as --db_path when not empty");
ABSL_FLAG(std::string, extra_args, "", "More server arguments, space-separated");
ABSL_FLAG(int, runs, 3, "Start/stop cycles");
ABSL_FLAG(int, idle_ms, 1000, "Idle time before the second RSS reading");
ABSL_FLAG(double, timeout_seconds, 30, "Give up (and SIGKILL) after this long");
ABSL_FLAG(std::string, label, "startup", "Prefix of the key=value results");
ABSL_FLAG(std::string, kv, "", "Append key=value results to this file");

extern char** environ;

namespace nb = newsdesk::bench;

namespace {

int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    close(fd);
    return 0;
  }
  const int port = ntohs(addr.sin_port);
  close(fd);
  return port;
}

// VmRSS and VmHWM in KiB.
std::pair<long, long> Rss(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  long rss = 0, hwm = 0;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) rss = std::stol(line.substr(6));
    if (line.rfind("VmHWM:", 0) == 0) hwm = std::stol(line.substr(6));
  }
  return {rss, hwm};
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const std::string server = absl::GetFlag(FLAGS_server);
  if (server.empty()) {
    std::fprintf(stderr, "--server is required\n");
    return 2;
  }
  nb::Samples startup, shutdown;
  long rss_start = 0, rss_idle = 0;
  int failures = 0;
  for (int run = 0; run < absl::GetFlag(FLAGS_runs); ++run) {
    const int port = FreePort();
    const std::string listen = absl::StrCat("127.0.0.1:", port);
    std::vector<std::string> args = {server, absl::StrCat("--listen=", listen)};
    if (!absl::GetFlag(FLAGS_db_path).empty()) args.push_back(absl::StrCat("--db_path=", absl::GetFlag(FLAGS_db_path)));
    for (auto& a : absl::StrSplit(absl::GetFlag(FLAGS_extra_args), ' ', absl::SkipEmpty())) args.emplace_back(a);
    std::vector<char*> argv_c;
    for (auto& a : args) argv_c.push_back(a.data());
    argv_c.push_back(nullptr);


    // Server logs go to a file next to nothing: discard them.
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    const auto t0 = nb::SteadyClock::now();
    pid_t pid = 0;
    if (posix_spawn(&pid, server.c_str(), &actions, nullptr, argv_c.data(), environ) != 0) {
      std::fprintf(stderr, "cannot start %s\n", server.c_str());
      return 1;
    }
    posix_spawn_file_actions_destroy(&actions);
    bool serving = false;
    const auto give_up = t0 + std::chrono::duration<double>(absl::GetFlag(FLAGS_timeout_seconds));
    for (int attempt = 0; nb::SteadyClock::now() < give_up; ++attempt) {
      // A fresh channel per attempt: a channel whose connection was refused
      // waits out gRPC's reconnect backoff (about 5 s here) before retrying.
      grpc::ChannelArguments ch;
      ch.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
      ch.SetInt("newsdesk.bench.attempt", attempt);
      auto stub = grpc::health::v1::Health::NewStub(
          grpc::CreateCustomChannel(listen, grpc::InsecureChannelCredentials(), ch));
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(50));
      context.set_wait_for_ready(false);
      grpc::health::v1::HealthCheckRequest req;
      grpc::health::v1::HealthCheckResponse resp;
      if (stub->Check(&context, req, &resp).ok() &&
          resp.status() == grpc::health::v1::HealthCheckResponse::SERVING) {
        serving = true;
        break;
      }
      int status = 0;
      if (waitpid(pid, &status, WNOHANG) == pid) {
        pid = 0;
        break;  // exited before serving
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    if (serving) {
      startup.Add(nb::MicrosSince(t0));
      rss_start = std::max(rss_start, Rss(pid).first);
      std::this_thread::sleep_for(std::chrono::milliseconds(absl::GetFlag(FLAGS_idle_ms)));
      rss_idle = std::max(rss_idle, Rss(pid).first);
    } else {
      ++failures;
    }
    if (pid != 0) {
      const auto s0 = nb::SteadyClock::now();
      kill(pid, SIGTERM);
      int status = 0;
      bool exited = false;
      while (nb::SteadyClock::now() < s0 + std::chrono::duration<double>(absl::GetFlag(FLAGS_timeout_seconds))) {
        if (waitpid(pid, &status, WNOHANG) == pid) {
          exited = true;
          break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      if (!exited) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        ++failures;
      } else {
        shutdown.Add(nb::MicrosSince(s0));
      }
    }
  }
  const std::string label = absl::GetFlag(FLAGS_label);
  std::printf("| %s | %zu | %s | %s | %.1f MiB | %.1f MiB | %s | %d |\n", label.c_str(), startup.count(),
              nb::FormatMicros(startup.Quantile(0.5)).c_str(), nb::FormatMicros(startup.Quantile(1.0)).c_str(),
              static_cast<double>(rss_start) / 1024, static_cast<double>(rss_idle) / 1024,
              nb::FormatMicros(shutdown.Quantile(0.5)).c_str(), failures);
  if (!absl::GetFlag(FLAGS_kv).empty()) {
    std::ofstream out(absl::GetFlag(FLAGS_kv), std::ios::app);
    out << label << "_startup_p50_us=" << startup.Quantile(0.5) << "\n"
        << label << "_startup_max_us=" << startup.Quantile(1.0) << "\n"
        << label << "_rss_start_kib=" << rss_start << "\n"
        << label << "_rss_idle_kib=" << rss_idle << "\n"
        << label << "_shutdown_p50_us=" << shutdown.Quantile(0.5) << "\n"
        << label << "_failures=" << failures << "\n";
  }
  return failures > 0 ? 1 : 0;
}
