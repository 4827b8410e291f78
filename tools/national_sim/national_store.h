#pragma once
// What national-sim holds (docs/protocol.md, "The national link"): every
// scan stations uploaded, once, keyed by (station, device, batch, seq); the
// manifest rows it serves each destination station, in sequence order; and
// each station's mailbox of messages posted to it.
//
// One NationalStore per thread and connection. Several processes may open
// the same national.db (WAL; a writer waits up to the busy timeout for
// another), so `national-sim manifest-add` can load beside a running server.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sql/sqlite.h"
#include "scanner/manifest.h"
#include "wire/national.h"
#include "wire/upload.h"

namespace station::national {

class NationalStore {
 public:
  // Opens (and unless `read_only`, creates) national.db at `path`.
  static Result<std::unique_ptr<NationalStore>> Open(const std::string& path, bool read_only = false);

  // One upload of a group commit; SaveUploads fills in the counts.
  struct PendingUpload {
    std::string_view station;
    const std::vector<UploadedScan>* scans = nullptr;
    int stored = 0;
    int duplicates = 0;
  };
  // Stores the scans of every upload in `uploads` in ONE transaction
  // (synchronous=FULL: durable when this returns OK, so the caller may ack
  // them all). Already-held scans, also those held by an earlier upload of
  // the same group, count as duplicates and are not stored again. kIOError
  // when storage failed: then none of them is stored.
  Status SaveUploads(std::vector<PendingUpload>& uploads, std::int64_t received_ms);

  // Loads manifest rows in one transaction. A row is keyed by (dest_station,
  // waybill): identical to the held one it is left alone; different, it
  // replaces it under a new sequence number, so the station is served it
  // again; unknown, it is added.
  struct ManifestLoad {
    std::int64_t added = 0, changed = 0, unchanged = 0;
  };
  Result<ManifestLoad> LoadManifest(const std::vector<ManifestRow>& rows, std::int64_t loaded_ms);

  // The rows destined to `dest` with sequence numbers after `after`, at most
  // `limit`, in sequence order. `last_seq` is the sequence of the last row
  // returned (`after` when none); `more` says rows past it are waiting.
  struct ManifestPage {
    std::vector<ManifestRow> rows;  // `line` is 0
    std::int64_t last_seq = 0;
    bool more = false;
  };
  Result<ManifestPage> ManifestAfter(const std::string& dest, std::int64_t after, int limit);

  // National's rows for each of `waybills`, whatever their destination
  // (a station asking about parcels that arrived unmanifested). A waybill
  // manifested to several stations in turn has a row for each, oldest
  // first. Rows to another station than `asking_station` come without the
  // recipient's phone (DESIGN §7: only the delivering station needs it).
  struct Lookup {
    std::vector<ManifestRow> rows;  // `line` is 0
    std::vector<std::string> found, not_found;  // each waybill asked, in the order asked
  };
  Result<Lookup> LookUp(const std::vector<std::string>& waybills, const std::string& asking_station);

  // Puts a message in `to`'s mailbox under that mailbox's next sequence
  // number and commits. A message already held under (from, msg_id) is not
  // stored again: its sequence comes back with duplicate = true.
  struct Posted {
    std::int64_t seq = 0;
    bool duplicate = false;
  };
  Result<Posted> Post(const std::string& to, const std::string& from, const std::string& msg_id,
                      const std::string& kind, std::string_view body, std::int64_t posted_ms);

  // `recipient`'s mail after sequence `after`, at most `limit`, in sequence
  // order; `more` says others are waiting.
  struct MailPage {
    std::vector<MailItem> items;
    bool more = false;
  };
  Result<MailPage> MailAfter(const std::string& recipient, std::int64_t after, int limit);

  struct StationCounts {
    std::int64_t scans = 0;
    std::int64_t duplicates_seen = 0;
    std::map<std::string, std::int64_t> by_type;
    std::int64_t manifest_rows = 0;  // rows destined to the station
    std::int64_t mail_held = 0;
    std::int64_t mail_latest_seq = 0;
  };
  // Every station national knows of, from scans, manifest rows or mail.
  Result<std::map<std::string, StationCounts>> Counts();
  // One waybill's scans across stations, by scan time.
  Result<std::vector<std::pair<std::string, UploadedScan>>> History(const std::string& waybill);

 private:
  explicit NationalStore(sql::Db db) : db_(std::move(db)) {}
  Status Prepare();

  sql::Db db_;
  // Prepared once in Open (not for read-only stores).
  std::unique_ptr<sql::Stmt> insert_scan_, count_duplicates_;
  std::unique_ptr<sql::Stmt> find_manifest_, delete_manifest_, insert_manifest_;
  std::unique_ptr<sql::Stmt> find_post_, next_mail_seq_, insert_mail_;
  std::unique_ptr<sql::Stmt> manifest_after_, mail_after_, manifest_of_waybill_;
};

}  // namespace station::national
