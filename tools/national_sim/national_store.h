#pragma once
// What national-sim holds: every scan stations uploaded, once, keyed by
// (station, device, batch, seq), and how many resends it has seen.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "daemon/sqlite.h"
#include "scanner/upload_wire.h"

namespace station::national {

class NationalStore {
 public:
  static Result<std::unique_ptr<NationalStore>> Open(const std::string& path, bool read_only = false);

  // Stores the scans of one upload in one transaction (synchronous=FULL,
  // committed before the caller acks). Already-held scans count as
  // duplicates and are not stored again.
  Status SaveUpload(const std::string& station, const std::vector<UploadedScan>& scans, std::int64_t received_ms,
                    int& stored, int& duplicates);

  struct StationCounts {
    std::int64_t scans = 0;
    std::int64_t duplicates_seen = 0;
    std::map<std::string, std::int64_t> by_type;
  };
  Result<std::map<std::string, StationCounts>> Counts();
  // One waybill's scans across stations, by scan time.
  Result<std::vector<std::pair<std::string, UploadedScan>>> History(const std::string& waybill);

 private:
  explicit NationalStore(sql::Db db) : db_(std::move(db)) {}
  sql::Db db_;
  std::unique_ptr<sql::Stmt> insert_;
  std::unique_ptr<sql::Stmt> count_duplicates_;
};

}  // namespace station::national
