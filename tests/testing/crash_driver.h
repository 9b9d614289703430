// What the kill -9 tests of the real binaries share: the binary and the
// cycle count from the environment, call contexts, how a failed call's
// outcome is classified, paging, a port that can be bound again after a
// restart, and one "load, then kill -9 at a random moment" cycle.
#pragma once

#include <grpcpp/client_context.h>
#include <grpcpp/support/status.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "tests/testing/content_fixture.h"
#include "tests/testing/process.h"

namespace newsdesk::testing {

// The path in environment variable `name`; "" when unset (the test skips).
inline std::string BinaryFromEnv(const char* name) {
  const char* b = std::getenv(name);
  return b != nullptr ? b : "";
}

// What a test of both real services needs: their binaries (from
// EVENTS_SERVER and CONTENT_SERVER) and, in `dir`, the token file both
// servers read and the file with the token events-server presents to
// content-server.
struct TwoServices {
  std::string events_binary = BinaryFromEnv("EVENTS_SERVER");
  std::string content_binary = BinaryFromEnv("CONTENT_SERVER");
  std::string tokens;
  std::string content_token;

  bool available() const { return !events_binary.empty() && !content_binary.empty(); }

  explicit TwoServices(const TempDir& dir)
      : tokens(TestTokens::Write(dir.Sub("tokens"))), content_token(dir.Sub("content-token")) {
    std::ofstream(content_token) << TestTokens::kService << "\n";
  }
};

// NEWSDESK_CRASH_CYCLES, or `default_cycles` when unset.
inline int CrashCycles(int default_cycles = 20) {
  const char* c = std::getenv("NEWSDESK_CRASH_CYCLES");
  return c != nullptr ? std::max(1, std::atoi(c)) : default_cycles;
}

// A call context with a deadline and the editor's bearer token.
inline std::unique_ptr<grpc::ClientContext> EditorContext(
    std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + timeout);
  ctx->AddMetadata("authorization", std::string("Bearer ") + TestTokens::kEditor);
  return ctx;
}

// True when a failed call may or may not have been applied: the server died
// under it or the call was cut off. Any other failure is the server's answer,
// and a server that answers with an error has applied nothing.
inline bool OutcomeUnknown(const grpc::Status& st) {
  return st.error_code() == grpc::StatusCode::UNAVAILABLE || st.error_code() == grpc::StatusCode::CANCELLED ||
         st.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED || st.error_code() == grpc::StatusCode::UNKNOWN;
}

// Every item of a paged listing. `fetch(page_token, &items, &next_page_token)`
// fetches one page; paging stops at the first failure (a test failure).
template <typename T>
std::vector<T> AllPages(
    const std::function<grpc::Status(const std::string&, std::vector<T>*, std::string*)>& fetch) {
  std::vector<T> all;
  std::string token;
  for (int pages = 0; pages < 10000; ++pages) {
    std::string next;
    grpc::Status st = fetch(token, &all, &next);
    EXPECT_TRUE(st.ok()) << st.error_code() << " " << st.error_message();
    if (!st.ok() || next.empty()) break;
    token = next;
  }
  return all;
}

// A port on 127.0.0.1 that was free a moment ago, for a server that must
// come back on the same port after a restart (its clients keep the address).
inline int PickFreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

// A random moment to kill at: 0.2–2 s.
inline std::chrono::milliseconds RandomKillDelay(std::mt19937& rng) {
  return std::chrono::milliseconds(200 + rng() % 1800);
}

// One crash cycle: runs `clients` threads of `client(index, seed, stop)`
// (each returns when `stop` is set or its server went away), sends SIGKILL
// to `server` after RandomKillDelay, then sets `stop` and joins the threads.
// The seeds come from `rng` before any thread starts.
inline void LoadThenKill(ServerProcess& server, int clients, std::mt19937& rng,
                         const std::function<void(int, uint32_t, const std::atomic<bool>&)>& client) {
  std::atomic<bool> stop{false};
  std::vector<uint32_t> seeds;
  for (int c = 0; c < clients; ++c) seeds.push_back(static_cast<uint32_t>(rng()));
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) threads.emplace_back([&, c] { client(c, seeds[c], stop); });
  std::this_thread::sleep_for(RandomKillDelay(rng));
  server.Kill();  // SIGKILL, mid-flight
  stop = true;
  for (auto& t : threads) t.join();
}

}  // namespace newsdesk::testing
