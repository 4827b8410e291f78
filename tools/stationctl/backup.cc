#include "tools/stationctl/backup.h"

#include <cstdio>
#include <iostream>

#include <nlohmann/json.hpp>

#include "daemon/storage/backup.h"

namespace station {

int CmdBackup(const CtlOptions& options, const std::string& folder) {
  // Run here, beside stationd rather than inside it: a read-only
  // connection copies one snapshot while stationd's writer goes on, and a
  // backup works the same whether stationd is running or stopped.
  auto backup = BackupDataDir(options.data_dir, folder);
  if (!backup.ok()) return Fail(backup.status());
  const BackupResult& b = *backup;
  if (options.json) {
    std::cout << nlohmann::json{{"folder", b.folder},
                                {"schema_version", b.schema_version},
                                {"scans", b.scans},
                                {"newest_scan_id", b.newest_scan_id},
                                {"station_db_bytes", b.station_db_bytes},
                                {"keys_db", b.keys_db},
                                {"key_files", b.key_files}}
                     .dump(2)
              << "\n";
    return 0;
  }
  std::printf("Backup of %s made in %s\n", options.data_dir.c_str(), b.folder.c_str());
  std::printf("  station.db: %lld scans (every scan up to id %lld), schema %lld, %lld bytes; integrity check ok\n",
              static_cast<long long>(b.scans), static_cast<long long>(b.newest_scan_id),
              static_cast<long long>(b.schema_version), static_cast<long long>(b.station_db_bytes));
  std::printf("  keys.db (enrolled guns): %s\n", b.keys_db ? "copied" : "none in the data folder");
  std::printf("  keys/ (the station's own key pair): %d file(s)\n", b.key_files);
  std::printf("Restore: stop stationd, copy this folder's files into an empty data folder, start stationd"
              " (docs/operations.md, \"Backup and restore\").\n");
  return 0;
}

}  // namespace station
