#pragma once
// Lookups (docs/protocol.md, "Lookup"): the surplus parcels of each
// reconciliation run are asked of national, which answers with its
// manifest rows for those it knows. The sync's discipline: one lookup in
// flight, given up and sent again after the reply timeout or when the link
// goes down; a refusal backs off 1 s to 60 s.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/uplink/link_context.h"
#include "wire/national.h"

namespace station {

class SurplusLookups {
 public:
  explicit SurplusLookups(LinkContext link) : link_(link) {}

  // When due: queues the surplus of a reconciliation run not yet seen (also
  // the latest one after a restart), then sends the oldest waiting lookups.
  void Send(SteadyClock::time_point now);
  // Stores national's rows (`manifest_csv`, "" when none) and its answer
  // for each waybill asked.
  void OnReply(const LookupReply& reply, std::string_view manifest_csv, SteadyClock::time_point now);
  // The link went down: the lookup in flight is given up, and asked again
  // as soon as the link is back.
  void Forget();

 private:
  // false when they could not be queued.
  bool QueueNewSurplus(std::int64_t now_ms);
  // The oldest waybills waiting, those that are no valid number set aside;
  // nullopt when they could not be read.
  std::optional<std::vector<std::string>> ReadWaiting(std::int64_t now_ms);

  LinkContext link_;
  std::string req_;                 // the lookup in flight, "" when none
  std::size_t asked_ = 0;           // how many waybills it asks about
  SteadyClock::time_point next_{};  // when to look at the lookup queue again
  int backoff_ms_ = 1000;
  std::int64_t queued_run_ = -1;  // the reconciliation run whose surplus was queued last
};

}  // namespace station
