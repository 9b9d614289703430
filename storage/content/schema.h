// The content database's layout: column families and key prefixes.
// Persisted values (names, prefixes) never change; a change of layout bumps
// kContentSchemaVersion.
#pragma once

#include <cstdint>

#include "storage/kv/database.h"

namespace newsdesk::content {

// Version 2 added galleries and photos: the column families media_indexes,
// media_counters and photo_bytes and the record kinds 'g' and 'p' (created
// at open). Version 3 changed the search postings (see article_search.h),
// retired the kSearchDocs entries and added the gallery → articles index
// (kGalleryArticles, gallery_usage.h). Version 4 moved the search postings
// into blocks in a column family of their own (kSearchCf, article_search.h)
// and added the author indexes (kArticlesLiveByAuthor*). Version 5 packs a
// posting's state into its publish time and its per-field frequencies behind
// a field mask (article_search.h): 17 % fewer bytes to decode per search
// (5.5 % fewer on disk, where LZ4 had compressed much of it).
// A version 1, 2, 3 or 4 database is opened and its indexes are regenerated
// from the records before it is marked current (ContentBackend::Open); from
// then on an older binary refuses it rather than misreading the postings,
// missing gallery usage or compacting values it has no merge operator for.
inline constexpr uint32_t kContentSchemaVersion = 5;
inline constexpr uint32_t kContentRebuildFrom[] = {1, 2, 3, 4};

// Column family ids: indexes into ContentColumnFamilies().
inline constexpr kv::CfId kRecordsCf = 0;     // kind prefix + id → serialized resource
inline constexpr kv::CfId kIndexesCf = 1;     // index prefix + ... → (empty or id)
inline constexpr kv::CfId kRequestIdsCf = 2;  // kind prefix + request id → expiring response
inline constexpr kv::CfId kRevisionsCf = 3;   // article id + 0x00 + i64(-seq) → Article snapshot
inline constexpr kv::CfId kCountersCf = 4;    // name → int64 counter (merge operator)
// Galleries and photos (records and request ids share kRecordsCf and
// kRequestIdsCf with articles; their indexes, counters and bytes have column
// families of their own, so the article index rebuild leaves them alone).
inline constexpr kv::CfId kMediaIndexesCf = 5;   // media index prefix + ... → (empty or id)
inline constexpr kv::CfId kMediaCountersCf = 6;  // counter prefix + ... → int64 counter (merge operator)
inline constexpr kv::CfId kPhotoBytesCf = 7;     // photo + object + u32(chunk) → bytes (BlobDB)
// The full-text index: term + 0x00 + bucket → entry set of (article id →
// posting), see article_search.h. Regenerated with the other article indexes.
inline constexpr kv::CfId kSearchCf = 8;

std::vector<kv::ColumnFamilySpec> ContentColumnFamilies();

// How the content database at `path` is opened: its column families, schema
// version and the older versions it upgrades in place.
kv::DatabaseOptions ContentDatabaseOptions(const std::string& path);

// Record kinds (first byte of a kRecordsCf / kRequestIdsCf key).
inline constexpr char kArticleKind = 'a';
inline constexpr char kGalleryKind = 'g';  // + gallery id → Gallery
inline constexpr char kPhotoKind = 'p';    // + lp(gallery id) + photo id → Photo

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
inline constexpr char kGalleryArticles = 0x09;        // + lp(gallery id) + i64(publish) + id → "" (gallery_usage.h)
inline constexpr char kArticlesLiveByAuthor = 0x0A;         // + author + 0x00 + ord(create) + id → ""
inline constexpr char kArticlesLiveByAuthorPublish = 0x0B;  // + author + 0x00 + ord(publish) + id → ""
// 0x10 held one search posting per (term, article) up to schema version 3,
// 0x11 per-document search entries up to version 2; both unused since. In
// the entries ArticleIndexEntries lists, 0x10 + block key + article id
// stands for the article's member of a kSearchCf entry set.
inline constexpr char kSearchPostings = 0x10;

// Media index prefixes (first byte of a kMediaIndexesCf key).
inline constexpr char kGalleriesLiveByCreate = 0x01;  // + ord(create) + id → ""
inline constexpr char kGalleriesAllByCreate = 0x02;   // + ord(create) + id → "" (deleted too)
inline constexpr char kPhotosByPosition = 0x03;       // + lp(gallery id) + u32(position) → photo id

// Media counter prefixes (first byte of a kMediaCountersCf key).
inline constexpr char kGalleryPhotoCount = 'n';  // + gallery id → number of photos

// Photo bytes (kPhotoBytesCf): lp(gallery id) + lp(photo id) + object + u32(chunk index) → at most
// kPhotoChunkBytes bytes. The object is the original or a rendition. Every chunk but the last of an
// object is exactly kPhotoChunkBytes long, so an offset maps to a chunk by division.
inline constexpr char kPhotoOriginal = 'o';
inline constexpr char kPhotoThumbnail = 't';
inline constexpr char kPhotoMedium = 'm';
inline constexpr size_t kPhotoChunkBytes = 1 << 20;
// Values from this size on go to blob files; a photo's chunks are 1 MiB
// except its last, which goes to a blob file too when it is this large.
inline constexpr uint64_t kPhotoMinBlobBytes = 64 << 10;

// State categories in kArticlesLiveByState: drafts, and articles with a
// publish time (scheduled or published: which one depends on the clock).
inline constexpr char kStateDraft = 'D';
inline constexpr char kStateHasPublishTime = 'P';

}  // namespace newsdesk::content
