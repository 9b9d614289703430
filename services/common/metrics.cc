#include "services/common/metrics.h"

#include <prometheus/collectable.h>
#include <prometheus/text_serializer.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "services/common/log.h"

namespace newsdesk {
namespace {

const char* CodeName(int code) {
  static const char* kNames[] = {"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED",
                                 "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED",
                                 "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL",
                                 "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"};
  return code >= 0 && code <= 16 ? kNames[code] : "UNKNOWN";
}

// "/pkg.Service/Method" → {"pkg.Service", "Method"}.
std::pair<std::string, std::string> SplitMethod(const std::string& full) {
  std::vector<std::string> parts = absl::StrSplit(full, '/', absl::SkipEmpty());
  if (parts.size() != 2) return {"unknown", full};
  return {parts[0], parts[1]};
}

const prometheus::Histogram::BucketBoundaries& LatencyBuckets() {
  static const auto* buckets = new prometheus::Histogram::BucketBoundaries{
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  return *buckets;
}

prometheus::ClientMetric Value(double v) {
  prometheus::ClientMetric m;
  m.gauge.value = v;
  return m;
}

}  // namespace

// Reads database figures at scrape time.
class Metrics::StorageCollector : public prometheus::Collectable {
 public:
  void Add(const std::string& name, const kv::Database* db) {
    absl::MutexLock lock(&mu_);
    dbs_.emplace_back(name, db);
  }
  std::vector<prometheus::MetricFamily> Collect() const override {
    absl::MutexLock lock(&mu_);
    std::vector<prometheus::MetricFamily> families;
    families.reserve(4);  // the references below must stay valid
    const auto family = [&](const char* name, const char* help) -> prometheus::MetricFamily& {
      families.push_back({name, help, prometheus::MetricType::Gauge, {}});
      return families.back();
    };
    auto& live = family("newsdesk_rocksdb_live_data_bytes", "Estimated live data size of the database");
    auto& pending = family("newsdesk_rocksdb_pending_compaction_bytes", "Estimated bytes compaction still has to rewrite");
    auto& blobs = family("newsdesk_rocksdb_blob_files", "Blob files of the database");
    auto& ratio = family("newsdesk_rocksdb_block_cache_hit_ratio", "Block cache hits / (hits + misses) since start");
    for (const auto& entry : dbs_) {
      const std::string& name = entry.first;
      const kv::Database::Stats s = entry.second->GetStats();
      const auto add = [&](prometheus::MetricFamily& f, double v) {
        auto m = Value(v);
        m.label.push_back({"database", name});
        f.metric.push_back(m);
      };
      add(live, static_cast<double>(s.live_data_bytes));
      add(pending, static_cast<double>(s.pending_compaction_bytes));
      add(blobs, static_cast<double>(s.blob_files));
      const double lookups = static_cast<double>(s.block_cache_hits + s.block_cache_misses);
      add(ratio, lookups > 0 ? static_cast<double>(s.block_cache_hits) / lookups : 0);
    }
    return families;
  }

 private:
  mutable absl::Mutex mu_;
  std::vector<std::pair<std::string, const kv::Database*>> dbs_;
};

Metrics::Metrics()
    : registry_(std::make_shared<prometheus::Registry>()), storage_(std::make_shared<StorageCollector>()) {
  handled_ = &prometheus::BuildCounter()
                  .Name("newsdesk_grpc_server_handled_total")
                  .Help("Completed gRPC calls by service, method and status code")
                  .Register(*registry_);
  latency_ = &prometheus::BuildHistogram()
                  .Name("newsdesk_grpc_server_handling_seconds")
                  .Help("Time from receiving a call to sending its status")
                  .Register(*registry_);
  in_flight_ = &prometheus::BuildGauge()
                    .Name("newsdesk_grpc_server_in_flight")
                    .Help("Calls being handled")
                    .Register(*registry_);
  client_handled_ = &prometheus::BuildCounter()
                         .Name("newsdesk_grpc_client_handled_total")
                         .Help("Completed outbound gRPC calls (e.g. events → content) by method and status code")
                         .Register(*registry_);
  client_latency_ = &prometheus::BuildHistogram()
                         .Name("newsdesk_grpc_client_handling_seconds")
                         .Help("Duration of outbound gRPC calls")
                         .Register(*registry_);
}

Metrics::~Metrics() = default;

absl::Status Metrics::Serve(const std::string& address) {
  try {
    exposer_ = std::make_unique<prometheus::Exposer>(address, 1);
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat("cannot serve metrics on ", address, ": ", e.what()));
  }
  exposer_->RegisterCollectable(registry_);
  exposer_->RegisterCollectable(storage_);
  return absl::OkStatus();
}

int Metrics::port() const {
  if (exposer_ == nullptr) return 0;
  auto ports = exposer_->GetListeningPorts();
  return ports.empty() ? 0 : ports.front();
}

void Metrics::ServerCallStarted(const std::string& method) {
  auto [service, name] = SplitMethod(method);
  in_flight_->Add({{"grpc_service", service}, {"grpc_method", name}}).Increment();
}

void Metrics::ServerCallFinished(const std::string& method, int code, double seconds) {
  auto [service, name] = SplitMethod(method);
  in_flight_->Add({{"grpc_service", service}, {"grpc_method", name}}).Decrement();
  handled_->Add({{"grpc_service", service}, {"grpc_method", name}, {"grpc_code", CodeName(code)}}).Increment();
  latency_->Add({{"grpc_service", service}, {"grpc_method", name}}, LatencyBuckets()).Observe(seconds);
}

void Metrics::ClientCallFinished(const std::string& method, int code, double seconds) {
  auto [service, name] = SplitMethod(method);
  client_handled_->Add({{"grpc_service", service}, {"grpc_method", name}, {"grpc_code", CodeName(code)}})
      .Increment();
  client_latency_->Add({{"grpc_service", service}, {"grpc_method", name}}, LatencyBuckets()).Observe(seconds);
}

void Metrics::AddDatabase(const std::string& name, const kv::Database* db) { storage_->Add(name, db); }

std::string Metrics::Render() const {
  auto families = registry_->Collect();
  auto storage = storage_->Collect();
  families.insert(families.end(), storage.begin(), storage.end());
  return prometheus::TextSerializer().Serialize(families);
}

}  // namespace newsdesk
