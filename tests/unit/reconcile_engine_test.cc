// The reconciliation engine (reconcile/engine.h): a crafted case for each
// kind, then a randomized comparison against a reference written straight
// from the rules in engine.h's header comment.
//
// Fields the header leaves open are not pinned: a kMissingBag item's
// dispatched_ms and bag_missing. A surplus item's bag is the bag its scans
// name (the generator gives each waybill's scans one bag or none), and the
// generator keeps each bag to one origin and one destination.

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "reconcile/engine.h"
#include "tests/unit/reconcile_inputs.h"

using namespace station::reconcile;
using station::reconcile::test::Row;
using station::reconcile::test::Scan;

namespace {

constexpr std::int32_t kStation = 571001;
constexpr std::int32_t kOther = 310001;
constexpr std::int32_t kOrigin = 100001;
constexpr std::int32_t kOrigin2 = 200002;
constexpr std::int32_t kOrigin3 = 300003;
constexpr std::int64_t kHour = 3600LL * 1000;
constexpr std::int64_t kNow = 1795000000000LL;  // 2026-11-18, any instant will do

Config StationConfig() {
  Config config;
  config.station = kStation;
  config.now_ms = kNow;
  config.grace_ms = 24 * kHour;
  return config;
}

// A bag-level scan (a bag and no waybill).
SeenItem BagScan(BagId bag, std::int64_t scan_id, SeenType type = SeenType::kArrival) {
  return Scan(0, type, scan_id, bag);
}

Discrepancy Missing(const ManifestItem& row, bool bag_missing = false) {
  Discrepancy d;
  d.kind = Kind::kMissing;
  d.waybill = row.waybill;
  d.bag = row.bag;
  d.origin_station = row.origin_station;
  d.dest_station = row.dest_station;
  d.dispatched_ms = row.dispatched_ms;
  d.bag_missing = bag_missing;
  return d;
}

Discrepancy MissingBag(BagId bag, std::int32_t count, std::int32_t origin = kOrigin) {
  Discrepancy d;
  d.kind = Kind::kMissingBag;
  d.bag = bag;
  d.origin_station = origin;
  d.dest_station = kStation;
  d.count = count;
  return d;
}

Discrepancy Surplus(WaybillKey waybill, std::int64_t first_scan_id, BagId scan_bag = 0) {
  Discrepancy d;
  d.kind = Kind::kSurplus;
  d.waybill = waybill;
  d.bag = scan_bag;
  d.first_scan_id = first_scan_id;
  return d;
}

Discrepancy Misrouted(const ManifestItem& row, std::int64_t first_scan_id) {
  Discrepancy d = Missing(row);
  d.kind = Kind::kMisrouted;
  d.first_scan_id = first_scan_id;
  return d;
}

Discrepancy Duplicate(const ManifestItem& row, std::int32_t arrivals, std::int64_t first_scan_id) {
  Discrepancy d = Misrouted(row, first_scan_id);
  d.kind = Kind::kDuplicateArrival;
  d.count = arrivals;
  return d;
}

Discrepancy Duplicate(WaybillKey unmanifested, std::int32_t arrivals, std::int64_t first_scan_id, BagId scan_bag = 0) {
  Discrepancy d = Surplus(unmanifested, first_scan_id, scan_bag);
  d.kind = Kind::kDuplicateArrival;
  d.count = arrivals;
  return d;
}

auto Fields(const Discrepancy& d) {
  return std::make_tuple(static_cast<int>(d.kind), d.waybill, d.bag, d.origin_station, d.dest_station, d.dispatched_ms,
                         d.first_scan_id, d.count, d.bag_missing);
}

// Clears what engine.h leaves open, so the comparison pins only the rules.
std::vector<Discrepancy> Canonical(std::vector<Discrepancy> items) {
  for (Discrepancy& d : items) {
    if (d.kind == Kind::kMissingBag) {
      d.dispatched_ms = 0;
      d.bag_missing = false;
    }
  }
  return items;
}

std::string Describe(const Discrepancy& d) {
  std::ostringstream out;
  out << "{" << KindName(d.kind) << " waybill=" << d.waybill << " bag=" << d.bag << " origin=" << d.origin_station
      << " dest=" << d.dest_station << " dispatched=" << d.dispatched_ms << " first_scan=" << d.first_scan_id
      << " count=" << d.count << " bag_missing=" << d.bag_missing << "}";
  return out.str();
}

// Sorted by kind, then waybill (bag for kMissingBag), and counts[] agree.
void CheckOrderAndCounts(const Report& report) {
  std::int64_t counts[kKindCount] = {};
  for (std::size_t i = 0; i < report.items.size(); ++i) {
    const Discrepancy& d = report.items[i];
    ++counts[static_cast<int>(d.kind)];
    if (i == 0) continue;
    const Discrepancy& prev = report.items[i - 1];
    const auto key = [](const Discrepancy& x) {
      return std::make_pair(static_cast<int>(x.kind), x.kind == Kind::kMissingBag ? WaybillKey{x.bag} : x.waybill);
    };
    if (!(key(prev) < key(d))) {
      INFO("item " << i - 1 << " " << Describe(prev) << " then " << Describe(d));
      FAIL_CHECK("report.items out of order");
      break;
    }
  }
  for (int k = 0; k < kKindCount; ++k) {
    INFO(KindName(static_cast<Kind>(k)));
    CHECK(report.counts[k] == counts[k]);
  }
}

}  // namespace

namespace station::reconcile {
// static: no other test file's operator== can clash with it.
static bool operator==(const Discrepancy& a, const Discrepancy& b) { return Fields(a) == Fields(b); }
}  // namespace station::reconcile

namespace Catch {
template <>
struct StringMaker<Discrepancy> {
  static std::string convert(const Discrepancy& d) { return Describe(d); }
};
}  // namespace Catch

// ---------------------------------------------------------------------------
// Crafted cases

TEST_CASE("reconcile: missing past grace, within grace not reported", "[reconcile]") {
  const std::vector<ManifestItem> manifest = {
      Row(1001, kStation, kNow - 25 * kHour),      // past grace
      Row(1002, kStation, kNow - 24 * kHour),      // exactly the grace period ago: past
      Row(1003, kStation, kNow - 24 * kHour + 1),  // a millisecond short
      Row(1004, kStation, kNow - 1 * kHour),       // within
      Row(1005, kStation, kNow - 48 * kHour),      // arrived
      Row(1006, kOther, kNow - 48 * kHour),        // not ours, not seen: nothing
  };
  const std::vector<SeenItem> seen = {Scan(1005, SeenType::kArrival, 1)};
  const Report report = Classify(manifest, seen, 0, StationConfig());

  CHECK(Canonical(report.items) == std::vector<Discrepancy>{Missing(manifest[0]), Missing(manifest[1])});
  CHECK(report.manifest_to_station == 5);
  CHECK(report.arrived == 1);
  CHECK(report.within_grace == 2);
  CheckOrderAndCounts(report);
}

TEST_CASE("reconcile: a grace period per origin overrides the default", "[reconcile]") {
  Config config = StationConfig();
  config.grace_by_origin_ms = {{kOrigin2, 72 * kHour}, {kOrigin3, 1 * kHour}};
  const std::vector<ManifestItem> manifest = {
      Row(2001, kStation, kNow - 48 * kHour, 0, kOrigin2),  // within its 72 h
      Row(2002, kStation, kNow - 72 * kHour, 0, kOrigin2),  // past its 72 h
      Row(2003, kStation, kNow - 48 * kHour, 0, kOrigin),   // past the default 24 h
      Row(2004, kStation, kNow - 2 * kHour, 0, kOrigin3),   // past its 1 h
      Row(2005, kStation, kNow - 2 * kHour, 0, kOrigin),    // within the default
      Row(2006, kStation, kNow - 1 * kHour, 0, kOrigin3),   // exactly its 1 h: past
  };
  const Report report = Classify(manifest, {}, 0, config);

  CHECK(Canonical(report.items) == std::vector<Discrepancy>{Missing(manifest[1]), Missing(manifest[2]),
                                                            Missing(manifest[3]), Missing(manifest[5])});
  CHECK(report.manifest_to_station == 6);
  CHECK(report.arrived == 0);
  CHECK(report.within_grace == 2);
  CheckOrderAndCounts(report);
}

TEST_CASE("reconcile: a bag never seen is one missing_bag and each parcel missing with bag_missing", "[reconcile]") {
  const std::int64_t old = kNow - 48 * kHour;
  const std::vector<ManifestItem> manifest = {
      Row(3001, kStation, old, 1),
      Row(3002, kStation, old, 1),
      Row(3003, kStation, old, 1),
      Row(3004, kStation, kNow - kHour, 1),  // same bag, within grace: not counted
      Row(3011, kStation, kNow - kHour, 2),  // a bag whose parcels are all within grace
      Row(3012, kStation, kNow - 2 * kHour, 2),
      Row(3021, kStation, old, 3, kOrigin2),  // a second missing bag, one parcel
  };
  const Report report = Classify(manifest, {}, 3, StationConfig());

  CHECK(Canonical(report.items) == std::vector<Discrepancy>{Missing(manifest[0], true), Missing(manifest[1], true),
                                                            Missing(manifest[2], true), Missing(manifest[6], true),
                                                            MissingBag(1, 3), MissingBag(3, 1, kOrigin2)});
  CHECK(report.counts[static_cast<int>(Kind::kMissingBag)] == 2);
  CHECK(report.manifest_to_station == 7);
  CHECK(report.arrived == 0);
  CHECK(report.within_grace == 3);
  CheckOrderAndCounts(report);
}

TEST_CASE("reconcile: a bag that showed up in any way is not a missing bag", "[reconcile]") {
  const std::int64_t old = kNow - 48 * kHour;
  // Bag 1: one of its parcels seen loose (no bag on the scan).
  // Bag 2: only a bag-level out-for-delivery scan: it showed up, but only an
  //        arrival scan covers its parcels.
  // Bag 3: an unmanifested parcel's scan names it.
  // Bag 4: a parcel-level arrival scan of a parcel from bag 1 names it.
  const std::vector<ManifestItem> manifest = {
      Row(4001, kStation, old, 1), Row(4002, kStation, old, 1), Row(4011, kStation, old, 2),
      Row(4012, kStation, old, 2), Row(4021, kStation, old, 3), Row(4031, kStation, old, 4),
      Row(4003, kStation, old, 1),
  };
  const std::vector<SeenItem> seen = {
      Scan(4001, SeenType::kOtherPresence, 10),
      BagScan(2, 11, SeenType::kOtherPresence),
      Scan(4900, SeenType::kArrival, 12, 3),
      Scan(4003, SeenType::kArrival, 13, 4),
  };
  const Report report = Classify(manifest, seen, 4, StationConfig());

  CHECK(Canonical(report.items) == std::vector<Discrepancy>{Missing(manifest[1]), Missing(manifest[2]),
                                                            Missing(manifest[3]), Missing(manifest[4]),
                                                            Missing(manifest[5]), Surplus(4900, 12, 3)});
  CHECK(report.manifest_to_station == 7);
  CHECK(report.arrived == 2);
  CHECK(report.within_grace == 0);
  CheckOrderAndCounts(report);
}

TEST_CASE("reconcile: an itemised bag's contents are what was unpacked from it", "[reconcile]") {
  const std::int64_t old = kNow - 48 * kHour;
  const std::vector<ManifestItem> manifest = {
      Row(5001, kStation, old, 1),           // unpacked
      Row(5002, kStation, old, 1),           // unpacked
      Row(5003, kStation, old, 1),           // not unpacked: missing from an arrived bag
      Row(5004, kStation, kNow - kHour, 1),  // not unpacked, within grace
      Row(5005, kStation, old, 1),           // a parcel-level arrival naming the bag
      Row(5011, kStation, old, 2),           // bag 2: unpacked but never bag-scanned
      Row(5012, kStation, old, 2),
  };
  const std::vector<SeenItem> seen = {
      BagScan(1, 1),
      Scan(5001, SeenType::kUnpack, 2, 1),
      Scan(5002, SeenType::kUnpack, 3, 1),
      Scan(5005, SeenType::kArrival, 4, 1),
      Scan(5011, SeenType::kUnpack, 5, 2),
  };
  const Report report = Classify(manifest, seen, 2, StationConfig());

  CHECK(Canonical(report.items) == std::vector<Discrepancy>{Missing(manifest[2]), Missing(manifest[6])});
  CHECK(report.manifest_to_station == 7);
  CHECK(report.arrived == 4);
  CHECK(report.within_grace == 1);
  CheckOrderAndCounts(report);
}

TEST_CASE("reconcile: a bag arrival not itemised covers all its parcels", "[reconcile]") {
  const std::int64_t old = kNow - 48 * kHour;
  const std::vector<ManifestItem> manifest = {
      Row(6001, kStation, old, 1), Row(6002, kStation, old, 1), Row(6003, kStation, old, 1),
      Row(6004, kStation, old, 1), Row(6005, kStation, old, 1),
  };
  const std::vector<SeenItem> seen = {
      BagScan(1, 1), Scan(6004, SeenType::kArrival, 2, 1),  // an arrival, not an unpack: the bag stays whole
      Scan(6005, SeenType::kOtherPresence, 3, 1),           // out for delivery
      Scan(6005, SeenType::kUnpack, 4),                     // an unpack naming no bag itemises nothing
  };
  const Report report = Classify(manifest, seen, 1, StationConfig());

  CHECK(report.items.empty());
  CHECK(report.manifest_to_station == 5);
  CHECK(report.arrived == 5);
  CHECK(report.within_grace == 0);
  CheckOrderAndCounts(report);
}

TEST_CASE("reconcile: surplus is seen here with no manifest row", "[reconcile]") {
  const std::vector<ManifestItem> manifest = {Row(7001, kStation, kNow - 48 * kHour)};
  const std::vector<SeenItem> seen = {
      Scan(7001, SeenType::kArrival, 1),        Scan(7900, SeenType::kArrival, 30, 5),
      Scan(7900, SeenType::kOtherPresence, 12),                 // the first scan that saw it
      Scan(7901, SeenType::kUnpack, 8),         BagScan(5, 2),  // a bag with no manifest rows: not a parcel
  };
  const Report report = Classify(manifest, seen, 5, StationConfig());

  CHECK(Canonical(report.items) == std::vector<Discrepancy>{Surplus(7900, 12, 5), Surplus(7901, 8)});
  CHECK(report.manifest_to_station == 1);
  CHECK(report.arrived == 1);
  CheckOrderAndCounts(report);
}

TEST_CASE("reconcile: misrouted is seen here and manifested to another station", "[reconcile]") {
  const std::vector<ManifestItem> manifest = {
      Row(8001, kOther, kNow - 48 * kHour, 3, kOrigin2),  // seen here
      Row(8002, kOther, kNow - 48 * kHour, 3, kOrigin2),  // not seen: not ours to report
      Row(8003, kOther, kNow - kHour),                    // seen, within grace: still misrouted
  };
  const std::vector<SeenItem> seen = {
      Scan(8001, SeenType::kUnpack, 40, 3),
      Scan(8001, SeenType::kOtherPresence, 41),
      Scan(8003, SeenType::kOtherPresence, 7),
  };
  const Report report = Classify(manifest, seen, 3, StationConfig());

  CHECK(Canonical(report.items) == std::vector<Discrepancy>{Misrouted(manifest[0], 40), Misrouted(manifest[2], 7)});
  CHECK(report.manifest_to_station == 0);
  CHECK(report.arrived == 0);
  CHECK(report.within_grace == 0);
  CheckOrderAndCounts(report);
}

TEST_CASE("reconcile: duplicate arrivals are reported besides any other kind", "[reconcile]") {
  const std::int64_t old = kNow - 48 * kHour;
  const std::vector<ManifestItem> manifest = {
      Row(9001, kStation, old, 1),  // 2 arrivals
      Row(9002, kStation, old, 1),  // 3 arrivals, and an earlier out-for-delivery scan
      Row(9003, kStation, old, 1),  // 1 arrival and 1 unpack: not a duplicate
      Row(9004, kOther, old, 2),    // misrouted, 2 arrivals
  };
  const std::vector<SeenItem> seen = {
      Scan(9001, SeenType::kArrival, 7),     Scan(9001, SeenType::kArrival, 5),
      Scan(9002, SeenType::kArrival, 9, 1),  Scan(9002, SeenType::kArrival, 8, 1),
      Scan(9002, SeenType::kArrival, 20, 1), Scan(9002, SeenType::kOtherPresence, 3),
      Scan(9003, SeenType::kArrival, 14),    Scan(9003, SeenType::kUnpack, 15, 1),
      Scan(9004, SeenType::kArrival, 31, 2), Scan(9004, SeenType::kArrival, 30, 2),
      Scan(9900, SeenType::kArrival, 51),    Scan(9900, SeenType::kArrival, 50),  // surplus
  };
  const Report report = Classify(manifest, seen, 2, StationConfig());

  CHECK(Canonical(report.items) == std::vector<Discrepancy>{
                                       Surplus(9900, 50),
                                       Misrouted(manifest[3], 30),
                                       Duplicate(manifest[0], 2, 5),
                                       Duplicate(manifest[1], 3, 3),
                                       Duplicate(manifest[3], 2, 30),
                                       Duplicate(9900, 2, 50),
                                   });
  CHECK(report.counts[static_cast<int>(Kind::kDuplicateArrival)] == 4);
  CHECK(report.manifest_to_station == 3);
  CHECK(report.arrived == 3);
  CheckOrderAndCounts(report);
}

TEST_CASE("reconcile: when the manifest repeats a waybill the last row wins", "[reconcile]") {
  const std::int64_t old = kNow - 48 * kHour;
  const std::vector<ManifestItem> manifest = {
      Row(10001, kOther, old),                       // first says another station...
      Row(10002, kStation, old),                     // first says here...
      Row(10003, kStation, old),                     // first says here...
      Row(10004, kStation, old),                     // first: old enough to be missing...
      Row(10005, kStation, old, 0, kOrigin2),        // three rows; the bag changes
      Row(10001, kStation, old),                     // ...the last says here, and it was seen
      Row(10002, kOther, old),                       // ...the last says elsewhere, not seen
      Row(10003, kOther, old - kHour, 4, kOrigin3),  // ...the last says elsewhere, seen
      Row(10004, kStation, kNow - kHour),            // ...the last: within grace
      Row(10005, kStation, old, 6, kOrigin2),
      Row(10005, kStation, old - 1, 7, kOrigin3),  // bag 7, never seen
  };
  const std::vector<SeenItem> seen = {
      Scan(10001, SeenType::kArrival, 1), Scan(10003, SeenType::kArrival, 2),
      BagScan(6, 3),  // bag 6 arrived: it would have covered 10005
  };
  const Report report = Classify(manifest, seen, 7, StationConfig());

  CHECK(Canonical(report.items) ==
        std::vector<Discrepancy>{Missing(manifest[10], true), MissingBag(7, 1, kOrigin3), Misrouted(manifest[7], 2)});
  CHECK(report.manifest_to_station == 3);  // 10001, 10004, 10005
  CHECK(report.arrived == 1);
  CHECK(report.within_grace == 1);
  CheckOrderAndCounts(report);
}

TEST_CASE("reconcile: a parcel seen only out for delivery has arrived", "[reconcile]") {
  const std::int64_t old = kNow - 48 * kHour;
  const std::vector<ManifestItem> manifest = {Row(11001, kStation, old, 1), Row(11002, kStation, old),
                                              Row(11003, kStation, old, 1)};
  const std::vector<SeenItem> seen = {Scan(11001, SeenType::kOtherPresence, 1), Scan(11002, SeenType::kUnpack, 2)};
  const Report report = Classify(manifest, seen, 1, StationConfig());

  // 11003 shares bag 1 with a parcel that was seen: missing, but not as a missing bag.
  CHECK(Canonical(report.items) == std::vector<Discrepancy>{Missing(manifest[2])});
  CHECK(report.manifest_to_station == 3);
  CHECK(report.arrived == 2);
  CheckOrderAndCounts(report);
}

TEST_CASE("reconcile: items sort by kind then waybill, bags by bag number", "[reconcile]") {
  const std::int64_t old = kNow - 48 * kHour;
  const WaybillKey big = ~WaybillKey{0};
  const WaybillKey high = WaybillKey{1} << 63;
  // Given in descending order, keys spread over all 64 bits.
  const std::vector<ManifestItem> manifest = {
      Row(big, kStation, old, 9),  Row(high + 5, kStation, old, 9),
      Row(high, kStation, old, 2), Row(1ULL << 40, kStation, old, 2),
      Row(300, kStation, old),     Row(2, kStation, old),
      Row(big - 1, kOther, old),   Row(7, kOther, old),
  };
  const std::vector<SeenItem> seen = {
      Scan(big - 1, SeenType::kArrival, 9),  Scan(7, SeenType::kArrival, 8),
      Scan(high + 1, SeenType::kArrival, 7), Scan(3, SeenType::kArrival, 6),
      Scan(300, SeenType::kArrival, 5),      Scan(300, SeenType::kArrival, 4),
      Scan(7, SeenType::kArrival, 3),        Scan(high + 1, SeenType::kArrival, 2),
  };
  const Report report = Classify(manifest, seen, 9, StationConfig());

  CHECK(Canonical(report.items) == std::vector<Discrepancy>{
                                       Missing(manifest[5]),
                                       Missing(manifest[3], true),
                                       Missing(manifest[2], true),
                                       Missing(manifest[1], true),
                                       Missing(manifest[0], true),
                                       MissingBag(2, 2),
                                       MissingBag(9, 2),
                                       Surplus(3, 6),
                                       Surplus(high + 1, 2),
                                       Misrouted(manifest[7], 3),
                                       Misrouted(manifest[6], 9),
                                       Duplicate(manifest[7], 2, 3),
                                       Duplicate(manifest[4], 2, 4),
                                       Duplicate(high + 1, 2, 2),
                                   });
  CheckOrderAndCounts(report);
}

// engine.h: bag_missing means "no bag scan, no scan naming it, none of its
// parcels seen"; a bag's parcels are the rows that put a parcel in it,
// wherever they are addressed. A parcel put in the wrong bag and seen here
// shows that bag came (the engine once counted only parcels manifested here).
TEST_CASE("reconcile: a misrouted parcel seen here shows its bag came", "[reconcile]") {
  const std::int64_t old = kNow - 48 * kHour;
  const std::vector<ManifestItem> manifest = {Row(12001, kStation, old, 1), Row(12002, kOther, old, 1)};
  const std::vector<SeenItem> seen = {Scan(12002, SeenType::kArrival, 5)};
  const Report report = Classify(manifest, seen, 1, StationConfig());

  CHECK(Canonical(report.items) == std::vector<Discrepancy>{Missing(manifest[0]), Misrouted(manifest[1], 5)});
  CheckOrderAndCounts(report);
}

TEST_CASE("reconcile: nothing in, nothing out", "[reconcile]") {
  const Report report = Classify({}, {}, 0, StationConfig());
  CHECK(report.items.empty());
  CHECK(report.manifest_to_station == 0);
  CHECK(report.arrived == 0);
  CHECK(report.within_grace == 0);
  CheckOrderAndCounts(report);
}

// ---------------------------------------------------------------------------
// Randomized comparison against a reference

namespace {

// engine.h's rules, one at a time, over std::map and std::set.
Report ReferenceClassify(const std::vector<ManifestItem>& manifest, const std::vector<SeenItem>& seen,
                         const Config& config) {
  // Manifest: the last row of each waybill wins.
  std::map<WaybillKey, ManifestItem> rows;
  for (const ManifestItem& row : manifest) rows[row.waybill] = row;

  std::map<WaybillKey, std::vector<const SeenItem*>> parcel_scans;  // seen: parcel-level presence scans
  std::set<BagId> bag_arrived;                                      // a bag-level arrival scan names it
  std::set<BagId> bag_itemised;                                     // a parcel-level unpack scan names it
  std::set<BagId> bag_named;                                        // any scan names it
  for (const SeenItem& s : seen) {
    if (s.bag != 0) bag_named.insert(s.bag);
    if (s.waybill == 0) {
      if (s.type == SeenType::kArrival && s.bag != 0) bag_arrived.insert(s.bag);
    } else {
      parcel_scans[s.waybill].push_back(&s);
      if (s.type == SeenType::kUnpack && s.bag != 0) bag_itemised.insert(s.bag);
    }
  }
  // A bag with one of its parcels seen showed up.
  std::set<BagId> bag_parcel_seen;
  for (const auto& [waybill, row] : rows) {
    if (row.bag != 0 && parcel_scans.count(waybill)) bag_parcel_seen.insert(row.bag);
  }

  Report report;
  std::vector<Discrepancy> items;
  std::map<BagId, std::int32_t> missing_in_bag;
  std::map<BagId, std::int32_t> bag_origin;
  for (const auto& [waybill, row] : rows) {
    if (row.dest_station != config.station) continue;
    ++report.manifest_to_station;
    const bool seen_here = parcel_scans.count(waybill) > 0;
    const bool bag_covers = row.bag != 0 && bag_arrived.count(row.bag) && !bag_itemised.count(row.bag);
    if (seen_here || bag_covers) {
      ++report.arrived;
      continue;
    }
    std::int64_t grace = config.grace_ms;
    if (auto it = config.grace_by_origin_ms.find(row.origin_station); it != config.grace_by_origin_ms.end()) {
      grace = it->second;
    }
    if (config.now_ms - row.dispatched_ms < grace) {
      ++report.within_grace;
      continue;
    }
    const bool bag_missing = row.bag != 0 && !bag_named.count(row.bag) && !bag_parcel_seen.count(row.bag);
    items.push_back(Missing(row, bag_missing));
    if (bag_missing) {
      ++missing_in_bag[row.bag];
      bag_origin[row.bag] = row.origin_station;  // the generator gives a bag one origin
    }
  }
  for (const auto& [bag, count] : missing_in_bag) items.push_back(MissingBag(bag, count, bag_origin[bag]));

  for (const auto& [waybill, scans] : parcel_scans) {
    std::int64_t first = scans.front()->scan_id;
    std::int32_t arrivals = 0;
    BagId scan_bag = 0;
    bool strong = false;  // a scan that can make a surplus or a misroute
    for (const SeenItem* s : scans) {
      first = std::min(first, s->scan_id);
      if (s->type == SeenType::kArrival) ++arrivals;
      if (s->type != SeenType::kWeakPresence) strong = true;
      if (s->bag != 0) scan_bag = s->bag;
    }
    auto row = rows.find(waybill);
    if (row == rows.end()) {
      if (strong) items.push_back(Surplus(waybill, first, scan_bag));
      if (arrivals >= 2) items.push_back(Duplicate(waybill, arrivals, first, scan_bag));
    } else {
      if (row->second.dest_station != config.station && strong) items.push_back(Misrouted(row->second, first));
      if (arrivals >= 2) items.push_back(Duplicate(row->second, arrivals, first));
    }
  }

  std::sort(items.begin(), items.end(), [](const Discrepancy& a, const Discrepancy& b) {
    const WaybillKey ka = a.kind == Kind::kMissingBag ? a.bag : a.waybill;
    const WaybillKey kb = b.kind == Kind::kMissingBag ? b.bag : b.waybill;
    return std::make_pair(static_cast<int>(a.kind), ka) < std::make_pair(static_cast<int>(b.kind), kb);
  });
  for (const Discrepancy& d : items) ++report.counts[static_cast<int>(d.kind)];
  report.items = std::move(items);
  return report;
}

struct Scenario {
  std::vector<ManifestItem> manifest;
  std::vector<SeenItem> seen;
  BagId bag_count = 0;
  Config config;
};

// A waybill key: small numbers, packed-looking keys sharing their high bits,
// and keys anywhere in 64 bits, so the radix passes all matter.
WaybillKey RandomKey(std::mt19937_64& rng) {
  switch (rng() % 4) {
    case 0:
      return 1 + rng() % 5000;
    case 1:
      return (WaybillKey{1} << 60) | (rng() % 1000000000000000ULL);
    case 2:
      return (WaybillKey{2} << 60) | (rng() % 100000000ULL);
    default: {
      WaybillKey k = rng();
      return k == 0 ? 1 : k;
    }
  }
}

Scenario RandomScenario(std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  const auto chance = [&rng](int percent) { return static_cast<int>(rng() % 100) < percent; };
  Scenario sc;
  sc.config = StationConfig();
  sc.config.now_ms = kNow + static_cast<std::int64_t>(rng() % 1000);
  sc.config.grace_ms = (1 + static_cast<std::int64_t>(rng() % 48)) * kHour;
  const std::vector<std::int32_t> origins = {kOrigin, kOrigin2, kOrigin3, 400004, 500005};
  for (std::int32_t origin : origins) {
    if (chance(30)) sc.config.grace_by_origin_ms[origin] = static_cast<std::int64_t>(rng() % (72 * kHour));
  }
  const std::vector<std::int32_t> stations = {kStation, kOther, 320002, 330003};

  // Sizes: sometimes tiny, so that edge cases come up; up to 2000 rows.
  const std::size_t rows = chance(20) ? rng() % 20 : rng() % 2001;

  // Bags of 1-40 parcels, each from one origin to one station; some parcels travel loose.
  struct Bag {
    std::int32_t origin;
    std::int32_t dest;
    int fate;  // what the scans do with it, below
  };
  std::vector<Bag> bags(1);  // bags[0]: no bag
  std::vector<BagId> bag_of_parcel;
  const int loose_percent = static_cast<int>(rng() % 30);
  while (bag_of_parcel.size() < rows) {
    if (chance(loose_percent)) {
      bag_of_parcel.push_back(0);
      continue;
    }
    const BagId bag = static_cast<BagId>(bags.size());
    bags.push_back({origins[rng() % origins.size()], chance(70) ? kStation : stations[rng() % stations.size()],
                    static_cast<int>(rng() % 6)});
    const std::size_t size = 1 + rng() % 40;
    for (std::size_t i = 0; i < size && bag_of_parcel.size() < rows; ++i) bag_of_parcel.push_back(bag);
  }
  const BagId stray_bags = static_cast<BagId>(rng() % 4);  // bag numbers no manifest row uses
  for (BagId i = 0; i < stray_bags; ++i) bags.push_back({0, 0, static_cast<int>(rng() % 6)});
  sc.bag_count = static_cast<BagId>(bags.size() - 1);

  // Dispatch times cluster around each origin's grace boundary.
  const auto dispatched = [&](std::int32_t origin) {
    std::int64_t grace = sc.config.grace_ms;
    if (auto it = sc.config.grace_by_origin_ms.find(origin); it != sc.config.grace_by_origin_ms.end()) {
      grace = it->second;
    }
    const std::int64_t boundary = sc.config.now_ms - grace;
    switch (rng() % 5) {
      case 0:
        return boundary;
      case 1:
        return boundary + 1;
      case 2:
        return boundary - 1;
      default:
        return boundary + static_cast<std::int64_t>(rng() % (96 * kHour)) - 72 * kHour;
    }
  };
  const auto make_row = [&](WaybillKey waybill, BagId bag) {
    ManifestItem row;
    row.waybill = waybill;
    row.bag = bag;
    row.origin_station = bag ? bags[bag].origin : origins[rng() % origins.size()];
    row.dest_station = bag ? bags[bag].dest : (chance(75) ? kStation : stations[rng() % stations.size()]);
    row.dispatched_ms = dispatched(row.origin_station);
    return row;
  };

  // The winning rows, distinct waybills.
  std::set<WaybillKey> used;
  std::vector<ManifestItem> winners;
  for (std::size_t i = 0; i < rows; ++i) {
    WaybillKey waybill;
    do waybill = RandomKey(rng);
    while (!used.insert(waybill).second);
    winners.push_back(make_row(waybill, bag_of_parcel[i]));
  }
  // Stale rows the last one overrides: another bag (so another station or origin), another time.
  std::vector<std::pair<ManifestItem, bool>> all;  // a row, and whether it is the winner
  for (const ManifestItem& w : winners) all.push_back({w, true});
  const int stale_percent = static_cast<int>(rng() % 15);
  const BagId manifest_bags = static_cast<BagId>(bags.size() - stray_bags);
  for (const ManifestItem& w : winners) {
    while (chance(stale_percent)) {
      const BagId bag = chance(50) ? w.bag : static_cast<BagId>(rng() % manifest_bags);
      all.push_back({make_row(w.waybill, bag), false});
    }
  }
  std::shuffle(all.begin(), all.end(), rng);
  // Move each waybill's winning row behind its stale ones.
  std::map<WaybillKey, std::size_t> last_position, winner_position;
  for (std::size_t i = 0; i < all.size(); ++i) {
    last_position[all[i].first.waybill] = i;
    if (all[i].second) winner_position[all[i].first.waybill] = i;
  }
  for (const auto& [waybill, last] : last_position) std::swap(all[last], all[winner_position[waybill]]);
  for (const auto& [row, winner] : all) sc.manifest.push_back(row);

  // Scans. Each waybill's scans name one bag or none.
  std::vector<SeenItem> seen;
  const auto scan = [&](WaybillKey waybill, BagId scan_bag, bool may_unpack) {
    SeenItem s;
    s.waybill = waybill;
    s.bag = chance(60) ? scan_bag : 0;
    const int t = static_cast<int>(rng() % 12);
    s.type = t < 5                  ? SeenType::kArrival
             : (t < 7 && may_unpack) ? SeenType::kUnpack
             : t >= 10               ? SeenType::kWeakPresence
                                     : SeenType::kOtherPresence;
    seen.push_back(s);
  };
  // Bag fates: 0 never seen; 1 bag arrival, not itemised; 2 bag arrival and itemised;
  // 3 itemised without a bag scan; 4 parcels scanned but not unpacked; 5 a bag-level scan of another type.
  for (BagId b = 1; b < bags.size(); ++b) {
    const int fate = bags[b].fate;
    if (fate == 1 || fate == 2) {
      const int scans = chance(20) ? 2 : 1;
      for (int i = 0; i < scans; ++i) seen.push_back(BagScan(b, 0));
    }
    if (fate == 5) seen.push_back(BagScan(b, 0, chance(50) ? SeenType::kUnpack : SeenType::kOtherPresence));
  }
  for (const ManifestItem& row : winners) {
    const int fate = bags[row.bag].fate;
    int presence = row.bag == 0 ? 60 : (fate == 0 ? 3 : fate == 1 ? 30 : fate == 5 ? 20 : 75);
    if (row.dest_station != kStation) presence /= 3;  // misrouted parcels are rarer
    if (!chance(presence)) continue;
    // Now and then a parcel's scans name a bag other than its manifest bag.
    const BagId scan_bag = chance(5) ? static_cast<BagId>(rng() % bags.size()) : row.bag;
    const bool may_unpack = scan_bag == 0 || bags[scan_bag].fate == 2 || bags[scan_bag].fate == 3 || chance(2);
    const int scans = 1 + static_cast<int>(rng() % 3);
    for (int i = 0; i < scans; ++i) scan(row.waybill, scan_bag, may_unpack);
  }
  // Surplus parcels: waybills no manifest row names.
  const std::size_t surplus = rows / 50 + rng() % 5;
  for (std::size_t i = 0; i < surplus; ++i) {
    WaybillKey waybill;
    do waybill = RandomKey(rng);
    while (!used.insert(waybill).second);
    const BagId scan_bag = chance(40) ? static_cast<BagId>(rng() % bags.size()) : 0;
    const int scans = 1 + static_cast<int>(rng() % 3);
    for (int j = 0; j < scans; ++j) scan(waybill, scan_bag, true);
  }

  // Scan ids: unique, in no particular order relative to the input.
  std::vector<std::int64_t> ids(seen.size());
  for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<std::int64_t>(i) + 1 + 1000;
  std::shuffle(ids.begin(), ids.end(), rng);
  for (std::size_t i = 0; i < seen.size(); ++i) seen[i].scan_id = ids[i];
  std::shuffle(seen.begin(), seen.end(), rng);
  sc.seen = std::move(seen);
  return sc;
}

}  // namespace

TEST_CASE("reconcile: randomized scenarios agree with the reference rules", "[reconcile]") {
  std::int64_t totals[kKindCount] = {};
  std::int64_t bag_missing_parcels = 0, within_grace = 0;
  for (std::uint64_t seed = 1; seed <= 300; ++seed) {
    const Scenario sc = RandomScenario(seed);
    const Report want = ReferenceClassify(sc.manifest, sc.seen, sc.config);
    const Report got = Classify(sc.manifest, sc.seen, sc.bag_count, sc.config);

    INFO("seed " << seed << ": " << sc.manifest.size() << " manifest rows, " << sc.seen.size() << " scans, "
                 << sc.bag_count << " bags");
    const std::vector<Discrepancy> got_items = Canonical(got.items);
    const std::vector<Discrepancy> want_items = Canonical(want.items);
    if (got_items != want_items) {
      std::size_t i = 0;
      while (i < got_items.size() && i < want_items.size() && got_items[i] == want_items[i]) ++i;
      FAIL_CHECK("items differ at index "
                 << i << " (got " << got_items.size() << ", want " << want_items.size() << "): got "
                 << (i < got_items.size() ? Describe(got_items[i]) : std::string("nothing")) << ", want "
                 << (i < want_items.size() ? Describe(want_items[i]) : std::string("nothing")));
    }
    for (int k = 0; k < kKindCount; ++k) {
      INFO(KindName(static_cast<Kind>(k)));
      CHECK(got.counts[k] == want.counts[k]);
      totals[k] += want.counts[k];
    }
    CHECK(got.manifest_to_station == want.manifest_to_station);
    CHECK(got.arrived == want.arrived);
    CHECK(got.within_grace == want.within_grace);
    CheckOrderAndCounts(got);
    for (const Discrepancy& d : want.items) bag_missing_parcels += d.bag_missing ? 1 : 0;
    within_grace += want.within_grace;
  }
  // The generator reaches every kind, often.
  for (int k = 0; k < kKindCount; ++k) {
    INFO(KindName(static_cast<Kind>(k)));
    CHECK(totals[k] > 100);
  }
  CHECK(bag_missing_parcels > 100);
  CHECK(within_grace > 100);
}

TEST_CASE("reconcile: a weak presence scan shows a manifested parcel arrived, and makes no surplus or misroute",
          "[reconcile]") {
  const Config config = StationConfig();
  const std::vector<ManifestItem> manifest = {Row(12001, kStation, kNow - 48 * kHour),
                                              Row(12002, kOther, kNow - 48 * kHour)};
  const std::vector<SeenItem> seen = {Scan(12001, SeenType::kWeakPresence, 1),   // a damaged box, scanned as a problem
                                      Scan(12002, SeenType::kWeakPresence, 2),   // another station's parcel, held here
                                      Scan(12003, SeenType::kWeakPresence, 3),   // our own pickup, not manifested
                                      Scan(12004, SeenType::kWeakPresence, 4), Scan(12004, SeenType::kArrival, 5)};
  const Report report = Classify(manifest, seen, 0, config);
  CHECK(report.arrived == 1);
  CHECK(report.counts[static_cast<int>(Kind::kMissing)] == 0);
  CHECK(report.counts[static_cast<int>(Kind::kMisrouted)] == 0);
  REQUIRE(report.counts[static_cast<int>(Kind::kSurplus)] == 1);  // 12004 also arrived: that one counts
  CHECK(report.items[0].waybill == 12004);
  CHECK(report.items[0].first_scan_id == 4);
}
