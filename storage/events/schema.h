// The events database's layout: column families and key prefixes.
// Persisted values (names, prefixes, key layouts) never change; a change of
// layout bumps kEventsSchemaVersion.
#pragma once

#include <cstdint>
#include <vector>

#include "storage/kv/database.h"

namespace newsdesk::events {

inline constexpr uint32_t kEventsSchemaVersion = 1;

// Column family ids: indexes into EventsColumnFamilies().
inline constexpr kv::CfId kRecordsCf = 0;     // kEventKind + event id → serialized Event
inline constexpr kv::CfId kIndexesCf = 1;     // index prefix + ... → ""
inline constexpr kv::CfId kRequestIdsCf = 2;  // kEventKind + request id → expiring serialized Event
inline constexpr kv::CfId kChangesCf = 3;     // u64(sequence) → serialized EventChange (no resume token)

std::vector<kv::ColumnFamilySpec> EventsColumnFamilies();

// Record kind (first byte of a kRecordsCf / kRequestIdsCf key).
inline constexpr char kEventKind = 'e';

// Index prefixes (first byte of a kIndexesCf key). Both indexes hold every
// event, soft-deleted ones too (listings skip those unless show_deleted):
// deleted events are few and a second set of "live" indexes would double
// every write.
inline constexpr char kEventsByCreate = 0x01;  // + i64(create µs) + id → ""
inline constexpr char kEventsByStart = 0x02;   // + i64(schedule interval start µs) + id → ""

// Metadata secrets (kv::Database::GetOrCreateSecret).
inline constexpr char kPageTokenSecret[] = "page_token";
// Identifies this database's change log in resume tokens, so that a token
// from another database (or one that was wiped) is refused.
inline constexpr char kChangeLogEpochSecret[] = "change_log_epoch";

}  // namespace newsdesk::events
