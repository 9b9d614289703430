// Prometheus metrics: per-method call counts by status code, latency
// histograms, calls in flight, storage figures, and outbound calls.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/exposer.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "storage/kv/database.h"

namespace newsdesk {

// The metrics registry of one process, optionally served over HTTP at
// /metrics. Thread-safe.
class Metrics {
 public:
  Metrics();
  ~Metrics();

  // Serves /metrics on `address` (host:port). Errors: UNAVAILABLE when it
  // cannot bind.
  absl::Status Serve(const std::string& address);
  // The port /metrics is served on (0 when not serving).
  int port() const;

  // Records a finished server call.
  void ServerCallStarted(const std::string& method);
  void ServerCallFinished(const std::string& method, int code, double seconds);
  // Records a finished outbound (client) call, e.g. events → content.
  void ClientCallFinished(const std::string& method, int code, double seconds);

  // Exports a database's figures under `name` (e.g. "content").
  void AddDatabase(const std::string& name, const kv::Database* db);

  // The text exposition of every metric (what /metrics returns).
  std::string Render() const;

  prometheus::Registry& registry() { return *registry_; }

 private:
  class StorageCollector;
  std::shared_ptr<prometheus::Registry> registry_;
  std::shared_ptr<StorageCollector> storage_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  prometheus::Family<prometheus::Counter>* handled_;
  prometheus::Family<prometheus::Histogram>* latency_;
  prometheus::Family<prometheus::Gauge>* in_flight_;
  prometheus::Family<prometheus::Counter>* client_handled_;
  prometheus::Family<prometheus::Histogram>* client_latency_;
};

}  // namespace newsdesk
