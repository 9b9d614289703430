#include "storage/kv/database.h"

#include <openssl/rand.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "rocksdb/cache.h"
#include "rocksdb/compaction_filter.h"
#include "rocksdb/db.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/merge_operator.h"
#include "rocksdb/options.h"
#include "rocksdb/statistics.h"
#include "rocksdb/table.h"
#include "rocksdb/utilities/backup_engine.h"
#include "rocksdb/utilities/options_util.h"
#include "storage/kv/entry_set.h"
#include "storage/kv/key_codec.h"

namespace newsdesk::kv {
namespace {

constexpr char kSchemaVersionKey[] = "meta/schema_version";
constexpr char kSecretPrefix[] = "meta/secret/";

// The one place a RocksDB status becomes an absl::Status. The engine's own
// message (paths, file names) goes to the log, not into the status.
absl::Status FromRocks(const rocksdb::Status& s, absl::string_view what) {
  if (s.ok()) return absl::OkStatus();
  std::fprintf(stderr, "{\"severity\":\"ERROR\",\"component\":\"storage\",\"op\":\"%.*s\",\"rocksdb\":\"%s\"}\n",
               static_cast<int>(what.size()), what.data(), s.ToString().c_str());
  const std::string op(what);
  if (s.IsNotFound()) return absl::NotFoundError(absl::StrCat(op, ": not found"));
  if (s.IsCorruption()) return absl::DataLossError(absl::StrCat(op, ": stored data is corrupt"));
  if (s.IsNoSpace() || s.subcode() == rocksdb::Status::kSpaceLimit) {
    return absl::ResourceExhaustedError(absl::StrCat(op, ": the data volume is full"));
  }
  if (s.IsIOError()) return absl::UnavailableError(absl::StrCat(op, ": storage I/O error"));
  if (s.IsBusy() || s.IsTimedOut() || s.IsTryAgain()) {
    return absl::UnavailableError(absl::StrCat(op, ": storage busy, retry"));
  }
  if (s.IsShutdownInProgress()) return absl::UnavailableError(absl::StrCat(op, ": storage is shutting down"));
  if (s.IsInvalidArgument() && s.ToString().find("lock") != std::string::npos) {
    return absl::FailedPreconditionError(absl::StrCat(op, ": database is in use by another process"));
  }
  return absl::InternalError(absl::StrCat(op, ": storage error"));
}

// Drops values whose expiry (see EncodeExpiring) has passed.
class ExpiryFilter : public rocksdb::CompactionFilter {
 public:
  bool Filter(int /*level*/, const rocksdb::Slice& /*key*/, const rocksdb::Slice& value,
              std::string* /*new_value*/, bool* /*value_changed*/) const override {
    return !DecodeExpiring(absl::string_view(value.data(), value.size()), absl::Now()).has_value();
  }
  const char* Name() const override { return "newsdesk.ExpiryFilter"; }
};

// Adds 8-byte counters (encoded with AppendI64) together.
class Int64AddOperator : public rocksdb::AssociativeMergeOperator {
 public:
  bool Merge(const rocksdb::Slice& /*key*/, const rocksdb::Slice* existing, const rocksdb::Slice& value,
             std::string* new_value, rocksdb::Logger* /*logger*/) const override {
    int64_t sum = Decode(value);
    if (existing != nullptr) sum += Decode(*existing);
    new_value->clear();
    AppendI64(new_value, sum);
    return true;
  }
  const char* Name() const override { return "newsdesk.Int64Add"; }

  static int64_t Decode(const rocksdb::Slice& s) {
    KeyReader r(absl::string_view(s.data(), s.size()));
    int64_t v = 0;
    return r.ReadI64(&v) ? v : 0;
  }
};

// Combines entry sets (entry_set.h): the stored set and the operands written
// since, or several operands into one.
class EntrySetOperator : public rocksdb::MergeOperator {
 public:
  bool FullMergeV2(const MergeOperationInput& in, MergeOperationOutput* out) const override {
    std::vector<absl::string_view> sets;
    sets.reserve(in.operand_list.size() + 1);
    if (in.existing_value != nullptr) sets.emplace_back(in.existing_value->data(), in.existing_value->size());
    for (const rocksdb::Slice& op : in.operand_list) sets.emplace_back(op.data(), op.size());
    return MergeSets(sets, /*keep_removals=*/false, &out->new_value);
  }
  bool PartialMergeMulti(const rocksdb::Slice& /*key*/, const std::deque<rocksdb::Slice>& operands,
                         std::string* new_value, rocksdb::Logger* /*logger*/) const override {
    std::vector<absl::string_view> sets;
    sets.reserve(operands.size());
    for (const rocksdb::Slice& op : operands) sets.emplace_back(op.data(), op.size());
    return MergeSets(sets, /*keep_removals=*/true, new_value);
  }
  const char* Name() const override { return "newsdesk.EntrySet"; }
};

// Drops entry sets whose last member was removed (compaction turns the key
// into a deletion).
class EmptySetFilter : public rocksdb::CompactionFilter {
 public:
  bool Filter(int /*level*/, const rocksdb::Slice& /*key*/, const rocksdb::Slice& value,
              std::string* /*new_value*/, bool* /*value_changed*/) const override {
    return value.empty();
  }
  const char* Name() const override { return "newsdesk.EmptySetFilter"; }
};

// RocksDB's own log goes to stderr as JSON lines (warnings and errors only),
// not to a LOG file in the data directory: the service's logs stay in one
// place, and a full data volume cannot break the logger (RocksDB's file
// logger asserts when a write to its LOG file fails twice).
class StderrLogger : public rocksdb::Logger {
 public:
  StderrLogger() : rocksdb::Logger(rocksdb::InfoLogLevel::WARN_LEVEL) {}
  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override {
    char message[1024];
    vsnprintf(message, sizeof(message), format, ap);
    std::string escaped;
    for (const char* p = message; *p != '\0'; ++p) {
      if (*p == '"' || *p == '\\') escaped.push_back('\\');
      if (static_cast<unsigned char>(*p) >= 0x20) escaped.push_back(*p);
    }
    std::fprintf(stderr, "{\"severity\":\"WARNING\",\"component\":\"rocksdb\",\"message\":\"%s\"}\n",
                 escaped.c_str());
  }
};

ExpiryFilter* SharedExpiryFilter() {
  static ExpiryFilter filter;
  return &filter;
}

EmptySetFilter* SharedEmptySetFilter() {
  static EmptySetFilter filter;
  return &filter;
}

}  // namespace

struct Snapshot::Impl {
  rocksdb::DB* db;
  const rocksdb::Snapshot* snapshot;
  ~Impl() { db->ReleaseSnapshot(snapshot); }
};
Snapshot::Snapshot(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Snapshot::~Snapshot() = default;

struct WriteBatch::Impl {
  explicit Impl(size_t reserved_bytes = 0) : batch(reserved_bytes) {}
  const std::vector<rocksdb::ColumnFamilyHandle*>* handles = nullptr;
  rocksdb::WriteBatch batch;
  rocksdb::Status status;  // the first error building the batch

  rocksdb::ColumnFamilyHandle* cf(CfId id) const { return handles->at(static_cast<size_t>(id) + 1); }
};
void WriteBatch::Put(CfId cf, absl::string_view key, absl::string_view value) {
  auto s = impl_->batch.Put(impl_->cf(cf), rocksdb::Slice(key.data(), key.size()),
                            rocksdb::Slice(value.data(), value.size()));
  if (impl_->status.ok()) impl_->status = s;
}
void WriteBatch::Delete(CfId cf, absl::string_view key) {
  auto s = impl_->batch.Delete(impl_->cf(cf), rocksdb::Slice(key.data(), key.size()));
  if (impl_->status.ok()) impl_->status = s;
}
void WriteBatch::DeleteRange(CfId cf, absl::string_view begin, absl::string_view end) {
  auto s = impl_->batch.DeleteRange(impl_->cf(cf), rocksdb::Slice(begin.data(), begin.size()),
                                    rocksdb::Slice(end.data(), end.size()));
  if (impl_->status.ok()) impl_->status = s;
}
void WriteBatch::AddInt64(CfId cf, absl::string_view key, int64_t delta) {
  std::string v;
  AppendI64(&v, delta);
  auto s = impl_->batch.Merge(impl_->cf(cf), rocksdb::Slice(key.data(), key.size()), v);
  if (impl_->status.ok()) impl_->status = s;
}
void WriteBatch::PutSetEntry(CfId cf, absl::string_view key, absl::string_view member, absl::string_view payload) {
  std::string op;
  AppendSetEntry(&op, member, &payload);
  auto s = impl_->batch.Merge(impl_->cf(cf), rocksdb::Slice(key.data(), key.size()), op);
  if (impl_->status.ok()) impl_->status = s;
}
void WriteBatch::RemoveSetEntry(CfId cf, absl::string_view key, absl::string_view member) {
  std::string op;
  AppendSetEntry(&op, member, nullptr);
  auto s = impl_->batch.Merge(impl_->cf(cf), rocksdb::Slice(key.data(), key.size()), op);
  if (impl_->status.ok()) impl_->status = s;
}
int WriteBatch::Count() const { return static_cast<int>(impl_->batch.Count()); }

struct Iterator::Impl {
  std::string lower, upper;
  rocksdb::Slice lower_slice, upper_slice;
  rocksdb::ReadOptions read_options;
  std::unique_ptr<rocksdb::Iterator> it;
  bool skip_empty = false;  // an entry_sets column family: empty sets are absent

  void SkipForward() {
    while (skip_empty && it->Valid() && it->value().empty()) it->Next();
  }
  void SkipBackward() {
    while (skip_empty && it->Valid() && it->value().empty()) it->Prev();
  }
};
Iterator::Iterator(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Iterator::~Iterator() = default;
void Iterator::Seek(absl::string_view key) {
  if (key < impl_->lower) key = impl_->lower;
  impl_->it->Seek(rocksdb::Slice(key.data(), key.size()));
  impl_->SkipForward();
}
void Iterator::SeekForPrev(absl::string_view key) {
  if (!impl_->upper.empty() && key >= impl_->upper) {
    impl_->it->SeekToLast();
  } else {
    impl_->it->SeekForPrev(rocksdb::Slice(key.data(), key.size()));
  }
  impl_->SkipBackward();
}
void Iterator::SeekToLast() {
  impl_->it->SeekToLast();
  impl_->SkipBackward();
}
bool Iterator::Valid() const { return impl_->it->Valid(); }
void Iterator::Next() {
  impl_->it->Next();
  impl_->SkipForward();
}
void Iterator::Prev() {
  impl_->it->Prev();
  impl_->SkipBackward();
}
absl::string_view Iterator::key() const {
  auto k = impl_->it->key();
  return {k.data(), k.size()};
}
absl::string_view Iterator::value() const {
  auto v = impl_->it->value();
  return {v.data(), v.size()};
}
absl::Status Iterator::status() const { return FromRocks(impl_->it->status(), "scan"); }

struct Database::Impl {
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;  // [0] = default, then options order
  std::mutex secret_mu;
  std::mutex backup_mu;  // one backup at a time
  // Set after a failed write (e.g. a full disk): RocksDB then refuses writes
  // until Resume() succeeds, which the next write tries (at most once a second).
  std::mutex resume_mu;
  bool needs_resume = false;
  absl::Time last_resume_attempt = absl::InfinitePast();
  bool closed = false;
  uint32_t schema_version = 0;         // options.schema_version
  uint32_t stored_schema_version = 0;  // on disk
  std::vector<bool> entry_sets;        // per CfId: ColumnFamilySpec::entry_sets
  std::vector<bool> scans_bypass_cache;  // per CfId: ColumnFamilySpec::scans_bypass_cache

  bool IsEntrySets(CfId id) const { return id >= 0 && static_cast<size_t>(id) < entry_sets.size() && entry_sets[id]; }
  bool ScansBypassCache(CfId id) const {
    return id >= 0 && static_cast<size_t>(id) < scans_bypass_cache.size() && scans_bypass_cache[id];
  }

  rocksdb::ColumnFamilyHandle* cf(CfId id) const { return handles.at(static_cast<size_t>(id) + 1); }
};

Database::Database(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

WriteBatch::WriteBatch(const Database& db) : impl_(std::make_unique<Impl>()) {
  impl_->handles = &db.impl_->handles;
}
WriteBatch::WriteBatch(const Database& db, size_t reserved_bytes) : impl_(std::make_unique<Impl>(reserved_bytes)) {
  impl_->handles = &db.impl_->handles;
}
WriteBatch::~WriteBatch() = default;
Database::~Database() { (void)Close(); }

absl::StatusOr<std::unique_ptr<Database>> Database::Open(const DatabaseOptions& options) {
  rocksdb::Options db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.IncreaseParallelism(2);
  db_options.max_background_jobs = 2;
  db_options.info_log = std::make_shared<StderrLogger>();
  db_options.max_total_wal_size = 64 << 20;
  // Tickers only (no timers): block cache hit ratio for the metrics endpoint.
  db_options.statistics = rocksdb::CreateDBStatistics();
  db_options.statistics->set_stats_level(rocksdb::StatsLevel::kExceptTimers);

  rocksdb::BlockBasedTableOptions table;
  // Shards of at least 16 MiB: RocksDB's default (64 shards) makes a 64 MiB
  // cache 1 MiB shards, and a block larger than its shard is evicted as soon
  // as it is released.
  int shard_bits = 0;
  while (shard_bits < 6 && (options.block_cache_bytes >> (shard_bits + 1)) >= (size_t{16} << 20)) ++shard_bits;
  table.block_cache = rocksdb::NewLRUCache(options.block_cache_bytes, shard_bits);
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  // Partitioned index and filter blocks: a large file's metadata is read in
  // 4 KiB pieces as needed instead of as one multi-megabyte block, and only
  // the small top level stays pinned.
  table.index_type = rocksdb::BlockBasedTableOptions::kTwoLevelIndexSearch;
  table.partition_filters = true;
  table.metadata_block_size = 4096;
  table.cache_index_and_filter_blocks = true;
  table.cache_index_and_filter_blocks_with_high_priority = true;
  table.pin_top_level_index_and_filter = true;
  table.pin_l0_filter_and_index_blocks_in_cache = true;
  table.format_version = 5;

  rocksdb::ColumnFamilyOptions cf_base(db_options);
  cf_base.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  cf_base.compression = rocksdb::kLZ4Compression;
  cf_base.bottommost_compression = rocksdb::kZSTD;
  cf_base.write_buffer_size = 16 << 20;

  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  descriptors.emplace_back(rocksdb::kDefaultColumnFamilyName, cf_base);
  for (const auto& spec : options.column_families) {
    rocksdb::ColumnFamilyOptions cf_options = cf_base;
    if (spec.hot) cf_options.bottommost_compression = rocksdb::kLZ4Compression;
    if (spec.expiring_values) cf_options.compaction_filter = SharedExpiryFilter();
    if (spec.int64_counters) cf_options.merge_operator = std::make_shared<Int64AddOperator>();
    if (spec.entry_sets) {
      cf_options.merge_operator = std::make_shared<EntrySetOperator>();
      cf_options.compaction_filter = SharedEmptySetFilter();
    }
    if (spec.write_buffer_bytes > 0) cf_options.write_buffer_size = spec.write_buffer_bytes;
    if (spec.blob_files) {
      cf_options.enable_blob_files = true;
      cf_options.min_blob_size = spec.min_blob_size;
      cf_options.blob_file_size = spec.blob_file_size;
      // Blob values are media that is compressed already.
      cf_options.blob_compression_type = rocksdb::kNoCompression;
      cf_options.enable_blob_garbage_collection = spec.blob_garbage_collection;
    }
    descriptors.emplace_back(spec.name, cf_options);
  }
  // Column families this binary does not know (written by a newer version)
  // must still be opened; they are refused below by the schema version check.
  std::vector<std::string> existing;
  if (rocksdb::DB::ListColumnFamilies(db_options, options.path, &existing).ok()) {
    for (const auto& name : existing) {
      bool known = false;
      for (const auto& d : descriptors) known |= d.name == name;
      if (!known) descriptors.emplace_back(name, cf_base);
    }
  }

  auto impl = std::make_unique<Impl>();
  for (const auto& spec : options.column_families) {
    impl->entry_sets.push_back(spec.entry_sets);
    impl->scans_bypass_cache.push_back(spec.scans_bypass_cache);
  }
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(db_options, options.path, descriptors, &impl->handles, &raw);
  if (!s.ok()) {
    if (s.IsIOError() && s.ToString().find("lock") != std::string::npos) {
      std::fprintf(stderr, "{\"severity\":\"ERROR\",\"component\":\"storage\",\"rocksdb\":\"%s\"}\n",
                   s.ToString().c_str());
      return absl::FailedPreconditionError(
          absl::StrCat("database ", options.path, " is in use by another process"));
    }
    return FromRocks(s, "open database");
  }
  impl->db.reset(raw);
  auto db = std::unique_ptr<Database>(new Database(std::move(impl)));

  // Schema version: recorded by a new database, checked by an existing one.
  db->impl_->schema_version = options.schema_version;
  std::string stored;
  s = db->impl_->db->Get(rocksdb::ReadOptions(), db->impl_->handles[0], kSchemaVersionKey, &stored);
  if (s.IsNotFound()) {
    if (auto st = db->MarkSchemaCurrent(); !st.ok()) return st;
  } else if (!s.ok()) {
    return FromRocks(s, "read schema version");
  } else {
    KeyReader r(stored);
    uint32_t version = 0;
    if (!r.ReadU32(&version)) return absl::DataLossError("database schema version is unreadable");
    db->impl_->stored_schema_version = version;
    auto listed = [version](const std::vector<uint32_t>& versions) {
      return std::find(versions.begin(), versions.end(), version) != versions.end();
    };
    if (version == options.schema_version || listed(options.rebuildable_from)) {
      // Current, or the owner regenerates derived data and then marks it current.
    } else if (listed(options.upgradable_from)) {
      if (auto st = db->MarkSchemaCurrent(); !st.ok()) return st;
      std::fprintf(stderr,
                   "{\"severity\":\"INFO\",\"component\":\"storage\",\"message\":\"schema upgraded\","
                   "\"from\":%u,\"to\":%u}\n",
                   version, options.schema_version);
    } else {
      return absl::FailedPreconditionError(absl::StrCat(
          "database ", options.path, " has schema version ", version, "; this binary reads version ",
          options.schema_version));
    }
  }
  return db;
}

Database::Stats Database::GetStats() const {
  Stats stats;
  if (impl_ == nullptr || impl_->closed) return stats;
  for (auto* h : impl_->handles) {
    uint64_t v = 0;
    if (impl_->db->GetIntProperty(h, "rocksdb.estimate-live-data-size", &v)) stats.live_data_bytes += v;
    if (impl_->db->GetIntProperty(h, "rocksdb.estimate-pending-compaction-bytes", &v)) {
      stats.pending_compaction_bytes += v;
    }
    if (impl_->db->GetIntProperty(h, "rocksdb.num-blob-files", &v)) stats.blob_files += v;
  }
  if (auto statistics = impl_->db->GetOptions().statistics; statistics != nullptr) {
    stats.block_cache_hits = statistics->getTickerCount(rocksdb::BLOCK_CACHE_HIT);
    stats.block_cache_misses = statistics->getTickerCount(rocksdb::BLOCK_CACHE_MISS);
  }
  return stats;
}

namespace {

absl::StatusOr<std::unique_ptr<rocksdb::BackupEngine>> OpenBackupEngine(const std::string& backup_dir) {
  rocksdb::BackupEngineOptions options(backup_dir);
  options.sync = true;
  options.share_files_with_checksum = true;
  rocksdb::BackupEngine* engine = nullptr;
  auto s = rocksdb::BackupEngine::Open(options, rocksdb::Env::Default(), &engine);
  if (!s.ok()) return FromRocks(s, "open backup directory");
  return std::unique_ptr<rocksdb::BackupEngine>(engine);
}

Database::BackupInfo FromRocksBackup(const rocksdb::BackupInfo& info) {
  Database::BackupInfo out;
  out.backup_id = info.backup_id;
  out.create_time = absl::FromUnixSeconds(info.timestamp);
  out.size_bytes = info.size;
  out.file_count = info.number_files;
  return out;
}

}  // namespace

absl::StatusOr<Database::BackupInfo> Database::CreateBackup(const std::string& backup_dir) {
  std::lock_guard<std::mutex> lock(impl_->backup_mu);
  auto engine = OpenBackupEngine(backup_dir);
  if (!engine.ok()) return engine.status();
  rocksdb::CreateBackupOptions options;
  options.flush_before_backup = true;
  rocksdb::BackupID id = 0;
  if (auto st = FromRocks((*engine)->CreateNewBackup(options, impl_->db.get(), &id), "create backup"); !st.ok()) {
    return st;
  }
  if (auto s = (*engine)->VerifyBackup(id, /*verify_with_checksum=*/true); !s.ok()) {
    (void)(*engine)->DeleteBackup(id);
    std::fprintf(stderr, "{\"severity\":\"ERROR\",\"component\":\"storage\",\"op\":\"verify backup\",\"rocksdb\":\"%s\"}\n",
                 s.ToString().c_str());
    return absl::DataLossError("the new backup failed verification and was deleted");
  }
  rocksdb::BackupInfo info;
  if (auto st = FromRocks((*engine)->GetBackupInfo(id, &info), "read backup info"); !st.ok()) return st;
  return FromRocksBackup(info);
}

absl::StatusOr<std::vector<Database::BackupInfo>> Database::ListBackups(const std::string& backup_dir) {
  auto engine = OpenBackupEngine(backup_dir);
  if (!engine.ok()) return engine.status();
  std::vector<rocksdb::BackupInfo> infos;
  (*engine)->GetBackupInfo(&infos);
  std::vector<BackupInfo> out;
  for (const auto& i : infos) out.push_back(FromRocksBackup(i));
  return out;
}

absl::Status Database::RestoreBackup(const std::string& backup_dir, uint32_t backup_id, const std::string& db_dir) {
  auto engine = OpenBackupEngine(backup_dir);
  if (!engine.ok()) return engine.status();
  std::vector<rocksdb::BackupInfo> infos;
  (*engine)->GetBackupInfo(&infos);
  if (infos.empty()) return absl::NotFoundError(absl::StrCat("no backups in ", backup_dir));
  if (backup_id == 0) backup_id = infos.back().backup_id;
  bool known = false;
  for (const auto& i : infos) known |= i.backup_id == backup_id;
  if (!known) return absl::NotFoundError(absl::StrCat("backup ", backup_id, " not found in ", backup_dir));
  if (auto s = (*engine)->VerifyBackup(backup_id, /*verify_with_checksum=*/true); !s.ok()) {
    return absl::DataLossError(absl::StrCat("backup ", backup_id, " failed verification: ", s.ToString()));
  }
  return FromRocks((*engine)->RestoreDBFromBackup(backup_id, db_dir, db_dir), "restore backup");
}

absl::Status Database::Close() {
  if (impl_ == nullptr || impl_->closed) return absl::OkStatus();
  impl_->closed = true;
  for (auto* h : impl_->handles) {
    if (h != nullptr) impl_->db->DestroyColumnFamilyHandle(h);
  }
  impl_->handles.clear();
  absl::Status st = FromRocks(impl_->db->Close(), "close database");
  impl_->db.reset();
  return st;
}

absl::StatusOr<std::optional<std::string>> Database::Get(CfId cf, absl::string_view key,
                                                         const Snapshot* snapshot) const {
  rocksdb::ReadOptions ro;
  if (snapshot != nullptr) ro.snapshot = snapshot->impl_->snapshot;
  std::string value;
  rocksdb::Status s = impl_->db->Get(ro, impl_->cf(cf), rocksdb::Slice(key.data(), key.size()), &value);
  if (s.IsNotFound() || (value.empty() && impl_->IsEntrySets(cf))) return std::optional<std::string>();
  if (!s.ok()) return FromRocks(s, "read");
  return std::optional<std::string>(std::move(value));
}

absl::StatusOr<int64_t> Database::GetInt64(CfId cf, absl::string_view key, const Snapshot* snapshot) const {
  auto value = Get(cf, key, snapshot);
  if (!value.ok()) return value.status();
  if (!value->has_value()) return 0;
  return Int64AddOperator::Decode(rocksdb::Slice(**value));
}

absl::Status Database::Write(WriteBatch& batch) {
  if (!batch.impl_->status.ok()) return FromRocks(batch.impl_->status, "build write batch");
  {
    // After an I/O error RocksDB keeps refusing writes until it is resumed;
    // try that when space may have come back. Reads work throughout.
    // Until then no write may reach RocksDB: its WAL writer is in an error
    // state and must not be written to.
    std::lock_guard<std::mutex> lock(impl_->resume_mu);
    if (impl_->needs_resume) {
      if (absl::Now() - impl_->last_resume_attempt >= absl::Seconds(1)) {
        impl_->last_resume_attempt = absl::Now();
        rocksdb::Status resumed = impl_->db->Resume();
        if (resumed.ok()) {
          impl_->needs_resume = false;
          std::fprintf(stderr, "{\"severity\":\"INFO\",\"component\":\"storage\",\"message\":\"writes resumed\"}\n");
        } else {
          std::fprintf(stderr, "{\"severity\":\"WARNING\",\"component\":\"storage\",\"message\":\"cannot resume writes yet\",\"rocksdb\":\"%s\"}\n",
                       resumed.ToString().c_str());
        }
      }
      if (impl_->needs_resume) {
        return absl::ResourceExhaustedError("write: the data volume is full or failing; writes resume when it recovers");
      }
    }
  }
  rocksdb::WriteOptions wo;
  wo.sync = true;
  rocksdb::Status s = impl_->db->Write(wo, &batch.impl_->batch);
  if (s.IsIOError() || s.IsNoSpace()) {
    std::lock_guard<std::mutex> lock(impl_->resume_mu);
    impl_->needs_resume = true;
  }
  return FromRocks(s, "write");
}

std::unique_ptr<Iterator> Database::Scan(CfId cf, absl::string_view lower, absl::string_view upper,
                                         const Snapshot* snapshot) const {
  auto impl = std::make_unique<Iterator::Impl>();
  impl->lower = std::string(lower);
  impl->upper = std::string(upper);
  impl->lower_slice = rocksdb::Slice(impl->lower);
  impl->read_options.iterate_lower_bound = &impl->lower_slice;
  if (!impl->upper.empty()) {
    impl->upper_slice = rocksdb::Slice(impl->upper);
    impl->read_options.iterate_upper_bound = &impl->upper_slice;
  }
  if (snapshot != nullptr) impl->read_options.snapshot = snapshot->impl_->snapshot;
  impl->read_options.fill_cache = !impl_->ScansBypassCache(cf);
  impl->it.reset(impl_->db->NewIterator(impl->read_options, impl_->cf(cf)));
  impl->skip_empty = impl_->IsEntrySets(cf);
  impl->it->Seek(impl->lower);
  impl->SkipForward();
  return std::unique_ptr<Iterator>(new Iterator(std::move(impl)));
}

uint32_t Database::stored_schema_version() const { return impl_->stored_schema_version; }

absl::Status Database::MarkSchemaCurrent() {
  std::string v;
  AppendU32(&v, impl_->schema_version);
  rocksdb::WriteOptions wo;
  wo.sync = true;
  if (auto st = FromRocks(impl_->db->Put(wo, impl_->handles[0], kSchemaVersionKey, v), "write schema version");
      !st.ok()) {
    return st;
  }
  impl_->stored_schema_version = impl_->schema_version;
  return absl::OkStatus();
}

std::unique_ptr<Snapshot> Database::GetSnapshot() const {
  auto impl = std::make_unique<Snapshot::Impl>();
  impl->db = impl_->db.get();
  impl->snapshot = impl_->db->GetSnapshot();
  return std::unique_ptr<Snapshot>(new Snapshot(std::move(impl)));
}

absl::Status Database::CompactAll(CfId cf) {
  rocksdb::CompactRangeOptions options;
  options.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  // A full compaction reads every blob anyway: let it relocate all of them,
  // so files that hold only deleted values go away.
  options.blob_garbage_collection_policy = rocksdb::BlobGarbageCollectionPolicy::kForce;
  options.blob_garbage_collection_age_cutoff = 1.0;
  return FromRocks(impl_->db->CompactRange(options, impl_->cf(cf), nullptr, nullptr), "compact");
}

absl::StatusOr<uint64_t> Database::GetIntProperty(CfId cf, absl::string_view property) const {
  uint64_t value = 0;
  if (!impl_->db->GetIntProperty(impl_->cf(cf), rocksdb::Slice(property.data(), property.size()), &value)) {
    return absl::NotFoundError(absl::StrCat("no integer property ", property));
  }
  return value;
}

absl::StatusOr<std::string> Database::GetOrCreateSecret(absl::string_view name) {
  std::lock_guard<std::mutex> lock(impl_->secret_mu);
  const std::string key = std::string(kSecretPrefix) + std::string(name);
  std::string value;
  rocksdb::Status s = impl_->db->Get(rocksdb::ReadOptions(), impl_->handles[0], key, &value);
  if (s.ok()) return value;
  if (!s.IsNotFound()) return FromRocks(s, "read secret");
  value.resize(32);
  if (RAND_bytes(reinterpret_cast<unsigned char*>(value.data()), static_cast<int>(value.size())) != 1) {
    return absl::UnavailableError("no randomness available for a new secret");
  }
  rocksdb::WriteOptions wo;
  wo.sync = true;
  if (auto st = FromRocks(impl_->db->Put(wo, impl_->handles[0], key, value), "write secret"); !st.ok()) {
    return st;
  }
  return value;
}

std::string EncodeExpiring(absl::Time expiry, absl::string_view payload) {
  std::string out;
  out.reserve(8 + payload.size());
  AppendI64(&out, absl::ToUnixMicros(expiry));
  out.append(payload.data(), payload.size());
  return out;
}

std::optional<absl::string_view> DecodeExpiring(absl::string_view value, absl::Time now) {
  KeyReader r(value);
  int64_t expiry_micros = 0;
  if (!r.ReadI64(&expiry_micros)) return std::nullopt;
  if (absl::FromUnixMicros(expiry_micros) <= now) return std::nullopt;
  return r.rest();
}

}  // namespace newsdesk::kv
