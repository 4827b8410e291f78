#include "tools/stationctl/status_figures.h"

#include <cstdio>

#include "tools/stationctl/table.h"

namespace station {
namespace {

using json = nlohmann::json;

json PerMinuteJson(const RecentCounts& c) {
  return {{"1m", static_cast<double>(c.last_1m)}, {"5m", c.last_5m / 5.0}, {"15m", c.last_15m / 15.0}};
}

std::string Rate(double per_minute) {
  char text[32];
  std::snprintf(text, sizeof text, per_minute == static_cast<double>(static_cast<std::int64_t>(per_minute)) ? "%.0f"
                                                                                                             : "%.1f",
                per_minute);
  return text;
}

std::string Windows(const RecentCounts& c) {
  return Rate(static_cast<double>(c.last_1m)) + " / " + Rate(c.last_5m / 5.0) + " / " + Rate(c.last_15m / 15.0);
}

std::string Size(std::int64_t bytes) {
  char text[32];
  if (bytes < 1024 * 1024) {
    std::snprintf(text, sizeof text, "%.1f KiB", static_cast<double>(bytes) / 1024.0);
  } else if (bytes < std::int64_t{1024} * 1024 * 1024) {
    std::snprintf(text, sizeof text, "%.1f MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
  } else {
    std::snprintf(text, sizeof text, "%.2f GiB", static_cast<double>(bytes) / (1024.0 * 1024.0 * 1024.0));
  }
  return text;
}

// Uploads since stationd started, per minute on average: the link reports
// only its total this run (a scraper has the windows: docs/operations.md).
double UploadPerMinute(const StationFigures& f, const UplinkStatus& live, const RunInfo& daemon) {
  const double minutes = static_cast<double>(f.at_ms - daemon.started_ms) / 60'000.0;
  return minutes > 0 ? static_cast<double>(live.uploaded_this_run) / minutes : 0.0;
}

}  // namespace

json FiguresJson(const StationFigures& f, const Result<UplinkStatus>& live, const Result<RunInfo>& daemon) {
  json j;
  j["at_ms"] = f.at_ms;
  j["totals"] = {{"scans_stored", f.scans_stored}, {"batches", f.batches}, {"docks", f.docks},
                 {"quarantined", f.quarantined}, {"scans_uploaded", f.scans_uploaded}};
  j["per_minute"] = {{"scans", PerMinuteJson(f.scans_received)}, {"docks", PerMinuteJson(f.docks_received)},
                     {"quarantined", PerMinuteJson(f.quarantined_received)}};
  if (live.ok() && live->configured && daemon.ok()) {
    j["per_minute"]["uploaded_since_start"] = UploadPerMinute(f, *live, *daemon);
  }
  j["backlogs"] = {{"upload_scans", f.upload_backlog},
                   {"oldest_waiting_ms", f.oldest_waiting_ms},
                   {"last_upload_ms", f.last_upload_ms},
                   {"outbox_waiting", f.outbox_waiting},
                   {"waybill_index_lag", f.index_lag},
                   {"discrepancies_open", f.discrepancies_open},
                   {"problem_cases_open", f.problem_cases_open},
                   {"problem_cases_overdue", f.problem_cases_overdue}};
  j["disk"] = {{"db_bytes", f.db_bytes}, {"wal_bytes", f.wal_bytes}, {"index_bytes", f.index_bytes}};
  if (daemon.ok() && !daemon->metrics.empty()) j["metrics"] = "http://" + daemon->metrics + "/metrics";
  return j;
}

void PrintFigures(std::ostream& out, const StationFigures& f, const Result<UplinkStatus>& live,
                  const Result<RunInfo>& daemon) {
  out << "\nRates per minute (last 1 / 5 / 15 min):\n";
  out << "  scans stored:         " << Windows(f.scans_received) << "\n";
  out << "  batch messages:       " << Windows(f.docks_received) << "\n";
  out << "  records quarantined:  " << Windows(f.quarantined_received) << "\n";
  if (live.ok() && live->configured && daemon.ok()) {
    out << "  uploaded to national: " << Count(live->uploaded_this_run) << " since stationd started, "
        << Rate(UploadPerMinute(f, *live, *daemon)) << " a minute on average\n";
  }
  out << "Backlogs:\n";
  out << "  scans not uploaded:   " << Count(f.upload_backlog);
  if (f.oldest_waiting_ms > 0) out << " (oldest received " << LocalTime(f.oldest_waiting_ms) << ")";
  out << "\n";
  out << "  outbox to stations:   " << Count(f.outbox_waiting) << " message(s) not yet posted\n";
  out << "  waybill index:        "
      << (f.index_lag < 0 ? std::string("not built yet") : Count(f.index_lag) + " scan(s) behind") << "\n";
  std::int64_t open = 0;
  std::string kinds;
  for (const auto& [kind, count] : f.discrepancies_open) {
    open += count;
    kinds += (kinds.empty() ? "" : ", ") + kind + " " + Count(count);
  }
  out << "  open discrepancies:   " << Count(open) << (kinds.empty() ? "" : " (" + kinds + ")") << "\n";
  out << "  problem cases open:   " << Count(f.problem_cases_open) << ", " << Count(f.problem_cases_overdue)
      << " overdue\n";
  out << "  on disk:              database " << Size(f.db_bytes) << ", WAL " << Size(f.wal_bytes)
      << ", waybill index " << Size(f.index_bytes) << "\n";
  if (daemon.ok() && !daemon->metrics.empty()) {
    out << "  Prometheus figures:   http://" << daemon->metrics << "/metrics\n";
  }
}

}  // namespace station
