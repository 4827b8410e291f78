#include "reconcile/ledger.h"

#include <algorithm>

#include "reconcile/sort_keys.h"

namespace station::reconcile {

Ledger::Ledger(const Config& config) : station_(config.station), grace_(config), bags_(1) {}

Ledger::Entry& Ledger::EntryFor(WaybillKey waybill) { return entries_[waybill]; }

Ledger::Bag& Ledger::BagFor(BagId bag) {
  if (bag >= bags_.size()) bags_.resize(bag + std::size_t{1});
  return bags_[bag];
}

void Ledger::MarkDirty(WaybillKey waybill, Entry& e) {
  // Before the first Update (or after the clock went back) every entry is
  // looked at anyway: no list to keep.
  if (everything_dirty_ || e.dirty) return;
  e.dirty = true;
  dirty_.push_back(waybill);
}

void Ledger::MarkBagDirty(BagId bag) {
  if (bag == 0) return;
  Bag& b = BagFor(bag);
  if (b.dirty) return;
  b.dirty = true;
  dirty_bags_.push_back(bag);
}

void Ledger::MarkRecount(BagId bag) {
  if (bag == 0) return;
  Bag& b = BagFor(bag);
  if (b.recount) return;
  b.recount = true;
  recount_bags_.push_back(bag);
}

void Ledger::PlaceRow(WaybillKey waybill, const Entry& e, int sign) {
  if (!e.has_row || e.bag == 0) return;
  Bag& b = BagFor(e.bag);
  if (e.scans > 0) b.seen_rows += sign;
  if (e.dest_station == station_) {
    if (sign > 0) {
      b.members.push_back(waybill);
    } else {
      auto it = std::find(b.members.begin(), b.members.end(), waybill);
      if (it != b.members.end()) {
        *it = b.members.back();
        b.members.pop_back();
      }
    }
  }
  MarkBagDirty(e.bag);
}

void Ledger::SetManifest(const ManifestItem& row) {
  Entry& e = EntryFor(row.waybill);
  PlaceRow(row.waybill, e, -1);
  e.has_row = true;
  e.origin_station = row.origin_station;
  e.dest_station = row.dest_station;
  e.dispatched_ms = row.dispatched_ms;
  e.bag = row.bag;
  e.row_changed = true;
  PlaceRow(row.waybill, e, +1);
  MarkDirty(row.waybill, e);
}

void Ledger::RemoveManifest(WaybillKey waybill) {
  auto it = entries_.find(waybill);
  if (it == entries_.end() || !it->second.has_row) return;
  Entry& e = it->second;
  PlaceRow(waybill, e, -1);
  e.has_row = false;
  e.origin_station = e.dest_station = 0;
  e.dispatched_ms = 0;
  e.bag = 0;
  e.row_changed = true;
  MarkDirty(waybill, e);
}

void Ledger::AddSeen(const SeenItem& scan) {
  if (scan.bag != 0) {
    Bag& b = BagFor(scan.bag);
    bool changed = !b.named;
    b.named = true;
    if (scan.waybill == 0 && scan.type == SeenType::kArrival && !b.arrived) changed = b.arrived = true;
    if (scan.waybill != 0 && scan.type == SeenType::kUnpack && !b.itemised) changed = b.itemised = true;
    if (changed) MarkBagDirty(scan.bag);
  }
  if (scan.waybill == 0) return;
  Entry& e = EntryFor(scan.waybill);
  if (e.scans == 0) {
    // Its first scan: its manifest bag has now been seen through it.
    if (e.has_row && e.bag != 0) {
      ++bags_[e.bag].seen_rows;
      MarkBagDirty(e.bag);
    }
    e.first_scan_id = scan.scan_id;
    ++e.scans;
  } else {
    e.first_scan_id = std::min(e.first_scan_id, scan.scan_id);
    ++e.scans;
  }
  if (scan.type == SeenType::kArrival) ++e.arrivals;
  if (scan.type != SeenType::kWeakPresence) ++e.strong;
  if (e.scan_bag == 0) e.scan_bag = scan.bag;
  MarkDirty(scan.waybill, e);
}

void Ledger::Load(const std::vector<ManifestItem>& manifest, const std::vector<SeenItem>& seen) {
  if (!entries_.empty() || !everything_dirty_) {  // not a first load: one at a time
    for (const ManifestItem& m : manifest) SetManifest(m);
    for (const SeenItem& s : seen) AddSeen(s);
    return;
  }
  BagId top = 0;
  for (const ManifestItem& m : manifest) top = std::max(top, m.bag);
  for (const SeenItem& s : seen) top = std::max(top, s.bag);
  if (top >= bags_.size()) bags_.resize(top + std::size_t{1});

  // Both inputs by waybill (stable: input order within a waybill).
  std::vector<KeyedIndex> scratch;
  std::vector<KeyedIndex> rows(manifest.size());
  for (std::size_t i = 0; i < manifest.size(); ++i) rows[i] = {manifest[i].waybill, static_cast<std::uint32_t>(i), 0};
  SortByKey(rows, scratch);
  std::vector<KeyedIndex> parcels;
  parcels.reserve(seen.size());
  for (std::size_t i = 0; i < seen.size(); ++i) {
    const SeenItem& s = seen[i];
    if (s.bag != 0) {  // AddSeen's bag facts
      Bag& b = bags_[s.bag];
      b.named = true;
      if (s.waybill == 0 && s.type == SeenType::kArrival) b.arrived = true;
      if (s.waybill != 0 && s.type == SeenType::kUnpack) b.itemised = true;
    }
    if (s.waybill != 0) parcels.push_back({s.waybill, static_cast<std::uint32_t>(i), 0});
  }
  SortByKey(parcels, scratch);

  // One entry a waybill, from its last row and all its scans.
  std::vector<std::pair<WaybillKey, Entry>> built;
  built.reserve(std::max(rows.size(), parcels.size()));
  std::size_t r = 0, p = 0;
  while (r < rows.size() || p < parcels.size()) {
    const WaybillKey key =
        (p >= parcels.size() || (r < rows.size() && rows[r].key <= parcels[p].key)) ? rows[r].key : parcels[p].key;
    Entry e;
    for (; r < rows.size() && rows[r].key == key; ++r) {
      const ManifestItem& m = manifest[rows[r].index];
      e.has_row = true;
      e.origin_station = m.origin_station;
      e.dest_station = m.dest_station;
      e.dispatched_ms = m.dispatched_ms;
      e.bag = m.bag;
    }
    for (; p < parcels.size() && parcels[p].key == key; ++p) {
      const SeenItem& s = seen[parcels[p].index];
      e.first_scan_id = e.scans == 0 ? s.scan_id : std::min(e.first_scan_id, s.scan_id);
      ++e.scans;
      if (s.type == SeenType::kArrival) ++e.arrivals;
      if (s.type != SeenType::kWeakPresence) ++e.strong;
      if (e.scan_bag == 0) e.scan_bag = s.bag;
    }
    built.emplace_back(key, e);
  }
  entries_.reserve(entries_.size() + built.size());
  for (const auto& [key, e] : built) {
    entries_.emplace(key, e);
    PlaceRow(key, e, +1);
  }
}

void Ledger::Count(const Entry& e, int sign) {
  switch (e.arrival) {
    case Arrival::kNotToStation:
      break;
    case Arrival::kArrived:
      arrived_ += sign;
      break;
    case Arrival::kWithinGrace:
      within_grace_ += sign;
      break;
    case Arrival::kMissing:
      counts_[static_cast<int>(Kind::kMissing)] += sign;
      break;
  }
  if (e.arrival != Arrival::kNotToStation) manifest_to_station_ += sign;
  if (e.flags & kSurplusFlag) counts_[static_cast<int>(Kind::kSurplus)] += sign;
  if (e.flags & kMisroutedFlag) counts_[static_cast<int>(Kind::kMisrouted)] += sign;
  if (e.flags & kDuplicateFlag) counts_[static_cast<int>(Kind::kDuplicateArrival)] += sign;
}

void Ledger::Reclassify(WaybillKey waybill, Entry& e, std::int64_t now_ms, LedgerChanges& out) {
  const Arrival old_arrival = e.arrival;
  const std::uint8_t old_flags = e.flags;
  Count(e, -1);

  const bool to_station = e.has_row && e.dest_station == station_;
  e.bag_missing = false;
  if (!to_station) {
    e.arrival = Arrival::kNotToStation;
  } else if (e.scans > 0 || (e.bag != 0 && bags_[e.bag].arrived && !bags_[e.bag].itemised)) {
    e.arrival = Arrival::kArrived;
  } else if (const std::int64_t deadline = e.dispatched_ms + grace_.For(e.origin_station); deadline > now_ms) {
    e.arrival = Arrival::kWithinGrace;
    if (old_arrival != Arrival::kWithinGrace || e.row_changed) deadlines_.push({deadline, waybill});
  } else {
    e.arrival = Arrival::kMissing;
    e.bag_missing = e.bag != 0 && !bags_[e.bag].Mentioned();
  }
  e.flags = 0;
  if (e.strong > 0 && !to_station) e.flags |= e.has_row ? kMisroutedFlag : kSurplusFlag;
  if (e.arrivals >= 2) e.flags |= kDuplicateFlag;
  Count(e, +1);

  const auto gone = [&](Kind kind) {
    Discrepancy d;
    d.kind = kind;
    d.waybill = waybill;
    out.gone.push_back(d);
  };
  if (old_arrival == Arrival::kMissing && e.arrival != Arrival::kMissing) gone(Kind::kMissing);
  const std::uint8_t lost = old_flags & ~e.flags;
  if (lost & kSurplusFlag) gone(Kind::kSurplus);
  if (lost & kMisroutedFlag) gone(Kind::kMisrouted);
  if (lost & kDuplicateFlag) gone(Kind::kDuplicateArrival);
  Describe(waybill, e, out.found);
  // Its bag's missing_bag counts the missing among its members.
  if (old_arrival == Arrival::kMissing || e.arrival == Arrival::kMissing) MarkRecount(e.bag);
  e.dirty = false;
  e.row_changed = false;
}

void Ledger::Describe(WaybillKey waybill, const Entry& e, std::vector<Discrepancy>& out) const {
  Discrepancy d;
  d.waybill = waybill;
  d.bag = e.has_row ? e.bag : e.scan_bag;
  d.origin_station = e.origin_station;
  d.dest_station = e.dest_station;
  d.dispatched_ms = e.dispatched_ms;
  if (e.arrival == Arrival::kMissing) {
    Discrepancy m = d;
    m.kind = Kind::kMissing;
    m.bag_missing = e.bag_missing;
    out.push_back(m);
  }
  d.first_scan_id = e.first_scan_id;
  if (e.flags & (kSurplusFlag | kMisroutedFlag)) {
    d.kind = (e.flags & kSurplusFlag) ? Kind::kSurplus : Kind::kMisrouted;
    out.push_back(d);
  }
  if (e.flags & kDuplicateFlag) {
    d.kind = Kind::kDuplicateArrival;
    d.count = e.arrivals;
    out.push_back(d);
  }
}

void Ledger::Recount(BagId bag, Bag& b, LedgerChanges& out) {
  b.recount = false;
  Discrepancy d;
  d.kind = Kind::kMissingBag;
  d.bag = bag;
  d.bag_missing = true;
  WaybillKey lowest = 0;
  for (WaybillKey member : b.members) {
    const Entry& e = entries_.at(member);
    if (e.arrival != Arrival::kMissing || !e.bag_missing) continue;
    ++d.count;
    if (lowest != 0 && member > lowest) continue;
    lowest = member;
    d.origin_station = e.origin_station;
    d.dest_station = e.dest_station;
    d.dispatched_ms = e.dispatched_ms;
  }
  const bool had = b.reported.count > 0;
  if (d.count == 0) {
    if (had) {
      out.gone.push_back(d);
      --counts_[static_cast<int>(Kind::kMissingBag)];
    }
    b.reported = Discrepancy();
    return;
  }
  if (!had) ++counts_[static_cast<int>(Kind::kMissingBag)];
  if (!had || b.reported.count != d.count || b.reported.origin_station != d.origin_station ||
      b.reported.dest_station != d.dest_station || b.reported.dispatched_ms != d.dispatched_ms) {
    out.found.push_back(d);
  }
  b.reported = d;
}

LedgerChanges Ledger::Update(std::int64_t now_ms) {
  LedgerChanges out;
  if (now_ms < last_now_ms_) everything_dirty_ = true;
  last_now_ms_ = now_ms;
  std::vector<WaybillKey> emptied;  // entries with neither row nor scan left
  const auto done_with = [&](WaybillKey waybill, const Entry& e) {
    if (!e.has_row && e.scans == 0) emptied.push_back(waybill);
  };

  if (everything_dirty_) {
    for (auto& [waybill, e] : entries_) {
      Reclassify(waybill, e, now_ms, out);
      done_with(waybill, e);
    }
    for (BagId bag = 1; bag < bags_.size(); ++bag) {
      bags_[bag].dirty = false;
      Recount(bag, bags_[bag], out);
    }
    dirty_.clear();
    dirty_bags_.clear();
    recount_bags_.clear();
    everything_dirty_ = false;
  } else {
    // Rows whose grace period ran out since the last Update.
    while (!deadlines_.empty() && deadlines_.top().first <= now_ms) {
      const WaybillKey waybill = deadlines_.top().second;
      deadlines_.pop();
      if (auto it = entries_.find(waybill); it != entries_.end()) MarkDirty(waybill, it->second);
    }
    // Bags whose facts changed: each member may have arrived with it, or
    // stopped being part of a bag that never showed up.
    for (BagId bag : dirty_bags_) {
      Bag& b = bags_[bag];
      b.dirty = false;
      for (WaybillKey member : b.members) MarkDirty(member, entries_.at(member));
      MarkRecount(bag);
    }
    dirty_bags_.clear();
    for (WaybillKey waybill : dirty_) {
      auto it = entries_.find(waybill);
      if (it == entries_.end()) continue;
      Reclassify(waybill, it->second, now_ms, out);
      done_with(waybill, it->second);
    }
    dirty_.clear();
    for (BagId bag : recount_bags_) Recount(bag, bags_[bag], out);
    recount_bags_.clear();
  }
  for (WaybillKey waybill : emptied) entries_.erase(waybill);
  return out;
}

Report Ledger::Current() const {
  std::vector<Discrepancy> by_kind[kKindCount];
  std::vector<Discrepancy> described;
  for (const auto& [waybill, e] : entries_) {
    described.clear();
    Describe(waybill, e, described);
    for (const Discrepancy& d : described) by_kind[static_cast<int>(d.kind)].push_back(d);
  }
  for (auto& items : by_kind) {
    std::sort(items.begin(), items.end(),
              [](const Discrepancy& a, const Discrepancy& b) { return a.waybill < b.waybill; });
  }
  for (const Bag& b : bags_) {
    if (b.reported.count > 0) by_kind[static_cast<int>(Kind::kMissingBag)].push_back(b.reported);
  }
  Report report = Figures();
  for (auto& items : by_kind) report.items.insert(report.items.end(), items.begin(), items.end());
  return report;
}

bool Ledger::Arrived(WaybillKey waybill) const {
  auto it = entries_.find(waybill);
  return it != entries_.end() && it->second.arrival == Arrival::kArrived;
}

Report Ledger::Figures() const {
  Report report;
  for (int k = 0; k < kKindCount; ++k) report.counts[k] = counts_[k];
  report.manifest_to_station = manifest_to_station_;
  report.arrived = arrived_;
  report.within_grace = within_grace_;
  return report;
}

}  // namespace station::reconcile
