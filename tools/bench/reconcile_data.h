#pragma once
// bench_reconcile's inputs: a manifest and the arrival scans of one station,
// generated from a seed with known discrepancies, so that every count the
// engine and the sqlite3 shell give can be checked against what was made.

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "reconcile/engine.h"

namespace station::bench {

// The station the rows are for, when they are reconciled, and the grace.
inline constexpr std::int32_t kStation = 571001;
inline constexpr std::int64_t kNowMs = 1795564800000;  // 2026-11-25T00:00:00Z
inline constexpr std::int64_t kDayMs = 24LL * 3600 * 1000;

// What to generate.
struct DataSpec {
  std::int64_t manifest_rows = 1'000'000;  // to kStation
  double missing_pct = 3;                  // of manifest_rows: never scanned
  double surplus_pct = 1;                  // of manifest_rows: scanned, in no manifest
  double misrouted_pct = 0.5;              // of manifest_rows: scanned, manifested elsewhere
  std::uint64_t seed = 20261125;
};

// The two inputs, with the waybill text of every row (for SQLite) and what
// the engine must find in them.
struct Data {
  std::vector<reconcile::ManifestItem> manifest;
  std::vector<std::string> manifest_text;
  std::vector<reconcile::SeenItem> seen;
  std::vector<std::string> seen_text;
  reconcile::BagId bag_count = 0;
  reconcile::BagId bags_to_station = 0;
  std::int64_t expected[reconcile::kKindCount] = {};
  std::int64_t expected_bag_missing_parcels = 0;  // missing parcels whose whole bag is missing
};

// --manifest-rows waybills manifested to kStation in bags of about 30, plus
// as many rows manifested to other stations as there are misrouted parcels;
// one parcel-level arrival scan for every manifested parcel except the
// missing ones, for each misrouted parcel and for each surplus waybill.
// Both inputs shuffled; the same spec gives the same data. The keys are
// left to PackKeys.
Data Generate(const DataSpec& spec);

// Packs every waybill text into its key; the seconds it took. kInvalidArgument
// when a text has no key or its key does not give the text back.
Result<double> PackKeys(Data& data);

}  // namespace station::bench
