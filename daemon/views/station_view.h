#pragma once
// What the clerk sees of a station database, read-only. Safe beside a
// running stationd: WAL lets readers run while it writes.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "daemon/storage/upload_backlog.h"
#include "sql/sqlite.h"

namespace station {

struct DockSummary {
  std::string who;  // the device or courier
  std::string device;
  std::string courier;
  std::string batch;
  std::int64_t received_ms = 0;
  std::int64_t docks = 0;     // batch messages from this device/courier
  std::int64_t accepted = 0;  // rows stored from it, in all
};

struct StationSummary {
  std::int64_t scans = 0;
  std::map<std::string, std::int64_t> scans_by_type;
  // Scans stored with a gun clock off (schema 7, scans.clock_flag): kept
  // and counted like the others, flagged so the clerk sets the gun's clock.
  std::int64_t clock_future = 0;
  std::int64_t clock_past = 0;
  std::map<std::string, std::int64_t> quarantine_by_kind;
  std::vector<DockSummary> by_device;
  std::vector<DockSummary> by_courier;
  // The national link as recorded in the database (the live link state
  // comes from the running stationd).
  std::int64_t newest_scan_id = 0;
  std::int64_t uploaded_upto = 0;
  std::int64_t last_upload_ms = 0;     // 0: never
  std::int64_t oldest_waiting_ms = 0;  // received time of the oldest scan not up; 0: none
  std::int64_t manifest_rows = 0;
  std::int64_t inbox = 0;           // messages from other stations
  std::int64_t outbox_waiting = 0;  // messages to other stations not yet at national
  std::int64_t outbox_refused = 0;  // messages national refused for good (outbox.refused)

  // Scans stored but not yet held at national, as UploadBacklog::scans() counts them.
  std::int64_t upload_backlog() const {
    return UploadBacklog{newest_scan_id, uploaded_upto, last_upload_ms, oldest_waiting_ms}.scans();
  }
};

struct ScanRow {
  std::int64_t id = 0;  // scans.id: the id national knows the scan by (an upload's "id" column)
  std::string waybill, bag, type, scan_time, station, courier, device, batch, peer_station, reason, note;
  std::int64_t seq = 0, scan_time_ms = 0, received_ms = 0;
  std::optional<std::int64_t> weight_g;
  bool bag_scan = false;  // a scan of the bag the parcel travelled in
  std::string clock_flag;  // "future", "past"; "" when the gun's clock looked right
};

struct QuarantineRow {
  std::int64_t id = 0;
  std::string kind, device, courier, batch, raw, reason;
  std::int64_t line = 0, seq = 0, received_ms = 0;
};

// Which discrepancies to list. Values are the database's own (kind
// 'missing', state 'open', ...); the caller checks them.
struct DiscrepancyFilter {
  std::string kind;                 // empty: every kind
  std::string origin;               // origin station; empty: every origin
  std::vector<std::string> states;  // at most the four states; empty: every state
  std::size_t limit = 0;            // rows returned at most; 0: no limit
};

struct DiscrepancyRow {
  std::int64_t id = 0;
  std::string kind, waybill, bag, origin_station, dest_station, state, note, closed_by;
  std::int64_t dispatched_ms = 0;  // 0: not manifested
  std::int64_t first_scan_id = 0;  // 0: none (missing, missing_bag)
  std::int64_t count = 0, opened_ms = 0, changed_ms = 0, last_run = 0;
  bool bag_missing = false;
};

struct DiscrepancyList {
  std::vector<DiscrepancyRow> rows;  // newest first, at most filter.limit
  // Over every row the filter matches, the limit aside.
  std::int64_t matched = 0;
  std::map<std::string, std::int64_t> by_kind, by_state;
};

// Which problem cases to list. Values are the database's own (state
// 'open', reason 'wrong_phone'); the caller checks them.
struct ProblemFilter {
  std::vector<std::string> states;  // empty: every state
  std::string reason;               // empty: every reason
  // Only cases past a deadline: those stationd's desk has escalated, and,
  // when late_at_ms is set, those past a deadline at that time (the desk
  // marks them within a tick while it runs; it may run on a test clock).
  bool overdue = false;
  std::optional<std::int64_t> late_at_ms;
  std::size_t limit = 0;  // rows returned at most; 0: no limit
};

// A problem case as stored (schema 6, daemon/storage/schema.cc). Times are Unix
// ms, 0 when not yet; text is '' when not set.
struct ProblemCaseRow {
  std::string case_no, waybill, reason, origin_station, state, opened_by, note, suggestion;
  std::int64_t opened_ms = 0, answer_due_ms = 0, close_due_ms = 0, problem_scans = 0;
  std::optional<std::int64_t> weight_g, reference_weight_g;
  bool answer_late = false, close_late = false;  // escalated past that deadline
  std::string resolution, resolution_address, answer_note, answered_by;
  std::string resolution_phone;  // in full: whoever shows it masks it but for the case's own clerk (DESIGN §7)
  std::int64_t answered_ms = 0, closed_ms = 0;
  std::string closed_by, close_note;
  std::optional<std::int64_t> closed_by_scan_id;  // nullopt on a closed case: closed by hand
  // The recipient's number from the manifest, already masked (138****5678):
  // no clerk's command shows it in full. '' when the manifest has none.
  std::string recipient_phone_masked;
  bool escalated() const { return answer_late || close_late; }
};

struct ProblemCaseList {
  std::vector<ProblemCaseRow> rows;  // newest opened first, at most filter.limit
  std::int64_t matched = 0;          // every row the filter matches, the limit aside
  std::map<std::string, std::int64_t> by_state;
};

// One line of a case's audit trail.
struct ProblemEventRow {
  std::int64_t at_ms = 0;
  std::string actor, event, detail;
};

struct ProblemCaseDetail {
  ProblemCaseRow fields;
  std::vector<ProblemEventRow> events;  // oldest first
};

// An alert another station sent about a parcel this station shipped (its
// side as the origin), with how this station answered.
struct ProblemAlertRow {
  std::string case_no, from_station, waybill, reason, state, resolution, answered_by;
  std::string body;  // the alert's JSON as it came (written by the other station: check it)
  std::int64_t received_ms = 0, answered_ms = 0, closed_ms = 0;
};

// Scans, batch messages or quarantined rows received in the last 1, 5 and
// 15 minutes (by received_ms, the station's clock).
struct RecentCounts {
  std::int64_t last_1m = 0, last_5m = 0, last_15m = 0;
};

// The monitoring figures (stationctl status, stationd --metrics). Every one
// is read through an index or the rowid, never a scan of a big table, so
// asking every few seconds costs little with millions of scans.
struct StationFigures {
  std::int64_t at_ms = 0;  // the time the windows end
  // Cumulative since the database was made (they only grow): the highest
  // id of each table. Ids are given in commit order and never reused, and
  // a row is never deleted while it is young, so these count rows ever
  // stored, pruned ones included.
  std::int64_t scans_stored = 0;       // scans.id
  std::int64_t batches = 0;            // batches.id: distinct gun batches
  std::int64_t docks = 0;              // docks.id: batch messages received (a re-dock counts again)
  std::int64_t quarantined = 0;        // quarantine.id: rows that could not be stored as scans
  std::int64_t scans_uploaded = 0;     // uplink_state.uploaded_upto: held at national
  RecentCounts scans_received, docks_received, quarantined_received;
  // Backlogs.
  std::int64_t upload_backlog = 0;     // scans not yet held at national
  std::int64_t oldest_waiting_ms = 0;  // received time of the oldest of them; 0: none
  std::int64_t last_upload_ms = 0;     // 0: never
  std::int64_t outbox_waiting = 0;     // messages to other stations not yet posted at national
  std::int64_t index_lag = -1;         // scans not yet in the waybill index; -1: no index yet
  std::map<std::string, std::int64_t> discrepancies_open;  // by kind: state open or notified
  std::int64_t problem_cases_open = 0;     // not closed
  std::int64_t problem_cases_overdue = 0;  // of those, escalated past a deadline
  // On disk, in bytes (0 when the file is not there).
  std::int64_t db_bytes = 0, wal_bytes = 0, index_bytes = 0;
};

class StationView {
 public:
  // Opens the database of `data_dir` read-only; kNotFound when there is none.
  static Result<std::unique_ptr<StationView>> Open(const std::string& data_dir);

  Result<StationSummary> Summary();
  // The monitoring figures at `now_ms`, in one short read transaction.
  Result<StationFigures> Figures(std::int64_t now_ms);
  // Every scan of the waybill, and of the bags it travelled in, by scan time.
  Result<std::vector<ScanRow>> History(const std::string& waybill);
  // Quarantined records, newest first: at most `limit` (0: all) of `kind`
  // ("" for every kind).
  Result<std::vector<QuarantineRow>> Quarantine(const std::string& kind, std::size_t limit);
  // Discrepancies the reconciliation holds, newest opened first, and their
  // counts. kNotFound when the database predates them (schema below 3).
  Result<DiscrepancyList> Discrepancies(const DiscrepancyFilter& filter);
  // Problem cases (issue 5), newest opened first. kNotFound when the
  // database predates them (schema below 6).
  Result<ProblemCaseList> Problems(const ProblemFilter& filter);
  // One case with its whole audit trail; kNotFound when there is no such case.
  Result<ProblemCaseDetail> ProblemCase(const std::string& case_no);
  // Every problem alert held, newest received first. kNotFound when the
  // database predates them.
  Result<std::vector<ProblemAlertRow>> ProblemAlerts();

 private:
  // kNotFound naming `what` when the schema is older than `version`.
  Status RequireSchema(int version, const std::string& what);

  StationView(sql::Db db, bool has_index, std::string data_dir)
      : db_(std::move(db)), has_index_(has_index), data_dir_(std::move(data_dir)) {}
  sql::Db db_;
  bool has_index_;
  std::string data_dir_;
};

}  // namespace station
