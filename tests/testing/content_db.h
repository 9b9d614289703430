// Opens a content database for storage tests (a test failure when it cannot).
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "storage/content/schema.h"
#include "storage/kv/database.h"

namespace newsdesk::testing {

inline std::unique_ptr<kv::Database> OpenContentDatabase(const std::string& path) {
  auto db = kv::Database::Open(content::ContentDatabaseOptions(path));
  EXPECT_TRUE(db.ok()) << db.status();
  return db.ok() ? *std::move(db) : nullptr;
}

}  // namespace newsdesk::testing
