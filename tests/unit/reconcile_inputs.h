#pragma once
// Manifest rows and scans for the reconciliation tests (engine and ledger).

#include <cstdint>

#include "reconcile/engine.h"

namespace station::reconcile::test {

inline ManifestItem Row(WaybillKey waybill, std::int32_t dest, std::int64_t dispatched_ms, BagId bag = 0,
                        std::int32_t origin = 100001) {
  ManifestItem row;
  row.waybill = waybill;
  row.origin_station = origin;
  row.dest_station = dest;
  row.dispatched_ms = dispatched_ms;
  row.bag = bag;
  return row;
}

// A parcel-level scan, or a bag-level one when `waybill` is 0.
inline SeenItem Scan(WaybillKey waybill, SeenType type, std::int64_t scan_id, BagId bag = 0) {
  SeenItem s;
  s.waybill = waybill;
  s.bag = bag;
  s.type = type;
  s.scan_id = scan_id;
  return s;
}

}  // namespace station::reconcile::test
