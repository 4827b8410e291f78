#include "core/clock.h"
#include "tools/stationctl/prune.h"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <thread>

#include <nlohmann/json.hpp>

#include "wire/control.h"
#include "core/iso_time.h"
#include "tools/stationctl/control_client.h"

namespace station {
namespace {

using std::chrono::milliseconds;

Result<ControlReply> Call(const std::string& data_dir, const ControlRequest& request, std::string* raw = nullptr) {
  auto reply = CallDaemon(data_dir, request, "", milliseconds(5000), raw);
  if (!reply.ok()) return reply.status();
  if (!reply->ok) return Status::InvalidArgument(reply->code, reply->error);
  if (!reply->pruner) return Status::Unavailable("stationd's reply has no prune status (an older stationd?)");
  return reply;
}

std::string Day(std::int64_t ms) { return LocalIsoTime(ms).substr(0, 10); }

void PrintResult(const PruneResult& r) {
  std::printf("Prune of scans received before %s (asked: before %s):\n", LocalIsoTime(r.cutoff_ms).c_str(),
              Day(r.before_ms).c_str());
  std::printf("  removed: %lld scan(s) and %lld manifest row(s) of settled parcels, in %lld transaction(s),"
              " %.1f s\n",
              static_cast<long long>(r.scans_removed), static_cast<long long>(r.manifest_removed),
              static_cast<long long>(r.transactions), static_cast<double>(r.took_ms) / 1000.0);
  std::printf("  kept: %lld younger than the retention period (%d days: received after %s)\n",
              static_cast<long long>(r.kept_younger), r.retention_days, LocalIsoTime(r.cutoff_ms).c_str());
  std::printf("  kept: %lld not yet uploaded to national\n", static_cast<long long>(r.kept_not_uploaded));
  if (r.kept_not_desk_read > 0) {
    std::printf("  kept: %lld not yet read by the problem desk\n", static_cast<long long>(r.kept_not_desk_read));
  }
  if (r.kept_open_discrepancy > 0) {
    std::printf("  kept: %lld with an open discrepancy (its parcel or its bag)\n",
                static_cast<long long>(r.kept_open_discrepancy));
  }
  if (r.kept_unsettled_parcel > 0) {
    std::printf("  kept: %lld whose parcel has a newer scan or manifest row (a parcel goes whole)\n",
                static_cast<long long>(r.kept_unsettled_parcel));
  }
  if (r.kept_newest > 0) {
    std::printf("  kept: %lld, the newest scan (its id must never be given to another scan)\n",
                static_cast<long long>(r.kept_newest));
  }
  if (!r.national_configured) {
    std::printf("This stationd has no national link (--national): no scan has been uploaded, so none is removed.\n");
  }
}

}  // namespace

Result<std::int64_t> ParsePruneDate(const std::string& text, std::int64_t now_ms) {
  std::int64_t ms = 0;
  int y = 0, m = 0, d = 0;
  char tail = 0;
  if (text.size() == 10 && std::sscanf(text.c_str(), "%4d-%2d-%2d%c", &y, &m, &d, &tail) == 3 && text[4] == '-' &&
      text[7] == '-') {
    std::tm tm{};
    tm.tm_year = y - 1900;
    tm.tm_mon = m - 1;
    tm.tm_mday = d;
    tm.tm_isdst = -1;
    const std::time_t t = std::mktime(&tm);
    // mktime moves 2025-02-30 to March: a day that does not exist is refused.
    if (t == -1 || tm.tm_year != y - 1900 || tm.tm_mon != m - 1 || tm.tm_mday != d) {
      return Status::InvalidArgument("--before '" + text + "'", "is not a date (YYYY-MM-DD)");
    }
    ms = static_cast<std::int64_t>(t) * 1000;
  } else {
    auto instant = ParseIsoInstant(text);
    if (!instant.ok()) {
      return Status::InvalidArgument("--before '" + text + "'",
                                     "is not a date: YYYY-MM-DD, or an ISO time with its offset");
    }
    ms = *instant;
  }
  if (ms > now_ms) return Status::InvalidArgument("--before " + text, "is in the future");
  return ms;
}

int CmdPrune(const CtlOptions& options) {
  if (options.before.empty()) {
    return Fail(Status::InvalidArgument("prune", "--before DATE is required (scans received before it may go)"));
  }
  auto before = ParsePruneDate(options.before, NowMs());
  if (!before.ok()) return Fail(before.status());
  ControlRequest request{"r-prune", "prune", ""};
  request.before_ms = *before;
  auto started = Call(options.data_dir, request);
  if (!started.ok()) return Fail(started.status());
  const std::int64_t ticket = started->prune_ticket;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(options.timeout_s);
  ControlReply now = *started;
  std::string raw;
  while (now.prune.completed < ticket) {
    if (std::chrono::steady_clock::now() >= deadline) {
      std::cerr << "stationctl: the prune has not finished after " << options.timeout_s
                << " s; it goes on in stationd (see stationd's log)\n";
      return 2;
    }
    std::this_thread::sleep_for(milliseconds(50));
    auto next = Call(options.data_dir, ControlRequest{"r-prune-status", "prune_status", ""}, &raw);
    if (!next.ok()) return Fail(next.status());
    now = *next;
  }
  if (!now.prune.last_error.empty() || !now.prune.last) {
    std::cerr << "stationctl: the prune failed: "
              << (now.prune.last_error.empty() ? std::string("no result") : now.prune.last_error) << "\n";
    return 1;
  }
  if (options.json) {
    if (raw.empty()) (void)Call(options.data_dir, ControlRequest{"r-prune-status", "prune_status", ""}, &raw);
    std::cout << nlohmann::json::parse(raw, nullptr, false)["prune"]["last"].dump(2) << "\n";
  } else {
    PrintResult(*now.prune.last);
  }
  return 0;
}

}  // namespace station
