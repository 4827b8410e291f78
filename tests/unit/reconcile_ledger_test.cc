// The incremental ledger (reconcile/ledger.h) against the batch engine
// (reconcile/engine.h): after every step of a random history of manifest
// changes, scans and clock moves, the ledger must hold exactly what
// Classify says about everything so far, and the changes it reported must
// add up to that, so a caller that applies only the changes stays right.

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "reconcile/engine.h"
#include "reconcile/ledger.h"
#include "tests/unit/reconcile_inputs.h"

using namespace station::reconcile;
using station::reconcile::test::Row;
using station::reconcile::test::Scan;

namespace {

constexpr std::int32_t kStation = 571001;
constexpr std::int64_t kHour = 3600LL * 1000;
constexpr std::int64_t kStart = 1795000000000LL;

Config StationConfig() {
  Config config;
  config.station = kStation;
  config.grace_ms = 24 * kHour;
  return config;
}

std::string Show(const Discrepancy& d) {
  std::ostringstream out;
  out << KindName(d.kind) << " waybill=" << d.waybill << " bag=" << d.bag << " origin=" << d.origin_station
      << " dest=" << d.dest_station << " dispatched=" << d.dispatched_ms << " first_scan=" << d.first_scan_id
      << " count=" << d.count << " bag_missing=" << d.bag_missing;
  return out.str();
}

using Identity = std::pair<Kind, std::uint64_t>;
Identity IdentityOf(const Discrepancy& d) { return {d.kind, d.kind == Kind::kMissingBag ? d.bag : d.waybill}; }

std::vector<std::string> Shown(const std::vector<Discrepancy>& items) {
  std::vector<std::string> out;
  for (const Discrepancy& d : items) out.push_back(Show(d));
  return out;
}

void RequireSameReport(const Report& got, const Report& want) {
  REQUIRE(Shown(got.items) == Shown(want.items));
  for (int k = 0; k < kKindCount; ++k) REQUIRE(got.counts[k] == want.counts[k]);
  REQUIRE(got.manifest_to_station == want.manifest_to_station);
  REQUIRE(got.arrived == want.arrived);
  REQUIRE(got.within_grace == want.within_grace);
}

}  // namespace

TEST_CASE("ledger: a parcel goes from within grace to missing to arrived", "[reconcile][ledger]") {
  Ledger ledger(StationConfig());
  ledger.SetManifest(Row(1001, kStation, kStart, 0));
  LedgerChanges first = ledger.Update(kStart + kHour);
  CHECK(first.found.empty());
  CHECK(ledger.Current().within_grace == 1);

  // Nothing new came, but the clock passed its grace period.
  LedgerChanges later = ledger.Update(kStart + 25 * kHour);
  REQUIRE(later.found.size() == 1);
  CHECK(later.found[0].kind == Kind::kMissing);
  CHECK(later.found[0].waybill == 1001);
  CHECK(later.gone.empty());

  ledger.AddSeen(Scan(1001, SeenType::kArrival, 7));
  LedgerChanges arrived = ledger.Update(kStart + 26 * kHour);
  CHECK(arrived.found.empty());
  REQUIRE(arrived.gone.size() == 1);
  CHECK(arrived.gone[0].kind == Kind::kMissing);
  CHECK(arrived.gone[0].waybill == 1001);
  CHECK(ledger.Current().arrived == 1);
}

TEST_CASE("ledger: a bag arrival reaches the parcels in it, and only those", "[reconcile][ledger]") {
  Ledger ledger(StationConfig());
  for (WaybillKey w = 1; w <= 50; ++w) ledger.SetManifest(Row(w, kStation, kStart, w <= 10 ? 1 : 2));
  LedgerChanges first = ledger.Update(kStart + 30 * kHour);
  CHECK(ledger.Current().counts[static_cast<int>(Kind::kMissing)] == 50);
  CHECK(ledger.Current().counts[static_cast<int>(Kind::kMissingBag)] == 2);
  CHECK(first.found.size() == 52);

  ledger.AddSeen(Scan(0, SeenType::kArrival, 1, 1));  // bag 1 arrives whole
  LedgerChanges changes = ledger.Update(kStart + 31 * kHour);
  CHECK(changes.found.empty());
  CHECK(changes.gone.size() == 11);  // its 10 parcels and the bag
  CHECK(ledger.Current().counts[static_cast<int>(Kind::kMissing)] == 40);
  CHECK(ledger.Current().counts[static_cast<int>(Kind::kMissingBag)] == 1);
}

TEST_CASE("ledger: random histories agree with the batch engine after every step", "[reconcile][ledger]") {
  for (std::uint64_t seed = 1; seed <= 200; ++seed) {
    std::mt19937_64 rng(seed);
    const auto pick = [&](std::int64_t lo, std::int64_t hi) {
      return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng);
    };
    Config config = StationConfig();
    if (pick(0, 1)) config.grace_by_origin_ms[200002] = pick(1, 48) * kHour;
    const std::int32_t origins[] = {100001, 200002, 300003};
    const std::int32_t dests[] = {kStation, kStation, kStation, 310001};
    const BagId bag_count = static_cast<BagId>(pick(1, 12));
    const WaybillKey waybills = static_cast<WaybillKey>(pick(5, 120));

    Ledger ledger(config);
    std::map<WaybillKey, ManifestItem> rows;
    std::vector<SeenItem> seen;
    std::map<Identity, Discrepancy> applied;  // what a caller applying only the changes holds
    std::int64_t now = kStart;
    std::int64_t scan_id = 0;
    const int steps = static_cast<int>(pick(1, 10));
    for (int step = 0; step < steps; ++step) {
      const int ops = static_cast<int>(pick(0, 60));
      for (int op = 0; op < ops; ++op) {
        const WaybillKey waybill = static_cast<WaybillKey>(pick(1, static_cast<std::int64_t>(waybills)));
        const BagId bag = pick(0, 2) ? static_cast<BagId>(pick(1, bag_count)) : 0;
        switch (pick(0, 9)) {
          case 0:
          case 1:
          case 2: {
            const ManifestItem row = Row(waybill, dests[pick(0, 3)], now - pick(0, 60) * kHour, bag, origins[pick(0, 2)]);
            rows[waybill] = row;
            ledger.SetManifest(row);
            break;
          }
          case 3:
            rows.erase(waybill);
            ledger.RemoveManifest(waybill);
            break;
          case 4: {  // a bag-level scan
            const SeenItem s = Scan(0, pick(0, 3) ? SeenType::kArrival : SeenType::kUnpack, ++scan_id,
                                    static_cast<BagId>(pick(1, bag_count)));
            seen.push_back(s);
            ledger.AddSeen(s);
            break;
          }
          default: {
            const SeenType types[] = {SeenType::kArrival, SeenType::kArrival, SeenType::kUnpack,
                                      SeenType::kOtherPresence, SeenType::kWeakPresence};
            const SeenItem s = Scan(waybill, types[pick(0, 4)], ++scan_id, bag);
            seen.push_back(s);
            ledger.AddSeen(s);
            break;
          }
        }
      }
      // Mostly forward, sometimes a long way, now and then back (a clock set right).
      now += pick(0, 9) == 0 ? -pick(1, 5) * kHour : pick(0, 30) * kHour;
      const LedgerChanges changes = ledger.Update(now);

      INFO("seed " << seed << " step " << step);
      std::vector<ManifestItem> manifest;
      for (const auto& [w, row] : rows) manifest.push_back(row);
      config.now_ms = now;
      const Report want = Classify(manifest, seen, bag_count, config);
      RequireSameReport(ledger.Current(), want);

      for (const Discrepancy& d : changes.gone) {
        INFO("gone: " << Show(d));
        REQUIRE(applied.erase(IdentityOf(d)) == 1);
      }
      for (const Discrepancy& d : changes.found) applied[IdentityOf(d)] = d;
      std::vector<std::string> held;
      for (const auto& [identity, d] : applied) held.push_back(Show(d));
      std::vector<std::string> all;
      for (const Discrepancy& d : want.items) all.push_back(Show(d));
      std::sort(held.begin(), held.end());
      std::sort(all.begin(), all.end());
      REQUIRE(held == all);
    }
  }
}

TEST_CASE("ledger: a bulk Load holds what one row and one scan at a time would, and goes on from there",
          "[reconcile][ledger]") {
  for (std::uint64_t seed = 1; seed <= 200; ++seed) {
    std::mt19937_64 rng(seed);
    const auto pick = [&](std::int64_t lo, std::int64_t hi) {
      return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng);
    };
    Config config = StationConfig();
    const BagId bag_count = static_cast<BagId>(pick(1, 10));
    const std::int64_t waybills = pick(5, 100);
    std::vector<ManifestItem> manifest;  // with repeats: the last row of a waybill wins
    std::vector<SeenItem> seen;
    std::int64_t scan_id = 0;
    std::int64_t now = kStart;
    const auto random_row = [&] {
      const BagId bag = pick(0, 2) ? static_cast<BagId>(pick(1, bag_count)) : 0;
      return Row(static_cast<WaybillKey>(pick(1, waybills)), pick(0, 3) ? kStation : 310001,
                 now - pick(0, 60) * kHour, bag, pick(0, 1) ? 100001 : 200002);
    };
    const auto random_scan = [&] {
      const BagId bag = pick(0, 2) ? static_cast<BagId>(pick(1, bag_count)) : 0;
      if (pick(0, 5) == 0) return Scan(0, pick(0, 2) ? SeenType::kArrival : SeenType::kUnpack, ++scan_id, bag ? bag : 1);
      const SeenType types[] = {SeenType::kArrival, SeenType::kArrival, SeenType::kUnpack, SeenType::kOtherPresence,
                                SeenType::kWeakPresence};
      return Scan(static_cast<WaybillKey>(pick(1, waybills)), types[pick(0, 4)], ++scan_id, bag);
    };
    for (std::int64_t i = pick(0, 80); i > 0; --i) manifest.push_back(random_row());
    for (std::int64_t i = pick(0, 80); i > 0; --i) seen.push_back(random_scan());

    Ledger bulk(config), one_by_one(config);
    bulk.Load(manifest, seen);
    for (const ManifestItem& m : manifest) one_by_one.SetManifest(m);
    for (const SeenItem& s : seen) one_by_one.AddSeen(s);
    bulk.Update(now);
    one_by_one.Update(now);
    config.now_ms = now;
    INFO("seed " << seed);
    const Report want = Classify(manifest, seen, bag_count, config);
    RequireSameReport(bulk.Current(), want);
    RequireSameReport(one_by_one.Current(), want);

    // Then more of both, one at a time, and later: the loaded state
    // (bag members, parcels seen per bag) must carry the changes right.
    for (std::int64_t i = pick(0, 30); i > 0; --i) {
      if (pick(0, 1)) {
        manifest.push_back(random_row());
        bulk.SetManifest(manifest.back());
      } else {
        seen.push_back(random_scan());
        bulk.AddSeen(seen.back());
      }
    }
    now += pick(0, 30) * kHour;
    bulk.Update(now);
    config.now_ms = now;
    RequireSameReport(bulk.Current(), Classify(manifest, seen, bag_count, config));
  }
}
