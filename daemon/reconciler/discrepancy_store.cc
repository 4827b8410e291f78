#include "daemon/reconciler/discrepancy_store.h"

#include <cstdio>
#include <map>
#include <optional>
#include <unordered_map>

#include "daemon/storage/outbox.h"
#include "wire/national.h"
#include "wire/station.h"

namespace station {
namespace {

using reconcile::Discrepancy;
using reconcile::Kind;

// The engine's station number (reconcile_run.cc: the code's value plus
// one) back to its code; "" for 0, no station.
std::string StationCode(std::int32_t n) {
  if (n <= 0) return std::string();
  char code[16];
  std::snprintf(code, sizeof code, "%06d", n - 1);
  return code;
}

// A stored discrepancy with the figures a run may change.
struct Held {
  std::int64_t id = 0;
  std::string state, kind, waybill, bag, origin, dest;
  std::int64_t dispatched_ms = 0, count = 0, first_scan_id = 0, bag_missing = 0;
  bool found = false;
};

constexpr const char* kHeldColumns =
    "SELECT id, kind, waybill, bag, state, count, coalesce(first_scan_id, 0), origin_station, dest_station,"
    " coalesce(dispatched_ms, 0), bag_missing FROM discrepancies";

Held ReadHeld(const sql::Stmt& row) {
  Held h;
  h.id = row.ColumnInt(0);
  h.kind = row.ColumnText(1);
  h.waybill = row.ColumnText(2);
  h.bag = row.ColumnText(3);
  h.state = row.ColumnText(4);
  h.count = row.ColumnInt(5);
  h.first_scan_id = row.ColumnInt(6);
  h.origin = row.ColumnText(7);
  h.dest = row.ColumnText(8);
  h.dispatched_ms = row.ColumnInt(9);
  h.bag_missing = row.ColumnInt(10);
  return h;
}

// A discrepancy's identity (the schema's discrepancies_identity): a parcel
// by its waybill, a whole bag by its bag, whatever else changes about it.
std::string IdentityKey(std::string_view kind, std::string_view waybill, std::string_view bag) {
  std::string id(kind);
  id.push_back('\x1f');
  id.append(kind == "missing_bag" ? bag : waybill);
  return id;
}

// The statements a run writes with, prepared once a run.
class Writer {
 public:
  Writer(sql::Db& db, const DiscrepancyNames& names, std::int64_t run_id, std::int64_t now_ms)
      : db_(db), names_(names), run_id_(run_id), now_ms_(now_ms) {}

  Status Prepare() {
    const std::pair<std::optional<sql::Stmt>*, std::string> statements[] = {
        {&insert_,
         "INSERT INTO discrepancies (kind, waybill, bag, origin_station, dest_station, dispatched_ms, first_scan_id,"
         " count, bag_missing, state, opened_ms, changed_ms, last_run)"
         " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'open', ?10, ?10, ?11)"},
        // A resolved one found again is open again (a parcel seen, then the
        // scan that saw it turned out to be another's); figures follow the run.
        {&update_,
         "UPDATE discrepancies SET count = ?2, first_scan_id = ?3, last_run = ?4, bag = ?6, origin_station = ?7,"
         " dest_station = ?8, dispatched_ms = ?9, bag_missing = ?10,"
         " state = CASE state WHEN 'resolved' THEN 'open' ELSE state END,"
         " changed_ms = CASE state WHEN 'resolved' THEN ?5 ELSE changed_ms END WHERE id = ?1"},
        {&resolve_, "UPDATE discrepancies SET state = 'resolved', changed_ms = ?2, last_run = ?3 WHERE id = ?1"},
        // Uses discrepancies_identity: the same expression as the index.
        {&lookup_, std::string(kHeldColumns) +
                       " WHERE kind = ?1 AND (CASE kind WHEN 'missing_bag' THEN bag ELSE waybill END) = ?2"},
    };
    for (auto& [slot, text] : statements) {
      auto stmt = sql::Stmt::Prepare(db_, text.c_str());
      if (!stmt.ok()) return stmt.status();
      slot->emplace(std::move(*stmt));
    }
    return Status::OK();
  }

  std::string Waybill(const Discrepancy& d) const { return d.waybill ? names_.waybills.Text(d.waybill) : std::string(); }
  const std::string& Bag(const Discrepancy& d) const { return d.bag < names_.bags.size() ? names_.bags[d.bag] : names_.bags[0]; }

  // The stored row with this discrepancy's identity, if any.
  Result<std::optional<Held>> Lookup(const Discrepancy& d) {
    const bool by_bag = d.kind == Kind::kMissingBag;
    lookup_->Reset();
    lookup_->Bind(1, reconcile::KindName(d.kind)).Bind(2, by_bag ? Bag(d) : Waybill(d));
    std::optional<Held> held;
    Status s = lookup_->ForEachRow([&](const sql::Stmt& row) { held = ReadHeld(row); });
    if (!s.ok()) return s;
    return held;
  }

  // Found now: opened when new, its figures brought up to date when held.
  Status Found(const Discrepancy& d, Held* held) {
    const std::string waybill = Waybill(d);
    const std::string& bag = Bag(d);
    const std::int64_t count = d.count ? d.count : 1;
    const std::string origin = StationCode(d.origin_station), dest = StationCode(d.dest_station);
    if (!held) {
      insert_->Reset();
      insert_->Bind(1, reconcile::KindName(d.kind)).Bind(2, waybill).Bind(3, bag).Bind(4, origin).Bind(5, dest);
      if (d.dispatched_ms) insert_->Bind(6, d.dispatched_ms);
      if (d.first_scan_id) insert_->Bind(7, d.first_scan_id);
      insert_->Bind(8, count).Bind(9, std::int64_t{d.bag_missing}).Bind(10, now_ms_).Bind(11, run_id_);
      if (Status s = insert_->Run(); !s.ok()) return s;
      ++changes.opened;
      return Status::OK();
    }
    held->found = true;
    if (held->state == "closed") return Status::OK();  // a clerk's decision stands
    if (held->state != "resolved" && held->count == count && held->first_scan_id == d.first_scan_id &&
        held->bag == bag && held->origin == origin && held->dest == dest && held->dispatched_ms == d.dispatched_ms &&
        held->bag_missing == std::int64_t{d.bag_missing}) {
      return Status::OK();  // nothing changed: no write
    }
    update_->Reset();
    update_->Bind(1, held->id).Bind(2, count);
    if (d.first_scan_id) update_->Bind(3, d.first_scan_id);
    update_->Bind(4, run_id_).Bind(5, now_ms_).Bind(6, bag).Bind(7, origin).Bind(8, dest);
    if (d.dispatched_ms) update_->Bind(9, d.dispatched_ms);
    update_->Bind(10, std::int64_t{d.bag_missing});
    return update_->Run();
  }

  // No longer found: resolved, unless a clerk closed it or it already was.
  Status Gone(const Held& held) {
    if (held.state != "open" && held.state != "notified") return Status::OK();
    // Only a parcel's own arrival is news for its origin: a whole bag stops
    // being "missing" as soon as one of its parcels turns up, while the
    // others may still be missing (and are reported so, parcel by parcel);
    // and a parcel whose row went elsewhere has not arrived.
    if (held.state == "notified" && held.kind == "missing" && names_.arrived && names_.arrived(held.waybill)) {
      changes.resolved_after_notice.push_back(held.id);
    }
    resolve_->Reset();
    resolve_->Bind(1, held.id).Bind(2, now_ms_).Bind(3, run_id_);
    if (Status s = resolve_->Run(); !s.ok()) return s;
    ++changes.resolved;
    return Status::OK();
  }

  StoredChanges changes;

 private:
  sql::Db& db_;
  const DiscrepancyNames& names_;
  const std::int64_t run_id_, now_ms_;
  std::optional<sql::Stmt> insert_, update_, resolve_, lookup_;
};

// What NotifyOrigins tells each origin station: its items, each encoded
// once (a first run may hold 30,000 missing parcels: building a JSON tree
// of them all, then dumping it, cost half a second).
struct ForOrigin {
  std::vector<std::string> missing, resolved;
};
using News = std::map<std::string, ForOrigin>;  // by origin station

constexpr const char* kItemColumns =
    "SELECT id, kind, waybill, bag, origin_station, coalesce(dispatched_ms, 0), bag_missing, count FROM discrepancies";
constexpr const char* kNewlyMissing =
    " WHERE state = 'open' AND kind IN ('missing', 'missing_bag') AND origin_station != ''";

std::string ItemText(const sql::Stmt& row) {
  DigestItem item{row.ColumnText(1), row.ColumnText(2), row.ColumnText(3), row.ColumnInt(5), std::nullopt,
                  std::nullopt};
  if (item.kind == "missing") item.whole_bag_missing = row.ColumnInt(6) != 0;
  if (item.kind == "missing_bag") item.parcels = row.ColumnInt(7);
  return EncodeDigestItem(item);
}

// The newly missing, and those told of before that have since arrived.
Result<News> ReadNews(sql::Db& db, const StoredChanges& changes) {
  News news;
  auto open = sql::Stmt::Prepare(
      db, (std::string(kItemColumns) + kNewlyMissing + " ORDER BY origin_station, kind, waybill, bag").c_str());
  if (!open.ok()) return open.status();
  Status s = open->ForEachRow([&](const sql::Stmt& row) { news[row.ColumnText(4)].missing.push_back(ItemText(row)); });
  if (!s.ok()) return s;
  auto one = sql::Stmt::Prepare(db, (std::string(kItemColumns) + " WHERE id = ?1").c_str());
  if (!one.ok()) return one.status();
  for (std::int64_t id : changes.resolved_after_notice) {
    one->Reset();
    one->Bind(1, id);
    s = one->ForEachRow([&](const sql::Stmt& row) {
      if (!row.ColumnText(4).empty()) news[row.ColumnText(4)].resolved.push_back(ItemText(row));
    });
    if (!s.ok()) return s;
  }
  return news;
}

// One part of a digest: its items' texts, comma-joined.
struct Part {
  std::string missing, resolved;
  std::size_t bytes = 0;
};

// Items in order, a new part when the next would not fit a post.
std::vector<Part> SplitIntoParts(const ForOrigin& items) {
  constexpr std::size_t kMaxPartBytes = kMaxPostBody - 4096;  // items; the header takes the rest
  std::vector<Part> parts(1);
  const auto place = [&](std::string Part::*list, const std::string& item) {
    if (parts.back().bytes + item.size() + 1 > kMaxPartBytes && parts.back().bytes > 0) parts.emplace_back();
    Part& part = parts.back();
    if (!(part.*list).empty()) (part.*list).push_back(',');
    (part.*list).append(item);
    part.bytes += item.size() + 1;
  };
  for (const std::string& m : items.missing) place(&Part::missing, m);
  for (const std::string& r : items.resolved) place(&Part::resolved, r);
  return parts;
}

// Queues each part of one origin's digest (header.part and .parts set here).
Status QueueDigest(Outbox& outbox, MissingDigestHeader header, const std::vector<Part>& parts,
                   StoredChanges& changes) {
  header.parts = static_cast<std::int64_t>(parts.size());
  for (std::size_t p = 0; p < parts.size(); ++p) {
    header.part = static_cast<std::int64_t>(p + 1);
    const std::string text = EncodeMissingDigestOfItems(header, parts[p].missing, parts[p].resolved);
    // The time makes the id unique even when a run number comes again
    // (a database restored from a backup): national and the origin keep
    // one message per id, and a reused id would be dropped as a resend.
    const std::string msg_id = "rc-" + header.from + "-" + std::to_string(header.run) + "-" +
                               std::to_string(header.created_ms) + "-" + header.to + "-" + std::to_string(p + 1);
    if (text.size() > kMaxPostBody) {
      return Status::InvalidArgument("digest to " + header.to + " is " + std::to_string(text.size()) +
                                     " bytes, more than a post carries");
    }
    auto queued = outbox.Queue({msg_id, header.to, kMissingDigest, text}, header.created_ms);
    if (!queued.ok()) return queued.status();
    // A digest's id is new by construction; one already queued would mean
    // this digest was not told, so the run fails rather than mark it told.
    if (!*queued) return Status::IOError("queue " + msg_id, "the outbox holds a message with this id already");
    ++changes.notices;
  }
  return Status::OK();
}

}  // namespace

Result<StoredChanges> StoreAllFound(sql::Db& db, const DiscrepancyNames& names, const std::vector<Discrepancy>& found,
                                    std::int64_t run_id, std::int64_t now_ms) {
  Writer writer(db, names, run_id, now_ms);
  if (Status s = writer.Prepare(); !s.ok()) return s;
  // Everything held, read once: a full run compares it all.
  std::unordered_map<std::string, Held> held;
  auto read = sql::Stmt::Prepare(db, kHeldColumns);
  if (!read.ok()) return read.status();
  Status s = read->ForEachRow([&](const sql::Stmt& row) {
    held.emplace(IdentityKey(row.ColumnView(1), row.ColumnView(2), row.ColumnView(3)), ReadHeld(row));
  });
  if (!s.ok()) return s;
  for (const Discrepancy& d : found) {
    auto it = held.find(IdentityKey(reconcile::KindName(d.kind), writer.Waybill(d), writer.Bag(d)));
    if (Status st = writer.Found(d, it == held.end() ? nullptr : &it->second); !st.ok()) return st;
  }
  for (auto& [identity, h] : held) {
    if (h.found) continue;
    if (Status st = writer.Gone(h); !st.ok()) return st;
  }
  return std::move(writer.changes);
}

Result<StoredChanges> StoreChanges(sql::Db& db, const DiscrepancyNames& names, const reconcile::LedgerChanges& changes,
                                   std::int64_t run_id, std::int64_t now_ms) {
  Writer writer(db, names, run_id, now_ms);
  if (Status s = writer.Prepare(); !s.ok()) return s;
  for (const Discrepancy& d : changes.gone) {
    auto held = writer.Lookup(d);
    if (!held.ok()) return held.status();
    if (!*held) continue;  // never stored (a full run had not seen it either)
    if (Status s = writer.Gone(**held); !s.ok()) return s;
  }
  for (const Discrepancy& d : changes.found) {
    auto held = writer.Lookup(d);
    if (!held.ok()) return held.status();
    if (Status s = writer.Found(d, *held ? &**held : nullptr); !s.ok()) return s;
  }
  return std::move(writer.changes);
}

Status NotifyOrigins(sql::Db& db, const std::string& station, std::int64_t run_id, std::int64_t now_ms,
                     StoredChanges& changes) {
  auto news = ReadNews(db, changes);
  if (!news.ok()) return news.status();
  Outbox outbox(db);
  for (const auto& [origin, items] : *news) {
    const MissingDigestHeader header{station, origin, run_id, 1, 1, now_ms};
    if (Status s = QueueDigest(outbox, header, SplitIntoParts(items), changes); !s.ok()) return s;
  }
  // Told, each once: the same rows the digests were made of (this
  // transaction has not changed since it read them).
  auto notified = sql::Stmt::Prepare(
      db, (std::string("UPDATE discrepancies SET state = 'notified', changed_ms = ?1") + kNewlyMissing).c_str());
  if (!notified.ok()) return notified.status();
  notified->Bind(1, now_ms);
  return notified->Run();
}

}  // namespace station
