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
inline constexpr kv::CfId kRevisionsCf = 3;   // article id + 0x00 + i64(-seq) → Article snapshot
inline constexpr kv::CfId kCountersCf = 4;    // name → int64 counter (merge operator)

std::vector<kv::ColumnFamilySpec> ContentColumnFamilies();

// Record kinds (first byte of a kRecordsCf / kRequestIdsCf key).
inline constexpr char kArticleKind = 'a';

// Index prefixes (first byte of a kIndexesCf key). "ord(t)" is i64(-t in µs),
// so that ascending keys list the newest first; an unset publish time sorts
// as i64(INT64_MAX), after every real time. "Live" indexes hold articles that
// are not deleted.
inline constexpr char kArticlesLiveByCreate = 0x01;   // + ord(create) + id → ""
inline constexpr char kArticlesAllByCreate = 0x02;    // + ord(create) + id → "" (deleted too)
inline constexpr char kArticleSlugs = 0x03;           // + slug → id (deleted too: slugs stay reserved)
inline constexpr char kArticlesLiveByPublish = 0x04;  // + ord(publish) + id → ""
inline constexpr char kArticlesLiveByTag = 0x05;      // + tag + 0x00 + ord(create) + id → ""
inline constexpr char kArticlesLiveByUpdate = 0x06;   // + ord(update) + id → ""
inline constexpr char kArticlesLiveByState = 0x07;    // + 'D'|'P' + ord(create) + id → ""
inline constexpr char kArticlesLiveByTagPublish = 0x08;  // + tag + 0x00 + ord(publish) + id → ""
inline constexpr char kSearchPostings = 0x10;         // + term + 0x00 + id → posting (see article_search.h)
inline constexpr char kSearchDocs = 0x11;             // + id → per-field token counts

// State categories in kArticlesLiveByState: drafts, and articles with a
// publish time (scheduled or published: which one depends on the clock).
inline constexpr char kStateDraft = 'D';
inline constexpr char kStateHasPublishTime = 'P';

}  // namespace newsdesk::content
