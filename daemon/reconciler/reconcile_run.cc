#include "daemon/reconciler/reconcile_run.h"

#include <chrono>
#include <functional>
#include <optional>
#include <vector>

#include <absl/container/flat_hash_map.h>
#include <spdlog/spdlog.h>

#include "daemon/reconciler/discrepancy_store.h"
#include "reconcile/ledger.h"

namespace station {
namespace {

using reconcile::BagId;
using reconcile::SeenType;
using SteadyClock = std::chrono::steady_clock;

std::int64_t MsSince(SteadyClock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - start).count();
}

// "571001" -> 571002: a station code as the engine's number, one more
// than its value, because the engine's 0 means "no station" (a parcel with
// no manifest row) and "000000" is a code like any other. 0 for anything
// that is not six digits. discrepancy_store.cc's StationCode undoes it.
std::int32_t StationNumber(std::string_view code) {
  if (code.size() != 6) return 0;
  std::int32_t n = 0;
  for (char c : code) {
    if (c < '0' || c > '9') return 0;
    n = n * 10 + (c - '0');
  }
  return n + 1;
}

// What each scan type says about a parcel's presence here (engine.h).
// Pickups, dispatches, problems, held, returned and transferred are also
// scanned on parcels this station picked up and is sending out: they show
// that a parcel manifested here has arrived (a damaged box scanned only as
// a problem was here), but never make a surplus or a misroute.
std::optional<SeenType> PresenceType(std::string_view type) {
  if (type == "arrival") return SeenType::kArrival;
  if (type == "unpack") return SeenType::kUnpack;
  if (type == "out_for_delivery" || type == "signed") return SeenType::kOtherPresence;
  if (type == "problem" || type == "held" || type == "returned" || type == "transferred" || type == "dispatch" ||
      type == "pickup") {
    return SeenType::kWeakPresence;
  }
  return std::nullopt;
}

}  // namespace

// What the runner keeps between runs: the ledger, the tables that turn
// its numbers back into text, and how far it has read.
struct ReconcileRunner::Memory {
  explicit Memory(const reconcile::Config& config) : ledger(config) {}

  reconcile::Ledger ledger;
  reconcile::WaybillKeys waybills;
  absl::flat_hash_map<std::string, BagId> bag_ids;  // looked up by string_view: no copy a row
  std::vector<std::string> bag_names{std::string()};  // BagId 0: no bag
  std::int64_t scans_upto = 0;    // scans.id: every scan up to it is in the ledger
  std::int64_t changes_upto = 0;  // manifest_changes.id: every change up to it is in the ledger

  BagId Bag(std::string_view name) {
    if (name.empty()) return 0;
    // Debian's Abseil has its own string_view type.
    if (auto it = bag_ids.find(absl::string_view(name.data(), name.size())); it != bag_ids.end()) return it->second;
    const BagId id = static_cast<BagId>(bag_names.size());
    bag_ids.emplace(std::string(name), id);
    bag_names.emplace_back(name);
    return id;
  }

  // A manifest row from columns (waybill, origin, dest, dispatched_ms, bag) at `col`.
  reconcile::ManifestItem Row(const sql::Stmt& row, int col) {
    return {waybills.Key(row.ColumnView(col)), StationNumber(row.ColumnView(col + 1)),
            StationNumber(row.ColumnView(col + 2)), row.ColumnInt(col + 3), Bag(row.ColumnView(col + 4))};
  }

  // Scans after scans_upto, each that counts handed to `take`; how many were read.
  Result<std::int64_t> ReadScans(sql::Db& db, const std::function<void(const reconcile::SeenItem&)>& take) {
    auto scans = sql::Stmt::Prepare(db, "SELECT id, waybill, bag, type FROM scans WHERE id > ?1 ORDER BY id");
    if (!scans.ok()) return scans.status();
    scans->Bind(1, scans_upto);
    std::int64_t read = 0;
    Status s = scans->ForEachRow([&](const sql::Stmt& row) {
      ++read;
      scans_upto = row.ColumnInt(0);
      auto type = PresenceType(row.ColumnView(3));
      if (!type) return;
      const std::string_view waybill = row.ColumnView(1);
      const BagId bag = Bag(row.ColumnView(2));
      if (waybill.empty() && bag == 0) return;
      take({waybill.empty() ? 0 : waybills.Key(waybill), bag, *type, row.ColumnInt(0)});
    });
    if (!s.ok()) return s;
    return read;
  }

  // Everything: the whole manifest and every scan, in one snapshot (a scan
  // committed between two reads must not be counted against a manifest
  // that did not yet know it).
  Status ReadAll(sql::Db& db, ReconcileRunSummary& summary) {
    auto txn = sql::ReadTxn::Begin(db);
    if (!txn.ok()) return txn.status();
    auto last_change = db.QueryInt("SELECT coalesce(max(id), 0) FROM manifest_changes");
    if (!last_change.ok()) return last_change.status();
    changes_upto = *last_change;
    std::vector<reconcile::ManifestItem> rows;
    auto manifest = sql::Stmt::Prepare(db, "SELECT waybill, origin_station, dest_station, dispatched_ms, bag FROM manifest");
    if (!manifest.ok()) return manifest.status();
    Status s = manifest->ForEachRow([&](const sql::Stmt& row) { rows.push_back(Row(row, 0)); });
    if (!s.ok()) return s;
    std::vector<reconcile::SeenItem> seen;
    auto scans = ReadScans(db, [&](const reconcile::SeenItem& item) { seen.push_back(item); });
    if (!scans.ok()) return scans.status();
    summary.manifest_read = static_cast<std::int64_t>(rows.size());
    summary.scans_read = *scans;
    ledger.Load(rows, seen);
    return Status::OK();
  }

  // What changed since the last run, in one snapshot: each changed
  // waybill's row as it is now (or its removal), and the new scans.
  Status ReadChanges(sql::Db& db, ReconcileRunSummary& summary) {
    auto txn = sql::ReadTxn::Begin(db);
    if (!txn.ok()) return txn.status();
    auto changed = sql::Stmt::Prepare(
        db,
        "SELECT c.id, m.waybill, m.origin_station, m.dest_station, m.dispatched_ms, m.bag, c.waybill"
        " FROM manifest_changes c LEFT JOIN manifest m ON m.waybill = c.waybill WHERE c.id > ?1 ORDER BY c.id");
    if (!changed.ok()) return changed.status();
    changed->Bind(1, changes_upto);
    Status s = changed->ForEachRow([&](const sql::Stmt& row) {
      changes_upto = row.ColumnInt(0);
      ++summary.manifest_read;
      if (row.ColumnIsNull(1)) {
        ledger.RemoveManifest(waybills.Key(row.ColumnView(6)));
      } else {
        ledger.SetManifest(Row(row, 1));
      }
    });
    if (!s.ok()) return s;
    auto scans = ReadScans(db, [&](const reconcile::SeenItem& item) { ledger.AddSeen(item); });
    if (!scans.ok()) return scans.status();
    summary.scans_read = *scans;
    return Status::OK();
  }
};

Status ReconcileRunner::Tidy(sql::Db& db) {
  if (!memory_) return Status::OK();
  // In slices, each its own short transaction: after an import of a
  // million rows one DELETE would hold the write lock the docks need.
  auto applied = sql::Stmt::Prepare(
      db, "DELETE FROM manifest_changes WHERE id IN (SELECT id FROM manifest_changes WHERE id <= ?1 ORDER BY id LIMIT 10000)");
  if (!applied.ok()) return applied.status();
  for (int slice = 0; slice < 100'000; ++slice) {
    applied->Reset();
    applied->Bind(1, memory_->changes_upto);
    if (Status s = applied->Run(); !s.ok()) return s;
    if (db.Changes() == 0) break;
  }
  return Status::OK();
}

void ReconcileRunner::ReadEverythingNext() { memory_.reset(); }

ReconcileRunner::ReconcileRunner(const ReconcileSettings& settings, const reconcile::Config& config)
    : settings_(settings), config_(config) {}
ReconcileRunner::~ReconcileRunner() = default;

Result<std::unique_ptr<ReconcileRunner>> ReconcileRunner::Make(const ReconcileSettings& settings) {
  reconcile::Config config;
  config.station = StationNumber(settings.station);
  if (config.station == 0) return Status::InvalidArgument("station '" + settings.station + "'", "not a station code");
  if (settings.grace_ms < 0) return Status::InvalidArgument("grace", "must not be negative");
  config.grace_ms = settings.grace_ms;
  for (const auto& [origin, ms] : settings.grace_by_origin_ms) {
    const std::int32_t n = StationNumber(origin);
    if (n == 0) return Status::InvalidArgument("grace for origin '" + origin + "'", "not a station code");
    if (ms < 0) return Status::InvalidArgument("grace for origin " + origin, "must not be negative");
    config.grace_by_origin_ms[n] = ms;
  }
  return std::unique_ptr<ReconcileRunner>(new ReconcileRunner(settings, config));
}

Result<ReconcileRunSummary> ReconcileRunner::Run(sql::Db& db, const std::string& trigger, std::int64_t now_ms) {
  // When a run fails the ledger may have moved on while the database has
  // not: the next run starts again from the database.
  try {
    Result<ReconcileRunSummary> result = RunOnce(db, trigger, now_ms);
    if (!result.ok()) memory_.reset();
    return result;
  } catch (...) {  // out of memory, most likely: the caller reports it
    memory_.reset();
    throw;
  }
}

Result<ReconcileRunSummary> ReconcileRunner::RunOnce(sql::Db& db, const std::string& trigger, std::int64_t now_ms) {
  ReconcileRunSummary summary;
  summary.trigger = trigger;
  summary.started_ms = now_ms;
  summary.full = memory_ == nullptr;
  const SteadyClock::time_point start = SteadyClock::now();
  if (summary.full) memory_ = std::make_unique<Memory>(config_);
  Memory& memory = *memory_;
  Status read = summary.full ? memory.ReadAll(db, summary) : memory.ReadChanges(db, summary);
  if (!read.ok()) return read;
  summary.load_ms = MsSince(start);

  const SteadyClock::time_point engine_start = SteadyClock::now();
  const reconcile::LedgerChanges changes = memory.ledger.Update(now_ms);
  const reconcile::Report figures = memory.ledger.Figures();
  summary.engine_ms = MsSince(engine_start);
  summary.manifest_to_station = figures.manifest_to_station;
  summary.arrived = figures.arrived;
  summary.within_grace = figures.within_grace;
  for (int k = 0; k < reconcile::kKindCount; ++k) {
    summary.found[k] = figures.counts[k];
    summary.found_total += figures.counts[k];
  }

  const SteadyClock::time_point store_start = SteadyClock::now();
  auto txn = sql::Txn::Begin(db);
  if (!txn.ok()) return txn.status();
  auto next_id = db.QueryInt("SELECT coalesce(max(id), 0) + 1 FROM reconcile_runs");
  if (!next_id.ok()) return next_id.status();
  summary.run_id = *next_id;
  const DiscrepancyNames names{memory.waybills, memory.bag_names, [&memory](const std::string& waybill) {
                                  return memory.ledger.Arrived(memory.waybills.Key(waybill));
                                }};
  // A full run's first Update looked at every waybill and bag: what it
  // found is everything there is.
  auto stored = summary.full ? StoreAllFound(db, names, changes.found, summary.run_id, now_ms)
                             : StoreChanges(db, names, changes, summary.run_id, now_ms);
  if (!stored.ok()) return stored.status();
  if (Status s = NotifyOrigins(db, settings_.station, summary.run_id, now_ms, *stored); !s.ok()) return s;
  summary.opened = stored->opened;
  summary.resolved = stored->resolved;
  summary.notices = stored->notices;
  summary.store_ms = MsSince(store_start);
  summary.total_ms = MsSince(start);
  summary.finished_ms = now_ms + summary.total_ms;
  auto run = sql::Stmt::Prepare(
      db,
      "INSERT INTO reconcile_runs (id, started_ms, finished_ms, trigger, manifest_to_station, arrived, within_grace,"
      " scans_read, found, opened, resolved, engine_ms, total_ms, full, manifest_read) VALUES (?1, ?2, ?3, ?4, ?5,"
      " ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)");
  if (!run.ok()) return run.status();
  run->Bind(1, summary.run_id).Bind(2, summary.started_ms).Bind(3, summary.finished_ms).Bind(4, trigger);
  run->Bind(5, summary.manifest_to_station).Bind(6, summary.arrived).Bind(7, summary.within_grace);
  run->Bind(8, summary.scans_read).Bind(9, summary.found_total).Bind(10, summary.opened).Bind(11, summary.resolved);
  run->Bind(12, summary.engine_ms).Bind(13, summary.total_ms).Bind(14, std::int64_t{summary.full});
  run->Bind(15, summary.manifest_read);
  if (Status s = run->Run(); !s.ok()) return s;
  if (Status s = txn->Commit(); !s.ok()) return s;
  return summary;
}

}  // namespace station
