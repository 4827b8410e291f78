#include "daemon/desk/desk_pass.h"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "core/log_text.h"

namespace station {
namespace {

// Whether a pass would do anything at `?1` (now): new scans or mail, an
// open case whose alert can go, a case past a deadline not yet marked.
constexpr const char* kAnythingToDo =
    "SELECT (SELECT coalesce(max(id), 0) FROM scans) > d.scans_upto"
    " OR (SELECT coalesce(max(seq), 0) FROM inbox) > d.inbox_upto"
    " OR EXISTS (SELECT 1 FROM problem_cases c WHERE c.state = 'open'"
    "            AND (c.origin_station != '' OR EXISTS (SELECT 1 FROM manifest m WHERE m.waybill = c.waybill)))"
    " OR EXISTS (SELECT 1 FROM problem_cases WHERE state != 'closed' AND ((answer_late = 0 AND answer_due_ms < ?1"
    "            AND state IN ('open', 'notified')) OR (close_late = 0 AND close_due_ms < ?1)))"
    " FROM problem_desk d WHERE d.one = 1";

// Scans after `?1` up to `?2` that matter to cases: problem scans from
// guns (a clerk's are recorded when the clerk opens the case) and any scan
// of a parcel with a case not yet closed.
constexpr const char* kScans =
    "SELECT s.id, s.waybill, s.type, coalesce(s.reason, ''), coalesce(s.note, ''), b.courier, b.device, s.weight_g"
    " FROM scans s JOIN batches b ON b.id = s.batch_id"
    " WHERE s.id > ?1 AND s.id <= ?2 AND s.waybill IS NOT NULL"
    " AND ((s.type = 'problem' AND b.device != 'CLERK')"
    "      OR s.waybill IN (SELECT waybill FROM problem_cases WHERE state != 'closed'))"
    " ORDER BY s.id LIMIT ?3";

// The parcels of new gun problem scans that have no manifest row but were
// picked up here (with their pickup weight, if weighed). Read before the
// write lock, in one query a pass: station.db has no waybill index (it
// would cost the ingest commits), so pickups are looked for among the last
// kPickupWindow scans only (a parcel picked up and reported here is
// reported within days), for at most kPickupsAPass parcels. Under a flood
// of problem scans this bounds the cost of a pass; a parcel not found
// keeps an unknown origin until a manifest row comes.
constexpr std::int64_t kPickupWindow = 500'000;
constexpr std::size_t kPickupsAPass = 64;

}  // namespace

Result<bool> DeskPasses::AnythingToDo(std::int64_t now_ms) {
  auto work = anything_.Get(db_, kAnythingToDo);
  if (!work.ok()) return work.status();
  (*work)->Bind(1, now_ms);
  bool anything = true;
  if (Status s = (*work)->ForEachRow([&](const sql::Stmt& r) { anything = r.ColumnInt(0) != 0; }); !s.ok()) return s;
  return anything;
}

Result<DeskPasses::Pickups> DeskPasses::PickupsHere() {
  Pickups pickups;
  nlohmann::json unmanifested = nlohmann::json::array();
  auto find = unmanifested_.Get(
      db_,
      "SELECT DISTINCT s.waybill FROM scans s JOIN batches b ON b.id = s.batch_id"
      " WHERE s.id > (SELECT scans_upto FROM problem_desk WHERE one = 1) AND s.type = 'problem'"
      " AND b.device != 'CLERK' AND s.waybill IS NOT NULL"
      " AND NOT EXISTS (SELECT 1 FROM manifest m WHERE m.waybill = s.waybill)"
      " AND NOT EXISTS (SELECT 1 FROM problem_cases c WHERE c.waybill = s.waybill AND c.state != 'closed')"
      " LIMIT ?1");
  if (!find.ok()) return find.status();
  (*find)->Bind(1, static_cast<std::int64_t>(kPickupsAPass));
  if (Status s = (*find)->ForEachRow([&](const sql::Stmt& r) { unmanifested.push_back(r.ColumnText(0)); }); !s.ok()) {
    return s;
  }
  if (unmanifested.empty()) return pickups;
  auto pickup = pickups_.Get(
      db_,
      "SELECT waybill, weight_g FROM scans WHERE id > (SELECT coalesce(max(id), 0) FROM scans) - ?1"
      " AND type = 'pickup' AND waybill IN (SELECT value FROM json_each(?2)) ORDER BY id DESC");
  if (!pickup.ok()) return pickup.status();
  (*pickup)->Bind(1, kPickupWindow).Bind(2, unmanifested.dump());
  // Newest first, so the first pickup of a parcel (written last) wins.
  Status s = (*pickup)->ForEachRow([&](const sql::Stmt& r) {
    pickups[r.ColumnText(0)] = r.ColumnIsNull(1) ? std::nullopt : std::optional<std::int64_t>(r.ColumnInt(1));
  });
  if (!s.ok()) return s;
  return pickups;
}

Result<DeskPasses::Cursors> DeskPasses::ReadCursors() {
  auto read = cursors_.Get(db_, "SELECT scans_upto, inbox_upto FROM problem_desk WHERE one = 1");
  if (!read.ok()) return read.status();
  Cursors cursors;
  Status s = (*read)->ForEachRow([&](const sql::Stmt& r) {
    cursors.scans_upto = r.ColumnInt(0);
    cursors.inbox_upto = r.ColumnInt(1);
  });
  if (!s.ok()) return s;
  return cursors;
}

Status DeskPasses::ApplyMail(std::int64_t now_ms, Cursors& cursors, DeskPass& pass) {
  auto mail = mail_.Get(db_, "SELECT seq, from_station, kind, body FROM inbox WHERE seq > ?1 ORDER BY seq");
  if (!mail.ok()) return mail.status();
  (*mail)->Bind(1, cursors.inbox_upto);
  struct Message {
    std::int64_t seq;
    std::string from, kind, body;
  };
  std::vector<Message> messages;
  Status s = (*mail)->ForEachRow([&](const sql::Stmt& r) {
    messages.push_back({r.ColumnInt(0), r.ColumnText(1), r.ColumnText(2), r.ColumnText(3)});
  });
  if (!s.ok()) return s;
  for (const Message& m : messages) {
    cursors.inbox_upto = m.seq;  // every message once, whatever its kind
    if (m.kind != kProblemAlert && m.kind != kProblemAnswer && m.kind != kProblemClosed) continue;
    auto applied = store_.ApplyProblemMessage(m.from, m.kind, m.body, now_ms);
    if (!applied.ok()) return applied.status();
    ++pass.messages;
    spdlog::info("problem message seq={} from={} kind={}: {}", m.seq, LogText(m.from), LogText(m.kind), LogText(*applied));
  }
  return Status::OK();
}

Result<std::vector<ProblemScan>> DeskPasses::ReadScans(const Cursors& cursors, std::int64_t newest,
                                                       std::int64_t limit, const Pickups& pickups) {
  auto read = scans_.Get(db_, kScans);
  if (!read.ok()) return read.status();
  (*read)->Bind(1, cursors.scans_upto).Bind(2, newest).Bind(3, limit);
  std::vector<ProblemScan> scans;
  Status s = (*read)->ForEachRow([&](const sql::Stmt& r) {
    ProblemScan scan;
    scan.id = r.ColumnInt(0);
    scan.waybill = r.ColumnText(1);
    scan.type = r.ColumnText(2);
    scan.reason = r.ColumnText(3);
    scan.note = r.ColumnText(4);
    scan.courier = r.ColumnText(5);
    scan.device = r.ColumnText(6);
    if (!r.ColumnIsNull(7)) scan.weight_g = r.ColumnInt(7);
    if (auto it = pickups.find(scan.waybill); it != pickups.end()) {
      scan.picked_up_here = true;
      scan.pickup_weight_g = it->second;
    }
    scans.push_back(std::move(scan));
  });
  if (!s.ok()) return s;
  return scans;
}

Status DeskPasses::TakeScans(std::int64_t now_ms, const DeskPassLimits& limits,
                             std::chrono::steady_clock::time_point started, const Pickups& pickups, Cursors& cursors,
                             DeskPass& pass) {
  auto newest = newest_.Get(db_, "SELECT coalesce(max(id), 0) FROM scans");
  if (!newest.ok()) return newest.status();
  std::int64_t newest_scan = 0;
  if (Status s = (*newest)->ForEachRow([&](const sql::Stmt& r) { newest_scan = r.ColumnInt(0); }); !s.ok()) return s;
  if (newest_scan <= cursors.scans_upto) return Status::OK();
  auto scans = ReadScans(cursors, newest_scan, limits.scans, pickups);
  if (!scans.ok()) return scans.status();
  // In scan order: a problem scan after the resolution's scan opens a
  // new case rather than undoing the close.
  std::size_t done = 0;
  for (const ProblemScan& scan : *scans) {
    if (done > 0 && std::chrono::steady_clock::now() - started > limits.budget) break;
    ++done;
    if (scan.type == "problem") {
      if (scan.device == "CLERK") continue;
      auto recorded = store_.RecordProblemScan(scan, now_ms);
      if (!recorded.ok()) return recorded.status();
      ++pass.opened_or_added;
    } else {
      auto closed = store_.RecordResolutionScan(scan, now_ms);
      if (!closed.ok()) return closed.status();
      pass.closed += *closed ? 1 : 0;
    }
  }
  // A pass that stopped at a limit ends at its last scan done; the next
  // pass goes on from there.
  pass.more = done < scans->size() || static_cast<std::int64_t>(scans->size()) == limits.scans;
  cursors.scans_upto = pass.more ? (*scans)[done - 1].id : newest_scan;
  return Status::OK();
}

Status DeskPasses::SaveCursors(const Cursors& cursors) {
  auto save = save_.Get(db_, "UPDATE problem_desk SET scans_upto = ?1, inbox_upto = ?2 WHERE one = 1");
  if (!save.ok()) return save.status();
  (*save)->Bind(1, cursors.scans_upto).Bind(2, cursors.inbox_upto);
  return (*save)->Run();
}

Result<DeskPass> DeskPasses::Run(std::int64_t now_ms, const DeskPassLimits& limits) {
  // Each scan may open a case, and the pass holds the write lock: a backlog
  // (a flood of problem scans, a restart after days) is worked off in
  // passes with the lock let go in between (DeskPassLimits).
  const auto started = std::chrono::steady_clock::now();
  DeskPass pass;
  // Most passes find nothing: a read says so without taking the write lock
  // (which the docks' commits need) or syncing a commit twice a second.
  auto anything = AnythingToDo(now_ms);
  if (!anything.ok()) return anything.status();
  if (!*anything) return pass;
  auto pickups = PickupsHere();
  if (!pickups.ok()) return pickups.status();
  auto txn = sql::Txn::Begin(db_);
  if (!txn.ok()) return txn.status();
  auto cursors = ReadCursors();
  if (!cursors.ok()) return cursors.status();
  // Messages first: an answer never waits for a scan, while the scan that
  // carries an answer out must find the case answered (a backlog may hold both).
  if (Status s = ApplyMail(now_ms, *cursors, pass); !s.ok()) return s;
  if (Status s = TakeScans(now_ms, limits, started, *pickups, *cursors, pass); !s.ok()) return s;
  auto sent = store_.SendAlerts(now_ms);
  if (!sent.ok()) return sent.status();
  pass.alerts_sent = *sent;
  auto escalated = store_.EscalateLateCases(now_ms);
  if (!escalated.ok()) return escalated.status();
  pass.escalated = *escalated;
  if (Status s = SaveCursors(*cursors); !s.ok()) return s;
  if (Status s = txn->Commit(); !s.ok()) return s;
  return pass;
}

Result<DeskPass> RunDeskPass(sql::Db& db, const ProblemSettings& settings, std::int64_t now_ms,
                             const DeskPassLimits& limits) {
  return DeskPasses(db, settings).Run(now_ms, limits);
}

}  // namespace station
