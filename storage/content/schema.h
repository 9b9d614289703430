// The content database's layout: column families and key prefixes.
// Persisted values (names, prefixes) never change; a change of layout bumps
// kContentSchemaVersion.
#pragma once

#include <cstdint>

#include "storage/kv/database.h"

namespace newsdesk::content {

inline constexpr uint32_t kContentSchemaVersion = 1;

// Column family ids: indexes into ContentColumnFamilies().
inline constexpr kv::CfId kRecordsCf = 0;     // kind prefix + id → serialized resource
inline constexpr kv::CfId kIndexesCf = 1;     // index prefix + ... → (empty or id)
inline constexpr kv::CfId kRequestIdsCf = 2;  // kind prefix + request id → expiring response

std::vector<kv::ColumnFamilySpec> ContentColumnFamilies();

// Record kinds (first byte of a kRecordsCf / kRequestIdsCf key).
inline constexpr char kArticleKind = 'a';

// Index prefixes (first byte of a kIndexesCf key).
inline constexpr char kArticlesLiveByCreate = 0x01;  // + i64(-create µs) + id → ""
inline constexpr char kArticlesAllByCreate = 0x02;   // + i64(-create µs) + id → ""
inline constexpr char kArticleSlugs = 0x03;          // + slug → id

}  // namespace newsdesk::content
