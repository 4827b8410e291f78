#pragma once
// The reconciliation engine's incremental form: what Classify (engine.h)
// would say about all the rows and scans given so far, kept up to date a
// few rows at a time. A station adds some thousands of scans between two
// runs against a manifest of a million rows; re-sorting everything each
// time costs far more than looking at what those scans touch.
//
// The rules are engine.h's, to the field; tests/unit/reconcile_ledger_test
// checks the two against each other over random histories. One difference
// of input: a waybill has one manifest row here (SetManifest replaces it),
// where Classify takes the last of repeated rows.
//
// Memory: about 80 bytes a waybill (manifest rows and parcels seen), in
// Abseil's flat hash map: one probe into one array a lookup, where
// std::unordered_map follows a node pointer; a stationd's first run over a
// million waybills loaded in half the time.

#include <cstdint>
#include <queue>
#include <utility>
#include <vector>

#include <absl/container/flat_hash_map.h>

#include "reconcile/engine.h"
#include "reconcile/grace.h"

namespace station::reconcile {

// What one Update found for the waybills and bags that changed.
struct LedgerChanges {
  // Discrepancies held now by a waybill or bag that changed: new ones and
  // ones found again (perhaps with the same figures).
  std::vector<Discrepancy> found;
  // Discrepancies held before that changed waybills and bags no longer
  // have: only kind and waybill (bag for kMissingBag) are set.
  std::vector<Discrepancy> gone;
};

class Ledger {
 public:
  // `config.now_ms` is not used: each Update names its own time.
  explicit Ledger(const Config& config);

  // Everything at once, into an empty ledger: the same as SetManifest for
  // each row in order (the last row of a waybill wins), then AddSeen for
  // each scan in order, but sorted and merged in bulk, several times faster
  // than a hash lookup a row (a stationd's first run reads a million rows).
  void Load(const std::vector<ManifestItem>& manifest, const std::vector<SeenItem>& seen);

  // Inputs, as many as come between two updates.
  void SetManifest(const ManifestItem& row);  // the waybill's row now
  void RemoveManifest(WaybillKey waybill);
  void AddSeen(const SeenItem& scan);  // in the order of scan ids

  // Classifies whatever the inputs since the last Update touched, and
  // whatever became missing because `now_ms` passed its grace period.
  // The first Update, and one whose `now_ms` is earlier than the last
  // (the clock was set back), look at everything.
  LedgerChanges Update(std::int64_t now_ms);

  // Everything held as of the last Update, as Classify reports it.
  Report Current() const;
  // The same figures without the items (cheap: kept as entries change).
  Report Figures() const;

  std::size_t waybills() const { return entries_.size(); }
  // True when the parcel is manifested here and arrived, as of the last Update.
  bool Arrived(WaybillKey waybill) const;

 private:
  enum class Arrival : std::uint8_t { kNotToStation, kArrived, kWithinGrace, kMissing };
  static constexpr std::uint8_t kSurplusFlag = 1, kMisroutedFlag = 2, kDuplicateFlag = 4;

  struct Entry {
    std::int64_t dispatched_ms = 0;
    std::int64_t first_scan_id = 0;  // of its parcel-level scans; 0: none
    std::int32_t origin_station = 0;
    std::int32_t dest_station = 0;
    std::int32_t scans = 0;     // parcel-level scans (any presence type)
    std::int32_t strong = 0;    // of those, not kWeakPresence: they can make a surplus or a misroute
    std::int32_t arrivals = 0;  // of those, arrival scans
    BagId bag = 0;              // the manifest's bag
    BagId scan_bag = 0;         // the first bag its scans name
    bool has_row = false;
    bool dirty = false;
    bool row_changed = false;  // since the last Update: its grace deadline may have moved
    Arrival arrival = Arrival::kNotToStation;  // as classified last
    std::uint8_t flags = 0;                    // kSurplusFlag...: as classified last
    bool bag_missing = false;                  // as classified last (when kMissing)
  };

  struct Bag {
    bool arrived = false;      // a bag-level arrival scan
    bool itemised = false;     // a parcel-level unpack scan names it
    bool named = false;        // any scan names it
    std::int32_t seen_rows = 0;  // manifest rows in it (any destination) whose parcel was seen
    std::vector<WaybillKey> members;  // manifest rows to this station in it
    bool dirty = false;        // its facts or members changed: members to re-classify
    bool recount = false;      // its missing_bag to work out again
    Discrepancy reported;      // its missing_bag as last found (count 0: none)
    bool Mentioned() const { return named || seen_rows > 0; }
  };

  Entry& EntryFor(WaybillKey waybill);
  Bag& BagFor(BagId bag);
  void MarkDirty(WaybillKey waybill, Entry& e);
  void MarkBagDirty(BagId bag);
  void MarkRecount(BagId bag);
  // A row's place in the bag facts (members, seen_rows): `sign` +1 adds it, -1 takes it out.
  void PlaceRow(WaybillKey waybill, const Entry& e, int sign);
  void Reclassify(WaybillKey waybill, Entry& e, std::int64_t now_ms, LedgerChanges& out);
  void Recount(BagId bag, Bag& b, LedgerChanges& out);
  // The discrepancies `e` holds as last classified, appended to `out`.
  void Describe(WaybillKey waybill, const Entry& e, std::vector<Discrepancy>& out) const;
  void Count(const Entry& e, int sign);

  std::int32_t station_;
  Grace grace_;
  absl::flat_hash_map<WaybillKey, Entry> entries_;
  std::vector<Bag> bags_;  // by BagId; 0 is "no bag" and never used
  std::vector<WaybillKey> dirty_;
  std::vector<BagId> dirty_bags_;    // facts or members changed
  std::vector<BagId> recount_bags_;  // a member's missing state changed
  // Rows within grace at their last classification, by the time they
  // stop being: (deadline, waybill), earliest first. Stale entries (a row
  // that arrived meanwhile) only cost a needless look.
  std::priority_queue<std::pair<std::int64_t, WaybillKey>, std::vector<std::pair<std::int64_t, WaybillKey>>,
                      std::greater<>>
      deadlines_;
  bool everything_dirty_ = true;
  std::int64_t last_now_ms_ = 0;
  // Report's figures, kept as entries change.
  std::int64_t counts_[kKindCount] = {};
  std::int64_t manifest_to_station_ = 0, arrived_ = 0, within_grace_ = 0;
};

}  // namespace station::reconcile
