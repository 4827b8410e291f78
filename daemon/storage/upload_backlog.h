#pragma once
// The upload backlog of station.db, asked the same way wherever it is
// shown: the scans stored above the upload cursor (not yet held at
// national), how many they are, and since when the oldest has waited.

#include <algorithm>
#include <cstdint>
#include <optional>

#include "core/status.h"
#include "sql/sqlite.h"

namespace station {

struct UploadBacklog {
  std::int64_t newest_scan_id = 0;     // max(scans.id); 0: none stored
  std::int64_t uploaded_upto = 0;      // uplink_state: every scan with id <= this is held at national
  std::int64_t last_upload_ms = 0;     // when national last acknowledged an upload; 0: never
  std::int64_t oldest_waiting_ms = 0;  // received_ms of the oldest scan above the cursor; 0: none waits

  // Scans stored but not yet held at national.
  std::int64_t scans() const { return std::max<std::int64_t>(0, newest_scan_id - uploaded_upto); }
};

// Reads the backlog in one statement, so that its figures agree with each
// other. The scans above the cursor are found through the rowid, so this
// costs the same however long the backlog is. Returns the database's error
// when it cannot be read (a database older than the national link, schema
// 2, has no upload cursor).
Result<UploadBacklog> ReadUploadBacklog(sql::Db& db);

// The received_ms of the oldest scan above `uploaded_upto`, for a reader
// that keeps the cursor itself (the uplink thread); nullopt when none waits.
Result<std::optional<std::int64_t>> OldestWaitingReceivedMs(sql::Db& db, std::int64_t uploaded_upto);

}  // namespace station
