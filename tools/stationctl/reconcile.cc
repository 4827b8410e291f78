#include "tools/stationctl/reconcile.h"

#include <chrono>
#include <cstdio>
#include <iostream>
#include <thread>

#include <nlohmann/json.hpp>

#include "tools/stationctl/control_client.h"
#include "tools/stationctl/table.h"

namespace station {
namespace {

using std::chrono::milliseconds;

// `raw`, when given, gets the reply's JSON text: --json prints its run as stationd encoded it.
Result<ControlReply> Call(const std::string& data_dir, const char* cmd, std::string* raw = nullptr) {
  auto reply = CallDaemon(data_dir, {std::string("r-") + cmd, cmd, ""}, "", milliseconds(5000), raw);
  if (!reply.ok()) return reply.status();
  if (!reply->ok) return Status::Unavailable(reply->code + ": " + reply->error);
  return reply;
}

// What a clerk calls each kind, in the order they are listed.
constexpr const char* kKindLabels[reconcile::kKindCount] = {
    "missing 有发无到", "whole bags missing 整袋未到", "surplus 有到无发", "misrouted 错发",
    "duplicate arrivals 重复到件"};

void PrintRun(const ReconcileRunSummary& r) {
  std::printf("Reconciliation run %lld (%s) took %.2f s.\n", static_cast<long long>(r.run_id),
              r.trigger == "clerk" ? "asked by a clerk" : "on schedule", static_cast<double>(r.total_ms) / 1000.0);
  std::printf("  manifested to this station: %s; arrived: %s; not yet due (within grace): %s\n",
              Count(r.manifest_to_station).c_str(), Count(r.arrived).c_str(), Count(r.within_grace).c_str());
  std::fflush(stdout);
  Table found({"found", "count"});
  for (int k = 0; k < reconcile::kKindCount; ++k) found.AddRow({kKindLabels[k], Count(r.found[k])});
  found.Print(std::cout);
  std::cout << std::flush;
  std::printf("  new since the last run: %s; resolved since the last run: %s\n", Count(r.opened).c_str(),
              Count(r.resolved).c_str());
  if (r.notices > 0) {
    std::printf("  %s notice(s) to origin stations in the outbox (sent through the national system)\n",
                Count(r.notices).c_str());
  }
  std::printf("See them: stationctl discrepancies [--kind K] [--origin CODE] [--state S] [--csv FILE]\n");
}

}  // namespace

int CmdReconcile(const CtlOptions& options) {
  auto asked = Call(options.data_dir, "reconcile");
  if (!asked.ok()) {
    std::cerr << "stationctl: " << asked.status().ToString() << "\n";
    return 1;
  }
  const std::int64_t ticket = asked->ticket;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(options.timeout_s);
  ControlReply now = *asked;
  std::string raw;
  while (now.reconcile.completed < ticket) {
    if (std::chrono::steady_clock::now() >= deadline) {
      std::cerr << "stationctl: the reconciliation run has not finished after " << options.timeout_s
                << " s; it goes on in stationd (see stationd's log)\n";
      return 2;
    }
    std::this_thread::sleep_for(milliseconds(50));
    auto next = Call(options.data_dir, "reconcile_status", &raw);
    if (!next.ok()) {
      std::cerr << "stationctl: " << next.status().ToString() << "\n";
      return 1;
    }
    now = *next;
  }
  // Our run finished; it failed if the last one is older or an error stands.
  if (!now.reconcile.last_error.empty() || !now.reconcile.last) {
    std::cerr << "stationctl: the reconciliation run failed: "
              << (now.reconcile.last_error.empty() ? std::string("no result") : now.reconcile.last_error) << "\n";
    return 1;
  }
  if (options.json) {
    // The last reply's run, as stationd encoded it (docs/protocol.md).
    if (raw.empty()) (void)Call(options.data_dir, "reconcile_status", &raw);
    std::cout << nlohmann::json::parse(raw, nullptr, false)["reconcile"]["last"].dump(2) << "\n";
  } else {
    PrintRun(*now.reconcile.last);
  }
  return 0;
}

}  // namespace station
