#include "tools/bench/reconcile_data.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>
#include <unordered_set>

#include "reconcile/waybill_key.h"
#include "tools/bench/bench_support.h"

namespace station::bench {
namespace {

using SteadyClock = std::chrono::steady_clock;
namespace rc = station::reconcile;

std::int64_t Percent(std::int64_t n, double pct) { return std::llround(static_cast<double>(n) * pct / 100); }

// Distinct carrier-form waybill numbers ("ZT" and 13 digits).
class WaybillSource {
 public:
  explicit WaybillSource(std::mt19937_64& rng) : rng_(rng) {}
  std::string Next() {
    std::uniform_int_distribution<std::uint64_t> digits(0, 9'999'999'999'999ULL);
    for (;;) {
      const std::uint64_t n = digits(rng_);
      if (!used_.insert(n).second) continue;
      char text[16];
      std::snprintf(text, sizeof text, "ZT%013llu", static_cast<unsigned long long>(n));
      return text;
    }
  }

 private:
  std::mt19937_64& rng_;
  std::unordered_set<std::uint64_t> used_;
};

// Six-digit station codes other than kStation, distinct.
std::vector<std::int32_t> StationCodes(std::mt19937_64& rng, int count) {
  std::uniform_int_distribution<std::int32_t> code(100000, 999999);
  std::vector<std::int32_t> codes;
  while (static_cast<int>(codes.size()) < count) {
    const std::int32_t c = code(rng);
    if (c != kStation && std::find(codes.begin(), codes.end(), c) == codes.end()) codes.push_back(c);
  }
  return codes;
}

// Adds the manifest: `n` rows to kStation, then `misrouted` rows to other
// stations, in bags of 25-35 parcels, each bag from one origin at one time.
void AddManifest(std::mt19937_64& rng, WaybillSource& waybills, std::int64_t n, std::int64_t misrouted, Data& data) {
  const std::vector<std::int32_t> origins = StationCodes(rng, 50);
  const std::vector<std::int32_t> elsewhere = StationCodes(rng, 20);  // misrouted parcels' destinations
  std::uniform_int_distribution<std::size_t> pick_origin(0, origins.size() - 1);
  std::uniform_int_distribution<std::size_t> pick_elsewhere(0, elsewhere.size() - 1);
  std::uniform_int_distribution<std::int64_t> dispatched(kNowMs - 5 * kDayMs, kNowMs - 2 * kDayMs);
  std::uniform_int_distribution<std::int64_t> bag_size(25, 35);
  data.manifest.reserve(static_cast<std::size_t>(n + misrouted));
  data.manifest_text.reserve(static_cast<std::size_t>(n + misrouted));
  const auto add_bags = [&](std::int64_t parcels, const auto& dest) {
    for (std::int64_t done = 0; done < parcels;) {
      const std::int64_t size = std::min(bag_size(rng), parcels - done);
      const rc::BagId bag = ++data.bag_count;
      const std::int32_t origin = origins[pick_origin(rng)];
      const std::int32_t to = dest();
      const std::int64_t at = dispatched(rng);
      for (std::int64_t i = 0; i < size; ++i) {
        data.manifest_text.push_back(waybills.Next());
        data.manifest.push_back({0, origin, to, at, bag});
      }
      done += size;
    }
  };
  add_bags(n, [] { return kStation; });
  data.bags_to_station = data.bag_count;
  add_bags(misrouted, [&] { return elsewhere[pick_elsewhere(rng)]; });
}

// Which of the first `n` parcels (those to kStation) arrive: all but the
// first `missing` of a shuffle. Counts the bags wholly missing into `data`.
std::vector<std::uint8_t> ChooseArrivals(std::mt19937_64& rng, std::int64_t n, std::int64_t missing, Data& data) {
  std::vector<std::uint32_t> order(static_cast<std::size_t>(n));
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = static_cast<std::uint32_t>(i);
  std::shuffle(order.begin(), order.end(), rng);
  std::vector<std::uint8_t> arrives(static_cast<std::size_t>(n), 1);
  for (std::int64_t i = 0; i < missing; ++i) arrives[order[static_cast<std::size_t>(i)]] = 0;

  // A bag is wholly missing when none of its parcels arrives.
  std::vector<std::int32_t> bag_parcels(data.bag_count + std::size_t{1}), bag_arrived(data.bag_count + std::size_t{1});
  for (std::int64_t i = 0; i < n; ++i) {
    const rc::BagId bag = data.manifest[static_cast<std::size_t>(i)].bag;
    ++bag_parcels[bag];
    bag_arrived[bag] += arrives[static_cast<std::size_t>(i)];
  }
  for (rc::BagId b = 1; b <= data.bags_to_station; ++b) {
    if (bag_arrived[b] == 0) {
      ++data.expected[static_cast<int>(rc::Kind::kMissingBag)];
      data.expected_bag_missing_parcels += bag_parcels[b];
    }
  }
  return arrives;
}

// Neither the national manifest nor the scans come sorted by waybill.
void Shuffle(std::mt19937_64& rng, Data& data) {
  std::vector<std::size_t> perm(data.manifest.size());
  for (std::size_t i = 0; i < perm.size(); ++i) perm[i] = i;
  std::shuffle(perm.begin(), perm.end(), rng);
  std::vector<rc::ManifestItem> manifest(perm.size());
  std::vector<std::string> manifest_text(perm.size());
  for (std::size_t i = 0; i < perm.size(); ++i) {
    manifest[i] = data.manifest[perm[i]];
    manifest_text[i] = std::move(data.manifest_text[perm[i]]);
  }
  data.manifest = std::move(manifest);
  data.manifest_text = std::move(manifest_text);
  std::shuffle(data.seen_text.begin(), data.seen_text.end(), rng);
}

}  // namespace

Data Generate(const DataSpec& spec) {
  // One generator, drawn from in a fixed order: the same seed, the same data.
  std::mt19937_64 rng(spec.seed);
  WaybillSource waybills(rng);
  Data data;
  const std::int64_t n = spec.manifest_rows;
  const std::int64_t misrouted = Percent(n, spec.misrouted_pct);
  AddManifest(rng, waybills, n, misrouted, data);
  const std::int64_t missing = Percent(n, spec.missing_pct);
  const std::vector<std::uint8_t> arrives = ChooseArrivals(rng, n, missing, data);

  // Arrival scans: the manifested parcels that arrive, the misrouted ones
  // (every row to elsewhere) and the surplus ones.
  const std::int64_t surplus = Percent(n, spec.surplus_pct);
  for (std::size_t i = 0; i < data.manifest.size(); ++i) {
    if (i < static_cast<std::size_t>(n) && !arrives[i]) continue;
    data.seen_text.push_back(data.manifest_text[i]);
  }
  for (std::int64_t i = 0; i < surplus; ++i) data.seen_text.push_back(waybills.Next());
  data.expected[static_cast<int>(rc::Kind::kMissing)] = missing;
  data.expected[static_cast<int>(rc::Kind::kSurplus)] = surplus;
  data.expected[static_cast<int>(rc::Kind::kMisrouted)] = misrouted;

  Shuffle(rng, data);
  data.seen.resize(data.seen_text.size());
  for (std::size_t i = 0; i < data.seen.size(); ++i) {
    data.seen[i].type = rc::SeenType::kArrival;
    data.seen[i].scan_id = static_cast<std::int64_t>(i) + 1;
  }
  return data;
}

Result<double> PackKeys(Data& data) {
  const SteadyClock::time_point start = SteadyClock::now();
  for (std::size_t i = 0; i < data.manifest.size(); ++i) {
    auto key = rc::PackWaybill(data.manifest_text[i]);
    if (!key) return Status::InvalidArgument("pack " + data.manifest_text[i]);
    data.manifest[i].waybill = *key;
  }
  for (std::size_t i = 0; i < data.seen.size(); ++i) {
    auto key = rc::PackWaybill(data.seen_text[i]);
    if (!key) return Status::InvalidArgument("pack " + data.seen_text[i]);
    data.seen[i].waybill = *key;
  }
  const double seconds = Seconds(SteadyClock::now() - start);
  for (std::size_t i = 0; i < data.manifest.size(); i += 997) {
    if (rc::UnpackWaybill(data.manifest[i].waybill) != data.manifest_text[i]) {
      return Status::InvalidArgument("unpack " + data.manifest_text[i], "not the same text");
    }
  }
  return seconds;
}

}  // namespace station::bench
