#include "reconcile/sort_keys.h"

#include <array>

namespace station::reconcile {

void SortByKey(std::vector<KeyedIndex>& items, std::vector<KeyedIndex>& scratch) {
  constexpr int kDigitBits = 16;
  constexpr std::size_t kBuckets = std::size_t{1} << kDigitBits;
  const std::size_t n = items.size();
  if (n < 2) return;
  scratch.resize(n);
  std::vector<std::uint32_t> counts(kBuckets);
  for (int shift = 0; shift < 64; shift += kDigitBits) {
    std::fill(counts.begin(), counts.end(), 0);
    for (const KeyedIndex& item : items) ++counts[(item.key >> shift) & (kBuckets - 1)];
    // Every key has the same digit here: the pass would not move anything.
    if (counts[(items[0].key >> shift) & (kBuckets - 1)] == n) continue;
    std::uint32_t offset = 0;
    for (std::uint32_t& c : counts) {
      const std::uint32_t here = c;
      c = offset;
      offset += here;
    }
    for (const KeyedIndex& item : items) scratch[counts[(item.key >> shift) & (kBuckets - 1)]++] = item;
    items.swap(scratch);
  }
}

}  // namespace station::reconcile
