#pragma once
// A consistent copy of a station's data folder while stationd runs
// (docs/operations.md, "Backup and restore").
//
// Made by the caller (stationctl), not by stationd: station.db is opened
// read-only and copied with SQLite's online backup API in one step, which
// holds one read transaction for the whole copy. In WAL mode a reader
// never blocks the writer, so docks go on being acknowledged meanwhile, and
// the copy is the database exactly as it stood at one commit. (Stepping in
// slices would restart the copy each time the writer commits, for ever
// under a steady stream of docks.) RELIABILITY.md §4: never cp a live
// database.
//
// The backup is a folder, so everything a station needs comes back
// together: station.db, keys.db (the enrolled guns: a station restored
// without it refuses every gun) and keys/ (the station's own key pair,
// which national and every dock know). waybills.db is not copied: it is
// derived from station.db and rebuilt.

#include <cstdint>
#include <string>

#include "core/status.h"

namespace station {

struct BackupResult {
  std::string folder;
  std::int64_t schema_version = 0;
  std::int64_t scans = 0;
  std::int64_t newest_scan_id = 0;  // the copy holds every scan up to this id
  std::int64_t station_db_bytes = 0;
  bool keys_db = false;    // keys.db was there and is copied
  int key_files = 0;       // files copied from keys/
};

// Copies the data folder `data_dir` into the new folder `dest`. Refuses
// (kInvalidArgument, naming it) a `dest` that exists (a backup never
// overwrites) or whose parent folder does not exist, and a `data_dir`
// without station.db. The copy is made in a temporary folder beside `dest`,
// synced, checked (PRAGMA integrity_check) and only then renamed to `dest`,
// so `dest` is either a whole backup or not there.
Result<BackupResult> BackupDataDir(const std::string& data_dir, const std::string& dest);

}  // namespace station
