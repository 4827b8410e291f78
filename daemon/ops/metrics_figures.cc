#include "daemon/ops/metrics_figures.h"

#include <algorithm>
#include <tuple>
#include <utility>

namespace station {
namespace {

using metrics::Family;
using metrics::Type;

// The discrepancy kinds of daemon/schema.cc: each is written, 0 or not, so
// an alert on one kind has a series to watch from the start.
constexpr const char* kDiscrepancyKinds[] = {"missing", "missing_bag", "surplus", "misrouted", "duplicate_arrival"};

double Seconds(std::int64_t ms) { return static_cast<double>(ms) / 1000.0; }

class Builder {
 public:
  explicit Builder(std::string station) : station_(std::move(station)) {}

  void Add(const char* name, Type type, const char* help, double value) {
    families_.push_back({name, help, type, {{{{"station", station_}}, value}}});
  }
  // One sample a window of `counts`, as a rate per minute.
  void AddPerMinute(const char* name, const char* help, const RecentCounts& counts) {
    Family f{name, help, Type::kGauge, {}};
    for (auto [window, count, minutes] : {std::tuple{"1m", counts.last_1m, 1}, {"5m", counts.last_5m, 5},
                                          {"15m", counts.last_15m, 15}}) {
      f.samples.push_back({{{"station", station_}, {"window", window}}, static_cast<double>(count) / minutes});
    }
    families_.push_back(std::move(f));
  }
  void AddFamily(Family f) { families_.push_back(std::move(f)); }
  std::vector<Family> Take() { return std::move(families_); }

 private:
  std::string station_;
  std::vector<Family> families_;
};

}  // namespace

std::vector<metrics::Family> StationFamilies(const StationFigures& f, const std::optional<UplinkStatus>& link,
                                             const std::string& station, std::int64_t started_ms) {
  Builder b(station);
  b.Add("stationsync_scans_stored_total", Type::kCounter,
        "Scans stored since the database was made (its highest scan id; pruned scans included).",
        static_cast<double>(f.scans_stored));
  b.Add("stationsync_batches_total", Type::kCounter, "Distinct gun batches stored.", static_cast<double>(f.batches));
  b.Add("stationsync_docks_total", Type::kCounter, "Batch messages received from docks (a re-dock counts again).",
        static_cast<double>(f.docks));
  b.Add("stationsync_quarantined_rows_total", Type::kCounter,
        "Records that could not be stored as scans (bad rows, conflicting resends, refused batches).",
        static_cast<double>(f.quarantined));
  b.Add("stationsync_scans_uploaded_total", Type::kCounter, "Scans held at the national system (the upload cursor).",
        static_cast<double>(f.scans_uploaded));
  b.AddPerMinute("stationsync_scans_received_per_minute",
                 "Scans stored per minute, averaged over the last 1, 5 and 15 minutes.", f.scans_received);
  b.AddPerMinute("stationsync_docks_per_minute",
                 "Batch messages received per minute, averaged over the last 1, 5 and 15 minutes.", f.docks_received);
  b.AddPerMinute("stationsync_quarantined_rows_per_minute",
                 "Records quarantined per minute, averaged over the last 1, 5 and 15 minutes.",
                 f.quarantined_received);
  b.Add("stationsync_upload_backlog_scans", Type::kGauge, "Scans stored but not yet held at the national system.",
        static_cast<double>(f.upload_backlog));
  b.Add("stationsync_upload_oldest_waiting_seconds", Type::kGauge,
        "Age of the oldest scan not yet uploaded (0: none waiting).",
        f.oldest_waiting_ms > 0 ? Seconds(std::max<std::int64_t>(0, f.at_ms - f.oldest_waiting_ms)) : 0.0);
  b.Add("stationsync_last_upload_timestamp_seconds", Type::kGauge,
        "When national last acknowledged an upload, Unix time (0: never).", Seconds(f.last_upload_ms));
  b.Add("stationsync_outbox_waiting_messages", Type::kGauge,
        "Messages to other stations (problem alerts, answers) not yet posted at national.",
        static_cast<double>(f.outbox_waiting));
  if (f.index_lag >= 0) {
    b.Add("stationsync_waybill_index_lag_scans", Type::kGauge,
          "Scans stored but not yet in the waybill index (stationctl scans finds them anyway, more slowly).",
          static_cast<double>(f.index_lag));
  }
  Family discrepancies{"stationsync_discrepancies_open", "Discrepancies open or notified, by kind.", Type::kGauge, {}};
  for (const char* kind : kDiscrepancyKinds) {
    auto it = f.discrepancies_open.find(kind);
    discrepancies.samples.push_back({{{"station", station}, {"kind", kind}},
                                     it == f.discrepancies_open.end() ? 0.0 : static_cast<double>(it->second)});
  }
  for (const auto& [kind, count] : f.discrepancies_open) {  // a kind a newer schema added
    if (std::find_if(std::begin(kDiscrepancyKinds), std::end(kDiscrepancyKinds),
                     [&kind = kind](const char* k) { return kind == k; }) == std::end(kDiscrepancyKinds)) {
      discrepancies.samples.push_back({{{"station", station}, {"kind", kind}}, static_cast<double>(count)});
    }
  }
  b.AddFamily(std::move(discrepancies));
  b.Add("stationsync_problem_cases_open", Type::kGauge, "Problem cases not closed.",
           static_cast<double>(f.problem_cases_open));
  b.Add("stationsync_problem_cases_overdue", Type::kGauge,
           "Problem cases not closed and escalated past a deadline (answer or close).",
           static_cast<double>(f.problem_cases_overdue));
  b.Add("stationsync_database_bytes", Type::kGauge, "Size of station.db on disk.", static_cast<double>(f.db_bytes));
  b.Add("stationsync_wal_bytes", Type::kGauge, "Size of station.db-wal (the write-ahead log) on disk.",
           static_cast<double>(f.wal_bytes));
  b.Add("stationsync_waybill_index_bytes", Type::kGauge, "Size of waybills.db (the waybill index) on disk.",
           static_cast<double>(f.index_bytes));
  b.Add("stationsync_national_configured", Type::kGauge, "1 when stationd runs with a national link (--national).",
           link ? 1.0 : 0.0);
  if (link) {
    b.Add("stationsync_national_link_up", Type::kGauge, "1 while national answers, 0 while the link is down.",
             link->link_up ? 1.0 : 0.0);
    b.Add("stationsync_national_last_contact_timestamp_seconds", Type::kGauge,
             "When national last answered anything, Unix time (0: not since start).", Seconds(link->last_contact_ms));
    b.Add("stationsync_national_set_aside_scans", Type::kGauge,
          "Scans national refused for good (InvalidArgument, 3 tries), set aside at the station: stationctl"
          " quarantine --kind national.",
          static_cast<double>(link->set_aside));
  }
  b.Add("stationsync_start_time_seconds", Type::kGauge, "When this stationd started, Unix time.",
           Seconds(started_ms));
  return b.Take();
}

}  // namespace station
