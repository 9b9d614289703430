// The storage engine wrapper: the only code in newsdesk that knows RocksDB.
//
// Everything above this layer sees byte-string keys and values in named
// column families, atomic batches, snapshots and bounded scans, and errors as
// absl::Status. No RocksDB type appears in this header, so a second engine can
// slot in behind the same interface.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace newsdesk::kv {

// Index of a column family in DatabaseOptions::column_families.
using CfId = int;

// The default column family, which holds the database's own metadata (schema
// version, secrets). Readable with Get and Scan for maintenance and tests;
// nothing above storage/kv writes it.
inline constexpr CfId kMetadataCf = -1;

struct ColumnFamilySpec {
  std::string name;
  // Data read on every request (records, indexes) keeps LZ4 in the last
  // level too: it decompresses several times faster than ZSTD, which the
  // other column families use there to save space.
  bool hot = false;
  // Values start with an 8-byte big-endian expiry time (Unix microseconds, see
  // EncodeExpiring). Expired entries are dropped by a compaction filter; readers
  // must still check the expiry with DecodeExpiring.
  bool expiring_values = false;
  // Values are 8-byte signed counters (see WriteBatch::AddInt64) combined by
  // a merge operator, so concurrent writers can add to one counter without a
  // read-modify-write or a lock.
  bool int64_counters = false;
  // Values are entry sets (see entry_set.h) changed with
  // WriteBatch::PutSetEntry / RemoveSetEntry and combined by a merge
  // operator. An empty set reads as absent (Get, Scan) and is dropped by
  // compaction.
  bool entry_sets = false;
  // Scans read large values once each (search postings): they bypass the
  // block cache instead of evicting the blocks that point reads and
  // listings reuse (a single search reads megabytes).
  bool scans_bypass_cache = false;
  // Values of at least `min_blob_size` bytes are kept in blob files
  // (RocksDB's integrated BlobDB) instead of the LSM tree, so compactions of
  // the column family move only keys and small values. For large immutable
  // values such as photo bytes; written in the same atomic, synced batches as
  // every other column family.
  bool blob_files = false;
  uint64_t min_blob_size = 64 << 10;
  // Blob files are closed at this size.
  uint64_t blob_file_size = 256 << 20;
  // Relocate the live blobs of the oldest blob files during compaction, so
  // that files holding only deleted values are removed and their space comes
  // back.
  bool blob_garbage_collection = true;
  // The memtable size of this column family; 0 means the database default
  // (16 MiB).
  size_t write_buffer_bytes = 0;
};

struct DatabaseOptions {
  std::string path;
  // Column families in a fixed order; CfId is the index into this list. The
  // default column family is always present and holds metadata.
  std::vector<ColumnFamilySpec> column_families;
  // The layout version this binary reads and writes. A new database records it;
  // an existing one with another version is refused at open.
  uint32_t schema_version = 1;
  // Older versions this binary opens and upgrades in place, because the
  // change since was additive (new column families, new key kinds): the
  // stored version becomes `schema_version`, so a binary of the older version
  // refuses the database from then on instead of misreading it.
  std::vector<uint32_t> upgradable_from;
  // Older versions this binary opens but does not upgrade by itself, because
  // derived data (indexes) changed format: the stored version stays as it
  // was (stored_schema_version()) until the owner has regenerated that data
  // and calls MarkSchemaCurrent(). A crash in between leaves the old version,
  // so the next start regenerates again.
  std::vector<uint32_t> rebuildable_from;
  // Shared LRU block cache for all column families.
  size_t block_cache_bytes = 64 << 20;
};

class Database;

// A consistent point-in-time view. Release by destroying it.
class Snapshot {
 public:
  ~Snapshot();
  Snapshot(const Snapshot&) = delete;
  Snapshot& operator=(const Snapshot&) = delete;

 private:
  friend class Database;
  struct Impl;
  explicit Snapshot(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// A set of writes applied atomically by Database::Write. Not thread-safe.
class WriteBatch {
 public:
  // A batch for `db`; it must not outlive the database.
  explicit WriteBatch(const Database& db);
  // The same with room for `reserved_bytes` of keys, values and framing
  // allocated up front: a batch that will carry megabytes (photo bytes) then
  // never reallocates, which would hold its old and new buffers at once.
  WriteBatch(const Database& db, size_t reserved_bytes);
  ~WriteBatch();
  WriteBatch(const WriteBatch&) = delete;
  WriteBatch& operator=(const WriteBatch&) = delete;

  void Put(CfId cf, absl::string_view key, absl::string_view value);
  void Delete(CfId cf, absl::string_view key);
  // Deletes every key in [begin, end) (one range tombstone).
  void DeleteRange(CfId cf, absl::string_view begin, absl::string_view end);
  // Adds `delta` to a counter in an int64_counters column family.
  void AddInt64(CfId cf, absl::string_view key, int64_t delta);
  // Adds `member` with `payload` to the entry set at `key` in an entry_sets
  // column family, replacing the member's payload if it is there.
  void PutSetEntry(CfId cf, absl::string_view key, absl::string_view member, absl::string_view payload);
  // Removes `member` from the entry set at `key` (nothing if it is absent).
  void RemoveSetEntry(CfId cf, absl::string_view key, absl::string_view member);
  int Count() const;

 private:
  friend class Database;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A scan over [lower, upper) of one column family, in either direction.
// Not thread-safe.
class Iterator {
 public:
  ~Iterator();
  Iterator(const Iterator&) = delete;
  Iterator& operator=(const Iterator&) = delete;

  void Seek(absl::string_view key);         // first key >= key (clamped to bounds)
  void SeekForPrev(absl::string_view key);  // last key <= key (clamped to bounds)
  void SeekToLast();                        // last key in bounds
  bool Valid() const;
  void Next();
  void Prev();
  absl::string_view key() const;
  absl::string_view value() const;
  // OK, or the error that ended the scan. Check it once Valid() is false.
  absl::Status status() const;

 private:
  friend class Database;
  struct Impl;
  explicit Iterator(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// An open database. Thread-safe: all methods may be called concurrently.
class Database {
 public:
  // Opens or creates the database. Errors: FAILED_PRECONDITION when the
  // schema version differs or the directory is locked by another process;
  // UNAVAILABLE / DATA_LOSS for I/O errors and corruption.
  static absl::StatusOr<std::unique_ptr<Database>> Open(const DatabaseOptions& options);

  ~Database();  // Closes the database (flushes nothing: the WAL is synced).
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Returns the value, std::nullopt when absent. Errors: UNAVAILABLE, DATA_LOSS.
  absl::StatusOr<std::optional<std::string>> Get(CfId cf, absl::string_view key,
                                                 const Snapshot* snapshot = nullptr) const;

  // Applies the batch atomically with a synced WAL: once it returns OK the
  // writes survive a crash of the process or the machine. Errors:
  // RESOURCE_EXHAUSTED (disk full), UNAVAILABLE (other I/O errors).
  absl::Status Write(WriteBatch& batch);

  // Reads a counter of an int64_counters column family (0 when absent).
  absl::StatusOr<int64_t> GetInt64(CfId cf, absl::string_view key, const Snapshot* snapshot = nullptr) const;

  // Scans keys in [lower, upper); an empty upper means "to the end". The
  // iterator starts at `lower`; use SeekToLast/SeekForPrev/Prev to go backwards.
  std::unique_ptr<Iterator> Scan(CfId cf, absl::string_view lower, absl::string_view upper,
                                 const Snapshot* snapshot = nullptr) const;

  std::unique_ptr<Snapshot> GetSnapshot() const;

  // The schema version the database has on disk: options.schema_version,
  // or an older version from options.rebuildable_from until
  // MarkSchemaCurrent() is called.
  uint32_t stored_schema_version() const;
  // Records options.schema_version as the stored version (synced).
  absl::Status MarkSchemaCurrent();

  // Flushes the column family's memtable and compacts all its data, forcing
  // blob garbage collection: afterwards deleted values take no space.
  // Maintenance and tests; blocks until done. Errors: UNAVAILABLE.
  absl::Status CompactAll(CfId cf);

  // An integer RocksDB property of a column family (e.g.
  // "rocksdb.total-blob-file-size"), for metrics and tests. Errors:
  // NOT_FOUND for an unknown property.
  absl::StatusOr<uint64_t> GetIntProperty(CfId cf, absl::string_view property) const;

  // A random 32-byte secret stored under `name` in the metadata, created on
  // first use (e.g. the key that signs page tokens).
  absl::StatusOr<std::string> GetOrCreateSecret(absl::string_view name);

  // Figures for monitoring, summed over all column families.
  struct Stats {
    uint64_t live_data_bytes = 0;           // rocksdb.estimate-live-data-size
    uint64_t pending_compaction_bytes = 0;  // rocksdb.estimate-pending-compaction-bytes
    uint64_t blob_files = 0;                // rocksdb.num-blob-files
    uint64_t block_cache_hits = 0;
    uint64_t block_cache_misses = 0;
  };
  Stats GetStats() const;

  struct BackupInfo {
    uint32_t backup_id = 0;
    absl::Time create_time;
    uint64_t size_bytes = 0;
    uint32_t file_count = 0;
  };

  // Takes a consistent online backup into `backup_dir` (RocksDB
  // BackupEngine: incremental, files shared between backups), then verifies
  // every file of it against its checksum. Writes may continue meanwhile.
  // One backup at a time per database. Errors: UNAVAILABLE /
  // RESOURCE_EXHAUSTED (I/O), DATA_LOSS (verification failed; the backup is
  // deleted).
  absl::StatusOr<BackupInfo> CreateBackup(const std::string& backup_dir);

  // The backups in `backup_dir`, oldest first.
  static absl::StatusOr<std::vector<BackupInfo>> ListBackups(const std::string& backup_dir);

  // Replaces the database in `db_dir` (which must not be open) with backup
  // `backup_id` (0: the latest) from `backup_dir`. Errors: NOT_FOUND,
  // DATA_LOSS, UNAVAILABLE.
  static absl::Status RestoreBackup(const std::string& backup_dir, uint32_t backup_id, const std::string& db_dir);

  // Flushes memtables and closes; later calls fail. Called by the destructor.
  absl::Status Close();

 private:
  friend class WriteBatch;
  struct Impl;
  explicit Database(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Value framing for ColumnFamilySpec::expiring_values.
std::string EncodeExpiring(absl::Time expiry, absl::string_view payload);
// Returns the payload, or std::nullopt when the value is expired at `now` or
// malformed.
std::optional<absl::string_view> DecodeExpiring(absl::string_view value, absl::Time now);

}  // namespace newsdesk::kv
