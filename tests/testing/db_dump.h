// Every key and value of every column family of a database, read through the
// storage layer, and a readable difference between two such dumps: for tests
// that must show a sequence of calls changed nothing.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "storage/kv/database.h"

namespace newsdesk::testing {

// (column family, key) → value; the metadata column family is kv::kMetadataCf.
using DatabaseDump = std::map<std::pair<kv::CfId, std::string>, std::string>;

// `column_families` is the number of column families the database was opened
// with (e.g. content::ContentColumnFamilies().size()).
inline DatabaseDump DumpDatabase(const kv::Database& db, size_t column_families) {
  DatabaseDump dump;
  for (kv::CfId cf = kv::kMetadataCf; cf < static_cast<kv::CfId>(column_families); ++cf) {
    auto it = db.Scan(cf, "", "");
    for (; it->Valid(); it->Next()) dump[{cf, std::string(it->key())}] = std::string(it->value());
    EXPECT_TRUE(it->status().ok()) << it->status();
  }
  return dump;
}

// "" when equal; otherwise the first differences, keys C-escaped.
inline std::string DumpDifference(const DatabaseDump& before, const DatabaseDump& after, int max_lines = 20) {
  std::string out;
  int lines = 0;
  const auto note = [&](const char* what, const std::pair<kv::CfId, std::string>& key) {
    if (lines++ < max_lines) {
      absl::StrAppend(&out, what, " cf ", key.first, " key \"", absl::CEscape(key.second.substr(0, 80)), "\"\n");
    }
  };
  for (const auto& [key, value] : before) {
    auto it = after.find(key);
    if (it == after.end()) {
      note("deleted:", key);
    } else if (it->second != value) {
      note("changed:", key);
    }
  }
  for (const auto& [key, value] : after) {
    if (before.count(key) == 0) note("added:  ", key);
  }
  if (lines > max_lines) absl::StrAppend(&out, "... and ", lines - max_lines, " more\n");
  return out;
}

}  // namespace newsdesk::testing
