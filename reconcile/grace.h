#pragma once
// The grace period of each origin station (engine.h's Config), looked up
// once a manifest row: shared by the batch engine and the ledger.

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "reconcile/engine.h"

namespace station::reconcile {

// A sorted table, since a config names a handful of origins and a map
// lookup a row would cost more than the merge it serves.
class Grace {
 public:
  explicit Grace(const Config& config) : default_ms_(config.grace_ms) {
    for (const auto& [origin, ms] : config.grace_by_origin_ms) by_origin_.push_back({origin, ms});
  }
  std::int64_t For(std::int32_t origin) const {
    if (by_origin_.empty()) return default_ms_;
    auto it = std::lower_bound(by_origin_.begin(), by_origin_.end(), origin,
                               [](const std::pair<std::int32_t, std::int64_t>& e, std::int32_t o) { return e.first < o; });
    return it != by_origin_.end() && it->first == origin ? it->second : default_ms_;
  }

 private:
  std::int64_t default_ms_;
  std::vector<std::pair<std::int32_t, std::int64_t>> by_origin_;  // sorted: built from a std::map
};

}  // namespace station::reconcile
