#include "daemon/reconcile_run.h"

#include <chrono>
#include <cstdio>
#include <optional>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "scanner/uplink_wire.h"

namespace station {
namespace {

using reconcile::BagId;
using reconcile::Discrepancy;
using reconcile::Kind;
using reconcile::SeenType;
using Clock = std::chrono::steady_clock;

std::int64_t MsSince(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

// "571001" -> 571001; 0 for anything that is not six digits.
std::int32_t StationNumber(std::string_view code) {
  if (code.size() != 6) return 0;
  std::int32_t n = 0;
  for (char c : code) {
    if (c < '0' || c > '9') return 0;
    n = n * 10 + (c - '0');
  }
  return n;
}

std::string StationCode(std::int32_t n) {
  if (n <= 0) return std::string();
  char code[16];
  std::snprintf(code, sizeof code, "%06d", n);
  return code;
}

// The scan types that prove a parcel arrived here (engine.h). Not pickups
// and dispatches, nor problem, held, returned or transferred: those are
// also scanned on parcels this station picked up and is sending out, which
// would then show up as arrivals without a manifest row (surplus).
std::optional<SeenType> PresenceType(std::string_view type) {
  if (type == "arrival") return SeenType::kArrival;
  if (type == "unpack") return SeenType::kUnpack;
  if (type == "out_for_delivery" || type == "signed") return SeenType::kOtherPresence;
  return std::nullopt;
}

// The engine's inputs, with the tables that turn its numbers back into text.
struct Inputs {
  std::vector<reconcile::ManifestItem> manifest;
  std::vector<reconcile::SeenItem> seen;
  reconcile::WaybillKeys waybills;
  std::unordered_map<std::string, BagId> bag_ids;
  std::vector<std::string> bag_names{std::string()};  // BagId 0: no bag

  BagId Bag(std::string_view name) {
    if (name.empty()) return 0;
    auto [it, added] = bag_ids.try_emplace(std::string(name), static_cast<BagId>(bag_names.size()));
    if (added) bag_names.emplace_back(name);
    return it->second;
  }
};

// Ends a read transaction however the load ends.
class ReadTxn {
 public:
  explicit ReadTxn(sql::Db& db) : db_(db) {}
  Status Begin() {
    Status s = db_.Exec("BEGIN");
    open_ = s.ok();
    return s;
  }
  // A read transaction that stayed open would pin the WAL and block every
  // later write on this connection: a failed end is logged loudly.
  ~ReadTxn() {
    if (open_) {
      if (Status s = db_.Exec("ROLLBACK"); !s.ok()) spdlog::error("reconciliation: ending a read failed: {}", s.ToString());
    }
  }

 private:
  sql::Db& db_;
  bool open_ = false;
};

Status Load(sql::Db& db, Inputs& in) {
  // One snapshot for both tables: a scan committed between the two reads
  // must not be counted against a manifest that did not yet know it.
  ReadTxn txn(db);
  if (Status s = txn.Begin(); !s.ok()) return s;
  auto manifest = sql::Stmt::Prepare(db, "SELECT waybill, origin_station, dest_station, dispatched_ms, bag FROM manifest");
  if (!manifest.ok()) return manifest.status();
  Status s = manifest->ForEachRow([&](const sql::Stmt& row) {
    in.manifest.push_back({in.waybills.Key(row.ColumnView(0)), StationNumber(row.ColumnView(1)),
                           StationNumber(row.ColumnView(2)), row.ColumnInt(3), in.Bag(row.ColumnView(4))});
  });
  if (!s.ok()) return s;
  auto scans = sql::Stmt::Prepare(db, "SELECT id, waybill, bag, type FROM scans");
  if (!scans.ok()) return scans.status();
  return scans->ForEachRow([&](const sql::Stmt& row) {
    auto type = PresenceType(row.ColumnView(3));
    if (!type) return;
    const std::string_view waybill = row.ColumnView(1);
    const BagId bag = in.Bag(row.ColumnView(2));
    if (waybill.empty() && bag == 0) return;
    in.seen.push_back({waybill.empty() ? 0 : in.waybills.Key(waybill), bag, *type, row.ColumnInt(0)});
  });
}

// A stored discrepancy with the figures a run may change.
struct Held {
  std::int64_t id = 0;
  std::string state, kind, bag, origin, dest;
  std::int64_t dispatched_ms = 0, count = 0, first_scan_id = 0, bag_missing = 0;
  bool found = false;
};

// A discrepancy's identity (the schema's discrepancies_identity): a parcel
// by its waybill, a whole bag by its bag, whatever else changes about it.
std::string Identity(std::string_view kind, std::string_view waybill, std::string_view bag) {
  std::string id(kind);
  id.push_back('\x1f');
  id.append(kind == "missing_bag" ? bag : waybill);
  return id;
}

struct Changes {
  std::int64_t opened = 0, resolved = 0, notices = 0;
  std::vector<std::int64_t> resolved_after_notice;  // ids: their origin was told they were missing
};

// One digest a run for each origin station (RELIABILITY.md §3c: through the
// outbox, national's mailbox and the origin's inbox, so either station may
// be offline): the parcels it shipped here that are newly missing, and
// those it was told of that have since arrived. Split in parts that fit a
// post (64 KiB). The missing ones become 'notified' in the same
// transaction, so each is told once.
Status Notify(sql::Db& db, const std::string& station, std::int64_t run_id, std::int64_t now_ms,
              Changes& changes) {
  struct Item {
    std::int64_t id;
    nlohmann::json json;
  };
  struct ForOrigin {
    std::vector<Item> missing;
    std::vector<nlohmann::json> resolved;
  };
  std::map<std::string, ForOrigin> by_origin;
  const auto item_json = [](const sql::Stmt& row) {
    nlohmann::json j = {{"kind", row.ColumnText(1)}, {"waybill", row.ColumnText(2)}, {"bag", row.ColumnText(3)},
                        {"dispatched_ms", row.ColumnInt(5)}};
    if (row.ColumnText(1) == "missing") j["whole_bag_missing"] = row.ColumnInt(6) != 0;
    if (row.ColumnText(1) == "missing_bag") j["parcels"] = row.ColumnInt(7);
    return j;
  };
  constexpr const char* kColumns =
      "SELECT id, kind, waybill, bag, origin_station, coalesce(dispatched_ms, 0), bag_missing, count FROM discrepancies";
  auto open = sql::Stmt::Prepare(db, (std::string(kColumns) +
                                      " WHERE state = 'open' AND kind IN ('missing', 'missing_bag')"
                                      " AND origin_station != '' ORDER BY origin_station, kind, waybill, bag")
                                         .c_str());
  if (!open.ok()) return open.status();
  Status s = open->ForEachRow([&](const sql::Stmt& row) {
    by_origin[row.ColumnText(4)].missing.push_back({row.ColumnInt(0), item_json(row)});
  });
  if (!s.ok()) return s;
  auto one = sql::Stmt::Prepare(db, (std::string(kColumns) + " WHERE id = ?1").c_str());
  if (!one.ok()) return one.status();
  for (std::int64_t id : changes.resolved_after_notice) {
    one->Reset();
    one->Bind(1, id);
    s = one->ForEachRow([&](const sql::Stmt& row) {
      if (!row.ColumnText(4).empty()) by_origin[row.ColumnText(4)].resolved.push_back(item_json(row));
    });
    if (!s.ok()) return s;
  }

  auto post = sql::Stmt::Prepare(
      db, "INSERT INTO outbox (msg_id, to_station, kind, body, created_ms) VALUES (?1, ?2, 'missing_digest', ?3, ?4)");
  if (!post.ok()) return post.status();
  auto notified = sql::Stmt::Prepare(db, "UPDATE discrepancies SET state = 'notified', changed_ms = ?2 WHERE id = ?1");
  if (!notified.ok()) return notified.status();
  constexpr std::size_t kMaxPartBytes = kMaxPostBody - 4096;  // items; the envelope takes the rest
  for (auto& [origin, items] : by_origin) {
    // The parts: items in order, a new part when the next would not fit.
    std::vector<nlohmann::json> parts(1, {{"missing", nlohmann::json::array()}, {"resolved", nlohmann::json::array()}});
    std::size_t bytes = 0;
    const auto place = [&](const char* list, nlohmann::json item) {
      const std::size_t size = item.dump().size() + 1;
      if (bytes + size > kMaxPartBytes && bytes > 0) {
        parts.push_back({{"missing", nlohmann::json::array()}, {"resolved", nlohmann::json::array()}});
        bytes = 0;
      }
      parts.back()[list].push_back(std::move(item));
      bytes += size;
    };
    for (Item& m : items.missing) place("missing", std::move(m.json));
    for (nlohmann::json& r : items.resolved) place("resolved", std::move(r));
    for (std::size_t p = 0; p < parts.size(); ++p) {
      nlohmann::json body = {{"type", "missing_digest"}, {"v", 1}, {"from", station}, {"to", origin},
                             {"run", run_id}, {"part", p + 1}, {"parts", parts.size()}, {"created_ms", now_ms},
                             {"missing", parts[p]["missing"]}, {"resolved", parts[p]["resolved"]}};
      // The time makes the id unique even when a run number comes again
      // (a database restored from a backup): national and the origin keep
      // one message per id, and a reused id would be dropped as a resend.
      const std::string msg_id = "rc-" + station + "-" + std::to_string(run_id) + "-" + std::to_string(now_ms) + "-" +
                                 origin + "-" + std::to_string(p + 1);
      const std::string text = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      if (text.size() > kMaxPostBody) {
        return Status::InvalidArgument("digest to " + origin + " is " + std::to_string(text.size()) +
                                " bytes, more than a post carries");
      }
      post->Reset();
      post->Bind(1, msg_id).Bind(2, origin).Bind(3, text).Bind(4, now_ms);
      if (Status st = post->Run(); !st.ok()) return st;
      ++changes.notices;
    }
    for (const Item& m : items.missing) {
      notified->Reset();
      notified->Bind(1, m.id).Bind(2, now_ms);
      if (Status st = notified->Run(); !st.ok()) return st;
    }
  }
  return Status::OK();
}

Result<Changes> Store(sql::Db& db, const Inputs& in, const reconcile::Report& report, std::int64_t run_id,
                      std::int64_t now_ms) {
  std::unordered_map<std::string, Held> held;
  auto read = sql::Stmt::Prepare(db,
                                 "SELECT id, kind, waybill, bag, state, count, coalesce(first_scan_id, 0),"
                                 " origin_station, dest_station, coalesce(dispatched_ms, 0), bag_missing"
                                 " FROM discrepancies");
  if (!read.ok()) return read.status();
  Status s = read->ForEachRow([&](const sql::Stmt& row) {
    Held h;
    h.id = row.ColumnInt(0);
    h.kind = row.ColumnText(1);
    h.bag = row.ColumnText(3);
    h.state = row.ColumnText(4);
    h.count = row.ColumnInt(5);
    h.first_scan_id = row.ColumnInt(6);
    h.origin = row.ColumnText(7);
    h.dest = row.ColumnText(8);
    h.dispatched_ms = row.ColumnInt(9);
    h.bag_missing = row.ColumnInt(10);
    held.emplace(Identity(row.ColumnView(1), row.ColumnView(2), row.ColumnView(3)), std::move(h));
  });
  if (!s.ok()) return s;

  auto insert = sql::Stmt::Prepare(
      db,
      "INSERT INTO discrepancies (kind, waybill, bag, origin_station, dest_station, dispatched_ms, first_scan_id,"
      " count, bag_missing, state, opened_ms, changed_ms, last_run)"
      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'open', ?10, ?10, ?11)");
  if (!insert.ok()) return insert.status();
  // A resolved one found again is open again (a parcel seen, then the scan
  // that saw it turned out to be another's); the figures follow the run.
  auto update = sql::Stmt::Prepare(
      db,
      "UPDATE discrepancies SET count = ?2, first_scan_id = ?3, last_run = ?4, bag = ?6, origin_station = ?7,"
      " dest_station = ?8, dispatched_ms = ?9, bag_missing = ?10,"
      " state = CASE state WHEN 'resolved' THEN 'open' ELSE state END,"
      " changed_ms = CASE state WHEN 'resolved' THEN ?5 ELSE changed_ms END WHERE id = ?1");
  if (!update.ok()) return update.status();
  auto resolve = sql::Stmt::Prepare(
      db, "UPDATE discrepancies SET state = 'resolved', changed_ms = ?2, last_run = ?3 WHERE id = ?1");
  if (!resolve.ok()) return resolve.status();

  Changes changes;
  for (const Discrepancy& d : report.items) {
    const char* kind = reconcile::KindName(d.kind);
    const std::string waybill = d.waybill ? in.waybills.Text(d.waybill) : std::string();
    const std::string& bag = d.bag < in.bag_names.size() ? in.bag_names[d.bag] : in.bag_names[0];
    const std::int64_t count = d.count ? d.count : 1;
    auto it = held.find(Identity(kind, waybill, bag));
    if (it == held.end()) {
      insert->Reset();
      insert->Bind(1, kind).Bind(2, waybill).Bind(3, bag).Bind(4, StationCode(d.origin_station));
      insert->Bind(5, StationCode(d.dest_station));
      if (d.dispatched_ms) insert->Bind(6, d.dispatched_ms);
      if (d.first_scan_id) insert->Bind(7, d.first_scan_id);
      insert->Bind(8, count).Bind(9, std::int64_t{d.bag_missing}).Bind(10, now_ms).Bind(11, run_id);
      if (Status st = insert->Run(); !st.ok()) return st;
      ++changes.opened;
      continue;
    }
    Held& h = it->second;
    h.found = true;
    if (h.state == "closed") continue;  // a clerk's decision stands
    const std::string origin = StationCode(d.origin_station), dest = StationCode(d.dest_station);
    if (h.state != "resolved" && h.count == count && h.first_scan_id == d.first_scan_id && h.bag == bag &&
        h.origin == origin && h.dest == dest && h.dispatched_ms == d.dispatched_ms &&
        h.bag_missing == std::int64_t{d.bag_missing}) {
      continue;  // nothing changed: no write
    }
    update->Reset();
    update->Bind(1, h.id).Bind(2, count);
    if (d.first_scan_id) update->Bind(3, d.first_scan_id);
    update->Bind(4, run_id).Bind(5, now_ms).Bind(6, bag).Bind(7, origin).Bind(8, dest);
    if (d.dispatched_ms) update->Bind(9, d.dispatched_ms);
    update->Bind(10, std::int64_t{d.bag_missing});
    if (Status st = update->Run(); !st.ok()) return st;
  }
  for (auto& [identity, h] : held) {
    if (h.found || (h.state != "open" && h.state != "notified")) continue;
    // Only a parcel's own arrival is news for its origin: a whole bag stops
    // being "missing" as soon as one of its parcels turns up, while the
    // others may still be missing (and are reported so, parcel by parcel).
    if (h.state == "notified" && h.kind == "missing") changes.resolved_after_notice.push_back(h.id);
    resolve->Reset();
    resolve->Bind(1, h.id).Bind(2, now_ms).Bind(3, run_id);
    if (Status st = resolve->Run(); !st.ok()) return st;
    ++changes.resolved;
  }
  return changes;
}

}  // namespace

Result<ReconcileRunSummary> RunReconciliation(sql::Db& db, const ReconcileSettings& settings,
                                              const std::string& trigger, std::int64_t now_ms) {
  reconcile::Config config;
  config.station = StationNumber(settings.station);
  if (config.station == 0) return Status::InvalidArgument("station '" + settings.station + "'", "not a station code");
  if (settings.grace_ms < 0) return Status::InvalidArgument("grace", "must not be negative");
  config.now_ms = now_ms;
  config.grace_ms = settings.grace_ms;
  for (const auto& [origin, ms] : settings.grace_by_origin_ms) {
    const std::int32_t n = StationNumber(origin);
    if (n == 0) return Status::InvalidArgument("grace for origin '" + origin + "'", "not a station code");
    if (ms < 0) return Status::InvalidArgument("grace for origin " + origin, "must not be negative");
    config.grace_by_origin_ms[n] = ms;
  }

  ReconcileRunSummary summary;
  summary.trigger = trigger;
  summary.started_ms = now_ms;
  const Clock::time_point start = Clock::now();
  Inputs in;
  if (Status s = Load(db, in); !s.ok()) return s;
  summary.load_ms = MsSince(start);
  summary.scans_read = static_cast<std::int64_t>(in.seen.size());

  const Clock::time_point engine_start = Clock::now();
  const reconcile::Report report =
      reconcile::Classify(in.manifest, in.seen, static_cast<BagId>(in.bag_names.size() - 1), config);
  summary.engine_ms = MsSince(engine_start);
  summary.manifest_to_station = report.manifest_to_station;
  summary.arrived = report.arrived;
  summary.within_grace = report.within_grace;
  for (int k = 0; k < reconcile::kKindCount; ++k) {
    summary.found[k] = report.counts[k];
    summary.found_total += report.counts[k];
  }

  const Clock::time_point store_start = Clock::now();
  auto txn = sql::Txn::Begin(db);
  if (!txn.ok()) return txn.status();
  auto next_id = db.QueryInt("SELECT coalesce(max(id), 0) + 1 FROM reconcile_runs");
  if (!next_id.ok()) return next_id.status();
  summary.run_id = *next_id;
  auto changes = Store(db, in, report, summary.run_id, now_ms);
  if (!changes.ok()) return changes.status();
  if (Status s = Notify(db, settings.station, summary.run_id, now_ms, *changes); !s.ok()) return s;
  summary.opened = changes->opened;
  summary.resolved = changes->resolved;
  summary.notices = changes->notices;
  summary.store_ms = MsSince(store_start);
  summary.total_ms = MsSince(start);
  summary.finished_ms = now_ms + summary.total_ms;
  auto run = sql::Stmt::Prepare(
      db,
      "INSERT INTO reconcile_runs (id, started_ms, finished_ms, trigger, manifest_to_station, arrived, within_grace,"
      " scans_read, found, opened, resolved, engine_ms, total_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10,"
      " ?11, ?12, ?13)");
  if (!run.ok()) return run.status();
  run->Bind(1, summary.run_id).Bind(2, summary.started_ms).Bind(3, summary.finished_ms).Bind(4, trigger);
  run->Bind(5, summary.manifest_to_station).Bind(6, summary.arrived).Bind(7, summary.within_grace);
  run->Bind(8, summary.scans_read).Bind(9, summary.found_total).Bind(10, summary.opened).Bind(11, summary.resolved);
  run->Bind(12, summary.engine_ms).Bind(13, summary.total_ms);
  if (Status s = run->Run(); !s.ok()) return s;
  if (Status s = txn->Commit(); !s.ok()) return s;
  return summary;
}

}  // namespace station
