#include "reconcile/engine.h"

#include <algorithm>

#include "reconcile/grace.h"
#include "reconcile/sort_keys.h"

namespace station::reconcile {
namespace {

// What the scans say about each bag, in flat arrays indexed by BagId.
struct BagFacts {
  std::vector<std::uint8_t> arrived;    // a bag-level arrival scan
  std::vector<std::uint8_t> itemised;   // a parcel-level unpack scan names it
  std::vector<std::uint8_t> mentioned;  // any scan names it, or one of its parcels was seen

  explicit BagFacts(BagId bag_count)
      : arrived(bag_count + std::size_t{1}), itemised(bag_count + std::size_t{1}),
        mentioned(bag_count + std::size_t{1}) {}
  bool Valid(BagId bag) const { return bag != 0 && bag < arrived.size(); }
};

}  // namespace

const char* KindName(Kind kind) {
  switch (kind) {
    case Kind::kMissing:
      return "missing";
    case Kind::kMissingBag:
      return "missing_bag";
    case Kind::kSurplus:
      return "surplus";
    case Kind::kMisrouted:
      return "misrouted";
    case Kind::kDuplicateArrival:
      return "duplicate_arrival";
  }
  return "?";
}

namespace {

// The discrepancies found so far, one list a kind.
struct Found {
  std::vector<Discrepancy> by_kind[kKindCount];

  std::vector<Discrepancy>& Of(Kind kind) { return by_kind[static_cast<int>(kind)]; }
};

// Manifest rows by waybill; the sort is stable, so the last row of each
// run is the last one given: that one wins. aux: its bag, and whether it
// is to this station (bit 0).
std::vector<KeyedIndex> KeyManifestRows(const std::vector<ManifestItem>& manifest, const BagFacts& bags,
                                        std::int32_t station, std::vector<KeyedIndex>& scratch) {
  std::vector<KeyedIndex> rows(manifest.size());
  for (std::size_t i = 0; i < manifest.size(); ++i) {
    const ManifestItem& m = manifest[i];
    const BagId bag = bags.Valid(m.bag) ? m.bag : 0;
    rows[i] = {m.waybill, static_cast<std::uint32_t>(i), (bag << 1) | (m.dest_station == station ? 1u : 0u)};
  }
  SortByKey(rows, scratch);
  return rows;
}

// Parcel-level scans by waybill (aux: an arrival), and the bag facts
// straight from the scans.
std::vector<KeyedIndex> KeyParcelScans(const std::vector<SeenItem>& seen, BagFacts& bags,
                                       std::vector<KeyedIndex>& scratch) {
  std::vector<KeyedIndex> parcels;
  parcels.reserve(seen.size());
  for (std::size_t i = 0; i < seen.size(); ++i) {
    const SeenItem& s = seen[i];
    if (bags.Valid(s.bag)) {
      bags.mentioned[s.bag] = 1;
      if (s.waybill == 0 && s.type == SeenType::kArrival) bags.arrived[s.bag] = 1;
      if (s.waybill != 0 && s.type == SeenType::kUnpack) bags.itemised[s.bag] = 1;
    }
    if (s.waybill != 0) {
      // aux: bit 0 an arrival, bit 1 a scan that can make a surplus or a misroute.
      const std::uint32_t arrival = s.type == SeenType::kArrival ? 1u : 0u;
      const std::uint32_t strong = s.type != SeenType::kWeakPresence ? 2u : 0u;
      parcels.push_back({s.waybill, static_cast<std::uint32_t>(i), arrival | strong});
    }
  }
  SortByKey(parcels, scratch);
  return parcels;
}

// What the merge learns of each manifest row: `kWinner` when it is its
// waybill's last row, `kSeen` when the station saw it.
constexpr std::uint8_t kWinner = 1, kSeen = 2;

// Merges the two sorted arrays: marks the manifest rows (above), notes the
// bags whose parcels were here, and finds the surplus, misrouted and
// duplicate arrivals. Returns the rows' marks, indexed like `manifest`.
std::vector<std::uint8_t> MergeScansWithManifest(const std::vector<ManifestItem>& manifest,
                                                 const std::vector<SeenItem>& seen,
                                                 const std::vector<KeyedIndex>& rows,
                                                 const std::vector<KeyedIndex>& parcels, BagFacts& bags,
                                                 Found& found) {
  std::vector<std::uint8_t> row_flags(manifest.size());
  std::size_t r = 0, p = 0;
  const std::size_t nr = rows.size(), np = parcels.size();
  while (r < nr || p < np) {
    // The next waybill in key order, from either side.
    const WaybillKey key = (p >= np || (r < nr && rows[r].key <= parcels[p].key)) ? rows[r].key : parcels[p].key;
    const KeyedIndex* row = nullptr;
    if (r < nr && rows[r].key == key) {
      while (r + 1 < nr && rows[r + 1].key == key) ++r;
      row = &rows[r];
      row_flags[row->index] = kWinner;
      ++r;
    }
    if (p >= np || parcels[p].key != key) continue;  // manifested, not seen: settled below

    const std::size_t run_start = p;
    std::int32_t arrivals = 0;
    bool strong = false;
    for (; p < np && parcels[p].key == key; ++p) {
      arrivals += static_cast<std::int32_t>(parcels[p].aux & 1u);
      strong = strong || (parcels[p].aux & 2u);
    }
    // One of the bag's parcels was here, whoever it was addressed to (a
    // misrouted parcel is usually in the wrong station's bag): the bag came.
    if (row) bags.mentioned[row->aux >> 1] = 1;  // bag 0 is a slot of its own
    const bool to_station = row && (row->aux & 1);
    if (to_station) row_flags[row->index] |= kSeen;
    if ((to_station || !strong) && arrivals < 2) continue;

    // A discrepancy (rare): now the inputs are worth reading.
    Discrepancy d;
    d.waybill = key;
    d.first_scan_id = seen[parcels[run_start].index].scan_id;
    BagId scan_bag = 0;
    for (std::size_t i = run_start; i < p; ++i) {
      const SeenItem& s = seen[parcels[i].index];
      d.first_scan_id = std::min(d.first_scan_id, s.scan_id);
      if (scan_bag == 0) scan_bag = s.bag;
    }
    if (row) {
      const ManifestItem& m = manifest[row->index];
      d.bag = m.bag;
      d.origin_station = m.origin_station;
      d.dest_station = m.dest_station;
      d.dispatched_ms = m.dispatched_ms;
    } else {
      d.bag = scan_bag;
    }
    if (!to_station && strong) found.Of(row ? Kind::kMisrouted : Kind::kSurplus).push_back(d);
    if (arrivals >= 2) {
      d.count = arrivals;
      found.Of(Kind::kDuplicateArrival).push_back(d);
    }
  }
  return row_flags;
}

// Settles each waybill manifested to this station, in input order (the
// manifest is read front to back; the few missing are sorted after).
// Returns, a bag, how many of its parcels are missing with the whole bag.
std::vector<std::int32_t> SettleManifested(const std::vector<ManifestItem>& manifest,
                                           const std::vector<std::uint8_t>& row_flags, const BagFacts& bags,
                                           const Config& config, Report& report, Found& found) {
  const Grace grace(config);
  std::vector<std::int32_t> bag_missing_count(bags.arrived.size());
  std::vector<Discrepancy>& missing = found.Of(Kind::kMissing);
  for (std::size_t i = 0; i < manifest.size(); ++i) {
    if (!(row_flags[i] & kWinner)) continue;
    const ManifestItem& row = manifest[i];
    if (row.dest_station != config.station) continue;
    ++report.manifest_to_station;
    const bool bag_known = bags.Valid(row.bag);
    const bool covered_by_bag = bag_known && bags.arrived[row.bag] && !bags.itemised[row.bag];
    if ((row_flags[i] & kSeen) || covered_by_bag) {
      ++report.arrived;
      continue;
    }
    if (row.dispatched_ms + grace.For(row.origin_station) > config.now_ms) {
      ++report.within_grace;
      continue;
    }
    Discrepancy d;
    d.waybill = row.waybill;
    d.bag = row.bag;
    d.origin_station = row.origin_station;
    d.dest_station = row.dest_station;
    d.dispatched_ms = row.dispatched_ms;
    d.bag_missing = bag_known && !bags.mentioned[row.bag];
    missing.push_back(d);
    if (d.bag_missing) ++bag_missing_count[row.bag];
  }
  std::sort(missing.begin(), missing.end(),
            [](const Discrepancy& a, const Discrepancy& b) { return a.waybill < b.waybill; });
  return bag_missing_count;
}

// A whole bag missing: described by its missing parcel with the lowest
// key (the first in sorted order), so the answer does not depend on the
// order of the manifest's rows.
void ReportMissingBags(const std::vector<std::int32_t>& bag_missing_count, Found& found) {
  std::vector<Discrepancy>& missing_bags = found.Of(Kind::kMissingBag);
  std::vector<std::uint8_t> bag_reported(bag_missing_count.size());
  for (const Discrepancy& m : found.Of(Kind::kMissing)) {
    if (!m.bag_missing || bag_reported[m.bag]) continue;
    bag_reported[m.bag] = 1;
    Discrepancy d;
    d.bag = m.bag;
    d.origin_station = m.origin_station;
    d.dest_station = m.dest_station;
    d.dispatched_ms = m.dispatched_ms;
    d.count = bag_missing_count[m.bag];
    d.bag_missing = true;
    missing_bags.push_back(d);
  }
  std::sort(missing_bags.begin(), missing_bags.end(),
            [](const Discrepancy& a, const Discrepancy& b) { return a.bag < b.bag; });
}

}  // namespace

Report Classify(const std::vector<ManifestItem>& manifest, const std::vector<SeenItem>& seen, BagId bag_count,
                const Config& config) {
  Report report;
  std::vector<KeyedIndex> scratch;
  BagFacts bags(bag_count);
  const std::vector<KeyedIndex> rows = KeyManifestRows(manifest, bags, config.station, scratch);
  const std::vector<KeyedIndex> parcels = KeyParcelScans(seen, bags, scratch);

  Found found;
  const std::vector<std::uint8_t> row_flags = MergeScansWithManifest(manifest, seen, rows, parcels, bags, found);
  ReportMissingBags(SettleManifested(manifest, row_flags, bags, config, report, found), found);

  std::size_t total = 0;
  for (int k = 0; k < kKindCount; ++k) {
    for (Discrepancy& d : found.by_kind[k]) d.kind = static_cast<Kind>(k);
    report.counts[k] = static_cast<std::int64_t>(found.by_kind[k].size());
    total += found.by_kind[k].size();
  }
  report.items.reserve(total);
  for (auto& items : found.by_kind) report.items.insert(report.items.end(), items.begin(), items.end());
  return report;
}

}  // namespace station::reconcile
