#pragma once
// Waybill numbers as 64-bit keys, so that reconciliation sorts and merges
// integers rather than strings. The packing is exact (one number, one key,
// and back), never a hash: two parcels must never be taken for one.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace station::reconcile {

using WaybillKey = std::uint64_t;

// The key of a waybill number in one of DESIGN §3's normalised forms:
// 10-15 digits; two capital letters and 10-13 digits; S10 (two letters,
// nine digits, two letters). nullopt for anything else. Never 0.
std::optional<WaybillKey> PackWaybill(std::string_view waybill);

// The number a PackWaybill key came from. REQUIRES: `key` came from PackWaybill.
std::string UnpackWaybill(WaybillKey key);

// Keys for any text: packed when it has a DESIGN §3 form, otherwise
// numbered in a table of its own (a key space PackWaybill never uses), so
// even an odd number keeps its own key. Not thread-safe.
class WaybillKeys {
 public:
  WaybillKey Key(std::string_view waybill);
  std::string Text(WaybillKey key) const;

 private:
  std::unordered_map<std::string, WaybillKey> odd_;
  std::vector<std::string> odd_text_;
};

}  // namespace station::reconcile
