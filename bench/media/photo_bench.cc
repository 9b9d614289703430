// bench-photos: photo upload and download throughput over loopback.
//
// Starts the real content-server binary (fresh database in a temporary
// directory) and, as a second child process, a plain gRPC byte-streaming
// echo built from the same gRPC (this binary with --serve_echo: callback API,
// 1 MiB messages, no interceptors, no storage). Then, for 1 MiB and 10 MiB
// JPEGs (random pixels, so the decoder does real work; padded to the exact
// size), it measures
//   - UploadPhoto: from opening the stream to the response, 1 MiB chunks:
//     transfer, decoding check, renditions and the synced RocksDB write;
//   - DownloadPhoto: from the request to the last chunk;
//   - the echo's Sink (client streaming) and Source (server streaming) with
//     the same sizes and chunking;
// and the content-server's peak RSS during one more 10 MiB upload (VmHWM,
// reset through /proc/PID/clear_refs just before it; needs Linux and the
// right to write there). The content-server runs with a token file holding
// one editor token, which every content call carries (uploads and galleries
// need an editor; the echo calls carry none). Prints markdown; with --kv also appends key=value
// results (photo_small_*, photo_large_*, photo_rss_*) for bench/report.py.
//
//   bench-photos [--small_iterations=20] [--large_iterations=5] [--kv=FILE]
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/sha.h>

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "media_byte_echo.grpc.pb.h"
#include "newsdesk/content/v1/content_service.grpc.pb.h"
#include "storage/media/synthetic_image.h"

#ifndef NEWSDESK_CONTENT_SERVER
#define NEWSDESK_CONTENT_SERVER "content-server"
#endif

ABSL_FLAG(std::string, content_server, NEWSDESK_CONTENT_SERVER, "The content-server binary to measure");
ABSL_FLAG(int32_t, small_iterations, 20, "Uploads and downloads of the small photo");
ABSL_FLAG(int32_t, large_iterations, 5, "Uploads and downloads of the large photo");
ABSL_FLAG(int64_t, small_bytes, int64_t{1} << 20, "Size of the small photo");
ABSL_FLAG(int64_t, large_bytes, int64_t{10} << 20, "Size of the large photo");
ABSL_FLAG(std::string, kv, "", "Append key=value results to this file (bench/run.sh)");
ABSL_FLAG(bool, serve_echo, false, "Internal: serve the echo baseline, print its address, run until stdin closes");

namespace v1 = newsdesk::content::v1;
namespace echo = newsdesk::bench::media;

namespace {

constexpr size_t kChunk = size_t{1} << 20;

// The editor token of the content calls, and the token file line for it.
constexpr char kEditorToken[] = "bench-photos-editor-token";

std::string TokenFileLine() {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(kEditorToken), sizeof kEditorToken - 1, digest);
  std::string hex;
  for (unsigned char b : digest) absl::StrAppendFormat(&hex, "%02x", b);
  return absl::StrCat("sha256:", hex, " editor bench-photos\n");
}

// ---------------------------------------------------------------- echo server

class ByteEchoService final : public echo::ByteEcho::CallbackService {
 public:
  grpc::ServerReadReactor<echo::EchoChunk>* Sink(grpc::CallbackServerContext*,
                                                 echo::SinkResponse* response) override {
    class Reactor final : public grpc::ServerReadReactor<echo::EchoChunk> {
     public:
      explicit Reactor(echo::SinkResponse* response) : response_(response) { StartRead(&chunk_); }
      void OnReadDone(bool ok) override {
        if (!ok) {
          response_->set_bytes(bytes_);
          Finish(grpc::Status::OK);
          return;
        }
        bytes_ += static_cast<int64_t>(chunk_.data().size());
        StartRead(&chunk_);
      }
      void OnDone() override { delete this; }

     private:
      echo::SinkResponse* response_;
      echo::EchoChunk chunk_;
      int64_t bytes_ = 0;
    };
    return new Reactor(response);
  }

  grpc::ServerWriteReactor<echo::EchoChunk>* Source(grpc::CallbackServerContext*,
                                                    const echo::SourceRequest* request) override {
    class Reactor final : public grpc::ServerWriteReactor<echo::EchoChunk> {
     public:
      Reactor(const std::string* payload, int64_t bytes, size_t chunk)
          : payload_(payload), left_(bytes), chunk_bytes_(chunk) {
        Next();
      }
      void OnWriteDone(bool ok) override {
        if (!ok) return Finish(grpc::Status::CANCELLED);
        Next();
      }
      void OnDone() override { delete this; }

     private:
      void Next() {
        if (left_ <= 0) return Finish(grpc::Status::OK);
        const size_t n = std::min<size_t>(chunk_bytes_, static_cast<size_t>(left_));
        // A fresh copy per message, as a server reading from storage makes.
        chunk_.set_data(payload_->substr(0, n));
        left_ -= static_cast<int64_t>(n);
        StartWrite(&chunk_);
      }
      const std::string* payload_;
      int64_t left_;
      size_t chunk_bytes_;
      echo::EchoChunk chunk_;
    };
    const size_t chunk = request->chunk_bytes() > 0 ? static_cast<size_t>(request->chunk_bytes()) : kChunk;
    return new Reactor(&payload_, request->bytes(), std::min(chunk, kChunk));
  }

 private:
  const std::string payload_ = std::string(kChunk, 'x');
};

int ServeEcho() {
  ByteEchoService service;
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.SetMaxReceiveMessageSize(4 << 20);
  builder.RegisterService(&service);
  auto server = builder.BuildAndStart();
  if (server == nullptr || port == 0) return 1;
  std::printf("ECHO_ADDRESS=127.0.0.1:%d\n", port);
  std::fflush(stdout);
  char buf[64];
  while (read(0, buf, sizeof buf) > 0) {
  }
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  return 0;
}

// ---------------------------------------------------------------- children

struct Child {
  pid_t pid = -1;
  int stdin_fd = -1;  // the echo server runs until this closes
};

void Stop(Child& child) {
  if (child.pid <= 0) return;
  if (child.stdin_fd >= 0) close(child.stdin_fd);
  kill(child.pid, SIGTERM);
  int status = 0;
  waitpid(child.pid, &status, 0);
  child.pid = -1;
}

// content-server with its log in `log_path` and the editor token in
// `tokens_path`; returns its address.
std::optional<std::string> StartContentServer(const std::string& binary, const std::string& db,
                                              const std::string& tokens_path, const std::string& log_path,
                                              Child* child) {
  child->pid = fork();
  if (child->pid == 0) {
    const int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    execl(binary.c_str(), binary.c_str(), "--listen=127.0.0.1:0", ("--db_path=" + db).c_str(),
          ("--auth_tokens_file=" + tokens_path).c_str(), "--shutdown_grace=2s", static_cast<char*>(nullptr));
    _exit(127);
  }
  for (int i = 0; i < 600; ++i) {
    std::ifstream in(log_path);
    std::string line;
    while (std::getline(in, line)) {
      const std::string key = "\"message\":\"serving\"";
      const size_t at = line.find("\"address\":\"");
      if (line.find(key) != std::string::npos && at != std::string::npos) {
        const size_t start = at + 11;
        return line.substr(start, line.find('"', start) - start);
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return std::nullopt;
}

std::optional<std::string> StartEcho(Child* child) {
  int to_child[2], from_child[2];
  if (pipe(to_child) != 0 || pipe(from_child) != 0) return std::nullopt;
  child->pid = fork();
  if (child->pid == 0) {
    dup2(to_child[0], 0);
    dup2(from_child[1], 1);
    close(to_child[1]);
    close(from_child[0]);
    execl("/proc/self/exe", "bench-photos", "--serve_echo", static_cast<char*>(nullptr));
    _exit(127);
  }
  close(to_child[0]);
  close(from_child[1]);
  child->stdin_fd = to_child[1];
  std::string out;
  char c;
  while (read(from_child[0], &c, 1) == 1 && c != '\n') out.push_back(c);
  close(from_child[0]);
  const std::string prefix = "ECHO_ADDRESS=";
  if (out.rfind(prefix, 0) != 0) return std::nullopt;
  return out.substr(prefix.size());
}

// VmRSS and VmHWM of a process, in KiB.
std::pair<int64_t, int64_t> Rss(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  int64_t rss = -1, hwm = -1;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string name;
    int64_t kib = 0;
    fields >> name >> kib;
    if (name == "VmRSS:") rss = kib;
    if (name == "VmHWM:") hwm = kib;
  }
  return {rss, hwm};
}

bool ResetPeakRss(pid_t pid) {
  std::ofstream out(absl::StrCat("/proc/", pid, "/clear_refs"));
  out << "5";
  return static_cast<bool>(out);
}

// ---------------------------------------------------------------- workload

// A JPEG of random pixels, padded with comment segments to exactly `size`.
std::string MakeJpeg(int64_t size) {
  double pixels = static_cast<double>(size) * 0.9;  // ~1.05 bytes per pixel at Q95
  for (int attempt = 0; attempt < 20; ++attempt) {
    const int width = static_cast<int>(std::sqrt(pixels * 4 / 3));
    const int height = width * 3 / 4;
    auto jpeg = newsdesk::media::MakeSyntheticImage(
        {.format = newsdesk::media::ImageFormat::kJpeg, .width = width, .height = height, .noise = true, .quality = 95});
    if (!jpeg.ok()) {
      std::fprintf(stderr, "cannot make a test image: %s\n", jpeg.status().ToString().c_str());
      std::exit(1);
    }
    if (static_cast<int64_t>(jpeg->size()) + 8 <= size) {
      std::string padding;
      size_t missing = static_cast<size_t>(size) - jpeg->size();
      while (missing > 0) {
        size_t segment = std::min<size_t>(missing, 65537);
        if (missing - segment > 0 && missing - segment < 4) segment -= 4;
        padding += "\xff\xfe";
        padding.push_back(static_cast<char>(((segment - 2) >> 8) & 0xff));
        padding.push_back(static_cast<char>((segment - 2) & 0xff));
        padding.append(segment - 4, 'p');
        missing -= segment;
      }
      return jpeg->substr(0, 2) + padding + jpeg->substr(2);
    }
    pixels *= 0.9;
  }
  std::fprintf(stderr, "cannot make a %lld-byte JPEG\n", static_cast<long long>(size));
  std::exit(1);
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

// A call context with a deadline; content calls carry the editor token.
std::unique_ptr<grpc::ClientContext> Context(bool content_call) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(120));
  if (content_call) ctx->AddMetadata("authorization", absl::StrCat("Bearer ", kEditorToken));
  return ctx;
}

void Check(const grpc::Status& st, const char* what) {
  if (!st.ok()) {
    std::fprintf(stderr, "%s failed: %d %s\n", what, st.error_code(), st.error_message().c_str());
    std::exit(1);
  }
}

double Upload(v1::ContentService::Stub& stub, const std::string& id, const std::string& bytes) {
  const auto start = std::chrono::steady_clock::now();
  v1::Photo photo;
  auto ctx = Context(true);
  auto writer = stub.UploadPhoto(ctx.get(), &photo);
  v1::UploadPhotoRequest m;
  m.mutable_metadata()->set_parent("galleries/bench");
  m.mutable_metadata()->set_photo_id(id);
  m.mutable_metadata()->mutable_photo()->set_alt_text("benchmark");
  bool open = writer->Write(m);
  for (size_t at = 0; open && at < bytes.size(); at += kChunk) {
    v1::UploadPhotoRequest c;
    c.set_chunk_data(bytes.substr(at, kChunk));
    open = writer->Write(c);
  }
  if (open) writer->WritesDone();
  Check(writer->Finish(), "UploadPhoto");
  return Seconds(start);
}

double Download(v1::ContentService::Stub& stub, const std::string& id, size_t expect) {
  const auto start = std::chrono::steady_clock::now();
  v1::DownloadPhotoRequest req;
  req.set_name("galleries/bench/photos/" + id);
  auto ctx = Context(true);
  auto reader = stub.DownloadPhoto(ctx.get(), req);
  v1::DownloadPhotoResponse msg;
  size_t got = 0;
  while (reader->Read(&msg)) got += msg.chunk_data().size();
  Check(reader->Finish(), "DownloadPhoto");
  if (got != expect) {
    std::fprintf(stderr, "DownloadPhoto returned %zu bytes, expected %zu\n", got, expect);
    std::exit(1);
  }
  return Seconds(start);
}

double EchoSink(echo::ByteEcho::Stub& stub, const std::string& bytes) {
  const auto start = std::chrono::steady_clock::now();
  echo::SinkResponse response;
  auto ctx = Context(false);
  auto writer = stub.Sink(ctx.get(), &response);
  bool open = true;
  for (size_t at = 0; open && at < bytes.size(); at += kChunk) {
    echo::EchoChunk c;
    c.set_data(bytes.substr(at, kChunk));
    open = writer->Write(c);
  }
  if (open) writer->WritesDone();
  Check(writer->Finish(), "Sink");
  return Seconds(start);
}

double EchoSource(echo::ByteEcho::Stub& stub, size_t size) {
  const auto start = std::chrono::steady_clock::now();
  echo::SourceRequest req;
  req.set_bytes(static_cast<int64_t>(size));
  req.set_chunk_bytes(static_cast<int32_t>(kChunk));
  auto ctx = Context(false);
  auto reader = stub.Source(ctx.get(), req);
  echo::EchoChunk msg;
  size_t got = 0;
  while (reader->Read(&msg)) got += msg.data().size();
  Check(reader->Finish(), "Source");
  if (got != size) std::exit(1);
  return Seconds(start);
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

struct RssSample {
  int64_t before_kib = 0, after_kib = 0, peak_kib = 0;
  bool reset = false;
};

void CreateBenchGallery(v1::ContentService::Stub& stub) {
  v1::CreateGalleryRequest create;
  create.set_gallery_id("bench");
  create.mutable_gallery()->set_title("benchmark");
  v1::Gallery gallery;
  Check(stub.CreateGallery(Context(true).get(), create, &gallery), "CreateGallery");
}

// The timings content-server logs for each stored photo.
struct StoredLog {
  std::string photo;
  int64_t bytes = 0;
  double receive = 0, process = 0, store = 0;
};

std::string JsonField(const std::string& line, const std::string& name) {
  const std::string key = "\"" + name + "\":\"";
  const size_t at = line.find(key);
  if (at == std::string::npos) return "";
  const size_t start = at + key.size();
  return line.substr(start, line.find('"', start) - start);
}

std::vector<StoredLog> ReadStoredLogs(const std::string& path) {
  std::vector<StoredLog> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.find("\"message\":\"photo stored\"") == std::string::npos) continue;
    StoredLog l;
    l.photo = JsonField(line, "photo");
    (void)absl::SimpleAtoi(JsonField(line, "received_bytes"), &l.bytes);
    (void)absl::SimpleAtod(JsonField(line, "receive_seconds"), &l.receive);
    (void)absl::SimpleAtod(JsonField(line, "process_seconds"), &l.process);
    (void)absl::SimpleAtod(JsonField(line, "store_seconds"), &l.store);
    out.push_back(l);
  }
  return out;
}

double MBps(size_t bytes, double seconds) { return seconds > 0 ? static_cast<double>(bytes) / seconds / 1e6 : 0; }

// "1 MiB", "10 MiB", "256 KiB", "1000 bytes".
std::string SizeLabel(int64_t bytes) {
  if (bytes >= (int64_t{1} << 20) && bytes % (int64_t{1} << 20) == 0) return absl::StrCat(bytes >> 20, " MiB");
  if (bytes >= 1024 && bytes % 1024 == 0) return absl::StrCat(bytes >> 10, " KiB");
  return absl::StrCat(bytes, " bytes");
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  if (absl::GetFlag(FLAGS_serve_echo)) return ServeEcho();

  const auto dir = std::filesystem::temp_directory_path() / absl::StrCat("newsdesk-bench-photos-", getpid());
  std::filesystem::create_directories(dir);
  const std::string binary = absl::GetFlag(FLAGS_content_server);
  const std::string tokens = (dir / "tokens").string();
  {
    std::ofstream out(tokens);
    out << TokenFileLine();
  }

  // Peak RSS first, on a server of its own: after start-up and one small
  // upload (libvips, gRPC and RocksDB initialised), around one large upload.
  const std::string large = MakeJpeg(absl::GetFlag(FLAGS_large_bytes));
  RssSample rss;
  {
    Child fresh;
    const auto fresh_address =
        StartContentServer(binary, (dir / "rss-db").string(), tokens, (dir / "rss-server.log").string(), &fresh);
    if (!fresh_address.has_value()) {
      std::fprintf(stderr, "could not start content-server (log: %s)\n", (dir / "rss-server.log").c_str());
      Stop(fresh);
      return 1;
    }
    auto fresh_stub =
        v1::ContentService::NewStub(grpc::CreateChannel(*fresh_address, grpc::InsecureChannelCredentials()));
    CreateBenchGallery(*fresh_stub);
    auto small = newsdesk::media::MakeSyntheticImage({.format = newsdesk::media::ImageFormat::kJpeg});
    Upload(*fresh_stub, "warm", *small);
    rss.before_kib = Rss(fresh.pid).first;
    rss.reset = ResetPeakRss(fresh.pid);
    Upload(*fresh_stub, "large", large);
    std::tie(rss.after_kib, rss.peak_kib) = Rss(fresh.pid);
    Stop(fresh);
  }

  Child content, echo_child;
  const auto address =
      StartContentServer(binary, (dir / "db").string(), tokens, (dir / "server.log").string(), &content);
  const auto echo_address = StartEcho(&echo_child);
  if (!address.has_value() || !echo_address.has_value()) {
    std::fprintf(stderr, "could not start the servers (log: %s)\n", (dir / "server.log").c_str());
    Stop(content);
    Stop(echo_child);
    return 1;
  }
  auto stub = v1::ContentService::NewStub(grpc::CreateChannel(*address, grpc::InsecureChannelCredentials()));
  auto echo_stub = echo::ByteEcho::NewStub(grpc::CreateChannel(*echo_address, grpc::InsecureChannelCredentials()));

  CreateBenchGallery(*stub);

  struct Row {
    std::string key;  // "small" or "large" (--kv)
    std::string label;
    size_t bytes;
    int iterations;
    double upload, download, sink, source;  // median seconds
  };
  std::vector<Row> rows;
  int next_id = 0;
  for (auto [key, size, iterations] :
       {std::tuple<const char*, int64_t, int>{"small", absl::GetFlag(FLAGS_small_bytes),
                                              absl::GetFlag(FLAGS_small_iterations)},
        {"large", absl::GetFlag(FLAGS_large_bytes), absl::GetFlag(FLAGS_large_iterations)}}) {
    const std::string jpeg = MakeJpeg(size);
    std::vector<double> up, down, sink, source;
    std::vector<std::string> ids;
    // One unmeasured round of each warms connections and caches.
    const std::string warm = absl::StrCat("warm-", next_id++);
    Upload(*stub, warm, jpeg);
    Download(*stub, warm, jpeg.size());
    EchoSink(*echo_stub, jpeg);
    EchoSource(*echo_stub, jpeg.size());
    for (int i = 0; i < iterations; ++i) {
      ids.push_back(absl::StrCat("p", next_id++));
      up.push_back(Upload(*stub, ids.back(), jpeg));
      sink.push_back(EchoSink(*echo_stub, jpeg));
    }
    for (int i = 0; i < iterations; ++i) {
      down.push_back(Download(*stub, ids[static_cast<size_t>(i)], jpeg.size()));
      source.push_back(EchoSource(*echo_stub, jpeg.size()));
    }
    rows.push_back({key, SizeLabel(size), jpeg.size(), iterations, Median(up), Median(down), Median(sink),
                    Median(source)});
  }

  Stop(content);
  Stop(echo_child);
  const std::vector<StoredLog> logs = ReadStoredLogs((dir / "server.log").string());

  std::printf("## Photo upload and download (bench-photos)\n\n");
  std::printf("content-server and a plain gRPC byte-streaming echo (same gRPC, callback API, 1 MiB messages), each\n"
              "in its own process on 127.0.0.1; JPEGs of random pixels, 1 MiB chunks; medians. MB/s = 10^6 bytes/s.\n"
              "Upload includes decoding the whole image, two renditions and the synced RocksDB write.\n\n");
  std::printf("| photo | runs | UploadPhoto MB/s | echo upload MB/s | ratio | DownloadPhoto MB/s | echo download MB/s | ratio |\n");
  std::printf("|---|---:|---:|---:|---:|---:|---:|---:|\n");
  for (const Row& r : rows) {
    const double u = MBps(r.bytes, r.upload), su = MBps(r.bytes, r.sink);
    const double d = MBps(r.bytes, r.download), sd = MBps(r.bytes, r.source);
    std::printf("| %s | %d | %.1f (%.0f ms) | %.1f | %.3f | %.1f (%.1f ms) | %.1f | %.2f |\n", r.label.c_str(),
                r.iterations, u, r.upload * 1e3, su, su > 0 ? u / su : 0, d, r.download * 1e3, sd, sd > 0 ? d / sd : 0);
  }
  std::printf("\nWhere an upload's time goes (server log, medians): from the first message to the end of the stream\n"
              "(transfer), decoding check and renditions (process), the synced batch write (store).\n\n");
  std::printf("| photo | transfer ms | process ms | store ms |\n|---|---:|---:|---:|\n");
  for (const Row& r : rows) {
    std::vector<double> receive, process, store;
    for (const StoredLog& l : logs) {
      if (l.bytes != static_cast<int64_t>(r.bytes) || l.photo.find("/photos/p") == std::string::npos) continue;
      receive.push_back(l.receive);
      process.push_back(l.process);
      store.push_back(l.store);
    }
    std::printf("| %s | %.1f | %.1f | %.1f |\n", r.label.c_str(), Median(receive) * 1e3, Median(process) * 1e3,
                Median(store) * 1e3);
  }
  std::printf("\nPeak RSS of a fresh content-server during a %zu-byte upload: %.1f MiB; before it %.1f MiB, after "
              "it %.1f MiB: the upload added at most %.1f MiB (%.1f times the photo)%s.\n",
              large.size(), rss.peak_kib / 1024.0, rss.before_kib / 1024.0, rss.after_kib / 1024.0,
              (rss.peak_kib - rss.before_kib) / 1024.0,
              (rss.peak_kib - rss.before_kib) * 1024.0 / static_cast<double>(large.size()),
              rss.reset ? "" : " [VmHWM could not be reset: peak since start]");
  if (!absl::GetFlag(FLAGS_kv).empty()) {
    std::ofstream out(absl::GetFlag(FLAGS_kv), std::ios::app);
    for (const Row& r : rows) {
      const std::string p = "photo_" + r.key + "_";
      const double u = MBps(r.bytes, r.upload), su = MBps(r.bytes, r.sink);
      const double d = MBps(r.bytes, r.download), sd = MBps(r.bytes, r.source);
      out << p << "bytes=" << r.bytes << "\n"
          << p << "runs=" << r.iterations << "\n"
          << p << "upload_mbps=" << u << "\n"
          << p << "echo_upload_mbps=" << su << "\n"
          << p << "upload_ratio=" << (su > 0 ? u / su : 0) << "\n"
          << p << "download_mbps=" << d << "\n"
          << p << "echo_download_mbps=" << sd << "\n"
          << p << "download_ratio=" << (sd > 0 ? d / sd : 0) << "\n"
          << p << "download_ms=" << r.download * 1e3 << "\n";
    }
    out << "photo_rss_before_kib=" << rss.before_kib << "\n"
        << "photo_rss_peak_kib=" << rss.peak_kib << "\n";
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return 0;
}
