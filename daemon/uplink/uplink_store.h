#pragma once
// What the national uplink reads from and writes to station.db: the scans
// to upload, its cursors, what national sends back (manifest rows, mail),
// the outbox of messages to other stations, and the lookups of surplus
// parcels at national (table national_lookups). Its own connection, used
// only by the uplink thread.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "daemon/storage/store.h"
#include "scanner/manifest.h"
#include "wire/national.h"

namespace station {

struct UplinkCursors {
  std::int64_t uploaded_upto = 0;   // every scan with id <= this is held at national
  std::int64_t last_upload_ms = 0;  // 0: never
  std::int64_t manifest_seq = 0;
  std::int64_t mail_seq = 0;
};

// A message to another station, waiting for national's acknowledgement.
struct WaitingPost {
  std::string msg_id, to, kind, body;
};

// The lookups of surplus parcels at national, for the clerk's status.
struct LookupCounts {
  std::int64_t waiting = 0;    // queued, not yet answered
  std::int64_t found = 0;      // national's row is in manifest
  std::int64_t not_found = 0;  // national knew no such parcel (asked again after a day)
};
// Reads them over any connection to station.db (stationctl's read-only one
// too). Fails when the database predates lookups (schema < 5).
Result<LookupCounts> CountLookups(sql::Db& db);

class UplinkStore {
 public:
  // Opens station.db (already created and migrated by the ingest Store).
  // Commits here run with synchronous=NORMAL: everything the uplink writes
  // can be fetched or sent again (national keeps each scan, row and message
  // once), and the ingest thread's FULL commits sync the shared WAL anyway.
  static Result<std::unique_ptr<UplinkStore>> Open(const std::string& path, const std::string& vfs = "");

  Result<UplinkCursors> Load();
  // The newest scan's id (0 when none).
  Result<std::int64_t> MaxScanId();
  // When the oldest scan not yet up was received; nullopt when all are up.
  Result<std::optional<std::int64_t>> OldestWaitingReceivedMs(std::int64_t uploaded_upto);

  // Appends to `body` (which should hold kUploadColumns and a newline) up
  // to `limit` scans with id > `after`, in id order. Sets how many and the
  // last id.
  Status ReadUpload(std::int64_t after, int limit, std::string& body, int& count, std::int64_t& last_id);

  Status SetUploadedUpto(std::int64_t upto, std::int64_t now_ms);

  // Sets aside the scans with id in (after, last_id] that national refused
  // for good: each is quarantined (kind 'national') with `reason`, once
  // however often this is called, and stays in scans. How many were.
  Result<int> SetAside(std::int64_t after, std::int64_t last_id, const std::string& reason, std::int64_t now_ms);
  // The scans set aside so far, and the latest reason ("" when none).
  Status CountSetAside(std::int64_t& count, std::string& latest_reason);

  // Stores a sync reply: manifest rows (bad ones quarantined), mail once
  // each, and the two cursors, in one transaction.
  struct Applied {
    ManifestImport manifest;
    int mail_new = 0;
  };
  Result<Applied> ApplySync(const Manifest& manifest, std::int64_t manifest_to, const std::vector<MailItem>& mail,
                            std::int64_t now_ms);

  // The newest reconciliation run's id (0 when none): surplus is queued
  // for lookup once per run.
  Result<std::int64_t> LatestReconcileRun();
  // Queues every surplus waybill of an open or notified discrepancy that
  // was never looked up, and again those national did not know when
  // answered before `ask_again_before_ms`. One transaction.
  Status QueueLookups(std::int64_t now_ms, std::int64_t ask_again_before_ms);
  // Up to `limit` queued lookups not yet answered, oldest first.
  Result<std::vector<std::string>> WaitingLookups(int limit);
  Status MarkLookupsSent(const std::vector<std::string>& waybills, std::int64_t now_ms);
  // Stores national's answer: its manifest rows for the waybills found
  // (source 'national-lookup', bad rows quarantined) and every waybill of
  // `found` and `not_found` marked answered, in one transaction.
  Result<ManifestImport> ApplyLookup(const Manifest& rows, const std::vector<std::string>& found,
                                     const std::vector<std::string>& not_found, std::int64_t now_ms);

  Result<std::vector<WaitingPost>> WaitingPosts(int limit);
  Status MarkPosted(const std::string& msg_id, std::int64_t now_ms);
  // National will never take this message (InvalidArgument): it stays in
  // the outbox with `reason` and is no longer offered.
  Status MarkRefused(const std::string& msg_id, const std::string& reason);

 private:
  explicit UplinkStore(std::unique_ptr<Store> store) : store_(std::move(store)) {}
  Status Prepare();
  // Before the kept statements are used: reopens a connection that met a
  // storage fault (RELIABILITY.md §4) and prepares the statements again
  // whenever the Store's connection was replaced (by this or by
  // Store::SaveManifest), since those of a closed connection fail for ever.
  Status Ready();

  std::unique_ptr<Store> store_;
  std::uint64_t prepared_for_ = 0;  // the store's generation() the statements belong to
  std::unique_ptr<sql::Stmt> read_upload_;
  std::unique_ptr<sql::Stmt> set_uploaded_;
  std::unique_ptr<sql::Stmt> insert_mail_;
  std::unique_ptr<sql::Stmt> set_sync_cursors_;
  std::unique_ptr<sql::Stmt> mark_lookup_sent_;
  std::unique_ptr<sql::Stmt> mark_lookup_answered_;
};

}  // namespace station
