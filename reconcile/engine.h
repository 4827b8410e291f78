#pragma once
// The reconciliation engine (DESIGN §2 step 4): what the national manifest
// says was sent to this station against what this station's scans say
// arrived. Pure: it takes arrays and returns a report, with no I/O of its
// own, so the daemon, the tests and the benchmark all run the same code.
//
// The rules, for a station S at time `now`:
//  - Manifest: one row per waybill; when the input repeats a waybill, the
//    last row wins. A row is "to S" when its dest_station is S.
//  - A parcel is *seen* at S when a parcel-level scan (a waybill on it) of
//    a presence type names it; which scan types count is the caller's
//    choice (stationd: arrival, unpack, out for delivery, signed).
//  - A bag *arrived* when a bag-level scan (a bag and no waybill) of type
//    arrival names it. A bag is *itemised* when a parcel-level unpack scan
//    names it: its contents are then what was scanned out of it.
//  - A parcel to S *arrived* when it was seen, or when its manifest bag
//    arrived and that bag was not itemised (the bag scan counts for the
//    parcels the manifest puts in it, unless an unpack shows otherwise).
//  - missing: to S, not arrived, and dispatched at least the grace period
//    (per origin when configured) before `now`. `bag_missing` says its bag
//    never showed up at all (no bag scan, no scan naming it, none of its
//    parcels seen); each such bag is also reported once as kMissingBag
//    with the number of its parcels missing, and the origin, destination
//    and dispatch time of its missing parcel with the lowest key.
//  - surplus: seen at S by a scan of another type than kWeakPresence, no
//    manifest row at all.
//  - misrouted: seen so at S, its manifest row is to another station.
//  - duplicate arrival: two or more parcel-level arrival scans at S.
//    Reported besides any other kind the parcel has.

#include <cstdint>
#include <map>
#include <vector>

#include "reconcile/waybill_key.h"

namespace station::reconcile {

// Bags are numbered by the caller, 1..bag_count (0: no bag), so the engine
// keeps its per-bag facts in flat arrays.
using BagId = std::uint32_t;

struct ManifestItem {
  WaybillKey waybill = 0;
  std::int32_t origin_station = 0;
  std::int32_t dest_station = 0;
  std::int64_t dispatched_ms = 0;
  BagId bag = 0;
};

enum class SeenType : std::uint8_t {
  kArrival,
  kUnpack,
  kOtherPresence,  // another scan that proves the parcel is here (stationd: out for delivery, signed)
  // A scan made here that proves the parcel is here, but not that it came
  // here to be delivered (stationd: problem, held, returned, transferred,
  // dispatch, pickup): a parcel manifested here has arrived; any other
  // parcel is not surplus or misrouted for it (this station's own outgoing
  // parcels get such scans too).
  kWeakPresence,
};

struct SeenItem {
  WaybillKey waybill = 0;  // 0: a bag-level scan
  BagId bag = 0;
  SeenType type = SeenType::kArrival;
  std::int64_t scan_id = 0;  // the station's scans.id
};

struct Config {
  std::int32_t station = 0;
  std::int64_t now_ms = 0;
  std::int64_t grace_ms = 24LL * 3600 * 1000;
  std::map<std::int32_t, std::int64_t> grace_by_origin_ms;  // overrides grace_ms
};

enum class Kind : std::uint8_t { kMissing, kMissingBag, kSurplus, kMisrouted, kDuplicateArrival };
inline constexpr int kKindCount = 5;
const char* KindName(Kind kind);  // "missing", "missing_bag", "surplus", "misrouted", "duplicate_arrival"

struct Discrepancy {
  Kind kind = Kind::kMissing;
  WaybillKey waybill = 0;  // 0 for kMissingBag
  BagId bag = 0;
  std::int32_t origin_station = 0;  // from the manifest row (0: none)
  std::int32_t dest_station = 0;
  std::int64_t dispatched_ms = 0;
  std::int64_t first_scan_id = 0;  // surplus, misrouted, duplicate: the first scan that saw it
  std::int32_t count = 0;          // duplicate: arrival scans; missing bag: parcels missing
  bool bag_missing = false;        // missing: its whole bag never showed up
};

struct Report {
  // Sorted by kind, then waybill (bag for kMissingBag).
  std::vector<Discrepancy> items;
  std::int64_t counts[kKindCount] = {};
  std::int64_t manifest_to_station = 0;  // distinct waybills manifested to S
  std::int64_t arrived = 0;              // of those, arrived
  std::int64_t within_grace = 0;         // of those not arrived, still within grace
};

// Classifies. `bag_count` is the highest BagId used (below 2^31); a bag
// id above it counts as no bag. Linear after a radix sort of the two key
// arrays; the inputs are read front to back, and only where a discrepancy
// is found out of order.
Report Classify(const std::vector<ManifestItem>& manifest, const std::vector<SeenItem>& seen, BagId bag_count,
                const Config& config);

}  // namespace station::reconcile
